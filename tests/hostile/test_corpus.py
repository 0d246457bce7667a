"""The hostile-input corpus (tests/hostile/corpus.py): every case reconciles with its file, or is refused with one
clear message; a sample runs end to end through the command line without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.config import load_config
from linker.ingest import ingest
from tests.hostile.corpus import Case, all_cases, write_inputs

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_record_is_accepted_or_quarantined_once(tmp_path: Path, case: Case) -> None:
    config = load_config(write_inputs(tmp_path, case))
    con = duckdb.connect()
    if case.error is not None:
        with pytest.raises(case.error):
            ingest(con, config, workdir=tmp_path / "work")
        return
    report = ingest(con, config, workdir=tmp_path / "work").tables[case.table]
    assert report.rows_read == case.records             # the records the file holds, as the case wrote them
    assert report.accepted + report.quarantined == report.rows_read and report.reconciles
    assert report.quarantined == case.bad
    rows = con.execute("SELECT count(*), count(DISTINCT coalesce(_row, -line)) FROM quarantine WHERE table_name = ?",
                       [case.table]).fetchall()[0]
    assert rows == (case.bad, case.bad)                 # one quarantine row per bad record


END_TO_END = ["unbalanced quote at a field's start", "record missing fields", "bytes that are not UTF-8",
              "a record of 2 MB", "formula cells", "an overflowing number", "random bytes", "not JSON",
              "binary that is not UTF-8", "a truncated file", "case-clashing keys, a key named _row"]


@pytest.mark.parametrize("case", [c for c in CASES if c.name in END_TO_END and c.table == "customers"],
                         ids=lambda c: c.id)
def test_the_command_line_reports_without_a_traceback(tmp_path: Path, case: Case) -> None:
    config = write_inputs(tmp_path, case)
    toml = tmp_path / "linker.toml"
    toml.write_text("".join(f'[sources.{name}]\npath = {json.dumps(s["path"])}\n'
                            for name, s in config["sources"].items())
                    + '[output]\ndir = "out"\ngraph_store = false\nformats = ["parquet", "csv"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "-c", str(toml), "-q", "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if case.error is not None:
        assert result.exit_code == 1 and result.output.count("error:") == 1
        return
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert all(t["reconciles"] for t in summary["tables"].values())
    assert summary["tables"][case.table]["quarantined"] == case.bad
    if case.name == "formula cells":   # accepted as written, exported so that no spreadsheet runs it
        text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.csv"))
        assert "=cmd|" not in text.replace("'=cmd|", "")
