"""Say why a link was withdrawn when an identifier it rested on crossed the hub degree.

:func:`linker.changes.change_log` says of a pair that is no longer a candidate only that the two share no
identifier any more. When the value they shared is now held by more owners than the hub degree, that value makes
no candidates any longer, and the change log says so, with its type and holder count (never the value itself).
"""

from __future__ import annotations

import duckdb

from linker.changes import ChangeLog


def explain_hub_withdrawals(con: duckdb.DuckDBPyConnection, log: ChangeLog) -> ChangeLog:
    """Return ``log`` with the reason of each withdrawal through a value that became a hub (reads ``hubs`` and
    the previous run's ``links``, attached as ``prev``)."""
    con.register("change_rows", log.table)
    try:
        table = con.sql("""
            WITH shared AS (
                SELECT l.customer_id, l.account_id, e.id_type, h.degree, h.hub_threshold
                FROM (SELECT customer_id, account_id, unnest(evidence) AS e FROM prev.links
                      WHERE decision IN ('linked', 'ambiguous')) l
                JOIN hubs h ON h.id_type = l.e.id_type AND h.value = l.e.value),
            reasons AS (
                SELECT customer_id, account_id,
                       'no longer a candidate: the ' || string_agg(DISTINCT id_type, ' and ') || ' they shared is '
                       || 'now a hub, held by ' || max(degree) || ' owners (more than '
                       || min(hub_threshold) || ')' AS hub_reason
                FROM shared GROUP BY customer_id, account_id)
            SELECT c.* EXCLUDE (i) REPLACE (CASE WHEN c.new_decision IS NULL AND r.hub_reason IS NOT NULL
                                                 THEN r.hub_reason ELSE c.reason END AS reason)
            FROM (SELECT row_number() OVER () AS i, * FROM change_rows) c
            LEFT JOIN reasons r USING (customer_id, account_id)
            ORDER BY c.i
        """).to_arrow_table()
    finally:
        con.unregister("change_rows")
    return ChangeLog(table, log.counts)
