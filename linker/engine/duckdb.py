"""The DuckDB engine: the run's database, one file per run, with memory bounded and spilling to disk beyond it.

linker's SQL is written in DuckDB's spelling, so this engine runs every statement as it is written. Results of the
run are tables of the run database (``work.duckdb``); intermediates are ``TEMP`` tables, and the big ones
(the event tables) tables of the attached :data:`SCRATCH` database, which DuckDB can drop from memory and read
back.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linker.config import EngineConfig
from linker.engine.base import ArrowFunction, BatchFunction, Engine, TableKind
from linker.sql import quote_ident, quote_literal

SCRATCH = "scratch"
"""A database attached to every run database for the big temporary tables (the event tables, the attributed
events), compressed: a file the caller deletes after closing the connection (the pipeline's ``.work/``), or in
memory, gone when the connection closes. Unqualified names find its tables (search path)."""


CHECKPOINT_THRESHOLD = "1GB"
"""Write-ahead log a run database may hold before DuckDB checkpoints it (16MB by default).

An insert smaller than a row group (122,880 rows) goes through the log; the enrichment inserts each customer
part's profiles and signals that way. With the default, DuckDB checkpoints the whole database, single-threaded,
after nearly every part. A run database is built from nothing and read by nobody else until the run closes it,
so nothing is gained by checkpointing it often; the bound keeps the log, and the rows waiting for the
checkpoint, small."""


def open_database(path: Path | str, engine: EngineConfig | None = None, *, read_only: bool = False,
                  scratch: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (or create) the run database at ``path`` with the configured resources.

    ``preserve_insertion_order`` stays on: row numbers of source files are taken in scan order. A writable
    database is checkpointed when closed and when its log passes :data:`CHECKPOINT_THRESHOLD`, not at 16MB. The
    :data:`SCRATCH` database is attached: the file ``scratch`` (created, or emptied if it exists), else an
    in-memory one. Prefer a file for big runs: DuckDB can drop a file's blocks from memory when it needs room and
    read them back, where an in-memory database's blocks must first be written to the spill folder. Unless
    ``engine.huge_pages``, transparent huge pages are turned off for the process (:func:`disable_huge_pages`).
    """
    engine = engine or EngineConfig()
    if not engine.huge_pages:
        disable_huge_pages()
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


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: bool | int) -> Iterator[None]:
    """DuckDB's setting ``name`` set to ``value`` inside the block, and as it was after it (after an error too).

    >>> con = duckdb.connect()
    >>> with setting(con, "preserve_insertion_order", False):
    ...     con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    [(False,)]
    >>> con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    [(True,)]
    """
    def spelled(v: bool | int) -> str:
        return str(v).lower() if isinstance(v, bool) else str(int(v))

    before = con.execute(f"SELECT current_setting({quote_literal(name)})").fetchall()[0][0]
    con.execute(f"SET {name} = {spelled(value)}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {spelled(before)}")


PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42


def disable_huge_pages() -> bool:
    """Turn transparent huge pages off for this process and the processes it starts (Linux ``prctl``); return
    whether they are off. Elsewhere, or when the call fails, nothing changes.

    DuckDB advises the kernel to back its buffers with huge pages. The kernel then zeroes a whole 2 MB page at
    the first touch of any byte of it, and a query that allocates and frees buffers pays that zeroing on every
    new buffer; with 4 KB pages only the bytes touched are zeroed.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0


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


def table_location(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str] | None:
    """(qualified name, ``TABLE`` or ``VIEW``) of the relation an unqualified ``name`` finds: temporary objects
    first, then the main schema, then :data:`SCRATCH`; None when there is none."""
    found = con.execute("""
        SELECT database_name, schema_name, kind FROM (
            SELECT database_name, schema_name, 'TABLE' AS kind, temporary FROM duckdb_tables() WHERE table_name = $1
            UNION ALL
            SELECT database_name, schema_name, 'VIEW', temporary FROM duckdb_views()
            WHERE view_name = $1 AND NOT internal)
        WHERE schema_name = 'main'
        ORDER BY NOT temporary, database_name = $2, database_name
        LIMIT 1""", [name, SCRATCH]).fetchall()
    if not found:
        return None
    database, schema, kind = found[0]
    return f"{quote_ident(database)}.{quote_ident(schema)}.{quote_ident(name)}", kind


class DuckDBEngine(Engine):
    """The engine of one machine: every statement runs as written on one DuckDB connection.

    Parameters
    ----------
    con
        The connection: the run database of :func:`open_database`, or any DuckDB connection (a test's
        ``duckdb.connect()``).

    Examples
    --------
    >>> engine = DuckDBEngine(duckdb.connect())
    >>> engine.create_table("t", "SELECT range AS n FROM range(3)")
    >>> engine.delete_where("t", "n = 1")
    >>> engine.rows("SELECT n FROM t ORDER BY n")
    [(0,), (2,)]
    """

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._registered: set[str] = set()
        self._names = itertools.count()

    @classmethod
    def open(cls, path: Path | str, config: EngineConfig | None = None, *, scratch: Path | str | None = None,
             read_only: bool = False) -> DuckDBEngine:
        """The engine of the run database at ``path`` (see :func:`open_database`)."""
        return cls(open_database(path, config, scratch=scratch, read_only=read_only))

    # ------------------------------------------------------------------------------------------ tables
    def create_table(self, name: str, query: str, *, kind: TableKind = "temp") -> None:
        self._replace(name)
        self.con.execute(f"CREATE OR REPLACE {self._target(name, kind)} AS {query}")

    def create_view(self, name: str, query: str) -> None:
        self._replace(name, keep="VIEW")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")

    def create_empty(self, name: str, columns: Sequence[tuple[str, str]], *, kind: TableKind = "temp") -> None:
        self._replace(name)
        typed = ", ".join(f"{quote_ident(c)} {t}" for c, t in columns)
        self.con.execute(f"CREATE OR REPLACE {self._target(name, kind)} ({typed})")

    def _target(self, name: str, kind: TableKind) -> str:
        if kind == "scratch":
            return scratch_table(self.con, name)
        return f"TABLE {name}" if kind == "table" else f"TEMP TABLE {name}"

    def _replace(self, name: str, keep: str = "TABLE") -> None:
        """Drop ``name`` first when it is a relation of another kind (a view replaced by a table ...)."""
        if name in self._registered:
            self.drop(name)
            return
        location = table_location(self.con, name)
        if location and location[1] != keep:
            self.con.execute(f"DROP {location[1]} {location[0]}")

    def insert(self, name: str, query: str, *, by_name: bool = False) -> None:
        self.con.execute(f"INSERT INTO {name} {'BY NAME ' if by_name else ''}{query}")

    def delete_where(self, name: str, condition: str, *, alias: str | None = None) -> None:
        self.con.execute(f"DELETE FROM {name} {alias or ''} WHERE {condition}")

    def update(self, name: str, assignments: Mapping[str, str], *, where: str | None = None,
               source: str | None = None, on: Sequence[str] = ()) -> None:
        sets = ", ".join(f"{quote_ident(c)} = {e}" for c, e in assignments.items())
        conditions = ([where] if where else []) + [f"t.{quote_ident(c)} = f.{quote_ident(c)}" for c in on]
        self.con.execute(f"UPDATE {name} AS t SET {sets}" + (f" FROM ({source}) f" if source else "")
                         + (f" WHERE {' AND '.join(conditions)}" if conditions else ""))

    def drop_columns(self, name: str, columns: Sequence[str]) -> None:
        for column in columns:
            self.con.execute(f"ALTER TABLE {name} DROP COLUMN {quote_ident(column)}")

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.con.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def drop(self, *names: str) -> None:
        for name in names:
            if name in self._registered:
                self.con.unregister(name)
                self._registered.discard(name)
                continue
            location = table_location(self.con, name)
            if location:
                self.con.execute(f"DROP {location[1]} {location[0]}")

    def exists(self, name: str) -> bool:
        return name in self._registered or table_location(self.con, name) is not None

    def tables(self) -> list[str]:
        return [name for (name,) in self.con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal "
            "ORDER BY table_name").fetchall()]

    def is_view(self, name: str) -> bool:
        location = table_location(self.con, name.split(".")[-1].strip('"'))
        return name in self._registered or (location is not None and location[1] == "VIEW")

    def columns(self, name: str) -> list[tuple[str, str]]:
        relation = f"({name})" if " " in name.strip() else name
        return [(c, t) for c, t, *_ in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]

    # ------------------------------------------------------------------------------------------ results
    def rows(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params).fetchall() if params else self.con.execute(query).fetchall()

    def arrow(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def batches(self, query: str, *, rows_per_batch: int = 1 << 17) -> Iterator[pa.RecordBatch]:
        yield from self.con.sql(query).to_arrow_reader(rows_per_batch)

    # ------------------------------------------------------------------------------------------ Python steps
    def register_arrow(self, name: str, data: pa.Table) -> None:
        self.drop(name)
        self.con.register(name, data)
        self._registered.add(name)

    def register_function(self, function: ArrowFunction) -> None:
        try:
            self.con.remove_function(function.name)
        except duckdb.InvalidInputException:
            pass
        self.con.create_function(function.name, function.function, list(function.arguments), function.returns,
                                 type="arrow", null_handling="special", side_effects=False)

    def map_batches(self, name: str, query: str, function: BatchFunction, schema: pa.Schema, *,
                    kind: TableKind = "temp") -> None:
        # The input is read whole before the output is written: a connection runs one statement at a time.
        batches = self.con.sql(query).to_arrow_table().to_batches(max_chunksize=1 << 16)
        outputs = pa.RecordBatchReader.from_batches(schema, _outputs(function, batches, schema))
        view = f"_linker_batches_{next(self._names)}"
        self.con.register(view, outputs)
        try:
            self.create_table(name, f"SELECT * FROM {view}", kind=kind)
        finally:
            self.con.unregister(view)

    # ------------------------------------------------------------------------------------------ files
    def write_parquet(self, query: str, path: Path | str) -> int:
        rows = self.con.execute(f"COPY ({query}) TO {quote_literal(str(path))} (FORMAT parquet)").fetchall()
        return int(rows[0][0]) if rows else 0

    def read_parquet(self, name: str, path: Path | str, *, kind: TableKind = "temp") -> None:
        self.create_table(name, f"SELECT * FROM read_parquet({quote_literal(str(path))})", kind=kind)

    # ------------------------------------------------------------------------------------------ life
    def compact(self) -> None:
        compress_scratch(self.con)

    def close(self) -> None:
        self.con.close()


def _outputs(function: BatchFunction, batches: Iterable[pa.RecordBatch], schema: pa.Schema
             ) -> Iterator[pa.RecordBatch]:
    """The batches of ``schema`` a step gives for each input batch (a batch, a table or an iterator of them)."""
    for batch in batches:
        out = function(batch)
        parts = out.to_batches() if isinstance(out, pa.Table) else [out] if isinstance(out, pa.RecordBatch) else out
        for part in parts:
            yield part.cast(schema) if part.schema != schema else part
