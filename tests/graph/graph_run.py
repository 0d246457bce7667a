"""A small hand-made run whose graph every graph test knows by heart.

Customers C1..C5, accounts A1..A6:

- C1 and A1 share a phone and an email: linked (A1 buys furniture and a mattress).
- A2 shares device imei:1111 with both C1 and C2: ambiguous between them.
- C2 took phone +8613800000002 in 2024-06, after A4 (which holds it) was last seen in 2023: recycled.
  A4 also holds an email no one else holds: not in the graph (a value one account alone holds joins nothing).
- C3 and A3 share an email: linked.
- C3, C4 and A5 hold +8613800000009: a hub (phone hub degree 2), which links nobody. A5 buys a mattress, but
  with no link decision its behaviour is not in the graph.
- C4 and C5 share device imei:4444.
- A6 holds nothing.

Clusters (from linked and ambiguous decisions): {C1, C2, A1, A2}, {C3, A3}, singletons for the rest.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from linker.resolve.clusters import build_clusters
from linker.resolve.hubs import find_hubs

RUN_ID = "run-test-0001"

CUSTOMERS = [
    # customer_id, name, city, birth_date, income, debt, credit_limit, status, _row
    ("C1", "张伟", "北京", "1985-03-02", 20000.0, 1000.0, 50000.0, "active", 1),
    ("C2", "李娜", "上海", "1990-05-06", 12000.0, 0.0, 20000.0, "active", 2),
    ("C3", "王芳", "广州", "1979-12-01", 9000.0, 500.0, 10000.0, "active", 3),
    ("C4", "刘洋", "深圳", None, None, None, None, "closed", 4),
    ("C5", "陈静", "北京", "2000-01-01", 7000.0, 0.0, 5000.0, "active", 5),
]
ACCOUNTS = [
    # account_id, platform, name, registered_at, last_seen_at, _row
    ("A1", "taobao", "zhang wei", "2021-01-01 09:00:00", "2024-08-01 10:00:00", 1),
    ("A2", "jd", "张伟", "2021-02-01 10:00:00", "2024-07-01 12:00:00", 2),
    ("A3", "jd", "王芳", "2022-03-01 00:00:00", "2024-05-01 00:00:00", 3),
    ("A4", "ctrip", "li na", "2019-01-01 00:00:00", "2023-01-01 08:00:00", 4),
    ("A5", "taobao", "someone", "2020-01-01 00:00:00", "2024-01-01 00:00:00", 5),
    ("A6", "jd", None, None, None, 6),
]
IDENTIFIERS = [
    # owner_kind, owner_id, id_type, value, kind, since, _row
    ("customer", "C1", "phone", "+8613800000001", "mobile", "2020-01-01", 1),
    ("customer", "C1", "email", "zhangwei@example.com", "email", None, 1),
    ("customer", "C1", "device", "imei:1111", "imei", None, 1),
    ("customer", "C2", "phone", "+8613800000002", "mobile", "2024-06-01", 2),
    ("customer", "C2", "device", "imei:1111", "imei", None, 2),
    ("customer", "C3", "email", "wangfang@example.com", "email", None, 3),
    ("customer", "C3", "phone", "+8613800000009", "mobile", "2018-01-01", 3),
    ("customer", "C4", "phone", "+8613800000009", "mobile", None, 4),
    ("customer", "C4", "device", "imei:4444", "imei", None, 4),
    ("customer", "C5", "email", "chenjing@example.com", "email", None, 5),
    ("customer", "C5", "device", "imei:4444", "imei", None, 5),
    ("account", "A1", "phone", "+8613800000001", "mobile", None, 1),
    ("account", "A1", "email", "zhangwei@example.com", "email", None, 1),
    ("account", "A2", "device", "imei:1111", "imei", None, 2),
    ("account", "A3", "email", "wangfang@example.com", "email", None, 3),
    ("account", "A4", "phone", "+8613800000002", "mobile", None, 4),
    ("account", "A4", "email", "lina.private@example.com", "email", None, 4),
    ("account", "A5", "phone", "+8613800000009", "mobile", None, 5),
]
LINKS = [
    # customer_id, account_id, decision, probability, match_weight, rank, evidence (comparison, level, value, weight)
    ("C1", "A1", "linked", 0.999, 10.5, 1, [("phone", "exact_sole", "+8613800000001", 6.0),
                                         ("email", "exact_sole", "zhangwei@example.com", 5.0)]),
    ("C1", "A2", "ambiguous", 0.7, 1.22, 1, [("device", "exact_few", "imei:1111", 2.0)]),
    ("C2", "A2", "ambiguous", 0.65, 0.9, 2, [("device", "exact_few", "imei:1111", 2.0)]),
    ("C3", "A3", "linked", 0.95, 4.2, 1, [("email", "exact_sole", "wangfang@example.com", 5.0)]),
    ("C2", "A4", "rejected", 0.1, -3.0, 1, [("phone", "exact_stale", "+8613800000002", 0.0)]),
]
PURCHASES = [
    ("O1", "A1", "2024-05-01 10:00:00", "家具/沙发", 3999.0, 1),
    ("O2", "A1", "2024-06-10 11:00:00", "家具/沙发", 1000.0, 1),
    ("O3", "A1", "2024-07-01 12:00:00", "床垫", 899.0, 2),
    ("O4", "A3", "2024-05-15 09:30:00", "家具/沙发", 500.0, 1),
    ("O5", "A5", "2024-05-20 20:00:00", "床垫", 300.0, 1),
]
BROWSING = [
    ("E1", "A1", None, "2024-04-01 10:00:00", "家具/沙发", "view", 30.0),
    ("E2", "A1", "imei:1111", "2024-04-02 10:00:00", "家具/沙发", "cart", 12.5),
    ("E3", None, "imei:9999", "2024-04-03 10:00:00", "手机", "view", 5.0),
]
TRANSACTIONS = [
    ("T1", "C1", "2024-05-02 10:00:00", 2500.0, "5712", "IKEA"),
    ("T2", "C1", "2024-05-09 10:00:00", 300.0, "5712", "IKEA"),
    ("T3", "C3", "2024-05-03 10:00:00", 88.0, "5411", "Carrefour"),
]
CATEGORIES = [("家具/沙发", "home_furnishing"), ("床垫", "home_furnishing"), ("mcc:5712", "home_furnishing"),
              ("手机", "electronics")]
SIGNAL_EVIDENCE = {  # as enrichment writes it (shortened): parts with what was found
    "rule": "home_furnishing", "score": 0.8,
    "parts": [{"part": "evidence", "id": "sofa_bought", "holds": True, "count": 2, "amount": 4999.0,
               "first_at": "2024-06-01 10:00:00", "last_at": "2024-06-20 10:00:00"},
              {"part": "condition", "id": "income", "holds": True}],
    "accounts": [{"account_id": "A1", "events": 2}]}
SIGNALS = [("C1", "home_furnishing", 0.8, "offer_home_loan", json.dumps(SIGNAL_EVIDENCE, ensure_ascii=False),
            "2024-08-01")]


def make_run_tables(con: duckdb.DuckDBPyConnection, *, enrichment: bool = True) -> None:
    """Create the run tables of the small run (as ingest, normalize and resolve leave them)."""
    con.execute("""CREATE TABLE customers (_row BIGINT, _source VARCHAR, customer_id VARCHAR, name VARCHAR,
        phones VARCHAR[], emails VARCHAR[], device_ids VARCHAR[], phone_since DATE[], email_since DATE[],
        device_since DATE[], birth_date DATE, gender VARCHAR, city VARCHAR, income DOUBLE, debt DOUBLE,
        credit_limit DOUBLE, status VARCHAR, attributes MAP(VARCHAR, VARCHAR))""")
    con.executemany("""INSERT INTO customers (customer_id, name, city, birth_date, income, debt, credit_limit, status,
        _row, _source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'customers.csv')""", CUSTOMERS)
    con.execute("""CREATE TABLE accounts (_row BIGINT, _source VARCHAR, account_id VARCHAR, platform VARCHAR,
        name VARCHAR, phones VARCHAR[], emails VARCHAR[], device_ids VARCHAR[], registered_at TIMESTAMP,
        last_seen_at TIMESTAMP, city VARCHAR, birth_date DATE, attributes MAP(VARCHAR, VARCHAR))""")
    con.executemany("""INSERT INTO accounts (account_id, platform, name, registered_at, last_seen_at, _row, _source)
        VALUES (?, ?, ?, ?, ?, ?, 'accounts.csv')""", ACCOUNTS)
    con.execute("""CREATE TABLE identifiers (owner_kind VARCHAR, owner_id VARCHAR, id_type VARCHAR, raw VARCHAR,
        since DATE, confirmed DATE, _row BIGINT, source_table VARCHAR, _source VARCHAR, value VARCHAR, kind VARCHAR,
        status VARCHAR, reason VARCHAR, rule_reason VARCHAR)""")
    con.executemany("""INSERT INTO identifiers (owner_kind, owner_id, id_type, raw, value, kind, since, _row,
        source_table, _source, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'usable')""",
                    [(k, o, t, v, v, kind, s, r, f"{k}s", f"{k}s.csv") for k, o, t, v, kind, s, r in IDENTIFIERS])
    # an unusable identifier: never in the graph
    con.execute("""INSERT INTO identifiers (owner_kind, owner_id, id_type, raw, value, kind, status, reason, _row,
        source_table) VALUES ('customer', 'C5', 'phone', '000', NULL, NULL, 'junk', 'placeholder', 5, 'customers')""")
    find_hubs(con, {"phone": 2, "email": 5, "device": 5})
    con.execute("""CREATE TABLE links (customer_id VARCHAR, account_id VARCHAR, decision VARCHAR, reason VARCHAR,
        probability DOUBLE, match_weight DOUBLE, rank BIGINT, margin_bits DOUBLE, competitors BIGINT,
        evidence STRUCT(comparison VARCHAR, level VARCHAR, id_type VARCHAR, "value" VARCHAR, account_value VARCHAR,
                        weight DOUBLE, note VARCHAR)[])""")
    for c, a, decision, p, w, rank, evidence in LINKS:
        con.execute("INSERT INTO links VALUES (?, ?, ?, 'test', ?, ?, ?, NULL, 1, ?)",
                    [c, a, decision, p, w, rank,
                     [{"comparison": k, "level": lv, "id_type": k, "value": v, "account_value": None, "weight": x,
                       "note": None} for k, lv, v, x in evidence]])
    build_clusters(con)
    con.execute("""CREATE TABLE purchases (_row BIGINT, _source VARCHAR, order_id VARCHAR, account_id VARCHAR,
        order_time TIMESTAMP, category VARCHAR, amount DOUBLE, quantity BIGINT)""")
    con.executemany("INSERT INTO purchases (order_id, account_id, order_time, category, amount, quantity) "
                    "VALUES (?, ?, ?, ?, ?, ?)", PURCHASES)
    con.execute("""CREATE TABLE browsing (_row BIGINT, _source VARCHAR, event_id VARCHAR, account_id VARCHAR,
        device_id VARCHAR, event_time TIMESTAMP, category VARCHAR, action VARCHAR, dwell_seconds DOUBLE)""")
    con.executemany("INSERT INTO browsing (event_id, account_id, device_id, event_time, category, action, "
                    "dwell_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)", BROWSING)
    con.execute("""CREATE TABLE transactions (_row BIGINT, _source VARCHAR, txn_id VARCHAR, customer_id VARCHAR,
        txn_time TIMESTAMP, amount DOUBLE, mcc VARCHAR, merchant VARCHAR)""")
    con.executemany("INSERT INTO transactions (txn_id, customer_id, txn_time, amount, mcc, merchant) "
                    "VALUES (?, ?, ?, ?, ?, ?)", TRANSACTIONS)
    if enrichment:
        con.execute("CREATE TABLE categories (name VARCHAR, domain VARCHAR)")
        con.executemany("INSERT INTO categories VALUES (?, ?)", CATEGORIES)
        con.execute("""CREATE TABLE signals (customer_id VARCHAR, need VARCHAR, score DOUBLE, action VARCHAR,
            evidence VARCHAR, as_of DATE)""")
        con.executemany("INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?)", SIGNALS)


def make_run_dir(folder: Path, *, enrichment: bool = True, store: bool = True) -> Path:
    """A run folder: work.duckdb, manifest.json with the run id, and (if ``store``) graph.lbug."""
    from linker.graph.store import load_graph_store

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(folder / "work.duckdb"))
    try:
        make_run_tables(con, enrichment=enrichment)
        if store:
            load_graph_store(con, folder, run_id=RUN_ID)
    finally:
        con.close()
    (folder / "manifest.json").write_text(json.dumps({"run_id": RUN_ID}), encoding="utf-8")
    return folder
