"""Read source files into raw tables on Spark: the executors read the files, the driver sees counts only.

The raw tables are those of :mod:`linker.ingest.readers` (``raw_<table>`` of text columns with ``_row``, ``_line`` and
``_source``; ``malformed_<table>``), made by the same SQL, so that ingest's typing and quarantine give the same
rows, reasons and record numbers on Spark as on DuckDB.

* CSV and JSON Lines: a table of the files to read goes through :meth:`~linker.engine.Engine.map_batches`
  (``mapInArrow``); each executor task frames one file's records with :func:`linker.ingest.framing.frame_records`, the
  code DuckDB's reader runs on the driver (CSV records are then split into fields in SQL). One task reads one whole
  file: a record's number (``_row``) is its position among the file's records, and whether a line break is inside
  a quoted value depends on every quote before it, so a byte range in the middle of a file cannot be framed
  without first scanning what precedes it. The framing ends with a summary row (header, record count, or the
  error that makes the file unusable), the only thing the driver reads.
* JSON Lines: framed as above (one record per line), then parsed in the executors by DuckDB's JSON functions,
  which run the SQL of DuckDB's reader (:data:`linker.ingest.readers.JSONL_LINES`, :func:`linker.ingest.readers.json_fields`)
  over each Arrow batch: which lines are JSON objects (``NaN``, a trailing comma ...) and the text of a number
  (``1e3`` reads ``1000.0``), of a nested object or of an escape are the parser's own choices, and Spark's JSON
  functions choose otherwise. A first pass finds each line's keys (the driver collects the distinct keys, in the
  order they are first seen), a second reads their values.
* Parquet: read by Spark itself; ``_row`` is the row's index in the file (``_metadata.row_index``), as DuckDB's
  ``file_row_number``.
* DataFrames: handed from the driver (they are in the driver's memory already).

Files are read by path: a local path (every executor must see it: ``local[N]`` or a shared folder) or a URI of a
file system pyarrow reads (``s3://``, ``gs://``, ``hdfs://`` ...).
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd
import pyarrow as pa

from linker.config import SourceConfig
from linker.engine import ArrowFunction, BatchFunction
from linker.errors import InputError
from linker.ingest.framing import SCHEMA, Framing, frame_records
from linker.ingest.readers import (
    JSONL_LINES,
    RECORDS,
    RawTable,
    _existing,
    _text_columns,
    _utf8_path,
    csv_columns,
    csv_fields_query,
    json_columns,
    json_fields,
    no_malformed,
    split_parsed,
    unique_names,
)
from linker.sql import quote_ident, quote_literal

if TYPE_CHECKING:
    from linker.engine.spark import SparkEngine

FRAMED = SCHEMA.append(pa.field("summary", pa.string()))
"""The framed records of a file (:data:`linker.ingest.framing.SCHEMA`), then one row with only ``summary``: JSON of the
header and the record count, or the error that makes the file unusable."""
_FILES = pa.schema([("location", pa.string()), ("shown", pa.string()), ("encoding", pa.string()),
                    ("quotes", pa.bool_()), ("delimiter", pa.string())])


def load_raw_spark(engine: SparkEngine, name: str, source: SourceConfig, *,
                   frame: pd.DataFrame | None = None) -> RawTable:
    """Create ``raw_<name>`` and ``malformed_<name>`` on Spark from a file or DataFrame; describe them.

    Raises
    ------
    InputError
        The file is missing, empty, undecodable or not the declared format.
    """
    table = f"raw_{name}"
    if frame is not None:
        return _load_frame(engine, table, name, frame)
    path = _existing(source)
    if source.file_format == "parquet":
        return _load_parquet(engine, table, name, path)
    if source.file_format == "jsonl":
        return _load_jsonl(engine, table, name, path, source)
    return _load_csv(engine, table, name, path, source)


# ---------------------------------------------------------------------------------------------- framing
def _frame(engine: SparkEngine, name: str, path: Path, source: SourceConfig, *, quotes: bool) -> dict:
    """Create ``framed_<name>`` (:data:`FRAMED`) in the executors; return the file's summary."""
    files = f"files_{name}"
    framed = f"framed_{name}"
    engine.register_arrow(files, pa.table({
        "location": [str(path.absolute())], "shown": [str(path)], "encoding": [source.encoding],
        "quotes": [quotes], "delimiter": [source.delimiter]}, _FILES))
    try:
        engine.map_batches(framed, f"SELECT * FROM {files}", frame_files, FRAMED)
    finally:
        engine.drop(files)
    summary = json.loads(engine.scalar(f"SELECT summary FROM {framed} WHERE summary IS NOT NULL"))
    if "error" in summary:
        engine.drop(framed)
        raise InputError(summary["error"])
    engine.create_view(f"records_{name}", f"SELECT * FROM {framed} WHERE summary IS NULL")
    return summary


def frame_files(files: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    """The records of each file of ``files`` (:data:`_FILES`), then its summary row (runs in an executor)."""
    for file in files.to_pylist():
        framing = Framing(quotes=file["quotes"], delimiter=file["delimiter"].encode("utf-8"))
        shown = Path(file["shown"])
        try:
            with _utf8_file(file["location"], file["encoding"], shown) as open_file:
                for batch in frame_records(shown, framing, open_file=open_file):
                    yield pa.RecordBatch.from_arrays([*batch.columns, pa.nulls(batch.num_rows, pa.string())],
                                                     schema=FRAMED)
            framing.check(shown)
            summary = {"header": framing.header, "records": framing.records}
        except InputError as e:
            summary = {"error": str(e)}
        yield pa.RecordBatch.from_pylist([{"summary": json.dumps(summary)}], schema=FRAMED)


@contextmanager
def _utf8_file(location: str, encoding: str, shown: Path) -> Iterator[Callable[[], BinaryIO]]:
    """Open the file's bytes as UTF-8: the file itself, or a UTF-8 copy in a temporary folder."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", location):
        from pyarrow import fs

        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
            raise InputError(f"a file of a remote file system must be UTF-8 on Spark (it is declared {encoding}); "
                             "transcode it first", path=str(shown))
        filesystem, inner = fs.FileSystem.from_uri(location)
        yield lambda: filesystem.open_input_file(inner)  # type: ignore[return-value]
        return
    with tempfile.TemporaryDirectory(prefix="linker-") as folder:
        readable = _utf8_path(Path(location), encoding, Path(folder) / f"utf8{shown.suffix}")
        yield lambda: readable.open("rb")


# ---------------------------------------------------------------------------------------------- formats
def _load_csv(engine: SparkEngine, table: str, name: str, path: Path, source: SourceConfig) -> RawTable:
    summary = _frame(engine, name, path, source, quotes=True)
    columns = csv_columns(summary["header"], path, source.delimiter)
    parsed = f"parsed_{name}"
    engine.create_table(parsed, f"WITH rec AS ({RECORDS.format(framed=f'records_{name}')}) "
                                f"{csv_fields_query(columns, source.delimiter)}")
    engine.drop(f"records_{name}", f"framed_{name}")
    split_parsed(engine, parsed, table, name, ", ".join(map(quote_ident, columns)), path.name)
    return RawTable(table, name, path.name, columns, int(summary["records"]), f"malformed_{name}", is_view=True)


LINES = pa.schema([("_row", pa.int64()), ("_line", pa.int64()), ("record", pa.large_string()),
                   ("detail", pa.string()), ("line", pa.large_string()), ("keys", pa.list_(pa.string()))])
"""The records of a JSON Lines file as :data:`linker.ingest.readers.JSONL_LINES` gives them, with the keys of each
object (``keys``, in the line's order; null for a line that is not an object)."""
_FIELDS_OF = "_row, _line, record, detail"


def _load_jsonl(engine: SparkEngine, table: str, name: str, path: Path, source: SourceConfig) -> RawTable:
    """Frame the lines, find which are objects and their keys (``lines_<name>``), then read the keys' values
    (``parsed_<name>``, positional columns ``c0`` ... named in the raw view)."""
    from pyspark.sql import functions as F

    _frame(engine, name, path, source, quotes=False)
    lines, parsed = f"lines_{name}", f"parsed_{name}"
    engine.map_batches(lines, f"SELECT record, _row, _line, problem, quoted FROM records_{name}", json_lines,
                       LINES)
    engine.drop(f"records_{name}", f"framed_{name}")
    records = engine.count(lines)   # blank lines aside
    first_seen = (engine.spark.table(lines).where("detail IS NULL")
                  .select("_row", F.posexplode("keys").alias("i", "k"))
                  .groupBy("k").agg(F.min(F.col("_row") * 1000000 + F.col("i")).alias("first")).orderBy("first"))
    columns = json_columns([row["k"] for row in first_seen.collect()])   # as DuckDB's reader orders them
    fields = [(f"c{i}", key) for i, (_, key) in enumerate(columns)]
    schema = pa.schema([*((c, pa.large_string()) for c, _ in fields),
                        *(LINES.field(f) for f in _FIELDS_OF.split(", "))])
    engine.map_batches(parsed, f"SELECT line, {_FIELDS_OF} FROM {lines}", json_values(fields, schema), schema)
    engine.drop(lines)
    split_parsed(engine, parsed, table, name,
                 ", ".join(f"{c} AS {quote_ident(column)}" for (c, _), (column, _) in zip(fields, columns)),
                 path.name)
    return RawTable(table, name, path.name, [c for c, _ in columns], records, f"malformed_{name}", is_view=True)


def json_lines(records: pa.RecordBatch) -> pa.Table:
    """The records (:data:`linker.ingest.readers.RECORDS`'s columns) of a JSON Lines file as :data:`LINES` (runs in an
    executor, in DuckDB)."""
    return _in_duckdb(records, f"WITH rec AS ({RECORDS.format(framed='batch')}) "
                               f"SELECT *, CASE WHEN detail IS NULL THEN json_keys(line) END AS keys "
                               f"FROM ({JSONL_LINES})", LINES)


def json_values(fields: list[tuple[str, str]], schema: pa.Schema) -> BatchFunction:
    """A step over :data:`LINES` batches: the value of each (column, key) of ``fields`` as text (read as DuckDB's
    reader reads it, :func:`linker.ingest.readers.json_fields`), then ``_row, _line, record, detail``."""
    values = json_fields(fields) + ", " if fields else ""
    return functools.partial(_in_duckdb, query=f"SELECT {values}{_FIELDS_OF} FROM batch", schema=schema)


def _in_duckdb(batch: pa.RecordBatch, query: str, schema: pa.Schema) -> pa.Table:
    """``query`` over the table ``batch`` in a DuckDB of one thread (the task's core), cast to ``schema``."""
    import duckdb

    con = duckdb.connect(config={"threads": 1})
    try:
        con.register("batch", pa.Table.from_batches([batch]))
        result = con.sql(query).to_arrow_table()
    finally:
        con.close()
    return pa.Table.from_arrays([result.column(f.name).cast(f.type) for f in schema], schema=schema)


def _load_parquet(engine: SparkEngine, table: str, name: str, path: Path) -> RawTable:
    """A view over the file, read by Spark; ``BINARY`` columns are decoded as UTF-8 text, and a row holding
    bytes that are not is malformed."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from linker.engine.spark import _col, duckdb_type

    try:   # the footer, read on the driver as DuckDB's reader does: the same refusal of a file that is not Parquet
        names = unique_names(pq.ParquetFile(path).schema_arrow.names)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"cannot read as Parquet: {str(e).strip().splitlines()[0]}", path=str(path)) from None
    clashing = len({n.lower() for n in pq.read_schema(path).names}) < len(names)
    read = f"parquet_{name}"
    engine.drop(read)
    if clashing:   # Spark's names are case-insensitive: the columns are told apart while they are renamed
        engine.spark.conf.set("spark.sql.caseSensitive", "true")
    try:
        frame = engine.spark.read.parquet(path.absolute().as_uri())
        described = [(f.name, duckdb_type(f.dataType)) for f in frame.schema.fields]
        positions = [f"c{i}" for i in range(len(described))]
        frame = frame.select(*[F.col(_col(c)).alias(p) for (c, _), p in zip(described, positions)],
                             (F.col("_metadata.row_index") + 1).alias("_row"))
        if clashing:
            engine.store(read, frame)
        else:
            frame.createOrReplaceTempView(read)
    finally:
        if clashing:
            engine.spark.conf.set("spark.sql.caseSensitive", "false")
    columns = [(p, t, n) for p, (_, t), n in zip(positions, described, names)]
    binary = [(p, n) for p, t, n in columns if t == "BLOB"]
    texts = _text_columns([(p, "VARCHAR" if t == "BLOB" else t, n) for p, t, n in columns])
    records = engine.count(read)
    if not binary:
        no_malformed(engine, name)
        engine.create_view(table, f"SELECT {texts}, _row, CAST(NULL AS BIGINT) AS _line, "
                                  f"{quote_literal(path.name)} AS _source FROM {read}")
        return RawTable(table, name, path.name, names, records, f"malformed_{name}", is_view=True)
    undecodable = " || ".join(
        f"CASE WHEN {p} IS NOT NULL AND NOT is_valid_utf8(CAST({p} AS VARCHAR)) "
        f"THEN {quote_literal(f'column {n} holds bytes that are not UTF-8; ')} ELSE '' END" for p, n in binary)
    engine.register_function(BLOB_TEXT)
    record = "to_json({" + ", ".join(f"{quote_literal(n)}: " + (f"blob_text({p})" if t == "BLOB" else
                                                                  f"CAST({p} AS VARCHAR)")
                                     for p, t, n in columns) + "})"
    engine.create_table(f"parsed_{name}", f"SELECT *, CAST(NULL AS BIGINT) AS _line, "
                                          f"NULLIF(rtrim({undecodable}, '; '), '') AS detail FROM {read}")
    engine.create_view(f"malformed_{name}", f"SELECT _row, _line, {record} AS record, detail "
                                            f"FROM parsed_{name} WHERE detail IS NOT NULL")
    engine.create_view(table, f"SELECT {texts}, _row, _line, {quote_literal(path.name)} AS _source "
                              f"FROM parsed_{name} WHERE detail IS NULL")
    return RawTable(table, name, path.name, names, records, f"malformed_{name}", is_view=True)


_KEPT_BYTES = frozenset(range(32, 127)) - {0x22, 0x27, 0x5C}


def blob_text(values: pa.Array) -> pa.Array:
    """Bytes as DuckDB casts a BLOB to text: printable ASCII as it is (but quotes and backslash), others ``\\xHH``.

    >>> blob_text(pa.array([b"a\\xff'", None])).to_pylist()
    ['a\\\\xFF\\\\x27', None]
    """
    return pa.array([None if v is None else "".join(chr(b) if b in _KEPT_BYTES else f"\\x{b:02X}" for b in v)
                     for v in values.to_pylist()], pa.string())


BLOB_TEXT = ArrowFunction("blob_text", blob_text, ("BLOB",), "VARCHAR")
"""The text of a quarantined record's binary value, as DuckDB's reader writes it."""


def _load_frame(engine: SparkEngine, table: str, name: str, frame: pd.DataFrame) -> RawTable:
    names = unique_names([str(c) for c in frame.columns])
    data = pa.Table.from_pandas(frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1),
                                preserve_index=False)
    data = data.append_column("_row", pa.array(range(1, len(frame) + 1), pa.int64()))
    view = f"frame_{name}"
    engine.register_arrow(view, data)
    columns = [(c, t, n) for (c, t), n in zip(engine.columns(view), names)]
    engine.create_table(table, f"SELECT {_text_columns(columns) + ',' if columns else ''} _row, "
                               f"CAST(NULL AS BIGINT) AS _line, '<dataframe>' AS _source FROM {view}")
    engine.drop(view)
    no_malformed(engine, name)
    return RawTable(table, name, "<dataframe>", names, len(frame), f"malformed_{name}")
