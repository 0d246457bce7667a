"""Candidate pairs: a customer and an account sharing a usable, non-hub identifier, exactly or one edit apart.

Never all pairs: exact candidates come from an equi-join on (type, value); near misses from a deletion
neighbourhood block (every value and each of its one-character deletions, hashed), verified with
Damerau-Levenshtein distance 1, so a transposed digit or one character off is found in O(n * length).
"""

from __future__ import annotations

import duckdb


def find_candidates(con: duckdb.DuckDBPyConnection, *, near_miss: bool = True) -> int:
    """Create ``pair_evidence``: one row per (customer, account, identifier match). Returns the pair count.

    Reads ``owner_values``, ``identifier_degrees`` and ``hubs`` of :func:`~linker.resolve.hubs.find_hubs`, and
    leaves only the values that are not hubs in ``owner_values``; the degrees are joined onto the pairs, not
    onto every value.
    """
    con.execute("DELETE FROM owner_values o WHERE EXISTS "
                "(SELECT 1 FROM hubs h WHERE h.id_type = o.id_type AND h.value = o.value)")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pair_evidence AS
        SELECT c.owner_id AS customer_id, a.owner_id AS account_id, c.id_type, 'exact' AS match,
               c.value AS customer_value, a.value AS account_value, c.since
        FROM owner_values c JOIN owner_values a USING (id_type, value)
        WHERE c.owner_kind = 'customer' AND a.owner_kind = 'account'
    """)
    if near_miss:
        _near_misses(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pair_evidence AS
        SELECT e.*, d.customers, d.accounts
        FROM pair_evidence e JOIN identifier_degrees d ON d.id_type = e.id_type AND d.value = e.customer_value
    """)
    return con.execute("SELECT count(*) FROM (SELECT DISTINCT customer_id, account_id FROM pair_evidence)"
                       ).fetchall()[0][0]


def _near_misses(con: duckdb.DuckDBPyConnection) -> None:
    """Add phones one edit apart, and emails whose local parts are one edit apart on the same domain.

    Every distinct value gets a number; the deletion keys carry the number only, so the join of customer keys
    with account keys hashes integers, and the strings are read again only for the pairs it finds.
    """
    for id_type, prefix, body in (
        ("phone", "''", "value"),
        ("email", "'@' || split_part(value, '@', 2)", "split_part(value, '@', 1)"),
    ):
        # account values that found no exact customer value are the only ones worth a near-miss search
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE near_sides AS
            SELECT row_number() OVER () AS sid, *
            FROM (SELECT DISTINCT owner_kind = 'customer' AS is_customer, value, {prefix} AS block, {body} AS body
                  FROM owner_values
                  WHERE id_type = '{id_type}'
                    AND (owner_kind = 'customer' OR value NOT IN (
                          SELECT value FROM owner_values WHERE id_type = '{id_type}' AND owner_kind = 'customer')))
        """)
        con.execute(f"CREATE OR REPLACE TEMP TABLE near_keys AS {_deletion_keys('is_customer')}")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE near_pairs AS
            SELECT DISTINCT c.sid AS customer_sid, a.sid AS account_sid
            FROM near_keys c JOIN ({_deletion_keys('NOT is_customer')}) a USING (k)
        """)
        con.execute(f"""
            INSERT INTO pair_evidence
            SELECT c.owner_id, a.owner_id, '{id_type}', 'near', c.value, a.value, c.since
            FROM (SELECT cv.value AS cval, av.value AS aval
                  FROM near_pairs p JOIN near_sides cv ON cv.sid = p.customer_sid
                  JOIN near_sides av ON av.sid = p.account_sid
                  WHERE cv.value <> av.value AND cv.block = av.block
                    AND damerau_levenshtein(cv.body, av.body) = 1) p
            JOIN owner_values c ON c.id_type = '{id_type}' AND c.owner_kind = 'customer' AND c.value = p.cval
            JOIN owner_values a ON a.id_type = '{id_type}' AND a.owner_kind = 'account' AND a.value = p.aval
        """)
        con.execute("DROP TABLE near_pairs; DROP TABLE near_keys; DROP TABLE near_sides")


def _deletion_keys(side: str) -> str:
    """The value's numbers (``sid``) of one side of ``near_sides``, each with the hashes of its body and of every
    one-character deletion of it (within its block)."""
    return f"""
        SELECT sid, hash(block || '|' || CASE WHEN i = 0 THEN body
                                            ELSE substr(body, 1, i - 1) || substr(body, i + 1) END) AS k
        FROM (SELECT sid, block, body, unnest(range(0, length(body) + 1)) AS i FROM near_sides WHERE {side})
    """
