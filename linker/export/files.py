"""Writing results: atomic files (temporary name, then rename), spreadsheet-safe CSV, the run manifest.

:func:`export_table` writes from an engine. DuckDB writes one file per format. Spark writes Parquet as a dataset:
a folder ``<stem>.parquet/`` of part files, one per task (DuckDB's ``read_parquet('<stem>.parquet/*.parquet')``,
pyarrow's ``read_table`` and Spark read it whole); CSV and JSON Lines, which people open in a spreadsheet or an
editor, as one file each, written by one task. The driver holds no rows either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb

from linker.engine import Engine, as_engine
from linker.engine.duckdb import setting
from linker.sql import quote_ident, quote_literal

_FORMULA_START = "^[=+@\t\r-]"
_PLAIN_NUMBER = "^[+-]?[0-9][0-9 ().-]*$"
"""A signed number or phone number (+8613188271462, -12.5, +86 (21) 5555-0100): it starts like a formula but
calls nothing, so it is written as it is (a guard quote would change the value)."""


def csv_guarded(text: str) -> str:
    """A text cell a spreadsheet cannot run as a formula: a leading ``'`` when it starts with ``= + - @``, tab
    or CR, unless it is a plain number or phone number.

    >>> csv_guarded("=HYPERLINK(1)"), csv_guarded("+8613188271462"), csv_guarded("-1+cmd|x")
    ("'=HYPERLINK(1)", '+8613188271462', "'-1+cmd|x")
    """
    if re.match(_FORMULA_START, text) and not re.match(_PLAIN_NUMBER, text):
        return "'" + text
    return text
"""A cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a carriage return."""


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it to ``target`` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_json(target: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    return write_text(target, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def export_table(engine: Engine | duckdb.DuckDBPyConnection, query: str, target_stem: Path, formats: list[str],
                 *, ordered: bool = True) -> list[Path]:
    """Export the result of ``query`` as ``<stem>.parquet``, ``.csv`` and/or ``.jsonl``, each atomically.

    CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR, and not a plain
    number or phone number: :func:`csv_guarded`) are prefixed with a single quote; nested values (lists,
    structs, maps) are written as JSON text in CSV; an infinite or NaN floating-point value is written as null.
    With ``ordered`` false the rows may be written in any order: DuckDB's threads then write without waiting
    for each other, which makes large unsorted tables quicker to write. On Spark, ``<stem>.parquet`` is a
    folder of part files (see the module docstring).
    """
    engine = as_engine(engine)
    if engine.name != "duckdb":
        return [_export_dataset(engine, query, target_stem.with_suffix(f".{fmt}"), fmt) for fmt in formats]
    con: duckdb.DuckDBPyConnection = engine.con  # type: ignore[attr-defined]
    with setting(con, "preserve_insertion_order", ordered):
        return [_export_one(con, query, target_stem.with_suffix(f".{fmt}"), fmt) for fmt in formats]


def _export_dataset(engine: Engine, query: str, target: Path, fmt: str) -> Path:
    """One output written by an engine that writes in parallel (Spark), through :meth:`write_output`."""
    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}")
    columns = engine.columns(query)
    query = finite_select(query, columns)
    if fmt == "csv":
        query = csv_safe_select(query, columns)
    engine.write_output(query, target, fmt, single_file=fmt != "parquet")
    return target


def _export_one(con: duckdb.DuckDBPyConnection, query: str, target: Path, fmt: str) -> Path:
    query = finite_query(con, query)
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            # zstd at level 1: a third faster to write than the default level, files a tenth larger
            con.execute(f"COPY ({query}) TO {quote_literal(str(tmp))} "
                        "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)")
        elif fmt == "csv":
            con.execute(f"COPY ({csv_safe_query(con, query)}) TO {quote_literal(str(tmp))} (HEADER, DELIMITER ',')")
        elif fmt == "jsonl":
            con.execute(f"COPY ({query}) TO {quote_literal(str(tmp))} (FORMAT json)")
        else:
            raise ValueError(f"unknown export format {fmt!r}")
    return target


class ParquetAppender:
    """One Parquet file written query after query, each query's rows appended as they stream out of DuckDB.

    Used as a context manager: the file is written under a temporary name beside ``target`` and renamed to it
    when the block ends without an error (removed otherwise). Every query must give the same columns; infinite or
    NaN floating-point values are written as null, as :func:`export_table` writes them. The rows are never stored
    in the database, and one file grows part after part.

    Arrow's writer encodes the batches (zstd level 1; a dictionary for text columns only, where values repeat) in
    a thread of its own, up to :attr:`QUEUE_BATCHES` behind: DuckDB computes the next batch, or the caller's next
    statements, meanwhile. :meth:`append` returns once its rows are fetched, not written; an error of the
    writer is raised by the next :meth:`append` or when the block ends.

    Examples
    --------
    >>> import duckdb, tempfile, pyarrow.parquet as pq
    >>> con = duckdb.connect()
    >>> target = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> with ParquetAppender(target) as out:
    ...     out.append(con, "SELECT 1 AS x"), out.append(con, "SELECT 2 AS x")
    (1, 1)
    >>> pq.read_table(target).column("x").to_pylist()
    [1, 2]
    """

    BATCH_ROWS = 122_880
    """Rows per batch fetched from DuckDB (a row group of the file, at most; DuckDB's own row group size)."""

    QUEUE_BATCHES = 4
    """Batches fetched ahead of the writer, at most (the memory the overlap costs)."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self._tmp = self.target.with_name(f".{self.target.name}.tmp-{os.getpid()}")
        self._batches: queue.Queue[Any] = queue.Queue(maxsize=self.QUEUE_BATCHES)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._cancelled = False

    def __enter__(self) -> Self:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        return self

    def append(self, con: duckdb.DuckDBPyConnection, query: str) -> int:
        """Append the rows of ``query`` (handed to the writer thread); return how many."""
        relation = con.sql(finite_query(con, query))   # DuckDB 1.4 names it fetch_arrow_reader, later ones to_arrow_reader
        fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
        reader = fetch(self.BATCH_ROWS)
        if self._thread is None:
            self._start(reader.schema)
        rows = 0
        for batch in reader:
            self._raise_writer_error()
            self._batches.put(batch)
            rows += batch.num_rows
        return rows

    def _start(self, schema: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def is_text(t: Any) -> bool:
            return bool(pa.types.is_string(t) or pa.types.is_large_string(t))

        # float and integer columns rarely repeat: trying a dictionary on them costs time and saves nothing
        text = [f.name for f in schema if is_text(f.type)]
        text += [f"{f.name}.list.element" for f in schema if pa.types.is_list(f.type) and is_text(f.type.value_type)]
        writer = pq.ParquetWriter(self._tmp, schema, compression="zstd", compression_level=1, use_dictionary=text)
        self._thread = threading.Thread(target=self._write, args=(writer,), name="parquet-appender", daemon=True)
        self._thread.start()

    def _write(self, writer: Any) -> None:
        """The writer thread: write batches until the end mark (None); after an error, only drain the queue."""
        try:
            while (batch := self._batches.get()) is not None:
                if self._error is None and not self._cancelled:
                    try:
                        writer.write_batch(batch, row_group_size=self.BATCH_ROWS)
                    except Exception as error:  # noqa: BLE001 -- any error is handed to the caller's thread
                        self._error = error
        finally:
            try:
                writer.close()
            except Exception as error:  # noqa: BLE001 -- as above
                self._error = self._error or error

    def _raise_writer_error(self) -> None:
        if self._error is not None:
            raise self._error

    def __exit__(self, kind: object, *exc: object) -> None:
        try:
            if self._thread is not None:
                self._cancelled = kind is not None
                self._batches.put(None)
                self._thread.join()
            if kind is None:
                self._raise_writer_error()
                if self._thread is None:
                    raise ValueError(f"nothing was appended to {self.target}")
                os.replace(self._tmp, self.target)
        finally:
            self._tmp.unlink(missing_ok=True)


def finite_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Wrap ``query`` so that its floating-point columns hold no infinity or NaN (null instead): JSON has no
    such values, and DuckDB would write ``Infinity``."""
    return finite_select(query, [(name, dtype) for name, dtype, *_ in con.execute(f"DESCRIBE {query}").fetchall()])


def finite_select(query: str, described: list[tuple[str, str]]) -> str:
    """:func:`finite_query` for a query whose (column, DuckDB type) are ``described``."""
    if not any(dtype in ("DOUBLE", "FLOAT") for _, dtype in described):
        return query
    columns = [f"CASE WHEN isfinite({quote_ident(name)}) THEN {quote_ident(name)} END AS {quote_ident(name)}"
               if dtype in ("DOUBLE", "FLOAT") else quote_ident(name) for name, dtype in described]
    return f"SELECT {', '.join(columns)} FROM ({query})"


def csv_safe_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Wrap ``query`` so that its text cells cannot be run as spreadsheet formulas."""
    return csv_safe_select(query, [(name, dtype) for name, dtype, *_ in con.execute(f"DESCRIBE {query}").fetchall()])


def csv_safe_select(query: str, described: list[tuple[str, str]]) -> str:
    """:func:`csv_safe_query` for a query whose (column, DuckDB type) are ``described``."""
    columns = []
    for name, dtype in described:
        q = quote_ident(name)
        if dtype == "VARCHAR":
            columns.append(f"{_neutralize(q)} AS {q}")
        elif dtype == "JSON":   # JSON text already: to_json would parse it and write it again
            columns.append(f"{_neutralize(f'CAST({q} AS VARCHAR)')} AS {q}")
        elif dtype.endswith("]") or dtype.startswith(("STRUCT", "MAP")):
            columns.append(f"{_neutralize(f'CAST(to_json({q}) AS VARCHAR)')} AS {q}")
        else:
            columns.append(q)
    return f"SELECT {', '.join(columns)} FROM ({query})"


def _neutralize(expr: str) -> str:
    # a regular expression, not IN: DuckDB rewrites an IN list of six constants into a join, which does not
    # keep the rows' order (a CSV of the 1M profiles came out with 218 places out of customer order)
    return (f"CASE WHEN regexp_matches({expr}, {quote_literal(_FORMULA_START)}) AND NOT regexp_matches({expr}, "
            f"{quote_literal(_PLAIN_NUMBER)}) THEN '''' || {expr} ELSE {expr} END")


def file_checksum(path: Path, *, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
