"""The pipeline's own exports: quarantine files, where the aggregates go."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from linker.config import load_config
from linker.pipeline import QUARANTINE_CELL, run


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


def test_aggregates_go_to_their_parquet_file_only_and_stay_in_the_database_without_parquet(dataset) -> None:
    config = dataset()
    out = run(load_config(config)).output_dir
    written = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT customer_id) "
                                       f"FROM read_parquet('{out / 'aggregates.parquet'}')").fetchall()[0]
    assert written[0] > written[1] > 0
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:   # no view of a moved file
        assert not con.execute("SELECT * FROM duckdb_views() WHERE view_name = 'aggregates'").fetchall()
        assert con.execute("SELECT count(*) FROM profiles").fetchall()[0][0] > 0

    out = run(load_config({**config, "output": {**config["output"], "formats": ["csv"]}})).output_dir
    assert not list(out.glob("*.parquet")) and (out / "profiles.csv").is_file()
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:   # a table of the run database then
        assert con.execute("SELECT count(*) FROM aggregates").fetchall()[0][0] == written[0]
