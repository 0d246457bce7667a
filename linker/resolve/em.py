"""Estimate a match model from the data by expectation-maximisation (Fellegi-Sunter with EM).

The model describes every customer-account pair, not only the candidates: the candidate pairs (those sharing an
identifier) are compared one by one, and the pairs that share nothing are represented by a random sample of them,
each standing for ``(customers x accounts - candidates) / sample`` pairs. So ``u`` of an identifier agreement is
estimated (not sampled: random pairs almost never agree, and those that do are mostly true matches), ``u`` of a
name or a city comes mostly from the random pairs, and the match share ``λ`` is that of all pairs.

The pairs are summarised by their *pattern*, the tuple of levels of every comparison, with a weight: millions of
pairs fall into a few thousand patterns, and EM runs on those (as fastLink does), so training costs a ``GROUP BY``
in SQL and milliseconds of NumPy. It starts from the candidates being mostly matches and the others not, then
alternates: the probability that each pattern's pairs are matches (E step), and m, u and ``λ`` re-estimated from
those probabilities (M step). Comparisons a pair cannot make (level -1) count for neither.

Every probability keeps a pseudo-count of its starting value worth one pair of the match class (and the same share
of the non-match class), so that a level seen in one class only does not get probability zero, and a level never
seen keeps its starting weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.resolve.model import MatchModel

PSEUDO_COUNT = 1.0
"""Weight, in pairs of the match class, of the starting value in each re-estimated probability."""
SHARE_BOUNDS = (1e-12, 1 - 1e-12)


@dataclass(frozen=True)
class Patterns:
    """Distinct comparison patterns, how many pairs each stands for, and where estimation starts.

    ``levels[i, k]`` is the level index of comparison ``k`` in pattern ``i``, or -1 when the comparison could not
    be made; ``counts[i]`` the number of pairs pattern ``i`` stands for; ``start[i]`` the probability EM starts
    from that its pairs are matches.
    """

    levels: np.ndarray
    counts: np.ndarray
    start: np.ndarray

    @property
    def pairs(self) -> float:
        return float(self.counts.sum())


@dataclass(frozen=True)
class EMResult:
    """The estimated model, and whether the estimation converged."""

    model: MatchModel
    iterations: int
    converged: bool
    change: float


def estimate(patterns: Patterns, prior: MatchModel, *, max_iterations: int = 1000, tolerance: float = 1e-4
             ) -> EMResult:
    """Run EM until no probability moves by more than ``tolerance`` (relative, for the tiny u of agreements).

    Parameters
    ----------
    patterns
        The pairs' comparison patterns, columns in the order of ``prior.comparisons``, and the starting match
        probability of each.
    prior
        The starting values, used as pseudo-counts.
    max_iterations, tolerance
        Stop after this many iterations, or when the largest change of any probability is below ``tolerance``.

    Returns
    -------
    EMResult

    Examples
    --------
    Two comparisons; matches agree on both, non-matches on neither, with some noise:

    >>> from linker.resolve.model import Comparison, Level
    >>> two = (Level("same", "", 0.6, 1.0), Level("differ", "", 0.4, -1.0))
    >>> cs = (Comparison("a", "", two), Comparison("b", "", two))
    >>> pats = Patterns(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([800, 50, 50, 900]),
    ...                 np.array([0.9, 0.5, 0.5, 0.1]))
    >>> result = estimate(pats, MatchModel.starting(cs))
    >>> result.converged, result.model.m["a"][0] > 0.9 > 0.1 > result.model.u["a"][0]
    (True, True)
    """
    comparisons = prior.comparisons
    levels, counts = patterns.levels, patterns.counts.astype(np.float64)
    sizes = [len(c.levels) for c in comparisons]
    prior_m = [np.asarray(prior.m[c.name], dtype=np.float64) for c in comparisons]
    prior_u = [np.asarray(prior.u[c.name], dtype=np.float64) for c in comparisons]
    onehots = [np.eye(size)[np.where(levels[:, k] >= 0, levels[:, k], 0)] * (levels[:, k] >= 0)[:, None]
               for k, size in enumerate(sizes)]
    posterior = patterns.start.astype(np.float64)
    m, u, share = prior_m, prior_u, prior.match_share
    change, iteration = np.inf, 0
    for iteration in range(1, max_iterations + 1):
        new_m, new_u, new_share = _maximise(counts, posterior, onehots, prior_m, prior_u)
        change = max([_relative_change(new_share, share)]
                     + [_relative_change(a, b) for pair in (zip(new_m, m), zip(new_u, u)) for a, b in pair])
        m, u, share = new_m, new_u, new_share
        if change < tolerance and iteration > 1:
            break
        posterior = _expect(share, m, u, onehots)
    model = MatchModel(comparisons, {c.name: tuple(float(x) for x in m[k]) for k, c in enumerate(comparisons)},
                       {c.name: tuple(float(x) for x in u[k]) for k, c in enumerate(comparisons)}, share)
    return EMResult(model, iteration, change < tolerance, float(change))


def _expect(share: float, m: list[np.ndarray], u: list[np.ndarray], onehots: list[np.ndarray]) -> np.ndarray:
    """E step: the probability that the pairs of each pattern are matches."""
    log_odds = np.full(onehots[0].shape[0] if onehots else 0, np.log(share) - np.log1p(-share))
    for k, onehot in enumerate(onehots):
        log_odds += onehot @ (np.log(m[k]) - np.log(u[k]))
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))


def _maximise(counts: np.ndarray, posterior: np.ndarray, onehots: list[np.ndarray], prior_m: list[np.ndarray],
              prior_u: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """M step: m, u and the match share from the pattern weights split by ``posterior``."""
    matches, others = counts * posterior, counts * (1.0 - posterior)
    share = float(np.clip(matches.sum() / counts.sum(), *SHARE_BOUNDS))
    pseudo_m = PSEUDO_COUNT
    pseudo_u = PSEUDO_COUNT * others.sum() / max(matches.sum(), PSEUDO_COUNT)
    m, u = [], []
    for k, onehot in enumerate(onehots):
        seen_m, seen_u = matches @ onehot, others @ onehot
        m.append((seen_m + pseudo_m * prior_m[k]) / (seen_m.sum() + pseudo_m * prior_m[k].sum()))
        u.append((seen_u + pseudo_u * prior_u[k]) / (seen_u.sum() + pseudo_u * prior_u[k].sum()))
    return m, u, share


def _relative_change(new: np.ndarray | float, old: np.ndarray | float) -> float:
    return float(np.max(np.abs(np.asarray(new) - np.asarray(old)) / np.maximum(np.asarray(old), 1e-300)))
