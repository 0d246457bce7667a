"""Engagement scores: how much each customer engages with each need's domains, against the population's baseline.

For every customer and need, over the need's window: events weighted by recency, spend, active days and
breadth (distinct classes) in the need's domains. Each measure is divided by its mean over the customers active
in that window (learned from the run's own data, never a constant), capped, and the weighted mean of these
lifts is the score. The need fires when the score reaches its ``min_score`` and the customer has at least
``min_events`` events there. The measures, baselines and lifts are the evidence (see the signals file's header).

Examples
--------
>>> engagement_columns([30, 90])[:4]
['events_30d', 'events_90d', 'spend_30d', 'spend_90d']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from linker.engine import Engine, as_engine
from linker.enrich.aggregate import window_label
from linker.enrich.parts import WHOLE, CustomerPart, write_part
from linker.enrich.signal_rules import MEASURES, SignalRules

NEED_SCORE_COLUMNS: dict[str, str] = {
    "customer_id": "The customer.",
    "need": "The need.",
    "window_days": "Days before as_of the score looks at.",
    "events": "Events in the need's domains within the window.",
    "weighted_events": "Those events, each weighted 0.5 ** (age / half_life_days).",
    "spend": "Purchase and card amount in the domains within the window.",
    "active_days": "Distinct days with such an event.",
    "breadth": "Distinct classes of those events.",
    "first_at": "First such event in the window.",
    "last_at": "Last such event in the window.",
    "lift_events": "weighted_events over the population's mean (customers active in the window).",
    "lift_spend": "spend over the population's mean.",
    "lift_active_days": "active_days over the population's mean.",
    "lift_breadth": "breadth over the population's mean.",
    "score": "Weighted mean of the lifts, each capped at lift_cap (1.0: an average active customer); a measure no "
             "one has in the window (spend on a domain only browsed) is left out.",
    "fired": "score >= the need's min_score and events >= its min_events.",
    "act_on": "Date of the last event that counted: when the need became current.",
}
"""Columns of ``need_scores`` before the per-window columns of :func:`engagement_columns`."""

_LIFT = {"events": "weighted_events", "spend": "spend", "active_days": "active_days", "breadth": "breadth"}


def engagement_columns(windows: Sequence[int]) -> list[str]:
    """The per-window columns of ``need_scores``: events and spend in the need's domains per configured window."""
    return [f"{m}_{window_label(w)}" for m in ("events", "spend") for w in sorted(set(windows))]


def register_needs(engine: Engine | duckdb.DuckDBPyConnection, rules: SignalRules) -> None:
    """Create ``need_definitions`` (need, window_days, min_score, min_events, action, recommend, suppress) and
    ``need_classes`` (need, class) from validated rules (temporary)."""
    engine = as_engine(engine)
    needs = rules.needs
    s, ls = pa.string(), pa.list_(pa.string())
    tables = {
        "need_definitions": pa.table({
            "need": pa.array([n.name for n in needs], s),
            "window_days": pa.array([n.window_days for n in needs], pa.int64()),
            "min_score": pa.array([n.min_score for n in needs], pa.float64()),
            "min_events": pa.array([n.min_events for n in needs], pa.int64()),
            "action": pa.array([n.action for n in needs], s),
            "recommend": pa.array([list(n.recommend) for n in needs], ls),
            "suppress": pa.array([list(n.suppress) for n in needs], ls),
            "ord": pa.array(range(len(needs)), pa.int64())}),
        "need_classes": pa.table({
            "need": pa.array([n.name for n in needs for _ in n.classes], s),
            "class": pa.array([c for n in needs for c in n.classes], s)}),
    }
    for name, table in tables.items():
        engine.register_arrow(f"{name}_arrow", table)
        engine.create_table(name, f"SELECT * FROM {name}_arrow")
        engine.drop(f"{name}_arrow")


def build_need_scores(engine: Engine | duckdb.DuckDBPyConnection, rules: SignalRules, windows: Sequence[int], as_of: date, *,
                      parts: Sequence[CustomerPart] = (WHOLE,), baselines: pa.Table | None = None) -> int:
    """Create ``need_scores`` (columns :data:`NEED_SCORE_COLUMNS`, then :func:`engagement_columns`): one row
    per customer and need with at least one event in the need's domains in its window or any configured window,
    and ``need_baselines`` (columns of :data:`linker.enrich.baselines.SCHEMA`: need, window_days, population,
    the population's mean of each measure, learned_as_of).

    ``baselines`` (saved by an earlier run, :mod:`linker.enrich.baselines`) replace the baselines learned from
    this run's data for the needs they hold with the same window.

    Measures are gathered part by part (a join of the events to the needs' classes, one aggregation with a
    column per window); the baselines need every part, so the scores come in one statement over the measures
    (a row per customer and need, far fewer than the events). Run after :func:`register_needs`. Returns the
    number of rows.
    """
    engine = as_engine(engine)
    day = f"DATE '{as_of.isoformat()}'"
    engagement = rules.engagement
    spans = sorted(set(windows))
    per_window = ", ".join(
        [f"count(*) FILTER (WHERE age_days < {w}) AS events_{window_label(w)}" for w in spans]
        + [f"round(coalesce(sum(amount) FILTER (WHERE age_days < {w} AND kind <> 'browse'), 0), 2) "
           f"AS spend_{window_label(w)}" for w in spans])
    for n, part in enumerate(parts):
        write_part(engine, "need_measures", f"""
            WITH e AS (
                SELECT e.customer_id, c.need, d.window_days, e.kind, e.class, e.amount, e.event_time,
                       date_diff('day', CAST(e.event_time AS DATE), {day}) AS age_days
                FROM customer_events e JOIN need_classes c ON c.class = e.class JOIN need_definitions d USING (need)
                WHERE {part.where('e.customer_id')})
            SELECT customer_id, need, any_value(window_days) AS window_days,
                   count(*) FILTER (WHERE age_days < window_days) AS events,
                   coalesce(sum(pow(0.5, age_days / {engagement.half_life_days}))
                            FILTER (WHERE age_days < window_days), 0) AS weighted_events,
                   coalesce(sum(amount) FILTER (WHERE age_days < window_days AND kind <> 'browse'), 0) AS spend,
                   count(DISTINCT CAST(event_time AS DATE)) FILTER (WHERE age_days < window_days) AS active_days,
                   count(DISTINCT class) FILTER (WHERE age_days < window_days) AS breadth,
                   min(event_time) FILTER (WHERE age_days < window_days) AS first_at,
                   max(event_time) FILTER (WHERE age_days < window_days) AS last_at,
                   {per_window}
            FROM e GROUP BY customer_id, need
        """, n == 0, kind="temp")
    _baselines(engine, day, baselines)
    weights = dict(engagement.weights)
    # a measure nobody has in the window (no spend on browsing-only domains) tells nothing: it weighs nothing
    used = {m: f"CASE WHEN b.{_LIFT[m]} > 0 THEN {weights[m]} ELSE 0 END" for m in MEASURES if weights[m]}
    lifts = ", ".join(f"coalesce(round(m.{_LIFT[x]} / nullif(b.{_LIFT[x]}, 0), 4), 0) AS lift_{x}" for x in MEASURES)
    weighted = " + ".join(f"{w} * least(coalesce(m.{_LIFT[x]} / nullif(b.{_LIFT[x]}, 0), 0), {engagement.lift_cap})"
                          for x, w in used.items())
    per_window = ", ".join(f"m.{c}" for c in engagement_columns(windows))
    engine.create_table("need_scores", f"""
        WITH lifted AS (
            SELECT m.customer_id, m.need, m.window_days, m.events, round(m.weighted_events, 4) AS weighted_events,
                   round(m.spend, 2) AS spend, m.active_days, m.breadth, m.first_at, m.last_at, {lifts},
                   coalesce(round(({weighted}) / nullif({' + '.join(used.values())}, 0), 4), 0) AS score,
                   {per_window}
            FROM need_measures m JOIN need_baselines b USING (need))
        SELECT l.customer_id, l.need, l.window_days, l.events, l.weighted_events, l.spend, l.active_days, l.breadth,
               l.first_at, l.last_at, l.lift_events, l.lift_spend, l.lift_active_days, l.lift_breadth, l.score,
               l.score >= d.min_score AND l.events >= d.min_events AS fired, CAST(l.last_at AS DATE) AS act_on,
               {', '.join(f'l.{c}' for c in engagement_columns(windows))}
        FROM lifted l JOIN need_definitions d USING (need)
        ORDER BY l.customer_id, d.ord   -- each customer part of the signals and profiles reads its own row groups
    """, kind="table")
    engine.drop("need_measures")
    return engine.count("need_scores")


def _baselines(engine: Engine, day: str, saved: pa.Table | None) -> None:
    """``need_baselines``: per need, the customers with any event in its window (the population) and the mean
    of each measure over them (customers without events in the need's domains count as zero); or the ``saved``
    baseline of the need and window."""
    horizons = [int(w) for (w,) in engine.rows("SELECT DISTINCT window_days FROM need_definitions ORDER BY 1")]
    active = ", ".join(f"count(DISTINCT customer_id) FILTER (WHERE age_days < {w}) AS active_{w}" for w in horizons)
    population = "CASE d.window_days " + " ".join(f"WHEN {w} THEN p.active_{w}" for w in horizons) + " END"
    learned = "need_baselines" if saved is None else "learned_baselines"
    engine.create_table(learned, f"""
        WITH p AS (SELECT {active}
                   FROM (SELECT customer_id, date_diff('day', CAST(event_time AS DATE), {day}) AS age_days
                         FROM customer_events)),
        sums AS (SELECT need, sum(weighted_events) AS weighted_events, sum(spend) AS spend,
                        sum(active_days) AS active_days, sum(breadth) AS breadth
                 FROM need_measures GROUP BY need),
        pop AS (SELECT d.need, d.window_days, {population} AS population FROM need_definitions d CROSS JOIN p)
        SELECT p.need, p.window_days, p.population,
               coalesce(s.weighted_events, 0) / nullif(p.population, 0) AS weighted_events,
               coalesce(s.spend, 0) / nullif(p.population, 0) AS spend,
               coalesce(s.active_days, 0) / nullif(p.population, 0) AS active_days,
               coalesce(s.breadth, 0) / nullif(p.population, 0) AS breadth, {day} AS learned_as_of
        FROM pop p LEFT JOIN sums s USING (need) ORDER BY p.need
    """, kind="table" if saved is None else "temp")
    if saved is None:
        return
    engine.register_arrow("saved_baselines", saved)
    engine.create_table("need_baselines", """
        SELECT * FROM saved_baselines s WHERE EXISTS (
            SELECT 1 FROM learned_baselines l WHERE l.need = s.need AND l.window_days = s.window_days)
        UNION ALL
        SELECT * FROM learned_baselines l WHERE NOT EXISTS (
            SELECT 1 FROM saved_baselines s WHERE s.need = l.need AND s.window_days = l.window_days)
        ORDER BY need
    """, kind="table")
    engine.drop("saved_baselines", "learned_baselines")
