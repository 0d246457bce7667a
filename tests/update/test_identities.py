"""Stable identities across updates: a customer's cluster keeps its id while accounts join and leave it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

import linker
from linker.config import Config, load_config
from linker.update import update

CUSTOMERS = [{"customer_id": "C2", "name": "李娜", "phones": "13912345678"},
             {"customer_id": "C5", "name": "张伟", "phones": "13800138001;13912345678"}]
ACCOUNTS = [{"account_id": "A7", "name": "李娜", "phones": "13912345678"}]


def _config(folder: Path) -> Config:
    return load_config({"sources": {"customers": {}, "accounts": {}},
                        "output": {"dir": str(folder), "graph_store": False, "formats": ["parquet"]}})


def _clusters(folder: Path) -> dict[str, str]:
    con = duckdb.connect(str(folder / "work.duckdb"), read_only=True)
    try:
        return dict(con.execute("SELECT member_id, cluster_id FROM clusters").fetchall())
    finally:
        con.close()


def _frames(accounts: list[dict]) -> dict[str, pd.DataFrame]:
    return {"customers": pd.DataFrame(CUSTOMERS),
            "accounts": pd.DataFrame(accounts, columns=["account_id", "name", "phones"])}


def test_a_cluster_keeps_its_id_when_accounts_join_and_leave(tmp_path: Path) -> None:
    linker.run(_config(tmp_path / "d1"), frames=_frames(ACCOUNTS))
    before = _clusters(tmp_path / "d1")
    joined = [*ACCOUNTS, {"account_id": "A1", "name": "张伟", "phones": "13800138001"}]   # a smaller account id
    update(_config(tmp_path / "d2"), tmp_path / "d1", frames=_frames(joined))
    after = _clusters(tmp_path / "d2")
    assert after["C2"] == before["C2"] and after["C5"] == before["C5"]
    assert after["A1"] == after["C5"]
    update(_config(tmp_path / "d3"), tmp_path / "d2", frames=_frames([]))   # every account gone
    assert _clusters(tmp_path / "d3") == {"C2": before["C2"], "C5": before["C5"]}
