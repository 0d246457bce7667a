"""The main job: ingest -> normalize -> resolve -> enrich -> export -> graph, timed stage by stage.

The stages run on the engine ``engine.backend`` names (:func:`linker.engine.open_engine`). What a run leaves for
the commands that read it (``explain``, ``diff``, ``update``) is its run database, ``work.duckdb``: on DuckDB the
tables themselves; on Spark a folder ``state/`` holding each of those tables as a Parquet folder, written by
Spark, and a ``work.duckdb`` of views over them, so that the reading commands work unchanged.
"""

from __future__ import annotations

import json
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from linker import __version__
from linker.config import Config
from linker.engine import DuckDBEngine, Engine, open_engine
from linker.enrich import enrich, enrichment_manifest, export_enrichment, load_enrichment_rules
from linker.enrich.baselines import save_baselines
from linker.enrich.report import ReportContext
from linker.errors import EngineError, RunFolderError
from linker.export import export_tables
from linker.export.files import file_checksum, write_json
from linker.graph import load_graph_store
from linker.ingest import IngestReport, ingest
from linker.normalize.identifiers import build_identifiers
from linker.preflight import check_inputs
from linker.privacy import erase_personal, pseudonym_key, pseudonymize_ids, pseudonymize_values
from linker.resolve import Resolution, resolve
from linker.rules import Rules, load_rules
from linker.run_folder import (
    BASELINES_FILE,
    MANIFEST,
    MODEL_FILE,
    SCRATCH_DB,
    STATE_DIR,
    STORE_NAME,
    SUMMARY,
    WORK_DB,
    WORK_DIR,
    RunFolder,
)
from linker.sql import quote_ident, quote_literal
from linker.stages import check_backend

StageHook = Callable[[str], AbstractContextManager[Any]]

RUN_STATE_VERSION = 1
"""Version of the state a run leaves for ``linker update`` (the run database's tables and what they mean); an
update refuses a run of another version."""


class RunHooks(Protocol):
    """How a run built on a previous one (:func:`linker.update.update`) takes part in the stages."""

    def resolve(self, con: duckdb.DuckDBPyConnection, config: Config, rules: Rules) -> Resolution:
        """Resolution in place of :func:`linker.resolve.resolve` (the run database holds ``identifiers``)."""

    def graph(self, con: duckdb.DuckDBPyConnection, staging: Path, run_id: str, config: Config) -> dict[str, int]:
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
    state: dict[str, Any] = field(default_factory=dict)
    """Where a Spark run keeps its tables (``state/``), empty for DuckDB's run database."""

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
        ``engine.backend`` names an engine some stage does not run on yet, or an update (``hooks``) is asked of
        an engine other than DuckDB (checked before any work); or a stage ran out of memory within
        ``engine.memory_limit`` (the output folder keeps the previous run).
    InputError
        A whole input file is unusable.
    RunFolderError
        The output folder cannot take the run (a file, holds an input, holds other files without ``force``);
        :class:`~linker.errors.RunLockedError` when another run is writing into it.
    """
    if hooks is not None:
        check_update_engine(config)
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
            if result.state:
                _write_state_database(folder.path, result.state["tables"])
        except BaseException:
            folder.discard()
            raise
    return result


def check_update_engine(config: Config) -> None:
    """Refuse an update on an engine other than DuckDB: it changes the previous run's tables in place."""
    if config.engine.backend != "duckdb":
        raise EngineError(f'engine.backend = "{config.engine.backend}": linker update changes the previous run\'s '
                          'tables in place, which only the DuckDB engine does; run `linker run` on Spark (a whole '
                          'run), or set engine.backend = "duckdb" to update')


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
    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    engine = _open_engine(config, staging)
    hook = stage_hook or (lambda name: nullcontext())
    final = config.output.dir

    def moved(paths: list[Path]) -> list[Path]:
        return [final / p.relative_to(staging) for p in paths]

    try:
        with _stage(hook, "ingest", []) as timing:
            report = ingest(engine, config, frames=frames, workdir=staging / WORK_DIR)
            timing.rows = sum(t.rows_read for t in report.tables.values())
            if key is not None:
                pseudonymize_ids(engine, key)
        result = RunResult(final, report, stages=[timing])
        with _stage(hook, "normalize", result.stages) as timing:
            timing.rows = build_identifiers(engine, region=config.region, rules=rules.identifiers,
                                            declared=config.resolution.identifiers)
            result.counts["identifiers"] = timing.rows
            result.counts["unusable identifiers"] = engine.count("identifiers WHERE status <> 'usable'")
        with _stage(hook, "resolve", result.stages) as timing:
            resolution = (hooks.resolve(_duckdb(engine, "update"), config, rules) if hooks is not None
                          else resolve(engine, config.resolution, rules))
            result.counts.update(resolution.counts)
            result.model = {**resolution.model.training, "seconds": resolution.seconds}
            result.files += moved([resolution.model.save(staging / MODEL_FILE)])
            timing.rows = result.counts["candidate pairs"]
            if key is not None:   # compared: from here on, identifier values are pseudonyms
                pseudonymize_values(engine, key)
        with _stage(hook, "enrich", result.stages) as timing:
            result.counts.update(enrich(engine, config.enrichment, rules=enrichment_rules,
                                        workdir=staging / WORK_DIR,
                                        aggregates=config.output.aggregates,
                                        aggregates_file="parquet" in config.output.formats))
            timing.rows = result.counts["customer events"]
            result.files += moved([save_baselines(engine, staging / BASELINES_FILE)])
            if key is not None:  # pseudonymous outputs carry no name, birth date or raw record
                erase_personal(engine)
        with _stage(hook, "export", result.stages) as timing:
            result.files += moved(export_tables(engine, staging, config.output.formats))
            result.files += moved(export_enrichment(engine, staging, config.output.formats,
                                                    report_context=ReportContext.of(config)))
            timing.rows = sum(engine.count(t) for t in ("links", "clusters", "hubs", "profiles"))
            if not isinstance(engine, DuckDBEngine):   # the tables DuckDB keeps in its run database
                result.state = _write_state(engine, staging)
        if config.output.graph_store:  # before close: it reads the temporary event tables
            with _stage(hook, "graph", result.stages) as timing:
                graph = (hooks.graph(_duckdb(engine, "update"), staging, run_id, config) if hooks is not None
                         else load_graph_store(engine, staging, run_id=run_id, workdir=staging / WORK_DIR / "graph",
                                               memory_limit=config.engine.memory_limit))
                result.counts.update({k: graph[k] for k in ("graph nodes", "graph relationships")})
                timing.rows = graph["graph nodes"] + graph["graph relationships"]
        extra = hooks.finish(_duckdb(engine, "update"), staging, result) if hooks is not None else {}
        state = {"state": result.state} if result.state else {}
        entries = sorted({p.relative_to(final).parts[0] for p in result.files}
                         | {WORK_DB, MANIFEST, SUMMARY} | ({STORE_NAME} if config.output.graph_store else set())
                         | ({STATE_DIR} if state else set()))
        _write_run_files(result, config, frames, started, staging, {
            "run_id": run_id, "enrichment": enrichment_manifest(engine),
            "pseudonymized": key is not None, "state_version": RUN_STATE_VERSION, "run_folder": {"entries": entries},
            **state, **extra})
        if key is not None and isinstance(engine, DuckDBEngine):
            _copy_database(engine.con, staging / WORK_DIR / WORK_DB)
    finally:
        engine.close()
    if key is not None and (staging / WORK_DIR / WORK_DB).exists():
        os.replace(staging / WORK_DIR / WORK_DB, staging / WORK_DB)
        (staging / f"{WORK_DB}.wal").unlink(missing_ok=True)
    return result


def _open_engine(config: Config, staging: Path) -> Engine:
    """The run's engine: DuckDB's run database in the staging folder (its scratch database in ``.work``), or a
    Spark session whose intermediate tables go to ``engine.spark.staging`` (by default into ``.work``)."""
    if config.engine.backend == "duckdb":
        return open_engine(config.engine, staging, scratch=staging / WORK_DIR / SCRATCH_DB)
    return open_engine(config.engine, staging / WORK_DIR)


def _duckdb(engine: Engine, stage: str) -> duckdb.DuckDBPyConnection:
    """The DuckDB connection of the work only DuckDB does, an update's (:func:`check_update_engine` refuses
    other engines before any work, so this never fails in a run)."""
    if isinstance(engine, DuckDBEngine):
        return engine.con
    raise EngineError(f"the {stage} stage does not run on {engine.name} yet")


STATE_TABLES = ("customers", "accounts", "quarantine", "identifiers", "identifier_degrees", "hubs", "links",
                "clusters", "match_weights", "taxonomy_domains", "categories", "merchant_classes", "linked_accounts",
                "device_attribution", "customer_metrics", "need_scores", "need_baselines", "signal_scores",
                "signals", "signal_events", "profiles", "unmapped_categories", "domain_spend", "enrichment_info")
"""The tables a run keeps for the commands that read it: DuckDB's run database holds them (the event tables and
the aggregates are not kept: the aggregates are an output file)."""


def _write_state(engine: Engine, staging: Path) -> dict[str, Any]:
    """A Spark run's state: each kept table written by Spark as ``state/<table>.parquet/`` (a folder of part
    files)."""
    kept = [t for t in STATE_TABLES if engine.exists(t)]
    for table in kept:
        engine.write_output(f"SELECT * FROM {table}", staging / STATE_DIR / f"{table}.parquet", "parquet")
    return {"format": "parquet", "folder": STATE_DIR, "tables": kept}


def _write_state_database(folder: Path, tables: list[str]) -> None:
    """The run database of a Spark run, ``work.duckdb``: a view per state table. Written once the run is switched
    in, because DuckDB reads a view's files when it creates it and the views name where the files are then.
    Until it is written (milliseconds), readers say the run has no run database."""
    target = folder / WORK_DB
    tmp = folder / f".{WORK_DB}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for table in tables:
            parts = folder.resolve() / STATE_DIR / f"{table}.parquet" / "*.parquet"
            con.execute(f"CREATE VIEW {quote_ident(table)} AS SELECT * FROM read_parquet({quote_literal(str(parts))})")
    finally:
        con.close()
    os.replace(tmp, target)


def _copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy the run database's tables into a new file: the run database of a pseudonymized run, whose own file
    may still hold raw values in the blocks that updates freed."""
    database = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(f"ATTACH {quote_literal(str(target))} AS pseudonymized")
    try:
        con.execute(f"COPY FROM DATABASE {quote_ident(database)} TO pseudonymized")
    finally:
        con.execute("DETACH pseudonymized")


def out_of_memory_advice(stage: str) -> str:
    """What to change when ``stage`` ran out of memory: only the enrichment works on parts whose size a
    setting bounds; every stage's buffers grow with DuckDB's threads.

    >>> "events_per_part" in out_of_memory_advice("enrich"), "events_per_part" in out_of_memory_advice("resolve")
    (True, False)
    """
    part = (", or lower enrichment.events_per_part (the enrichment works on fewer customers at a time)"
            if stage == "enrich" else "")
    return (f"the {stage} stage ran out of memory: DuckDB could not spill what it needed within "
            f"engine.memory_limit. Raise engine.memory_limit if the machine has the memory{part}, or lower "
            "engine.threads (each thread holds buffers of its own); the run folder is unchanged")


def file_error_advice(stage: str, error: duckdb.IOException) -> str:
    """What to check when DuckDB could not read or write a file in ``stage`` (a full disk, a folder without
    permission): DuckDB's message names the file.

    >>> file_error_advice("ingest", duckdb.IOException('Could not write file "w.duckdb": No space left on device'))[:60]
    'the ingest stage could not read or write a file (Could not w'
    """
    return (f"the {stage} stage could not read or write a file ({str(error).removeprefix('IO Error: ')}). Check "
            "the free disk space and the permissions where the run writes: output.dir, which holds the run "
            "database and its .work and .spill folders; the run folder is unchanged")


@contextmanager
def _stage(hook: StageHook, name: str, stages: list[StageResult]) -> Iterator[StageResult]:
    timing = StageResult(name, 0.0, 0, 0.0)
    start = time.perf_counter()
    with hook(name):
        try:
            yield timing
        except duckdb.OutOfMemoryException as e:
            raise EngineError(out_of_memory_advice(name)) from e
        except duckdb.IOException as e:   # not an OSError: the CLI would call it a bug
            raise EngineError(file_error_advice(name, e)) from e
    timing.seconds = round(time.perf_counter() - start, 3)
    timing.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    stages.append(timing)


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
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "config": json.loads(config.model_dump_json()),
        **{k: summary[k] for k in ("tables", "counts", "model", "stages", "total_seconds", "files")},
        **extra,
    }
    write_json(out / SUMMARY, summary)
    write_json(out / MANIFEST, manifest)
    result.files += [result.output_dir / SUMMARY, result.output_dir / MANIFEST]
