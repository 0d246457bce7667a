"""The main job: ingest -> normalize -> resolve -> enrich -> export -> graph, timed stage by stage."""

from __future__ import annotations

import json
import resource
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from linker import __version__
from linker.config import Config
from linker.engine import open_database
from linker.enrich import enrich, enrichment_manifest, export_enrichment, load_enrichment_rules
from linker.graph import load_graph_store
from linker.ingest import IngestReport, ingest
from linker.identifiers import build_identifiers
from linker.outputs import export_table, file_checksum, write_json
from linker.preflight import check_inputs
from linker.privacy import pseudonym_key, pseudonymize_ids
from linker.resolve import resolve
from linker.rules import load_rules

WORK_DB = "work.duckdb"
WORK_DIR = ".work"
"""The run's temporary files (transcoded inputs, attributed events in customer parts, the scratch database),
deleted at the end."""
MODEL_FILE = "model.json"
"""The match model the run scored with (estimated from its data, or loaded): reusable with ``--model``."""
SCRATCH_DB = "scratch.duckdb"
"""The run's scratch database (the event tables; see :func:`linker.engine.open_database`), in :data:`WORK_DIR`."""
StageHook = Callable[[str], AbstractContextManager[Any]]


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

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (also written as ``summary.json``)."""
        return {
            "version": __version__,
            "output_dir": str(self.output_dir),
            "tables": {name: {**asdict(t), "reconciles": t.reconciles} for name, t in self.ingest.tables.items()},
            "counts": self.counts,
            "model": self.model,
            "stages": [{**asdict(s), "rows_per_second": round(s.rows_per_second, 1)} for s in self.stages],
            "total_seconds": round(sum(s.seconds for s in self.stages), 3),
            "files": [str(p.relative_to(self.output_dir)) for p in self.files],
        }


def run(config: Config, *, frames: dict[str, pd.DataFrame] | None = None, stage_hook: StageHook | None = None
        ) -> RunResult:
    """Run the whole pipeline and write every output into ``config.output.dir``.

    Parameters
    ----------
    config
        The validated configuration.
    frames
        Input tables given as DataFrames, by table name (they replace the files of those tables).
    stage_hook
        Called with each stage name; the context manager it returns wraps the stage (progress display).

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        The configuration does not fit the inputs (checked before any work).
    InputError
        A whole input file is unusable.
    """
    check_inputs(config, frames)
    rules = load_rules(config.resolution.rules_file)
    enrichment_rules = load_enrichment_rules(config.enrichment)
    key = pseudonym_key(config.output.pseudonym_key_env) if config.output.pseudonymize else None
    out = config.output.dir
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    db_path = out / WORK_DB
    if db_path.exists():
        db_path.unlink()
    con = open_database(db_path, config.engine, scratch=out / WORK_DIR / SCRATCH_DB)
    hook = stage_hook or (lambda name: nullcontext())
    try:
        with _stage(hook, "ingest", []) as timing:
            report = ingest(con, config, frames=frames, workdir=out / WORK_DIR)
            timing.rows = sum(t.rows_read for t in report.tables.values())
            if key is not None:
                pseudonymize_ids(con, key)
        result = RunResult(out, report, stages=[timing])
        with _stage(hook, "normalize", result.stages) as timing:
            timing.rows = build_identifiers(con, region=config.region, rules=rules.identifiers,
                                            declared=config.resolution.identifiers)
            result.counts["identifiers"] = timing.rows
            result.counts["unusable identifiers"] = _count(con, "identifiers WHERE status <> 'usable'")
        with _stage(hook, "resolve", result.stages) as timing:
            resolution = resolve(con, config.resolution, rules)
            result.counts.update(resolution.counts)
            result.model = {**resolution.model.training, "seconds": resolution.seconds}
            result.files.append(resolution.model.save(out / MODEL_FILE))
            timing.rows = result.counts["candidate pairs"]
        with _stage(hook, "enrich", result.stages) as timing:
            result.counts.update(enrich(con, config.enrichment, rules=enrichment_rules, workdir=out / WORK_DIR))
            timing.rows = result.counts["customer events"]
            if key is not None:  # pseudonymous exports carry no name or birth date
                con.execute("UPDATE profiles SET name = NULL, birth_date = NULL")
        with _stage(hook, "export", result.stages) as timing:
            result.files += _export(con, config)
            result.files += export_enrichment(con, out, config.output.formats)
            timing.rows = sum(_count(con, t) for t in ("links", "clusters", "hubs", "profiles"))
        if config.output.graph_store:  # before close: it reads the temporary event tables
            with _stage(hook, "graph", result.stages) as timing:
                graph = load_graph_store(con, out, run_id=run_id)
                result.counts.update({k: graph[k] for k in ("graph nodes", "graph relationships")})
                timing.rows = graph["graph nodes"] + graph["graph relationships"]
        _write_run_files(result, config, frames, started, {"run_id": run_id,
                                                           "enrichment": enrichment_manifest(con),
                                                           "pseudonymized": key is not None})
    finally:
        con.close()
        shutil.rmtree(out / WORK_DIR, ignore_errors=True)
    return result


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


def _export(con: duckdb.DuckDBPyConnection, config: Config) -> list[Path]:
    out = config.output.dir
    files = []
    for stem, query in EXPORTS.items():
        files += export_table(con, query, out / stem, [f for f in config.output.formats if f != "jsonl"])
    for (table,) in con.execute("SELECT DISTINCT table_name FROM quarantine ORDER BY 1").fetchall():
        files += export_table(con, f"SELECT * FROM quarantine WHERE table_name = '{table}' ORDER BY _row, line",
                              out / "quarantine" / table, ["csv"])
    return files


def _write_run_files(result: RunResult, config: Config, frames: dict[str, pd.DataFrame] | None,
                     started: datetime, extra: dict[str, Any]) -> None:
    out = config.output.dir
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
    result.files.append(write_json(out / "summary.json", summary))
    result.files.append(write_json(out / "manifest.json", manifest))
