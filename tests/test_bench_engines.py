"""Smoke test of ``scripts/bench.py --engine spark`` on a tiny data set: the whole pipeline runs on both engines,
every stage is timed on each, the Spark run's memory includes its JVM, and the two runs' outputs agree (no timing
is asserted: benchmarks are not timed tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.bench import Size
from linker.bench_engines import compare_runs, format_engine_report, run_engine_benchmark

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.bench_spark]

STAGES = ["ingest", "normalize", "resolve", "enrich", "export", "graph"]


def test_the_engine_benchmark_runs_the_whole_pipeline_on_duckdb_and_on_spark(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    # the setting shows that --spark-conf reaches the session
    result = run_engine_benchmark(Size("tiny", 300, 900, 6_000), root=tmp_path,
                                  spark_config={"spark.sql.shuffle.partitions": "3"})
    assert result["differences"] == [] and result["same_outputs"]
    duck, spark = result["engines"]["duckdb"], result["engines"]["spark"]
    for run in (duck, spark):
        assert [s["name"] for s in run["stages"]] == STAGES
        assert all(s["seconds"] > 0 and s["peak_mb"] > 0 and s["cpu_seconds"] >= 0 for s in run["stages"])
        assert run["run_seconds"] >= run["seconds"] + run["graph_seconds"] - 0.01
        assert "training" in run["resolve_steps"]
    if Path("/proc").is_dir():   # the JVM's memory counts in the Spark run's peak
        assert spark["peak_mb"] > spark["python_peak_mb"] + 100
    outputs = duck["outputs"]
    assert outputs["links_by_decision"]["linked"] > 0 and outputs["clusters"] > 0 and outputs["profiles"] > 0
    assert outputs["parquet_rows"]["links.parquet"] == sum(outputs["links_by_decision"].values())
    assert outputs == spark["outputs"]
    assert (tmp_path / "tiny" / "engines" / "spark" / "links.parquet").is_dir()      # Spark's folder of parts
    assert (tmp_path / "tiny" / "engines" / "duckdb" / "links.parquet").is_file()
    report = format_engine_report(result)
    assert all(f"\n{name} " in report for name in STAGES) and "on both engines: yes" in report
    assert "Spark settings: spark.sql.shuffle.partitions=3" in report

    fewer = {**spark, "outputs": {**spark["outputs"], "clusters": spark["outputs"]["clusters"] - 1}}
    assert compare_runs(duck, fewer) == [f"clusters: duckdb {outputs['clusters']}, spark {outputs['clusters'] - 1}"]
    assert "on both engines: NO (1 differences)" in format_engine_report(
        {**result, "engines": {"duckdb": duck, "spark": fewer}, "differences": compare_runs(duck, fewer),
         "same_outputs": False})
