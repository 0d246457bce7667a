"""Customer parts: the enrichment built one customer range at a time gives the same tables as in one go."""

from __future__ import annotations

import json
import random

import duckdb
import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.parts import WHOLE, CustomerPart, customer_parts

CATEGORIES = ["家具/沙发", "建材", "床垫", "数码/相机", "镜头", "电脑/笔记本", "机票", None]


def _busy_run(run: RunBuilder, customers: int = 12) -> duckdb.DuckDBPyConnection:
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


def _table(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """The rows, JSON text parsed (the keys of a JSON object come in any order)."""
    def value(v: object) -> object:
        return json.loads(v) if isinstance(v, str) and v[:1] in ("{", "[") else v

    return [tuple(value(v) for v in row) for row in con.execute(f"SELECT * FROM {table}").fetchall()]


def test_parts_cover_every_id_once() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT 'C' || lpad(CAST(i AS VARCHAR), 3, '0') AS customer_id "
                "FROM range(100) t(i)")
    parts = customer_parts(con, events=1000, events_per_part=300)
    assert len(parts) == 4
    assert parts[0].low is None and parts[-1].high is None
    assert all(a.high == b.low for a, b in zip(parts, parts[1:]))
    for customer_id in ("A", "C000", "C050", "C099", "Z"):   # ids outside the customers table too
        assert sum(con.execute(f"SELECT {p.where(repr(customer_id))}").fetchall()[0][0] for p in parts) == 1


def test_one_part_when_the_events_fit() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT 'C1' AS customer_id")
    assert customer_parts(con, events=10, events_per_part=100) == [WHOLE]
    assert customer_parts(con, events=0, events_per_part=100) == [WHOLE]


def test_where_quotes_the_bounds() -> None:
    assert CustomerPart("it's", None).where() == "customer_id >= 'it''s'"


@pytest.mark.parametrize("events_per_part", [1, 25])
def test_parts_give_the_same_tables_in_customer_order(events_per_part: int) -> None:
    whole = _busy_run(RunBuilder(duckdb.connect()))
    counts_whole = enrich(whole, EnrichmentConfig(as_of=AS_OF))
    parted = _busy_run(RunBuilder(duckdb.connect()))
    counts_parted = enrich(parted, EnrichmentConfig(as_of=AS_OF, events_per_part=events_per_part))

    assert counts_whole["customer parts"] == 1 and counts_parted["customer parts"] > 1
    for table in ("aggregates", "profiles", "signals"):
        assert sorted(_table(parted, table), key=repr) == sorted(_table(whole, table), key=repr), table
    # written part after part, each sorted: sorted as a whole (the export relies on it)
    ids = [r[0] for r in parted.execute("SELECT customer_id FROM profiles").fetchall()]
    assert ids == sorted(ids) and ids
    keys = parted.execute("SELECT customer_id, need FROM signals").fetchall()
    assert keys == sorted(keys) and keys
