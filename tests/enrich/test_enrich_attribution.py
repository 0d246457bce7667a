"""Which events reach which customer: card, linked accounts only, device-only browsing through unique devices."""

from __future__ import annotations

from datetime import date

from tests.enrich.enrich_run import AS_OF, RunBuilder, rows

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.attribution import latest_event_date


def _events(run: RunBuilder, **config) -> list[dict]:
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, **config))
    return rows(con, "SELECT * FROM customer_events ORDER BY customer_id, kind, event_id")


def test_only_linked_accounts_feed_a_customer(run: RunBuilder):
    run.customer("C1").customer("C2")
    run.account("A1", "C1", probability=0.97).account("A2", "C1", decision="ambiguous", probability=0.9)
    run.account("A3", "C2", decision="rejected", probability=0.2).account("A4")
    for a in ("A1", "A2", "A3", "A4"):
        run.purchase(a, "家具/沙发", 100, days=3)
        run.browse("床垫", days=3, account_id=a)
    events = _events(run)
    assert {(e["customer_id"], e["account_id"], e["kind"]) for e in events} == {
        ("C1", "A1", "purchase"), ("C1", "A1", "browse")}
    assert {e["attribution"] for e in events} == {"linked_account"}
    assert {e["probability"] for e in events} == {0.97}
    assert {e["platform"] for e in events} == {"taobao"}


def test_card_transactions_are_the_customers_own(run: RunBuilder):
    run.customer("C1")
    run.card("C1", "5712", 3000, days=1, merchant="宜家家居")
    run.card("C9", "5712", 3000, days=1)          # unknown customer: never attributed
    (e,) = _events(run)
    assert (e["customer_id"], e["kind"], e["category"], e["class"], e["attribution"], e["probability"]) == (
        "C1", "card", "mcc:5712", "furniture", "card", 1.0)
    assert e["merchant"] == "宜家家居" and e["account_id"] is None


def test_events_after_as_of_are_left_out_and_as_of_defaults_to_the_latest_event(run: RunBuilder):
    run.customer("C1").account("A1", "C1")
    run.purchase("A1", "家具/沙发", 100, days=0)
    run.purchase("A1", "家具/沙发", 100, days=-2)   # two days after AS_OF
    con = run.done()
    assert latest_event_date(con) == date(2024, 7, 2)
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    assert rows(con, "SELECT count(*) AS n FROM customer_events")[0]["n"] == 1
    enrich(con, EnrichmentConfig())
    assert rows(con, "SELECT count(*) AS n FROM customer_events")[0]["n"] == 2
    assert rows(con, "SELECT value FROM enrichment_info WHERE key = 'as_of'")[0]["value"] == "2024-07-02"


def test_device_only_browsing(run: RunBuilder):
    run.customer("C1", devices=("imei:own",)).customer("C2").customer("C3", devices=("imei:shared",))
    run.customer("C4", devices=("imei:shared",))
    run.account("A2", "C2", probability=0.96, devices=("uuid:tablet",))
    run.account("A5", None, devices=("aid:family",)).customer("C5", devices=("aid:family",))
    run.account("A6", "C1", decision="ambiguous", devices=("aid:unsure",))
    ids = {
        "own": run.browse("床垫", days=2, device="imei:own"),
        "via_account": run.browse("床垫", days=2, device="uuid:tablet"),
        "several": run.browse("床垫", days=2, device="imei:shared"),
        "unlinked": run.browse("床垫", days=2, device="aid:family"),
        "ambiguous": run.browse("床垫", days=2, device="aid:unsure"),
        "nobody": run.browse("床垫", days=2, device="imei:stranger"),
        "with_account": run.browse("床垫", days=2, device="imei:own", account_id="A9"),
    }
    events = {e["event_id"]: e for e in _events(run)}
    assert set(events) == {ids["own"], ids["via_account"]}
    own, via = events[ids["own"]], events[ids["via_account"]]
    assert (own["customer_id"], own["attribution"], own["account_id"], own["probability"]) == (
        "C1", "device", None, 1.0)
    assert (via["customer_id"], via["account_id"], via["probability"], via["platform"]) == (
        "C2", "A2", 0.96, "taobao")
    status = {r["value"]: r["status"] for r in rows(run.con, "SELECT value, status FROM device_attribution")}
    assert status == {
        "imei:own": "attributed", "uuid:tablet": "attributed", "imei:shared": "several customers",
        "aid:family": "shared with an unlinked account",
        "aid:unsure": "no holder",          # held only by an ambiguous account: no customer holds it
        "imei:stranger": "no holder",
    }


def test_a_hub_device_is_never_attributed(run: RunBuilder):
    run.hub_degree = 2
    run.customer("C1", devices=("imei:hub",))
    for i in range(3):
        run.account(f"A{i}", None, devices=("imei:hub",))
    run.browse("床垫", days=2, device="imei:hub")
    assert _events(run) == []
    assert rows(run.con, "SELECT status FROM device_attribution") == [{"status": "hub"}]


def test_device_values_are_masked(run: RunBuilder):
    run.customer("C1", devices=("imei:867530012345670",))
    run.browse("床垫", days=2, device="imei:867530012345670")
    (e,) = _events(run)
    assert e["device"] == "imei:***********5670"
