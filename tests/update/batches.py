"""Random daily batches over a demo data set's Parquet files: rows added (from a held-out pool), changed and
removed, in place, as a partner's full export of the next day would be."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from linker.config import Config

OWNER_TABLES = {"customers": "customer_id", "accounts": "account_id"}
EVENT_TABLES = ("transactions", "purchases", "browsing")
IDENTIFIER_ROLES = ("phones", "emails", "device_ids")
HUB_SPREAD = 22
"""Owners one value is copied to in a 'spread' change: more than the default hub degrees (20 for phones and
emails, 10 for devices)."""


@dataclass
class DemoFiles:
    """The demo's source files (Parquet) and the rows held back from them, to be added by later batches."""

    config: Config
    pool: dict[str, pd.DataFrame] = field(default_factory=dict)

    def path(self, table: str) -> Path:
        path = self.config.sources[table].path
        assert path is not None
        return path

    def column(self, table: str, role: str) -> str:
        mapped = self.config.sources[table].columns.get(role, role)
        return mapped if isinstance(mapped, str) else mapped[0]

    def tables(self) -> list[str]:
        return [t for t in (*OWNER_TABLES, *EVENT_TABLES) if t in self.config.sources]

    def hold_back(self, seed: int, share: float = 0.1) -> None:
        """Move ``share`` of every table's rows into the pool (the base run does not see them)."""
        rng = np.random.default_rng(seed)
        for table in self.tables():
            rows = pd.read_parquet(self.path(table))
            held = rng.random(len(rows)) < share
            self.pool[table] = rows[held]
            rows[~held].to_parquet(self.path(table), index=False)

    def apply_batch(self, seed: int) -> None:
        """Add pooled rows, change identifiers and names, remove rows, in every table; rewrite the files."""
        rng = np.random.default_rng(seed)
        frames = {t: pd.read_parquet(self.path(t)) for t in self.tables()}
        for table, rows in frames.items():
            take = self.pool[table].iloc[: int(rng.integers(0, max(2, len(self.pool[table]) // 3)))]
            self.pool[table] = self.pool[table].iloc[len(take):]
            gone = rng.choice(len(rows), size=min(len(rows), int(rng.integers(0, 4))), replace=False)
            frames[table] = pd.concat([rows.drop(rows.index[gone]), take], ignore_index=True)
        customers, accounts = frames["customers"], frames["accounts"]
        for _ in range(int(rng.integers(1, 6))):
            kind = rng.choice(["steal", "swap_name", "spread", "drop_identifier"])
            target, target_table = (accounts, "accounts") if rng.random() < 0.7 else (customers, "customers")
            if len(target) == 0:
                continue
            i = int(rng.integers(len(target)))
            role = str(rng.choice(IDENTIFIER_ROLES))
            column = self.column(target_table, role)
            if kind == "steal" and len(customers) and column in target:
                # an identifier of some customer appears on the row (a changed phone, a shared device)
                source_column = self.column("customers", role)
                target.iat[i, target.columns.get_loc(column)] = customers[source_column].iat[
                    int(rng.integers(len(customers)))]
            elif kind == "swap_name":
                name = self.column(target_table, "name")
                if name in target:
                    j = int(rng.integers(len(target)))
                    target.iat[i, target.columns.get_loc(name)] = target[name].iat[j]
            elif kind == "spread" and column in target:
                value = target[column].iat[i]
                others = rng.choice(len(target), size=min(len(target), HUB_SPREAD), replace=False)
                target.iloc[others, target.columns.get_loc(column)] = value
            elif column in target:
                target.iat[i, target.columns.get_loc(column)] = None
        for table, rows in frames.items():
            rows.to_parquet(self.path(table), index=False)
