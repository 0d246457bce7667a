"""What today's rows change against the previous run's: owners added, changed or removed, events added or removed.

Rows are matched by key (``customer_id``, ``account_id``) and compared by a hash of their content (every column
but the provenance ``_row`` and ``_source``, so a row that only moved in its file, or a file renamed, changes
nothing). An owner also counts as changed when its usable identifiers differ (a normalization rule that changed).
Events are not compared: the run database keeps no events (the enrichment reads today's files whole).

The previous run's database is attached read-only as catalog ``prev``.
"""

from __future__ import annotations

import duckdb

OWNERS = {"customer": ("customers", "customer_id"), "account": ("accounts", "account_id")}
"""Owner kind -> (table, key column)."""


def detect_changes(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Create ``changed_owners(owner_kind, owner_id, change)`` (change: added, changed or removed) and return the
    counts per owner table and change.

    Notes
    -----
    One hash per row on both sides and a full outer join per owner table; O(n) in the rows of both runs.
    """
    parts = []
    for kind, (table, key) in OWNERS.items():
        parts.append(f"""
            SELECT '{kind}' AS owner_kind, coalesce(n.{key}, o.{key}) AS owner_id,
                   CASE WHEN o.{key} IS NULL THEN 'added' WHEN n.{key} IS NULL THEN 'removed' ELSE 'changed' END
                       AS change
            FROM ({_row_hashes(table, key, "")}) n FULL JOIN ({_row_hashes(table, key, "prev.")}) o USING ({key})
            WHERE n.row_hash IS DISTINCT FROM o.row_hash""")
    identifier_changes = f"""
        SELECT owner_kind, owner_id, 'changed' AS change FROM (
            ({_usable_identifiers("")} EXCEPT {_usable_identifiers("prev.")})
            UNION ({_usable_identifiers("prev.")} EXCEPT {_usable_identifiers("")}))"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE changed_owners AS
        SELECT owner_kind, owner_id, arg_min(change, change = 'changed') AS change   -- added or removed, else changed
        FROM ({' UNION ALL '.join(parts)} UNION ALL {identifier_changes})
        GROUP BY owner_kind, owner_id
    """)
    counts: dict[str, dict[str, int]] = {}
    for kind, (table, _) in OWNERS.items():
        rows = con.execute("SELECT change, count(*) FROM changed_owners WHERE owner_kind = ? GROUP BY change",
                           [kind]).fetchall()
        counts[table] = {"added": 0, "changed": 0, "removed": 0, **dict(rows)}
    return counts


def _row_hashes(table: str, key: str, catalog: str) -> str:
    # DuckDB's 64-bit hash of the row struct: both sides are hashed in this run by the same DuckDB, so it need not
    # be stable across versions; a changed row hashing alike is a chance of about one in 10**19
    return (f"SELECT {key}, hash(r) AS row_hash "
            f"FROM (SELECT * EXCLUDE (_row, _source) FROM {catalog}{table}) r")


def _usable_identifiers(catalog: str) -> str:
    return (f"SELECT owner_kind, owner_id, id_type, value, kind, since, confirmed FROM {catalog}identifiers "
            "WHERE status = 'usable' AND owner_kind IN ('customer', 'account')")
