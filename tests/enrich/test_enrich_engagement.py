"""Engagement scores: measures in a need's domains, lifts over the population's mean, firing, act_on."""

from __future__ import annotations

import json
from datetime import date

import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder, rows

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.engagement import NEED_SCORE_COLUMNS, engagement_columns


def _population(run: RunBuilder, *, baby_events: int = 3) -> None:
    """C1 buys baby goods; C2 and C3 only buy groceries: three active customers."""
    run.customer("C1").account("A1", "C1")
    for i in range(baby_events):
        run.purchase("A1", ("玩具", "童装", "奶瓶")[i % 3], 100, days=10 + i)   # no rule of baby needs these
    for c in ("C2", "C3"):
        run.customer(c).account(f"A{c}", c)
        run.purchase(f"A{c}", "粮油调味", 50, days=5)


def test_lifts_are_measures_over_the_population_mean(run: RunBuilder):
    _population(run)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    (s,) = rows(con, "SELECT * FROM need_scores WHERE need = 'baby'")
    # C1 holds all the baby behaviour of 3 active customers: every lift is 3, the score their mean
    assert (s["customer_id"], s["events"], s["active_days"], s["breadth"], s["spend"]) == ("C1", 3, 3, 3, 300)
    assert (s["lift_events"], s["lift_spend"], s["lift_active_days"], s["lift_breadth"]) == (3, 3, 3, 3)
    assert s["score"] == 3.0 and s["fired"] and s["act_on"] == date(2024, 6, 20)
    assert s["weighted_events"] == pytest.approx(sum(0.5 ** (d / 45) for d in (10, 11, 12)), abs=1e-4)
    (b,) = rows(con, "SELECT * FROM need_baselines WHERE need = 'baby'")
    assert b["population"] == 3 and b["spend"] == 100
    assert list(s)[:len(NEED_SCORE_COLUMNS)] == list(NEED_SCORE_COLUMNS)
    assert list(s)[len(NEED_SCORE_COLUMNS):] == engagement_columns([30, 90, 365])
    assert (s["events_30d"], s["spend_90d"]) == (3, 300)


def test_one_event_is_not_a_need_however_high_its_lift(run: RunBuilder):
    _population(run, baby_events=1)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    (s,) = rows(con, "SELECT score, fired FROM need_scores WHERE need = 'baby'")
    assert s == {"score": 3.0, "fired": False}            # min_events = 2
    assert rows(con, "SELECT * FROM signals WHERE need = 'baby'") == []


def test_a_measure_nobody_has_weighs_nothing(run: RunBuilder):
    """Browsing only: no one spends on computers, so the score is the mean of the three other lifts."""
    run.customer("C1").account("A1", "C1")
    for d in (3, 4):
        run.browse("显示器", days=d, account_id="A1")
    run.customer("C2").account("A2", "C2").browse("显示器", days=5, account_id="A2")
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    s = rows(con, "SELECT customer_id, lift_spend, lift_active_days, lift_breadth, score FROM need_scores "
                  "WHERE need = 'computer' ORDER BY 1")[0]
    assert s["lift_spend"] == 0 and s["lift_breadth"] == 1.0
    (lift_events,) = con.execute("SELECT lift_events FROM need_scores WHERE customer_id = 'C1' AND need = 'computer'"
                                 ).fetchone()
    assert s["score"] == round((lift_events + s["lift_active_days"] + 1.0) / 3, 4)


def test_engagement_signal_carries_its_evidence_and_the_needs_action(run: RunBuilder):
    _population(run)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    (s,) = rows(con, "SELECT * FROM signals WHERE need = 'baby'")
    assert (s["found_by"], s["rule"], s["rule_score"]) == ("engagement", None, None)
    assert s["action"].startswith("Offer a child savings plan") and s["act_on"] == date(2024, 6, 20)
    evidence = json.loads(s["evidence"])
    assert evidence["engagement"]["lifts"] == {"events": 3.0, "spend": 3.0, "active_days": 3.0, "breadth": 3.0}
    assert evidence["engagement"]["baseline"]["population"] == 3 and evidence["rule"] is None


def test_an_old_rule_alone_does_not_raise_the_need(run: RunBuilder):
    """A camera bought 150 days ago still fires camera_follow_up (180-day window), but the need is not current."""
    run.customer("C1").account("A1", "C1").purchase("A1", "数码相机", 5000, days=150)
    run.customer("C2").account("A2", "C2").purchase("A2", "数码相机", 5000, days=20)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    assert {r["customer_id"] for r in rows(con, "SELECT customer_id FROM signal_scores WHERE fired")} == {"C1", "C2"}
    assert rows(con, "SELECT customer_id, found_by, act_on FROM signals") == [
        {"customer_id": "C2", "found_by": "rule", "act_on": date(2024, 6, 10)}]


def test_user_thresholds(tmp_path, run: RunBuilder):
    path = tmp_path / "s.toml"
    path.write_text('extends = "builtin"\n[engagement]\nmin_events = 4\n[needs.baby]\ndomains = ["baby"]\n'
                    'min_score = 1\naction = "Call."\n', encoding="utf-8")
    _population(run)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, signals_file=path))
    assert rows(con, "SELECT fired FROM need_scores WHERE need = 'baby'") == [{"fired": False}]   # 3 < 4 events
