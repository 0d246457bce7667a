"""The bank's customer records: identifiers from the people's bank-known slots, spelled mostly cleanly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from linker.demo.arrays import date_text, list_join, money, padded, rng_for, take
from linker.demo.entries import DEVICE, EMAIL, PHONE, Entries
from linker.demo.people import STATUSES, People
from linker.demo.vocab import CITIES

CITY_TEXT = pa.array([c for c, _, _, _ in CITIES], pa.string())


def customer_ids(n: int) -> pa.Array:
    """Customer ids ``C0000001`` .. for ``n`` customers."""
    return padded(np.arange(1, n + 1), max(7, len(str(n))), "C")


def customer_entries(people: People, rows: np.ndarray | None = None) -> Entries:
    """The identifiers on each customer record: phones, emails and devices in slots 0 and 1.

    Parameters
    ----------
    people : People
    rows : numpy.ndarray, optional
        Person rows to make records of (default: the customers); the entry owner is the position in ``rows``.

    Returns
    -------
    Entries
        Owner is the customer row; phone entries carry the day the bank verified them in ``since``.
    """
    entries = Entries()
    rows = np.arange(people.n_customers) if rows is None else np.asarray(rows)
    pos = np.arange(len(rows))
    for kind, values in ((PHONE, people.phones), (EMAIL, people.emails), (DEVICE, people.devices)):
        for slot in (0, 1):
            v = values[rows, slot]
            m = v >= 0
            since = people.phone_since[rows[m], slot] if kind == PHONE else -1
            entries.add(pos[m], kind, slot, v[m], float(slot), since=since)
    return entries


def render_customers(seed: int, people: People, entries: Entries, rows: np.ndarray | None = None) -> pa.Table:
    """The customers table as text, columns as in the default source layout.

    Parameters
    ----------
    seed : int
    people : People
    entries : Entries
        From :func:`customer_entries`, possibly with trap values added.
    rows : numpy.ndarray, optional
        Person rows (default: the customers), as given to :func:`customer_entries`.

    Returns
    -------
    pyarrow.Table
        ``customer_id, name, phones, emails, device_ids, phone_since, birth_date, gender, city, income, debt,
        credit_limit, status``.
    """
    rng = rng_for(seed, "render_customers", 0 if rows is None else 1)
    rows = np.arange(people.n_customers) if rows is None else np.asarray(rows)
    n = len(rows)
    spelled = entries.spell(rng, people, bank=True)
    phone = entries.kind == PHONE
    since = date_text(np.maximum(entries.since[phone], 0))
    return pa.table(
        {
            "customer_id": customer_ids(n),
            "name": people.names.subset(rows).chinese(),
            "phones": entries.joined(spelled, PHONE, n),
            "emails": entries.joined(spelled, EMAIL, n),
            "device_ids": entries.joined(spelled, DEVICE, n),
            "phone_since": list_join(entries.owner[phone], entries.order[phone], since, n),
            "birth_date": date_text(people.birth[rows]),
            "gender": take(["M", "F"], people.female[rows].astype(np.int64)),
            "city": take(CITY_TEXT, people.city[rows]),
            "income": money(people.income[rows]),
            "debt": money(people.debt[rows]),
            "credit_limit": money(people.credit_limit[rows]),
            "status": take(list(STATUSES), people.status[rows]),
        }
    )
