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
CANDIDATE_PRIOR_PAIRS = 50.0
"""Weight, in pairs, of the other pairs' u in the free levels of a split comparison among candidates."""


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
    candidate: np.ndarray | None = None
    """Whether the pattern's pairs are candidates (share an identifier or a blocking key); None: all are."""

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


def estimate(patterns: Patterns, prior: MatchModel, *, max_iterations: int = 1000, tolerance: float = 1e-4,
             split: dict[str, frozenset[str]] | None = None) -> EMResult:
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
    split
        Comparisons whose ``u`` differs between candidate pairs and the other pairs, each with the levels whose
        ``u`` does not (see :func:`_split_u`). The model's ``u`` is then the candidates' (what scoring uses) and
        ``u_random`` the other pairs'.

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
    candidate = np.ones(len(counts), dtype=bool) if patterns.candidate is None else patterns.candidate
    split = split or {}
    sizes = [len(c.levels) for c in comparisons]
    prior_m = [np.asarray(prior.m[c.name], dtype=np.float64) for c in comparisons]
    prior_u = [np.asarray(prior.u[c.name], dtype=np.float64) for c in comparisons]
    anchored = [None if c.name not in split else np.array([lv.name in split[c.name] for lv in c.levels])
                for c in comparisons]
    onehots = [np.eye(size)[np.where(levels[:, k] >= 0, levels[:, k], 0)] * (levels[:, k] >= 0)[:, None]
               for k, size in enumerate(sizes)]
    made = (levels >= 0).sum(axis=1)
    # A pattern whose only comparison made is k says nothing of k's m against its u (any split of its pairs fits
    # as well): it is left out of k's counts, which would otherwise feed on their own posterior.
    counted = [onehot * ((made - (levels[:, k] >= 0)) > 0)[:, None] for k, onehot in enumerate(onehots)]
    posterior = patterns.start.astype(np.float64)
    m, u_cand, u_rand, share = prior_m, prior_u, prior_u, prior.match_share
    change, iteration = np.inf, 0
    for iteration in range(1, max_iterations + 1):
        new_m, new_cand, new_rand, new_share = _maximise(counts, posterior, candidate, counted, anchored,
                                                         prior_m, prior_u)
        change = max([_relative_change(new_share, share)]
                     + [_relative_change(a, b) for pair in (zip(new_m, m), zip(new_cand, u_cand),
                                                            zip(new_rand, u_rand)) for a, b in pair])
        m, u_cand, u_rand, share = new_m, new_cand, new_rand, new_share
        if change < tolerance and iteration > 1:
            break
        posterior = _expect(share, m, u_cand, u_rand, candidate, onehots)
    names = [c.name for c in comparisons]
    model = MatchModel(comparisons, {n: tuple(float(x) for x in m[k]) for k, n in enumerate(names)},
                       {n: tuple(float(x) for x in u_cand[k]) for k, n in enumerate(names)}, share,
                       u_random={n: tuple(float(x) for x in u_rand[k]) for k, n in enumerate(names)
                                 if anchored[k] is not None})
    return EMResult(model, iteration, change < tolerance, float(change))


def _expect(share: float, m: list[np.ndarray], u_cand: list[np.ndarray], u_rand: list[np.ndarray],
            candidate: np.ndarray, onehots: list[np.ndarray]) -> np.ndarray:
    """E step: the probability that the pairs of each pattern are matches."""
    log_odds = np.full(len(candidate), np.log(share) - np.log1p(-share))
    for k, onehot in enumerate(onehots):
        log_odds += np.where(candidate, onehot @ (np.log(m[k]) - np.log(u_cand[k])),
                             onehot @ (np.log(m[k]) - np.log(u_rand[k])))
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))


def _maximise(counts: np.ndarray, posterior: np.ndarray, candidate: np.ndarray, onehots: list[np.ndarray],
              anchored: list[np.ndarray | None], prior_m: list[np.ndarray], prior_u: list[np.ndarray]
              ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], float]:
    """M step: m, u (among candidates, among the other pairs) and the match share from the pattern weights split
    by ``posterior``.

    The pseudo-count of a comparison's u is worth one match pair in the proportion of that comparison's
    non-match mass to its match mass (at least one pair): the pairs that share nothing weigh millions in the
    identifier and name comparisons and nothing in the timing, which only candidates have.
    """
    matches, others = counts * posterior, counts * (1.0 - posterior)
    share = float(np.clip(matches.sum() / counts.sum(), *SHARE_BOUNDS))
    m, u_cand, u_rand = [], [], []
    for k, onehot in enumerate(onehots):
        seen_m, seen_u = matches @ onehot, others @ onehot
        pseudo_u = PSEUDO_COUNT * max(seen_u.sum() / max(seen_m.sum(), PSEUDO_COUNT), 1.0)
        m.append((seen_m + PSEUDO_COUNT * prior_m[k]) / (seen_m.sum() + PSEUDO_COUNT * prior_m[k].sum()))
        if anchored[k] is None:
            u = (seen_u + pseudo_u * prior_u[k]) / (seen_u.sum() + pseudo_u * prior_u[k].sum())
            u_cand.append(u)
            u_rand.append(u)
            continue
        seen_rand = (others * ~candidate) @ onehot
        rand = (seen_rand + pseudo_u * prior_u[k]) / (seen_rand.sum() + pseudo_u * prior_u[k].sum())
        u_cand.append(_split_u(rand, (others * candidate) @ onehot, anchored[k]))
        u_rand.append(rand)
    return m, u_cand, u_rand, share


def _split_u(rand: np.ndarray, seen_cand: np.ndarray, anchored: np.ndarray) -> np.ndarray:
    """u among candidates: the anchored levels as among the other pairs (a relative is no likelier than a stranger
    to bear the customer's very name), the rest of the mass spread as the candidate non-matches show it, each
    level starting from the other pairs' share with the weight of :data:`CANDIDATE_PRIOR_PAIRS` pairs.

    Anchoring the agreement levels keeps the classes apart: with every level free, the candidate non-match class
    takes the pairs that agree weakly on identifiers and strongly on names, which are matches.
    """
    free = ~anchored
    u = rand.copy()
    spread = seen_cand[free] + CANDIDATE_PRIOR_PAIRS * rand[free] / max(rand[free].sum(), 1e-300)
    u[free] = (1.0 - rand[anchored].sum()) * spread / spread.sum()
    return u


def _relative_change(new: np.ndarray | float, old: np.ndarray | float) -> float:
    return float(np.max(np.abs(np.asarray(new) - np.asarray(old)) / np.maximum(np.asarray(old), 1e-300)))
