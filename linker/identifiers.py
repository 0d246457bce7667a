"""Build the long ``identifiers`` table: one row per owner and identifier occurrence, normalized.

Owners are customers, accounts and (for device-only events) browsing events. Lists are unnested in SQL and
the values normalized by :func:`linker.normalize.normalize_identifiers`.
"""

from __future__ import annotations

import duckdb

from linker.normalize import IdentifierRules, normalize_identifiers

# (list column, identifier type): customers also give, per value, ``<type>_since`` (held from) and
# ``<type>_confirmed`` (known to be held then)
_ROLES = (("phones", "phone"), ("emails", "email"), ("device_ids", "device"))


def build_identifiers(con: duckdb.DuckDBPyConnection, *, region: str, rules: IdentifierRules | None = None
                      ) -> int:
    """Create ``identifiers`` from ``customers``, ``accounts`` and ``browsing``; return its row count."""
    parts = []
    for list_col, id_type in _ROLES:
        parts.append(_unnest("customers", "customer", "customer_id", list_col, id_type, dated=True))
        parts.append(_unnest("accounts", "account", "account_id", list_col, id_type, dated=False))
    parts.append("""
        SELECT 'browsing' AS owner_kind, event_id AS owner_id, 'device' AS id_type, device_id AS raw,
               CAST(NULL AS DATE) AS since, CAST(NULL AS DATE) AS confirmed, _row, 'browsing' AS source_table,
               _source
        FROM browsing WHERE device_id IS NOT NULL""")
    con.execute("CREATE OR REPLACE TEMP VIEW identifier_sources AS " + " UNION ALL ".join(parts))
    normalize_identifiers(con, "identifier_sources", "identifiers", region=region, rules=rules)
    con.execute("DROP VIEW identifier_sources")
    return con.execute("SELECT count(*) FROM identifiers").fetchall()[0][0]


def _unnest(table: str, kind: str, key: str, list_col: str, id_type: str, *, dated: bool) -> str:
    def aligned(dates: str) -> str:
        """The date of the i-th value: one date applies to every value, else they pair by position."""
        return f"CASE WHEN len({dates}) = 1 THEN {dates}[1] ELSE {dates}[i] END" if dated else "CAST(NULL AS DATE)"

    return f"""
        SELECT '{kind}' AS owner_kind, {key} AS owner_id, '{id_type}' AS id_type, {list_col}[i] AS raw,
               {aligned(id_type + '_since')} AS since, {aligned(id_type + '_confirmed')} AS confirmed, _row,
               '{table}' AS source_table, _source
        FROM (SELECT *, unnest(range(1, len({list_col}) + 1)) AS i FROM {table} WHERE len({list_col}) > 0)"""
