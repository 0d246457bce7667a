"""Customer metrics for signal conditions: repayment room, debt ratio, credit headroom, age."""

from __future__ import annotations

from datetime import date

import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder, rows

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.affordability import METRICS, Affordability


@pytest.fixture
def metrics(run: RunBuilder) -> dict[str, dict]:
    run.customer("C1", income=10_000, debt=24_000, credit_limit=30_000, birth_date=date(1990, 7, 1))
    run.customer("C2", income=None, debt=None, credit_limit=None, birth_date=date(1990, 6, 30))
    run.card("C1", "5411", 1000, days=29)
    run.card("C1", "5411", 500, days=30)        # outside the 30 days of card_spend_30d
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    return {r["customer_id"]: r for r in rows(con, "SELECT * FROM customer_metrics")}


def test_every_metric_is_a_column(metrics):
    assert set(metrics["C1"]) == {"customer_id", *METRICS}


def test_known_answers(metrics):
    c1 = metrics["C1"]
    assert c1["debt_service"] == pytest.approx(720)                       # 24000 * 0.03
    assert c1["instalment_room"] == pytest.approx(4280)                   # 10000 * 0.5 - 720
    assert c1["instalment_room"] == pytest.approx(Affordability().instalment_room(income=10_000, debt=24_000))
    assert c1["debt_to_income"] == pytest.approx(0.2)                     # 24000 / 120000
    assert (c1["card_spend_30d"], c1["credit_headroom"]) == (1000, 29_000)
    assert c1["age"] == 33                                                # 34th birthday is tomorrow
    assert metrics["C2"]["age"] == 34                                     # birthday today


def test_unknown_income_or_debt_stays_unknown(metrics):
    c2 = metrics["C2"]
    assert c2["instalment_room"] is None and c2["debt_to_income"] is None and c2["credit_headroom"] is None
    assert c2["card_spend_30d"] == 0
