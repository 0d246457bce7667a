"""Decisions: each account's candidates ranked, their owner probabilities, margins and decisions, with rules."""

from __future__ import annotations

import math

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.config import ResolutionConfig
from linker.resolve.decide import decide_links
from linker.rules import PairRule, Rules

CUSTOMERS = ("C1", "C2", "C3")
ACCOUNTS = ("A1", "A2", "A3")
WEIGHTS = st.integers(-20, 30).map(float)
PAIRS = [(c, a) for c in CUSTOMERS for a in ACCOUNTS]


def _expected(scored: dict[tuple[str, str], float | None], rules: dict[tuple[str, str], str],
              config: ResolutionConfig) -> dict[tuple[str, str], tuple]:
    """The decision of every pair, computed one account at a time as decide_links' docstring states it."""
    out = {}
    for account in ACCOUNTS:
        rows = [(c, scored.get((c, account)), rules.get((c, account)))
                for c in CUSTOMERS if (c, account) in scored or (c, account) in rules]
        if not rows:
            continue
        order = {None: 0, "force_link": 1, "force_apart": 2}
        rows.sort(key=lambda r: (order[r[2]], r[1] is None, -(r[1] or 0.0), r[0]))
        # least() skips a null: a force-linked pair that was never scored has the largest odds
        odds = [2.0 ** min(1000.0 if w is None else w, 1000.0) if rule != "force_apart" else None
                for _, w, rule in rows]
        total = sum(o for o in odds if o is not None) if any(o is not None for o in odds) else None
        probability = [o / (1 + total) if o is not None else None for o in odds]
        plausible = sum(p is not None and p >= config.review_threshold for p in probability)
        forced = any(rule == "force_link" for _, _, rule in rows)
        for rank, ((customer, w, rule), p) in enumerate(zip(rows, probability), 1):
            others = [ow for i, (_, ow, orule) in enumerate(rows, 1)
                      if ow is not None and orule != "force_apart" and (rank > 1 or i > 1)]
            if w is None:
                margin = None
            elif rank == 1:
                margin = w - max(others, default=-1e9)
            else:
                margin = max(others) - w if others else None
            if rule == "force_link":
                decision = "linked"
            elif rule == "force_apart" or forced:
                decision = "rejected"
            elif rank == 1 and p is not None and p >= config.link_threshold and margin is not None \
                    and margin >= config.margin_bits:
                decision = "linked"
            elif p is not None and p >= config.review_threshold:
                decision = "ambiguous"
            else:
                decision = "rejected"
            out[customer, account] = (decision, rank, plausible, None if p is None else round(p, 6),
                                      None if margin is None or margin > 1e8 else round(margin, 3))
    return out


@settings(max_examples=60, deadline=None)
@given(scored=st.fixed_dictionaries({}, optional=dict.fromkeys(PAIRS, WEIGHTS)),
       rules=st.dictionaries(st.sampled_from(PAIRS), st.sampled_from(["force_link", "force_apart"]), max_size=2))
def test_every_pair_is_decided_as_its_account_s_candidates_rank_it(scored, rules) -> None:
    config = ResolutionConfig(margin_bits=1.0)
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT unnest(?) AS customer_id", [list(CUSTOMERS)])
    con.execute("CREATE TABLE accounts AS SELECT unnest(?) AS account_id", [list(ACCOUNTS)])
    con.execute("CREATE TABLE scored_pairs (customer_id VARCHAR, account_id VARCHAR, match_weight DOUBLE, "
                "evidence STRUCT(comparison VARCHAR, level VARCHAR, id_type VARCHAR, value VARCHAR, "
                "account_value VARCHAR, weight DOUBLE, note VARCHAR)[])")
    for (c, a), w in scored.items():
        con.execute("INSERT INTO scored_pairs VALUES (?, ?, ?, [{'comparison': 'phone', 'level': 'exact_sole', "
                    "'id_type': 'phone', 'value': '1', 'account_value': '1', 'weight': ?, 'note': NULL}])",
                    [c, a, w, w])
    pair_rules = Rules(force_link=tuple(PairRule(c, a, "r") for (c, a), r in rules.items() if r == "force_link"),
                       force_apart=tuple(PairRule(c, a, "r") for (c, a), r in rules.items() if r == "force_apart"))
    decide_links(con, config, pair_rules)
    got = {(c, a): (d, rank, competitors, p, margin) for c, a, d, rank, competitors, p, margin, n in con.execute(
        "SELECT customer_id, account_id, decision, rank, competitors, owner_probability, margin_bits, "
        "len(evidence) FROM links").fetchall()}
    expected = _expected(scored, rules, config)
    assert got.keys() == expected.keys()
    for pair, (decision, rank, competitors, p, margin) in expected.items():
        assert got[pair][:3] == (decision, rank, competitors), pair
        assert got[pair][3] == pytest.approx(p, abs=1e-6) if p is not None else got[pair][3] is None, pair
        assert got[pair][4] == pytest.approx(margin, abs=1e-3) if margin is not None else got[pair][4] is None, pair
    evidence = dict(con.execute("SELECT customer_id || account_id, len(evidence) FROM links").fetchall())
    for (c, a) in expected:
        assert evidence[c + a] == ((c, a) in scored) + ((c, a) in rules)


def test_a_lone_candidate_needs_no_competitor_to_link() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT 'C1' AS customer_id")
    con.execute("CREATE TABLE accounts AS SELECT unnest(['A1', 'A2']) AS account_id")
    con.execute("CREATE TABLE scored_pairs AS SELECT * FROM (VALUES ('C1', 'A1', 5.0), ('C1', 'A2', -5.0)) "
                "t(customer_id, account_id, match_weight), (SELECT CAST([] AS STRUCT(comparison VARCHAR)[]) AS evidence)")
    decide_links(con, ResolutionConfig(), Rules())
    rows = con.execute("SELECT account_id, decision, rank, competitors, owner_probability, margin_bits FROM links "
                       "ORDER BY 1").fetchall()
    assert rows == [("A1", "linked", 1, 1, round(32 / 33, 6), None), ("A2", "rejected", 1, 0, round(1 / 33, 6), None)]
    assert not math.isnan(rows[0][4])
