"""Aggregates on a hand-made customer whose every number is worked out below."""

from __future__ import annotations

import duckdb
import pytest

from linker.config import EnrichmentConfig
from linker.engine import DuckDBEngine
from linker.enrich import enrich
from linker.enrich.aggregate import AGGREGATE_COLUMNS, DAY_SETS, NEXT_SPEND, aggregate_columns
from linker.stages import STAGE
from tests.enrich.enrich_run import AS_OF, RunBuilder, busy_run, rows, when


@pytest.fixture
def con(run: RunBuilder):
    """C1 with accounts A1 (taobao, p 0.9) and A2 (jd, p 1.0) and a card; C2 with nothing.

    ======  ============================================  =========
    age     event                                         class
    ======  ============================================  =========
    5       card 5411, 200                                groceries
    10      A1 buys 家具/沙发, 1000, qty 1                 furniture
    20      A1 buys 神秘商品, 50                           (unmapped)
    29      A2 browses 床垫 (dwell 10)                    mattress
    30      A2 browses 床垫 (dwell 20)                    mattress
    40      A2 buys 床垫, 2 x 250 = 500, qty 2             mattress
    45      A1 browses 床垫 (dwell 60)                    mattress
    100     A2 browses 数码相机 (dwell 5)                  camera
    400     card 5411, 100                                groceries
    ======  ============================================  =========
    """
    run.customer("C1").customer("C2")
    run.account("A1", "C1", probability=0.9, platform="taobao").account("A2", "C1", platform="jd")
    run.card("C1", "5411", 200, days=5)
    run.purchase("A1", "家具/沙发", 1000, days=10)
    run.purchase("A1", "神秘商品", 50, days=20)
    run.browse("床垫", days=29, account_id="A2", dwell=10)
    run.browse("床垫", days=30, account_id="A2", dwell=20)
    run.purchase("A2", "床垫", 500, days=40, quantity=2)
    run.browse("床垫", days=45, account_id="A1", dwell=60)
    run.browse("数码相机", days=100, account_id="A2", dwell=5)
    run.card("C1", "5411", 100, days=400)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, windows_days=[30, 90, 365]))
    return con


WINDOWS = ("30d", "90d", "365d", "all")


def _agg(con, level: str, key: str) -> dict[str, dict]:
    """C1's row of the key, one dict per window with events: its columns of that window under their plain names
    (``spend``, ``accounts`` ...), and the columns of every window (``last_at``, ``account_ids`` ...)."""
    found = rows(con, "SELECT * FROM aggregates WHERE customer_id = 'C1' AND level = ? AND key = ?", level, key)
    assert len(found) <= 1
    if not found:
        return {}
    row = found[0]
    common = {k: v for k, v in row.items() if not k.endswith(tuple(f"_{w}" for w in WINDOWS))}
    return {w: {**common, **{k.removesuffix(f"_{w}"): v for k, v in row.items() if k.endswith(f"_{w}")}}
            for w in WINDOWS if row[f"events_{w}"] > 0}


def test_columns_are_documented(con):
    columns = [d[0] for d in con.execute("SELECT * FROM aggregates LIMIT 0").description]
    assert columns == aggregate_columns([30, 90, 365])
    assert {c.replace(w, "{w}") for c in columns for w in WINDOWS if c.endswith(f"_{w}")} | {
        c for c in columns if not c.endswith(WINDOWS)} == set(AGGREGATE_COLUMNS)


def test_one_row_per_customer_and_key(con):
    keys = con.execute("SELECT customer_id, level, key FROM aggregates").fetchall()
    assert len(keys) == len(set(keys)) and ("C1", "total", "all") in keys


def test_totals_per_window(con):
    t = _agg(con, "total", "all")
    assert set(t) == {"30d", "90d", "365d", "all"}
    expect = {  # spend, orders, quantity, card_txns, browse_events, dwell, events
        "30d": (1250, 2, 2, 1, 1, 10, 4),
        "90d": (1750, 3, 4, 1, 3, 90, 7),
        "365d": (1750, 3, 4, 1, 4, 95, 8),
        "all": (1850, 3, 4, 2, 4, 95, 9),
    }
    for w, (spend, orders, qty, card, browse, dwell, events) in expect.items():
        r = t[w]
        assert (r["spend"], r["orders"], r["quantity"], r["card_txns"], r["browse_events"], r["dwell_seconds"],
                r["events"]) == (spend, orders, qty, card, browse, dwell, events), w
    assert t["all"]["card_amount"] == 300 and t["all"]["purchase_amount"] == 1550


def test_recency_frequency_first_and_last_seen(con):
    t = _agg(con, "total", "all")["all"]
    assert t["recency_days"] == 5 and t["spend_recency_days"] == 5
    assert t["first_at"] == when(400) and t["last_at"] == when(5)
    assert _agg(con, "total", "all")["30d"]["first_at"] == when(29)
    assert t["active_days"] == 9
    furniture = _agg(con, "class", "furniture")["30d"]
    assert furniture["recency_days"] == 10


def test_per_class_and_per_domain_with_the_accounts_that_fed_them(con):
    f = _agg(con, "class", "furniture")
    assert set(f) == {"30d", "90d", "365d", "all"}
    assert (f["30d"]["spend"], f["30d"]["orders"], f["30d"]["account_ids"], f["30d"]["accounts"],
            f["30d"]["platforms"]) == (1000, 1, ["A1"], 1, 1)
    assert f["30d"]["min_link_probability"] == 0.9
    m = _agg(con, "class", "mattress")
    assert "30d" in m and m["30d"]["browse_events"] == 1 and m["30d"]["spend"] == 0
    # A2 was active 29 days ago, A1 45 days ago: the 30-day window holds A2 only, the first of the list
    assert (m["90d"]["spend"], m["90d"]["quantity"], m["90d"]["browse_events"], m["90d"]["account_ids"],
            m["90d"]["accounts"], m["30d"]["accounts"]) == (500, 2, 3, ["A2", "A1"], 2, 1)
    home = _agg(con, "domain", "home_furnishing")["90d"]
    top = _agg(con, "domain", "home")["90d"]            # the parent domain rolls its children up
    assert (home["spend"], home["orders"], home["browse_events"]) == (1500, 2, 3)
    assert {k: home[k] for k in ("spend", "orders", "account_ids")} == {
        k: top[k] for k in ("spend", "orders", "account_ids")}
    assert home["platforms"] == 2
    groceries = _agg(con, "class", "groceries")
    assert (groceries["all"]["card_txns"], groceries["all"]["account_ids"], groceries["all"]["accounts"],
            groceries["all"]["min_link_probability"]) == (2, [], 0, 1.0)
    assert "90d" not in _agg(con, "class", "camera") and _agg(con, "domain", "photography")["365d"]["browse_events"] == 1


def test_unmapped_events_count_under_unmapped(con):
    u = _agg(con, "class", "unmapped")["30d"]
    assert (u["spend"], u["orders"]) == (50, 1)
    assert _agg(con, "domain", "unmapped")["30d"]["spend"] == 50
    (report,) = rows(con, "SELECT * FROM unmapped_categories")
    assert (report["name"], report["source"], report["events"], report["customer_events"], report["customers"]) == (
        "神秘商品", "online", 1, 1, 1)


def test_browse_to_purchase_conversion(con):
    """Browsing converts when a purchase in the same key follows within 30 days: the mattress view 45 days
    ago is followed by the purchase 40 days ago; the views 30 and 29 days ago come after it and nothing
    follows them; nothing follows the camera view."""
    m = _agg(con, "class", "mattress")
    assert (m["30d"]["converted_browse_events"], m["30d"]["conversion"]) == (0, 0.0)
    assert (m["90d"]["converted_browse_events"], m["90d"]["conversion"]) == (1, round(1 / 3, 4))
    assert _agg(con, "class", "camera")["all"]["conversion"] == 0.0
    assert _agg(con, "class", "groceries")["all"]["conversion"] is None   # no browsing at all


def test_a_customer_without_events_has_no_aggregates_but_a_profile(con):
    assert rows(con, "SELECT count(*) AS n FROM aggregates WHERE customer_id = 'C2'")[0]["n"] == 0
    (p,) = rows(con, "SELECT * FROM profiles WHERE customer_id = 'C2'")
    assert (p["spend_30d"], p["events"], p["needs"], p["linked_accounts"]) == (0, 0, [], [])


class _PortableEngine(DuckDBEngine):
    """DuckDB under another name: the enrichment then sends the constructs it sends to engines without DuckDB's
    bit strings and ASOF joins (Spark's)."""

    name = "portable"


def _rounded_rows(engine: DuckDBEngine, query: str) -> list[tuple]:
    """The rows sorted, floats to 9 places: a parallel sum's last bit depends on the order threads add in."""
    rounded = [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in engine.rows(query)]
    return sorted(rounded, key=repr)


def test_the_portable_day_sets_and_next_spend_give_duckdbs_tables() -> None:
    assert "portable" not in DAY_SETS and "portable" not in NEXT_SPEND
    duck = DuckDBEngine(busy_run(RunBuilder(duckdb.connect()), customers=30))
    portable = _PortableEngine(busy_run(RunBuilder(duckdb.connect()), customers=30))
    config = EnrichmentConfig(as_of=AS_OF)
    assert enrich(portable, config) == enrich(duck, config)
    for table in (t.name for t in STAGE["enrich"].writes):
        query = f"SELECT * FROM {table}"
        assert _rounded_rows(portable, query) == _rounded_rows(duck, query), table
    assert duck.scalar("SELECT count(*) FROM aggregates WHERE converted_browse_events_all > 0") > 0
    assert duck.scalar("SELECT count(DISTINCT active_days_all) FROM aggregates") > 2


def test_without_aggregates_every_other_table_is_the_same() -> None:
    config = EnrichmentConfig(as_of=AS_OF, events_per_part=40)
    full = DuckDBEngine(busy_run(RunBuilder(duckdb.connect()), customers=30))
    lean = DuckDBEngine(busy_run(RunBuilder(duckdb.connect()), customers=30))
    counts, lean_counts = enrich(full, config), enrich(lean, config, aggregates=False)
    assert counts["customer parts"] > 1
    assert (counts.pop("aggregates") > 0, lean_counts.pop("aggregates")) == (True, 0)
    assert lean_counts == counts
    assert not lean.exists("aggregates")
    for table in (t.name for t in STAGE["enrich"].writes if t.name != "aggregates"):
        query = f"SELECT * FROM {table}"
        assert _rounded_rows(lean, query) == _rounded_rows(full, query), table


def test_the_spend_per_domain_is_what_the_domain_rows_add_up_to() -> None:
    engine = DuckDBEngine(busy_run(RunBuilder(duckdb.connect()), customers=30))
    enrich(engine, EnrichmentConfig(as_of=AS_OF, windows_days=[30, 365], events_per_part=40))
    added = engine.rows("SELECT key, round(sum(spend_30d), 2), round(sum(spend_365d), 2), round(sum(spend_all), 2) "
                        "FROM aggregates WHERE level = 'domain' GROUP BY key ORDER BY key")
    spend = engine.rows("SELECT domain, spend_30d, spend_365d, spend_all FROM domain_spend ORDER BY domain")
    assert len(spend) > 3 and [(d, *(round(v, 1) for v in r)) for d, *r in spend] == \
        [(d, *(round(v, 1) for v in r)) for d, *r in added]
