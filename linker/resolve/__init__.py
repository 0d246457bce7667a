"""Identity resolution: hubs, candidate pairs, comparisons, a match model learned from them, decisions, clusters.

All steps are SQL over the run database (see docs/architecture.md for the tables); the model is estimated by EM
on the pairs' comparison patterns (:mod:`linker.resolve.em`), a few thousand rows, in NumPy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import duckdb

from linker.config import ResolutionConfig
from linker.engine import Engine, as_engine
from linker.resolve.attributes import attributes_for
from linker.resolve.candidates import BlockingRule, find_candidates
from linker.resolve.clusters import build_clusters, connected_components
from linker.resolve.comparisons import build_pair_levels
from linker.resolve.decide import decide_links
from linker.resolve.hubs import find_hubs
from linker.resolve.model import BUILTIN_IDENTIFIERS, MatchModel, comparisons_for, identifier_comparison
from linker.resolve.name_levels import account_forms_sql, account_name_flags, name_pairs_sql
from linker.resolve.names import register_pinyin
from linker.resolve.scoring import score_pairs
from linker.resolve.training import train_model
from linker.rules import Rules

__all__ = ["MatchModel", "Resolution", "ResolutionScope", "build_clusters", "connected_components", "resolve"]


@dataclass
class Resolution:
    """What resolution did: counts, the match model it scored with, and the seconds of each step."""

    model: MatchModel
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class ResolutionScope(Protocol):
    """Resolution of part of the accounts, the rest kept from a previous run (:mod:`linker.update`, DuckDB only)."""

    def compared_pairs(self, con: duckdb.DuckDBPyConnection, blocking: bool) -> str | None:
        """The candidate pairs to compare and score (a query), or None for all of them (``blocking``: the run
        has blocking rules)."""

    def restrict_scores(self, con: duckdb.DuckDBPyConnection) -> None:
        """Delete from ``scored_pairs`` the pairs of the accounts that need no decision again."""

    def complete_links(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Add the kept decisions to ``links``; return the number of pairs per decision of the whole table."""


def resolve(engine: Engine | duckdb.DuckDBPyConnection, config: ResolutionConfig, rules: Rules,
            model: MatchModel | None = None, scope: ResolutionScope | None = None) -> Resolution:
    """Run hubs -> candidates -> comparisons -> model -> scores -> decisions -> clusters on ``identifiers``.

    Parameters
    ----------
    model
        A model to score with (checked against this run's comparisons); by default one is estimated from the
        candidate pairs, or read from ``config.model_file``.
    scope
        Decide only some accounts again and keep the other decisions (an update; needs ``model``).

    Returns
    -------
    Resolution
        Counts (hubs, candidate pairs, linked, ambiguous, rejected, clusters) and the model used.

    Raises
    ------
    ConfigError
        If the given model was trained for other comparisons or levels.
    """
    engine = as_engine(engine)
    clock = _Clock()
    declared = config.identifiers
    identifiers = BUILTIN_IDENTIFIERS + tuple(declared)
    attributes = attributes_for(config.comparisons)
    comparisons = comparisons_for(
        [identifier_comparison(t, near=spec.near_miss, sole_bits=24.0) for t, spec in declared.items()],
        [a.comparison for a in attributes if a.comparison.name not in ("city", "birth_date", "gender")])
    by_name = {a.comparison.name: a for a in attributes}
    blocking = [BlockingRule(tuple(by_name[n] for n in rule.on), rule.max_pairs_per_value)
                for rule in config.blocking]
    counts = {"hub identifiers": find_hubs(engine, {**config.hub_degree,
                                                 **{t: spec.hub_degree for t, spec in declared.items()}})}
    counts["candidate pairs"] = find_candidates(
        engine, near_miss=config.near_miss, unblocked_near=[t for t, spec in declared.items() if spec.near_miss],
        blocking=blocking)
    # the name statistics of every candidate pair, kept for the next update (which compares only some pairs);
    # a full run compares every candidate pair, so its names are paired once, for the flags and the levels, and
    # the forms of the account names are made once, for both
    engine.create_table("candidate_name_pairs", name_pairs_sql("candidate_pairs"))
    register_pinyin(engine)
    engine.create_table("candidate_account_forms",
                        account_forms_sql("(SELECT aname AS name FROM candidate_name_pairs)"))
    account_name_flags(engine, "candidate_name_pairs", "candidate_account_forms", target="account_name_flags",
                       kind="table")
    compared = scope.compared_pairs(engine.con, bool(blocking)) if scope is not None else None
    if compared is not None:
        engine.drop("candidate_name_pairs")
    clock.lap("candidates")
    build_pair_levels(engine, comparisons, identifiers, attributes, pairs=compared, name_flags="account_name_flags",
                      name_pairs="candidate_name_pairs" if compared is None else None,
                      account_forms="candidate_account_forms")
    engine.drop("candidate_name_pairs", "candidate_account_forms")
    clock.lap("comparisons")
    if model is None and config.model_file is not None:
        model = MatchModel.load(config.model_file)
    if model is not None:
        model.check_fits(comparisons, source=model.training.get("file", "the match model"))
    else:
        model = train_model(engine, comparisons, identifiers, attributes, config.training)
    clock.lap("training")
    # Temporary tables stay in memory until dropped (or spilled): each is dropped once no later step reads it.
    engine.drop("owner_values", "pair_evidence", "blocked_pairs", "candidate_pairs")
    _store_weights(engine, model)
    score_pairs(engine, model, identifiers)
    engine.drop("pair_levels")
    if scope is not None:
        scope.restrict_scores(engine.con)
    clock.lap("scoring")
    decisions = decide_links(engine, config, rules)
    engine.drop("scored_pairs")
    if scope is not None:
        decisions = scope.complete_links(engine.con)
    counts.update({f"{d} pairs": decisions.get(d, 0) for d in ("linked", "ambiguous", "rejected")})
    clock.lap("decisions")
    counts["clusters"] = build_clusters(engine)
    clock.lap("clusters")
    return Resolution(model, counts, clock.laps)


class _Clock:
    """Seconds of successive steps."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _store_weights(engine: Engine, model: MatchModel) -> None:
    """``match_weights``: the model's levels with m, u and weight, kept in the run database for the report."""
    import pyarrow as pa

    rows = model.weights_table()
    names = ("comparison", "level", "description", "m", "u", "weight")
    engine.register_arrow("match_weights_arrow", pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}))
    engine.create_table("match_weights", "SELECT * FROM match_weights_arrow", kind="table")
    engine.drop("match_weights_arrow")
