"""Build the long ``identifiers`` table: one row per owner and identifier occurrence, normalized.

Owners are customers, accounts and (for device-only events) browsing events. Lists are unnested in SQL and
the values normalized by :func:`linker.normalize.normalize_identifiers`.
"""

from __future__ import annotations

import duckdb

from linker.normalize import IdentifierRules, normalize_identifiers

# (list column, since column, identifier type)
_ROLES = (("phones", "phone_since", "phone"), ("emails", "email_since", "email"), ("device_ids", "device_since", "device"))


def build_identifiers(con: duckdb.DuckDBPyConnection, *, region: str, rules: IdentifierRules | None = None
                      ) -> int:
    """Create ``identifiers`` from ``customers``, ``accounts`` and ``browsing``; return its row count."""
    parts = []
    for list_col, since_col, id_type in _ROLES:
        parts.append(_unnest("customers", "customer", "customer_id", list_col, since_col, id_type))
        parts.append(_unnest("accounts", "account", "account_id", list_col, None, id_type))
    parts.append("""
        SELECT 'browsing' AS owner_kind, event_id AS owner_id, 'device' AS id_type, device_id AS raw,
               CAST(NULL AS DATE) AS since, _row, 'browsing' AS source_table, _source
        FROM browsing WHERE device_id IS NOT NULL""")
    con.execute("CREATE OR REPLACE TEMP VIEW identifier_sources AS " + " UNION ALL ".join(parts))
    normalize_identifiers(con, "identifier_sources", "identifiers", region=region, rules=rules)
    con.execute("DROP VIEW identifier_sources")
    return con.execute("SELECT count(*) FROM identifiers").fetchall()[0][0]


def _unnest(table: str, kind: str, key: str, list_col: str, since_col: str | None, id_type: str) -> str:
    since = (f"CASE WHEN len({since_col}) = 1 THEN {since_col}[1] ELSE {since_col}[i] END"
             if since_col else "CAST(NULL AS DATE)")
    return f"""
        SELECT '{kind}' AS owner_kind, {key} AS owner_id, '{id_type}' AS id_type, {list_col}[i] AS raw,
               {since} AS since, _row, '{table}' AS source_table, _source
        FROM (SELECT *, unnest(range(1, len({list_col}) + 1)) AS i FROM {table} WHERE len({list_col}) > 0)"""
