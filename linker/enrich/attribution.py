"""Attribute events to customers: card transactions, linked accounts' purchases and browsing, device-only browsing.

Only ``linked`` decisions count; ``ambiguous`` and ``rejected`` links never feed a customer. A browsing event
without an account (``account_id`` NULL) is attributed through its device when the device's normalized value is
usable, not a hub, and held by exactly one customer — directly, or through accounts linked to that customer —
and by no account that is not linked to that customer (``strict``; a tablet shared with someone the bank cannot
place is not evidence about its customer). Every decision is kept in ``device_attribution``.

Examples
--------
>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE t AS SELECT 'imei:867530012345670' AS value")
>>> con.execute(f"SELECT {MASK_DEVICE_SQL.format(col='value')} FROM t").fetchall()
[('imei:***********5670',)]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from linker.engine import Engine, as_engine
from linker.enrich.parts import WHOLE, CustomerPart, read_parts, write_parts

MASK_DEVICE_SQL = ("split_part({col}, ':', 1) || ':' || repeat('*', greatest(length(split_part({col}, ':', 2)) - 4, 0))"
                   " || right(split_part({col}, ':', 2), 4)")
"""SQL masking a normalized device value the way :func:`linker.privacy.mask_value` does."""

def latest_event_date(engine: Engine | duckdb.DuckDBPyConnection) -> date | None:
    """The date of the latest purchase, browsing event or card transaction (the default ``as_of``)."""
    return as_engine(engine).scalar("""
        SELECT CAST(greatest(
            (SELECT max(order_time) FROM purchases), (SELECT max(event_time) FROM browsing),
            (SELECT max(txn_time) FROM transactions)) AS DATE)
    """)


def build_linked_accounts(engine: Engine | duckdb.DuckDBPyConnection) -> int:
    """Create ``linked_accounts``: accounts with exactly one ``linked`` customer, with the link's scores."""
    engine = as_engine(engine)
    engine.create_table("linked_accounts", """
        SELECT l.customer_id, l.account_id, a.platform, l.probability, l.match_weight
        FROM links l JOIN accounts a USING (account_id)
        WHERE l.decision = 'linked'
        QUALIFY count(*) OVER (PARTITION BY l.account_id) = 1
        ORDER BY l.customer_id, l.account_id   -- each customer part of the signals reads its own row groups
    """, kind="table")
    return engine.count("linked_accounts")


def build_device_attribution(engine: Engine | duckdb.DuckDBPyConnection, *, strict: bool = True) -> int:
    """Create ``device_attribution``: per device value of device-only browsing, who it is attributed to.

    Columns: ``value`` (normalized), ``device`` (masked), ``events``, ``customers`` (distinct customers holding
    it directly or through linked accounts), ``unlinked_accounts``, ``is_hub``, ``customer_id`` (NULL when not
    attributed), ``via_account`` (the linked account holding it, NULL when the customer holds it directly),
    ``probability`` and ``match_weight`` of that link (1.0 and NULL for a device on the bank's record),
    ``status`` ('attributed' | 'no holder' | 'hub' | 'several customers' | 'shared with an unlinked account').

    Returns the number of attributed device values.
    """
    engine = as_engine(engine)
    engine.create_table("device_attribution", f"""
        WITH seen AS (
            SELECT value, count(*) AS events FROM identifiers i
            JOIN browsing b ON i.owner_kind = 'browsing' AND b.event_id = i.owner_id
            WHERE i.id_type = 'device' AND i.status = 'usable' AND b.account_id IS NULL
            GROUP BY value),
        holders AS (
            SELECT i.value, i.owner_kind, i.owner_id,
                   CASE WHEN i.owner_kind = 'customer' THEN i.owner_id ELSE la.customer_id END AS customer_id,
                   CASE WHEN i.owner_kind = 'account' THEN i.owner_id END AS via_account,
                   CASE WHEN i.owner_kind = 'customer' THEN 1.0 ELSE la.probability END AS probability,
                   CASE WHEN i.owner_kind = 'account' THEN la.match_weight END AS match_weight
            FROM identifiers i
            LEFT JOIN linked_accounts la ON i.owner_kind = 'account' AND la.account_id = i.owner_id
            WHERE i.id_type = 'device' AND i.status = 'usable' AND i.owner_kind IN ('customer', 'account')
              AND i.value IN (SELECT value FROM seen)),
        per_value AS (
            SELECT value, count(DISTINCT customer_id) AS customers,
                   count(DISTINCT owner_id) FILTER (WHERE owner_kind = 'account' AND customer_id IS NULL)
                       AS unlinked_accounts,
                   min(customer_id) AS customer_id
            FROM holders GROUP BY value),
        best_route AS (
            SELECT value, via_account, probability, match_weight FROM holders WHERE customer_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY value ORDER BY via_account IS NOT NULL, probability DESC,
                                       via_account) = 1),
        decided AS (
            SELECT s.value, s.events, coalesce(p.customers, 0) AS customers,
                   coalesce(p.unlinked_accounts, 0) AS unlinked_accounts, coalesce(d.is_hub, false) AS is_hub,
                   p.customer_id AS holder,
                   CASE WHEN coalesce(d.is_hub, false) THEN 'hub'
                        WHEN coalesce(p.customers, 0) = 0 THEN 'no holder'
                        WHEN p.customers > 1 THEN 'several customers'
                        WHEN {'p.unlinked_accounts > 0' if strict else 'false'} THEN 'shared with an unlinked account'
                        ELSE 'attributed' END AS status
            FROM seen s LEFT JOIN per_value p USING (value)
            LEFT JOIN identifier_degrees d ON d.id_type = 'device' AND d.value = s.value)
        SELECT d.value, {MASK_DEVICE_SQL.format(col='d.value')} AS device, d.events, d.customers,
               d.unlinked_accounts, d.is_hub,
               CASE WHEN d.status = 'attributed' THEN d.holder END AS customer_id,
               CASE WHEN d.status = 'attributed' THEN r.via_account END AS via_account,
               CASE WHEN d.status = 'attributed' THEN r.probability END AS probability,
               CASE WHEN d.status = 'attributed' THEN r.match_weight END AS match_weight,
               d.status
        FROM decided d LEFT JOIN best_route r USING (value)
        ORDER BY d.value
    """, kind="table")
    return engine.count("device_attribution WHERE status = 'attributed'")


def build_customer_events(engine: Engine | duckdb.DuckDBPyConnection, as_of: date, *,
                          parts: Sequence[CustomerPart] = (WHOLE,), folder: Path | None = None) -> int:
    """Create ``customer_events`` (temporary, like the event tables it is built from): every event attributed
    to a customer, dated on or before ``as_of``.

    With more than one customer part and a ``folder``, the events are written there, one folder per part (see
    :func:`~linker.enrich.parts.write_parts`), and ``customer_events`` is a view reading them; otherwise it is a
    table, which every part's statements scan whole.

    One row per (customer, event). ``kind`` is 'purchase', 'browse' or 'card'; ``attribution`` says how the
    event reached the customer: 'card' (the bank's own transaction), 'linked_account' (``account_id`` is linked
    to the customer), 'device' (device-only browsing; ``device`` is the masked value and ``account_id`` the
    linked account holding it, NULL when the device is on the bank's record). ``probability`` and
    ``match_weight`` are those of the link behind the event (1.0 and NULL for card transactions).
    ``category`` is the raw category (``mcc:NNNN`` for card), mapped through ``categories`` (a card merchant
    claimed in ``merchant_classes`` overrides its code's class); unmapped events keep a NULL ``class``. A class's
    domains are in ``taxonomy_classes`` (one row per class, not repeated on millions of events).

    Returns the number of rows.
    """
    engine = as_engine(engine)
    query = _customer_events_query(as_of)
    if folder is not None and len(parts) > 1 and engine.name == "duckdb":
        rows = write_parts(engine, query, list(parts), folder)
        if rows:  # no rows, no files to read: a table then, with the columns
            engine.create_view("customer_events", f"SELECT * FROM {read_parts(folder)}")
            return rows
    engine.create_table("customer_events", query, kind="scratch")
    engine.compact()
    return engine.count("customer_events")


def _customer_events_query(as_of: date) -> str:
    """The query of :func:`build_customer_events`."""
    cutoff = f"DATE '{as_of.isoformat()}' + INTERVAL 1 DAY"
    return f"""
        WITH raw AS (
            SELECT la.customer_id, 'purchase' AS kind, p.order_id AS event_id, p.account_id, la.platform,
                   p.order_time AS event_time, p.category, CAST(NULL AS VARCHAR) AS merchant, p.amount,
                   p.quantity, CAST(NULL AS VARCHAR) AS action, CAST(NULL AS DOUBLE) AS dwell_seconds,
                   'linked_account' AS attribution, la.probability, la.match_weight,
                   CAST(NULL AS VARCHAR) AS device
            FROM purchases p JOIN linked_accounts la USING (account_id)
            UNION ALL
            SELECT la.customer_id, 'browse', b.event_id, b.account_id, la.platform, b.event_time, b.category,
                   NULL, NULL, NULL, b.action, b.dwell_seconds, 'linked_account', la.probability,
                   la.match_weight, NULL
            FROM browsing b JOIN linked_accounts la USING (account_id)
            UNION ALL
            SELECT d.customer_id, 'browse', b.event_id, d.via_account, la.platform, b.event_time, b.category,
                   NULL, NULL, NULL, b.action, b.dwell_seconds, 'device', d.probability, d.match_weight, d.device
            FROM browsing b
            JOIN identifiers i ON i.owner_kind = 'browsing' AND i.owner_id = b.event_id AND i.id_type = 'device'
            JOIN device_attribution d ON d.value = i.value AND d.status = 'attributed'
            LEFT JOIN linked_accounts la ON la.account_id = d.via_account
            WHERE b.account_id IS NULL
            UNION ALL
            SELECT t.customer_id, 'card', t.txn_id, NULL, NULL, t.txn_time,
                   CASE WHEN t.mcc <> '' THEN 'mcc:' || t.mcc END,
                   t.merchant, t.amount, NULL, NULL, NULL, 'card', 1.0, NULL, NULL
            FROM transactions t WHERE t.customer_id IN (SELECT customer_id FROM customers)),
        classed AS (
            SELECT r.*, coalesce(m.class, c.class) AS class
            FROM raw r
            LEFT JOIN categories c
                ON c.name = r.category AND c.source = CASE r.kind WHEN 'card' THEN 'card' ELSE 'online' END
            LEFT JOIN merchant_classes m ON r.kind = 'card' AND m.merchant = r.merchant
            WHERE r.event_time < {cutoff})
        SELECT customer_id, kind, event_id, account_id, platform, event_time, category, merchant, class, amount,
               quantity, action, dwell_seconds, attribution, probability, match_weight, device
        FROM classed
    """
