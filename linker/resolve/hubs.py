"""Degrees of identifier values and the hubs among them (values shared by too many owners to prove anything)."""

from __future__ import annotations

import duckdb

from linker.engine import Engine, as_engine
from linker.sql import quote_literal


def find_hubs(engine: Engine | duckdb.DuckDBPyConnection, hub_degree: dict[str, int]) -> int:
    """Create ``owner_values``, ``identifier_degrees`` (every usable value with its customer and account counts)
    and ``hubs``.

    ``owner_values`` (temporary, for :func:`~linker.resolve.candidates.find_candidates`) holds each customer's and
    account's usable values once, with the value's kind, the earliest ``since`` and the latest ``confirmed``: only what resolution reads
    (the raw spelling and source row stay in ``identifiers``, for ``explain`` and the identifier issues). A value
    is a hub when more than ``hub_degree[id_type]`` distinct owners (customers plus accounts) hold it; hubs never
    create candidate pairs.
    Returns the number of hubs.

    Notes
    -----
    Two hash aggregates: identifiers per owner and value, then those per value. O(n).
    """
    engine = as_engine(engine)
    threshold = "CASE id_type " + " ".join(
        f"WHEN {quote_literal(t)} THEN {int(d)}" for t, d in sorted(hub_degree.items())) + " END"
    engine.create_table("owner_values", """
        SELECT owner_kind, owner_id, id_type, value, min(kind) AS kind, min(since) AS since,
               max(confirmed) AS confirmed
        FROM identifiers
        WHERE status = 'usable' AND owner_kind IN ('customer', 'account')
        GROUP BY owner_kind, owner_id, id_type, value
    """)
    engine.create_table("identifier_degrees", f"""
        SELECT id_type, value, kind, customers, accounts, customers + accounts > {threshold} AS is_hub,
               {threshold} AS hub_threshold
        FROM (SELECT id_type, value, min(kind) AS kind,
                     count(*) FILTER (WHERE owner_kind = 'customer') AS customers,
                     count(*) FILTER (WHERE owner_kind = 'account') AS accounts
              FROM owner_values GROUP BY id_type, value)
    """, kind="table")
    engine.create_table("hubs", """
        SELECT id_type, value, kind, customers, accounts, customers + accounts AS degree, hub_threshold
        FROM identifier_degrees WHERE is_hub ORDER BY degree DESC, id_type, value
    """, kind="table")
    return engine.count("hubs")
