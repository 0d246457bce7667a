"""Read source files and DataFrames into raw DuckDB tables of text columns.

Each reader creates ``raw_<table>``: every source column as VARCHAR, plus ``_row`` (1-based record number) and
``_source`` (file name). Records the parser cannot split into the header's columns are returned as
:class:`MalformedRecord` for quarantine; nothing is dropped silently. Parsing and typing of values happens in
:mod:`linker.ingest`, in SQL, for every format alike.

Notes
-----
* CSV: ``_row`` counts well-formed records (header excluded); malformed records carry the parser's line
  number (the header is line 1; a quoted value spanning several lines counts as one).
* JSON Lines: one record per line, so ``_row`` is the line number; blank lines are not records.
* Text encodings other than UTF-8 (GB18030, GBK, UTF-16 ...) are transcoded to a UTF-8 copy in the work folder
  in one streaming pass; undecodable bytes stop the run with the file and line.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from linker.config import SourceConfig
from linker.errors import InputError
from linker.sql import quote_ident, quote_literal

_CHUNK = 1 << 24
_UNIT_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class MalformedRecord:
    """A record the parser could not read as a row of the header's columns."""

    line: int | None
    text: str
    message: str


@dataclass
class RawTable:
    """A source loaded as text columns, ready for validation."""

    table: str
    name: str
    source: str
    columns: list[str]
    malformed: list[MalformedRecord] = field(default_factory=list)
    is_view: bool = False

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Remove the raw table (or view) once it has been validated."""
        con.execute(f"DROP {'VIEW' if self.is_view else 'TABLE'} IF EXISTS {self.table}")


def source_columns(source: SourceConfig, frame: pd.DataFrame | None = None, *, sample_lines: int = 1000) -> list[str]:
    """The column names a source provides, read from its header (cheap; used to check the config).

    Raises
    ------
    InputError
        If the file is missing or its header cannot be read.
    """
    if frame is not None:
        return [str(c) for c in frame.columns]
    path = _existing(source)
    fmt = source.file_format
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as e:  # pyarrow raises several types for a non-Parquet file
            raise InputError(f"not a readable Parquet file: {e}", path=str(path)) from None
    if fmt == "jsonl":
        return _jsonl_keys(path, source.encoding, sample_lines)
    return _csv_header(path, source)


def load_raw(con: duckdb.DuckDBPyConnection, name: str, source: SourceConfig, *,
             frame: pd.DataFrame | None = None, workdir: Path) -> RawTable:
    """Create ``raw_<name>`` in ``con`` from a file or DataFrame and return its description."""
    table = f"raw_{name}"
    if frame is not None:
        return _load_frame(con, table, name, frame)
    path = _existing(source)
    fmt = source.file_format
    if fmt == "parquet":
        return _load_parquet(con, table, name, path)
    text_path = _utf8_path(path, source.encoding, workdir / f"{name}.utf8{path.suffix}")
    if fmt == "jsonl":
        return _load_jsonl(con, table, name, path, text_path)
    return _load_csv(con, table, name, path, text_path, source)


def _existing(source: SourceConfig) -> Path:
    if source.path is None:
        raise InputError("no path given and no DataFrame passed for this table")
    if not source.path.is_file():
        raise InputError("file not found; check the path in the config", path=str(source.path))
    return source.path


# ---------------------------------------------------------------------------------------------- encoding
def _utf8_path(path: Path, encoding: str, copy: Path) -> Path:
    """Check that ``path`` decodes; return it, or a UTF-8 copy when it is in another encoding."""
    name = codecs.lookup(encoding).name
    transcode = name not in ("utf-8", "utf-8-sig")
    decoder = codecs.getincrementaldecoder("utf-8-sig" if not transcode else name)(errors="strict")
    line = 1
    copy.parent.mkdir(parents=True, exist_ok=True)
    out = copy.open("w", encoding="utf-8", newline="") if transcode else None
    try:
        with path.open("rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as e:
                    bad = line + chunk[: max(e.start, 0)].count(b"\n")
                    raise InputError(
                        f"cannot decode the file as {encoding}: bytes {e.object[e.start:e.end]!r} are not valid; "
                        f"set `encoding` for this source (Chinese exports are often gb18030)",
                        path=str(path), line=bad) from None
                line += text.count("\n")
                if out is not None:
                    out.write(text)
                if not chunk:
                    break
    finally:
        if out is not None:
            out.close()
    return copy if transcode else path


# ---------------------------------------------------------------------------------------------- CSV
def _csv_header(path: Path, source: SourceConfig) -> list[str]:
    try:
        with path.open("r", encoding=source.encoding, newline="") as f:
            first = next(csv.reader(f, delimiter=source.delimiter), None)
    except UnicodeDecodeError:
        raise InputError(f"cannot decode the header as {source.encoding}; set `encoding` for this source",
                         path=str(path), line=1) from None
    if not first:
        raise InputError("the file is empty: a CSV file needs a header line", path=str(path), line=1)
    return _unique([c.strip().lstrip("\ufeff") for c in first])


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"column{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _load_csv(con: duckdb.DuckDBPyConnection, table: str, name: str, path: Path, text_path: Path,
              source: SourceConfig) -> RawTable:
    columns = _csv_header(text_path, source.model_copy(update={"encoding": "utf-8"}))
    spec = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in columns) + "}"
    rejects, scans = f"rejects_{name}", f"reject_scans_{name}"
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT *, row_number() OVER () AS _row, {quote_literal(path.name)} AS _source
            FROM read_csv({quote_literal(str(text_path))}, auto_detect = false, header = true,
                          columns = {spec}, delim = {quote_literal(source.delimiter)}, quote = '"', escape = '"',
                          store_rejects = true, rejects_table = {quote_literal(rejects)},
                          rejects_scan = {quote_literal(scans)}, max_line_size = 16777216)
        """)
    except duckdb.Error as e:
        raise InputError(f"cannot read as CSV: {_first_line(e)}", path=str(path)) from None
    malformed = [
        MalformedRecord(line=int(line) if line is not None else None, text=(text or "")[:2000],
                        message=f"{kind}: {message}")
        for line, text, kind, message in con.execute(
            f"SELECT line, csv_line, error_type, error_message FROM {rejects} ORDER BY line").fetchall()
    ]
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {scans}")
    return RawTable(table, name, path.name, columns, malformed)


# ---------------------------------------------------------------------------------------------- JSON Lines
def _jsonl_keys(path: Path, encoding: str, sample_lines: int) -> list[str]:
    import json

    keys: dict[str, None] = {}
    try:
        with path.open("r", encoding=encoding) as f:
            for i, text in enumerate(f):
                if i >= sample_lines:
                    break
                try:
                    record = json.loads(text) if text.strip() else {}
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    keys.update(dict.fromkeys(map(str, record)))
    except UnicodeDecodeError:
        raise InputError(f"cannot decode the file as {encoding}; set `encoding` for this source",
                         path=str(path)) from None
    return list(keys)


def _load_jsonl(con: duckdb.DuckDBPyConnection, table: str, name: str, path: Path, text_path: Path) -> RawTable:
    lines = f"lines_{name}"
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {lines} AS
            SELECT line, row_number() OVER () AS _row
            FROM read_csv({quote_literal(str(text_path))}, auto_detect = false, header = false,
                          columns = {{'line': 'VARCHAR'}}, delim = {quote_literal(_UNIT_SEPARATOR)},
                          quote = '', escape = '', max_line_size = 16777216, ignore_errors = false)
        """)
    except duckdb.Error as e:
        raise InputError(f"cannot read as JSON Lines: {_first_line(e)}", path=str(path)) from None
    con.execute(f"DELETE FROM {lines} WHERE line IS NULL OR trim(line) = ''")
    con.execute(f"ALTER TABLE {lines} ADD COLUMN ok BOOLEAN")
    con.execute(f"UPDATE {lines} SET ok = coalesce(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' END,"
                f" false)")
    columns = [k for (k,) in con.execute(f"""
        SELECT k FROM (
            SELECT k, min(_row * 1000000 + i) AS first
            FROM (SELECT unnest(json_keys(line)) AS k, unnest(range(len(json_keys(line)))) AS i, _row
                  FROM {lines} WHERE ok)
            GROUP BY k)
        ORDER BY first""").fetchall()]
    malformed = [MalformedRecord(int(row), (text or "")[:2000], "not a JSON object")
                 for row, text in con.execute(
                     f"SELECT _row, line FROM {lines} WHERE NOT ok ORDER BY _row").fetchall()]
    selects = ", ".join(f"{_json_field(k)} AS {quote_ident(k)}" for k in columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {selects + ',' if selects else ''} _row, {quote_literal(path.name)} AS _source
        FROM {lines} WHERE ok
    """)
    con.execute(f"DROP TABLE {lines}")
    return RawTable(table, name, path.name, columns, malformed)


def _json_field(key: str) -> str:
    """Text of one JSON key; arrays become ';'-joined text so multi-valued roles read alike in every format."""
    pointer = quote_literal("$." + '"' + key.replace('"', '\\"') + '"')
    return (f"CASE json_type(line -> {pointer}) "
            f"WHEN 'ARRAY' THEN array_to_string(from_json(line -> {pointer}, '[\"VARCHAR\"]'), ';') "
            f"WHEN 'NULL' THEN NULL ELSE line ->> {pointer} END")


# ---------------------------------------------------------------------------------------------- Parquet, frames
def _load_parquet(con: duckdb.DuckDBPyConnection, table: str, name: str, path: Path) -> RawTable:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})").fetchall()
        columns = [(c, t) for c, t, *_ in described]
        # a view: Parquet is columnar and fast to scan again, no need to copy it
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW {table} AS
            SELECT {_text_columns(columns)}, file_row_number + 1 AS _row, {quote_literal(path.name)} AS _source
            FROM read_parquet({quote_literal(str(path))}, file_row_number = true)
        """)
    except duckdb.Error as e:
        raise InputError(f"cannot read as Parquet: {_first_line(e)}", path=str(path)) from None
    return RawTable(table, name, path.name, [c for c, _ in columns], is_view=True)


def _load_frame(con: duckdb.DuckDBPyConnection, table: str, name: str, frame: pd.DataFrame) -> RawTable:
    view = f"frame_{name}"
    frame = frame.rename(columns=str)
    con.register(view, frame)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
        columns = [(c, t) for c, t, *_ in described]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT {_text_columns(columns)}, row_number() OVER () AS _row, '<dataframe>' AS _source FROM {view}
        """)
    finally:
        con.unregister(view)
    return RawTable(table, name, "<dataframe>", [c for c, _ in columns])


def _text_columns(columns: list[tuple[str, str]]) -> str:
    """Every column as text; list columns joined with ';' like multi-valued CSV cells."""
    parts = []
    for column, dtype in columns:
        q = quote_ident(column)
        if dtype.endswith("[]"):
            parts.append(f"array_to_string(CAST({q} AS VARCHAR[]), ';') AS {q}")
        else:
            parts.append(f"CAST({q} AS VARCHAR) AS {q}")
    return ", ".join(parts)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

