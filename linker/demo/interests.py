"""Behaviour drawn from interests (profile ``interests``): no scripted stories, and its ground truth.

Every person has two long-lived everyday interests (groceries, clothing, beauty ...) and up to three episodes
(weeks to months of interest in one domain, anywhere in the observed period: furnishing a home, a new camera,
a baby on the way). Everyday events of each account fall uniformly in its active period and take their
category from the owner's everyday interests, or from anywhere (noise). Episode events come on top: each
episode gets events in proportion to its intensity and length, on the owner's accounts active during it,
with categories from the episode's domain (and some noise). Categories come from
:mod:`linker.demo.interestvocab`.

``truth/interests`` counts, per customer and need domain (:data:`NEED_DOMAINS`), the purchase and browsing
events on the customer's own accounts in that domain's categories in the 90 days ending on ``as_of`` and in
all; events in need domains are never damaged into bad rows, so the count is what the files hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from linker.demo.accounts import Accounts
from linker.demo.arrays import DAY, cdf, choose, choose_rows, rng_for
from linker.demo.catalog import BY_ACCOUNT, BY_BOTH, Events, sample_times
from linker.demo.interestvocab import (
    DOMAIN_MEDIAN_AMOUNT,
    DOMAINS,
    EPISODE_WEIGHT,
    EVERYDAY_WEIGHT,
    NEED_DOMAINS,
    category_vocabulary,
)
from linker.demo.people import People

DOMAIN_LIST: tuple[str, ...] = tuple(DOMAINS)
_VOCAB = category_vocabulary()
CATEGORY_TEXT = pa.array([text for text, _, _ in _VOCAB], pa.string())
CATEGORY_DOMAIN = np.array([DOMAIN_LIST.index(domain) for _, domain, _ in _VOCAB], dtype=np.int64)
_NEED = np.isin(np.arange(len(DOMAIN_LIST)), [DOMAIN_LIST.index(d) for d in NEED_DOMAINS])
#: Per domain, a distribution over all category codes (only the domain's own have weight).
_DOMAIN_CDF = np.stack([
    cdf(np.where(CATEGORY_DOMAIN == d, np.array([w for _, _, w in _VOCAB]), 0.0)) for d in range(len(DOMAIN_LIST))
])
_NOISE_CDF = cdf(np.ones(len(_VOCAB)))[None, :]
_MEDIAN_CENTS = np.array([DOMAIN_MEDIAN_AMOUNT[d] * 100 for d in DOMAIN_LIST])[CATEGORY_DOMAIN]
_EVERYDAY = np.stack([
    np.array([EVERYDAY_WEIGHT.get(d, (0, 0))[sex] for d in DOMAIN_LIST], dtype=float) for sex in (0, 1)
])
_EPISODE = np.array([EPISODE_WEIGHT[d] for d in DOMAIN_LIST], dtype=float)

#: Share of all events that come from episodes (the rest are everyday).
EPISODE_SHARE = 0.5
#: Share of everyday events, and of episode events, drawn from any category.
NOISE, EPISODE_NOISE = 0.2, 0.1
#: Probability that a person has a first, second and third episode.
EPISODE_ODDS = (0.35, 0.15, 0.05)
BROWSE_SHARE = 0.7


@dataclass
class Interests:
    """Everyone's interests.

    Attributes
    ----------
    everyday, everyday_weight : numpy.ndarray
        ``(n, 2)`` everyday domains and their weights.
    person, domain, first, last, weight : numpy.ndarray
        One row per episode: whose, which domain, first and last day, intensity.
    """

    everyday: np.ndarray
    everyday_weight: np.ndarray
    person: np.ndarray
    domain: np.ndarray
    first: np.ndarray
    last: np.ndarray
    weight: np.ndarray


def sample_interests(seed: int, people: People, start: int, as_of: int) -> Interests:
    """Draw everyday interests and episodes for everyone."""
    rng = rng_for(seed, "interests")
    n = len(people)
    male = (~people.female).astype(np.int64)
    cdfs = np.stack([cdf(_EVERYDAY[0]), cdf(_EVERYDAY[1])])
    everyday = np.stack([choose_rows(rng, cdfs, male), choose_rows(rng, cdfs, male)], axis=1)
    everyday_weight = rng.gamma(2.0, 1.0, (n, 2))
    has = rng.random((n, len(EPISODE_ODDS))) < np.array(EPISODE_ODDS)
    person = np.nonzero(has)[0]
    k = len(person)
    length = np.clip(np.exp(rng.normal(np.log(60), 0.8, k)), 10, 400).astype(np.int64)
    first = (start - 60 + rng.random(k) * (as_of - start + 60)).astype(np.int64)
    return Interests(
        everyday=everyday,
        everyday_weight=everyday_weight,
        person=person,
        domain=choose(rng, _EPISODE, k),
        first=first,
        last=first + length,
        weight=rng.gamma(2.0, 1.0, k) * length,
    )


@dataclass
class InterestBehaviour:
    """Generates the events of one data set from interests, chunk by chunk, and counts the truth.

    Parameters
    ----------
    seed : int
    people : People
    accounts : Accounts
    n_events : int
        Purchase and browsing events in all.
    start, as_of : int
    device : numpy.ndarray
        A device per account (``-1`` for none), for browsing keyed by both account and device.
    """

    seed: int
    people: People
    accounts: Accounts
    n_events: int
    start: int
    as_of: int
    device: np.ndarray

    def __post_init__(self) -> None:
        self.categories = CATEGORY_TEXT
        self.interests = sample_interests(self.seed, self.people, self.start, self.as_of)
        self._place_episodes()
        n_cust = self.people.n_customers
        self.recent = np.zeros((n_cust, len(NEED_DOMAINS)), dtype=np.int64)
        self.total = np.zeros((n_cust, len(NEED_DOMAINS)), dtype=np.int64)

    @property
    def reserved(self) -> int:
        """Events that come from episodes (the everyday ones are the rest)."""
        return int(self.episode_counts.sum())

    def _place_episodes(self) -> None:
        """Pair episodes with the owner's accounts active during them, and share the episode events."""
        it, acc = self.interests, self.accounts
        lo = np.maximum(acc.registered // DAY, self.start)
        hi = np.minimum(acc.last_seen // DAY, self.as_of)
        order = np.argsort(acc.owner, kind="stable")
        owners, first, count = np.unique(acc.owner[order], return_index=True, return_counts=True)
        at = np.searchsorted(owners, it.person)
        found = (at < len(owners)) & (owners[np.minimum(at, len(owners) - 1)] == it.person)
        n_acc = np.where(found, count[np.minimum(at, len(owners) - 1)], 0)
        episode = np.repeat(np.arange(len(it.person)), n_acc)
        offset = np.arange(len(episode)) - np.repeat(np.cumsum(n_acc) - n_acc, n_acc)
        account = order[np.repeat(first[np.minimum(at, len(owners) - 1)], n_acc) + offset]
        p_lo = np.maximum(lo[account], it.first[episode])
        p_hi = np.minimum(hi[account], it.last[episode])
        overlap = np.maximum(p_hi - p_lo + 1, 0)
        keep = overlap > 0
        self.pair_episode, self.pair_account = episode[keep], account[keep]
        self.pair_lo, self.pair_overlap = p_lo[keep], overlap[keep]
        per_episode = np.bincount(self.pair_episode, weights=self.pair_overlap, minlength=len(it.person))
        intensity = np.where(per_episode > 0, it.weight, 0.0)
        rng = rng_for(self.seed, "episode_counts")
        total = round(self.n_events * EPISODE_SHARE)
        self.episode_counts = (
            rng.multinomial(total, intensity / intensity.sum()) if intensity.sum() > 0 else np.zeros(len(intensity), int)
        )
        self._pair_start = np.searchsorted(self.pair_episode, np.arange(len(it.person)))

    def episode_chunks(self, parts: int) -> np.ndarray:
        """Bounds splitting the episodes into ``parts`` groups of about equal events."""
        cum = np.cumsum(self.episode_counts)
        inner = np.searchsorted(cum, np.linspace(0, cum[-1] if len(cum) else 0, parts + 1)[1:-1], side="left")
        return np.concatenate([[0], inner, [len(self.episode_counts)]])

    def chunk(self, rng: np.random.Generator, first: int, counts: np.ndarray, episodes: slice) -> tuple[Events,
                                                                                                           Events]:
        """Everyday events of accounts ``first ..`` (``counts`` each) and the events of ``episodes``."""
        acc, it = self.accounts, self.interests
        who = np.repeat(np.arange(first, first + len(counts)), counts)
        lo = np.maximum(acc.registered[who] // DAY, self.start)
        hi = np.minimum(acc.last_seen[who] // DAY, self.as_of)
        day = lo + (rng.random(len(who)) * (hi - lo + 1)).astype(np.int64)
        owner = acc.owner[who]
        w = it.everyday_weight[owner]
        pick = (rng.random(len(who)) * w.sum(axis=1) > w[:, 0]).astype(np.int64)
        domain = it.everyday[owner, pick]
        noise = rng.random(len(who)) < NOISE
        everyday = (who, day, domain, noise)
        # episode events: an account of the owner active in the episode, weighted by the overlap
        ep = np.repeat(np.arange(episodes.start, episodes.stop), self.episode_counts[episodes])
        start = self._pair_start[ep]
        stop = np.append(self._pair_start, len(self.pair_episode))[ep + 1]
        cum = np.cumsum(self.pair_overlap)
        base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0)
        target = base + rng.random(len(ep)) * (cum[stop - 1] - base)
        pair = np.minimum(np.searchsorted(cum, target, side="right"), stop - 1)
        e_day = self.pair_lo[pair] + (rng.random(len(ep)) * self.pair_overlap[pair]).astype(np.int64)
        episode_events = (self.pair_account[pair], e_day, it.domain[ep], rng.random(len(ep)) < EPISODE_NOISE)
        return self._events(rng, *(np.concatenate([a, b]) for a, b in zip(everyday, episode_events, strict=True)))

    def _events(self, rng: np.random.Generator, who: np.ndarray, day: np.ndarray, domain: np.ndarray,
                noise: np.ndarray) -> tuple[Events, Events]:
        n = len(who)
        code = choose_rows(rng, _DOMAIN_CDF, domain)
        code[noise] = choose_rows(rng, _NOISE_CDF, np.zeros(int(noise.sum()), np.int64))
        acc = self.accounts
        time = np.clip(sample_times(rng, day), acc.registered[who], acc.last_seen[who])
        need = _NEED[CATEGORY_DOMAIN[code]]
        self._count(who, time, code, need)
        browse = rng.random(n) < BROWSE_SHARE
        p, b = ~browse, browse
        k = int(p.sum())
        purchases = Events.build(
            k, who=who[p], time=time[p], code=code[p], story=need[p],
            amount=np.maximum(np.round(_MEDIAN_CENTS[code[p]] * np.exp(rng.normal(0, 0.7, k))), 100).astype(np.int64),
            quantity=np.where(rng.random(k) < 0.85, 1, rng.integers(2, 5, k)),
        )
        k = int(b.sum())
        key = np.where((self.device[who[b]] >= 0) & (rng.random(k) < 0.1), BY_BOTH, BY_ACCOUNT)
        browsing = Events.build(
            k, who=who[b], time=time[b], code=code[b], story=need[b], key=key,
            amount=np.clip(np.exp(rng.normal(np.log(300), 0.9, k)), 10, 36_000).astype(np.int64),
            action=np.searchsorted([0.70, 0.82, 0.92], rng.random(k), side="right"),
        )
        return purchases, browsing

    def _count(self, who: np.ndarray, time: np.ndarray, code: np.ndarray, need: np.ndarray) -> None:
        owner = self.accounts.owner[who]
        mine = need & (owner < self.people.n_customers)
        column = np.searchsorted([DOMAIN_LIST.index(d) for d in NEED_DOMAINS], CATEGORY_DOMAIN[code[mine]])
        np.add.at(self.total, (owner[mine], column), 1)
        recent = time[mine] // DAY > self.as_of - 90
        np.add.at(self.recent, (owner[mine][recent], column[recent]), 1)

    def truth(self, customer_id: pa.Array) -> pa.Table:
        """``customer_id, domain, events_90d, events_all`` for every customer and need domain with an event."""
        cust, col = np.nonzero(self.total)
        return pa.table({
            "customer_id": customer_id.take(pa.array(cust)),
            "domain": pa.array(np.array(NEED_DOMAINS, dtype=object)[col].tolist(), pa.string()),
            "events_90d": pa.array(self.recent[cust, col]).cast(pa.string()),
            "events_all": pa.array(self.total[cust, col]).cast(pa.string()),
        })
