"""Degrees of identifier values and the hubs among them (values shared by too many owners to prove anything)."""

from __future__ import annotations

import duckdb

from linker.sql import quote_literal


def find_hubs(con: duckdb.DuckDBPyConnection, hub_degree: dict[str, int]) -> int:
    """Create ``identifier_degrees`` (every usable value with its customer and account counts) and ``hubs``.

    A value is a hub when more than ``hub_degree[id_type]`` distinct owners (customers plus accounts) hold it;
    hubs never create candidate pairs. Returns the number of hubs.

    Notes
    -----
    One aggregation over the usable identifiers: O(n) with a hash aggregate.
    """
    threshold = "CASE id_type " + " ".join(
        f"WHEN {quote_literal(t)} THEN {int(d)}" for t, d in sorted(hub_degree.items())) + " END"
    con.execute(f"""
        CREATE OR REPLACE TABLE identifier_degrees AS
        SELECT id_type, value, kind, customers, accounts, customers + accounts > {threshold} AS is_hub,
               {threshold} AS hub_threshold
        FROM (SELECT id_type, value, any_value(kind) AS kind,
                     count(*) FILTER (WHERE owner_kind = 'customer') AS customers,
                     count(*) FILTER (WHERE owner_kind = 'account') AS accounts
              FROM (SELECT DISTINCT owner_kind, owner_id, id_type, value, kind FROM identifiers
                    WHERE status = 'usable' AND owner_kind IN ('customer', 'account'))
              GROUP BY id_type, value)
    """)
    con.execute("""
        CREATE OR REPLACE TABLE hubs AS
        SELECT id_type, value, kind, customers, accounts, customers + accounts AS degree, hub_threshold
        FROM identifier_degrees WHERE is_hub ORDER BY degree DESC, id_type, value
    """)
    return con.execute("SELECT count(*) FROM hubs").fetchall()[0][0]
