"""linker beside the reference pipeline: finding it, running it, the stage-for-stage ratios."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.bench_reference import (
    REFERENCE_ENV, compare, find_reference, format_comparison, reference_missing_message, run_reference,
)


def _linker_run(ingest: float, resolve: float, training: float, export: float) -> dict:
    stages = [("ingest", ingest), ("normalize", 1.0), ("resolve", resolve), ("enrich", 10.0), ("export", export),
              ("graph", 99.0)]
    return {"stages": [{"name": n, "seconds": s, "cpu_seconds": 2 * s} for n, s in stages],
            "model_seconds": {"candidates": 0.5, "training": training}}


def _reference_run(ingest: float) -> dict:
    steps = {"ingest": ingest, "normalize": 0.5, "link": 1.0, "enrich": 8.0, "export_parquet": 1.0,
             "export_csv": 2.0, "export_other_parquet": 1.0}
    return {"steps": {n: {"seconds": s, "cpu_seconds": s} for n, s in steps.items()}, "peak_rss_mb": 500.0}


def test_ratios_compare_the_best_run_of_each_side_stage_for_stage() -> None:
    rows = {r["stage"]: r for r in compare([_linker_run(6.0, 5.0, 2.0, 4.0), _linker_run(4.0, 6.0, 1.0, 3.0)],
                                           [_reference_run(2.0), _reference_run(4.0)])}
    assert rows["ingest"]["linker"] == [6.0, 4.0] and rows["ingest"]["reference"] == [2.0, 4.0]
    assert rows["ingest"]["ratio"] == 2.0 and rows["ingest"]["cpu_ratio"] == 4.0
    # export: every export of the reference, its CSV included
    assert rows["export"]["reference"] == [4.0, 4.0] and rows["export"]["ratio"] == 0.75
    assert rows["resolve without training"]["linker"] == [3.0, 5.0]
    assert rows["resolve without training"]["ratio"] == 3.0
    # whole: linker without the graph store, the reference with all its steps
    assert rows["whole"]["linker"] == [26.0, 24.0] and rows["whole"]["reference"] == [15.5, 17.5]
    assert rows["whole"]["ratio"] == round(24.0 / 15.5, 2)


def test_a_missing_step_leaves_its_ratio_empty() -> None:
    reference = _reference_run(2.0)
    del reference["steps"]["enrich"]
    rows = {r["stage"]: r for r in compare([_linker_run(6.0, 5.0, 2.0, 4.0)], [reference])}
    assert rows["enrich"]["reference"] == [None] and rows["enrich"]["ratio"] is None
    assert "enrich" in format_comparison({"script": "ref.py", "rows": list(rows.values()), "size": "1m",
                                          "linker_peak_mb": [900.0], "reference_peak_mb": [500.0]})


def test_the_targets_are_checked_at_1m_only() -> None:
    rows = compare([_linker_run(6.0, 5.0, 2.0, 4.0)], [_reference_run(2.0)])
    figures = {"script": "ref.py", "rows": rows, "linker_peak_mb": [5000.0], "reference_peak_mb": [500.0]}
    at_1m = format_comparison({**figures, "size": "1m"})
    assert "ingest <= 1.3x the reference: 3.00 MISSED" in at_1m and "peak <= 4 GiB: 4.88 MISSED" in at_1m
    assert "enrich <= 1.0x the reference: 1.25 MISSED" in at_1m
    assert "targets" not in format_comparison({**figures, "size": "100k"})


def test_a_missing_reference_is_named_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "reference_pipeline.py"
    assert find_reference(missing) is None
    message = reference_missing_message(missing)
    assert str(missing) in message and "--reference" in message and "linker runs alone" in message
    monkeypatch.setenv(REFERENCE_ENV, str(missing))
    assert find_reference() is None and str(missing) in reference_missing_message(None)
    script = tmp_path / "reference_pipeline.py"
    script.write_text("")
    monkeypatch.setenv(REFERENCE_ENV, str(script))
    assert find_reference() == script


def test_a_failing_reference_says_why(tmp_path: Path) -> None:
    script = tmp_path / "reference_pipeline.py"
    script.write_text("import sys\nprint('no such file: customers.parquet', file=sys.stderr)\nsys.exit(2)\n")
    with pytest.raises(RuntimeError, match=r"exit 2[\s\S]*no such file: customers.parquet"):
        run_reference(script, tmp_path / "data", tmp_path / "out")


def test_the_reference_is_given_the_data_threads_and_memory_limit(tmp_path: Path) -> None:
    script = tmp_path / "reference_pipeline.py"
    script.write_text("import json, sys\nprint(json.dumps({'argv': sys.argv[1:], 'statements': []}))\n")
    figures = run_reference(script, tmp_path / "data", tmp_path / "out", threads=2, memory_limit="3GB")
    assert figures["argv"] == ["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                               "--threads", "2", "--memory-limit", "3GB"]
    assert figures["wall_seconds"] > 0 and "statements" not in figures
