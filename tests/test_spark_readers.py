"""The Spark readers: every hostile input ingests on Spark local[2] as on DuckDB (same accepted rows, same
quarantine rows with reasons, record numbers and record text, same reconciliation), or is refused alike."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from linker.config import load_config
from linker.engine import DuckDBEngine
from linker.errors import EngineError
from linker.ingest import ingest
from tests.engine.stages import table_rows
from tests.hostile.corpus import Case, all_cases, write_inputs
from tests.tiny import CUSTOMERS

pytestmark = pytest.mark.spark

CASES = [c for c in all_cases() if c.fmt in ("csv", "parquet") and (c.table == "customers" or (
    c.table == "purchases" and c.fmt == "csv" and c.name in (
        "an overflowing number", "2^64", "a decimal comma", "NaN", "lone carriage return in a value",
        "formula cells")))]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_input_ingests_alike_on_both_engines(spark_session, tmp_path: Path, case: Case) -> None:
    from linker.engine.spark import SparkEngine

    config = load_config(write_inputs(tmp_path, case))
    duck = DuckDBEngine(duckdb.connect())
    spark = SparkEngine(spark_session, tmp_path / "spark")
    try:
        if case.error is not None:
            with pytest.raises(case.error) as on_duckdb:
                ingest(duck, config, workdir=tmp_path / "work-duckdb")
            with pytest.raises(case.error) as on_spark:
                ingest(spark, config, workdir=tmp_path / "work-spark")
            assert str(on_spark.value) == str(on_duckdb.value)
            return
        reports = [ingest(e, config, workdir=tmp_path / f"work-{e.name}") for e in (duck, spark)]
        assert reports[1] == reports[0]
        for table in (case.table, "quarantine"):
            assert table_rows(spark, table) == table_rows(duck, table), table
    finally:
        spark.close()
        duck.close()


def test_json_lines_are_refused_on_spark_naming_the_file(spark_engine, dataset, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"JSON Lines .* Spark .*customers\.jsonl"):
        ingest(spark_engine, load_config(dataset("jsonl")), workdir=tmp_path / "work")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_and_dataframes_ingest_alike(spark_engine, dataset, tmp_path: Path, fmt: str) -> None:
    config = load_config(dataset(fmt))
    frames = {"customers": CUSTOMERS}
    duck = DuckDBEngine(duckdb.connect())
    reports = [ingest(e, config, frames=frames, workdir=tmp_path / f"work-{e.name}") for e in (duck, spark_engine)]
    assert reports[1] == reports[0]
    assert reports[0].tables["customers"].source == "<dataframe>"
    for table in ("customers", "accounts", "purchases", "browsing", "quarantine"):
        assert table_rows(spark_engine, table) == table_rows(duck, table), table
    duck.close()
