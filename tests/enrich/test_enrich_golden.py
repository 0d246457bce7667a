"""Golden end-to-end run of ``linker.run`` on a tiny hand-made data set (``golden/tiny``): links, attributed
events, aggregates, need signals, profiles and files, compared with ``golden/tiny_run.json``.

The data tells six short stories (as of 2024-06-30):

- C1 is furnishing a home: building materials by card in May, a sofa on A1 (linked by phone and email) in June,
  mattresses browsed right after; plus an uncategorized order ("神秘商品") that must be counted as unmapped.
- C2 bought a camera on A2 and looked at a lens: recommend lenses and a bag, never another camera.
- C3 browsed old and budget laptops on A3 three times, with room for instalments.
- C4 has no online accounts; a flight and a hotel on the card are enough for travel.
- C5's own phone (a device on the bank's record) browsed new cars and car loans without logging in: device-only
  browsing attributed to C5.
- A6 shares nothing with any customer: its furniture order and its device's mattress view reach nobody.

Regenerate the golden file after an intended change with ``LINKER_UPDATE_GOLDEN=1 pytest tests/enrich``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import linker

HERE = Path(__file__).parent / "golden"
GOLDEN = HERE / "tiny_run.json"


def _snapshot(out: Path, result: linker.RunResult) -> dict[str, Any]:
    events: dict[tuple[str, str], set[str]] = {}
    for e in pq.read_table(out / "signal_events.parquet").to_pylist():
        events.setdefault((e["customer_id"], e["need"]), set()).add(e["event_id"])
    signals = []
    for s in sorted(pq.read_table(out / "signals.parquet").to_pylist(), key=lambda r: (r["customer_id"], r["need"])):
        evidence = json.loads(s["evidence"])
        signals.append({
            "customer_id": s["customer_id"], "need": s["need"], "rule": evidence["rule"], "score": s["score"],
            "found_by": s["found_by"], "rule_score": s["rule_score"], "act_on": str(s["act_on"]),
            "recommend": s["recommend"], "suppress": s["suppress"], "as_of": str(s["as_of"]),
            "parts_holding": [p["id"] for p in evidence["parts"] or [] if p["holds"]],
            "events": sorted(events.get((s["customer_id"], s["need"]), ())),
            "accounts": [(a["account_id"], a["probability"]) for a in evidence["accounts"]],
            "devices": [d["device"] for d in evidence["devices"]],
            "card_transactions": evidence["card_transactions"]})
    keep = ("customer_id", "linked_accounts", "platforms", "events", "device_events", "spend_30d", "spend_90d",
            "orders_90d", "card_txns_90d", "browse_events_90d", "conversion_90d", "top_classes", "top_domains",
            "needs", "instalment_room", "home_furnishing_score", "home_furnishing_fired", "car_events_30d")
    profiles = [{k: p[k] for k in keep} for p in pq.read_table(out / "profiles.parquet").to_pylist()]
    unmapped = pq.read_table(out / "unmapped_categories.parquet").to_pylist()
    counts = {k: v for k, v in result.counts.items()
              if k.startswith(("signals", "customer events", "linked", "unmapped", "attributed", "profiles"))}
    return {"signals": signals, "profiles": profiles, "unmapped_categories": unmapped, "counts": counts,
            "files": sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "work.duckdb")}


def test_linker_run_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = linker.load_config({
        "sources": {name: {"path": str(HERE / "tiny" / f"{name}.csv")}
                    for name in ("customers", "accounts", "transactions", "purchases", "browsing")},
        "output": {"dir": str(tmp_path / "out"), "graph_store": False},
        "enrichment": {"as_of": "2024-06-30"},
    })
    result = linker.run(config)
    assert not (tmp_path / "out" / ".work").exists()  # the scratch database and part files are temporary
    got = json.loads(json.dumps(_snapshot(tmp_path / "out", result), ensure_ascii=False, default=str))
    if os.environ.get("LINKER_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for key in expected:
        assert got[key] == expected[key], key
