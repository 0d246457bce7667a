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


TEST_SESSION = {
    "spark.sql.shuffle.partitions": "2",
    # The tests run thousands of short statements on a few hundred rows in a JVM that lives minutes: compiling
    # hot code to C2, collecting in parallel and compiling on two threads cost more than they give back on
    # two cores shared with another test worker. What the tests check, linker's SQL on Spark, is the same.
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:CICompilerCount=1",
}
"""The settings of the tests' Spark session (the engine's own local settings come underneath)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark tests first, in their order. pytest-xdist (``--dist worksteal``) hands each worker a run of
    consecutive tests and moves tests from the end of a busy worker's run to an idle worker, so the Spark tests
    stay on the first worker: one JVM starts and warms up, and the module fixtures that run a stage on both
    engines are built once. The longest tests also start first."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory):
    """One local Spark session (local[2]) for every Spark test of the run, stopped at the end."""
    pytest.importorskip("pyspark")
    from linker.config import SparkConfig
    from linker.engine.spark import start_session

    session, started = start_session(SparkConfig(master="local[2]", config=TEST_SESSION))
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
