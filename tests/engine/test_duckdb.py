"""The DuckDB engine: every operation a stage asks for, on a connection of its own."""

import ctypes
import sys

import duckdb
import pyarrow as pa
import pytest

from linker.config import EngineConfig
from linker.engine import ArrowFunction, DuckDBEngine, as_engine
from linker.engine.duckdb import PR_GET_THP_DISABLE, PR_SET_THP_DISABLE, open_database


@pytest.fixture
def engine():
    with DuckDBEngine(duckdb.connect()) as engine:
        yield engine


def test_tables_are_created_changed_and_dropped_by_name(engine):
    engine.create_table("t", "SELECT range AS n, 'v' || range AS s FROM range(5)")
    engine.insert("t", "SELECT 10, 'ten'")
    engine.insert("t", "SELECT 'eleven' AS s, 11 AS n", by_name=True)
    engine.delete_where("t", "n < 2")
    engine.update("t", {"s": "upper(s)"}, where="n > 3")
    engine.update("t", {"s": "f.label"}, source="SELECT 2 AS n, 'two' AS label", on=["n"])
    assert engine.rows("SELECT n, s FROM t ORDER BY n") == [
        (2, "two"), (3, "v3"), (4, "V4"), (10, "TEN"), (11, "ELEVEN")]
    engine.drop_columns("t", ["s"])
    engine.rename("t", "u")
    assert engine.columns("u") == [("n", "BIGINT")] and not engine.exists("t")
    engine.drop("u", "never_made")
    assert not engine.exists("u")


def test_a_view_replaced_by_a_table_and_back(engine):
    engine.create_view("x", "SELECT 1 AS a")
    engine.create_table("x", "SELECT 2 AS a")
    assert engine.scalar("SELECT a FROM x") == 2
    engine.create_view("x", "SELECT 3 AS a")
    assert engine.scalar("SELECT a FROM x") == 3


def test_arrow_data_functions_and_batch_steps(engine):
    engine.register_arrow("lookup", pa.table({"k": ["a", "b", None]}))
    engine.register_function(ArrowFunction("twice", lambda a: pa.compute.binary_join_element_wise(a, a, ""),
                                           ("VARCHAR",), "VARCHAR"))
    engine.map_batches("lengths", "SELECT k FROM lookup", lambda b: pa.record_batch(
        {"k": b.column(0), "n": pa.compute.utf8_length(b.column(0))}), pa.schema([("k", pa.string()),
                                                                                  ("n", pa.int32())]))
    assert engine.rows("SELECT twice(k), n FROM lengths ORDER BY k NULLS LAST") == [("aa", 1), ("bb", 1),
                                                                                     (None, None)]
    assert engine.arrow("SELECT count(*) AS n FROM lookup").to_pylist() == [{"n": 3}]
    engine.drop("lookup")
    assert not engine.exists("lookup")


def test_parquet_round_trip(engine, tmp_path):
    path = tmp_path / "t.parquet"
    assert engine.write_parquet("SELECT range AS n FROM range(7)", path) == 7
    engine.read_parquet("back", path)
    assert engine.count("back") == 7


def test_a_connection_is_taken_as_its_engine():
    con = duckdb.connect()
    engine = as_engine(con)
    assert isinstance(engine, DuckDBEngine) and engine.con is con and as_engine(engine) is engine


def _huge_pages_disabled(set_to: int | None = None) -> int:
    """The process's "transparent huge pages disabled" flag, after setting it to ``set_to`` if given."""
    libc = ctypes.CDLL(None, use_errno=True)
    if set_to is not None:
        assert libc.prctl(PR_SET_THP_DISABLE, set_to, 0, 0, 0) == 0
    return libc.prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are a Linux setting")
def test_a_run_database_turns_transparent_huge_pages_off_unless_the_config_keeps_them(tmp_path):
    before = _huge_pages_disabled()
    try:
        assert _huge_pages_disabled(set_to=0) == 0
        open_database(tmp_path / "kept.duckdb", EngineConfig(huge_pages=True)).close()
        assert _huge_pages_disabled() == 0
        open_database(tmp_path / "run.duckdb").close()
        assert _huge_pages_disabled() == 1
    finally:
        _huge_pages_disabled(set_to=before)
