"""Planted need stories: sequences of purchases, browsing and card spend that reveal a customer's need.

A story is a list of :class:`Step` s placed in days relative to the story's *decisive event* (day 0, the
``planted_at`` of ``truth/needs``): e.g. for ``home_furnishing`` building materials ~1 month before, the
furniture on day 0, mattresses and bedding browsed within weeks. Steps of one ``group`` are alternatives
(furniture bought by card at a 5712 merchant *or* online); exactly one of them is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.demo.accounts import Accounts
from linker.demo.arrays import DAY, rng_for
from linker.demo.catalog import (
    BY_ACCOUNT,
    DEVICE_KEY_CDF,
    MCC_INDEX,
    POOL_CODES,
    TOPIC_CODES,
    Events,
    log_uniform_cents,
    sample_times,
)
from linker.demo.people import CLOSED, People
from linker.demo.vocab import NEEDS


@dataclass(frozen=True)
class Step:
    """One kind of event in a story.

    Attributes
    ----------
    table : str
        ``"purchase"``, ``"browse"`` or ``"txn"``.
    topics : tuple of str
        Category topics (purchases, browsing), one drawn per event.
    n : tuple of int
        Inclusive range of the number of events.
    days : tuple of int
        Inclusive range of days relative to the decisive event.
    amount : tuple of float
        CNY range (purchases, transactions).
    mcc, merchants : str
        Card transactions: merchant category code and merchant pool.
    p : float
        Probability the step happens at all.
    group : str
        Alternatives: one step of a group is used per story.
    decisive : bool
        The decisive event (day 0; exactly one per story).
    """

    table: str
    topics: tuple[str, ...] = ()
    n: tuple[int, int] = (1, 1)
    days: tuple[int, int] = (0, 0)
    amount: tuple[float, float] = (0.0, 0.0)
    mcc: str = ""
    merchants: str = ""
    p: float = 1.0
    group: str = ""
    decisive: bool = False


def _b(topics: tuple[str, ...], n: tuple[int, int], days: tuple[int, int], **kw: object) -> Step:
    return Step("browse", topics, n, days, **kw)  # type: ignore[arg-type]


def _p(
    topics: tuple[str, ...],
    n: tuple[int, int],
    days: tuple[int, int],
    amount: tuple[float, float],
    **kw: object,
) -> Step:
    return Step("purchase", topics, n, days, amount, **kw)  # type: ignore[arg-type]


def _t(
    mcc: str,
    merchants: str,
    n: tuple[int, int],
    days: tuple[int, int],
    amount: tuple[float, float],
    **kw: object,
) -> Step:
    return Step("txn", (), n, days, amount, mcc, merchants, **kw)  # type: ignore[arg-type]


#: The need stories: steps, and the share of eligible customers that get the story.
STORIES: dict[str, tuple[float, tuple[Step, ...]]] = {
    "home_furnishing": (
        0.07,
        (
            _b(("building_materials",), (2, 6), (-50, -25)),
            _t("5211", "building_store", (1, 2), (-38, -24), (2000, 40000), group="materials"),
            _p(("building_materials",), (1, 3), (-38, -24), (300, 8000), group="materials"),
            _b(("furniture",), (2, 6), (-14, -1)),
            _t("5712", "furniture_store", (1, 1), (0, 0), (3000, 30000), group="furniture", decisive=True),
            _p(("furniture",), (1, 1), (0, 0), (1500, 15000), group="furniture", decisive=True),
            _b(("mattress", "bedding"), (2, 6), (-7, 21)),
            _p(("bedding",), (1, 1), (1, 20), (200, 1500), p=0.5),
            _t("5719", "bedding_store", (1, 1), (1, 25), (300, 3000), p=0.2),
        ),
    ),
    "computer_upgrade": (
        0.06,
        (
            _b(("laptop_entry",), (4, 12), (-50, -1)),
            _b(("laptop_entry",), (1, 1), (0, 0), decisive=True),
        ),
    ),
    "photography": (
        0.05,
        (
            _b(("camera",), (3, 8), (-30, -1)),
            _p(("camera",), (1, 1), (0, 0), (3000, 20000), group="camera", decisive=True),
            _t("5946", "camera_store", (1, 1), (0, 0), (3000, 25000), group="camera", decisive=True),
            _b(("camera_lens", "camera_bag"), (1, 2), (1, 20), p=0.3),
        ),
    ),
    "travel": (
        0.08,
        (
            _b(("flights", "hotels", "tours"), (3, 10), (-30, 0)),
            _p(("luggage",), (1, 1), (-20, 5), (200, 1500), p=0.7),
            _t("4511", "airline", (1, 1), (0, 0), (800, 8000), decisive=True),
            _t("7011", "hotel", (1, 2), (3, 20), (300, 3000), p=0.7),
            _p(("hotels",), (1, 1), (-10, 0), (300, 2500), p=0.4),
            _t("4722", "travel_agency", (1, 1), (-15, -1), (1000, 9000), p=0.2),
            _t("5948", "luggage_store", (1, 1), (-20, 5), (500, 3000), p=0.15),
        ),
    ),
    "education": (
        0.06,
        (
            _b(("online_courses", "textbooks", "tutoring"), (3, 8), (-40, -1)),
            _p(("textbooks",), (1, 3), (-20, 10), (30, 300), p=0.6),
            _t("8220", "university", (1, 1), (0, 0), (2000, 30000), group="fee", decisive=True),
            _t("8299", "school", (1, 1), (0, 0), (1000, 20000), group="fee", decisive=True),
            _p(("online_courses",), (1, 1), (0, 0), (200, 6000), group="fee", decisive=True),
            _t("5942", "book_store", (1, 1), (-20, 10), (50, 400), p=0.2),
        ),
    ),
    "new_baby": (
        0.07,
        (
            _p(("maternity",), (1, 3), (-200, -60), (100, 600)),
            _b(("stroller", "crib", "infant_formula"), (2, 5), (-40, 0)),
            _p(("infant_formula",), (1, 1), (0, 0), (200, 600), decisive=True),
            _p(("diapers",), (1, 4), (0, 60), (100, 300)),
            _p(("stroller",), (1, 1), (-20, 20), (500, 4000), p=0.7),
            _p(("crib",), (1, 1), (-30, 10), (800, 3000), p=0.5),
            _t("5641", "baby_store", (1, 1), (-10, 30), (200, 2000), p=0.4),
        ),
    ),
    "car": (
        0.06,
        (
            _b(("new_car",), (4, 10), (-45, -1)),
            _b(("car_loan",), (1, 3), (-30, -1)),
            _t("8299", "driving_school", (1, 1), (-150, -60), (3000, 6000), p=0.3),
            _p(("driving_school",), (1, 1), (-150, -60), (3000, 6000), p=0.1),
            _t("5511", "car_dealer", (1, 1), (0, 0), (5000, 20000), decisive=True),
            _p(("car_accessories",), (1, 3), (1, 30), (50, 800)),
            _t("5533", "auto_parts", (1, 1), (1, 40), (100, 1500), p=0.3),
        ),
    ),
}

#: Age range of customers a story is planted on.
AGES: dict[str, tuple[int, int]] = {"new_baby": (22, 42), "car": (20, 55)}
#: Share of stories whose decisive event lies within the last 90 days (the rest: 120-400 days before as_of).
CURRENT_SHARE = 0.85


@dataclass
class Planted:
    """The planted stories and their events.

    Attributes
    ----------
    customer, need, day : numpy.ndarray
        One row per story: customer row, index into :data:`linker.demo.vocab.NEEDS`, decisive day.
    purchases, browsing, transactions : Events
    """

    customer: np.ndarray
    need: np.ndarray
    day: np.ndarray
    purchases: Events
    browsing: Events
    transactions: Events


def no_stories() -> Planted:
    """No story planted (behaviour drawn from interests instead)."""
    none = np.empty(0, dtype=np.int64)
    return Planted(none, none, none, Events.empty(), Events.empty(), Events.empty())


def expected_events(rate_scale: float = 1.0) -> float:
    """Mean number of purchase and browsing events of one story, averaged over the story types."""
    total = 0.0
    for rate, steps in STORIES.values():
        groups: dict[str, int] = {}
        for s in steps:
            if s.group:
                groups[s.group] = groups.get(s.group, 0) + 1
        per = sum(
            (s.n[0] + s.n[1]) / 2 * s.p / (groups[s.group] if s.group else 1)
            for s in steps
            if s.table != "txn"
        )
        total += rate * per
    return total * rate_scale


def plant_stories(
    seed: int,
    people: People,
    accounts: Accounts,
    account_device: np.ndarray,
    start: int,
    as_of: int,
    max_events: int,
) -> Planted:
    """Choose customers for every story and write their events.

    Parameters
    ----------
    seed : int
    people : People
    accounts : Accounts
        ``last_seen`` / ``registered`` of the accounts used are widened to cover the story events.
    account_device : numpy.ndarray
        A device (index into the device book) per account, ``-1`` for none; used for device-keyed browsing.
    start, as_of : int
        Observed period (days since 1970-01-01).
    max_events : int
        Upper bound on the expected purchase and browsing events of all stories; rates are scaled down to
        fit (small data sets).

    Returns
    -------
    Planted
    """
    rng = rng_for(seed, "stories")
    n_cust = people.n_customers
    own = accounts.owner
    cust_acc = np.flatnonzero(own < n_cust)
    cust_acc = cust_acc[np.argsort(own[cust_acc], kind="stable")]
    first = np.searchsorted(own[cust_acc], np.arange(n_cust))
    count = np.searchsorted(own[cust_acc], np.arange(n_cust), side="right") - first
    age = (as_of - people.birth[:n_cust]) / 365.25
    base_ok = (count > 0) & (people.status[:n_cust] != CLOSED)
    scale = min(1.0, max_events / max(1.0, expected_events() * base_ok.sum()))

    customers, needs, decisive_days = [], [], []
    batches: dict[str, list[Events]] = {"purchase": [], "browse": [], "txn": []}
    for need_idx, need in enumerate(NEEDS):
        rate, steps = STORIES[need]
        lo, hi = AGES.get(need, (0, 200))
        ok = base_ok & (age >= lo) & (age <= hi)
        chosen = np.flatnonzero(ok & (rng.random(n_cust) < rate * scale))
        k = len(chosen)
        if not k:
            continue
        current = rng.random(k) < CURRENT_SHARE
        day = np.where(current, as_of - rng.integers(1, 91, k), as_of - rng.integers(120, 401, k))
        day = np.maximum(day, start + 30)
        customers.append(chosen)
        needs.append(np.full(k, need_idx))
        decisive_days.append(day)
        group_pick = {
            g: rng.integers(0, sum(1 for s in steps if s.group == g), k)
            for g in dict.fromkeys(s.group for s in steps if s.group)  # fixed order: never iterate a set
        }
        group_seen: dict[str, int] = {}
        for step in steps:
            use = rng.random(k) < step.p
            if step.group:
                j = group_seen.get(step.group, 0)
                group_seen[step.group] = j + 1
                use &= group_pick[step.group] == j
            n_ev = np.where(use, rng.integers(step.n[0], step.n[1] + 1, k), 0)
            story = np.repeat(np.arange(k), n_ev)
            m = len(story)
            if not m:
                continue
            ev_day = day[story] + rng.integers(step.days[0], step.days[1] + 1, m)
            keep = (ev_day >= start) & (ev_day <= as_of) | step.decisive
            story, ev_day = story[keep], ev_day[keep]
            m = len(story)
            time = sample_times(rng, ev_day)
            time = np.minimum(time, as_of * DAY + DAY - 1)
            cust = chosen[story]
            if step.table == "txn":
                pool = POOL_CODES[step.merchants]
                batches["txn"].append(
                    Events.build(
                        m,
                        who=cust,
                        time=time,
                        code=np.full(m, MCC_INDEX[step.mcc]),
                        merchant=pool[rng.integers(0, len(pool), m)],
                        amount=log_uniform_cents(rng, *step.amount, m),
                        story=np.ones(m, bool),
                    )
                )
                continue
            acct = cust_acc[first[cust] + (rng.random(m) * count[cust]).astype(np.int64)]
            codes = np.concatenate([TOPIC_CODES[t] for t in step.topics])
            code = codes[rng.integers(0, len(codes), m)]
            if step.table == "purchase":
                batches["purchase"].append(
                    Events.build(
                        m,
                        who=acct,
                        time=time,
                        code=code,
                        amount=log_uniform_cents(rng, *step.amount, m),
                        quantity=np.where(rng.random(m) < 0.85, 1, rng.integers(2, 4, m)),
                        story=np.ones(m, bool),
                    )
                )
            else:
                key = np.searchsorted(DEVICE_KEY_CDF, rng.random(m), side="right")
                key[(account_device[acct] < 0) | step.decisive] = BY_ACCOUNT
                batches["browse"].append(
                    Events.build(
                        m,
                        who=acct,
                        time=time,
                        code=code,
                        amount=np.clip(np.exp(rng.normal(np.log(600), 0.8, m)), 20, 36_000).astype(np.int64),
                        action=np.searchsorted([0.55, 0.70, 0.85], rng.random(m), side="right"),
                        key=key,
                        story=np.ones(m, bool),
                    )
                )
    planted = Planted(
        customer=np.concatenate(customers) if customers else np.empty(0, np.int64),
        need=np.concatenate(needs) if needs else np.empty(0, np.int64),
        day=np.concatenate(decisive_days) if decisive_days else np.empty(0, np.int64),
        purchases=Events.concat(batches["purchase"]),
        browsing=Events.concat(batches["browse"]),
        transactions=Events.concat(batches["txn"]),
    )
    _widen_accounts(rng, accounts, planted, as_of)
    _room_for_instalments(rng, people, planted)
    return planted


def _widen_accounts(rng: np.random.Generator, accounts: Accounts, planted: Planted, as_of: int) -> None:
    """Accounts used by a story were registered before and seen after its events."""
    who = np.concatenate([planted.purchases.who, planted.browsing.who])
    time = np.concatenate([planted.purchases.time, planted.browsing.time])
    if not len(who):
        return
    first = np.full(len(accounts), np.iinfo(np.int64).max)
    last = np.full(len(accounts), np.iinfo(np.int64).min)
    np.minimum.at(first, who, time)
    np.maximum.at(last, who, time)
    used = np.flatnonzero(last > np.iinfo(np.int64).min)
    early = first[used] - rng.integers(1, 200, len(used)) * DAY
    accounts.registered[used] = np.minimum(accounts.registered[used], early)
    late = np.minimum(last[used] + rng.integers(0, 3 * DAY, len(used)), as_of * DAY + DAY - 1)
    accounts.last_seen[used] = np.maximum(accounts.last_seen[used], late)


def _room_for_instalments(rng: np.random.Generator, people: People, planted: Planted) -> None:
    """Customers who browse entry-level laptops earn enough, and owe little enough, to pay by instalments."""
    c = planted.customer[planted.need == NEEDS.index("computer_upgrade")]
    income = np.maximum(people.income[c], (rng.uniform(7000, 20000, len(c)) * 100).round(-4).astype(np.int64))
    people.income[c] = income
    people.debt[c] = np.minimum(people.debt[c], (income * rng.uniform(0, 1.5, len(c))).astype(np.int64))
    room = -(-(people.debt[c] + 1_000_000) // 100_000) * 100_000  # debt + 10k, rounded up to 1000 yuan
    people.credit_limit[c] = np.maximum(people.credit_limit[c], room)
