"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from tests.tiny import TABLES, write_table

# No deadline on property tests: an example's time says how loaded the machine is, not whether linker is right
# (speed is measured by scripts/bench.py). A test failed its 200 ms default on a machine running a benchmark.
settings.register_profile("linker", deadline=None)
settings.load_profile("linker")


@pytest.fixture
def dataset(tmp_path: Path):
    """A factory: write the tiny data set as ``fmt`` files and return a config dict pointing at them."""

    def make(fmt: str = "csv", **frames: pd.DataFrame) -> dict:
        tables = {**TABLES, **frames}
        sources = {name: {"path": str(write_table(frame, tmp_path / f"{name}.{fmt}"))}
                   for name, frame in tables.items()}
        return {"sources": sources, "output": {"dir": str(tmp_path / "out"), "graph_store": False}}

    return make


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory):
    """One local Spark session (local[2]) for every Spark test of the run, stopped at the end."""
    pytest.importorskip("pyspark")
    from linker.config import SparkConfig
    from linker.engine.spark import start_session

    session, started = start_session(SparkConfig(master="local[2]", config={"spark.sql.shuffle.partitions": "2"}))
    yield session
    if started:
        session.stop()


@pytest.fixture
def spark_engine(spark_session, tmp_path: Path):
    """A Spark engine on the shared session, its tables staged in the test's folder."""
    from linker.engine.spark import SparkEngine

    engine = SparkEngine(spark_session, tmp_path / "spark")
    yield engine
    engine.close()
