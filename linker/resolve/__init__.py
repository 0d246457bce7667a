"""Identity resolution: hubs, candidate pairs, comparisons, a match model learned from them, decisions, clusters.

All steps are SQL over the run database (see docs/architecture.md for the tables); the model is estimated by EM
on the pairs' comparison patterns (:mod:`linker.resolve.em`), a few thousand rows, in NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from linker.config import ResolutionConfig
from linker.resolve.candidates import find_candidates
from linker.resolve.clusters import build_clusters, connected_components
from linker.resolve.comparisons import build_pair_levels
from linker.resolve.decide import decide_links
from linker.resolve.hubs import find_hubs
from linker.resolve.model import BUILTIN_IDENTIFIERS, MatchModel, comparisons_for
from linker.resolve.scoring import score_pairs, train_model
from linker.rules import Rules

__all__ = ["MatchModel", "Resolution", "build_clusters", "connected_components", "resolve"]


@dataclass
class Resolution:
    """What resolution did: counts, and the match model it scored with."""

    model: MatchModel
    counts: dict[str, int] = field(default_factory=dict)


def resolve(con: duckdb.DuckDBPyConnection, config: ResolutionConfig, rules: Rules,
            model: MatchModel | None = None) -> Resolution:
    """Run hubs -> candidates -> comparisons -> model -> scores -> decisions -> clusters on ``identifiers``.

    Parameters
    ----------
    model
        A model to score with (checked against this run's comparisons); by default one is estimated from the
        candidate pairs, or read from ``config.model_file``.

    Returns
    -------
    Resolution
        Counts (hubs, candidate pairs, linked, ambiguous, rejected, clusters) and the model used.

    Raises
    ------
    ConfigError
        If the given model was trained for other comparisons or levels.
    """
    counts = {"hub identifiers": find_hubs(con, config.hub_degree)}
    counts["candidate pairs"] = find_candidates(con, near_miss=config.near_miss)
    comparisons = comparisons_for()
    build_pair_levels(con, comparisons, BUILTIN_IDENTIFIERS)
    if model is None and config.model_file is not None:
        model = MatchModel.load(config.model_file)
    if model is not None:
        model.check_fits(comparisons, source=model.training.get("file", "the match model"))
    else:
        model = train_model(con, comparisons, BUILTIN_IDENTIFIERS, config.training)
    # Temporary tables stay in memory until dropped (or spilled): each is dropped once no later step reads it.
    con.execute("DROP TABLE owner_values; DROP TABLE pair_evidence")
    score_pairs(con, model, BUILTIN_IDENTIFIERS)
    con.execute("DROP TABLE pair_levels")
    decisions = decide_links(con, config, rules)
    con.execute("DROP TABLE scored_pairs")
    counts.update({f"{d} pairs": decisions.get(d, 0) for d in ("linked", "ambiguous", "rejected")})
    counts["clusters"] = build_clusters(con)
    return Resolution(model, counts)
