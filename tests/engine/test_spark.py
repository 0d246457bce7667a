"""The Spark engine: what it does with tables, and the errors a user gets when Spark cannot run."""

import sys

import pyarrow as pa
import pytest

from linker.config import SparkConfig
from linker.engine import ArrowFunction, EngineError
from linker.engine.spark import SparkEngine, duckdb_type, spark_type, start_session

pytestmark = pytest.mark.spark


def test_tables_are_created_changed_and_dropped_by_name(spark_engine):
    engine = spark_engine
    engine.create_table("t", "SELECT range AS n, 'v' || range AS s FROM range(5) r(range)")
    engine.insert("t", "SELECT 10, 'ten'")
    engine.insert("t", "SELECT 'eleven' AS s, 11 AS n", by_name=True)
    engine.insert("t", "SELECT n + 100, s FROM t WHERE n = 0")   # reads the table it writes
    engine.delete_where("t", "n < 2")
    engine.update("t", {"s": "upper(s)"}, where="n > 3")
    engine.update("t", {"s": "f.label"}, source="SELECT 2 AS n, 'two' AS label", on=["n"])
    assert engine.rows("SELECT n, s FROM t ORDER BY n") == [
        (2, "two"), (3, "v3"), (4, "V4"), (10, "TEN"), (11, "ELEVEN"), (100, "V0")]
    engine.drop_columns("t", ["s"])
    engine.rename("t", "u")
    assert engine.columns("u") == [("n", "BIGINT")] and not engine.exists("t")
    engine.drop("u", "never_made")
    assert not engine.exists("u")


def test_python_steps_run_over_arrow_batches(spark_engine):
    engine = spark_engine
    engine.register_arrow("lookup", pa.table({"k": ["a", "b", None]}))
    engine.register_function(ArrowFunction("twice", lambda a: pa.compute.binary_join_element_wise(a, a, ""),
                                           ("VARCHAR",), "VARCHAR"))
    engine.map_batches("lengths", "SELECT k FROM lookup", lambda b: pa.record_batch(
        {"k": b.column(0), "n": pa.compute.utf8_length(b.column(0))}), pa.schema([("k", pa.string()),
                                                                                  ("n", pa.int32())]))
    assert engine.rows("SELECT twice(k), n FROM lengths ORDER BY k NULLS LAST") == [("aa", 1), ("bb", 1),
                                                                                     (None, None)]


def test_a_local_parquet_output_is_one_file(spark_engine, tmp_path):
    path = tmp_path / "t.parquet"
    assert spark_engine.write_parquet("SELECT range AS n FROM range(7)", path) == 7
    assert path.is_file()
    spark_engine.read_parquet("back", path)
    assert spark_engine.count("back") == 7


def test_types_are_spelled_for_each_engine():
    assert spark_type("MAP(VARCHAR, VARCHAR)") == "MAP<STRING, STRING>"
    from pyspark.sql.types import StructField, StructType, TimestampNTZType

    assert duckdb_type(StructType([StructField("at", TimestampNTZType())])) == "STRUCT(at TIMESTAMP)"


def test_a_staging_location_that_cannot_be_written_is_a_clear_error(spark_session, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(EngineError, match="staging location .* is not writable"):
        SparkEngine(spark_session, blocker / "staging")


def test_an_unreachable_master_is_a_clear_error():
    with pytest.raises(EngineError, match=r"cannot reach the Spark master spark://127\.0\.0\.1:9"):
        start_session(SparkConfig(master="spark://127.0.0.1:9"))


def test_java_missing_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(EngineError, match="needs Java 17 or later and none was found"):
        start_session(SparkConfig(master="local[1]"))


def test_pyspark_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(EngineError, match=r"pip install 'linker\[spark\]'"):
        start_session(SparkConfig(master="local[1]"))


def test_a_cluster_master_needs_a_staging_location(monkeypatch, tmp_path):
    monkeypatch.setattr("linker.engine.spark.start_session", lambda *a, **k: (_Session("spark://h:7077"), False))
    with pytest.raises(EngineError, match="engine.spark.staging is not set"):
        SparkEngine.start(SparkConfig(), tmp_path)


class _Session:
    def __init__(self, master):
        self.sparkContext = type("Context", (), {"master": master})()
