"""Writing results: atomic files (temporary name, then rename), spreadsheet-safe CSV, the run manifest."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

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


def export_table(con: duckdb.DuckDBPyConnection, query: str, target_stem: Path, formats: list[str], *,
                 ordered: bool = True) -> list[Path]:
    """Export the result of ``query`` as ``<stem>.parquet``, ``.csv`` and/or ``.jsonl``, each atomically.

    CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR, and not a plain
    number or phone number: :func:`csv_guarded`) are prefixed with a single quote; nested values (lists, structs, maps) are written as JSON text in CSV; an infinite or NaN
    floating-point value is written as null. With ``ordered`` false
    the rows may be written in any order: DuckDB's threads then write without waiting for each other (the 1M
    benchmark's aggregates, 52M rows to Parquet, took about a fifth less time).
    """
    with _insertion_order(con, ordered):
        return [_export_one(con, query, target_stem.with_suffix(f".{fmt}"), fmt) for fmt in formats]


@contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection, preserve: bool) -> Iterator[None]:
    """DuckDB's ``preserve_insertion_order`` set to ``preserve`` inside the block, as it was after it."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute(f"SET preserve_insertion_order = {str(preserve).lower()}")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(before)).lower()}")


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


def finite_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Wrap ``query`` so that its floating-point columns hold no infinity or NaN (null instead): JSON has no
    such values, and DuckDB would write ``Infinity``."""
    described = con.execute(f"DESCRIBE {query}").fetchall()
    if not any(dtype in ("DOUBLE", "FLOAT") for _, dtype, *_ in described):
        return query
    columns = [f"CASE WHEN isfinite({quote_ident(name)}) THEN {quote_ident(name)} END AS {quote_ident(name)}"
               if dtype in ("DOUBLE", "FLOAT") else quote_ident(name) for name, dtype, *_ in described]
    return f"SELECT {', '.join(columns)} FROM ({query})"


def csv_safe_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Wrap ``query`` so that its text cells cannot be run as spreadsheet formulas."""
    described = con.execute(f"DESCRIBE {query}").fetchall()
    columns = []
    for name, dtype, *_ in described:
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
