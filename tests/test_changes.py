"""The change log between two runs: links made and withdrawn, clusters merged and split."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import linker
from linker.changes import CHANGES, diff_runs, write_changes
from linker.config import load_config
from linker.errors import RunNotFoundError
from tests.tiny import PAIRED_ACCOUNTS, PAIRED_CUSTOMERS

CUSTOMERS, ACCOUNTS = PAIRED_CUSTOMERS, PAIRED_ACCOUNTS


def _run(folder: Path, customers: list[dict], accounts: list[dict]) -> Path:
    config = load_config({"sources": {"customers": {}, "accounts": {}},
                          "output": {"dir": str(folder), "graph_store": False, "formats": ["parquet"]}})
    linker.run(config, frames={"customers": pd.DataFrame(customers), "accounts": pd.DataFrame(accounts)})
    return folder


def test_the_same_data_changes_nothing(tmp_path: Path) -> None:
    a, b = _run(tmp_path / "a", CUSTOMERS, ACCOUNTS), _run(tmp_path / "b", CUSTOMERS, ACCOUNTS)
    log = diff_runs(a, b)
    assert log.table.num_rows == 0 and set(log.counts) == set(CHANGES)


def test_a_moved_phone_withdraws_one_link_and_adds_another(tmp_path: Path) -> None:
    before = _run(tmp_path / "a", CUSTOMERS, ACCOUNTS)
    # A2 now carries C1's phone and C1's name; A4 is new
    accounts = [ACCOUNTS[0], {"account_id": "A2", "name": "张伟", "phones": "13800138001"}, ACCOUNTS[2],
                {"account_id": "A4", "name": "王芳", "phones": "13711112222"}]
    after = _run(tmp_path / "b", CUSTOMERS, accounts)
    log = diff_runs(before, after)
    rows = {(r["change"], r["customer_id"], r["account_id"]) for r in log.table.to_pylist() if r["account_id"]}
    assert ("link_withdrawn", "C2", "A2") in rows and ("link_added", "C1", "A2") in rows
    assert ("link_added", "C3", "A4") in rows
    withdrawn = next(r for r in log.table.to_pylist() if r["change"] == "link_withdrawn")
    assert withdrawn["old_decision"] == "linked" and withdrawn["reason"].startswith("no longer a candidate")
    path = write_changes(log, tmp_path / "changes.parquet")
    assert pq.read_table(path).num_rows == log.table.num_rows


def test_a_link_withdrawn_because_an_owner_left_says_which(tmp_path: Path) -> None:
    before = _run(tmp_path / "a", CUSTOMERS, ACCOUNTS)
    linked = {(r["customer_id"], r["account_id"]) for r in
              pq.read_table(before / "links.parquet").to_pylist() if r["decision"] == "linked"}
    gone_customer, kept_account = min(linked)
    gone_account = next(a for c, a in sorted(linked) if c != gone_customer)
    after = _run(tmp_path / "b", [c for c in CUSTOMERS if c["customer_id"] != gone_customer],
                 [a for a in ACCOUNTS if a["account_id"] != gone_account])
    reasons = {(r["customer_id"], r["account_id"]): r["reason"] for r in diff_runs(before, after).table.to_pylist()
               if r["change"] == "link_withdrawn"}
    assert reasons[(gone_customer, kept_account)] == "the customer is gone from the source"
    assert reasons[next(p for p in linked if p[1] == gone_account)] == "the account is gone from the source"


def test_a_new_link_between_two_clusters_merges_them(tmp_path: Path) -> None:
    before = _run(tmp_path / "a", CUSTOMERS, ACCOUNTS)
    # the new account is ambiguous between C1 and C2 (it holds both phones): their clusters become one
    accounts = [*ACCOUNTS, {"account_id": "A5", "phones": "13800138001;13912345678"}]
    after = _run(tmp_path / "b", CUSTOMERS, accounts)
    log = diff_runs(before, after)
    merged = [r for r in log.table.to_pylist() if r["change"] == "cluster_merged"]
    assert len(merged) == 1 and len(merged[0]["other_clusters"]) == 2
    assert merged[0]["cluster_id"] in merged[0]["other_clusters"]   # the id of the smallest member survives


def test_a_folder_without_a_run_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no run folder|no run has finished"):
        diff_runs(tmp_path / "nope", tmp_path / "nope")


def test_the_diff_command_prints_the_counts_and_writes_every_change(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from linker.cli import app

    before = _run(tmp_path / "a", CUSTOMERS, ACCOUNTS)
    after = _run(tmp_path / "b", CUSTOMERS, [*ACCOUNTS, {"account_id": "A4", "name": "王芳", "phones": "13711112222"}])
    result = CliRunner().invoke(app, ["diff", str(before), str(after), "--json", "-o", str(tmp_path / "c.parquet")])
    assert result.exit_code == 0, result.output
    assert '"link_added": 1' in result.output
    assert pq.read_table(tmp_path / "c.parquet").num_rows == 1
