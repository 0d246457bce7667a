"""Fixtures: the small hand-made run of graph_run.py, with its graph store."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.graph.graph_run import make_run_dir, make_run_tables


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small run with its graph store, shared read-only by the tests that only read."""
    return make_run_dir(tmp_path_factory.mktemp("run") / "linker-out")


@pytest.fixture
def writable_run_dir(run_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the small run, for tests that write to it."""
    return Path(shutil.copytree(run_dir, tmp_path / "linker-out"))


@pytest.fixture
def run_con(tmp_path: Path):
    """An open run database holding the small run's tables (with enrichment)."""
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    make_run_tables(con)
    yield con
    con.close()
