"""EM on comparison patterns: it finds the classes that generated the data, from where it is told to start."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.resolve.em import Patterns, estimate
from linker.resolve.model import Comparison, Level, MatchModel

THREE = (Level("same", "", 0.5, 2.0), Level("close", "", 0.2, 0.0), Level("differ", "", 0.3, -2.0))


def _simulate(rng: np.random.Generator, m: list[np.ndarray], u: list[np.ndarray], matches: int, others: int
              ) -> Patterns:
    """Pairs drawn from known m and u, with comparison 1 missing for a tenth of the pairs."""
    rows = []
    for n, probs in ((matches, m), (others, u)):
        levels = np.stack([rng.choice(len(p), size=n, p=p) for p in probs], axis=1)
        levels[rng.random(n) < 0.1, 1] = -1
        rows.append(levels)
    levels = np.concatenate(rows)
    unique, counts = np.unique(levels, axis=0, return_counts=True)
    start = np.where(unique[:, 0] == 0, 0.8, 0.1)   # 'agreeing on the first comparison: mostly matches'
    return Patterns(unique, counts, start)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.floats(0.1, 0.4))
def test_em_recovers_the_generating_probabilities(seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    m = [np.array([0.8, 0.15, 0.05]), np.array([0.7, 0.2, 0.1]), np.array([0.9, 0.05, 0.05])]
    u = [np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.3, 0.6]), np.array([0.2, 0.2, 0.6])]
    total = 100_000
    patterns = _simulate(rng, m, u, int(total * share), total - int(total * share))
    comparisons = tuple(Comparison(name, "", THREE) for name in "abc")
    result = estimate(patterns, MatchModel.starting(comparisons))
    assert result.converged
    assert result.model.match_share == pytest.approx(share, abs=0.02)
    for k, name in enumerate("abc"):
        assert np.allclose(result.model.m[name], m[k], atol=0.05), name
        assert np.allclose(result.model.u[name], u[k], atol=0.05), name


def test_a_level_never_seen_keeps_its_starting_weight() -> None:
    rng = np.random.default_rng(1)
    m = [np.array([0.8, 0.0, 0.2]), np.array([0.7, 0.0, 0.3])]
    u = [np.array([0.05, 0.0, 0.95]), np.array([0.1, 0.0, 0.9])]
    patterns = _simulate(rng, m, u, 2_000, 20_000)
    comparisons = tuple(Comparison(name, "", THREE) for name in "ab")
    start = MatchModel.starting(comparisons)
    result = estimate(patterns, start)
    assert result.model.weight("a", "close") == pytest.approx(start.weight("a", "close"), abs=0.2)


def test_too_few_iterations_is_reported_not_hidden() -> None:
    rng = np.random.default_rng(2)
    patterns = _simulate(rng, [np.array([0.8, 0.1, 0.1])] * 2, [np.array([0.1, 0.1, 0.8])] * 2, 500, 5_000)
    result = estimate(patterns, MatchModel.starting(tuple(Comparison(n, "", THREE) for n in "ab")), max_iterations=2)
    assert not result.converged and result.iterations == 2


def test_a_pair_with_one_comparison_says_nothing_of_its_m_and_u() -> None:
    # 300 pairs share only an email (nothing else to tell them by): any split of them into matches and strangers
    # fits as well, so they must not move email's m and u (counted, their own posterior would feed email's u)
    comparisons = tuple(Comparison(name, "", THREE) for name in ("email", "name"))
    only_email = Patterns(np.array([[0, -1], [2, -1]]), np.array([300, 5_000]), np.array([0.8, 0.0]))
    start = MatchModel.starting(comparisons)
    result = estimate(only_email, start)
    assert result.model.m["email"] == pytest.approx(start.m["email"])
    assert result.model.u["email"] == pytest.approx(start.u["email"])
