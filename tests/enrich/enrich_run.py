"""Hand-made run databases for the enrichment tests: the tables the resolve stage leaves, built row by row.

Times are given in days before ``AS_OF`` (an event ``days=10`` happens on 2024-06-20 at noon), so window
arithmetic in the tests reads directly: ``days=29`` is inside a 30-day window, ``days=30`` is not.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

AS_OF = date(2024, 6, 30)

_TABLES = {
    "customers": "customer_id VARCHAR, name VARCHAR, gender VARCHAR, birth_date DATE, city VARCHAR, "
                 "income DOUBLE, debt DOUBLE, credit_limit DOUBLE, status VARCHAR",
    "transactions": "txn_id VARCHAR, customer_id VARCHAR, txn_time TIMESTAMP, amount DOUBLE, mcc VARCHAR, "
                    "merchant VARCHAR",
    "accounts": "account_id VARCHAR, platform VARCHAR, name VARCHAR",
    "purchases": "order_id VARCHAR, account_id VARCHAR, order_time TIMESTAMP, category VARCHAR, amount DOUBLE, "
                 "quantity BIGINT",
    "browsing": "event_id VARCHAR, account_id VARCHAR, device_id VARCHAR, event_time TIMESTAMP, category VARCHAR, "
                "action VARCHAR, dwell_seconds DOUBLE",
    "identifiers": "owner_kind VARCHAR, owner_id VARCHAR, id_type VARCHAR, raw VARCHAR, value VARCHAR, "
                   "status VARCHAR",
    "links": "customer_id VARCHAR, account_id VARCHAR, decision VARCHAR, reason VARCHAR, probability DOUBLE, "
             "match_weight DOUBLE",
}


def when(days: float) -> datetime:
    """Noon ``days`` days before AS_OF."""
    return datetime.combine(AS_OF, datetime.min.time()) + timedelta(hours=12) - timedelta(days=days)


class RunBuilder:
    """Builds the tables :func:`linker.enrich.enrich` reads, one readable call per row."""

    def __init__(self, con: duckdb.DuckDBPyConnection, hub_degree: int = 10) -> None:
        self.con = con
        self.hub_degree = hub_degree
        self._n = 0
        for name, columns in _TABLES.items():
            con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:04d}"

    def _insert(self, table: str, **values: Any) -> None:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values()))

    def customer(self, customer_id: str, *, income: float | None = 12_000, debt: float | None = 0,
                 credit_limit: float | None = 50_000, birth_date: date | None = date(1990, 5, 1),
                 name: str = "张伟", devices: tuple[str, ...] = ()) -> RunBuilder:
        self._insert("customers", customer_id=customer_id, name=name, gender="M", birth_date=birth_date,
                     city="北京", income=income, debt=debt, credit_limit=credit_limit, status="active")
        for d in devices:
            self._insert("identifiers", owner_kind="customer", owner_id=customer_id, id_type="device", raw=d,
                         value=d, status="usable")
        return self

    def account(self, account_id: str, customer_id: str | None = None, *, decision: str = "linked",
                probability: float = 1.0, platform: str = "taobao", devices: tuple[str, ...] = ()) -> RunBuilder:
        self._insert("accounts", account_id=account_id, platform=platform, name="x")
        if customer_id is not None:
            weight = 30.0 if probability >= 1 else round(__import__("math").log2(probability / (1 - probability)), 3)
            self._insert("links", customer_id=customer_id, account_id=account_id, decision=decision,
                         reason="test", probability=probability, match_weight=weight)
        for d in devices:
            self._insert("identifiers", owner_kind="account", owner_id=account_id, id_type="device", raw=d,
                         value=d, status="usable")
        return self

    def purchase(self, account_id: str, category: str | None, amount: float, *, days: float,
                 quantity: int = 1) -> str:
        order_id = self._id("O")
        self._insert("purchases", order_id=order_id, account_id=account_id, order_time=when(days),
                     category=category, amount=amount, quantity=quantity)
        return order_id

    def browse(self, category: str | None, *, days: float, account_id: str | None = None,
               device: str | None = None, action: str = "view", dwell: float = 30.0) -> str:
        event_id = self._id("E")
        self._insert("browsing", event_id=event_id, account_id=account_id, device_id=device,
                     event_time=when(days), category=category, action=action, dwell_seconds=dwell)
        if device is not None:
            self._insert("identifiers", owner_kind="browsing", owner_id=event_id, id_type="device", raw=device,
                         value=device, status="usable")
        return event_id

    def card(self, customer_id: str, mcc: str | None, amount: float, *, days: float,
             merchant: str = "某商户") -> str:
        txn_id = self._id("T")
        self._insert("transactions", txn_id=txn_id, customer_id=customer_id, txn_time=when(days), amount=amount,
                     mcc=mcc, merchant=merchant)
        return txn_id

    def done(self) -> duckdb.DuckDBPyConnection:
        """Derive ``identifier_degrees`` and ``clusters`` the way the resolve stage does, and return the
        connection."""
        self.con.execute(f"""
            CREATE OR REPLACE TABLE identifier_degrees AS
            SELECT id_type, value, any_value(value) AS kind,
                   count(DISTINCT owner_id) FILTER (WHERE owner_kind = 'customer') AS customers,
                   count(DISTINCT owner_id) FILTER (WHERE owner_kind = 'account') AS accounts,
                   count(DISTINCT owner_id) > {self.hub_degree} AS is_hub, {self.hub_degree} AS hub_threshold
            FROM identifiers WHERE status = 'usable' AND owner_kind IN ('customer', 'account')
            GROUP BY id_type, value
        """)
        self.con.execute("""
            CREATE OR REPLACE TABLE clusters AS
            SELECT 'customer' AS member_kind, customer_id AS member_id, 'CL' || customer_id AS cluster_id,
                   1 AS cluster_size, 1 AS customers, 0 AS accounts FROM customers
            UNION ALL
            SELECT 'account', account_id, coalesce((SELECT 'CL' || customer_id FROM links l
                                                    WHERE l.account_id = a.account_id AND decision = 'linked'),
                                                   'CL' || account_id), 1, 0, 1
            FROM accounts a
        """)
        return self.con


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Query result as a list of dicts."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


CATEGORIES = ["家具/沙发", "建材", "床垫", "数码/相机", "镜头", "电脑/笔记本", "机票", None]


def busy_run(run: RunBuilder, customers: int = 12) -> duckdb.DuckDBPyConnection:
    """Customers with purchases, browsing and card payments spread over two years, seeded."""
    rng = random.Random(7)
    for c in range(customers):
        customer_id = f"C{c:02d}"
        run.customer(customer_id)
        for a in range(rng.randint(0, 2)):
            account_id = f"A{c:02d}{a}"
            run.account(account_id, customer_id, platform=rng.choice(["jd", "taobao"]))
            for _ in range(rng.randint(1, 6)):
                run.purchase(account_id, rng.choice(CATEGORIES), rng.randint(10, 9000), days=rng.uniform(0, 700))
                run.browse(rng.choice(CATEGORIES), days=rng.uniform(0, 700), account_id=account_id)
        for _ in range(rng.randint(0, 3)):
            run.card(customer_id, rng.choice(["5211", "5411", "4511"]), rng.randint(5, 5000), days=rng.uniform(0, 400))
    return run.done()
