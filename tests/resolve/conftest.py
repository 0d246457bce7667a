"""Run the pipeline on a few hand-written customers and accounts, and read its tables back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import linker
from linker.config import load_config
from linker.resolve.names import register_pinyin

CUSTOMER_COLUMNS = ["customer_id", "name", "phones", "emails", "device_ids", "phone_since", "phone_confirmed",
                    "closed_at", "city", "birth_date"]
ACCOUNT_COLUMNS = ["account_id", "platform", "name", "names", "phones", "emails", "device_ids", "registered_at",
                   "last_seen_at", "city"]


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)


class Run:
    """The tables of a finished run, queried with SQL."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.con = duckdb.connect(str(out / "work.duckdb"), read_only=True)

    def rows(self, query: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(query, params or []).fetchall()

    def decision(self, customer_id: str, account_id: str) -> str | None:
        rows = self.rows("SELECT decision FROM links WHERE customer_id = ? AND account_id = ?",
                         [customer_id, account_id])
        return rows[0][0] if rows else None

    def linked(self) -> set[tuple[str, str]]:
        return set(self.rows("SELECT customer_id, account_id FROM links WHERE decision = 'linked'"))


@pytest.fixture
def resolve_run(tmp_path: Path):
    """Factory: run the pipeline on customer and account dicts; extra keyword args go to [resolution]."""
    runs: list[Run] = []

    def make(customers: list[dict], accounts: list[dict], *, rules: str | None = None, **resolution: Any) -> Run:
        out = tmp_path / f"run{len(runs)}"
        if rules is not None:
            (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
            resolution["rules_file"] = str(tmp_path / "rules.toml")
        config = load_config({"sources": {"customers": {}, "accounts": {}}, "resolution": resolution,
                              "output": {"dir": str(out), "graph_store": False, "formats": ["csv"]}})
        linker.run(config, frames={"customers": frame(customers, CUSTOMER_COLUMNS),
                                   "accounts": frame(accounts, ACCOUNT_COLUMNS)})
        run = Run(out)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.con.close()


@pytest.fixture(scope="session")
def pinyin_con() -> duckdb.DuckDBPyConnection:
    """A connection holding the pinyin table, for the name tests' many small queries."""
    con = duckdb.connect()
    register_pinyin(con)
    return con
