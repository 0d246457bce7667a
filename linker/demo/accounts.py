"""Platform accounts: who owns them, which identifiers they carry, what they are called.

An account's identifiers are kept in long form (:class:`Entries`: one row per identifier on an account) so
that traps can add, replace or remove single identifiers with array operations; they are spelled and joined
with ``;`` only when the file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.arrays import DAY, choose, join, padded, pick_slot, rng_for, scatter, take, time_text
from linker.demo.entries import DEVICE, EMAIL, PHONE, Entries
from linker.demo.names import one_off, pinyin_name
from linker.demo.people import CITY_WEIGHT, People
from linker.demo.vocab import CITIES, NICKNAMES, PLATFORM_HANDLE_PREFIXES, PLATFORMS

REAL, ONE_OFF, PINYIN, NICKNAME, EMPTY = 0, 1, 2, 3, 4
NAME_STYLE_WEIGHTS = (35, 5, 25, 20, 15)

PLATFORM_TEXT = pa.array([p for p, _, _ in PLATFORMS], pa.string())
_PLATFORM_WEIGHT = np.array([w for _, _, w in PLATFORMS])
_PLATFORM_LAUNCH = np.array([y for _, y, _ in PLATFORMS])
CITY_TEXT = pa.array([c for c, _, _, _ in CITIES], pa.string())

#: Number of accounts a customer has (0..4), before trimming to the requested total.
CUSTOMER_ACCOUNT_COUNTS = (22, 33, 25, 13, 7)
#: At most this share of all accounts belongs to customers.
MAX_CUSTOMER_SHARE = 0.6


@dataclass
class Accounts:
    """Platform accounts, in the order they are written (row ``i`` has id ``A{i+1}``).

    Attributes
    ----------
    owner : numpy.ndarray
        Person row of the true owner.
    platform : numpy.ndarray
        Index into :data:`linker.demo.vocab.PLATFORMS`.
    registered, last_seen : numpy.ndarray
        Seconds since 1970-01-01.
    name_style : numpy.ndarray
        ``REAL``, ``ONE_OFF``, ``PINYIN``, ``NICKNAME`` or ``EMPTY``.
    city_mode : numpy.ndarray
        0: owner's city, 1: owner's city with 市, 2: another city, 3: none.
    other_city : numpy.ndarray
    entries : Entries
    """

    owner: np.ndarray
    platform: np.ndarray
    registered: np.ndarray
    last_seen: np.ndarray
    name_style: np.ndarray
    city_mode: np.ndarray
    other_city: np.ndarray
    entries: Entries

    def __len__(self) -> int:
        return len(self.owner)


def plan_account_counts(
    seed: int,
    n_customers: int,
    n_accounts: int,
    must_have: np.ndarray,
    max_share: float = MAX_CUSTOMER_SHARE,
) -> np.ndarray:
    """How many accounts each customer has.

    Parameters
    ----------
    seed : int
    n_customers, n_accounts : int
    must_have : numpy.ndarray
        Customers that need at least one account (household members).
    max_share : float
        At most this share of all accounts belongs to customers (plus the forced ones).

    Returns
    -------
    numpy.ndarray
        Accounts per customer; their sum is at most ``max_share * n_accounts`` plus the forced ones.
    """
    rng = rng_for(seed, "account_counts")
    counts = choose(rng, CUSTOMER_ACCOUNT_COUNTS, n_customers)
    target = int(round(max_share * n_accounts))
    if counts.sum() > target:
        slots = np.repeat(np.arange(n_customers), counts)
        keep = np.sort(rng.choice(len(slots), target, replace=False))
        counts = np.bincount(slots[keep], minlength=n_customers)
    counts[must_have] = np.maximum(counts[must_have], 1)
    return counts


def generate_accounts(
    seed: int, people: People, customer_counts: np.ndarray, n_accounts: int, as_of: int
) -> Accounts:
    """Draw accounts for customers (``customer_counts``) and for the non-customers (the rest).

    Parameters
    ----------
    seed : int
    people : People
    customer_counts : numpy.ndarray
    n_accounts : int
        Total number of accounts.
    as_of : int
        Last observed day (days since 1970-01-01).

    Returns
    -------
    Accounts
    """
    rng = rng_for(seed, "accounts")
    n_cust_acc = int(customer_counts.sum())
    n_other_acc = n_accounts - n_cust_acc
    others = people.n_customers + np.arange(people.n_others)
    other_owner = np.concatenate([others, rng.choice(others, n_other_acc - len(others))])
    owner = np.concatenate([np.repeat(np.arange(people.n_customers), customer_counts), other_owner])
    owner = owner[rng.permutation(n_accounts)]
    n = n_accounts

    platform = choose(rng, _PLATFORM_WEIGHT, n).astype(np.int8)
    birth_year = people.birth_year()[owner]
    start_year = np.maximum(np.maximum(_PLATFORM_LAUNCH[platform], 2008), birth_year + 16)
    first = np.asarray(start_year - 1970, dtype="datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    first = np.minimum(first, as_of - 30)
    reg_day = first + ((as_of - 1 - first) * rng.random(n) ** 0.8).astype(np.int64)
    active = rng.random(n) < 0.72
    seen_day = np.where(active, as_of - rng.integers(0, 45, n), reg_day + ((as_of - reg_day) * rng.random(n)))
    seen_day = np.clip(seen_day.astype(np.int64), reg_day, as_of)
    registered = reg_day * DAY + rng.integers(0, DAY, n)
    last_seen = np.maximum(seen_day * DAY + rng.integers(0, DAY, n), registered)

    entries = _choose_identifiers(rng, people, owner)
    city_mode = choose(rng, [40, 30, 10, 20], n).astype(np.int8)
    other_city = choose(rng, CITY_WEIGHT, n).astype(np.int16)
    name_style = choose(rng, NAME_STYLE_WEIGHTS, n).astype(np.int8)
    return Accounts(owner, platform, registered, last_seen, name_style, city_mode, other_city, entries)


def _choose_identifiers(rng: np.random.Generator, people: People, owner: np.ndarray) -> Entries:
    """Pick which of the owner's identifiers each account carries (at least one from the bank record)."""
    n = len(owner)
    is_cust = owner < people.n_customers
    ph, em, dv = people.phones[owner], people.emails[owner], people.devices[owner]
    phone1 = np.where(rng.random(n) < 0.92, pick_slot(rng, ph >= 0, [75, 15, 10]), -1)
    avail2 = (ph >= 0) & (np.arange(3)[None, :] != phone1[:, None])
    phone2 = np.where((phone1 >= 0) & (rng.random(n) < 0.06), pick_slot(rng, avail2, [1, 1, 1]), -1)
    email = np.where(rng.random(n) < 0.35, pick_slot(rng, em >= 0, [60, 20, 20]), -1)
    device = np.where(rng.random(n) < 0.45, pick_slot(rng, dv >= 0, [60, 20, 20]), -1)

    def known(s: np.ndarray) -> np.ndarray:
        return (s == 0) | (s == 1)

    n_known = known(phone1).astype(int) + known(phone2) + known(email) + known(device)
    # customers' accounts share at least one identifier with the bank record; everyone's account has one
    need = (is_cust & (n_known == 0)) | ((phone1 < 0) & (email < 0) & (device < 0))
    phone2 = np.where(need & (phone1 == 2), 0, phone2)
    phone1 = np.where(need & (phone1 != 2), 0, phone1)
    n_known = known(phone1).astype(int) + known(phone2) + known(email) + known(device)
    phone2 = np.where(is_cust & (n_known > 3), -1, phone2)

    entries = Entries()
    rows = np.arange(n)
    for kind, slots, values, order in (
        (PHONE, phone1, ph, 0.0),
        (PHONE, phone2, ph, 1.0),
        (EMAIL, email, em, 0.0),
        (DEVICE, device, dv, 0.0),
    ):
        m = slots >= 0
        entries.add(rows[m], kind, slots[m], values[rows[m], slots[m]], order)
    return entries


def account_ids(n: int) -> pa.Array:
    """Account ids ``A00000001`` .. for ``n`` accounts."""
    return padded(np.arange(1, n + 1), max(8, len(str(n))), "A")


def render_accounts(seed: int, accounts: Accounts, people: People) -> pa.Table:
    """The accounts table as text, columns as in the default source layout.

    Parameters
    ----------
    seed : int
    accounts : Accounts
    people : People

    Returns
    -------
    pyarrow.Table
        ``account_id, platform, name, phones, emails, device_ids, registered_at, last_seen_at, city``.
    """
    rng = rng_for(seed, "render_accounts")
    n = len(accounts)
    ent = accounts.entries
    spelled = ent.spell(rng, people, bank=False)
    return pa.table(
        {
            "account_id": account_ids(n),
            "platform": take(PLATFORM_TEXT, accounts.platform),
            "name": account_names(rng, accounts, people),
            "phones": ent.joined(spelled, PHONE, n),
            "emails": ent.joined(spelled, EMAIL, n),
            "device_ids": ent.joined(spelled, DEVICE, n),
            "registered_at": time_text(accounts.registered),
            "last_seen_at": time_text(accounts.last_seen),
            "city": _cities(accounts, people),
        }
    )


def _cities(accounts: Accounts, people: People) -> pa.Array:
    own = take(CITY_TEXT, people.city[accounts.owner])
    mode = accounts.city_mode
    out = pc.if_else(pa.array(mode == 1), join(own, "市"), own)
    out = pc.if_else(pa.array(mode == 2), take(CITY_TEXT, accounts.other_city), out)
    return pc.if_else(pa.array(mode == 3), pa.nulls(len(mode), pa.string()), out)


def account_names(rng: np.random.Generator, accounts: Accounts, people: People) -> pa.Array:
    """Account display names: the real name, one character off, pinyin, a nickname, or nothing."""
    n = len(accounts)
    style = accounts.name_style
    parts: list[tuple[np.ndarray, pa.Array]] = []
    pos = np.flatnonzero(style == REAL)
    parts.append((pos, people.names.subset(accounts.owner[pos]).chinese()))
    pos = np.flatnonzero(style == ONE_OFF)
    parts.append((pos, one_off(rng, people.names.subset(accounts.owner[pos])).chinese()))
    pos = np.flatnonzero(style == PINYIN)
    own = accounts.owner[pos]
    parts.append((pos, pinyin_name(rng, people.names.subset(own), people.birth_year()[own])))
    pos = np.flatnonzero(style == NICKNAME)
    k = len(pos)
    pool = take(NICKNAMES, rng.integers(0, len(NICKNAMES), k))
    prefixes = [PLATFORM_HANDLE_PREFIXES[p] for p, _, _ in PLATFORMS]
    handle = join(
        take(prefixes, accounts.platform[pos]),
        pc.cast(pa.array(rng.integers(1_000_000, 999_999_999, k)), pa.string()),
    )
    parts.append((pos, pc.if_else(pa.array(rng.random(k) < 0.5), pool, handle)))
    return scatter(n, parts)
