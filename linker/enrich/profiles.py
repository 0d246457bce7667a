"""The enriched profile: one row per customer with attributes, aggregates and needs (their evidence is in
``signals``).

The columns are listed in :data:`PROFILE_COLUMNS` (the README's schema section is generated from it by
:func:`schema_markdown`); ``{w}`` stands for each configured window (``spend_30d``, ``spend_90d`` ...),
``{need}`` for each need of the signals file (``baby_score``, ``baby_events_30d`` ...; see :func:`profile_columns`).
Changing a column's name, type or meaning bumps :data:`PROFILE_SCHEMA_VERSION`, which every row carries.

Examples
--------
>>> print(schema_markdown().splitlines()[2])
| `profile_schema_version` | INTEGER | Version of this layout (3). |
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import duckdb

from linker.engine import Engine, as_engine
from linker.enrich.aggregate import TOTAL_MEASURES, window_label
from linker.enrich.parts import WHOLE, CustomerPart, merge_parts, write_part
from linker.sql import quote_literal

PROFILE_SCHEMA_VERSION = 3

CUSTOMERS_PER_PART = 500_000
"""Customers of one profile part, about: the enrichment's parts (sized by their events) are joined into parts of
about this many. A profile part's memory grows with its customers, not their events; and DuckDB writes an
insert into the run database straight to its file, on every thread, only when each thread has a whole row group
(122,880 rows): a smaller insert goes through the write-ahead log, on one thread."""

PROFILE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("profile_schema_version", "INTEGER", f"Version of this layout ({PROFILE_SCHEMA_VERSION})."),
    ("customer_id", "VARCHAR", "The bank's customer id."),
    ("name", "VARCHAR", "Name on the bank's record."),
    ("gender", "VARCHAR", ""),
    ("birth_date", "DATE", ""),
    ("age", "INTEGER", "Whole years at as_of."),
    ("city", "VARCHAR", ""),
    ("status", "VARCHAR", ""),
    ("income", "DOUBLE", "Monthly income."),
    ("debt", "DOUBLE", "Outstanding debt."),
    ("credit_limit", "DOUBLE", ""),
    ("instalment_room", "DOUBLE", "Monthly amount left for new instalments (see the signals file's [affordability])."),
    ("debt_to_income", "DOUBLE", "Debt over yearly income."),
    ("credit_headroom", "DOUBLE", "Credit limit minus card spend in the last 30 days."),
    ("cluster_id", "VARCHAR", "Identity cluster (see clusters)."),
    ("linked_accounts", "VARCHAR[]", "Accounts linked to the customer (decision 'linked')."),
    ("ambiguous_accounts", "VARCHAR[]", "Accounts with an ambiguous link to the customer (never aggregated)."),
    ("platforms", "VARCHAR[]", "Distinct platforms of the events attributed to the customer."),
    ("first_seen", "TIMESTAMP", "First attributed event."),
    ("last_seen", "TIMESTAMP", "Last attributed event up to as_of."),
    ("recency_days", "BIGINT", "Days from last_seen to as_of."),
    ("active_days", "BIGINT", "Distinct days with an event (whole history)."),
    ("events", "BIGINT", "Attributed events (whole history): purchases, browsing, card transactions."),
    ("device_events", "BIGINT", "Browsing events attributed through a device rather than an account."),
    ("spend_{w}", "DOUBLE", "Online purchases plus card spend in the window."),
    ("orders_{w}", "BIGINT", "Online orders in the window."),
    ("card_txns_{w}", "BIGINT", "Card transactions in the window."),
    ("browse_events_{w}", "BIGINT", "Browsing events in the window."),
    ("dwell_seconds_{w}", "DOUBLE", "Browsing dwell time in the window."),
    ("conversion_{w}", "DOUBLE", "Share of browsing events followed by a purchase in the same class within 30 days."),
    ("top_classes", "VARCHAR[]", "Up to 3 classes with the highest spend in the longest window."),
    ("top_browsed_classes", "VARCHAR[]", "Up to 3 classes most browsed in the longest window."),
    ("top_domains", "VARCHAR[]", ("Up to 3 top-level domains with the highest spend in the longest window (a "
                                  "parent's spend holds its children's: only top-level domains are ranked).")),
    ("needs", "VARCHAR[]", "Needs signalled, highest score first."),
    ("{need}_score", "DOUBLE", "Engagement score of the need (0 without events in its domains; see signals.score)."),
    ("{need}_fired", "BOOLEAN", "The need is signalled (by its engagement score or a current rule)."),
    ("{need}_action", "VARCHAR", "What to do about it (NULL when not signalled)."),
    ("{need}_act_on", "DATE", "When to act: the date of the evidence that made the need current."),
    ("{need}_events_{w}", "BIGINT", "Events in the need's domains in the window."),
    ("{need}_spend_{w}", "DOUBLE", "Purchase and card spend in the need's domains in the window."),
    ("signals", "JSON", "[{need, score, action, recommend, suppress}] highest score first; each signal's "
                        "evidence is in signals.evidence."),
    ("as_of", "DATE", "Reference date."),
)
"""Profile columns: (name, type, description); ``{w}`` is each window ('30d', ...), ``{need}`` each need of
the signals file (``home_furnishing_score``, ``baby_events_30d`` ...)."""


def _expand(name: str, windows: Sequence[int], needs: Sequence[str]) -> list[str]:
    names = [name.replace("{need}", n) for n in needs] if "{need}" in name else [name]
    return [x.replace("{w}", window_label(w)) for x in names for w in sorted(set(windows))] if "{w}" in name else names


def profile_columns(windows: Sequence[int], needs: Sequence[str]) -> list[tuple[str, str]]:
    """The profile's columns and types for these windows and needs, in order: the ``{need}`` columns come need
    after need.

    >>> [c for c, _ in profile_columns([30], ["baby", "car"]) if c.startswith(("baby_", "car_"))][4:8]
    ['baby_events_30d', 'baby_spend_30d', 'car_score', 'car_fired']
    """
    plain = [(name, dtype) for name, dtype, _ in PROFILE_COLUMNS if "{need}" not in name]
    per_need = [(name, dtype) for name, dtype, _ in PROFILE_COLUMNS if "{need}" in name]
    at = next(i for i, (name, _, _) in enumerate(PROFILE_COLUMNS) if "{need}" in name)
    expanded = [(c, dtype) for name, dtype in plain for c in _expand(name, windows, needs)]
    block = [(c, dtype) for need in needs for name, dtype in per_need for c in _expand(name, windows, [need])]
    cut = sum(len(_expand(name, windows, needs)) for name, _, _ in PROFILE_COLUMNS[:at])
    return expanded[:cut] + block + expanded[cut:]


def schema_markdown(windows: list[int] | None = None) -> str:
    """The profile columns as a Markdown table; ``{w}`` stays a placeholder unless ``windows`` is given."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for name, dtype, doc in PROFILE_COLUMNS:
        shown = name if windows is None else ", ".join(name.replace("{w}", window_label(w)) for w in windows)
        lines.append(f"| `{shown}` | {dtype} | {doc} |")
    return "\n".join(lines)


def readme_markdown() -> str:
    """The README's section on the enrichment outputs: profile (versioned), signals, their events and aggregates
    columns."""
    from linker.enrich.aggregate import AGGREGATE_COLUMNS
    from linker.enrich.engagement import NEED_SCORE_COLUMNS
    from linker.enrich.signals import MAX_EVENTS, SIGNAL_COLUMNS, SIGNAL_EVENT_COLUMNS

    def table(columns: dict[str, str]) -> str:
        return "\n".join(["| column | meaning |", "|---|---|"] + [f"| `{k}` | {v} |" for k, v in columns.items()])

    return (f"**profiles** (`profiles.parquet` / `.csv` / `.jsonl`), schema version {PROFILE_SCHEMA_VERSION} — one "
            f"row per customer; `{{w}}` is each of `enrichment.windows_days` (`30d`, `90d`, `365d` by default), "
            f"`{{need}}` each need of the signals file (`home_furnishing`, `computer`, `photography`, `baby`, `car`, "
            f"`travel`, `education` by default). JSON columns are JSON text in CSV and Parquet, nested JSON in JSON Lines.\n\n"
            f"{schema_markdown()}\n\n"
            f"**signals** (`signals.parquet` / `.csv` / `.jsonl`) — one row per customer and need.\n\n"
            f"{table(SIGNAL_COLUMNS)}\n\n"
            f"**signal_events** (`signal_events.parquet` / `.csv` / `.jsonl`) — the events behind each evidence "
            f"part of each signal with a rule, the latest {MAX_EVENTS} per part; join them to signals on "
            f"`customer_id`, `need` and `rule`, and to the parts of its evidence on `item`.\n\n"
            f"{table(SIGNAL_EVENT_COLUMNS)}\n\n"
            f"**aggregates** (`aggregates.parquet`, written when asked for: `output.aggregates = true`, or "
            f"`--aggregates` on the command line) — one row per customer, level (total, domain, class) and key, with a column per "
            f"window of each measure (`{{w}}`: each of `enrichment.windows_days` and `all`); rows in no particular "
            f"order.\n\n"
            f"{table(AGGREGATE_COLUMNS)}\n\n"
            f"**need_scores** (in the run database `work.duckdb`, with `need_baselines`: the population's means) — "
            f"per customer and need with events in its domains; then `events_{{w}}` and `spend_{{w}}`.\n\n"
            f"{table(NEED_SCORE_COLUMNS)}\n\n"
            f"**unmapped_categories** (`unmapped_categories.parquet` / `.csv`) — category names the taxonomy does not "
            f"map, with their volume; add them to a taxonomy file (`enrichment.taxonomy_file`).\n")


def build_unmapped_categories(engine: Engine | duckdb.DuckDBPyConnection) -> int:
    """Create ``unmapped_categories``: every category name the taxonomy does not map (and missing categories,
    with a NULL name), with its volume in the data and among customers' attributed events.

    Returns the number of attributed customer events that fall in no class.
    """
    engine = as_engine(engine)
    engine.create_table("unmapped_categories", """
        WITH attributed AS (
            SELECT category, CASE kind WHEN 'card' THEN 'card' ELSE 'online' END AS source, count(*) AS n,
                   count(DISTINCT customer_id) AS customers
            FROM customer_events WHERE class IS NULL GROUP BY ALL),
        missing AS (
            SELECT CAST(NULL AS VARCHAR) AS name, 'online' AS source,
                   (SELECT count(*) FROM purchases WHERE category IS NULL) AS purchases,
                   (SELECT count(*) FROM browsing WHERE category IS NULL) AS browse_events, 0 AS card_txns,
                   (SELECT coalesce(sum(amount), 0) FROM purchases WHERE category IS NULL) AS amount
            UNION ALL
            SELECT NULL, 'card', 0, 0, count(*), coalesce(sum(amount), 0) FROM transactions
            WHERE mcc IS NULL OR mcc = ''),
        listed AS (
            SELECT name, source, purchases, browse_events, card_txns, amount FROM categories WHERE NOT mapped
            UNION ALL
            SELECT * FROM missing WHERE purchases + browse_events + card_txns > 0)
        SELECT l.name, l.source, l.purchases + l.browse_events + l.card_txns AS events, l.purchases,
               l.browse_events, l.card_txns, l.amount, coalesce(a.n, 0) AS customer_events,
               coalesce(a.customers, 0) AS customers
        FROM listed l LEFT JOIN attributed a ON a.category IS NOT DISTINCT FROM l.name AND a.source = l.source
    """, kind="table")
    return engine.count("customer_events WHERE class IS NULL")


def _base(engine: Engine) -> None:
    """``profile_base``: the profile columns that do not come from the events' aggregates and signals —
    attributes, affordability metrics, cluster, linked and ambiguous accounts, platforms — one row per customer
    in the profile's column order, sorted by customer.

    Built once: each part then reads its own range of it (its row groups, the table being sorted), where
    joining ``customers``, ``customer_metrics``, ``clusters``, ``links`` and the platforms in every part scanned
    each of them whole, part after part. Built in steps of at most two joins, each dropping what it has joined:
    the hash tables of one statement joining all five must be in memory together, which grows with the customers
    while the memory limit does not.
    """
    engine.create_table("profile_accounts", """
        SELECT customer_id,
               list(account_id ORDER BY account_id) FILTER (WHERE decision = 'linked') AS linked_accounts,
               list(account_id ORDER BY account_id) FILTER (WHERE decision = 'ambiguous') AS ambiguous_accounts
        FROM links GROUP BY customer_id
    """)
    engine.create_table("profile_platforms", """
        SELECT customer_id, list(platform ORDER BY platform) AS platforms   -- a scan of every event
        FROM (SELECT DISTINCT customer_id, platform FROM customer_events WHERE platform IS NOT NULL)
        GROUP BY customer_id
    """)
    engine.create_table("profile_base", """
        SELECT c.customer_id, c.name, c.gender, c.birth_date, m.age, c.city, c.status, c.income, c.debt,
               c.credit_limit, round(m.instalment_room, 2) AS instalment_room,
               round(m.debt_to_income, 4) AS debt_to_income, round(m.credit_headroom, 2) AS credit_headroom,
               k.cluster_id
        FROM customers c
        LEFT JOIN customer_metrics m USING (customer_id)
        LEFT JOIN (SELECT member_id AS customer_id, cluster_id FROM clusters WHERE member_kind = 'customer') k
            USING (customer_id)
    """)
    engine.create_table("profile_base", """
        SELECT b.*, coalesce(a.linked_accounts, []) AS linked_accounts,
               coalesce(a.ambiguous_accounts, []) AS ambiguous_accounts, coalesce(p.platforms, []) AS platforms
        FROM profile_base b
        LEFT JOIN profile_accounts a USING (customer_id)
        LEFT JOIN profile_platforms p USING (customer_id)
        ORDER BY b.customer_id
    """)
    engine.drop("profile_accounts", "profile_platforms")


def build_profiles(engine: Engine | duckdb.DuckDBPyConnection, windows: list[int], as_of: date, *,
                   parts: Sequence[CustomerPart] = (WHOLE,), needs: Sequence[str] = ()) -> int:
    """Create ``profiles`` (columns of :data:`PROFILE_COLUMNS`) from customers, links, clusters,
    ``customer_metrics``, ``customer_totals`` (made with the aggregates, then dropped here) and ``signals``, one
    customer range after the other (``parts`` joined into ranges of about :data:`CUSTOMERS_PER_PART` customers), each
    sorted by customer (so the table is). Returns the number of rows (one per customer).

    What does not depend on the part (attributes, metrics, cluster, accounts, platforms) is joined once, in
    customer order (:func:`_base`); each part joins its range of that to the tables it builds from its own
    range of ``signals``."""
    engine = as_engine(engine)
    spans = sorted(set(windows))
    metrics = TOTAL_MEASURES

    window_columns = ", ".join(
        f"t.{m}_{window_label(w)}" if m == "conversion" else f"coalesce(t.{m}_{window_label(w)}, 0) AS {m}_{window_label(w)}"
        for m in metrics for w in spans)
    per_need = _need_columns(needs, spans)
    # every part of a profile is built by its own statement into its own table, and the last statement only
    # joins them: one statement holding every part's hash tables and ordered lists at once can run out of
    # memory on a large part. Figures per domain and window are in aggregates (and per need in the
    # profile's own columns), and each signal's evidence is in signals, not repeated here.
    _base(engine)
    if len(parts) > 1:
        parts = merge_parts(parts, math.ceil(engine.count("profile_base") / CUSTOMERS_PER_PART))
    for i, part in enumerate(parts):
        where = part.where()
        engine.create_table("profile_needs", f"""
            SELECT customer_id, list(need ORDER BY score DESC, need) AS needs,
                   to_json(list({{'need': need, 'score': score, 'action': action, 'recommend': recommend,
                                  'suppress': suppress}} ORDER BY score DESC, need)) AS signals
            FROM signals WHERE {where} GROUP BY customer_id
        """)
        engine.create_table("profile_need_columns", f"""
            SELECT customer_id{per_need[0]}
            FROM (SELECT coalesce(n.customer_id, s.customer_id) AS customer_id, coalesce(n.need, s.need) AS need,
                         n.* EXCLUDE (customer_id, need), s.need IS NOT NULL AS signalled, s.action AS signal_action,
                         s.act_on AS signal_act_on
                  FROM (SELECT * FROM need_scores WHERE {where}) n
                  FULL JOIN (SELECT customer_id, need, action, act_on FROM signals WHERE {where}) s
                      USING (customer_id, need))
            GROUP BY customer_id
        """)
        write_part(engine, "profiles", f"""
            SELECT {PROFILE_SCHEMA_VERSION} AS profile_schema_version, c.*,
                   t.first_seen, t.last_seen, t.recency_days, coalesce(t.active_days, 0) AS active_days,
                   coalesce(t.events, 0) AS events, coalesce(t.device_events, 0) AS device_events, {window_columns},
                   coalesce(t.top_classes, []) AS top_classes, coalesce(t.top_browsed_classes, []) AS top_browsed_classes,
                   coalesce(t.top_domains, []) AS top_domains, coalesce(n.needs, []) AS needs{per_need[1]},
                   coalesce(n.signals, json('[]')) AS signals, DATE '{as_of.isoformat()}' AS as_of
            FROM (SELECT * FROM profile_base WHERE {where}) c
            LEFT JOIN (SELECT * FROM customer_totals WHERE {where}) t USING (customer_id)
            LEFT JOIN profile_needs n USING (customer_id)
            LEFT JOIN profile_need_columns nc USING (customer_id)
            ORDER BY c.customer_id
        """, i == 0)
        engine.drop("profile_needs", "profile_need_columns")
    engine.drop("profile_base", "customer_totals")
    return engine.count("profiles")


def _need_columns(needs: Sequence[str], spans: list[int]) -> tuple[str, str]:
    """SQL for the per-need profile columns: the pivot of ``need_scores`` and ``signals`` (one row per customer
    and need) into ``profile_need_columns``, and the select list taking them into the profile with defaults, in
    the order of :data:`PROFILE_COLUMNS`."""
    sources = {"score": ("max(score)", "0"), "fired": ("bool_or(signalled)", "false"),
               "action": ("max(signal_action)", None), "act_on": ("max(signal_act_on)", None),
               **{f"{m}_{window_label(w)}": (f"max({m}_{window_label(w)})", "0")
                  for m in ("events", "spend") for w in spans}}
    pivot, final = [], []
    for column, (aggregate, default) in sources.items():
        for need in needs:
            name = f"{need}_{column}"
            pivot.append(f"{aggregate} FILTER (WHERE need = {quote_literal(need)}) AS {name}")
            final.append(f"coalesce(nc.{name}, {default}) AS {name}" if default else f"nc.{name}")
    order = [c for c, _ in profile_columns(spans, needs) if any(c.startswith(f"{n}_") for n in needs)]
    final.sort(key=lambda sql: order.index(sql.split(" AS ")[-1].removeprefix("nc.")))
    return "".join(f", {p}" for p in pivot), "".join(f", {f}" for f in final)
