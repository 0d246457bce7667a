"""Little to link with (profile ``sparse``): few emails, fewer identifiers per account, many blank names.

The city columns are left out by the layout (:mod:`linker.demo.layout`). Every customer's account keeps at
least one identifier from the bank record, as in the default, so that every true link stays findable.
"""

from __future__ import annotations

import numpy as np

from linker.demo.accounts import EMPTY, Accounts
from linker.demo.entries import EMAIL
from linker.demo.people import People

#: Share of people's email addresses dropped (on records and on accounts alike).
EMAIL_DROP = 0.75
#: Share of an account's identifiers beyond its first bank-known one that are dropped.
EXTRA_DROP = 0.6
#: Share of accounts whose name is blanked on top of the default's blank names.
NAME_BLANK = 0.4


def thin_people(rng: np.random.Generator, people: People) -> None:
    """Drop most people's email addresses (in place), before accounts pick their identifiers."""
    on = people.emails >= 0
    people.emails[on & (rng.random(people.emails.shape) < EMAIL_DROP)] = -1


def thin_accounts(rng: np.random.Generator, people: People, accounts: Accounts) -> None:
    """Drop identifiers from accounts (in place) but one bank-known one, and blank many names.

    Runs right after the accounts are drawn, before any trap is planted.
    """
    ent = accounts.entries
    n = len(ent)
    known = (ent.slot >= 0) & (ent.slot <= 1)
    # one bank-known entry per account is kept: a random one
    key = np.where(known, rng.random(n), 2.0)
    order = np.lexsort((key, ent.owner))
    first = np.ones(n, dtype=bool)
    first[1:] = ent.owner[order][1:] != ent.owner[order][:-1]
    keeper = np.zeros(n, dtype=bool)
    keeper[order[first]] = True  # a bank-known entry where the account has one, else any
    drop = ~keeper & (rng.random(n) < EXTRA_DROP)
    drop |= ~keeper & (ent.kind == EMAIL) & (rng.random(n) < EMAIL_DROP)
    ent.keep(~drop)
    blank = rng.random(len(accounts)) < NAME_BLANK
    accounts.name_style[blank] = EMPTY
