"""The pipeline's own exports (quarantine files, where the aggregates go), its engine and what a run leaves."""

from __future__ import annotations

import contextlib
import csv
import json
import re
from pathlib import Path
from typing import cast

import duckdb
import pytest

from linker.config import load_config
from linker.errors import EngineError
from linker.export import QUARANTINE_CELL
from linker.pipeline import _stage, run


def test_a_long_quarantined_record_is_cut_in_the_csv_and_whole_beside_it(dataset, tmp_path: Path) -> None:
    config = dataset()
    path = Path(config["sources"]["customers"]["path"])
    long = "x" * (QUARANTINE_CELL + 10)
    path.write_text(path.read_text(encoding="utf-8") + f"C9,{long}\n", encoding="utf-8")   # too few fields
    out = run(load_config(config)).output_dir / "quarantine"
    with (out / "customers.csv").open(encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["record"].endswith("(cut: the whole record is in quarantine/customers-records.jsonl)")
    assert len(row["record"]) < 1100
    (side,) = [json.loads(line) for line in (out / "customers-records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert side == {"_row": 4, "line": 5, "record": f"C9,{long}"}


def test_aggregates_are_written_when_asked_for_to_their_parquet_file_only(dataset) -> None:
    config = dataset()
    out = run(load_config(config)).output_dir
    assert not (out / "aggregates.parquet").exists() and (out / "profiles.parquet").is_file()
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'aggregates'").fetchall()
        assert con.execute("SELECT count(*) FROM domain_spend").fetchall()[0][0] > 0
    assert "Spend by domain" in (out / "report.html").read_text(encoding="utf-8")

    asked = {**config, "output": {**config["output"], "aggregates": True}}
    out = run(load_config(asked)).output_dir
    written = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT customer_id) "
                                       f"FROM read_parquet('{out / 'aggregates.parquet'}')").fetchall()[0]
    assert written[0] > written[1] > 0
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:   # no view of a moved file
        assert not con.execute("SELECT * FROM duckdb_views() WHERE view_name = 'aggregates'").fetchall()
        assert con.execute("SELECT count(*) FROM profiles").fetchall()[0][0] > 0

    out = run(load_config({**asked, "output": {**asked["output"], "formats": ["csv"]}})).output_dir
    assert not list(out.glob("*.parquet")) and (out / "profiles.csv").is_file()
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:   # a table of the run database then
        assert con.execute("SELECT count(*) FROM aggregates").fetchall()[0][0] == written[0]


def test_an_update_on_spark_is_refused_before_any_work(dataset) -> None:
    from linker.errors import EngineError
    from linker.pipeline import RunHooks

    config = load_config({**dataset(), "engine": {"backend": "spark"}})
    with pytest.raises(EngineError, match='engine.backend = "spark": linker update .* only the DuckDB engine'):
        run(config, hooks=cast(RunHooks, object()))
    assert not config.output.dir.exists()


def test_the_run_database_is_the_engines_and_the_graph_files_are_gone(dataset) -> None:
    config = load_config({**dataset(), "output": {**dataset()["output"], "graph_store": True}})
    result = run(config)
    out = result.output_dir
    assert result.counts["graph relationships"] > 0 and (out / "graph.lbug").exists()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []   # no work or graph files left
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM links").fetchall()[0][0] > 0


@pytest.mark.parametrize("stage, settings", [
    ("resolve", {"engine.memory_limit", "engine.threads"}),
    ("enrich", {"engine.memory_limit", "engine.threads", "enrichment.events_per_part"}),
])
def test_a_stage_out_of_memory_says_which_settings_to_change(stage, settings):
    stages: list = []
    with pytest.raises(EngineError, match=f"{stage} stage ran out of memory") as raised, \
            _stage(lambda name: contextlib.nullcontext(), stage, stages):
        raise duckdb.OutOfMemoryException("failed to allocate data of size 64.0 MiB (3.0 GiB/3.0 GiB used)")
    named = set(re.findall(r"\b[a-z_]+\.[a-z_]+\b", str(raised.value)))
    assert named == settings
    assert stages == []


def test_a_stage_that_cannot_write_a_file_names_it_and_what_to_check(tmp_path):
    # DuckDB's IOException is not an OSError: unmapped, the CLI reported a full disk as a bug in linker.
    # A path beneath a plain file fails for real, even for root, where a read-only folder would not.
    (tmp_path / "scratch").write_text("a file, not a folder")
    target = tmp_path / "scratch" / "part.parquet"
    stages: list = []
    with pytest.raises(EngineError, match="the enrich stage could not read or write a file") as raised, \
            _stage(lambda name: contextlib.nullcontext(), "enrich", stages):
        duckdb.connect().execute(f"COPY (SELECT 1 AS x) TO '{target}'")
    message = str(raised.value)
    assert f'"{target}": Not a directory' in message
    assert "free disk space" in message and "output.dir" in message
    assert stages == []
