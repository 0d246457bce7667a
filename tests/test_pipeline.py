"""The pipeline's own exports: quarantine files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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
