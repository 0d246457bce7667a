"""What a customer can afford: repayment room from income and debt, credit headroom, and other metrics that
signal conditions can test.

Examples
--------
>>> a = Affordability()
>>> a.instalment_room(income=10_000, debt=20_000)   # 10000 * 0.5 - 20000 * 0.03
4400.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from linker.engine import Engine, as_engine

METRICS: dict[str, str] = {
    "income": "Monthly income.",
    "debt": "Outstanding debt.",
    "credit_limit": "Card credit limit.",
    "debt_service": "Estimated monthly repayment of the outstanding debt: debt * debt_service_rate.",
    "instalment_room": "Monthly amount left for new instalments: income * max_debt_service_ratio - debt_service.",
    "debt_to_income": "Outstanding debt over yearly income.",
    "card_spend_30d": "Card spend in the 30 days up to as_of (a proxy of the current card balance).",
    "credit_headroom": "credit_limit - card_spend_30d.",
    "age": "Age in whole years at as_of.",
}
"""Customer metrics available to ``[[signals.condition]]`` (also the columns of ``customer_metrics``)."""


@dataclass(frozen=True)
class Affordability:
    """Parameters of the affordability estimate (``[affordability]`` in the signals file)."""

    debt_service_rate: float = 0.03
    max_debt_service_ratio: float = 0.5

    def instalment_room(self, *, income: float, debt: float) -> float:
        """Monthly amount left for new instalments (the same formula as the SQL)."""
        return income * self.max_debt_service_ratio - debt * self.debt_service_rate


def build_customer_metrics(engine: Engine | duckdb.DuckDBPyConnection, as_of: date, params: Affordability) -> int:
    """Create ``customer_metrics``: one row per customer with every metric of :data:`METRICS`.

    Unknown income or debt leaves the metrics built on them NULL, and a condition on a NULL metric does not
    hold. A missing debt is unknown, not zero. Returns the number of customers.
    """
    engine = as_engine(engine)
    day = f"DATE '{as_of.isoformat()}'"
    engine.create_table("customer_metrics", f"""
        WITH card AS (
            SELECT customer_id, sum(amount) AS card_spend_30d FROM customer_events
            WHERE kind = 'card' AND date_diff('day', CAST(event_time AS DATE), {day}) < 30
            GROUP BY customer_id)
        SELECT c.customer_id, c.income, c.debt, c.credit_limit,
               c.debt * {params.debt_service_rate} AS debt_service,
               c.income * {params.max_debt_service_ratio} - c.debt * {params.debt_service_rate} AS instalment_room,
               CASE WHEN c.income > 0 THEN c.debt / (12 * c.income) END AS debt_to_income,
               coalesce(k.card_spend_30d, 0) AS card_spend_30d,
               c.credit_limit - coalesce(k.card_spend_30d, 0) AS credit_headroom,
               CAST(year({day}) - year(c.birth_date)
                    - CASE WHEN strftime(c.birth_date, '%m%d') > strftime({day}, '%m%d') THEN 1 ELSE 0 END
                    AS INTEGER) AS age
        FROM customers c LEFT JOIN card k USING (customer_id)
        ORDER BY c.customer_id   -- each customer part reads its own row groups
    """, kind="table")
    return engine.count("customer_metrics")


def metric_value_sql(metric: str, table: str) -> str:
    """SQL of the value of the metric named by the column ``metric`` in the ``customer_metrics`` row ``table``,
    as DOUBLE, for joining signal conditions (one join on the customer, not one per metric).

    >>> metric_value_sql("k.metric", "m").split(" WHEN ")[1]
    "'income' THEN CAST(m.income AS DOUBLE)"
    """
    cases = " ".join(f"WHEN '{m}' THEN CAST({table}.{m} AS DOUBLE)" for m in METRICS)
    return f"CASE {metric} {cases} END"
