"""The statement profiler: the pipeline's statements, timed stage by stage, up to the stage asked for."""

from __future__ import annotations

from pathlib import Path

import profile_statements

from linker.demo_run import write_demo


def test_the_profiler_prints_each_statement_of_the_stages_run_and_stops_after_the_one_asked(
        tmp_path: Path, capsys) -> None:
    config = write_demo(tmp_path, customers=100, accounts=300, events=1_000, seed=3, file_format="parquet")
    assert profile_statements.main([str(config), "--output", str(tmp_path / "out"), "--min-seconds", "0",
                                    "--stop-after", "normalize"]) == 0
    printed = capsys.readouterr().out
    assert "=== ingest" in printed and "=== normalize" in printed and "--- resolve" not in printed
    assert "CREATE OR REPLACE TABLE identifiers AS SELECT" in printed   # normalize's statement, timed
