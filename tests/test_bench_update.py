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
    assert 0 < result["update"]["peak_before_graph_mb"] <= result["update"]["peak_mb"]
    assert f"peak memory: update {result['update']['peak_mb']:,.0f} MiB" in report


def test_yesterday_lacks_exactly_the_events_of_the_latest_day_as_ingest_reads_it(tmp_path: Path) -> None:
    import duckdb

    from linker.bench import prepare
    from linker.bench_update import EVENT_TIMES, _write_yesterday
    from linker.config import load_config

    config_path = prepare(Size("tiny", 300, 900, 6_000), tmp_path)
    config = load_config(config_path)
    overrides = _write_yesterday(config_path, tmp_path / "yesterday")
    con = duckdb.connect()
    # the generator writes some times in other formats and some that are not times; ingest parses the former
    day = "CAST(coalesce(try_cast(trim(t) AS TIMESTAMP), try_strptime(trim(t), ['%Y/%m/%d %H:%M:%S', '%Y%m%d%H%M%S']))" \
          " AS DATE)"
    def days(path: str, column: str) -> list[tuple]:
        return con.execute(f"SELECT {day} AS d, count(*) FROM (SELECT CAST({column} AS VARCHAR) AS t "
                           f"FROM read_parquet('{path}')) GROUP BY d ORDER BY d NULLS FIRST").fetchall()
    latest = max(days(str(config.sources[t].path), c)[-1][0] for t, c in EVENT_TIMES.items())
    for table, column in EVENT_TIMES.items():
        today = dict(days(str(config.sources[table].path), column))
        yesterday = dict(days(overrides[f"sources.{table}.path"], column))
        assert yesterday == {d: n for d, n in today.items() if d is None or d < latest}
