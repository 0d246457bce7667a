"""Aggregate each customer's attributed events per class, per need domain and in total, over windows.

One row per customer and key (the total, a class, a domain on a class's domain path), the windows as columns
(``spend_30d``, ``spend_90d`` ... ``spend_all``): events are aggregated once per customer and class with a
column per window, and the domain and total rows sum the class rows of their classes. Unmapped events count
under the key ``unmapped`` at the class and domain levels, and in the total.

Examples
--------
>>> print(window_label(None), window_label(30))
all 30d
>>> aggregate_columns([30])[3:6]
['spend_30d', 'spend_all', 'purchase_amount_30d']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from linker.engine import DuckDBEngine, Engine, as_engine
from linker.enrich.parts import WHOLE, CustomerPart, write_part
from linker.export.files import ParquetAppender
from linker.sql import quote_literal

CONVERSION_DAYS = 30
"""A browsing event converts when the customer buys in the same class (domain) within this many days."""

AGGREGATE_COLUMNS: dict[str, str] = {
    "customer_id": "The customer.",
    "level": "'total', 'domain' or 'class'.",
    "key": "'all' for the total, else the domain or class name ('unmapped' for events the taxonomy does not map).",
    "spend_{w}": "Online purchase amount plus card amount in the window.",
    "purchase_amount_{w}": "Online purchase amount.",
    "orders_{w}": "Online purchase orders.",
    "quantity_{w}": "Items bought online.",
    "card_amount_{w}": "Card transaction amount.",
    "card_txns_{w}": "Card transactions.",
    "browse_events_{w}": "Browsing events (linked accounts and attributed devices).",
    "dwell_seconds_{w}": "Total browsing dwell time.",
    "converted_browse_events_{w}": f"Browsing events followed by a purchase or card payment in the same class "
                                   f"within {CONVERSION_DAYS} days (domain rows: in the same domain).",
    "conversion_{w}": "converted_browse_events / browse_events (NULL without browsing).",
    "events_{w}": "All events (0: none in the window).",
    "active_days_{w}": "Distinct days with an event (frequency).",
    "device_events_{w}": "Events attributed through a device rather than an account.",
    "min_link_probability_{w}": "Lowest link probability among the events (1.0 for card-only aggregates).",
    "first_at_{w}": "First event in the window.",
    "platforms_{w}": "Distinct platforms of the accounts that fed the window.",
    "accounts_{w}": "Accounts that fed the window: the first accounts_{w} of account_ids.",
    "last_at": "Last event.",
    "recency_days": "Days from the last event to as_of.",
    "spend_recency_days": "Days from the last purchase or card payment to as_of (NULL without one).",
    "account_ids": "The accounts that fed the row, the most recently active first (ties by id); card transactions "
                   "and devices on the bank's record have none.",
    "as_of": "Reference date.",
}
"""Columns of ``aggregates`` and what they hold (the README's schema section is generated from this); ``{w}`` is
each configured window ('30d', ...) and 'all' (everything up to as_of)."""


def window_label(days: int | None) -> str:
    """'30d' for 30 days, 'all' for the whole history."""
    return "all" if days is None else f"{days}d"


def _spans(windows: Sequence[int]) -> list[int | None]:
    """The configured windows, shortest first, then None: the whole history."""
    return [*sorted(set(windows)), None]


def aggregate_columns(windows: Sequence[int]) -> list[str]:
    """The columns of ``aggregates`` for these windows, in order."""
    labels = [window_label(w) for w in _spans(windows)]
    return [c for name in AGGREGATE_COLUMNS
            for c in ([name.replace("{w}", lab) for lab in labels] if "{w}" in name else [name])]


CUSTOMER_TOTALS = "customer_totals"
"""Table of :func:`build_aggregates` for the profiles: per customer with events, the total row's figures over
the configured windows and the top classes and domains of the longest window."""

DOMAIN_SPEND = "domain_spend"
"""Table of :func:`build_aggregates` for the run report: per need domain, the spend of all customers in each
window (``spend_30d`` ... ``spend_all``)."""


def build_aggregates(engine: Engine | duckdb.DuckDBPyConnection, windows: list[int], as_of: date, *,
                     parts: Sequence[CustomerPart] = (WHOLE,), conversion_days: int = CONVERSION_DAYS,
                     target: Path | None = None, rows: bool = True) -> int:
    """Write the aggregates (columns of :func:`aggregate_columns`) of ``customer_events``, and create
    :data:`CUSTOMER_TOTALS` for the profiles and :data:`DOMAIN_SPEND` for the report.

    Parameters
    ----------
    engine
        The engine (or DuckDB connection) holding ``customer_events``, ``taxonomy_classes`` (the domain path of each class) and
        ``taxonomy_domains``.
    windows
        Window lengths in days; the whole history up to ``as_of`` is always added as window 'all'.
    as_of
        Reference date; a window of ``n`` days holds events on the ``n`` days ending with ``as_of``.
    parts
        Customer ranges worked on one after the other (see :mod:`linker.enrich.parts`), so that each part's
        hash tables fit in memory. Rows come in no particular order within a part (readers filter by customer).
    conversion_days
        How soon after a browsing event a purchase in the same key counts as its conversion.
    target
        A Parquet file to write the rows into, part after part, as they are computed (renamed into place at
        the end); ``aggregates`` is then a view reading it. Without it, or on an engine other than DuckDB,
        ``aggregates`` is a table of the run.
    rows
        False: build only :data:`CUSTOMER_TOTALS` and :data:`DOMAIN_SPEND`, not ``aggregates`` (nor the
        domains' conversions and the accounts behind each row, which only ``aggregates`` holds).

    Returns
    -------
    int
        Rows written: one per customer and key with at least one event (0 without ``rows``).

    Notes
    -----
    The events are aggregated once per (customer, class), every measure once per window (a ``FILTER`` on the
    event's age), and the days with events as a set (:data:`DAY_SETS`). The domain and total rows sum the class
    rows of their classes and unite their day sets (a day with events in two classes is one day); the windows'
    active days are the days of the set within each window. The conversion look-ahead finds, for each browsing
    event, the next purchase or card payment with the same key (:data:`NEXT_SPEND`). The rows are never stored in the
    run database when written to ``target``: storing them there and exporting them again costs more than
    computing them.
    """
    engine = as_engine(engine)
    day = f"DATE '{as_of.isoformat()}'"
    spans = _spans(windows)
    days = DAY_SETS.get(engine.name, DAY_SETS["lists"])
    _keys(engine)
    engine.create_view("agg_all_events", f"""
        SELECT e.customer_id, c.class_id, e.kind, e.event_time, e.age_days, e.amount, e.quantity, e.dwell_seconds,
               e.account_id, e.platform, e.attribution, e.probability
        FROM (SELECT *, date_diff('day', CAST(event_time AS DATE), {day}) AS age_days FROM customer_events) e
        JOIN agg_classes c ON c.class IS NOT DISTINCT FROM e.class
    """)
    oldest = max(int(engine.scalar("SELECT coalesce(max(age_days), 0) FROM agg_all_events")), 1)
    written = 0
    if not rows:   # none of an earlier run's (an update's run database) either
        engine.drop("aggregates")
    con = engine.con if isinstance(engine, DuckDBEngine) and engine.name == "duckdb" else None
    to_file = target if rows and con is not None else None
    with ParquetAppender(to_file) if to_file is not None else nullcontext() as appender:
        for n, part in enumerate(parts):
            engine.create_table("agg_events", f"SELECT * FROM agg_all_events WHERE {part.where()}")
            _conversions(engine, spans, conversion_days, domains=rows)
            _class_rows(engine, spans, oldest, days, every_measure=rows)
            _rolled_rows(engine, spans, days, every_measure=rows)
            write_part(engine, "agg_class_spend", _class_spend(spans), n == 0, kind="temp")
            if rows:
                _accounts(engine, spans)
                query = _rows_query(spans, oldest, day, days)
                if appender is not None and con is not None:
                    written += appender.append(con, query)
                else:
                    write_part(engine, "aggregates", query, n == 0)
            write_part(engine, CUSTOMER_TOTALS, _customer_totals(spans, oldest, day, days), n == 0)
    if to_file is not None and con is not None:
        con.execute(f"CREATE OR REPLACE VIEW aggregates AS SELECT * FROM read_parquet({quote_literal(str(to_file))})")
    elif rows:
        written = engine.count("aggregates")
    _domain_spend(engine, spans)
    engine.drop("agg_all_events", "agg_events", "agg_conversions", "agg_accounts", "agg_members", "agg_keys",
                "agg_classes", "agg_class", "agg_rolled", "agg_class_spend")
    return written


@dataclass(frozen=True)
class DaySets:
    """How a row of ``agg_class`` / ``agg_rolled`` holds the days (before as_of) with events, as SQL: ``gather``
    (an aggregate over events' ``age_days``), ``unite`` (an aggregate over the sets ``days``), ``count_all`` and
    ``count_within`` (the days of ``days``, all or fewer than ``{w}`` days old)."""

    gather: str
    unite: str
    count_all: str
    count_within: Callable[[int, int], str]


DAY_SETS = {
    # one bit per day: bit i is an event i days before as_of (bit 0 first); a window is a mask of its bits
    "duckdb": DaySets("bitstring_agg(age_days, 0, {oldest})", "bit_or(days)", "bit_count(days)",
                      lambda w, oldest: f"bit_count(days & '{'1' * w}{'0' * (oldest + 1 - w)}'::BIT)"),
    # engines without bit strings (Spark): the distinct ages as a list
    "lists": DaySets("list(DISTINCT age_days)", "list_distinct(flatten(list(days)))", "len(days)",
                     lambda w, oldest: f"len(list_filter(days, lambda d: d < {int(w)}))"),
}
"""The day sets per engine (``lists`` for any engine not named): the same counts, DuckDB's bit strings being
the smaller and faster."""


_SUMMED = ("purchase_amount", "orders", "quantity", "card_amount", "card_txns", "browse_events", "dwell_seconds",
           "device_events")
"""Measures of ``agg_class`` that the domain and total rows sum, per window."""

_LOWEST = ("min_link_probability", "first_at")
"""Measures of ``agg_class`` that the domain and total rows take the lowest of, per window."""


def _in_window(days: int | None) -> str:
    return "TRUE" if days is None else f"age_days < {int(days)}"


_CLASS_MEASURES = {
    "purchase_amount": ("sum(amount)", "kind = 'purchase'"), "orders": ("count(*)", "kind = 'purchase'"),
    "quantity": ("sum(quantity)", "kind = 'purchase'"), "card_amount": ("sum(amount)", "kind = 'card'"),
    "card_txns": ("count(*)", "kind = 'card'"), "browse_events": ("count(*)", "kind = 'browse'"),
    "dwell_seconds": ("sum(dwell_seconds)", "kind = 'browse'"), "device_events": ("count(*)", "attribution = 'device'"),
    "min_link_probability": ("min(probability)", None), "first_at": ("min(event_time)", None)}
"""Measures of ``agg_class`` per window: the aggregate over the events and which events it counts."""


def _class_columns(spans: list[int | None], every_measure: bool) -> dict[str, list[str]]:
    """The windows (labels) of each measure of ``agg_class``: every one, or without ``every_measure`` those
    :data:`CUSTOMER_TOTALS` and :data:`DOMAIN_SPEND` read (spend and counts per window, dwell per configured
    window, device events and the first event over the whole history)."""
    labels = [window_label(w) for w in spans]
    if every_measure:
        return {name: labels for name in _CLASS_MEASURES}
    return {"purchase_amount": labels, "orders": labels, "card_amount": labels, "card_txns": labels,
            "browse_events": labels, "dwell_seconds": labels[:-1], "device_events": ["all"], "first_at": ["all"]}


def _class_rows(engine: Engine, spans: list[int | None], oldest: int, days: DaySets, *,
                every_measure: bool = True) -> None:
    """``agg_class``: ``agg_events`` per (customer, class), each measure per window (:func:`_class_columns`), and
    the days with events (:class:`DaySets`)."""
    def measure(aggregate: str, which: str | None, days: int | None) -> str:
        conditions = [c for c in (which, None if days is None else _in_window(days)) if c]
        return f"{aggregate} FILTER (WHERE {' AND '.join(conditions)})" if conditions else aggregate

    wanted = _class_columns(spans, every_measure)
    columns = ", ".join(f"{measure(aggregate, which, w)} AS {name}_{window_label(w)}"
                        for name, (aggregate, which) in _CLASS_MEASURES.items() for w in spans
                        if window_label(w) in wanted.get(name, ()))
    last_spend = ", max(event_time) FILTER (WHERE kind IN ('purchase', 'card')) AS last_spend_at" if every_measure else ""
    engine.create_table("agg_class", f"""
        SELECT customer_id, class_id, {columns}, max(event_time) AS last_at{last_spend},
               {days.gather.format(oldest=oldest)} AS days
        FROM agg_events GROUP BY customer_id, class_id
    """)


def _rolled_rows(engine: Engine, spans: list[int | None], days: DaySets, *, every_measure: bool = True) -> None:
    """``agg_rolled``: the domain and total rows of the part, summing the class rows of ``agg_class`` (the
    columns of ``agg_class`` with ``key_id`` for ``class_id``); without ``every_measure``, the total rows only,
    of the measures :data:`CUSTOMER_TOTALS` reads (:func:`_class_columns`)."""
    wanted = _class_columns(spans, every_measure)
    rolled = ", ".join(f"{'min' if m in _LOWEST else 'sum'}({m}_{lab}) AS {m}_{lab}"
                       for m in (*_SUMMED, *_LOWEST) for lab in wanted.get(m, ()))
    last_spend = ", max(last_spend_at) AS last_spend_at" if every_measure else ""
    keys = "m.level <> 'class'" if every_measure else "m.level = 'total'"
    engine.create_table("agg_rolled", f"""
        SELECT c.customer_id, m.key_id, {rolled}, max(last_at) AS last_at{last_spend}, {days.unite} AS days
        FROM agg_class c JOIN agg_members m USING (class_id) WHERE {keys}
        GROUP BY c.customer_id, m.key_id
    """)


def _class_spend(spans: list[int | None]) -> str:
    """The part's spend per class and window (all its customers), for :data:`DOMAIN_SPEND`."""
    spend = ", ".join(f"sum(coalesce(purchase_amount_{lab}, 0) + coalesce(card_amount_{lab}, 0)) AS spend_{lab}"
                      for lab in map(window_label, spans))
    return f"SELECT class_id, {spend} FROM agg_class GROUP BY class_id"


def _domain_spend(engine: Engine, spans: list[int | None]) -> None:
    """:data:`DOMAIN_SPEND` from the parts' ``agg_class_spend``: a domain's spend is its classes' (a parent
    domain's holds its sub-domains'), to the cent."""
    spend = ", ".join(f"round(sum(s.spend_{lab}), 2) AS spend_{lab}" for lab in map(window_label, spans))
    engine.create_table(DOMAIN_SPEND, f"""
        SELECT k.key AS domain, {spend}
        FROM agg_class_spend s JOIN agg_members m USING (class_id) JOIN agg_keys k USING (key_id)
        WHERE m.level = 'domain'
        GROUP BY k.key
        ORDER BY k.key
    """, kind="table")


def _measures(spans: list[int | None], oldest: int, days: DaySets) -> dict[str, Callable[[str], str]]:
    """Per window measure of ``aggregates``, the SQL of its value from a row of ``agg_class`` / ``agg_rolled``
    joined to ``agg_conversions`` and ``agg_accounts``, given the window's label."""
    within = {window_label(w): days.count_within(w, oldest) for w in spans if w is not None and w <= oldest}

    def active(lab: str) -> str:
        return within.get(lab, days.count_all)

    def count(name: str) -> str:
        return f"CAST(coalesce({name}, 0) AS BIGINT)"

    return {
        # money to the cent and dwell to the millisecond: parallel float sums differ in the last bits
        "spend": lambda lab: f"round(coalesce(purchase_amount_{lab}, 0) + coalesce(card_amount_{lab}, 0), 2)",
        "purchase_amount": lambda lab: f"round(coalesce(purchase_amount_{lab}, 0), 2)",
        "orders": lambda lab: count(f"orders_{lab}"),
        "quantity": lambda lab: count(f"quantity_{lab}"),
        "card_amount": lambda lab: f"round(coalesce(card_amount_{lab}, 0), 2)",
        "card_txns": lambda lab: count(f"card_txns_{lab}"),
        "browse_events": lambda lab: count(f"browse_events_{lab}"),
        "dwell_seconds": lambda lab: f"round(coalesce(dwell_seconds_{lab}, 0), 3)",
        "converted_browse_events": lambda lab: count(f"converted_{lab}"),
        "conversion": lambda lab: f"CASE WHEN browse_events_{lab} > 0 THEN "
                                  f"round(coalesce(converted_{lab}, 0) / browse_events_{lab}, 4) END",
        # an event is a purchase, a card payment or a browsing event: events are their counts added up, not
        # counted again per window in the class rows and summed again in the domain and total rows
        "events": lambda lab: f"CAST(coalesce(orders_{lab}, 0) + coalesce(card_txns_{lab}, 0) "
                              f"+ coalesce(browse_events_{lab}, 0) AS BIGINT)",
        "active_days": lambda lab: f"CAST({active(lab)} AS BIGINT)",
        "device_events": lambda lab: count(f"device_events_{lab}"),
        "min_link_probability": lambda lab: f"min_link_probability_{lab}",
        "first_at": lambda lab: f"first_at_{lab}",
        "platforms": lambda lab: count(f"platforms_{lab}"),
        "accounts": lambda lab: count(f"accounts_{lab}"),
    }


def _rows_query(spans: list[int | None], oldest: int, day: str, days: DaySets) -> str:
    """The rows of the part: the class rows of ``agg_class`` and the domain and total rows of ``agg_rolled``,
    with the conversions of ``agg_conversions`` and the accounts of ``agg_accounts``."""
    labels = [window_label(w) for w in spans]
    carried = ", ".join(f"{m}_{lab}" for m in (*_SUMMED, *_LOWEST) for lab in labels)
    select = ", ".join(f"{expression(lab)} AS {name}_{lab}" for name, expression in _measures(spans, oldest, days).items()
                       for lab in labels)
    return f"""
        WITH rolled AS (
            SELECT c.customer_id, m.key_id, {carried}, last_at, last_spend_at, days
            FROM agg_class c JOIN agg_members m USING (class_id) WHERE m.level = 'class'
            UNION ALL
            SELECT * FROM agg_rolled)
        SELECT customer_id, k.level, k.key, {select}, last_at,
               date_diff('day', CAST(last_at AS DATE), {day}) AS recency_days,
               date_diff('day', CAST(last_spend_at AS DATE), {day}) AS spend_recency_days,
               coalesce(a.account_ids, []) AS account_ids, {day} AS as_of
        FROM rolled r
        JOIN agg_keys k USING (key_id)
        LEFT JOIN agg_conversions c USING (customer_id, key_id)
        LEFT JOIN agg_accounts a USING (customer_id, key_id)
    """


TOTAL_MEASURES = ("spend", "orders", "card_txns", "browse_events", "dwell_seconds", "conversion")
"""Measures of the total row :data:`CUSTOMER_TOTALS` keeps per configured window."""


def _customer_totals(spans: list[int | None], oldest: int, day: str, days: DaySets) -> str:
    """The part's rows of :data:`CUSTOMER_TOTALS`: the total row's first and last event,
    recency, active days, events and device events over the whole history, :data:`TOTAL_MEASURES` per configured
    window, and up to 3 classes (by spend, by browsing) and top-level domains (by spend) of the longest window."""
    measures = _measures(spans, oldest, days)
    windows = [window_label(w) for w in spans[:-1]]
    longest = windows[-1]
    per_window = ", ".join(f"{measures[m](lab)} AS {m}_{lab}" for m in TOTAL_MEASURES for lab in windows)
    return f"""
        WITH tops AS (
            SELECT customer_id,
                   (list(key ORDER BY spend DESC, key) FILTER (WHERE level = 'class' AND spend > 0))[1:3] AS top_classes,
                   (list(key ORDER BY browse_events DESC, key) FILTER (WHERE level = 'class' AND browse_events > 0))[1:3]
                       AS top_browsed_classes,
                   (list(key ORDER BY spend DESC, key) FILTER (WHERE level = 'domain' AND spend > 0))[1:3] AS top_domains
            FROM (SELECT c.customer_id, k.level, k.key, {measures['spend'](longest)} AS spend,
                         browse_events_{longest} AS browse_events
                  FROM agg_class c JOIN agg_members m USING (class_id) JOIN agg_keys k USING (key_id)
                  WHERE m.level = 'class' AND k.key <> 'unmapped'
                  UNION ALL
                  SELECT r.customer_id, k.level, k.key, {measures['spend'](longest)}, NULL
                  FROM (SELECT c.customer_id, m.key_id, sum(purchase_amount_{longest}) AS purchase_amount_{longest},
                               sum(card_amount_{longest}) AS card_amount_{longest}
                        FROM agg_class c JOIN agg_members m USING (class_id)
                        WHERE m.key_id IN (SELECT key_id FROM agg_keys
                                           WHERE level = 'domain' AND key IN (SELECT top_domain FROM taxonomy_classes))
                        GROUP BY c.customer_id, m.key_id) r
                  JOIN agg_keys k USING (key_id))
            GROUP BY customer_id)
        SELECT r.customer_id, first_at_all AS first_seen, last_at AS last_seen,
               date_diff('day', CAST(last_at AS DATE), {day}) AS recency_days,
               {measures['active_days']('all')} AS active_days, {measures['events']('all')} AS events,
               {measures['device_events']('all')} AS device_events, {per_window},
               coalesce(t.top_classes, []) AS top_classes, coalesce(t.top_browsed_classes, []) AS top_browsed_classes,
               coalesce(t.top_domains, []) AS top_domains
        FROM agg_rolled r
        JOIN agg_keys k ON k.key_id = r.key_id AND k.level = 'total'
        LEFT JOIN agg_conversions c ON c.customer_id = r.customer_id AND c.key_id = r.key_id
        LEFT JOIN tops t ON t.customer_id = r.customer_id
        ORDER BY r.customer_id
    """


def _accounts(engine: Engine, spans: list[int | None]) -> None:
    """``agg_accounts``: per (customer, key) of ``agg_events``, the accounts behind its events, the most recently
    active first, and per window how many accounts and distinct platforms fed it (an account feeds a window when
    its latest event in the key lies in it: the window's accounts are the first ones of the list)."""
    def counts(what: str) -> str:
        return ", ".join(f"count(*) FILTER (WHERE {_in_window(w)}) AS {what}_{window_label(w)}" for w in spans)

    engine.create_table("agg_key_accounts", """
        SELECT a.customer_id, m.key_id, a.account_id, any_value(a.platform) AS platform, min(a.age_days) AS age_days
        FROM (SELECT customer_id, class_id, account_id, any_value(platform) AS platform, min(age_days) AS age_days
              FROM agg_events WHERE account_id IS NOT NULL GROUP BY customer_id, class_id, account_id) a
        JOIN agg_members m USING (class_id)
        GROUP BY a.customer_id, m.key_id, a.account_id
    """)
    # list_sort of (age, id) pairs: a third cheaper than list(account_id ORDER BY age_days, account_id)
    engine.create_table("agg_accounts", f"""
        SELECT a.*, {', '.join(f'p.platforms_{window_label(w)}' for w in spans)}
        FROM (SELECT customer_id, key_id,
                     list_transform(list_sort(list({{'age': age_days, 'id': account_id}})), lambda x: x.id)
                         AS account_ids, {counts('accounts')}
              FROM agg_key_accounts GROUP BY customer_id, key_id) a
        LEFT JOIN (SELECT customer_id, key_id, {counts('platforms')}
              FROM (SELECT customer_id, key_id, platform, min(age_days) AS age_days FROM agg_key_accounts
                    WHERE platform IS NOT NULL GROUP BY customer_id, key_id, platform)
              GROUP BY customer_id, key_id) p USING (customer_id, key_id)
    """)
    engine.drop("agg_key_accounts")


def _keys(engine: Engine) -> None:
    """``agg_classes`` (class, class_id, domain_path: every class of the events, NULL for unmapped; the paths
    from ``taxonomy_classes``), ``agg_keys`` (key_id,
    level, key) and ``agg_members`` (class_id, key_id, level): the keys an event of each class counts in — the
    total, its class and every domain on its domain path ('unmapped' for both when the taxonomy has no class)."""
    engine.create_table("agg_classes", """
        SELECT e.class, t.domain_path, row_number() OVER (ORDER BY e.class) AS class_id
        FROM (SELECT DISTINCT class FROM customer_events) e LEFT JOIN taxonomy_classes t USING (class)
    """)
    engine.create_table("agg_members_named", """
        SELECT class_id, 'total' AS level, 'all' AS key FROM agg_classes
        UNION ALL SELECT class_id, 'class', coalesce(class, 'unmapped') FROM agg_classes
        UNION ALL SELECT class_id, 'domain', unnest(coalesce(domain_path, ['unmapped'])) FROM agg_classes
    """)
    engine.create_table("agg_keys", """
        SELECT row_number() OVER (ORDER BY level, key) AS key_id, level, key
        FROM (SELECT DISTINCT level, key FROM agg_members_named)
    """)
    engine.create_table("agg_members", """
        SELECT DISTINCT m.class_id, k.key_id, k.level FROM agg_members_named m JOIN agg_keys k USING (level, key)
    """)
    engine.drop("agg_members_named")


def _conversions(engine: Engine, spans: list[int | None], conversion_days: int, *, domains: bool = True) -> None:
    """``agg_conversions`` (customer_id, key_id, ``converted_<w>`` per window): browsing events followed by a
    purchase or card payment with the same class (class and total keys) or domain (domain keys) within
    ``conversion_days``, counted in the windows holding the browsing event. Without ``domains``, the total
    keys' rows only (what :data:`CUSTOMER_TOTALS` reads).

    Each browsing event meets the first spend of its customer and key at or after it (:data:`NEXT_SPEND`).
    """
    per_window = ", ".join(f"count(*) FILTER (WHERE {_in_window(w)}) AS converted_{window_label(w)}" for w in spans)
    engine.create_table("agg_conversions", f"""
        WITH keyed AS (
            SELECT e.customer_id, m.key_id, m.level, e.kind, e.event_time, e.age_days
            FROM agg_events e JOIN agg_members m USING (class_id)
            WHERE m.level {"<> 'total'" if domains else "= 'class'"}),
        browsed AS (SELECT * FROM keyed WHERE kind = 'browse'),
        spend AS (   -- only where something was browsed, and the browsing only where something was bought
            SELECT customer_id, key_id, event_time FROM keyed
            WHERE kind IN ('purchase', 'card') AND (customer_id, key_id) IN (SELECT customer_id, key_id FROM browsed)),
        browse AS (SELECT * FROM browsed WHERE (customer_id, key_id) IN (SELECT customer_id, key_id FROM spend)),
        {NEXT_SPEND.get(engine.name, NEXT_SPEND["window"])},
        converted AS (
            SELECT customer_id, key_id, level, age_days FROM next_spend
            WHERE spent_at <= event_time + INTERVAL {int(conversion_days)} DAY)
        {f"SELECT customer_id, key_id, {per_window} FROM converted GROUP BY customer_id, key_id UNION ALL"
         if domains else ""}
        SELECT customer_id, (SELECT key_id FROM agg_keys WHERE level = 'total') AS key_id, {per_window}
        FROM converted WHERE level = 'class' GROUP BY customer_id
    """)


NEXT_SPEND = {
    "duckdb": """next_spend AS (
            SELECT b.customer_id, b.key_id, b.level, b.age_days, b.event_time, s.event_time AS spent_at
            FROM browse b ASOF JOIN spend s
              ON s.customer_id = b.customer_id AND s.key_id = b.key_id AND s.event_time >= b.event_time)""",
    # engines without ASOF joins (Spark): the least spend time from each browsing event on, in time order
    # (a browsing event before the spends of its instant, which count: "at or after")
    "window": """timeline AS (
            SELECT customer_id, key_id, level, age_days, event_time, TRUE AS browsed FROM browse
            UNION ALL
            SELECT customer_id, key_id, CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT), event_time, FALSE FROM spend),
        next_spend AS (
            SELECT customer_id, key_id, level, age_days, event_time, spent_at
            FROM (SELECT *, min(CASE WHEN NOT browsed THEN event_time END) OVER (
                              PARTITION BY customer_id, key_id ORDER BY event_time, NOT browsed
                              ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS spent_at
                  FROM timeline)
            WHERE browsed AND spent_at IS NOT NULL)""",
}
"""``next_spend`` (customer_id, key_id, level, age_days, event_time, spent_at) per engine (``window`` for any
engine not named), from ``browse`` and ``spend``: each browsing event with the time of the first spend of its
customer and key at or after it (none: no row). DuckDB's ASOF join is the faster."""
