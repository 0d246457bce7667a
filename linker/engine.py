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


def open_database(path: Path | str, engine: EngineConfig | None = None, *, read_only: bool = False
                  ) -> duckdb.DuckDBPyConnection:
    """Open (or create) the run database at ``path`` with the configured resources.

    ``preserve_insertion_order`` stays on: row numbers of source files are taken in scan order.
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
    return con


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view of this name exists in the main schema."""
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'", [name]
    ).fetchall()[0][0] or con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'", [name]
    ).fetchall()[0][0])
