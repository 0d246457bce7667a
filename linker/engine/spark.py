"""The Spark engine: linker's SQL on a Spark cluster (or ``local[N]``), for banks beyond one machine.

Every statement is translated by :class:`~linker.engine.dialect.SparkDialect`. A table is a temporary view over
Parquet files written to the staging location (``engine.spark.staging``, any Hadoop-compatible file system):
written once, read by later statements without computing it again, so a statement that numbers rows or samples
them gives the same rows to every reader. Python steps run in the executors over Arrow batches (``mapInArrow``,
Arrow UDFs); only counts, a few keys and small lookups pass through the driver.

The session is configured so that Spark means what DuckDB means: the session time zone is UTC and ``TIMESTAMP``
is ``TIMESTAMP_NTZ`` (local date-times, as DuckDB's ``TIMESTAMP``), ANSI mode is off (a failed cast is NULL, as
``try_cast``), and ``size(NULL)`` is NULL.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa
from sqlglot import exp

from linker.engine.base import ArrowFunction, BatchFunction, Engine, TableKind
from linker.engine.dialect import SparkDialect, _LinkerSpark
from linker.engine.functions import SPARK_FUNCTIONS
from linker.errors import EngineError
from linker.sql import quote_ident

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from linker.config import SparkConfig

MIN_JAVA = 17
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.sizeOfNull": "false",
    "spark.sql.parquet.compression.codec": "zstd",
}
"""Settings every linker session runs with (see the module docstring); the user's ``engine.spark.config`` comes
on top of them, except these."""


# ---------------------------------------------------------------------------------------------- the session
def start_session(config: SparkConfig, *, local_threads: int | None = None) -> tuple[SparkSession, bool]:
    """The Spark session for ``config``: the active one (spark-submit, a managed service) when no master is
    given and one exists, else a new one. Returns the session and whether this call started it.

    Raises
    ------
    EngineError
        pyspark is not installed, no Java 17 or later is found, the master cannot be reached, or the session
        does not start; the message says what to install or which setting to fix.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("engine.backend is 'spark' but pyspark is not installed: pip install 'linker[spark]' "
                          "(it brings Spark 4; Spark also needs Java 17 or later)") from None
    active = SparkSession.getActiveSession()
    if active is not None and config.master is None:
        _configure(active, config)
        return active, False
    _check_java()
    master = config.master or _submitted_master() or "local[*]"
    if master.startswith("local"):   # pyspark reads the workers' Python from the environment
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    _check_master(master)
    builder = SparkSession.builder.master(master).appName(config.app_name)
    settings = {"spark.ui.showConsoleProgress": "false", **_local_settings(master, local_threads), **config.config,
                **SESSION_SETTINGS}
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # noqa: BLE001 - py4j and pyspark raise many kinds; the first line says what
        # went wrong
        raise EngineError(f"Spark did not start on master {master!r}: {_first_line(e)}; "
                          "check engine.spark.master and engine.spark.config") from None
    session.sparkContext.setLogLevel("ERROR")
    _configure(session, config)
    return session, True


def _submitted_master() -> str | None:
    """The master ``spark-submit`` was given, when this process runs under it (spark-submit starts the JVM first
    and hands its gateway to Python), so that a run submitted to a cluster runs there."""
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):
        return None
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()   # joins spark-submit's JVM, whose properties hold the master
    return SparkConf().get("spark.master", None)


def _configure(session: SparkSession, config: SparkConfig) -> None:
    for key, value in {**config.config, **SESSION_SETTINGS}.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)


def _local_settings(master: str, threads: int | None) -> dict[str, str]:
    """A local session: no web UI, few shuffle partitions (200 tiny tasks per join cost more than the join), and
    Python workers run by this interpreter (they import linker and its libraries)."""
    match = re.fullmatch(r"local\[(\d+|\*)(?:,\s*\d+)?\]|local", master)
    if not match:
        return {}
    given = match.group(1)
    cores = threads or (int(given) if given and given != "*" else os.cpu_count() or 2)
    return {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(max(2, 2 * cores)),
            "spark.driver.memory": "2g",
            "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "linker-spark-warehouse")}


def _check_java() -> None:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise EngineError(f"the Spark engine needs Java {MIN_JAVA} or later and none was found: install it "
                          "(e.g. apt-get install openjdk-17-jre-headless) and set JAVA_HOME or put java on PATH")
    try:
        shown = subprocess.run([java, "-version"], check=False, capture_output=True, text=True,
                               timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EngineError(f"the Spark engine needs Java {MIN_JAVA} or later; {java} does not run: {e}") from None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = int(found.group(1)) if found else 0
    if major == 1 and found and found.group(2):   # "1.8.0_392" is Java 8
        major = int(found.group(2))
    if major < MIN_JAVA:
        raise EngineError(f"the Spark engine needs Java {MIN_JAVA} or later; {java} is Java {major or 'unknown'}: "
                          "install Java 17 and set JAVA_HOME to it")


def _check_master(master: str) -> None:
    """A master of the form spark://host:port (several, for standby masters) or k8s://https://host:port answers
    on its port; YARN needs its configuration folder."""
    if master == "yarn" and not (os.environ.get("HADOOP_CONF_DIR") or os.environ.get("YARN_CONF_DIR")):
        raise EngineError("engine.spark.master is 'yarn' but neither HADOOP_CONF_DIR nor YARN_CONF_DIR is set: "
                          "point one of them at the cluster's configuration folder")
    addresses: list[tuple[str, int]] = []
    if master.startswith("spark://"):
        for part in master.removeprefix("spark://").split(","):
            host, _, port = part.partition(":")
            addresses.append((host, int(port or 7077)))
    elif master.startswith("k8s://"):
        url = urlparse(master.removeprefix("k8s://"))
        addresses.append((url.hostname or "", url.port or (443 if url.scheme == "https" else 80)))
    problems = []
    for host, port in addresses:
        try:
            socket.create_connection((host, port), timeout=5).close()
            return
        except OSError as e:
            problems.append(f"{host}:{port} ({e.strerror or e})")
    if problems:
        raise EngineError(f"cannot reach the Spark master {master}: {', '.join(problems)}; start the master or "
                          "fix engine.spark.master")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else type(error).__name__


# ---------------------------------------------------------------------------------------------- the engine
class SparkEngine(Engine):
    """Runs linker's SQL on a Spark session; tables are Parquet files in ``staging`` behind temporary views.

    Parameters
    ----------
    session
        The Spark session.
    staging
        Folder or URI for the intermediate tables; created, and removed by :meth:`close`.
    owns_session
        Stop the session on :meth:`close` (the engine started it).
    """

    name = "spark"

    def __init__(self, session: SparkSession, staging: str | Path, *, owns_session: bool = False) -> None:
        self.spark = _own_session(session)
        self.dialect = SparkDialect()
        self.staging = _as_uri(staging).rstrip("/") + f"/linker-{uuid.uuid4().hex[:8]}"
        self.owns_session = owns_session
        self._paths: dict[str, str] = {}
        self._versions = itertools.count()
        for logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):   # the EngineError says it all
            logging.getLogger(logger).disabled = True
        self._check_staging()
        for function in SPARK_FUNCTIONS:
            self.register_function(function)

    @classmethod
    def start(cls, config: SparkConfig, folder: Path, *, local_threads: int | None = None) -> SparkEngine:
        """Start (or join) the session of ``config``; intermediate tables go to ``config.staging``, by default to
        ``folder/.spark`` (only a local master can use a local folder)."""
        session, started = start_session(config, local_threads=local_threads)
        staging = config.staging
        if staging is None:
            master = session.sparkContext.master or ""
            if not master.startswith("local"):
                if started:
                    session.stop()
                raise EngineError(f"engine.spark.staging is not set and the master is {master}: give a location "
                                  "every executor reaches (hdfs://..., s3a://..., abfss://..., or a shared folder)")
            staging = str(folder / ".spark")
        try:
            return cls(session, staging, owns_session=started)
        except EngineError:
            if started:
                session.stop()
            raise

    # ------------------------------------------------------------------------------------------ SQL
    def _sql(self, query: str, params: Sequence[Any] | None = None) -> DataFrame:
        translated = self.dialect.translate(query)
        try:
            return self.spark.sql(translated, args=list(params)) if params else self.spark.sql(translated)
        except Exception as e:
            if type(e).__name__ in ("AnalysisException", "ParseException", "PySparkException",
                                    "SparkRuntimeException", "IllegalArgumentException"):
                raise EngineError(f"Spark refused a statement: {_first_line(e)}\n--- as written:\n{query}\n"
                                  f"--- as sent to Spark:\n{translated}") from None
            raise

    # ------------------------------------------------------------------------------------------ tables
    def create_table(self, name: str, query: str, *, kind: TableKind = "temp") -> None:
        self._store(name, self._sql(query))

    def create_view(self, name: str, query: str) -> None:
        self.drop(name)
        self._sql(query).createOrReplaceTempView(name)

    def create_empty(self, name: str, columns: Sequence[tuple[str, str]], *, kind: TableKind = "temp") -> None:
        self.drop(name)
        schema = ", ".join(f"{_col(c)} {spark_type(t)}" for c, t in columns)
        self.spark.createDataFrame([], schema).createOrReplaceTempView(name)

    def store(self, name: str, frame: DataFrame) -> None:
        """Write the DataFrame ``frame`` as table ``name`` (for Spark's own readers, :mod:`linker.ingest.spark_readers`)."""
        self._store(name, frame)

    def _store(self, name: str, frame: DataFrame) -> None:
        """Write ``frame`` as the new version of table ``name`` and point the view at it."""
        from pyspark.sql.types import NullType, StringType

        for field in frame.schema.fields:   # Parquet has no type for a column of NULLs
            if isinstance(field.dataType, NullType):
                frame = frame.withColumn(field.name, frame[_col(field.name)].cast(StringType()))
        path = f"{self.staging}/{name}-{next(self._versions)}"
        frame.write.mode("overwrite").parquet(path)
        old = self._paths.get(name)
        # read back with the schema just written: Spark need not open a footer to infer it
        self.spark.read.schema(frame.schema).parquet(path).createOrReplaceTempView(name)
        self._paths[name] = path
        if old:
            self._delete(old)

    def insert(self, name: str, query: str, *, by_name: bool = False) -> None:
        table = self.spark.table(name)
        rows = self._sql(query)
        if by_name:
            present = {c.lower() for c in rows.columns}
            rows = rows.select(*[(rows[_col(c)] if c.lower() in present else _null()).alias(c)
                                 for c in table.columns])
        elif len(rows.columns) != len(table.columns):
            raise EngineError(f"INSERT INTO {name}: the query has {len(rows.columns)} columns, the table "
                              f"{len(table.columns)}")
        else:
            rows = rows.toDF(*table.columns)
        rows = rows.select(*[rows[_col(f.name)].cast(f.dataType).alias(f.name) for f in table.schema.fields])
        path = self._paths.get(name)
        if path and not re.search(rf"\b{re.escape(name)}\b", query, re.IGNORECASE):
            rows.write.mode("append").parquet(path)
            self.spark.read.schema(table.schema).parquet(path).createOrReplaceTempView(name)
        else:
            self._store(name, table.unionByName(rows))

    def delete_where(self, name: str, condition: str, *, alias: str | None = None) -> None:
        self.create_table(name, f"SELECT * FROM {name} {alias or ''} WHERE NOT coalesce(({condition}), FALSE)")

    def update(self, name: str, assignments: Mapping[str, str], *, where: str | None = None,
               source: str | None = None, on: Sequence[str] = ()) -> None:
        matched = [f"({where})"] if where else []
        joined = ""
        if source is not None:
            keys = " AND ".join(f"t.{quote_ident(c)} = f.{quote_ident(c)}" for c in on) or "TRUE"
            joined = f" LEFT JOIN (SELECT *, TRUE AS _linker_matched FROM ({source})) f ON {keys}"
            matched.append("f._linker_matched")
        condition = f"coalesce({' AND '.join(matched)}, FALSE)" if matched else "TRUE"
        columns = [c for c, _ in self.columns(name)]
        lowered = {c.lower(): e for c, e in assignments.items()}
        select = ", ".join(f"CASE WHEN {condition} THEN {lowered[c.lower()]} ELSE t.{quote_ident(c)} END "
                           f"AS {quote_ident(c)}" if c.lower() in lowered else f"t.{quote_ident(c)}"
                           for c in columns)
        self.create_table(name, f"SELECT {select} FROM {name} t{joined}")

    def drop_columns(self, name: str, columns: Sequence[str]) -> None:
        self._store(name, self.spark.table(name).drop(*columns))

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.spark.table(old).createOrReplaceTempView(new)
        self.spark.catalog.dropTempView(old)
        if old in self._paths:
            self._paths[new] = self._paths.pop(old)

    def drop(self, *names: str) -> None:
        for name in names:
            self.spark.catalog.dropTempView(name)
            path = self._paths.pop(name, None)
            if path:
                self._delete(path)

    def exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def tables(self) -> list[str]:
        return sorted(t.name for t in self.spark.catalog.listTables() if t.isTemporary)

    def is_view(self, name: str) -> bool:
        return name not in self._paths and self.exists(name)

    def columns(self, name: str) -> list[tuple[str, str]]:
        frame = self._sql(name) if re.search(r"\s", name.strip()) else self.spark.table(name)
        return [(f.name, duckdb_type(f.dataType)) for f in frame.schema.fields]

    # ------------------------------------------------------------------------------------------ results
    def rows(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(_plain(v) for v in row) for row in self._sql(query, params).collect()]

    def arrow(self, query: str) -> pa.Table:
        return self._sql(query).toArrow()

    def batches(self, query: str, *, rows_per_batch: int = 1 << 17) -> Iterator[pa.RecordBatch]:
        yield from self.arrow(query).to_batches(max_chunksize=rows_per_batch)

    # ------------------------------------------------------------------------------------------ Python steps
    def register_arrow(self, name: str, data: pa.Table) -> None:
        self.drop(name)
        frame = self.spark.createDataFrame(data) if data.num_rows else self.spark.createDataFrame(
            [], _spark_schema(data.schema))
        frame.createOrReplaceTempView(name)

    def register_function(self, function: ArrowFunction) -> None:
        from pyspark.sql.functions import arrow_udf

        udf = arrow_udf(function.function, spark_type(function.returns))  # type: ignore[call-overload]
        self.spark.udf.register(function.name, udf)

    def map_batches(self, name: str, query: str, function: BatchFunction, schema: pa.Schema, *,
                    kind: TableKind = "temp") -> None:
        def each(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                out = function(batch)
                yield from (out.to_batches() if isinstance(out, pa.Table) else [out]
                            if isinstance(out, pa.RecordBatch) else out)

        self._store(name, self._sql(query).mapInArrow(each, _spark_schema(schema)))

    # ------------------------------------------------------------------------------------------ files
    def write_parquet(self, query: str, path: Path | str) -> int:
        """Write ``query`` to ``path``: one file on a local path (like DuckDB's), else a folder of parts."""
        frame = self._sql(query)
        if "://" in str(path):
            frame.write.mode("overwrite").parquet(str(path))
            return self.spark.read.parquet(str(path)).count()
        target = Path(path)
        parts = target.with_name(f".{target.name}.parts-{uuid.uuid4().hex[:8]}")
        frame.coalesce(1).write.mode("overwrite").parquet(_as_uri(parts))
        try:
            (part,) = parts.glob("part-*.parquet")
            os.replace(part, target)
        finally:
            shutil.rmtree(parts, ignore_errors=True)
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(target).metadata.num_rows)

    def write_output(self, query: str, path: Path | str, fmt: str, *, single_file: bool = False) -> None:
        """Write ``query`` at ``path`` as Spark writes a dataset: a folder of part files, one per task (no
        ``_SUCCESS`` marker or checksum files left on a local path). With ``single_file`` on a local path, one
        file written by one task and renamed to ``path``. The folder (or file) appears whole: it is written
        under a temporary name beside ``path``, then renamed. CSV: a header, quotes doubled inside quoted
        cells (RFC 4180, as DuckDB writes), NULL as an empty cell; JSON Lines keeps NULL members; date-times
        as ``yyyy-MM-dd HH:mm:ss``."""
        frame = self._sql(query)
        local = "://" not in str(path)
        if single_file:
            frame = frame.coalesce(1)
        writer = frame.write.mode("overwrite")
        if fmt == "csv":
            writer = writer.options(header="true", quote='"', escape='"', nullValue="", emptyValue='""',
                                    timestampNTZFormat="yyyy-MM-dd HH:mm:ss", lineSep="\n")
        elif fmt == "jsonl":
            writer = writer.options(ignoreNullFields="false", timestampNTZFormat="yyyy-MM-dd HH:mm:ss")
        save = {"parquet": writer.parquet, "csv": writer.csv, "jsonl": writer.json}.get(fmt)
        if save is None:
            raise EngineError(f"unknown output format {fmt!r}")
        if not local:
            save(str(path))
            return
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            save(_as_uri(tmp))
            for marker in [*tmp.glob("_*"), *tmp.glob(".*.crc")]:
                marker.unlink()
            if single_file:
                (part,) = tmp.glob("part-*")
                os.replace(part, target)
            else:
                os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def read_parquet(self, name: str, path: Path | str, *, kind: TableKind = "temp") -> None:
        self.drop(name)
        self.spark.read.parquet(_as_uri(path)).createOrReplaceTempView(name)

    # ------------------------------------------------------------------------------------------ life
    def _check_staging(self) -> None:
        """The staging location takes a file (checked once, before any work)."""
        try:
            self.spark.range(1).write.mode("overwrite").parquet(f"{self.staging}/_check")
            self._delete(f"{self.staging}/_check")
        except Exception as e:  # noqa: BLE001 - any failure to write means the same to the user
            raise EngineError(f"the Spark staging location {self.staging.rsplit('/', 1)[0]} is not writable: "
                              f"{_first_line(e)}; set engine.spark.staging to a location every executor can "
                              "write") from None

    def _delete(self, path: str) -> None:
        jvm: Any = self.spark.sparkContext._jvm
        target = jvm.org.apache.hadoop.fs.Path(path)
        target.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration()).delete(target, True)

    def close(self) -> None:
        for name in list(self._paths):
            self.spark.catalog.dropTempView(name)
        self._paths.clear()
        try:
            self._delete(self.staging)
        finally:
            if self.owns_session:
                self.spark.stop()


# ---------------------------------------------------------------------------------------------- helpers
def _own_session(session: SparkSession) -> SparkSession:
    """A session of its own on ``session``'s application, with its SQL settings: temporary views and functions
    are per session, so two engines on one application (two runs, or a run beside the caller's own work) never
    see, replace or drop each other's tables."""
    own = session.newSession()
    for key, value in session.conf.getAll.items():
        if key.startswith("spark.sql.") and own.conf.isModifiable(key) and own.conf.get(key, None) != value:
            own.conf.set(key, value)
    return own


def _as_uri(path: str | Path) -> str:
    text = str(path)
    return text if re.match(r"^[a-z][a-z0-9+.-]*://", text) else Path(text).absolute().as_uri()


def _col(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _null() -> Any:
    from pyspark.sql.functions import lit

    return lit(None)


def _plain(value: Any) -> Any:
    """A value as DuckDB's Python client gives it: structs as dicts, lists as lists."""
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def spark_type(duckdb_type: str) -> str:
    """A DuckDB type in Spark's DDL spelling.

    >>> spark_type("STRUCT(a VARCHAR, b TIMESTAMP)[]")
    'ARRAY<STRUCT<a: STRING, b: TIMESTAMP_NTZ>>'
    """
    node = exp.DataType.build(duckdb_type, dialect="duckdb")
    for t in node.find_all(exp.DataType):
        if t.this == exp.DataType.Type.TIMESTAMP:
            t.set("this", exp.DataType.Type.TIMESTAMPNTZ)
        elif t.this == exp.DataType.Type.TIMESTAMPTZ:
            t.set("this", exp.DataType.Type.TIMESTAMPLTZ)
    return node.sql(dialect=_LinkerSpark)


def duckdb_type(data_type: Any) -> str:
    """A Spark data type in DuckDB's spelling (what :meth:`Engine.columns` reports).

    >>> from pyspark.sql.types import ArrayType, StringType
    >>> duckdb_type(ArrayType(StringType()))
    'VARCHAR[]'
    """
    from pyspark.sql import types as T

    simple = {T.StringType: "VARCHAR", T.LongType: "BIGINT", T.IntegerType: "INTEGER", T.ShortType: "SMALLINT",
              T.ByteType: "TINYINT", T.DoubleType: "DOUBLE", T.FloatType: "FLOAT", T.BooleanType: "BOOLEAN",
              T.DateType: "DATE", T.TimestampNTZType: "TIMESTAMP", T.TimestampType: "TIMESTAMP WITH TIME ZONE",
              T.BinaryType: "BLOB", T.NullType: '"NULL"'}
    for cls, name in simple.items():
        if type(data_type) is cls:
            return name
    if isinstance(data_type, T.DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if isinstance(data_type, T.ArrayType):
        return duckdb_type(data_type.elementType) + "[]"
    if isinstance(data_type, T.MapType):
        return f"MAP({duckdb_type(data_type.keyType)}, {duckdb_type(data_type.valueType)})"
    if isinstance(data_type, T.StructType):
        return "STRUCT(" + ", ".join(f"{quote_ident(f.name) if not f.name.isidentifier() else f.name} "
                                     f"{duckdb_type(f.dataType)}" for f in data_type.fields) + ")"
    if isinstance(data_type, T.CharType | T.VarcharType):
        return "VARCHAR"
    raise EngineError(f"the Spark type {data_type.simpleString()} has no DuckDB equal")


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


