"""Engines: what runs linker's SQL and holds the tables between the stages.

:class:`Engine` is the interface every stage uses; :class:`DuckDBEngine` runs on one machine (the default),
:class:`~linker.engine.spark.SparkEngine` on a Spark cluster (``engine.backend = "spark"``; needs
``pip install linker[spark]``). The SQL is written once, in DuckDB's spelling; the Spark dialect
(:mod:`linker.engine.dialect`) rewrites it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from linker.engine.base import ArrowFunction, BatchFunction, Engine, TableKind
from linker.engine.duckdb import (
    CHECKPOINT_THRESHOLD,
    SCRATCH,
    DuckDBEngine,
    compress_scratch,
    open_database,
    scratch_table,
    table_exists,
)
from linker.errors import EngineError

if TYPE_CHECKING:
    from linker.config import EngineConfig

__all__ = ["CHECKPOINT_THRESHOLD", "SCRATCH", "ArrowFunction", "BatchFunction", "DuckDBEngine", "Engine",
           "EngineError", "TableKind", "as_engine", "compress_scratch", "open_database", "open_engine",
           "scratch_table", "table_exists"]


def as_engine(con: Engine | duckdb.DuckDBPyConnection) -> Engine:
    """``con`` itself when it is an engine, else the DuckDB engine of the connection ``con``.

    Stage functions accept either, so that a test (or a doctest) can hand them ``duckdb.connect()``.
    """
    return con if isinstance(con, Engine) else DuckDBEngine(con)


def open_engine(config: EngineConfig, folder: Path, *, scratch: Path | None = None,
                database: str = "work.duckdb") -> Engine:
    """The engine a run's configuration asks for, writing into ``folder`` (the run's staging folder).

    DuckDB: the run database ``folder/database`` with the scratch database at ``scratch``. Spark: a session on
    ``engine.spark.master`` whose intermediate tables go to ``engine.spark.staging`` (by default a folder in
    ``folder``).

    Raises
    ------
    EngineError
        Spark is selected but cannot start (see :func:`linker.engine.spark.start_session`).
    """
    if config.backend == "spark":
        from linker.engine.spark import SparkEngine

        return SparkEngine.start(config.spark, folder)
    return DuckDBEngine.open(folder / database, config, scratch=scratch)
