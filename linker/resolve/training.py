"""Estimate the match model from the data being linked: the candidate pairs and a sample of all the others.

The candidate pairs (``pair_levels``) are counted by comparison pattern as they are; the pairs that share nothing
are represented by a random sample of them (drawn by MD5, so the same data gives the same sample on every
engine), each standing for ``(customers x accounts - candidates) / sample`` pairs. EM (:mod:`linker.resolve.em`)
runs on the patterns.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from linker.config import TrainingConfig
from linker.engine import Engine, as_engine
from linker.resolve.attributes import Attribute
from linker.resolve.comparisons import build_pair_levels
from linker.resolve.em import Patterns, estimate
from linker.resolve.model import SPLIT_U, Comparison, MatchModel

CANDIDATE_START = 0.8
"""EM starts from this share of the candidate pairs being matches (and none of the other pairs)."""
MAX_MATCH_SHARE = 0.5
"""An estimate above this share of matches among all pairs has found no non-match class."""


def comparison_patterns(engine: Engine | duckdb.DuckDBPyConnection, comparisons: Sequence[Comparison], table: str,
                        *, weight: float, start: float) -> Patterns:
    """The distinct level patterns of ``table`` (-1 for a comparison not made), each pair counting ``weight``
    pairs, with the starting match probability ``start``."""
    engine = as_engine(engine)
    columns = ", ".join(f"coalesce({c.column}, -1)" for c in comparisons)
    rows = engine.rows(f"SELECT {columns}, count(*) FROM {table} GROUP BY ALL")
    table_ = np.array(rows, dtype=np.int64).reshape(len(rows), len(comparisons) + 1)
    return Patterns(table_[:, :-1], table_[:, -1] * weight, np.full(len(rows), start),
                    np.full(len(rows), start > 0))


def train_model(engine: Engine | duckdb.DuckDBPyConnection, comparisons: Sequence[Comparison], identifiers: Sequence[str],
                attributes: Sequence[Attribute], training: TrainingConfig) -> MatchModel:
    """Estimate the model by EM from ``pair_levels`` and a sample of the pairs that share no identifier, or fall
    back to the starting values, saying why.

    The fallback applies when there are fewer than ``training.min_pairs`` candidate pairs, when EM does not
    converge, or when its estimate is degenerate (no match class, or a match class that agrees less than the
    non-matches on the strongest identifier and name levels).
    """
    engine = as_engine(engine)
    start = MatchModel.starting(comparisons)
    candidates = engine.scalar("SELECT count(*) FROM pair_levels")
    if candidates < training.min_pairs:
        return MatchModel.starting(comparisons, reason=(
            f"{candidates} candidate pairs, fewer than resolution.training.min_pairs ({training.min_pairs}), "
            f"are too few to estimate a model"))
    others, sampled = _sample_other_pairs(engine, comparisons, identifiers, attributes, training.random_pairs)
    patterns = _combine(comparison_patterns(engine, comparisons, "pair_levels", weight=1.0, start=CANDIDATE_START),
                        comparison_patterns(engine, comparisons, "sample_levels", weight=others / max(sampled, 1),
                                            start=0.0))
    engine.drop("sample_levels")
    result = estimate(patterns, start, max_iterations=training.max_iterations, tolerance=training.tolerance,
                      split={name: levels for name, levels in SPLIT_U.items() if name in {c.name for c in comparisons}})
    if not result.converged:
        return MatchModel.starting(comparisons, reason=(
            f"EM did not converge in {result.iterations} iterations (largest relative change {result.change:.2g}, "
            f"tolerance {training.tolerance:g}); raise resolution.training.max_iterations"))
    problem = _degenerate(result.model)
    if problem:
        return MatchModel.starting(comparisons, reason=f"EM found no usable model: {problem}")
    return result.model.with_training(method="em", candidate_pairs=candidates, random_pairs=sampled,
                                      pairs=round(patterns.pairs), patterns=len(patterns.counts),
                                      iterations=result.iterations)


def _sample_other_pairs(engine: Engine, comparisons: Sequence[Comparison],
                        identifiers: Sequence[str], attributes: Sequence[Attribute], size: int) -> tuple[int, int]:
    """Create ``sample_levels``: the levels of about ``size`` customer-account pairs drawn at random (by MD5, so
    the same data gives the same sample on every engine) among those that are not candidates; or all of them
    when there are fewer. Returns (pairs that are not candidates, pairs compared)."""
    n_customers, n_accounts, candidates = engine.rows(
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM accounts), "
        "(SELECT count(*) FROM pair_levels)")[0]
    others = n_customers * n_accounts - candidates
    if n_customers * n_accounts <= size:
        draws = "SELECT customer_id, account_id FROM customers CROSS JOIN accounts"
    else:
        draws = f"""
            WITH c AS (SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS i FROM customers),
            a AS (SELECT account_id, row_number() OVER (ORDER BY account_id) - 1 AS j FROM accounts),
            d AS (SELECT md5_number_upper(CAST(k AS VARCHAR) || ':customer') % {n_customers} AS i,
                         md5_number_upper(CAST(k AS VARCHAR) || ':account') % {n_accounts} AS j
                  FROM range({size}) t(k))
            SELECT c.customer_id, a.account_id FROM d JOIN c USING (i) JOIN a USING (j)"""
    sampled = build_pair_levels(engine, comparisons, identifiers, attributes, target="sample_levels", pairs=f"""
        SELECT customer_id, account_id FROM ({draws}) s
        ANTI JOIN pair_levels p USING (customer_id, account_id)""")
    return others, sampled


def _combine(a: Patterns, b: Patterns) -> Patterns:
    return Patterns(np.concatenate([a.levels, b.levels]), np.concatenate([a.counts, b.counts]),
                    np.concatenate([a.start, b.start]), np.concatenate([a.candidate, b.candidate]))


def _degenerate(model: MatchModel) -> str | None:
    if not 0 < model.match_share <= MAX_MATCH_SHARE:
        return f"the share of matches among all pairs came out at {model.match_share:.4g}"
    strongest = [(c.name, c.levels[0].name) for c in model.comparisons
                 if c.levels and c.levels[0].name in ("exact_sole", "exact")]
    negative = [f"{c}.{lv}" for c, lv in strongest if model.weight(c, lv) <= 0]
    if negative:
        return f"agreement weighs against a match for {', '.join(negative)}"
    return None
