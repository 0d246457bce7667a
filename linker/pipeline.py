"""The main job: ingest -> normalize -> resolve -> enrich -> export -> graph, timed stage by stage."""

from __future__ import annotations

import json
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from linker import __version__
from linker.config import Config
from linker.engine import open_database
from linker.enrich import enrich, enrichment_manifest, export_enrichment, load_enrichment_rules
from linker.enrich.report import ReportContext
from linker.errors import RunFolderError
from linker.graph import load_graph_store
from linker.identifiers import build_identifiers
from linker.ingest import IngestReport, ingest
from linker.outputs import export_table, file_checksum, write_json
from linker.preflight import check_inputs
from linker.privacy import erase_personal, pseudonym_key, pseudonymize_ids, pseudonymize_values
from linker.resolve import Resolution, resolve
from linker.rules import Rules, load_rules
from linker.stages import check_backend
from linker.run_folder import (MANIFEST, MODEL_FILE, SCRATCH_DB, STORE_NAME, SUMMARY, WORK_DB, WORK_DIR,
                               RunFolder)
from linker.sql import quote_ident, quote_literal

StageHook = Callable[[str], AbstractContextManager[Any]]

RUN_STATE_VERSION = 1
"""Version of the state a run leaves for ``linker update`` (the run database's tables and what they mean); an
update refuses a run of another version."""


class RunHooks(Protocol):
    """How a run built on a previous one (:func:`linker.update.update`) takes part in the stages."""

    def resolve(self, con: duckdb.DuckDBPyConnection, config: Config, rules: Rules) -> Resolution:
        """Resolution in place of :func:`linker.resolve.resolve` (the run database holds ``identifiers``)."""

    def graph(self, con: duckdb.DuckDBPyConnection, staging: Path, run_id: str) -> dict[str, int]:
        """The graph store in place of :func:`linker.graph.load_graph_store` (same counts returned)."""

    def finish(self, con: duckdb.DuckDBPyConnection, staging: Path, result: RunResult) -> dict[str, Any]:
        """Called after the export, before the run files are written: extra manifest entries."""


@dataclass
class StageResult:
    """Timing and volume of one stage."""

    name: str
    seconds: float
    rows: int
    peak_rss_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class RunResult:
    """What a run did: per-table ingest counts, per-stage timings, result counts and files written."""

    output_dir: Path
    ingest: IngestReport
    stages: list[StageResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    """How the match model was obtained (its ``training``): estimated, loaded, or starting values and why."""
    changes: dict[str, int] = field(default_factory=dict)
    """Changes since the previous run, by kind (an update only; see :mod:`linker.changes`)."""

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (also written as ``summary.json``)."""
        return {
            "version": __version__,
            "output_dir": str(self.output_dir),
            "tables": {name: {**asdict(t), "reconciles": t.reconciles} for name, t in self.ingest.tables.items()},
            "counts": self.counts,
            "model": self.model,
            **({"changes": self.changes} if self.changes else {}),
            "stages": [{**asdict(s), "rows_per_second": round(s.rows_per_second, 1)} for s in self.stages],
            "total_seconds": round(sum(s.seconds for s in self.stages), 3),
            "files": [str(p.relative_to(self.output_dir)) for p in self.files],
        }


def run(config: Config, *, frames: dict[str, pd.DataFrame] | None = None, stage_hook: StageHook | None = None,
        force: bool = False, hooks: RunHooks | None = None) -> RunResult:
    """Run the whole pipeline and write every output into ``config.output.dir``.

    The run is written into the folder's staging folder and switched in at the end (see
    :mod:`linker.run_folder`): until then the previous run stays whole, and a failed or killed run changes
    nothing but the staging folder, which the next start removes.

    Parameters
    ----------
    config
        The validated configuration.
    frames
        Input tables given as DataFrames, by table name (they replace the files of those tables).
    stage_hook
        Called with each stage name; the context manager it returns wraps the stage (progress display).
    force
        Write into an output folder that holds files linker did not write (they are kept).
    hooks
        A run built on a previous one (``linker update``) resolves and finishes through these.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        The configuration does not fit the inputs (checked before any work).
    EngineError
        ``engine.backend`` names an engine some stage does not run on yet (checked before any work).
    InputError
        A whole input file is unusable.
    RunFolderError
        The output folder cannot take the run (a file, holds an input, holds other files without ``force``);
        :class:`~linker.errors.RunLockedError` when another run is writing into it.
    """
    check_backend(config.engine.backend)
    check_inputs(config, frames)
    rules = load_rules(config.resolution.rules_file)
    enrichment_rules = load_enrichment_rules(config.enrichment)
    key = pseudonym_key(config.output.pseudonym_key_env) if config.output.pseudonymize else None
    folder = RunFolder(config.output.dir)
    inputs = _input_paths(config, frames)
    _check_folder(folder, inputs, force)
    with folder.locked():
        _check_folder(folder, inputs, force)   # again: the folder may have changed before the lock was taken
        staging = folder.start()
        try:
            result = _run_stages(config, frames, staging, stage_hook, key, rules, enrichment_rules, hooks)
            folder.switch_in()
        except BaseException:
            folder.discard()
            raise
    return result


def _check_folder(folder: RunFolder, inputs: list[Path], force: bool) -> None:
    problems = folder.problems(inputs, force=force)
    if problems:
        raise RunFolderError("\n".join(problems))


def _input_paths(config: Config, frames: dict[str, pd.DataFrame] | None) -> list[Path]:
    """Every file the run reads: sources not given as DataFrames, rules, taxonomy and signals files."""
    paths = [s.path for name, s in config.sources.items() if name not in (frames or {})]
    paths += [config.resolution.rules_file, config.enrichment.taxonomy_file, config.enrichment.signals_file]
    return [p for p in paths if p is not None]


def _run_stages(config: Config, frames: dict[str, pd.DataFrame] | None, staging: Path,
                stage_hook: StageHook | None, key: bytes | None, rules: Any, enrichment_rules: Any,
                hooks: RunHooks | None = None) -> RunResult:
    """Every stage, writing into ``staging``; the result names the files where they will be once switched in."""
    started = datetime.now(timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    con = open_database(staging / WORK_DB, config.engine, scratch=staging / WORK_DIR / SCRATCH_DB)
    hook = stage_hook or (lambda name: nullcontext())
    final = config.output.dir

    def moved(paths: list[Path]) -> list[Path]:
        return [final / p.relative_to(staging) for p in paths]

    try:
        with _stage(hook, "ingest", []) as timing:
            report = ingest(con, config, frames=frames, workdir=staging / WORK_DIR)
            timing.rows = sum(t.rows_read for t in report.tables.values())
            if key is not None:
                pseudonymize_ids(con, key)
        result = RunResult(final, report, stages=[timing])
        with _stage(hook, "normalize", result.stages) as timing:
            timing.rows = build_identifiers(con, region=config.region, rules=rules.identifiers,
                                            declared=config.resolution.identifiers)
            result.counts["identifiers"] = timing.rows
            result.counts["unusable identifiers"] = _count(con, "identifiers WHERE status <> 'usable'")
        with _stage(hook, "resolve", result.stages) as timing:
            resolution = (hooks.resolve(con, config, rules) if hooks is not None
                          else resolve(con, config.resolution, rules))
            result.counts.update(resolution.counts)
            result.model = {**resolution.model.training, "seconds": resolution.seconds}
            result.files += moved([resolution.model.save(staging / MODEL_FILE)])
            timing.rows = result.counts["candidate pairs"]
            if key is not None:   # compared: from here on, identifier values are pseudonyms
                pseudonymize_values(con, key)
        with _stage(hook, "enrich", result.stages) as timing:
            result.counts.update(enrich(con, config.enrichment, rules=enrichment_rules, workdir=staging / WORK_DIR,
                                        aggregates_file="parquet" in config.output.formats))
            timing.rows = result.counts["customer events"]
            if key is not None:  # pseudonymous outputs carry no name, birth date or raw record
                erase_personal(con)
        with _stage(hook, "export", result.stages) as timing:
            result.files += moved(_export(con, config, staging))
            result.files += moved(export_enrichment(con, staging, config.output.formats,
                                                    report_context=ReportContext.of(config)))
            timing.rows = sum(_count(con, t) for t in ("links", "clusters", "hubs", "profiles"))
        if config.output.graph_store:  # before close: it reads the temporary event tables
            with _stage(hook, "graph", result.stages) as timing:
                graph = (hooks.graph(con, staging, run_id) if hooks is not None
                         else load_graph_store(con, staging, run_id=run_id))
                result.counts.update({k: graph[k] for k in ("graph nodes", "graph relationships")})
                timing.rows = graph["graph nodes"] + graph["graph relationships"]
        extra = hooks.finish(con, staging, result) if hooks is not None else {}
        entries = sorted({p.relative_to(final).parts[0] for p in result.files}
                         | {WORK_DB, MANIFEST, SUMMARY} | ({STORE_NAME} if config.output.graph_store else set()))
        _write_run_files(result, config, frames, started, staging, {
            "run_id": run_id, "enrichment": enrichment_manifest(con), "pseudonymized": key is not None,
            "state_version": RUN_STATE_VERSION, "run_folder": {"entries": entries}, **extra})
        if key is not None:
            _copy_database(con, staging / WORK_DIR / WORK_DB)
    finally:
        con.close()
    if key is not None:
        os.replace(staging / WORK_DIR / WORK_DB, staging / WORK_DB)
        (staging / f"{WORK_DB}.wal").unlink(missing_ok=True)
    return result


def _copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy the run database's tables into a new file: the run database of a pseudonymized run, whose own file
    may still hold raw values in the blocks that updates freed."""
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(f"ATTACH {quote_literal(str(target))} AS pseudonymized")
    try:
        con.execute(f"COPY FROM DATABASE {quote_ident(database)} TO pseudonymized")
    finally:
        con.execute("DETACH pseudonymized")


@contextmanager
def _stage(hook: StageHook, name: str, stages: list[StageResult]) -> Iterator[StageResult]:
    timing = StageResult(name, 0.0, 0, 0.0)
    start = time.perf_counter()
    with hook(name):
        yield timing
    timing.seconds = round(time.perf_counter() - start, 3)
    timing.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    stages.append(timing)


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])


EXPORTS = {
    "links": "SELECT * EXCLUDE (evidence), to_json(evidence) AS evidence FROM links ORDER BY account_id, rank",
    "hubs": "SELECT * FROM hubs",
    "clusters": "SELECT * FROM clusters",
    "identifier_issues": "SELECT owner_kind, owner_id, id_type, kind, status, reason, source_table, _row, _source "
                         "FROM identifiers WHERE status <> 'usable' ORDER BY source_table, _row",
}
"""Exported tables: output file stem -> query over the run database."""
QUARANTINE_CELL = 32_000
"""A quarantined record longer than this (in characters; spreadsheets hold 32,767 in a cell) is cut in
``quarantine/<table>.csv`` and written whole to ``quarantine/<table>-records.jsonl``."""


def _export(con: duckdb.DuckDBPyConnection, config: Config, out: Path) -> list[Path]:
    files = []
    for stem, query in EXPORTS.items():
        files += export_table(con, query, out / stem, [f for f in config.output.formats if f != "jsonl"])
    for (table,) in con.execute("SELECT DISTINCT table_name FROM quarantine ORDER BY 1").fetchall():
        rows = f"FROM quarantine WHERE table_name = {quote_literal(table)}"
        side = f"{table}-records.jsonl"
        files += export_table(con, f"""
            SELECT * EXCLUDE (record), CASE WHEN length(record) > {QUARANTINE_CELL}
                THEN left(record, 1000) || {quote_literal(f" ... (cut: the whole record is in quarantine/{side})")}
                ELSE record END AS record
            {rows} ORDER BY _row, line""", out / "quarantine" / table, ["csv"])
        if con.execute(f"SELECT count(*) {rows} AND length(record) > {QUARANTINE_CELL}").fetchall()[0][0]:
            files += export_table(con, f"SELECT _row, line, record {rows} AND length(record) > {QUARANTINE_CELL} "
                                       "ORDER BY _row, line", out / "quarantine" / f"{table}-records", ["jsonl"])
    return files


def _write_run_files(result: RunResult, config: Config, frames: dict[str, pd.DataFrame] | None,
                     started: datetime, out: Path, extra: dict[str, Any]) -> None:
    """Write ``summary.json`` and ``manifest.json`` into ``out`` (the staging folder), the manifest last."""
    summary = result.summary()
    inputs = {}
    for name, source in config.sources.items():
        if frames and name in frames:
            inputs[name] = {"source": "<dataframe>", "rows": len(frames[name])}
        elif source.path is not None:
            inputs[name] = {"path": str(source.path), "sha256": file_checksum(source.path),
                            "bytes": source.path.stat().st_size}
    manifest = {
        "linker_version": __version__,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": inputs,
        "config": json.loads(config.model_dump_json()),
        **{k: summary[k] for k in ("tables", "counts", "model", "stages", "total_seconds", "files")},
        **extra,
    }
    write_json(out / SUMMARY, summary)
    write_json(out / MANIFEST, manifest)
    result.files += [result.output_dir / SUMMARY, result.output_dir / MANIFEST]
