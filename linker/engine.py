"""The run's DuckDB database: one file per run, with memory bounded and spilling to disk beyond it.

This is the only module that knows how the SQL engine is opened. SQL elsewhere keeps to functions that DuckDB
and Spark SQL share where it can; the DuckDB-only ones used (``list_transform``, ``string_split_regex``,
``try_strptime``, ``regexp_full_match`` ...) are listed in docs/architecture.md so that a Spark port knows
what to translate.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from linker.config import EngineConfig
from linker.sql import quote_literal

SCRATCH = "scratch"
"""A database attached to every run database for the big temporary tables (the event tables, the attributed
events), compressed: a file the caller deletes after closing the connection (the pipeline's ``.work/``), or in
memory, gone when the connection closes. Unqualified names find its tables (search path)."""


CHECKPOINT_THRESHOLD = "1GB"
"""Write-ahead log a run database may hold before DuckDB checkpoints it (16MB by default).

An insert smaller than a row group (122,880 rows) goes through the log; the enrichment inserts each customer
part's profiles and signals that way (at 1M customers, 13 parts of about 250MB and 70MB of log each). With the
default, DuckDB checkpointed the whole database 17 times during the enrichment, single-threaded, 0.5-8 s each.
A run database is built from nothing and read by nobody else until the run closes it, so nothing is gained by
checkpointing it often; the bound keeps the log, and the rows waiting for the checkpoint, small (without one, the
profiles alone would log 3.3GB at 1M customers, about 20GB at 5M). At 1M customers: 3 checkpoints, the run
528 -> 511 s (enrich 311 -> 288 s)."""


def open_database(path: Path | str, engine: EngineConfig | None = None, *, read_only: bool = False,
                  scratch: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (or create) the run database at ``path`` with the configured resources.

    ``preserve_insertion_order`` stays on: row numbers of source files are taken in scan order. A writable
    database is checkpointed when closed and when its log passes :data:`CHECKPOINT_THRESHOLD`, not at 16MB. The
    :data:`SCRATCH` database is attached: the file ``scratch`` (created, or emptied if it exists), else an
    in-memory one. Prefer a file for big runs: DuckDB can drop a file's blocks from memory when it needs room and
    read them back, where an in-memory database's blocks must first be written to the spill folder; at 5M
    customers the in-memory event tables filled most of the memory limit from ingest to the end of the run.
    """
    engine = engine or EngineConfig()
    path = Path(path)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"SET memory_limit = {quote_literal(engine.memory_limit)}")
    if engine.threads:
        con.execute(f"SET threads = {int(engine.threads)}")
    if not read_only:
        spill = path.parent / ".spill"
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {quote_literal(spill.as_posix())}")
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")  # progress is the caller's to show
    if scratch is None:
        con.execute(f"ATTACH ':memory:' AS {SCRATCH} (COMPRESS)")
    else:
        scratch = Path(scratch)
        scratch.parent.mkdir(parents=True, exist_ok=True)
        for stale in (scratch, scratch.with_name(scratch.name + ".wal")):
            stale.unlink(missing_ok=True)
        con.execute(f"ATTACH {quote_literal(scratch.as_posix())} AS {SCRATCH}")
    con.execute(f"SET search_path = 'main,{SCRATCH}'")
    return con


def _has_scratch(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` is a run database with :data:`SCRATCH` attached (see :func:`open_database`)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [SCRATCH]
                            ).fetchall()[0][0])


def scratch_table(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Where to create a big temporary table: ``scratch.<name>`` in a run database (see :func:`open_database`),
    else a ``TEMP TABLE``. Returns the words between ``CREATE OR REPLACE`` and ``AS``."""
    return f"TABLE {SCRATCH}.{name}" if _has_scratch(con) else f"TEMP TABLE {name}"


def compress_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Compress the tables created in ``scratch`` since the last call (a checkpoint of that database)."""
    if _has_scratch(con):
        con.execute(f"CHECKPOINT {SCRATCH}")


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view of this name exists in the main schema."""
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'", [name]
    ).fetchall()[0][0] or con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'", [name]
    ).fetchall()[0][0])
