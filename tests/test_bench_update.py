"""Smoke test of ``scripts/bench.py --update`` on a tiny data set: it runs end to end, the update's links equal
the full run's, and the report names every stage (no timing is asserted: benchmarks are not timed tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.bench import Size
from linker.bench_update import format_update_report, run_update_benchmark


@pytest.mark.slow
def test_the_update_benchmark_compares_an_update_with_a_full_run(tmp_path: Path) -> None:
    result = run_update_benchmark(Size("tiny", 300, 900, 6_000), root=tmp_path, formats=["parquet"])
    assert result["same_links"]
    assert [s["name"] for s in result["update"]["stages"]] == [s["name"] for s in result["full"]["stages"]]
    assert result["update"]["counts"]["linked pairs"] > result["yesterday"]["counts"]["linked pairs"]
    assert result["changes"]["link_added"] > 0
    report = format_update_report(result)
    assert "update / full" in report and "resolve" in report
