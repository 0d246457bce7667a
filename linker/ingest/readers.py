"""Read source files and DataFrames into raw tables of text columns, on DuckDB (here) or Spark
(:mod:`linker.ingest.spark_readers`, which shares the SQL of this module).

Each reader creates ``raw_<table>``: every source column as VARCHAR, plus ``_row`` (the record's number),
``_line`` (the line where a text record starts; null for Parquet and DataFrames) and ``_source`` (file name).
Records that cannot be read as a row of the header's columns go to ``malformed_<table>`` (``_row``, ``_line``,
``record``: the whole text, ``detail``: why), one row per record. :attr:`RawTable.records` is the number of
records the file holds, counted from the file, not by a parser: ingest checks that every one of them is accepted
or quarantined. Parsing and typing of values happens in :mod:`linker.ingest`, in SQL, for every format alike.

Notes
-----
* CSV and JSON Lines are framed into records by :mod:`linker.ingest.framing` (an unbalanced quote breaks its own
  record only), then split into fields in SQL. CSV: ``_row`` counts records (header and blank lines aside).
  JSON Lines: one record per line, ``_row`` is the line number; blank lines are not records.
* Column names are made unique regardless of case (DuckDB's are case-insensitive): a later ``NAME`` beside
  ``name`` is read as ``NAME_2``, an empty header as ``column<i>``; a source column named ``_row``, ``_line`` or
  ``_source`` is read as ``_row_2`` ...
* Text encodings other than UTF-8 (GB18030, GBK, UTF-16 ...) are transcoded to a UTF-8 copy in the work folder
  in one streaming pass; undecodable bytes stop the run with the file and line. In a UTF-8 file, a record with a
  few bytes that are not UTF-8 is quarantined (a file where many are is refused: it is in another encoding).
* Parquet: ``BINARY`` columns are decoded as UTF-8 text; a row holding bytes that are not is malformed. The
  record count comes from the file's metadata.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from linker.config import SourceConfig
from linker.engine import DuckDBEngine, Engine, as_engine
from linker.errors import InputError
from linker.ingest.framing import SCHEMA, Framing, frame_records, split_record
from linker.sql import quote_ident, quote_literal

_CHUNK = 1 << 24
_GROUP_BYTES = 1 << 28
"""Framed records handed to DuckDB at a time (a table its threads read in parallel)."""
RESERVED = ("_row", "_line", "_source")
"""Columns every raw table has; a source column of one of these names is renamed."""


@dataclass
class RawTable:
    """A source loaded as text columns, ready for validation."""

    table: str
    name: str
    source: str
    columns: list[str]
    records: int
    """Records the source holds, counted from the file (not by a parser)."""
    malformed: str
    """Table of the records that are not rows of the header's columns (``_row, _line, record, detail``)."""
    is_view: bool = False

    def drop(self, engine: Engine | duckdb.DuckDBPyConnection) -> None:
        """Remove the raw table (or view) and its tables once it has been validated."""
        as_engine(engine).drop(self.table, self.malformed, f"{self.table}_text", f"parsed_{self.name}")


def source_columns(source: SourceConfig, frame: pd.DataFrame | None = None, *, sample_lines: int = 1000) -> list[str]:
    """The column names a source provides, read from its header (cheap; used to check the config).

    Names are made unique as the readers make them (see the module notes).

    Raises
    ------
    InputError
        If the file is missing or its header cannot be read.
    """
    if frame is not None:
        return unique_names([str(c) for c in frame.columns])
    path = _existing(source)
    fmt = source.file_format
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return unique_names(list(pq.read_schema(path).names))
        except Exception as e:  # pyarrow raises several types for a non-Parquet file
            raise InputError(f"not a readable Parquet file: {e}", path=str(path)) from None
    if fmt == "jsonl":
        return [name for name, _ in json_columns(_jsonl_keys(path, source.encoding, sample_lines))]
    return _csv_header(path, source)


def load_raw(engine: Engine | duckdb.DuckDBPyConnection, name: str, source: SourceConfig, *,
             frame: pd.DataFrame | None = None, workdir: Path) -> RawTable:
    """Create ``raw_<name>`` and ``malformed_<name>`` in ``engine`` from a file or DataFrame; describe them.

    On Spark the files are read by the executors (:mod:`linker.ingest.spark_readers`); on DuckDB here, on one machine.
    """
    engine = as_engine(engine)
    if engine.name == "spark":
        from linker.engine.spark import SparkEngine
        from linker.ingest.spark_readers import load_raw_spark

        assert isinstance(engine, SparkEngine)
        return load_raw_spark(engine, name, source, frame=frame)
    assert isinstance(engine, DuckDBEngine)
    table = f"raw_{name}"
    con = engine.con
    if frame is not None:
        return _load_frame(con, table, name, frame)
    path = _existing(source)
    fmt = source.file_format
    if fmt == "parquet":
        return _load_parquet(con, table, name, path)
    text_path = _utf8_path(path, source.encoding, workdir / f"{name}.utf8{path.suffix}")
    if fmt == "jsonl":
        return _load_jsonl(engine, table, name, path, text_path)
    return _load_csv(engine, table, name, path, text_path, source)


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique regardless of case, none of :data:`RESERVED`, none empty.

    >>> unique_names(["name", "NAME", "", "_row", "name_2"])
    ['name', 'NAME_2', 'column3', '_row_2', 'name_2_2']
    """
    taken = {r.lower() for r in RESERVED}
    out = []
    for i, n in enumerate(names):
        n = n or f"column{i + 1}"
        candidate, k = n, 1
        while candidate.lower() in taken:
            k += 1
            candidate = f"{n}_{k}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def _existing(source: SourceConfig) -> Path:
    if source.path is None:
        raise InputError("no path given and no DataFrame passed for this table")
    if not source.path.is_file():
        raise InputError("file not found; check the path in the config", path=str(source.path))
    return source.path


# ---------------------------------------------------------------------------------------------- encoding
def _utf8_path(path: Path, encoding: str, copy: Path) -> Path:
    """``path`` when it is UTF-8 (checked record by record while framing), else a UTF-8 copy of it."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return path
    decoder = codecs.getincrementaldecoder(name)(errors="strict")
    line = 1
    copy.parent.mkdir(parents=True, exist_ok=True)
    with path.open("rb") as f, copy.open("w", encoding="utf-8", newline="") as out:
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
            except UnicodeError as e:   # e.g. UTF-16 without a byte order mark
                raise InputError(f"cannot decode the file as {encoding}: {e}; set `encoding` for this source "
                                 "(utf-16-le or utf-16-be when the file has no byte order mark)",
                                 path=str(path)) from None
            line += text.count("\n")
            out.write(text)
            if not chunk:
                break
    return copy


# ---------------------------------------------------------------------------------------------- framing
RECORDS = "SELECT rtrim(record, chr(13) || chr(10)) AS r, _row, _line, problem, quoted FROM {framed}"
"""The framed records (:data:`linker.ingest.framing.SCHEMA` in table ``framed``) as the readers' queries see them:
``rec`` (``r``: the record's text without its line break, ``_row``, ``_line``, ``problem``, ``quoted``)."""


def _records(engine: DuckDBEngine, name: str, path: Path, framing: Framing, select: Callable[[], str]) -> str:
    """Create ``parsed_<name>`` from the records of ``path`` and return its name: ``select()`` is a query over
    ``rec`` (see :data:`RECORDS`), built once the first chunk is framed (the header is then known). The records
    go to DuckDB a group of chunks at a time, as a table that its threads read in parallel."""
    parsed = f"parsed_{name}"
    view = f"framed_{name}"
    batches = frame_records(path, framing)
    group = list(itertools.islice(batches, 1))
    query = select()
    first = True
    while True:
        size = sum(b.nbytes for b in group)
        for batch in batches:
            group.append(batch)
            size += batch.nbytes
            if size >= _GROUP_BYTES:
                break
        engine.register_arrow(view, pa.Table.from_batches(group, SCHEMA))
        try:
            statement = f"WITH rec AS ({RECORDS.format(framed=view)}) {query}"
            if first:
                engine.create_table(parsed, statement)
            else:
                engine.insert(parsed, statement)
        finally:
            engine.drop(view)
        first = False
        if size < _GROUP_BYTES:
            break
        group = []
    framing.check(path)
    return parsed


def split_parsed(engine: Engine, parsed: str, table: str, name: str, columns: str, source: str) -> None:
    """Views over ``parsed``: ``malformed_<name>`` (the records with a ``detail``) and the raw table (the others,
    with ``columns``), so that the records are not copied again."""
    engine.create_view(f"malformed_{name}", f"SELECT _row, _line, record, detail FROM {parsed} "
                                            "WHERE detail IS NOT NULL")
    engine.create_view(table, f"SELECT {columns + ', ' if columns else ''}_row, _line, "
                              f"{quote_literal(source)} AS _source FROM {parsed} WHERE detail IS NULL")


# ---------------------------------------------------------------------------------------------- CSV
def _csv_header(path: Path, source: SourceConfig) -> list[str]:
    try:   # bytes of another encoding further on are the readers' to report, with their record
        with path.open("r", encoding=source.encoding, errors="replace", newline="") as f:
            first = next((row for row in csv.reader(f, delimiter=source.delimiter) if row), None)
    except UnicodeError:
        raise InputError(f"cannot decode the header as {source.encoding}; set `encoding` for this source",
                         path=str(path), line=1) from None
    except csv.Error as e:
        raise InputError(f"cannot read the header: {e}", path=str(path), line=1) from None
    if not first:
        raise InputError("the file is empty: a CSV file needs a header line", path=str(path), line=1)
    return unique_names([c.strip().lstrip("\ufeff") for c in first])


def _load_csv(engine: DuckDBEngine, table: str, name: str, path: Path, text_path: Path,
              source: SourceConfig) -> RawTable:
    """Frame the records, split each into fields in SQL (see :func:`csv_fields_query`)."""
    d = source.delimiter
    framing = Framing(quotes=True, delimiter=d.encode("utf-8"))
    columns: list[str] = []

    def select() -> str:
        columns.extend(csv_columns(framing.header, path))
        return csv_fields_query(columns, d)

    parsed = _records(engine, name, text_path, framing, select)
    split_parsed(engine, parsed, table, name, ", ".join(map(quote_ident, columns)), path.name)
    return RawTable(table, name, path.name, columns, framing.records, f"malformed_{name}", is_view=True)


def csv_columns(header: str | None, path: Path | str, delimiter: str = ",") -> list[str]:
    """The column names of a CSV header (the first record), made unique.

    Raises
    ------
    InputError
        If the file has no header (it is empty).
    """
    if header is None:
        raise InputError("the file is empty: a CSV file needs a header line", path=str(path), line=1)
    return unique_names([c.strip() for c in split_record(header, delimiter) or []])


def csv_fields_query(columns: list[str], delimiter: str) -> str:
    """SQL over ``rec``: each record split into the fields ``columns`` (the header's), or its ``detail``.

    A record is split on the delimiter when it holds no quote, else by a regular expression that must account
    for every character of the record. Columns: the fields, ``_row``, ``_line``, ``record`` (the text of a
    record with a detail), ``detail``.
    """
    d = delimiter
    field = f'"[^"]*(?:""[^"]*)*"|[^"{_re_class(d)}][^{_re_class(d)}]*|'
    # each match starts with a delimiter (one is put before the record), so that none is empty: DuckDB skips
    # a character after an empty match, and would lose the field after it
    pieces = f"regexp_extract_all({quote_literal(d)} || r, {quote_literal(f'{_re_escape(d)}({field})')}, 1)"
    unquote = "lambda f: CASE WHEN substr(f, 1, 1) = '\"' THEN replace(substr(f, 2, length(f) - 2), '\"\"', '\"') " \
              "ELSE f END"
    n = len(columns)
    values = "".join(f"CASE WHEN detail IS NULL THEN NULLIF(fields[{i + 1}], '') END AS {quote_ident(c)}, "
                     for i, c in enumerate(columns))
    return f"""
        SELECT {values}_row, _line, CASE WHEN detail IS NOT NULL THEN r END AS record, detail
        FROM (SELECT _row, _line, r, fields, CASE
                WHEN problem IS NOT NULL THEN problem
                WHEN fields IS NULL THEN 'a quoted value is not closed, or text follows its closing quote'
                WHEN len(fields) <> {n} THEN 'the record has ' || CAST(len(fields) AS VARCHAR) || ' fields, the header has {n}'
              END AS detail
              FROM (SELECT *, CASE
                      WHEN problem IS NOT NULL THEN []
                      WHEN NOT quoted THEN string_split(r, {quote_literal(d)})
                      WHEN array_to_string({pieces}, {quote_literal(d)}) = r
                           THEN list_transform({pieces}, {unquote})
                    END AS fields FROM rec))
    """


def _re_escape(char: str) -> str:
    return "\\" + char if not char.isalnum() else char


def _re_class(char: str) -> str:
    return "\\" + char if char in "\\]^-[" else char


# ---------------------------------------------------------------------------------------------- JSON Lines
def _jsonl_keys(path: Path, encoding: str, sample_lines: int) -> list[str]:
    import json

    keys: dict[str, None] = {}
    try:   # a line with bytes of another encoding is the readers' to quarantine
        with path.open("r", encoding=encoding, errors="replace") as f:
            for i, text in enumerate(f):
                if i >= sample_lines:
                    break
                try:
                    record = json.loads(text) if text.strip() else {}
                except (json.JSONDecodeError, RecursionError):
                    continue
                if isinstance(record, dict):
                    keys.update(dict.fromkeys(map(str, record)))
    except UnicodeError:
        raise InputError(f"cannot decode the file as {encoding}; set `encoding` for this source",
                         path=str(path)) from None
    return list(keys)


def json_columns(keys: list[str]) -> list[tuple[str, str]]:
    """(column name, JSON key) for each key, in first-seen order, names made unique."""
    return list(zip(unique_names(keys), keys))


JSONL_LINES = """
    SELECT _line AS _row, _line, CASE WHEN detail IS NOT NULL THEN r END AS record, detail,
           CASE WHEN detail IS NULL THEN r END AS line
    FROM (SELECT r, _line, CASE
            WHEN problem IS NOT NULL THEN problem
            WHEN NOT coalesce(CASE WHEN json_valid(r) THEN json_type(r) = 'OBJECT' END, false)
                THEN 'not a JSON object'
          END AS detail
          FROM rec WHERE trim(r, ' ' || chr(9) || chr(13)) <> '')
"""
"""DuckDB SQL over ``rec`` (see :data:`RECORDS`): the JSON Lines records that are not blank, numbered by their
line (``_row``, ``_line``), with ``record`` and ``detail`` when the line is not a JSON object, else its text
(``line``). The Spark reader runs it too, with DuckDB in its executors: see :mod:`linker.ingest.spark_readers`."""


def _load_jsonl(engine: DuckDBEngine, table: str, name: str, path: Path, text_path: Path) -> RawTable:
    framing = Framing(quotes=False)
    con = engine.con
    parsed = _records(engine, name, text_path, framing, lambda: JSONL_LINES)
    records = con.execute(f"SELECT count(*) FROM {parsed}").fetchall()[0][0]   # blank lines aside
    keys = [k for (k,) in con.execute(f"""
        SELECT k FROM (
            SELECT k, min(_row * 1000000 + i) AS first
            FROM (SELECT unnest(json_keys(line)) AS k, unnest(range(len(json_keys(line)))) AS i, _row
                  FROM parsed_{name} WHERE detail IS NULL)
            GROUP BY k)
        ORDER BY first""").fetchall()]
    columns = json_columns(keys)
    split_parsed(engine, parsed, table, name, json_fields(columns), path.name)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_text AS SELECT * FROM {table}")   # JSON parsed once
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {table}_text")
    return RawTable(table, name, path.name, [c for c, _ in columns], records, f"malformed_{name}", is_view=True)


def json_fields(columns: list[tuple[str, str]]) -> str:
    """DuckDB SQL over a JSON object ``line``: the text of each key as its column, for each (column, key)."""
    return ", ".join(f"{_json_field(key)} AS {quote_ident(column)}" for column, key in columns)


def _json_field(key: str) -> str:
    """Text of one JSON key; arrays become ';'-joined text so multi-valued roles read alike in every format.

    The key is named by a JSON Pointer, which names any key (``$.""``, the empty key as a JSON path, is refused).
    """
    pointer = quote_literal("/" + key.replace("~", "~0").replace("/", "~1"))
    return (f"CASE json_type(line -> {pointer}) "
            f"WHEN 'ARRAY' THEN array_to_string(from_json(line -> {pointer}, '[\"VARCHAR\"]'), ';') "
            f"WHEN 'NULL' THEN NULL ELSE line ->> {pointer} END")


# ---------------------------------------------------------------------------------------------- Parquet, frames
def _load_parquet(con: duckdb.DuckDBPyConnection, table: str, name: str, path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        records, names = parquet.metadata.num_rows, unique_names(parquet.schema_arrow.names)
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})").fetchall()
    except (duckdb.Error, pa.ArrowException, OSError) as e:
        raise InputError(f"cannot read as Parquet: {_first_line(e)}", path=str(path)) from None
    columns = [(c, t, n) for (c, t, *_), n in zip(described, names)]   # DuckDB's names: its own renaming
    source = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    binary = [c for c, t, _ in columns if t == "BLOB"]
    texts = _text_columns(columns)
    if not binary:   # a view: Parquet is columnar and fast to scan again, no need to copy it
        no_malformed(con, name)
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW {table} AS
            SELECT {texts}, file_row_number + 1 AS _row, CAST(NULL AS BIGINT) AS _line,
                   {quote_literal(path.name)} AS _source
            FROM {source}
        """)
        return RawTable(table, name, path.name, [n for _, _, n in columns], records, f"malformed_{name}",
                        is_view=True)
    undecodable = " || ".join(
        f"CASE WHEN {quote_ident(c)} IS NOT NULL AND try(decode({quote_ident(c)})) IS NULL "
        f"THEN {quote_literal(f'column {c} holds bytes that are not UTF-8; ')} ELSE '' END" for c in binary)
    record = "to_json({" + ", ".join(f"{quote_literal(c)}: CAST({quote_ident(c)} AS VARCHAR)"
                                     for c, _, _ in columns) + "})"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE parsed_{name} AS
        SELECT *, file_row_number + 1 AS _row, CAST(NULL AS BIGINT) AS _line,
               NULLIF(rtrim({undecodable}, '; '), '') AS detail FROM {source}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW malformed_{name} AS
        SELECT _row, _line, CAST({record} AS VARCHAR) AS record, detail FROM parsed_{name} WHERE detail IS NOT NULL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {texts}, _row, _line, {quote_literal(path.name)} AS _source FROM parsed_{name} WHERE detail IS NULL
    """)
    return RawTable(table, name, path.name, [n for _, _, n in columns], records, f"malformed_{name}")


def _load_frame(con: duckdb.DuckDBPyConnection, table: str, name: str, frame: pd.DataFrame) -> RawTable:
    view = f"frame_{name}"
    names = unique_names([str(c) for c in frame.columns])
    frame = frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1)
    con.register(view, frame)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
        columns = [(c, t, n) for (c, t, *_), n in zip(described, names)]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT {_text_columns(columns) + ',' if columns else ''} row_number() OVER () AS _row,
                   CAST(NULL AS BIGINT) AS _line, '<dataframe>' AS _source FROM {view}
        """)
    finally:
        con.unregister(view)
    no_malformed(con, name)
    return RawTable(table, name, "<dataframe>", names, len(frame), f"malformed_{name}")


def no_malformed(engine: Engine | duckdb.DuckDBPyConnection, name: str) -> None:
    """An empty ``malformed_<name>``, for sources whose every row is a row of their columns."""
    as_engine(engine).create_view(
        f"malformed_{name}", "SELECT CAST(NULL AS BIGINT) AS _row, CAST(NULL AS BIGINT) AS _line, "
        "CAST(NULL AS VARCHAR) AS record, CAST(NULL AS VARCHAR) AS detail WHERE false")


def _text_columns(columns: list[tuple[str, str, str]]) -> str:
    """Every column as text under its unique name; lists joined with ';' like multi-valued CSV cells, binary
    values decoded as UTF-8."""
    parts = []
    for column, dtype, name in columns:
        q, alias = quote_ident(column), quote_ident(name)
        if dtype.endswith("[]"):
            parts.append(f"array_to_string(CAST({q} AS VARCHAR[]), ';') AS {alias}")
        elif dtype == "BLOB":
            parts.append(f"try(decode({q})) AS {alias}")
        else:
            parts.append(f"CAST({q} AS VARCHAR) AS {alias}")
    return ", ".join(parts)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
