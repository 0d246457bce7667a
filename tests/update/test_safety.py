"""An update never damages the run it builds on, refuses one it cannot build on, and changes nothing twice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import linker
from linker.config import Config, load_config
from linker.errors import RunFolderError, RunNotFoundError
from linker.update import CHANGES_FILE, update
from tests.tiny import PAIRED_ACCOUNTS, PAIRED_CUSTOMERS

CUSTOMERS, ACCOUNTS = PAIRED_CUSTOMERS, PAIRED_ACCOUNTS


def _config(folder: Path, **overrides: object) -> Config:
    return load_config({"sources": {"customers": {}, "accounts": {}},
                        "output": {"dir": str(folder), "graph_store": False, "formats": ["parquet"]}}, overrides)


def _frames(customers: list[dict], accounts: list[dict]) -> dict[str, pd.DataFrame]:
    return {"customers": pd.DataFrame(customers), "accounts": pd.DataFrame(accounts)}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _links(folder: Path) -> list[tuple]:
    con = duckdb.connect(str(folder / "work.duckdb"), read_only=True)
    try:
        return con.execute("SELECT customer_id, account_id, decision, probability FROM links ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture
def first(tmp_path: Path) -> Path:
    linker.run(_config(tmp_path / "day1"), frames=_frames(CUSTOMERS, ACCOUNTS))
    return tmp_path / "day1"


def test_an_update_leaves_the_previous_run_as_it_was(first: Path, tmp_path: Path) -> None:
    before = _digests(first)
    accounts = [*ACCOUNTS[:2], {"account_id": "A4", "name": "王芳", "phones": "13711112222"}]   # A3 removed
    result = update(_config(tmp_path / "day2"), first, frames=_frames(CUSTOMERS, accounts))
    assert _digests(first) == before
    assert result.changes["link_added"] == 1 and result.changes["link_withdrawn"] == 1
    changes = pq.read_table(tmp_path / "day2" / CHANGES_FILE).to_pylist()
    assert {(c["change"], c["account_id"]) for c in changes if c["account_id"]} == {
        ("link_added", "A4"), ("link_withdrawn", "A3")}
    manifest = json.loads((tmp_path / "day2" / "manifest.json").read_text())
    assert manifest["update"]["batch"]["accounts"] == {"added": 1, "changed": 0, "removed": 1}
    assert manifest["model"]["method"] == "loaded"
    assert json.loads((tmp_path / "day2" / "summary.json").read_text())["changes"] == result.changes



def test_a_row_whose_content_changed_is_found_by_key(first: Path, tmp_path: Path) -> None:
    customers = [CUSTOMERS[0], {**CUSTOMERS[1], "name": "李娜娜"}, CUSTOMERS[2]]   # a name only: no identifier moved
    accounts = [{**ACCOUNTS[0], "phones": "13800138002"}, *ACCOUNTS[1:]]
    update(_config(tmp_path / "day2"), first, frames=_frames(customers, accounts))
    batch = json.loads((tmp_path / "day2" / "manifest.json").read_text())["update"]["batch"]
    assert batch == {"customers": {"added": 0, "changed": 1, "removed": 0},
                     "accounts": {"added": 0, "changed": 1, "removed": 0}}

def test_the_same_batch_twice_changes_nothing(first: Path, tmp_path: Path) -> None:
    accounts = [ACCOUNTS[0], {"account_id": "A2", "name": "张伟", "phones": "13800138001"}, ACCOUNTS[2]]
    update(_config(tmp_path / "day2"), first, frames=_frames(CUSTOMERS, accounts))
    again = update(_config(tmp_path / "day2b"), tmp_path / "day2", frames=_frames(CUSTOMERS, accounts))
    assert set(again.changes.values()) == {0}
    assert again.counts["accounts decided again"] == 0
    assert _links(tmp_path / "day2b") == _links(tmp_path / "day2")


def test_an_update_can_replace_the_run_it_builds_on(first: Path) -> None:
    accounts = [*ACCOUNTS, {"account_id": "A4", "name": "王芳", "phones": "13711112222"}]
    result = update(_config(first), first, frames=_frames(CUSTOMERS, accounts))
    assert result.changes["link_added"] == 1
    assert (first / CHANGES_FILE).is_file() and not (first / ".linker-staging").exists()
    assert any(row[1] == "A4" for row in _links(first))


@pytest.mark.parametrize(("entry", "value", "message"), [
    ("state_version", 999, "made by state version 999.*run `linker run`"),
    ("state_version", None, "made by a linker without incremental updates"),
    ("pseudonymized", True, "is pseudonymized.*run `linker run` instead"),
])
def test_a_run_an_update_cannot_build_on_is_refused(first: Path, tmp_path: Path, entry: str, value: object,
                                                    message: str) -> None:
    manifest = json.loads((first / "manifest.json").read_text())
    manifest[entry] = value
    (first / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RunFolderError, match=message):
        update(_config(tmp_path / "day2"), first, frames=_frames(CUSTOMERS, ACCOUNTS))
    assert not (tmp_path / "day2").exists()


def test_other_resolution_settings_are_refused(first: Path, tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="resolution.link_threshold"):
        update(_config(tmp_path / "day2", **{"resolution.link_threshold": 0.99}), first,
               frames=_frames(CUSTOMERS, ACCOUNTS))


def test_a_model_of_another_format_is_refused(first: Path, tmp_path: Path) -> None:
    model = json.loads((first / "model.json").read_text())
    model["linker_model_format"] = 0
    (first / "model.json").write_text(json.dumps(model))
    with pytest.raises(linker.errors.ConfigError, match="no usable match model.*format"):
        update(_config(tmp_path / "day2"), first, frames=_frames(CUSTOMERS, ACCOUNTS))


def test_a_folder_without_a_run_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no run folder"):
        update(_config(tmp_path / "day2"), tmp_path / "nothing", frames=_frames(CUSTOMERS, ACCOUNTS))


def test_the_update_command_prints_the_changes(first: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from linker.cli import app

    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame(CUSTOMERS).to_csv(data / "customers.csv", index=False)
    pd.DataFrame([*ACCOUNTS, {"account_id": "A4", "name": "王芳", "phones": "13711112222"}]).to_csv(
        data / "accounts.csv", index=False)
    (tmp_path / "linker.toml").write_text(
        '[sources.customers]\npath = "data/customers.csv"\n[sources.accounts]\npath = "data/accounts.csv"\n'
        '[output]\ndir = "day2"\ngraph_store = false\nformats = ["parquet"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["update", "-c", str(tmp_path / "linker.toml"), "--since", str(first)])
    assert result.exit_code == 0, result.output
    assert "link_added" in result.output and "changes.parquet" in result.output
    result = CliRunner().invoke(app, ["update", "-c", str(tmp_path / "linker.toml"), "--since", str(tmp_path)])
    assert result.exit_code == 1 and "has no work.duckdb" in result.output


def test_a_value_crossing_the_hub_degree_withdraws_its_links_and_says_so(first: Path, tmp_path: Path) -> None:
    crowd = [{"account_id": f"X{i:02}", "phones": "13711112222"} for i in range(20)]   # C3's phone: 22 holders
    result = update(_config(tmp_path / "day2"), first, frames=_frames(CUSTOMERS, [*ACCOUNTS, *crowd]))
    assert result.counts["values now hubs"] == 1
    withdrawn = [c for c in pq.read_table(tmp_path / "day2" / CHANGES_FILE).to_pylist()
                 if c["change"] == "link_withdrawn"]
    assert [(c["customer_id"], c["account_id"]) for c in withdrawn] == [("C3", "A3")]
    assert withdrawn[0]["reason"] == ("no longer a candidate: the phone they shared is now a hub, held by 22 "
                                      "owners (more than 20)")
    assert "13711112222" not in withdrawn[0]["reason"]
