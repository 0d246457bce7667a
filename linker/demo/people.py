"""People behind the demo data: bank customers, platform users who are not customers, and spare people.

Each person has a name, sex, birth date, city and identifier *slots*: phones, emails and devices in slots 0
and 1 are on the bank's record (for customers), slot 2 holds an identifier only platforms know (a second SIM,
a private email, a tablet). Non-customers use the same layout; their identifiers never collide with a
customer's except through the traps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from linker.demo.arrays import choose, days, rng_for
from linker.demo.identifiers import (
    PLACEHOLDER_PHONES,
    DeviceBook,
    EmailBook,
    sample_devices,
    sample_emails,
    sample_landlines,
    sample_mobiles,
)
from linker.demo.names import Names, give_compound_surnames, sample_names
from linker.demo.vocab import CITIES

CITY_WEIGHT = np.array([w for _, _, _, w in CITIES])
CITY_TIER = np.array([t for _, _, t, _ in CITIES])
STATUSES = ("active", "dormant", "closed")
ACTIVE, DORMANT, CLOSED = 0, 1, 2
NONE = -1


@dataclass
class People:
    """All people of one demo data set, customers first.

    Attributes
    ----------
    n_customers, n_others : int
        Customers are rows ``[0, n_customers)``, platform users who are not customers the next ``n_others``
        rows, and the rest are spare people used only by the deliberately bad rows.
    names : Names
    female : numpy.ndarray of bool
    birth : numpy.ndarray
        Birth dates as days since 1970-01-01.
    city : numpy.ndarray
        Index into :data:`linker.demo.vocab.CITIES`.
    phones : numpy.ndarray
        ``(n, 3)`` national numbers, ``-1`` for none.
    phone_since : numpy.ndarray
        ``(n, 2)`` day the bank verified phone slot 0 / 1.
    emails, devices : numpy.ndarray
        ``(n, 3)`` indices into :attr:`email_book` / :attr:`device_book`, ``-1`` for none.
    income, debt, credit_limit : numpy.ndarray
        Monthly income, outstanding debt and credit limit in cents (customers).
    status : numpy.ndarray
        Index into :data:`STATUSES` (customers).
    """

    n_customers: int
    n_others: int
    names: Names
    female: np.ndarray
    birth: np.ndarray
    city: np.ndarray
    phones: np.ndarray
    phone_since: np.ndarray
    emails: np.ndarray
    devices: np.ndarray
    email_book: EmailBook
    device_book: DeviceBook
    income: np.ndarray
    debt: np.ndarray
    credit_limit: np.ndarray
    status: np.ndarray

    def __len__(self) -> int:
        return len(self.female)

    @property
    def customers(self) -> np.ndarray:
        """Row numbers of the customers."""
        return np.arange(self.n_customers)

    def birth_year(self) -> np.ndarray:
        """Birth years."""
        return self.birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    def mobiles_in_use(self) -> np.ndarray:
        """Every phone number any person has."""
        p = self.phones.ravel()
        return p[p >= 0]


def _slots(rng: np.random.Generator, n: int, probs: list[float], private: np.ndarray) -> np.ndarray:
    """Which of the three slots are filled: the first ``k`` (drawn from ``probs``) plus the private one."""
    k = choose(rng, probs, n)
    filled = np.zeros((n, 3), dtype=bool)
    filled[:, 0] = k >= 1
    filled[:, 1] = k >= 2
    filled[:, 2] = private
    return filled


def generate_people(
    seed: int, n_customers: int, n_others: int, n_spare: int, as_of: int, compound_share: float = 0.0
) -> People:
    """Draw the people of a demo data set.

    Parameters
    ----------
    seed : int
    n_customers, n_others, n_spare : int
        Bank customers, platform users who are not customers, spare people for bad rows.
    as_of : int
        End of the observed period (days since 1970-01-01).
    compound_share : float
        Share of people given a compound surname (from a stream of its own, so that everything else about
        the people stays as without).

    Returns
    -------
    People
    """
    rng = rng_for(seed, "people")
    n = n_customers + n_others + n_spare
    is_cust = np.arange(n) < n_customers
    female = rng.random(n) < 0.5
    # customers are adults with a bank account, platform users skew younger
    age = np.where(is_cust, rng.triangular(20, 36, 76, n), rng.triangular(16, 27, 70, n))
    birth = (as_of - age * 365.25).astype(np.int32)
    city = choose(rng, CITY_WEIGHT, n).astype(np.int16)
    names = sample_names(rng, female)
    if compound_share:
        give_compound_surnames(rng_for(seed, "compound_surnames"), names, compound_share)

    phone_on = _slots(rng, n, [0, 75, 25], rng.random(n) < np.where(is_cust, 0.2, 0.1))
    landline = phone_on[:, 1] & (rng.random(n) < np.where(is_cust, 0.15, 0.08))
    phones = np.full((n, 3), NONE, dtype=np.int64)
    mobile_slot = phone_on & ~np.stack([np.zeros(n, bool), landline, np.zeros(n, bool)], axis=1)
    exclude = np.array([int(p) for p in PLACEHOLDER_PHONES], dtype=np.int64)
    phones[mobile_slot] = sample_mobiles(rng, int(mobile_slot.sum()), exclude)
    land = sample_landlines(rng, city[landline].astype(np.int64))
    phones[landline, 1] = land
    _dedupe_landlines(rng, phones, city)

    email_on = _slots(rng, n, [30, 55, 15], rng.random(n) < np.where(is_cust, 0.35, 0.2))
    k_email = int(email_on.sum())
    owner = np.nonzero(email_on)[0]
    sub = names.subset(owner)
    book = sample_emails(
        rng,
        sub.surname_pinyin(),
        sub.given_pinyin(),
        sub.initials(),
        (birth[owner].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970),
    )
    emails = np.full((n, 3), NONE, dtype=np.int64)
    emails[email_on] = np.arange(k_email)

    device_on = _slots(rng, n, [40, 50, 10], rng.random(n) < np.where(is_cust, 0.3, 0.15))
    devices = np.full((n, 3), NONE, dtype=np.int64)
    device_book = sample_devices(rng, int(device_on.sum()))
    devices[device_on] = np.arange(len(device_book))

    earliest = np.maximum(birth + int(18 * 365.25), days_2009())
    span = np.maximum(as_of - 1 - earliest, 1)
    phone_since = (earliest[:, None] + (rng.random((n, 2)) * span[:, None])).astype(np.int32)

    tier = CITY_TIER[city]
    income = np.exp(rng.normal(np.log(7000), 0.55, n)) * np.where(
        tier == 1, 1.4, np.where(tier == 2, 1.0, 0.8)
    )
    income = np.clip(np.round(income / 100) * 100, 2500, 300_000)
    debt = np.where(rng.random(n) < 0.4, 0.0, np.round(np.exp(rng.normal(np.log(income * 2.5), 0.9)), 2))
    limit = np.maximum(np.round(income * rng.uniform(1.5, 6, n), -3), 5000)
    status = choose(rng, [88, 8, 4], n).astype(np.int8)
    return People(
        n_customers=n_customers,
        n_others=n_others,
        names=names,
        female=female,
        birth=birth,
        city=city,
        phones=phones,
        phone_since=phone_since,
        emails=emails,
        devices=devices,
        email_book=book,
        device_book=device_book,
        income=(income * 100).astype(np.int64),
        debt=(debt * 100).astype(np.int64),
        credit_limit=(limit * 100).astype(np.int64),
        status=status,
    )


def days_2009() -> int:
    """The earliest day a bank verified a phone in the demo (2009-01-01)."""
    return days(date(2009, 1, 1))


def _dedupe_landlines(rng: np.random.Generator, phones: np.ndarray, city: np.ndarray) -> None:
    """Redraw the rare landlines that repeat (households are made separately, on purpose)."""
    for _ in range(20):
        col = phones[:, 1]
        rows = np.flatnonzero(col >= 0)
        _, first = np.unique(col[rows], return_index=True)
        dup = np.setdiff1d(np.arange(len(rows)), first)
        if not len(dup):
            return
        phones[rows[dup], 1] = sample_landlines(rng, city[rows[dup]].astype(np.int64))
