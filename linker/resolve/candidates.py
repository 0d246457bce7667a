"""Candidate pairs: a customer and an account sharing a usable, non-hub identifier, exactly or one edit apart.

Never all pairs: exact candidates come from an equi-join on (type, value); near misses from a deletion
neighbourhood block (every distinct value and each of its one-character deletions, hashed within its email
domain), verified with Damerau-Levenshtein distance 1, so a transposed digit or one character off is found in
O(n * length). A near miss needs the names to spell the same letters or share a Chinese surname, or another value
shared exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from linker.engine import Engine, as_engine
from linker.resolve.attributes import Attribute
from linker.resolve.names import name_keys_sql, names_of_owner_sql, register_pinyin
from linker.sql import quote_literal


def find_candidates(engine: Engine | duckdb.DuckDBPyConnection, *, near_miss: bool = True,
                    unblocked_near: Sequence[str] = (), blocking: Sequence[BlockingRule] = ()) -> int:
    """Create ``pair_evidence`` (one row per customer, account and identifier match), ``blocked_pairs``
    (pairs that agree on the attributes of a blocking rule) and ``candidate_pairs`` (each pair of either
    once). Returns the number of candidate pairs.

    Reads ``owner_values``, ``identifier_degrees`` and ``hubs`` of :func:`~linker.resolve.hubs.find_hubs` (and,
    for near misses, the names in ``customers`` and ``accounts``), and leaves only the values that are not hubs
    in ``owner_values``; the values' degrees are joined onto the pairs, not onto every value. ``unblocked_near`` lists
    declared identifier types whose values one edit apart are searched among all values (an ID number's typo).
    """
    engine = as_engine(engine)
    engine.delete_where("owner_values", "EXISTS (SELECT 1 FROM hubs h WHERE h.id_type = o.id_type "
                        "AND h.value = o.value)", alias="o")
    # the degrees of the values that customers and accounts share, joined as the pairs are made
    engine.create_table("pair_evidence", f"""
        SELECT c.owner_id AS customer_id, a.owner_id AS account_id, c.id_type, 'exact' AS match,
               c.value AS customer_value, a.value AS account_value, c.since, c.confirmed, d.customers, d.accounts
        FROM owner_values c JOIN owner_values a USING (id_type, value)
        JOIN ({_DEGREES} WHERE customers > 0 AND accounts > 0) d ON d.id_type = c.id_type AND d.value = c.value
        WHERE c.owner_kind = 'customer' AND a.owner_kind = 'account'
    """)
    if near_miss:
        _near_misses(engine)
    for id_type in unblocked_near:
        _unblocked_near_misses(engine, id_type)
    _blocked_pairs(engine, blocking)
    engine.create_table("candidate_pairs", "SELECT customer_id, account_id FROM pair_evidence "
                                           "UNION SELECT customer_id, account_id FROM blocked_pairs")
    return engine.count("candidate_pairs")


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs from exact agreement on every attribute of ``attributes``, on values shared by at most
    ``max_pairs_per_value`` customer-account pairs."""

    attributes: tuple[Attribute, ...]
    max_pairs_per_value: int


def _blocked_pairs(engine: Engine, rules: Sequence[BlockingRule]) -> None:
    """``blocked_pairs(customer_id, account_id)``: the pairs of every blocking rule (a pair may repeat)."""
    def key(rule: BlockingRule, side: str) -> str:
        exprs = [a.customer_sql if side == "c" else a.account_sql for a in rule.attributes]
        return "CASE WHEN " + " AND ".join(f"({e}) IS NOT NULL" for e in exprs) + \
               " THEN " + " || chr(31) || ".join(f"CAST(({e}) AS VARCHAR)" for e in exprs) + " END"

    parts = []
    for rule in rules:
        parts.append(f"""
            SELECT * FROM (
                WITH ck AS (SELECT customer_id, {key(rule, 'c')} AS k FROM customers c),
                ak AS (SELECT account_id, {key(rule, 'a')} AS k FROM accounts a),
                small AS (SELECT k FROM (SELECT k, count(*) AS n FROM ck WHERE k IS NOT NULL GROUP BY k) cn
                          JOIN (SELECT k, count(*) AS n FROM ak WHERE k IS NOT NULL GROUP BY k) an USING (k)
                          WHERE cn.n * an.n <= {rule.max_pairs_per_value})
                SELECT ck.customer_id, ak.account_id FROM ck JOIN ak USING (k) SEMI JOIN small USING (k))""")
    empty = "SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS account_id WHERE FALSE"
    engine.create_table("blocked_pairs", f"{' UNION ALL '.join(parts) or empty}")


_DEGREES = "SELECT id_type, value, customers, accounts FROM identifier_degrees"
"""SQL: the holders of each value, which every row of ``pair_evidence`` carries for its customer's value."""


def _unblocked_near_misses(engine: Engine, id_type: str) -> None:
    """Add values of ``id_type`` one edit apart between any customer and any account."""
    engine.create_table("near_sides", f"""
        SELECT hash(is_customer, value) AS sid, *
        FROM (SELECT DISTINCT owner_kind = 'customer' AS is_customer, value, '' AS domain, value AS body
              FROM owner_values WHERE id_type = {quote_literal(id_type)})
    """)
    _values_one_edit_apart(engine, "near_values")
    engine.insert("pair_evidence", f"""
        SELECT c.owner_id, a.owner_id, {quote_literal(id_type)}, 'near', c.value, a.value, c.since, c.confirmed,
               d.customers, d.accounts
        FROM near_values p
        JOIN owner_values c ON c.id_type = {quote_literal(id_type)} AND c.owner_kind = 'customer'
                           AND c.value = p.customer_value
        JOIN owner_values a ON a.id_type = {quote_literal(id_type)} AND a.owner_kind = 'account'
                           AND a.value = p.account_value
        JOIN ({_DEGREES}) d ON d.id_type = {quote_literal(id_type)} AND d.value = c.value
    """)
    engine.drop("near_values", "near_sides")


def _near_misses(engine: Engine) -> None:
    """Add phones one edit apart, and emails whose local parts are one edit apart on the same domain, between a
    customer and an account whose names spell the same letters (:func:`~linker.resolve.names.name_keys_sql`) or
    begin with the same Chinese character (a surname, :func:`_owner_name_keys`), or that already share a value
    exactly. Account values some customer holds exactly are not searched.

    The names are a condition because values one edit apart by chance grow with customers x accounts (more
    values in the same number space), and without a name in common such a pair cannot reach the link threshold:
    without it, the pairs found grow faster than the data and are nearly all rejected or ambiguous.

    The search itself is on the values alone (:func:`_values_one_edit_apart`): each distinct value once, not once
    per name of each owner, and the names are read only for the owners of the values it finds. The pairs of
    values one edit apart by chance are few beside the values (integers joined, then verified), and are dropped
    with the owners whose names share nothing.
    """
    # two branches and an anti join: "customer OR NOT EXISTS (...)" makes DuckDB materialize every value and
    # mark-join it through a duplicate-eliminating subplan, which spills at scale
    engine.create_table("near_owners", """
        SELECT owner_kind, owner_id, id_type, value,
               CASE id_type WHEN 'email' THEN split_part(value, '@', 2) ELSE '' END AS domain,
               CASE id_type WHEN 'email' THEN split_part(value, '@', 1) ELSE value END AS body, since, confirmed
        FROM (SELECT owner_kind, owner_id, id_type, value, since, confirmed FROM owner_values
              WHERE id_type IN ('phone', 'email') AND owner_kind = 'customer'
              UNION ALL
              SELECT o.owner_kind, o.owner_id, o.id_type, o.value, o.since, o.confirmed FROM owner_values o
              ANTI JOIN (SELECT id_type, value FROM owner_values WHERE owner_kind = 'customer') c
                   USING (id_type, value)
              WHERE o.id_type IN ('phone', 'email') AND o.owner_kind <> 'customer')
    """)
    pairs = []
    for id_type in ("phone", "email"):
        engine.create_table("near_sides", f"""
            SELECT hash(is_customer, value) AS sid, *
            FROM (SELECT DISTINCT owner_kind = 'customer' AS is_customer, value, domain, body
                  FROM near_owners WHERE id_type = '{id_type}')
        """)
        _values_one_edit_apart(engine, f"near_{id_type}_values")
        pairs.append(f"""
            SELECT c.owner_id AS customer_id, a.owner_id AS account_id, c.id_type, c.value AS customer_value,
                   a.value AS account_value, c.since, c.confirmed
            FROM near_{id_type}_values p
            JOIN near_owners c ON c.id_type = '{id_type}' AND c.owner_kind = 'customer'
                              AND c.value = p.customer_value
            JOIN near_owners a ON a.id_type = '{id_type}' AND a.owner_kind = 'account'
                              AND a.value = p.account_value""")
        engine.drop("near_sides")
    engine.create_table("near_owner_pairs", " UNION ALL ".join(pairs))
    engine.drop("near_phone_values", "near_email_values")
    _owner_name_keys(engine)
    engine.create_table("exact_pairs", ""
                "SELECT DISTINCT customer_id, account_id FROM pair_evidence")
    engine.insert("pair_evidence", f"""
        SELECT n.*, d.customers, d.accounts
        FROM (SELECT DISTINCT customer_id, account_id, id_type, match, customer_value, account_value, since,
                              confirmed
        FROM (
            -- same name letters, or same surname ('near_surname': the names are compared, see comparisons)
            SELECT p.customer_id, p.account_id, p.id_type, p.customer_value, p.account_value, p.since,
                   p.confirmed,
                   CASE WHEN starts_with(cn.name_key, 'surname ') THEN 'near_surname' ELSE 'near' END AS match
            FROM near_owner_pairs p
            JOIN owner_name_keys cn ON cn.owner_kind = 'customer' AND cn.owner_id = p.customer_id
            JOIN owner_name_keys an ON an.owner_kind = 'account' AND an.owner_id = p.account_id
                                   AND an.name_key = cn.name_key
            UNION
            -- already sharing a value exactly, whatever the names
            SELECT c.owner_id, a.owner_id, c.id_type, c.value, a.value, c.since, c.confirmed, 'near'
            FROM exact_pairs p
            JOIN near_owners c ON c.owner_kind = 'customer' AND c.owner_id = p.customer_id
            JOIN near_owners a ON a.owner_kind = 'account' AND a.owner_id = p.account_id AND a.id_type = c.id_type
            WHERE c.value <> a.value AND c.domain = a.domain AND damerau_levenshtein(c.body, a.body) = 1)) n
        JOIN ({_DEGREES}) d ON d.id_type = n.id_type AND d.value = n.customer_value
    """)
    engine.drop("exact_pairs", "owner_name_keys", "near_owner_pairs", "near_owners")


def _owner_name_keys(engine: Engine) -> None:
    """``owner_name_keys`` (owner_kind, owner_id, name_key) of the owners in ``near_owner_pairs`` that have a
    name, one per distinct key of any of their names.

    Two kinds of key: the letters the name spells (:func:`~linker.resolve.names.name_keys_sql`), and, for a name
    written in Chinese characters, its first character as ``surname <char>``: a platform's masked recipient
    (卢*海), a title (郑先生) or a full name keeps the surname when the letters differ."""
    register_pinyin(engine)
    engine.create_table("owner_names", f"""
        SELECT owner_kind, owner_id, unnest({names_of_owner_sql()}) AS name
        FROM (SELECT 'customer' AS owner_kind, c.customer_id AS owner_id, c.name, c.names FROM customers c
              SEMI JOIN near_owner_pairs p ON p.customer_id = c.customer_id
              UNION ALL
              SELECT 'account', a.account_id, a.name, a.names FROM accounts a
              SEMI JOIN near_owner_pairs p ON p.account_id = a.account_id)
    """)
    # UNION ALL: the two kinds never meet (a key of letters has no space), so their union needs no third pass
    engine.create_table("owner_name_keys", f"""
        SELECT DISTINCT n.owner_kind, n.owner_id, k.name_key
        FROM owner_names n JOIN ({name_keys_sql("owner_names")}) k USING (name)
        UNION ALL
        SELECT DISTINCT n.owner_kind, n.owner_id, 'surname ' || p.ch
        FROM owner_names n JOIN pinyin_chars p ON p.ch = left(n.name, 1)
    """)
    engine.drop("owner_names")


def _values_one_edit_apart(engine: Engine, target: str) -> None:
    """Create ``target`` (customer_value, account_value): the pairs of a customer's value and an account's value
    of ``near_sides`` one edit apart (Damerau-Levenshtein distance 1 between their bodies, in the same email
    domain).

    Every distinct value of ``near_sides`` has a number, the hash of its side and value (no window numbering over
    all of them, which runs on one thread); the deletion keys (:func:`_deletion_keys`) carry the number only, so
    the join of customer keys with account keys hashes integers, and the strings are read again, and compared,
    only for the pairs it finds: two values whose numbers collide match nothing they would not match by their
    strings."""
    engine.create_table("near_keys", _deletion_keys("is_customer"))
    engine.create_table(target, f"""
        SELECT cv.value AS customer_value, av.value AS account_value
        FROM (SELECT DISTINCT c.sid AS customer_sid, a.sid AS account_sid
              FROM near_keys c JOIN ({_deletion_keys('NOT is_customer')}) a USING (k)) p
        JOIN near_sides cv ON cv.sid = p.customer_sid JOIN near_sides av ON av.sid = p.account_sid
        WHERE cv.value <> av.value AND cv.domain = av.domain AND damerau_levenshtein(cv.body, av.body) = 1
    """)
    engine.drop("near_keys")


def _deletion_keys(side: str) -> str:
    """The value's numbers (``sid``) of one side of ``near_sides``, each with the hashes of its body and of every
    one-character deletion of it, within its email domain."""
    return f"""
        SELECT sid, hash(domain, CASE WHEN i = 0 THEN body ELSE substr(body, 1, i - 1) || substr(body, i + 1) END) AS k
        FROM (SELECT sid, domain, body, unnest(range(0, length(body) + 1)) AS i FROM near_sides WHERE {side})
    """
