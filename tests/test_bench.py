"""Smoke test of the benchmark on a size smaller than its own: it runs end to end and reports every figure (no
timing is asserted: benchmarks are not timed tests)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import bench  # scripts/bench.py (scripts/ is on the tests' path, pyproject.toml)
import pytest

from linker.bench import SIZES, Size, format_report, run_benchmark
from linker.bench_reference import find_reference

STAGES = ["ingest", "normalize", "resolve", "enrich", "export", "graph"]


@pytest.fixture
def tiny_size(monkeypatch: pytest.MonkeyPatch) -> Size:
    """A size a fifth of the smallest of :data:`~linker.bench.SIZES`, registered among them so that the script
    takes it by name (the code is the same at every size)."""
    least = min(SIZES.values(), key=lambda s: s.customers)
    size = Size("tiny", least.customers // 5, least.accounts // 5, least.events // 5)
    monkeypatch.setitem(SIZES, size.name, size)
    return size


@pytest.mark.slow
def test_benchmark_reports_every_figure(tiny_size: Size, tmp_path: Path,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    result = run_benchmark(tiny_size, root=tmp_path)
    said = capfd.readouterr().err   # each stage's end, as it happens (from the child process running the pipeline)
    assert all(f"bench: {name} done in " in said for name in STAGES)

    assert [s["name"] for s in result["stages"]] == STAGES
    for stage in result["stages"]:
        assert stage["rows"] > 0 and stage["seconds"] > 0 and stage["peak_rss_mb"] > 0
        assert stage["us_per_row"] == pytest.approx(stage["seconds"] / stage["rows"] * 1e6, rel=1e-3)
    assert result["input_rows"] > tiny_size.events   # card transactions come on top
    assert result["pipeline"]["seconds"] == pytest.approx(sum(s["seconds"] for s in result["stages"][:-1]), abs=0.01)
    assert result["graph"]["seconds"] > 0
    floor = result["floor"]   # the inputs read and stored, nothing else: every input row, customers included
    assert floor["rows"] == result["input_rows"] and floor["seconds"] >= floor["checkpoint_seconds"] > 0
    bare = result["graph_floor"]   # LadybugDB's own COPY of the very graph the run loaded
    assert bare["relationships"] == result["counts"]["graph relationships"] > 0
    assert bare["nodes"] == result["counts"]["graph nodes"] and bare["seconds"] > 0
    link = result["linking"]
    if importlib.util.find_spec("splink") is None:
        assert "skipped" in link
    else:  # Splink's exact pairs are our exact candidates: same values, hubs left out on both sides
        assert link["splink_pairs"] == link["candidates_pairs"] > 0
        assert link["candidates_near_pairs"] >= link["candidates_pairs"]
        assert link["splink_seconds"] == pytest.approx(
            link["hubs_seconds"] + link["splink_prepare_seconds"] + link["splink_link_seconds"], abs=0.01)
    report = format_report(result)
    assert all(name in report for name in STAGES) and "us per input row" in report and "floor:" in report
    assert "bare COPY" in report
    assert not (tmp_path / tiny_size.name / "floor.duckdb").exists()
    assert not list((tmp_path / tiny_size.name / "out").glob(".graph-floor*"))

    # the script, on the same data set (reused), without the costly figures, and beside the reference pipeline
    reference = [] if find_reference() else ["--no-reference"]
    capfd.readouterr()
    assert bench.main([tiny_size.name, "--root", str(tmp_path), "--no-graph", "--no-splink", "--no-floor", "--json",
                       *reference]) == 0
    [again] = json.loads(capfd.readouterr().out)
    assert [s["name"] for s in again["stages"]] == STAGES[:-1] and "linking" not in again and "floor" not in again
    assert "graph_floor" not in again
    if reference:
        return
    rows = {r["stage"]: r for r in again["reference"]["rows"]}
    assert set(rows) == {"ingest", "normalize", "resolve", "resolve without training", "enrich", "export", "whole"}
    assert all(r["ratio"] > 0 for r in rows.values())
    assert again["reference"]["runs"][0]["counts"]["profiles"] == again["counts"]["profiles"]
