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

SCRATCH = "scratch"
"""An in-memory, compressed database attached to every run database for the big temporary tables (the event
tables, the attributed events): compressed they take a fifth of the memory, so later stages spill less. It goes
when the connection closes, like temporary tables; unqualified names find its tables (search path)."""


def open_database(path: Path | str, engine: EngineConfig | None = None, *, read_only: bool = False
                  ) -> duckdb.DuckDBPyConnection:
    """Open (or create) the run database at ``path`` with the configured resources.

    ``preserve_insertion_order`` stays on: row numbers of source files are taken in scan order. The
    :data:`SCRATCH` database is attached.
    """
    engine = engine or EngineConfig()
    path = Path(path)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"SET memory_limit = '{engine.memory_limit}'")
    if engine.threads:
        con.execute(f"SET threads = {int(engine.threads)}")
    if not read_only:
        spill = path.parent / ".spill"
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")  # progress is the caller's to show
    con.execute(f"ATTACH ':memory:' AS {SCRATCH} (COMPRESS)")
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
