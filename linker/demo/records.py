"""What some profiles' bank records say beyond the default columns: verification dates and closure dates.

A bank verifies a customer's mobile when the customer opens an account, at a KYC refresh, after a call: the
verification date says the customer held the number that day, not since when. The generator draws it after
the day the customer got the number (``people.phone_since``), most often in the last few years, so that it
usually falls after the customer's platform accounts were opened with that number.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.arrays import date_text, list_join, rng_for
from linker.demo.entries import PHONE, Entries
from linker.demo.people import CLOSED, People

#: Verification dates skew to the recent past: the share drawn uniformly since the number was got (the rest
#: within the last :data:`RECENT_DAYS`).
UNIFORM_SHARE = 0.3
RECENT_DAYS = 3 * 365


def verification_days(rng: np.random.Generator, since: np.ndarray, as_of: int) -> np.ndarray:
    """The day the bank last verified each number, given the day the customer got it.

    Parameters
    ----------
    rng : numpy.random.Generator
    since : numpy.ndarray
        Days (since 1970-01-01) the customer got each number.
    as_of : int
        Last observed day.

    Returns
    -------
    numpy.ndarray of int64
        Days in ``[since, as_of - 1]``.

    Examples
    --------
    >>> d = verification_days(np.random.default_rng(0), np.array([10_000, 19_000]), 19_900)
    >>> bool(((d >= [10_000, 19_000]) & (d < 19_900)).all())
    True
    """
    since = np.minimum(np.asarray(since, dtype=np.int64), as_of - 1)
    span = as_of - 1 - since
    uniform = rng.random(len(since)) < UNIFORM_SHARE
    recent = np.minimum(span, RECENT_DAYS)
    offset = np.where(uniform, span * rng.random(len(since)), span - recent * rng.random(len(since)))
    return since + np.round(offset).astype(np.int64)


def closure_days(seed: int, people: People, as_of: int) -> np.ndarray:
    """The day each closed customer left the bank (``-1`` for the others; the same for one seed).

    Closures spread over the six years before ``as_of``.
    """
    rng = rng_for(seed, "closure_days")
    n = people.n_customers
    day = as_of - 1 - rng.integers(0, 6 * 365, n)
    return np.where(people.status[:n] == CLOSED, day, -1)


def verification_column(seed: int, entries: Entries, n: int, as_of: int, donors: bool = False) -> pa.Array:
    """The ``;``-joined verification dates of each record's phones, aligned with its ``phones`` column.

    Parameters
    ----------
    seed : int
    entries : Entries
        The records' identifiers (as rendered), with the day each phone was got in ``since``.
    n : int
        Number of records.
    as_of : int
    donors : bool
        The records are the spare people's of the broken rows (their own stream).
    """
    rng = rng_for(seed, "verification_days", int(donors))
    phone = entries.kind == PHONE
    days = verification_days(rng, np.maximum(entries.since[phone], 0), as_of)
    return list_join(entries.owner[phone], entries.order[phone], date_text(days), n)


def closure_column(closed: np.ndarray) -> pa.Array:
    """Closure dates as text (null for open customers)."""
    return pc.if_else(pa.array(closed >= 0), date_text(np.maximum(closed, 0)), pa.nulls(len(closed), pa.string()))
