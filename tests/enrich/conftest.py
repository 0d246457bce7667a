"""Fixtures of the enrichment tests (the builder lives in :mod:`tests.enrich.enrich_run`)."""

from __future__ import annotations

import duckdb
import pytest
from tests.enrich.enrich_run import RunBuilder


@pytest.fixture
def run() -> RunBuilder:
    """An empty run database in memory, ready to be filled."""
    return RunBuilder(duckdb.connect())
