"""Fire need signals: rules (data) become small tables, and one fixed set of SQL statements scores them all.

Each rule's evidence, sequences and conditions are rows of ``signal_evidence``, ``signal_sequences`` and
``signal_conditions``; the SQL joins attributed events to them, so adding a rule adds rows, not code. Every fired
signal carries its evidence as JSON: each part with what was found (counts, amounts, days, first and last time),
the accounts with their link scores, and the devices through which browsing was attributed. The events behind
each evidence part (up to :data:`MAX_EVENTS`, the latest, with the link behind each) are rows of
``signal_events``: typed columns a reader filters and joins, where a list inside the JSON text was most of its
size and had to be built, written, and stripped again for the graph. Times in the evidence are text
(``2024-06-20 12:00:00``) on every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from linker.engine import Engine, as_engine
from linker.enrich.affordability import build_customer_metrics, metric_value_sql
from linker.enrich.engagement import build_need_scores, register_needs
from linker.enrich.parts import WHOLE, CustomerPart, write_part
from linker.enrich.signal_rules import SignalRules

MAX_EVENTS = 20
"""Events kept in ``signal_events`` per evidence part of a signal (the most recent); counts cover all of them."""

SIGNAL_COLUMNS: dict[str, str] = {
    "customer_id": "The customer.",
    "need": "The need ([needs] of the signals file: home_furnishing, computer, photography, baby, car, travel, "
            "education by default).",
    "score": "The engagement score: the weighted mean lift of the customer's events, spend, active days and "
             "breadth in the need's domains over the population's (1.0: an average active customer; see "
             "need_scores).",
    "found_by": "'engagement' (the score passed the need's min_score), 'rule' (a current rule fired) or 'both'.",
    "rule": "The fired rule that refines the need into an action (NULL when none did).",
    "rule_score": "0..1: the weighted share of the rule's evidence found, each part weighted by the link "
                  "probability behind it.",
    "action": "What the bank should do: the rule's action, else the need's.",
    "recommend": "Classes to recommend (those bought within the rule's horizon or the need's window dropped).",
    "suppress": "Classes never to recommend to this customer now (e.g. another camera).",
    "act_on": "When to act: the date of the latest event of the evidence that made the need current.",
    "evidence": "JSON: need, engagement (measures, lifts, the population's baseline, thresholds), rule, its "
                "parts (evidence, sequences, conditions with what was found; the events of an evidence part are "
                "rows of signal_events), accounts with link probability and match weight, devices, card "
                "transactions, classes already bought.",
    "as_of": "Reference date.",
}
"""Columns of ``signals`` (read by the graph store for HAS_NEED edges; keep the shape)."""

SIGNAL_EVENT_COLUMNS: dict[str, str] = {
    "customer_id": "The customer.",
    "need": "The need of the signal (a row of signals).",
    "rule": "The signal's fired rule.",
    "item": "The evidence part of the rule the event matched (its id in the signals file).",
    "latest": f"1 for the part's most recent event, 2 for the one before, and so on (at most {MAX_EVENTS} are "
              f"kept; the part's count in the signal's evidence covers all).",
    "kind": "'purchase', 'browse' or 'card'.",
    "event_id": "The order, browsing event or card transaction.",
    "event_time": "When it happened.",
    "category": "The event's category as the partner or the bank wrote it.",
    "class": "The taxonomy class it was mapped to.",
    "merchant": "The merchant (card transactions).",
    "amount": "The amount spent (purchases and card transactions).",
    "action": "The browsing action (view, cart, ...).",
    "dwell_seconds": "Time on the page (browsing).",
    "account_id": "The partner account it came through (NULL for a card transaction).",
    "attribution": "How the event reached the customer: 'linked_account', 'device' (device-only browsing) or "
                   "'card'.",
    "device": "The device through which device-only browsing was attributed (masked).",
    "probability": "The probability of the link behind the event (1.0 for a card transaction).",
}
"""Columns of ``signal_events``: the events behind each evidence part of each signal with a rule."""


def register_rules(engine: Engine | duckdb.DuckDBPyConnection, rules: SignalRules) -> None:
    """Create the rule tables ``signal_rules``, ``signal_evidence``, ``signal_evidence_classes``,
    ``signal_sequences`` and ``signal_conditions`` (temporary) from validated rules."""
    engine = as_engine(engine)
    rs = rules.rules
    ev = [(r, e) for r in rs for e in r.evidence]
    sq = [(r, s) for r in rs for s in r.sequences]
    cd = [(r, c) for r in rs for c in r.conditions]
    s, f, b, i = pa.string(), pa.float64(), pa.bool_(), pa.int64()
    ls = pa.list_(pa.string())
    tables = {
        "signal_rules": ({
            "rule": [r.name for r in rs], "need": [r.need for r in rs], "action": [r.action for r in rs],
            "description": [r.description for r in rs], "recommend": [list(r.recommend) for r in rs],
            "suppress": [list(r.suppress) for r in rs], "min_score": [r.min_score for r in rs],
            "horizon_days": [r.horizon_days for r in rs], "ord": list(range(len(rs)))},
            [s, s, s, s, ls, ls, f, i, i]),
        "signal_evidence": ({
            "rule": [r.name for r, _ in ev], "item": [e.id for _, e in ev], "kind": [e.kind for _, e in ev],
            "window_days": [e.window_days for _, e in ev], "actions": [list(e.actions) for _, e in ev],
            "min_count": [e.min_count for _, e in ev], "min_amount": [e.min_amount for _, e in ev],
            "min_dwell_seconds": [e.min_dwell_seconds for _, e in ev], "min_days": [e.min_days for _, e in ev],
            "absent": [e.absent for _, e in ev], "required": [e.required for _, e in ev],
            "weight": [e.weight for _, e in ev], "ord": list(range(len(ev)))},
            [s, s, s, i, ls, i, f, f, i, b, b, f, i]),
        "signal_evidence_classes": ({
            "rule": [r.name for r, e in ev for _ in e.classes], "item": [e.id for _, e in ev for _ in e.classes],
            "class": [c for _, e in ev for c in e.classes]}, [s, s, s]),
        "signal_sequences": ({
            "rule": [r.name for r, _ in sq], "item": [q.id for _, q in sq], "first_item": [q.first for _, q in sq],
            "then_item": [q.then for _, q in sq], "min_gap_days": [q.min_gap_days for _, q in sq],
            "max_gap_days": [q.max_gap_days for _, q in sq], "required": [q.required for _, q in sq],
            "weight": [q.weight for _, q in sq], "ord": list(range(len(sq)))},
            [s, s, s, s, f, f, b, f, i]),
        "signal_conditions": ({
            "rule": [r.name for r, _ in cd], "item": [c.id for _, c in cd], "metric": [c.metric for _, c in cd],
            "min": [c.min for _, c in cd], "max": [c.max for _, c in cd], "required": [c.required for _, c in cd],
            "weight": [c.weight for _, c in cd], "ord": list(range(len(cd)))},
            [s, s, s, f, f, b, f, i]),
    }
    for name, (columns, types) in tables.items():
        schema = pa.schema(list(zip(columns, types)))
        engine.register_arrow(f"{name}_arrow", pa.table(
            {k: pa.array(v, t) for (k, v), t in zip(columns.items(), types)}, schema=schema))
        engine.create_table(name, f"SELECT * FROM {name}_arrow")
        engine.drop(f"{name}_arrow")


def fire_signals(engine: Engine | duckdb.DuckDBPyConnection, rules: SignalRules, as_of: date, windows: Sequence[int] = (30, 90, 365),
                 *, parts: Sequence[CustomerPart] = (WHOLE,), baselines: pa.Table | None = None) -> dict[str, int]:
    """Score every rule for every customer with matching events; create ``signal_scores`` and ``signals``.

    ``signal_scores`` holds every (customer, rule) scored — ``gate`` (every required part holds), ``score``,
    ``fired`` — for tuning. ``signals`` (columns in :data:`SIGNAL_COLUMNS`) holds one row per customer and need:
    the fired rule of that need with the highest score. ``signal_events`` (:data:`SIGNAL_EVENT_COLUMNS`) holds
    the latest events of each evidence part of those rules.

    ``parts`` are the customer ranges scored one after the other (see :mod:`linker.enrich.parts`): the events
    matched to rules are ranked, aggregated and paired in memory, one part's at a time.

    ``baselines`` are need baselines saved by an earlier run (:mod:`linker.enrich.baselines`), measured against
    instead of the ones learned from this run's data.

    Returns
    -------
    dict
        ``signals`` and ``signals <need>`` counts.

    Notes
    -----
    Events are joined to rule classes (a hash join on the class), aggregated per customer, rule and part; the
    sequences self-join only the events already matched to a rule. Everything else works on those aggregates.
    """
    engine = as_engine(engine)
    register_rules(engine, rules)
    register_needs(engine, rules)
    build_customer_metrics(engine, as_of, rules.affordability)
    counts = {"need scores": build_need_scores(engine, rules, windows, as_of, parts=parts,
                                                   baselines=baselines)}
    day = f"DATE '{as_of.isoformat()}'"
    for n, part in enumerate(parts):
        _score_customers(engine, day, part, first=n == 0)
    counts["signals"] = engine.count("signals")
    for need, n in engine.rows("SELECT need, count(*) FROM signals GROUP BY need ORDER BY need"):
        counts[f"signals {need}"] = int(n)
    engine.drop("signal_rules", "signal_evidence", "signal_evidence_classes", "signal_sequences", "signal_conditions",
                "need_classes")
    return counts


def _score_customers(engine: Engine, day: str, part: CustomerPart, *, first: bool) -> None:
    """Score the rules for the customers of ``part`` and write their rows of ``signal_scores``, ``signals`` and
    ``signal_events``."""
    # latest: the events of each item ranked from the most recent (the first MAX_EVENTS are its signal_events)
    engine.create_table("signal_matches", f"""
        SELECT e.customer_id, x.rule, x.item, e.kind, e.event_id, e.account_id, e.platform, e.event_time,
               e.category, e.merchant, e.class, e.amount, e.quantity, e.action, e.dwell_seconds, e.attribution,
               e.probability, e.match_weight, e.device,
               CAST(row_number() OVER (PARTITION BY e.customer_id, x.rule, x.item
                                       ORDER BY e.event_time DESC, e.event_id) AS INTEGER) AS latest
        FROM customer_events e
        JOIN signal_evidence_classes c ON c.class = e.class
        JOIN signal_evidence x ON x.rule = c.rule AND x.item = c.item
        WHERE (x.kind = 'any' OR x.kind = e.kind OR (x.kind = 'spend' AND e.kind IN ('purchase', 'card')))
          AND date_diff('day', CAST(e.event_time AS DATE), {day}) < x.window_days
          AND (len(x.actions) = 0 OR list_contains(x.actions, e.action)) AND {part.where('e.customer_id')}
    """)
    engine.create_table("signal_item_stats", """
        SELECT customer_id, rule, item, count(*) AS n, coalesce(sum(amount), 0) AS amount,
               coalesce(sum(dwell_seconds), 0) AS dwell_seconds, count(DISTINCT CAST(event_time AS DATE)) AS days,
               min(event_time) AS first_at, max(event_time) AS last_at, max(probability) AS confidence
        FROM signal_matches
        GROUP BY customer_id, rule, item
    """)
    engine.create_table("signal_candidates", """
        SELECT DISTINCT s.customer_id, s.rule FROM signal_item_stats s
        JOIN signal_evidence x ON x.rule = s.rule AND x.item = s.item AND NOT x.absent
    """)
    _parts(engine, part)
    engine.create_table("signal_part_scores", """
        SELECT *, gate AND score >= min_score AS fired
        FROM (SELECT p.customer_id, p.rule, r.need,
                     round(sum(p.weight * CASE WHEN p.holds THEN p.confidence ELSE 0 END) / sum(p.weight), 4)
                         AS score,
                     bool_and(p.holds OR NOT p.required) AS gate, r.min_score, r.ord AS rule_ord,
                     list(p.detail ORDER BY p.part_ord, p.ord) AS parts
              FROM signal_parts p JOIN signal_rules r USING (rule)
              GROUP BY p.customer_id, p.rule, r.need, r.min_score, r.ord)
    """)
    _signals(engine, day, part, first=first)
    write_part(engine, "signal_events", f"""
        SELECT s.customer_id, s.need, s.rule, m.item, m.latest, m.kind, m.event_id, m.event_time, m.category,
               m.class, m.merchant, m.amount, m.action, m.dwell_seconds, m.account_id, m.attribution, m.device,
               m.probability
        FROM signal_rows s
        JOIN signal_matches m ON m.customer_id = s.customer_id AND m.rule = s.rule AND m.latest <= {MAX_EVENTS}
        JOIN signal_evidence x ON x.rule = m.rule AND x.item = m.item
        ORDER BY s.customer_id, s.need, x.ord, m.latest
    """, first)
    write_part(engine, "signal_scores", "SELECT * EXCLUDE (parts) FROM signal_part_scores", first)
    engine.drop("signal_matches", "signal_item_stats", "signal_candidates", "signal_parts", "signal_part_scores",
                "signal_rows")


def _parts(engine: Engine, part: CustomerPart) -> None:
    """``signal_parts``: per candidate (customer, rule) of ``part``, every evidence, sequence and condition of
    the rule, whether it holds, its weight and confidence, and its detail as JSON."""
    engine.create_table("signal_pairs", """
        SELECT a.customer_id, q.rule, q.item, least(a.probability, b.probability) AS confidence,
               a.event_time AS first_time, b.event_time AS then_time,
               {'first': {'kind': a.kind, 'event_id': a.event_id, 'time': CAST(a.event_time AS VARCHAR),
                          'account_id': a.account_id},
                'then': {'kind': b.kind, 'event_id': b.event_id, 'time': CAST(b.event_time AS VARCHAR),
                         'account_id': b.account_id},
                'gap_days': round(date_diff('second', a.event_time, b.event_time) / 86400.0, 1)} AS pair
        FROM signal_sequences q
        JOIN signal_matches a ON a.rule = q.rule AND a.item = q.first_item
        JOIN signal_matches b ON b.rule = q.rule AND b.item = q.then_item AND b.customer_id = a.customer_id
        WHERE date_diff('second', a.event_time, b.event_time) BETWEEN q.min_gap_days * 86400 AND q.max_gap_days * 86400
          AND NOT (a.kind = b.kind AND a.event_id = b.event_id)
    """)
    engine.create_table("signal_parts", f"""
        WITH evidence AS (
            SELECT c.customer_id, x.rule, x.item, x.required, x.weight, x.ord, x.absent,
                   coalesce(s.n, 0) >= x.min_count AND coalesce(s.amount, 0) >= x.min_amount
                       AND coalesce(s.dwell_seconds, 0) >= x.min_dwell_seconds AND coalesce(s.days, 0) >= x.min_days
                       AND coalesce(s.n, 0) > 0 AS met,
                   s.n, s.amount, s.dwell_seconds, s.days, s.first_at, s.last_at, s.confidence, x.kind,
                   x.window_days
            FROM signal_candidates c JOIN signal_evidence x USING (rule)
            LEFT JOIN signal_item_stats s ON s.customer_id = c.customer_id AND s.rule = x.rule AND s.item = x.item),
        sequences AS (
            SELECT c.customer_id, q.rule, q.item, q.required, q.weight, q.ord, q.first_item, q.then_item,
                   q.min_gap_days, q.max_gap_days, p.confidence, p.pair
            FROM signal_candidates c JOIN signal_sequences q USING (rule)
            LEFT JOIN (SELECT customer_id, rule, item, confidence, pair FROM signal_pairs   -- the surest, earliest
                       QUALIFY row_number() OVER (PARTITION BY customer_id, rule, item ORDER BY confidence DESC,
                           first_time, then_time, pair.first.event_id, pair.then.event_id) = 1) p
                ON p.customer_id = c.customer_id AND p.rule = q.rule AND p.item = q.item),
        conditions AS (
            SELECT c.customer_id, k.rule, k.item, k.required, k.weight, k.ord, k.metric, k.min, k.max,
                   {metric_value_sql('k.metric', 'm')} AS value
            FROM signal_candidates c JOIN signal_conditions k USING (rule)
            LEFT JOIN (SELECT * FROM customer_metrics WHERE {part.where()}) m ON m.customer_id = c.customer_id)
        SELECT customer_id, rule, 0 AS part_ord, ord, required, weight,
               CASE WHEN absent THEN NOT met ELSE met END AS holds,
               CASE WHEN absent THEN 1.0 ELSE coalesce(confidence, 0) END AS confidence,
               to_json({{'part': 'evidence', 'id': item, 'kind': kind, 'window_days': window_days,
                         'absent': absent, 'required': required, 'weight': weight,
                         'holds': CASE WHEN absent THEN NOT met ELSE met END, 'count': coalesce(n, 0),
                         'amount': round(coalesce(amount, 0), 2), 'dwell_seconds': round(coalesce(dwell_seconds, 0), 1),
                         'days': coalesce(days, 0), 'first_at': CAST(first_at AS VARCHAR),
                         'last_at': CAST(last_at AS VARCHAR), 'confidence': confidence}}) AS detail
        FROM evidence
        UNION ALL
        SELECT customer_id, rule, 1, ord, required, weight, pair IS NOT NULL, coalesce(confidence, 0),
               to_json({{'part': 'sequence', 'id': item, 'first': first_item, 'then': then_item,
                         'min_gap_days': min_gap_days, 'max_gap_days': max_gap_days, 'required': required,
                         'weight': weight, 'holds': pair IS NOT NULL, 'confidence': confidence, 'example': pair}})
        FROM sequences
        UNION ALL
        SELECT customer_id, rule, 2, ord, required, weight,
               coalesce(value >= coalesce(min, value) AND value <= coalesce(max, value), false), 1.0,
               to_json({{'part': 'condition', 'id': item, 'metric': metric, 'min': min, 'max': max,
                         'value': round(value, 2), 'required': required, 'weight': weight,
                         'holds': coalesce(value >= coalesce(min, value) AND value <= coalesce(max, value), false)}})
        FROM conditions
    """)
    engine.drop("signal_pairs")


def _signals(engine: Engine, day: str, part: CustomerPart, *, first: bool) -> None:
    """``signals`` of the customers of ``part``: per customer and need, the engagement score and the best fired
    rule (either may be missing), with the action, recommendations, when to act and the evidence. Leaves
    ``signal_rows`` (the part's signals before their evidence is written as text) for ``signal_events``."""
    engine.create_table("signal_rule_best", f"""
        WITH best AS (
            SELECT * FROM signal_part_scores WHERE fired
            QUALIFY row_number() OVER (PARTITION BY customer_id, need ORDER BY score DESC, rule_ord) = 1),
        used AS (   -- events of the parts that hold (absent parts have none)
            SELECT m.* FROM signal_matches m JOIN best b USING (customer_id, rule)
            JOIN signal_evidence x ON x.rule = m.rule AND x.item = m.item AND NOT x.absent),
        accounts AS (   -- every account behind the events, with the score of its link to the customer
            SELECT u.customer_id, u.rule,
                   list({{'account_id': u.account_id, 'platform': la.platform, 'probability': la.probability,
                          'match_weight': la.match_weight, 'events': u.n}} ORDER BY u.account_id) AS accounts
            FROM (SELECT customer_id, rule, account_id, count(DISTINCT kind || ':' || event_id) AS n
                  FROM used WHERE account_id IS NOT NULL GROUP BY customer_id, rule, account_id) u
            JOIN (SELECT * FROM linked_accounts WHERE {part.where()}) la
                ON la.account_id = u.account_id AND la.customer_id = u.customer_id
            GROUP BY u.customer_id, u.rule),
        devices AS (
            SELECT customer_id, rule,
                   list({{'device': device, 'via_account': account_id, 'probability': probability,
                          'events': n}} ORDER BY device) AS devices
            FROM (SELECT customer_id, rule, device, account_id, max(probability) AS probability,
                         count(DISTINCT event_id) AS n
                  FROM used WHERE attribution = 'device' GROUP BY customer_id, rule, device, account_id)
            GROUP BY customer_id, rule),
        cards AS (
            SELECT customer_id, rule, count(DISTINCT event_id) FILTER (WHERE kind = 'card') AS card_transactions,
                   max(event_time) AS last_at
            FROM used GROUP BY customer_id, rule)
        SELECT b.customer_id, b.need, b.rule, b.score AS rule_score, r.action, r.recommend, r.suppress,
               r.horizon_days, CAST(c.last_at AS DATE) AS act_on, b.parts, coalesce(a.accounts, []) AS accounts,
               coalesce(d.devices, []) AS devices, coalesce(c.card_transactions, 0) AS card_transactions,
               r.description, r.min_score
        FROM best b JOIN signal_rules r USING (rule)
        LEFT JOIN accounts a USING (customer_id, rule) LEFT JOIN devices d USING (customer_id, rule)
        LEFT JOIN cards c USING (customer_id, rule)
    """)
    # a fired engagement score, or a fired rule whose latest evidence is within the need's window (current)
    engine.create_table("signal_rows", f"""
        SELECT coalesce(e.customer_id, r.customer_id) AS customer_id, coalesce(e.need, r.need) AS need,
               coalesce(e.fired, false) AS engaged, r.rule IS NOT NULL AS ruled, e.score, r.rule, r.rule_score,
               coalesce(r.action, d.action) AS action, coalesce(r.recommend, d.recommend) AS recommend,
               coalesce(r.suppress, d.suppress) AS suppress, coalesce(r.horizon_days, d.window_days) AS horizon_days,
               CASE WHEN coalesce(e.fired, false) THEN greatest(e.act_on, r.act_on) ELSE r.act_on END AS act_on,
               d.ord AS need_ord,
               {{'score': e.score, 'min_score': d.min_score, 'min_events': d.min_events,
                 'window_days': d.window_days, 'fired': coalesce(e.fired, false), 'events': e.events,
                 'weighted_events': e.weighted_events, 'spend': e.spend, 'active_days': e.active_days,
                 'breadth': e.breadth, 'first_at': CAST(e.first_at AS VARCHAR),
                 'last_at': CAST(e.last_at AS VARCHAR),
                 'lifts': {{'events': e.lift_events, 'spend': e.lift_spend, 'active_days': e.lift_active_days,
                            'breadth': e.lift_breadth}},
                 'baseline': {{'population': bl.population, 'weighted_events': round(bl.weighted_events, 4),
                               'spend': round(bl.spend, 2), 'active_days': round(bl.active_days, 4),
                               'breadth': round(bl.breadth, 4)}}}} AS engagement,
               r.description, r.min_score, r.parts, r.accounts, r.devices, r.card_transactions
        FROM (SELECT * FROM need_scores WHERE {part.where()}) e
        FULL JOIN signal_rule_best r USING (customer_id, need)
        JOIN need_definitions d ON d.need = coalesce(e.need, r.need)
        LEFT JOIN need_baselines bl ON bl.need = d.need
        WHERE coalesce(e.fired, false) OR date_diff('day', r.act_on, {day}) < d.window_days
    """)
    # the evidence is JSON text around the parts' JSON texts: the engines' JSON values differ (Spark has none)
    write_part(engine, "signals", f"""
        WITH bought AS (
            SELECT s.customer_id, s.need, list_sort(list(DISTINCT e.class)) AS classes
            FROM signal_rows s
            JOIN customer_events e ON e.customer_id = s.customer_id AND list_contains(s.recommend, e.class)
            WHERE e.kind IN ('purchase', 'card') AND date_diff('day', CAST(e.event_time AS DATE), {day}) < s.horizon_days
              AND {part.where('e.customer_id')}
            GROUP BY s.customer_id, s.need),
        found AS (
            SELECT s.customer_id, s.need, coalesce(s.score, 0) AS score,
                   CASE WHEN s.engaged AND s.ruled THEN 'both' WHEN s.engaged THEN 'engagement' ELSE 'rule' END
                       AS found_by,
                   s.rule, s.rule_score, s.action,
                   list_filter(s.recommend, lambda x: NOT list_contains(coalesce(bo.classes, []), x)) AS recommend,
                   s.suppress, s.act_on,
                   CAST(to_json({{'need': s.need, 'engagement': s.engagement, 'rule': s.rule,
                                 'description': s.description, 'score': s.rule_score, 'min_score': s.min_score}})
                        AS VARCHAR) AS head,
                   coalesce('[' || array_to_string(s.parts, ',') || ']', 'null') AS parts,
                   CAST(to_json({{'accounts': coalesce(s.accounts, []), 'devices': coalesce(s.devices, []),
                                 'card_transactions': coalesce(s.card_transactions, 0),
                                 'already_bought': coalesce(bo.classes, [])}}) AS VARCHAR) AS tail
            FROM signal_rows s LEFT JOIN bought bo USING (customer_id, need))
        SELECT customer_id, need, score, found_by, rule, rule_score, action, recommend, suppress, act_on,
               substr(head, 1, length(head) - 1) || ',"parts":' || parts || ',' || substr(tail, 2) AS evidence,
               {day} AS as_of
        FROM found
        ORDER BY customer_id, need
    """, first)
    engine.drop("signal_rule_best")
