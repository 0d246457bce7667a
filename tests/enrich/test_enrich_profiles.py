"""The enriched profile (one row per customer, documented columns) and the exported files and report."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder, rows

from linker.config import EnrichmentConfig
from linker.enrich import enrich, enrichment_manifest, export_enrichment, load_enrichment_rules
from linker.enrich.profiles import PROFILE_COLUMNS, PROFILE_SCHEMA_VERSION, profile_columns, schema_markdown
from linker.enrich.signals import SIGNAL_EVENT_COLUMNS

WINDOWS = [7, 30, 90]


@pytest.fixture
def con(run: RunBuilder):
    run.customer("C1", name="=HYPERLINK(\"http://x\")", income=15_000, debt=20_000, credit_limit=30_000)
    run.customer("C2").customer("C3")
    run.account("A1", "C1", platform="jd").account("A2", "C1", decision="ambiguous", probability=0.8)
    run.purchase("A1", "家具/沙发", 6000, days=10)
    run.purchase("A1", "+cmd|' /C calc'!A0", 10, days=12)
    run.card("C1", "5211", 8000, days=40)
    run.card("C1", "5411", 100, days=3)
    run.browse("床垫", days=5, account_id="A1")
    run.browse("床垫", days=6, account_id="A1")
    run.card("C2", "4511", 3000, days=2)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, windows_days=WINDOWS))
    return con


NEEDS = [n.name for n in load_enrichment_rules(EnrichmentConfig()).signals.needs]


def _expected_columns() -> list[str]:
    return [c for c, _ in profile_columns(WINDOWS, NEEDS)]


def test_one_row_per_customer_with_the_documented_columns(con):
    assert [d[0] for d in con.execute("SELECT * FROM profiles LIMIT 0").description] == _expected_columns()
    assert [r["customer_id"] for r in rows(con, "SELECT customer_id FROM profiles")] == ["C1", "C2", "C3"]
    assert {r["profile_schema_version"] for r in rows(con, "SELECT * FROM profiles")} == {PROFILE_SCHEMA_VERSION}


def test_profile_of_a_furnishing_customer(con):
    (p,) = rows(con, "SELECT * FROM profiles WHERE customer_id = 'C1'")
    assert p["linked_accounts"] == ["A1"] and p["ambiguous_accounts"] == ["A2"] and p["platforms"] == ["jd"]
    assert (p["spend_7d"], p["spend_30d"], p["spend_90d"]) == (100, 6110, 14110)
    assert (p["orders_30d"], p["card_txns_90d"], p["browse_events_7d"]) == (2, 2, 2)
    assert p["instalment_room"] == 15_000 * 0.5 - 20_000 * 0.03
    assert p["credit_headroom"] == 30_000 - 100
    assert p["top_classes"] == ["building_materials", "furniture", "groceries"]
    assert p["top_browsed_classes"] == ["mattress"]
    assert p["top_domains"] == ["home", "food"]      # top-level domains only: home holds home_furnishing
    # C1 holds all the home furnishing of the two customers active in 90 days: twice the mean on every measure
    assert p["home_furnishing_fired"] and p["home_furnishing_score"] == 2.0
    assert p["home_furnishing_events_30d"] == 3 and p["home_furnishing_spend_90d"] == 14_000
    assert p["home_furnishing_action"].startswith("Raise the credit limit")
    assert not p["baby_fired"] and p["baby_events_90d"] == 0 and p["baby_action"] is None
    assert p["needs"] == ["home_furnishing"]
    signals = json.loads(p["signals"])
    assert [s["need"] for s in signals] == ["home_furnishing"] and signals[0]["recommend"] == ["bedding", "mattress"]
    (evidence,) = [json.loads(r["evidence"]) for r in rows(con, "SELECT * FROM signals WHERE customer_id = 'C1'")]
    assert evidence["rule"] == "home_furnishing" and "evidence" not in p   # each signal's evidence is in signals
    assert (p["home_furnishing_spend_7d"], p["home_furnishing_spend_30d"]) == (0, 6000)
    assert p["as_of"] == AS_OF and p["recency_days"] == 3


def test_top_classes_are_the_three_highest_spends_ties_by_name(run: RunBuilder):
    run.customer("C1").account("A1", "C1")
    run.purchase("A1", "家具/沙发", 500, days=10)          # furniture, tied with building_materials
    run.card("C1", "5211", 500, days=20)                  # building_materials
    run.card("C1", "5411", 300, days=5)                   # groceries
    run.card("C1", "4511", 200, days=5)                   # flights: fourth, left out
    run.card("C1", "5211", 900, days=200)                 # outside the longest window (90d)
    for days in (1, 2, 3):
        run.browse("床垫", days=days, account_id="A1")     # mattress: browsed, never bought
    run.browse("家具/沙发", days=4, account_id="A1")
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, windows_days=WINDOWS))
    (p,) = rows(con, "SELECT * FROM profiles WHERE customer_id = 'C1'")
    assert p["top_classes"] == ["building_materials", "furniture", "groceries"]
    assert p["top_browsed_classes"] == ["mattress", "furniture"]
    assert len(p["top_domains"]) == 3 and "flights" not in p["top_classes"]


def test_every_signal_of_a_profile_has_its_evidence_in_signals(run: RunBuilder):
    run.customer("C1").account("A1", "C1")
    run.purchase("A1", "家具/沙发", 6000, days=10)
    run.card("C1", "5211", 8000, days=40)
    run.browse("床垫", days=5, account_id="A1")
    run.card("C1", "4511", 3000, days=2)                  # a flight: travel
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, windows_days=WINDOWS))
    (p,) = rows(con, "SELECT * FROM profiles WHERE customer_id = 'C1'")
    signals = {r["need"]: json.loads(r["evidence"]) for r in rows(con, "SELECT * FROM signals")}
    assert sorted(signals) == ["home_furnishing", "travel"]
    assert sorted(s["need"] for s in json.loads(p["signals"])) == sorted(signals) == sorted(p["needs"])
    assert all(e["need"] == need and e["engagement"]["score"] is not None for need, e in signals.items())


def test_a_customer_without_behaviour(con):
    (p,) = rows(con, "SELECT * FROM profiles WHERE customer_id = 'C3'")
    assert (p["events"], p["spend_90d"], p["needs"], json.loads(p["signals"])) == (0, 0, [], [])
    assert p["first_seen"] is None and p["conversion_30d"] is None


def test_schema_markdown_lists_every_column():
    text = schema_markdown()
    for name, dtype, _ in PROFILE_COLUMNS:
        assert f"| `{name}` | {dtype} |" in text
    assert "`spend_30d, spend_90d`" in schema_markdown([30, 90])


def test_export_writes_every_format_atomically_and_spreadsheet_safe(con, tmp_path: Path):
    files = export_enrichment(con, tmp_path, ["parquet", "csv", "jsonl"])
    names = sorted(f.name for f in files)
    assert names == sorted(["profiles.parquet", "profiles.csv", "profiles.jsonl", "signals.parquet", "signals.csv",
                            "signals.jsonl", "signal_events.parquet", "signal_events.csv", "signal_events.jsonl",
                            "aggregates.parquet", "unmapped_categories.parquet",
                            "unmapped_categories.csv", "report.html"])
    assert sorted(p.name for p in tmp_path.iterdir()) == names            # no temporary files left behind
    assert pq.read_table(tmp_path / "profiles.parquet").num_rows == 3
    with (tmp_path / "profiles.csv").open(encoding="utf-8") as f:
        c1 = next(r for r in csv.DictReader(f) if r["customer_id"] == "C1")
    assert c1["name"].startswith("'=HYPERLINK")
    assert json.loads(c1["signals"])[0]["score"] > 0    # JSON columns stay JSON text
    with (tmp_path / "unmapped_categories.csv").open(encoding="utf-8") as f:
        (u,) = list(csv.DictReader(f))
    assert u["name"].startswith("'+cmd")
    lines = (tmp_path / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert first["customer_id"] == "C1" and first["name"].startswith("=HYPERLINK")  # JSON keeps the value
    signals = [json.loads(x) for x in (tmp_path / "signals.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(s["customer_id"], s["need"]) for s in signals} == {("C1", "home_furnishing"), ("C2", "travel")}
    events = [json.loads(x) for x in (tmp_path / "signal_events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert events and all(list(e) == list(SIGNAL_EVENT_COLUMNS) for e in events)
    assert {(e["customer_id"], e["need"]) for e in events} <= {(s["customer_id"], s["need"]) for s in signals}


def test_export_honours_the_formats(con, tmp_path: Path):
    files = export_enrichment(con, tmp_path, ["jsonl"], report=False)
    assert sorted(f.name for f in files) == ["profiles.jsonl", "signal_events.jsonl", "signals.jsonl"]


def test_report_shows_the_run(con, tmp_path: Path):
    con.execute("CREATE TABLE hubs AS SELECT * FROM identifier_degrees WHERE is_hub")
    (path,) = [f for f in export_enrichment(con, tmp_path, []) if f.suffix == ".html"]
    text = path.read_text(encoding="utf-8")
    for heading in ("Links", "Identifiers and hubs", "Clusters", "Events attributed to customers", "Need signals",
                    "Engagement baselines", "Spend by domain", "Category mapping", "Unmapped categories"):
        assert f"<h2>{heading}</h2>" in text
    assert "<td>exact</td>" in text and "<td>unmapped</td>" in text
    # the spend chart ranks top-level domains; sub-domains are shares of their parent, never added to it
    assert "<td>home</td><td>home_furnishing</td>" in text
    if importlib.util.find_spec("matplotlib"):
        assert text.count("data:image/png;base64,") >= 6
    else:
        assert "Charts need matplotlib" in text
    assert "+cmd|&#x27; /C calc&#x27;!A0" in text                     # escaped, never raw HTML
    assert "as of 2024-06-30" in text


def test_manifest_entries(con):
    info = enrichment_manifest(con)
    assert info["as_of"] == "2024-06-30" and info["windows_days"] == "7,30,90"
    assert info["taxonomy_file"] == "builtin" and info["signals_file"] == "builtin"


def test_column_types_are_as_documented(con):
    documented = dict(profile_columns(WINDOWS, NEEDS))
    actual = {name: dtype for name, dtype, *_ in con.execute("DESCRIBE profiles").fetchall()}
    assert actual == documented


def test_a_run_without_any_event(run: RunBuilder, tmp_path: Path):
    run.customer("C1").account("A1", "C1")
    con = run.done()
    counts = enrich(con, EnrichmentConfig())
    assert (counts["customer events"], counts["aggregates"], counts["signals"], counts["profiles"]) == (0, 0, 0, 1)
    info = enrichment_manifest(con)
    assert info["as_of_source"] == "latest event" and len(info["taxonomy_sha256"]) == 64
    files = export_enrichment(con, tmp_path, ["csv"])
    assert {f.name for f in files} == {"profiles.csv", "signals.csv", "signal_events.csv", "unmapped_categories.csv",
                                       "report.html"}
    assert "<h2>Need signals</h2>" in (tmp_path / "report.html").read_text(encoding="utf-8")
