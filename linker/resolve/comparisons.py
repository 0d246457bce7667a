"""Compare every candidate pair: one level per comparison of the match model, in the table ``pair_levels``.

``pair_levels`` has one row per (customer, account) candidate pair and, per comparison of
:func:`linker.resolve.model.comparisons_for`, a column ``lvl_<comparison>`` holding the index of the pair's level
(NULL when the comparison cannot be made: a side lacks the value), plus the values the explanation quotes.

- Identifiers: exact agreement, split by how many customers hold the value and how many accounts; one edit apart;
  both sides holding values of the type with none in common.
- Identifier dates: ``*_since`` says when the customer came to hold a value: an account last active before then
  agrees with the customer only on a value the customer did not hold yet (``exact_stale``, a recycled number).
- Timing: ``*_confirmed`` says only that the customer held a value then (activity before it is normal; long after
  it, the value may have passed to someone else), ``closed_at`` when the customer left.
- Name: the best level over every name of the customer and of the account (:mod:`linker.resolve.name_levels`).
  A pair that agrees on no identifier exactly (one edit apart only) and was found *because* its names spell the
  same letters (:mod:`linker.resolve.candidates`): its name level is part of what ``near`` means, and is not
  counted again (it would double the evidence of the names, whose chance agreement the near level already
  carries). A near pair found only through a shared surname (level ``near_surname``: 卢*海 and 卢金海) keeps its
  name level: masked, surname only or different names are what tells a typo from a stranger's number.
- City, birth date, gender when both sides have them.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from linker.engine import Engine, as_engine
from linker.resolve.attributes import Attribute, level_sql
from linker.resolve.model import TIMING, Comparison
from linker.resolve.name_levels import name_levels

IDENTIFIER_RANKS = ("exact_sole", "exact_sole_busy", "exact_few", "exact_many", "exact_stale", "near", "near_digits",
                    "near_surname", "differ")
"""Identifier levels from strongest to weakest; an identifier comparison's levels are a subsequence."""
TIMING_RANKS = ("consistent", "confirmed_2y_before", "ended_before_confirmed", "confirmed_5y_before", "after_closure")
SAME_LETTERS = ("regexp_replace(split_part(customer_value, '@', 1), '[^\\p{L}]', '', 'g') = "
                "regexp_replace(split_part(account_value, '@', 1), '[^\\p{L}]', '', 'g')")
"""SQL: the local parts of an email near miss spell the same letters in the same order, so the one edit is in a
digit or a separator (liuming82 / liuming83 / liu_ming82): what the addresses of two people of the same name look
like, pinyin plus a birth year or a lucky number, as much as a typo."""
BUSY_ACCOUNTS = 5
"""A value held by one customer and this many accounts or more is ``exact_sole_busy`` (a shop's phone given by
its owner?), not ``exact_sole``."""


def _rank_to_level(rank: str, comparison: Comparison, ranks: Sequence[str]) -> str:
    """SQL mapping a rank (position in ``ranks``) to the level index of ``comparison``."""
    names = comparison.level_names()
    cases = " ".join(f"WHEN {i} THEN {names.index(r)}" for i, r in enumerate(ranks) if r in names)
    return f"CASE {rank} {cases} END"


def build_pair_levels(engine: Engine | duckdb.DuckDBPyConnection, comparisons: Sequence[Comparison],
                      identifiers: Sequence[str], attributes: Sequence[Attribute], *, pairs: str | None = None,
                      target: str = "pair_levels", name_flags: str | None = None,
                      name_pairs: str | None = None, account_forms: str | None = None) -> int:
    """Create ``target`` (default ``pair_levels``) from ``pair_evidence``, ``owner_values``, ``customers`` and
    ``accounts``.

    Parameters
    ----------
    comparisons
        The run's comparisons (:func:`~linker.resolve.model.comparisons_for`).
    identifiers
        The comparisons that are identifier types (named as the ``id_type`` of ``pair_evidence``).
    attributes
        The attribute comparisons (:func:`~linker.resolve.attributes.attributes_for`).
    pairs
        A query of (customer_id, account_id) pairs to compare; by default the table ``candidate_pairs`` of
        :func:`~linker.resolve.candidates.find_candidates`. Pairs without evidence (random pairs) agree on no
        identifier.
    name_flags
        A table of :func:`~linker.resolve.name_levels.account_name_flags` to compare names with (by default
        counted over ``pairs``).
    name_pairs
        A table of :func:`~linker.resolve.name_levels.name_pairs_sql` over ``pairs``, built by the caller already
        (by default built here).
    account_forms
        A table of :func:`~linker.resolve.name_levels.account_forms_sql` over (at least) the account names of
        ``pairs``, built by the caller already (by default built here).

    Returns
    -------
    int
        The number of pairs.
    """
    engine = as_engine(engine)
    by_name = {c.name: c for c in comparisons}
    # every pair of pair_evidence is a candidate pair: only other pairs (an update's, random ones) restrict it
    compared = "candidate_pairs" if pairs is None else "pairs"
    if pairs is not None:
        engine.create_table("pairs", f"SELECT DISTINCT customer_id, account_id FROM ({pairs})")
    restrict = "SEMI JOIN pairs USING (customer_id, account_id)" if pairs is not None else ""
    _identifier_levels(engine, identifiers, restrict)
    _timing_levels(engine, restrict)
    name_levels(engine, compared, flags=name_flags, name_pairs=name_pairs, account_forms=account_forms)
    id_columns = []
    for t in identifiers:
        differ = IDENTIFIER_RANKS.index("differ")
        rank = f"coalesce(i.rank_{t}, CASE WHEN cv.has_{t} AND av.has_{t} THEN {differ} END)"
        id_columns.append(f"{_rank_to_level(rank, by_name[t], IDENTIFIER_RANKS)} AS lvl_{t}, "
                          f"i.value_{t}, i.account_value_{t}, i.holders_{t}")
    presence = ", ".join(f"bool_or(id_type = '{t}') AS has_{t}" for t in identifiers)
    attribute_columns = [f"{level_sql(a, f'cv.v{i}', f'av.v{i}')} AS {a.comparison.column}"
                         for i, a in enumerate(attributes)]
    held = "".join(f", h.has_{t}" for t in identifiers)
    customer_values = "".join(f", {a.customer_sql} AS v{i}" for i, a in enumerate(attributes)) + held
    account_values = "".join(f", {a.account_sql} AS v{i}" for i, a in enumerate(attributes)) + held
    # The pair's facts are joined in three statements, not one: a statement joining all eight tables holds every
    # hash table in memory at once, which outgrows the memory limit at millions of pairs where one join spills
    ranked = ", ".join(f"i.rank_{t}, i.value_{t}, i.account_value_{t}, i.holders_{t}" for t in identifiers)
    engine.create_table("pair_facts", f"""
        SELECT p.customer_id, p.account_id, i.any_exact, i.near_by_letters, {ranked}
        FROM {compared} p LEFT JOIN identifier_ranks i USING (customer_id, account_id)
    """)
    engine.drop("identifier_ranks")
    engine.create_table("pair_facts", """
        SELECT f.*, t.rank AS timing_rank, t.note AS note_timing, n.level AS name_level, n.value AS value_name,
               b.blocked
        FROM pair_facts f
        LEFT JOIN timing_ranks t USING (customer_id, account_id)
        LEFT JOIN pair_name_levels n USING (customer_id, account_id)
        LEFT JOIN (SELECT DISTINCT customer_id, account_id, TRUE AS blocked FROM blocked_pairs) b
            USING (customer_id, account_id)
    """)
    engine.drop("timing_ranks", "pair_name_levels")
    # Each side's values and the identifier types it holds are one narrow row per customer (account), joined
    # once onto the wide pair rows: joined on their own, the small per-owner tables made DuckDB build its hash
    # tables over the wide rows instead.
    engine.create_table(target, f"""
        WITH held_c AS (SELECT owner_id AS customer_id, {presence} FROM owner_values
                        WHERE owner_kind = 'customer' AND owner_id IN (SELECT customer_id FROM {compared})
                        GROUP BY owner_id),
        held_a AS (SELECT owner_id AS account_id, {presence} FROM owner_values
                   WHERE owner_kind = 'account' AND owner_id IN (SELECT account_id FROM {compared})
                   GROUP BY owner_id),
        cv AS (SELECT customer_id{customer_values} FROM customers c LEFT JOIN held_c h USING (customer_id)
               WHERE customer_id IN (SELECT customer_id FROM {compared})),
        av AS (SELECT account_id{account_values} FROM accounts a LEFT JOIN held_a h USING (account_id)
               WHERE account_id IN (SELECT account_id FROM {compared}))
        SELECT i.customer_id, i.account_id, {", ".join(id_columns)},
               {_rank_to_level("i.timing_rank", TIMING, TIMING_RANKS)} AS lvl_timing, i.note_timing,
               CASE WHEN coalesce(i.any_exact, TRUE) OR i.blocked OR NOT i.near_by_letters THEN i.name_level END
                   AS lvl_name, i.value_name,
               {", ".join(attribute_columns)}
        FROM pair_facts i
        JOIN cv USING (customer_id)
        JOIN av USING (account_id)
    """)
    engine.drop("pair_facts", *(["pairs"] if pairs is not None else []))
    return engine.count(target)


BEST = "{{'rank': {rank}, 'value': customer_value, 'account_value': account_value, 'near': match LIKE 'near%', " \
       "'customers': customers, 'accounts': accounts}}"
"""SQL: an agreeing value with what the pair's levels quote, in the order in which a pair's values are preferred:
best rank, then by value, so that equal ranks give the same value (and explanation) on every run and engine."""


def _identifier_levels(engine: Engine, identifiers: Sequence[str], restrict: str) -> None:
    """``identifier_ranks``: per pair and identifier type, the best rank of :data:`IDENTIFIER_RANKS` among its
    agreeing values, with that value, the account's value of the best near miss and the best value's holders.

    One ``min`` of a struct per type (and one more over the near misses) picks the best value with everything
    quoted from it: a struct compares field by field, in :data:`BEST`'s order."""
    last_active = "CAST(coalesce(a.last_seen_at, a.registered_at) AS DATE)"
    rank = (f"CASE WHEN match = 'near_surname' THEN {IDENTIFIER_RANKS.index('near_surname')} "
            f"WHEN match = 'near' AND id_type = 'email' AND {SAME_LETTERS} "
            f"THEN {IDENTIFIER_RANKS.index('near_digits')} "
            f"WHEN match = 'near' THEN {IDENTIFIER_RANKS.index('near')} "
            f"WHEN since > {last_active} THEN {IDENTIFIER_RANKS.index('exact_stale')} "
            f"WHEN customers = 1 AND accounts < {BUSY_ACCOUNTS} THEN 0 WHEN customers = 1 THEN 1 "
            f"WHEN customers <= 3 THEN 2 ELSE 3 END")
    best = ", ".join(f"min(best) FILTER (WHERE id_type = '{t}') AS best_{t}, "
                     f"min(best) FILTER (WHERE id_type = '{t}' AND best.near) AS near_{t}" for t in identifiers)
    quoted = ", ".join(
        f"best_{t}.rank AS rank_{t}, best_{t}.value AS value_{t}, near_{t}.account_value AS account_value_{t}, "
        f"CASE WHEN best_{t} IS NOT NULL THEN {{'customers': best_{t}.customers, 'accounts': best_{t}.accounts}} "
        f"END AS holders_{t}"
        for t in identifiers)
    engine.create_table("identifier_ranks", f"""
        SELECT customer_id, account_id, any_exact, near_by_letters, {quoted}
        FROM (SELECT customer_id, account_id, bool_or(match = 'exact') AS any_exact,
                     bool_or(match = 'near') AS near_by_letters, {best}
              FROM (SELECT e.customer_id, e.account_id, e.id_type, e.match, {BEST.format(rank=rank)} AS best
                    FROM pair_evidence e JOIN accounts a USING (account_id)
                    {restrict})
              GROUP BY customer_id, account_id)
    """)


def _timing_levels(engine: Engine, restrict: str) -> None:
    """``timing_ranks``: per pair, the least worrying rank of :data:`TIMING_RANKS` over the exactly shared values
    whose dates can be checked, and a note with the dates of that value. No row when no date applies.

    The evidence is restricted to the compared pairs before it is joined to the accounts and customers: DuckDB
    joins the semi join last otherwise, after joining every candidate pair's evidence."""
    engine.create_table("timing_ranks", f"""
        WITH dated AS (
            SELECT e.customer_id, e.account_id, e.id_type, e.since, e.confirmed, c.closed_at,
                   CAST(coalesce(a.registered_at, a.last_seen_at) AS DATE) AS first_active,
                   CAST(coalesce(a.last_seen_at, a.registered_at) AS DATE) AS last_active
            FROM (SELECT * FROM pair_evidence {restrict}) e
            JOIN accounts a USING (account_id) JOIN customers c USING (customer_id)
            WHERE e.match = 'exact' AND (e.confirmed IS NOT NULL OR c.closed_at IS NOT NULL)
              AND NOT coalesce(e.since > CAST(coalesce(a.last_seen_at, a.registered_at) AS DATE), FALSE)),
        ranked AS (
            SELECT *, CASE
                WHEN closed_at < first_active THEN {TIMING_RANKS.index('after_closure')}
                WHEN confirmed + INTERVAL 5 YEAR < first_active THEN {TIMING_RANKS.index('confirmed_5y_before')}
                WHEN confirmed + INTERVAL 2 YEAR < first_active THEN {TIMING_RANKS.index('confirmed_2y_before')}
                WHEN last_active < confirmed THEN {TIMING_RANKS.index('ended_before_confirmed')}
                ELSE 0 END AS rank
            FROM dated WHERE first_active IS NOT NULL)
        SELECT customer_id, account_id, min(rank) AS rank,
               min({{'rank': rank, 'note': concat_ws(', ', id_type || ':', 'confirmed ' || confirmed,
                   'customer left ' || closed_at, 'account active ' || first_active || ' to ' || last_active)}}
                  ).note AS note
        FROM ranked GROUP BY customer_id, account_id
    """)
