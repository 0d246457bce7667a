"""Customer parts: the enrichment's large per-customer statements run on one range of customers at a time.

Every aggregate and profile row belongs to one customer, so a statement restricted to a range of customers
gives exactly the rows the whole statement would give for them. Working part by part keeps each statement's
hash tables within the memory limit: at scale the whole-table statements spill to disk and cost more per row
the larger they get. Parts are contiguous ``customer_id`` ranges (not hashes), so that rows
appended part after part, each part sorted, make a table sorted by customer without a global sort, and a
range filter on such a table skips the other parts' row groups.

The attributed events, read by every part, are written once into one folder per part (:func:`write_parts`, the
layout Spark's ``partitionBy`` gives), so that each part reads its own events only.

Parts bound DuckDB's memory on one machine. A Spark engine spreads every statement over its executors by
itself, so on Spark the customers are one part (:func:`customer_parts`) and the events one table.

Examples
--------
>>> CustomerPart(None, None).where()
'TRUE'
>>> CustomerPart("C05", None).where("e.customer_id")
"e.customer_id >= 'C05'"
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import duckdb

from linker.engine import Engine, TableKind, as_engine
from linker.engine.duckdb import setting
from linker.sql import quote_literal


@dataclass(frozen=True)
class CustomerPart:
    """Customers with ``low <= customer_id < high`` (``None``: unbounded on that side)."""

    low: str | None
    high: str | None

    def where(self, column: str = "customer_id") -> str:
        """The SQL predicate selecting this part's rows by ``column``."""
        bounds = ([f"{column} >= {quote_literal(self.low)}"] if self.low is not None else []) + \
                 ([f"{column} < {quote_literal(self.high)}"] if self.high is not None else [])
        return " AND ".join(bounds) or "TRUE"


WHOLE = CustomerPart(None, None)
"""Every customer: one part."""


def write_part(engine: Engine, table: str, query: str, first: bool, *, kind: TableKind = "table") -> None:
    """Put a part's rows (``query``) in ``table``: the first part creates it, the next ones append.

    >>> from linker.engine import DuckDBEngine
    >>> engine = DuckDBEngine(duckdb.connect())
    >>> write_part(engine, "t", "SELECT 1 AS x", True); write_part(engine, "t", "SELECT 2", False)
    >>> engine.rows("SELECT x FROM t ORDER BY x")
    [(1,), (2,)]
    """
    if first:
        engine.create_table(table, query, kind=kind)
    else:
        engine.insert(table, query)


def customer_parts(engine: Engine | duckdb.DuckDBPyConnection, events: int,
                   events_per_part: int) -> list[CustomerPart]:
    """Split the customers into ranges of about equal size, as many as ``events / events_per_part`` (at least one).

    The boundaries are quantiles of the ``customers`` table's ids; the parts cover every id, including ids of
    events whose customer is not in ``customers``. On an engine other than DuckDB, one part (see the module
    docstring).
    """
    engine = as_engine(engine)
    count = max(1, math.ceil(events / max(1, events_per_part)))
    if count == 1 or engine.name != "duckdb":
        return [WHOLE]
    fractions = ", ".join(f"{i / count:.6f}" for i in range(1, count))
    bounds = engine.scalar(f"SELECT quantile_disc(customer_id, [{fractions}]) FROM customers")
    edges = sorted(set(b for b in bounds or [] if b is not None))
    lows: list[str | None] = [None, *edges]
    highs: list[str | None] = [*edges, None]
    return [CustomerPart(low, high) for low, high in zip(lows, highs)]


def part_number(parts: list[CustomerPart], column: str = "customer_id") -> str:
    """SQL: the index in ``parts`` of the part holding ``column`` (parts as made by :func:`customer_parts`).

    >>> part_number([CustomerPart(None, "C05"), CustomerPart("C05", None)])
    "CASE WHEN customer_id < 'C05' THEN 0 ELSE 1 END"
    """
    branches = " ".join(f"WHEN {column} < {quote_literal(p.high)} THEN {i}"
                        for i, p in enumerate(parts) if p.high is not None)
    return f"CASE {branches} ELSE {len(parts) - 1} END" if branches else "0"


def merge_parts(parts: Sequence[CustomerPart], count: int) -> list[CustomerPart]:
    """``parts`` (contiguous ranges, in order) joined into ``count`` ranges (at least one, at most as many as
    ``parts``) of about as many parts each.

    >>> merge_parts([CustomerPart(None, "C1"), CustomerPart("C1", "C2"), CustomerPart("C2", None)], 2)
    [CustomerPart(low=None, high='C1'), CustomerPart(low='C1', high=None)]
    >>> merge_parts([CustomerPart(None, "C1"), CustomerPart("C1", None)], 5) == [CustomerPart(None, "C1"),
    ...                                                                        CustomerPart("C1", None)]
    True
    """
    count = max(1, min(count, len(parts)))
    ends = [len(parts) * i // count for i in range(count + 1)]
    return [CustomerPart(parts[a].low, parts[b - 1].high) for a, b in pairwise(ends)]


PARTITION_FLUSH_ROWS = 2 * 122_880
"""Rows :func:`write_parts` lets DuckDB hold per part before writing them out: two row groups. DuckDB's default
(524,288) holds a dozen parts' rows, and the threads', in memory at once, near the memory limit: the write then
runs slower than it does holding less, and the files' row groups are as large either way."""


def write_parts(engine: Engine | duckdb.DuckDBPyConnection, query: str, parts: list[CustomerPart],
                folder: Path) -> int:
    """Write the rows of ``query`` (which has a ``customer_id`` column) as Parquet into ``folder``, one
    subfolder per part (``_part=<index>``); return the number of rows. ``folder`` is emptied first.

    Read back with ``read_parquet('<folder>/*/*.parquet')``, a part's range filter reads its own files only:
    the reader skips every row group whose ``customer_id`` bounds lie outside the range. In one unsorted table
    every part scans every row, which grows with parts x rows; sorting that table instead cost more than the
    scans it saved (and memory). The write is one pass, streamed. DuckDB only: other engines keep one part.
    """
    engine = as_engine(engine)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con: duckdb.DuckDBPyConnection = engine.con  # type: ignore[attr-defined]
    with setting(con, "partitioned_write_flush_threshold", PARTITION_FLUSH_ROWS):
        return int(engine.scalar(f"""
            COPY (SELECT *, {part_number(parts)} AS _part FROM ({query}))
            TO {quote_literal(folder.as_posix())}
            (FORMAT parquet, PARTITION_BY (_part), COMPRESSION zstd, COMPRESSION_LEVEL 1)
        """))


def read_parts(folder: Path) -> str:
    """SQL reading back the rows written by :func:`write_parts` (without the part column)."""
    return f"read_parquet({quote_literal((folder / '*' / '*.parquet').as_posix())}, hive_partitioning = false)"
