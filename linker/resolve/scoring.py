"""Score candidate pairs from their evidence: Fellegi-Sunter style weights in bits, each one kept.

Every comparison adds a weight (log2 of how much more likely the observation is for a true match than for a
non-match) to the prior; the sum is the pair's match weight and ``2**w / (1 + 2**w)`` its probability.
The evidence list of a pair holds every comparison with its weight and a note, which ``explain`` shows.

Identifier weights are term-frequency adjusted: an exact match on a value held by ``c`` customers and ``a``
accounts weighs ``base - log2(c) - log2(a)`` bits. A match on a value the customer has held only since after
the account was last seen (a recycled number) weighs nothing.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from linker.config import WeightsConfig
from linker.resolve.names import name_forms_sql, register_pinyin, similarities

ID_TYPES = ("phone", "email", "device")
NAME_LEVELS = ((0.95, "name_exact"), (0.80, "name_close"), (0.60, "name_partial"))
SAME_LETTERS = "regexp_replace(split_part(customer_value, '@', 1), '[^\\p{L}]', '', 'g') = " \
               "regexp_replace(split_part(account_value, '@', 1), '[^\\p{L}]', '', 'g')"
"""SQL: the local parts of an email near miss spell the same letters in the same order, so the one edit is in a
digit or a separator (liuming82 / liuming83 / liu_ming82): what the addresses of two people of the same name
look like, pinyin plus a birth year or a lucky number, more than a typo."""
NAME_BATCH = 262_144
"""Pairs whose names are compared per batch (bounds the memory the Python strings take)."""


def score_candidates(con: duckdb.DuckDBPyConnection, weights: WeightsConfig) -> int:
    """Create ``scored_pairs`` from ``pair_evidence``, ``owner_values`` (non-hub values), ``customers`` and
    ``accounts``. Returns the pair count."""
    _identifier_items(con, weights)
    _name_similarity(con)
    _attribute_items(con, weights)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE scored_pairs AS
        SELECT customer_id, account_id,
               {weights.prior} + sum(weight) AS match_weight,
               list_sort(list({{'comparison': comparison, 'id_type': id_type, 'value': value,
                                'weight': round(weight, 2), 'note': note}})) AS evidence
        FROM (SELECT customer_id, account_id, comparison, id_type, value, weight, note FROM identifier_items
              UNION ALL
              SELECT customer_id, account_id, comparison, NULL, NULL, weight, note FROM attribute_items)
        GROUP BY customer_id, account_id
    """)
    con.execute("DROP TABLE identifier_items; DROP TABLE attribute_items; DROP TABLE pair_names")
    return con.execute("SELECT count(*) FROM scored_pairs").fetchall()[0][0]


def _identifier_items(con: duckdb.DuckDBPyConnection, w: WeightsConfig) -> None:
    exact = f"CASE id_type WHEN 'phone' THEN {w.phone_exact} WHEN 'email' THEN {w.email_exact} " \
            f"ELSE {w.device_exact} END"
    near = f"CASE WHEN id_type = 'phone' THEN {w.phone_near} WHEN digit_edit THEN {w.email_near_digits} " \
           f"WHEN id_type = 'email' THEN {w.email_near} ELSE 0 END"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE identifier_items AS
        WITH items AS (
            SELECT e.*, a.last_seen_at,
                   e.since IS NOT NULL AND a.last_seen_at IS NOT NULL AND e.since > CAST(a.last_seen_at AS DATE)
                       AS recycled,
                   e.match = 'near' AND e.id_type = 'email' AND {SAME_LETTERS} AS digit_edit
            FROM pair_evidence e JOIN accounts a USING (account_id)),
        flagged AS (
            SELECT *, bool_or(match = 'exact' AND NOT recycled)
                          OVER (PARTITION BY customer_id, account_id, id_type) AS type_matched_exactly
            FROM items)
        SELECT customer_id, account_id, id_type, match || '_' || id_type AS comparison, customer_value AS value,
               CASE WHEN recycled THEN 0.0
                    WHEN match = 'exact' THEN {exact} - log2(greatest(customers, 1)) - log2(greatest(accounts, 1))
                    WHEN type_matched_exactly THEN 0.0
                    ELSE {near} END AS weight,
               CASE WHEN recycled THEN 'recycled: held by the customer since ' || CAST(since AS VARCHAR)
                                       || ', after the account was last seen ' || CAST(CAST(last_seen_at AS DATE) AS VARCHAR)
                    WHEN match = 'exact' THEN 'held by ' || customers || ' customer(s) and ' || accounts || ' account(s)'
                    WHEN type_matched_exactly THEN 'one edit apart; already matched exactly on another value'
                    WHEN digit_edit
                        THEN 'one edit apart in a digit or separator only, like the addresses of namesakes: '
                             || account_value
                    ELSE 'one edit apart: ' || account_value END AS note
        FROM flagged
    """)


def _name_similarity(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pair_names``: per pair, the similarity of the names written as they are and as they sound."""
    register_pinyin(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pair_list AS
        SELECT row_number() OVER () AS pid, p.customer_id, p.account_id, c.name AS cname, a.name AS aname
        FROM (SELECT DISTINCT customer_id, account_id FROM identifier_items) p
        JOIN customers c USING (customer_id) JOIN accounts a USING (account_id)
        WHERE c.name IS NOT NULL AND a.name IS NOT NULL
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE name_forms AS
        {name_forms_sql("(SELECT cname AS name FROM pair_list UNION SELECT aname FROM pair_list)")}
    """)
    reader = con.sql("""
        SELECT l.pid, fc.chars, fa.chars, fc.spelled, fa.spelled
        FROM pair_list l JOIN name_forms fc ON fc.name = l.cname JOIN name_forms fa ON fa.name = l.aname
    """).to_arrow_reader(NAME_BATCH)
    scores = []
    for batch in reader:  # in batches: the names of millions of pairs as Python strings would take gigabytes
        pid, chars_c, chars_a, spelled_c, spelled_a = (batch.column(i) for i in range(5))
        same_chars, same_sound = similarities(chars_c.to_pylist(), chars_a.to_pylist(), spelled_c.to_pylist(),
                                              spelled_a.to_pylist())
        scores.append(pa.table({"pid": pid, "same_chars": same_chars, "same_sound": same_sound}))
    con.register("name_scores", pa.concat_tables(scores) if scores else pa.table(
        {"pid": pa.array([], pa.int64()), "same_chars": pa.array([], pa.float64()),
         "same_sound": pa.array([], pa.float64())}))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pair_names AS
        SELECT l.customer_id, l.account_id, s.same_chars, s.same_sound,
               regexp_matches(l.aname, '\\p{Han}') AS account_name_is_cjk
        FROM pair_list l JOIN name_scores s USING (pid)
    """)
    con.unregister("name_scores")
    con.execute("DROP TABLE pair_list; DROP TABLE name_forms")


def _attribute_items(con: duckdb.DuckDBPyConnection, w: WeightsConfig) -> None:
    """Name level, city and birth date agreement, and identifier types that disagree, per pair."""
    # A Latin account name spelling the customer's name exactly is as good as the characters; a Chinese
    # account name that only sounds the same (a homophone) is close, not exact.
    name_sim = "CASE WHEN account_name_is_cjk THEN greatest(same_chars, least(same_sound, 0.9)) " \
               "ELSE greatest(same_chars, same_sound) END"
    levels = " ".join(f"WHEN {name_sim} >= {t} THEN '{level}'" for t, level in NAME_LEVELS)
    level_weight = " ".join(f"WHEN '{level}' THEN {getattr(w, level)}" for _, level in NAME_LEVELS)
    presence = ", ".join(
        f"bool_or(id_type = '{t}') AS has_{t}" for t in ID_TYPES)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE attribute_items AS
        WITH pairs AS (SELECT DISTINCT customer_id, account_id FROM identifier_items),
        names AS (
            SELECT customer_id, account_id, CASE {levels} ELSE 'name_mismatch' END AS level,
                   round({name_sim}, 2) AS similarity
            FROM pair_names),
        held_c AS (SELECT owner_id AS customer_id, {presence} FROM owner_values
                   WHERE owner_kind = 'customer' AND owner_id IN (SELECT customer_id FROM pairs) GROUP BY owner_id),
        held_a AS (SELECT owner_id AS account_id, {presence} FROM owner_values
                   WHERE owner_kind = 'account' AND owner_id IN (SELECT account_id FROM pairs) GROUP BY owner_id),
        agreeing AS (SELECT customer_id, account_id, id_type FROM identifier_items WHERE weight > 0
                     GROUP BY ALL),
        facts AS (SELECT p.customer_id, p.account_id, regexp_replace(c.city, '市$', '') AS c_city,
                         regexp_replace(a.city, '市$', '') AS a_city, c.birth_date AS c_birth, a.birth_date AS a_birth
                  FROM pairs p JOIN customers c USING (customer_id) JOIN accounts a USING (account_id))
        SELECT customer_id, account_id, level AS comparison,
               CASE level {level_weight} ELSE {w.name_mismatch} END AS weight,
               'name similarity ' || similarity AS note
        FROM names
        UNION ALL
        SELECT customer_id, account_id, 'city_' || CASE WHEN c_city = a_city THEN 'match' ELSE 'mismatch' END,
               CASE WHEN c_city = a_city THEN {w.city_match} ELSE {w.city_mismatch} END, NULL
        FROM facts WHERE c_city IS NOT NULL AND a_city IS NOT NULL
        UNION ALL
        SELECT customer_id, account_id, 'birth_date_' || CASE WHEN c_birth = a_birth THEN 'match' ELSE 'mismatch' END,
               CASE WHEN c_birth = a_birth THEN {w.birth_date_match} ELSE {w.birth_date_mismatch} END, NULL
        FROM facts WHERE c_birth IS NOT NULL AND a_birth IS NOT NULL
        UNION ALL
        SELECT p.customer_id, p.account_id, t.id_type || '_mismatch', {w.identifier_mismatch},
               'both hold ' || t.id_type || ' values and none agree'
        FROM pairs p JOIN held_c hc USING (customer_id) JOIN held_a ha USING (account_id)
        CROSS JOIN (VALUES {", ".join(f"('{t}')" for t in ID_TYPES)}) t(id_type)
        WHERE CASE t.id_type {" ".join(f"WHEN '{x}' THEN hc.has_{x} AND ha.has_{x}" for x in ID_TYPES)} END
          AND NOT EXISTS (SELECT 1 FROM agreeing g WHERE g.customer_id = p.customer_id
                          AND g.account_id = p.account_id AND g.id_type = t.id_type)
    """)
