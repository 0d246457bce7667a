"""Traps on people and accounts, in the order they build on each other, then the need stories."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from linker.demo.accounts import Accounts, generate_accounts
from linker.demo.arrays import DAY, days, rng_for
from linker.demo.entries import PHONE
from linker.demo.events import account_devices
from linker.demo.hostile import RecordPhones, placeholder_values, plant_hostile, trap_rates
from linker.demo.identifiers import PLACEHOLDER_PHONES
from linker.demo.people import People
from linker.demo.sparse import thin_accounts
from linker.demo.stories import Planted, no_stories, plant_stories
from linker.demo.traps import (
    TrapLog,
    apply_households,
    assign_shop_phones,
    eligible_recycled,
    family_accounts,
    log_household_accounts,
    plant_placeholders,
    plant_recycled,
    plant_shop_phones,
    plant_typos,
    trap_count,
)

if TYPE_CHECKING:
    from linker.demo.generate import DemoSpec


def plant(
    spec: DemoSpec,
    people: People,
    counts: np.ndarray,
    members: np.ndarray,
    household: np.ndarray,
    log: TrapLog,
    rng: np.random.Generator,
    start: int,
    as_of: int,
) -> tuple[Accounts, Planted, RecordPhones]:
    """Households and shop phones on people, accounts with their traps, then the need stories.

    Returns
    -------
    accounts, planted, record_phones : Accounts, Planted, RecordPhones
        ``record_phones`` are the phones hostile traps put on customer records.
    """
    n_cust, n_acc = spec.customers, spec.accounts
    profile = spec.conventions
    rates = trap_rates(profile)
    record = RecordPhones()
    family_device = np.empty(0, dtype=np.int64)
    shop_phones, keeper = np.empty(0, dtype=np.int64), -1
    recycled = np.empty(0, dtype=np.int64)
    if spec.traps:
        family_device = apply_households(rng, people, members, household, log)
        shop_phones, keeper = assign_shop_phones(rng, people, 1 + n_acc // 1_000_000, members, log)
        recycled = eligible_recycled(rng, people, trap_count(n_cust, rates.recycled, 5), np.append(members, keeper))
    accounts = generate_accounts(spec.seed, people, counts, n_acc, as_of)
    if profile.sparse:
        thin_accounts(rng_for(spec.seed, "sparse_accounts"), people, accounts)
    _phones_held_before_use(people, accounts)
    if spec.traps:
        family = family_accounts(rng, people, accounts, members, family_device)
        in_use = np.concatenate(
            [people.mobiles_in_use(), shop_phones, np.array([int(p) for p in PLACEHOLDER_PHONES])]
        )
        plant_typos(rng, people, accounts, family, log, in_use, rates.typos)
        recycled_accounts = plant_recycled(rng, people, accounts, recycled, as_of, days(date(2012, 1, 1)), log)
        per_shop = int(min(max(50, n_acc // 5000), n_acc // 10))
        plant_shop_phones(rng, accounts, shop_phones, per_shop, keeper, log)
        phones, emails = placeholder_values(profile)
        plant_placeholders(rng, accounts, trap_count(n_acc, rates.placeholders, 10), log, phones, emails)
        log_household_accounts(people, accounts, family_device, log)
        if profile.hostile:
            avoid = np.concatenate([members, [keeper], recycled, accounts.owner[recycled_accounts]])
            plant_hostile(rng_for(spec.seed, "hostile"), people, accounts, avoid, in_use, as_of, record, log)
    if profile.behaviour == "stories":
        planted = plant_stories(
            spec.seed, people, accounts, account_devices(accounts), start, as_of, max_events=spec.events // 2
        )
    else:
        planted = no_stories()
    return accounts, planted, record


def _phones_held_before_use(people: People, accounts: Accounts) -> None:
    """A customer held a phone at least since the first own account that used it.

    ``phone_since`` says since when a number belongs to the customer; an own account registered with the
    number earlier would contradict it (and look like a recycled number). Runs before the recycled-number
    trap, which then sets its own dates.
    """
    e = accounts.entries
    own = (e.kind == PHONE) & (e.slot >= 0) & (e.slot < people.phone_since.shape[1]) & ~e.typo
    person = accounts.owner[e.owner[own]]
    slot = e.slot[own].astype(np.int64)
    first_day = (accounts.registered[e.owner[own]] // DAY).astype(np.int64)
    flat = person * people.phone_since.shape[1] + slot
    earliest = np.full(people.phone_since.size, np.iinfo(np.int64).max)
    np.minimum.at(earliest, flat, first_day)
    since = people.phone_since.reshape(-1)
    since[:] = np.minimum(since, earliest).astype(since.dtype)


