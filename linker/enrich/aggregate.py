"""Aggregate each customer's attributed events per class, per need domain and in total, over windows.

One pass over ``customer_events`` (each event repeated once per level it counts in: the total, its class, and
every domain on its domain path) with one filtered aggregate per metric and window, then unpivoted to a long
table. Unmapped events count under the key ``unmapped`` at the class and domain levels, and in the total.

Examples
--------
>>> print(window_label(None), window_label(30))
all 30d
"""

from __future__ import annotations

from datetime import date

import duckdb

CONVERSION_DAYS = 30
"""A browsing event converts when the customer buys in the same class (domain) within this many days."""

AGGREGATE_COLUMNS: dict[str, str] = {
    "customer_id": "The customer.",
    "level": "'total', 'domain' or 'class'.",
    "key": "'all' for the total, else the domain or class name ('unmapped' for events the taxonomy does not map).",
    "window_name": "'30d', '90d', ... or 'all' (everything up to as_of).",
    "window_days": "Days before as_of covered (NULL for 'all').",
    "spend": "Online purchase amount plus card amount.",
    "purchase_amount": "Online purchase amount.",
    "orders": "Online purchase orders.",
    "quantity": "Items bought online.",
    "card_amount": "Card transaction amount.",
    "card_txns": "Card transactions.",
    "browse_events": "Browsing events (linked accounts and attributed devices).",
    "dwell_seconds": "Total browsing dwell time.",
    "converted_browse_events": f"Browsing events followed by a purchase or card payment in the same class within "
                               f"{CONVERSION_DAYS} days (domain rows: in the same domain).",
    "conversion": "converted_browse_events / browse_events (NULL without browsing).",
    "events": "All events.",
    "active_days": "Distinct days with an event (frequency).",
    "first_at": "First event.",
    "last_at": "Last event.",
    "recency_days": "Days from the last event to as_of.",
    "spend_recency_days": "Days from the last purchase or card payment to as_of.",
    "platforms": "Distinct platforms of the accounts that fed it.",
    "accounts": "The accounts that fed it (sorted); card transactions and devices on the bank's record have none.",
    "device_events": "Events attributed through a device rather than an account.",
    "min_link_probability": "Lowest link probability among the events (1.0 for card-only aggregates).",
    "as_of": "Reference date.",
}
"""Columns of ``aggregates`` and what they hold (the README's schema section is generated from this)."""

def window_label(days: int | None) -> str:
    """'30d' for 30 days, 'all' for the whole history."""
    return "all" if days is None else f"{days}d"


def build_aggregates(con: duckdb.DuckDBPyConnection, windows: list[int], as_of: date, *,
                     conversion_days: int = CONVERSION_DAYS) -> int:
    """Create ``aggregates`` (columns in :data:`AGGREGATE_COLUMNS`) from ``customer_events``.

    Parameters
    ----------
    con
        Connection holding ``customer_events``.
    windows
        Window lengths in days; the whole history up to ``as_of`` is always added as window 'all'.
    as_of
        Reference date; a window of ``n`` days holds events on the ``n`` days ending with ``as_of``.
    conversion_days
        How soon after a browsing event a purchase in the same key counts as its conversion.

    Returns
    -------
    int
        Rows written (only (customer, level, key, window) combinations with at least one event).

    Notes
    -----
    Each event is repeated once per level it counts in and put in the *bucket* of the shortest window holding
    it (buckets are disjoint: 0-29 days, 30-89 ...). One hash aggregate per (customer, level, key, bucket),
    then window ``i`` sums buckets ``0..i`` — a join on the small aggregated rows, no per-window pass over the
    events. Distinct days add up across buckets because buckets never share a day. The conversion look-ahead
    is one window function (a sort per customer and key).
    """
    day = f"DATE '{as_of.isoformat()}'"
    spans: list[int | None] = [*sorted(set(windows)), None]
    bucket = "CASE " + " ".join(f"WHEN age_days < {int(w)} THEN {i}" for i, w in enumerate(spans[:-1])) + \
             f" ELSE {len(spans) - 1} END"
    def converts(key: str) -> str:
        """A browsing event followed by a purchase or card payment with the same ``key`` soon enough."""
        return f"""kind = 'browse' AND min(CASE WHEN kind IN ('purchase', 'card') THEN event_time END) OVER (
                       PARTITION BY customer_id, {key} ORDER BY event_time, kind <> 'browse'
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
                   <= event_time + INTERVAL {int(conversion_days)} DAY"""

    cols = "customer_id, kind, event_time, amount, quantity, dwell_seconds, account_id, platform, attribution, " \
           "probability, bucket"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE event_levels AS
        WITH events AS (
            SELECT customer_id, kind, event_time, amount, quantity, dwell_seconds, account_id, platform,
                   attribution, probability, coalesce(class, 'unmapped') AS class, domain_path,
                   {bucket.replace("age_days", f"date_diff('day', CAST(event_time AS DATE), {day})")} AS bucket,
                   {converts("coalesce(class, 'unmapped')")} AS converted
            FROM customer_events),
        by_domain AS (
            SELECT *, unnest(coalesce(domain_path, ['unmapped'])) AS domain FROM events)
        SELECT {cols}, converted, 'total' AS level, 'all' AS key FROM events
        UNION ALL SELECT {cols}, converted, 'class', class FROM events
        UNION ALL SELECT {cols}, {converts("domain")}, 'domain', domain FROM by_domain
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE event_buckets AS
        SELECT customer_id, level, key, bucket,
               sum(amount) FILTER (WHERE kind = 'purchase') AS purchase_amount,
               count(*) FILTER (WHERE kind = 'purchase') AS orders,
               sum(quantity) FILTER (WHERE kind = 'purchase') AS quantity,
               sum(amount) FILTER (WHERE kind = 'card') AS card_amount,
               count(*) FILTER (WHERE kind = 'card') AS card_txns,
               count(*) FILTER (WHERE kind = 'browse') AS browse_events,
               sum(dwell_seconds) FILTER (WHERE kind = 'browse') AS dwell_seconds,
               count(*) FILTER (WHERE kind = 'browse' AND converted) AS converted_browse_events,
               count(*) AS events,
               min(event_time) AS first_at, max(event_time) AS last_at,
               max(event_time) FILTER (WHERE kind IN ('purchase', 'card')) AS last_spend_at,
               count(*) FILTER (WHERE attribution = 'device') AS device_events,
               min(probability) AS min_link_probability
        FROM event_levels GROUP BY customer_id, level, key, bucket
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE day_buckets AS
        SELECT customer_id, level, key, bucket, count(*) AS active_days
        FROM (SELECT DISTINCT customer_id, level, key, bucket, CAST(event_time AS DATE) AS day FROM event_levels)
        GROUP BY customer_id, level, key, bucket
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE account_buckets AS
        SELECT customer_id, level, key, account_id, any_value(platform) AS platform, min(bucket) AS bucket
        FROM event_levels WHERE account_id IS NOT NULL GROUP BY customer_id, level, key, account_id
    """)
    windows_sql = " UNION ALL ".join(
        f"SELECT {i} AS i, '{window_label(w)}' AS window_name, CAST({'NULL' if w is None else int(w)} AS INTEGER) "
        f"AS window_days" for i, w in enumerate(spans))
    con.execute(f"""
        CREATE OR REPLACE TABLE aggregates AS
        SELECT customer_id, level, key, window_name, window_days,
               coalesce(purchase_amount, 0) + coalesce(card_amount, 0) AS spend,
               coalesce(purchase_amount, 0) AS purchase_amount, orders, coalesce(quantity, 0) AS quantity,
               coalesce(card_amount, 0) AS card_amount, card_txns, browse_events,
               coalesce(dwell_seconds, 0) AS dwell_seconds, converted_browse_events,
               CASE WHEN browse_events > 0 THEN round(converted_browse_events / browse_events, 4) END AS conversion,
               events, active_days, first_at, last_at,
               date_diff('day', CAST(last_at AS DATE), {day}) AS recency_days,
               date_diff('day', CAST(last_spend_at AS DATE), {day}) AS spend_recency_days,
               coalesce(a.platforms, 0) AS platforms, coalesce(a.accounts, []) AS accounts, device_events,
               min_link_probability, {day} AS as_of
        FROM (SELECT b.customer_id, b.level, b.key, w.window_name, w.window_days,
                     sum(b.purchase_amount) AS purchase_amount, CAST(sum(b.orders) AS BIGINT) AS orders,
                     CAST(sum(b.quantity) AS BIGINT) AS quantity, sum(b.card_amount) AS card_amount,
                     CAST(sum(b.card_txns) AS BIGINT) AS card_txns,
                     CAST(sum(b.browse_events) AS BIGINT) AS browse_events, sum(b.dwell_seconds) AS dwell_seconds,
                     CAST(sum(b.converted_browse_events) AS BIGINT) AS converted_browse_events,
                     CAST(sum(b.events) AS BIGINT) AS events, CAST(sum(active_days) AS BIGINT) AS active_days,
                     min(b.first_at) AS first_at, max(b.last_at) AS last_at, max(b.last_spend_at) AS last_spend_at,
                     CAST(sum(b.device_events) AS BIGINT) AS device_events,
                     min(b.min_link_probability) AS min_link_probability
              FROM event_buckets b JOIN day_buckets USING (customer_id, level, key, bucket)
              JOIN ({windows_sql}) w ON b.bucket <= w.i
              GROUP BY b.customer_id, b.level, b.key, w.window_name, w.window_days) t
        LEFT JOIN (SELECT b.customer_id, b.level, b.key, w.window_name,
                          list_sort(list(b.account_id)) AS accounts,
                          count(DISTINCT b.platform) AS platforms
                   FROM account_buckets b JOIN ({windows_sql}) w ON b.bucket <= w.i
                   GROUP BY b.customer_id, b.level, b.key, w.window_name) a
            USING (customer_id, level, key, window_name)
    """)
    con.execute("DROP TABLE event_buckets; DROP TABLE day_buckets; DROP TABLE account_buckets; DROP TABLE event_levels")
    return int(con.execute("SELECT count(*) FROM aggregates").fetchall()[0][0])
