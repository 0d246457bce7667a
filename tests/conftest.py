"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.tiny import TABLES, write_table


@pytest.fixture
def dataset(tmp_path: Path):
    """A factory: write the tiny data set as ``fmt`` files and return a config dict pointing at them."""

    def make(fmt: str = "csv", **frames: pd.DataFrame) -> dict:
        tables = {**TABLES, **frames}
        sources = {name: {"path": str(write_table(frame, tmp_path / f"{name}.{fmt}"))}
                   for name, frame in tables.items()}
        return {"sources": sources, "output": {"dir": str(tmp_path / "out"), "graph_store": False}}

    return make
