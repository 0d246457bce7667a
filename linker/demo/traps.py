"""Traps: the things in real data that make naive identity resolution link the wrong people.

Every trap planted is logged in a :class:`TrapLog` and written to ``truth/traps.*`` with the columns
``trap, table, row, entity_id, id_type, value, detail`` (``row`` is the 1-based data-record number in the
written file, ``value`` the identifier in the contract's normalized spelling, or the digits of a placeholder).

Traps (names as written in the ``trap`` column):

``placeholder_phone`` / ``placeholder_email``
    13800138000, 00000000000, 12345678901, 13888888888 / test@test.com, 123456@qq.com, noreply@example.com,
    a@a.com on many unrelated accounts and on a few customer records.
``shop_phone``
    A real-looking mobile (a shop's delivery phone) on ``max(50, accounts / 5000)`` accounts; the first shop's
    number is also on its shopkeeper's customer record.
``junk_device``
    The all-zero IDFA and Android ID 9774d56d682e549c on many accounts and a few customer records.
``household``, ``household_device``, ``household_device_only``
    Families of 2-4 customers (same city, often the same surname) sharing one device; accounts carrying the
    family device; and accounts whose only link to their owner's record is that device (genuinely ambiguous).
``recycled_phone``
    A non-customer's account stopped being used before a *different* customer verified the same number.
``typo``
    A customer's phone (one digit changed or two swapped) or email (one character off) on their account.
``bad_row``
    Deliberately broken records (see :mod:`linker.demo.badrows`); ``detail`` holds the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.accounts import ONE_OFF, PINYIN, REAL, Accounts
from linker.demo.arrays import DAY, choose, date_text, join
from linker.demo.entries import DEVICE, EMAIL, FOREIGN, ID_TYPES, PHONE, Entries
from linker.demo.identifiers import (
    ACCOUNT_MOBILE_WEIGHTS,
    JUNK_ANDROID_ID,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
    ZERO_IDFA,
    is_mobile,
    phone_text,
    sample_devices,
    sample_mobiles,
    spell_digit_strings,
    spell_junk_devices,
    typo_email_locals,
    typo_phones,
)
from linker.demo.people import CLOSED, People

TRAP_COLUMNS = ("trap", "table", "row", "entity_id", "id_type", "value", "detail")


def _arr(x: Any, n: int) -> pa.Array:
    if isinstance(x, pa.Array | pa.ChunkedArray):
        return x.cast(pa.string()) if isinstance(x, pa.Array) else x.combine_chunks().cast(pa.string())
    if x is None:
        return pa.nulls(n, pa.string())
    if isinstance(x, str):
        return pa.array([x] * n, pa.string())
    return pa.array([None if v is None else str(v) for v in x], pa.string())


@dataclass
class TrapLog:
    """Collects trap rows; entity rows are resolved to file rows and ids when the files are written."""

    parts: list[dict[str, object]] = field(default_factory=list)

    def add(
        self,
        trap: str,
        table: str,
        *,
        index: np.ndarray | None = None,
        row: np.ndarray | None = None,
        entity_id: object = None,
        id_type: object = None,
        value: object = None,
        detail: object = None,
    ) -> None:
        """Log trap rows for entities at ``index`` of ``table`` (or at known file ``row`` numbers)."""
        ref = index if index is not None else row
        n = len(ref) if ref is not None else 0
        if not n:
            return
        self.parts.append(
            {
                "trap": trap,
                "table": table,
                "index": None if index is None else np.asarray(index, dtype=np.int64),
                "row": None if row is None else np.asarray(row, dtype=np.int64),
                "entity_id": _arr(entity_id, n),
                "id_type": _arr(id_type, n),
                "value": _arr(value, n),
                "detail": _arr(detail, n),
            }
        )

    def table(self, rows: dict[str, np.ndarray], ids: dict[str, pa.Array]) -> pa.Table:
        """All logged rows as a text table.

        Parameters
        ----------
        rows : dict
            Per entity table, the 1-based file row of every entity index.
        ids : dict
            Per entity table, the id of every entity index.
        """
        out = []
        for p in self.parts:
            n = len(p["value"])  # type: ignore[arg-type]
            if p["index"] is not None:
                idx = p["index"]
                row = pa.array(rows[p["table"]][idx]).cast(pa.string())  # type: ignore[index]
                entity = ids[p["table"]].take(pa.array(idx))  # type: ignore[index]
            else:
                row = pa.array(p["row"]).cast(pa.string())
                entity = p["entity_id"]
            out.append(
                pa.table(
                    {
                        "trap": _arr(p["trap"], n),
                        "table": _arr(p["table"], n),
                        "row": row,
                        "entity_id": entity,
                        "id_type": p["id_type"],
                        "value": p["value"],
                        "detail": p["detail"],
                    }
                )
            )
        if not out:
            return pa.table({c: pa.array([], pa.string()) for c in TRAP_COLUMNS})
        return pa.concat_tables(out)


def trap_count(n: int, share: float, least: int) -> int:
    """``max(least, round(n * share))``, but never more than a tenth of ``n`` (at least 1)."""
    return int(max(1, min(max(least, round(n * share)), n // 10)))


# ------------------------------------------------------------------------------------------ people traps


def plan_households(
    rng: np.random.Generator, n_customers: int, share: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """Pick family members among customers (households: ``share`` of the customers, at least 3).

    Returns
    -------
    members, household : numpy.ndarray
        Customer rows and the household number of each (members of one household are consecutive, the
        first is the head).
    """
    n_house = trap_count(n_customers, share, 3)
    size = choose(rng, [0, 0, 45, 35, 20], n_house)
    members = rng.permutation(n_customers)[: size.sum()]
    household = np.repeat(np.arange(n_house), size)[: len(members)]
    return members, household


def apply_households(
    rng: np.random.Generator, people: People, members: np.ndarray, household: np.ndarray, log: TrapLog
) -> np.ndarray:
    """Make families: the head's city, often the head's surname, and one shared device on every record.

    Returns
    -------
    numpy.ndarray
        The family device (index into the device book) of every member.
    """
    n_house = int(household.max()) + 1 if len(household) else 0
    head = members[np.searchsorted(household, household)]
    is_head = members == head
    people.city[members] = people.city[head]
    same = ~is_head & (rng.random(len(members)) < 0.6)
    people.names.surname[members[same]] = people.names.surname[head[same]]
    device = people.device_book.extend(sample_devices(rng, n_house))[household]
    slot = np.where(people.devices[members, 0] < 0, 0, 1)
    people.devices[members, slot] = device
    log.add(
        "household",
        "customers",
        index=members,
        id_type="device",
        value=people.device_book.text(device),
        detail=join("household H", pc.cast(pa.array(household), pa.string())),
    )
    return device


def assign_shop_phones(
    rng: np.random.Generator, people: People, n_shops: int, avoid: np.ndarray, log: TrapLog
) -> tuple[np.ndarray, int]:
    """Draw shop delivery phones; the first shop's number is also on its shopkeeper's customer record.

    Returns
    -------
    phones, shopkeeper : numpy.ndarray, int
    """
    in_use = np.concatenate([people.mobiles_in_use(), np.array([int(p) for p in PLACEHOLDER_PHONES])])
    phones = sample_mobiles(rng, n_shops, in_use)
    candidates = np.setdiff1d(np.arange(people.n_customers), avoid)
    keeper = int(rng.choice(candidates))
    people.phones[keeper, 1] = phones[0]
    log.add(
        "shop_phone",
        "customers",
        index=np.array([keeper]),
        id_type="phone",
        value=phone_text(phones[:1]),
        detail="shopkeeper of shop 1",
    )
    return phones, keeper


# ----------------------------------------------------------------------------------------- account traps


def family_accounts(
    rng: np.random.Generator, people: People, accounts: Accounts, members: np.ndarray, device: np.ndarray
) -> np.ndarray:
    """Put the family device on one account of every member; 30% of those keep no other bank identifier.

    Returns
    -------
    numpy.ndarray
        The family accounts.
    """
    ent = accounts.entries
    candidates = np.flatnonzero(np.isin(accounts.owner, members))
    candidates = candidates[rng.permutation(len(candidates))]
    _, first = np.unique(accounts.owner[candidates], return_index=True)
    acct = candidates[first]
    member_pos = np.searchsorted(members[np.argsort(members)], accounts.owner[acct])
    dev = device[np.argsort(members)][member_pos]
    slot = np.where(people.devices[accounts.owner[acct], 0] == dev, 0, 1)
    has = np.isin(acct, ent.owner[(ent.kind == DEVICE) & np.isin(ent.value, dev)])
    ent.add(acct[~has], DEVICE, slot[~has], dev[~has], 0.5)
    only = acct[rng.random(len(acct)) < 0.3]
    drop = (
        np.isin(ent.owner, only)
        & (ent.slot >= 0)
        & (ent.slot <= 1)
        & ~((ent.kind == DEVICE) & np.isin(ent.value, dev))
    )
    ent.keep(~drop)
    # a device-only account usually still has a phone: the owner's private SIM if there is one
    private = people.phones[accounts.owner[only], 2]
    has_phone = np.isin(only, ent.owner[ent.kind == PHONE])
    add = (private >= 0) & ~has_phone
    ent.add(only[add], PHONE, 2, private[add], 0.0)
    return acct


def plant_typos(
    rng: np.random.Generator,
    people: People,
    accounts: Accounts,
    exclude: np.ndarray,
    log: TrapLog,
    in_use: np.ndarray,
    share: float = 0.03,
) -> None:
    """Replace one bank-known phone or email on ``share`` of customers' accounts by a typo of it.

    The typo'd account keeps other evidence: another exact identifier, or else its owner's name.
    """
    ent = accounts.entries
    cust_acc = accounts.owner < people.n_customers
    n_typo = max(1, round(share * cust_acc.sum()))
    ok = (
        ((ent.kind == PHONE) | (ent.kind == EMAIL))
        & (ent.slot >= 0)
        & (ent.slot <= 1)
        & ~np.isin(ent.owner, exclude)
        & cust_acc[ent.owner]
    )
    cand = np.flatnonzero(ok)
    cand = cand[rng.permutation(len(cand))]
    _, first = np.unique(ent.owner[cand], return_index=True)
    chosen = np.sort(cand[first])
    chosen = chosen[rng.permutation(len(chosen))[:n_typo]]
    # phones
    ph = chosen[ent.kind[chosen] == PHONE]
    new = typo_phones(rng, ent.value[ph])
    for _ in range(20):
        clash = np.isin(new, in_use) | (is_mobile(ent.value[ph]) & ~is_mobile(new))
        if not clash.any():
            break
        new[clash] = typo_phones(rng, ent.value[ph][clash])
    clash = np.isin(new, in_use)
    ph, new = ph[~clash], new[~clash]
    log.add(
        "typo",
        "accounts",
        index=ent.owner[ph],
        id_type="phone",
        value=phone_text(new),
        detail=join("of ", phone_text(ent.value[ph])),
    )
    ent.value[ph] = new
    ent.typo[ph] = True
    # emails
    em = chosen[ent.kind[chosen] == EMAIL]
    book = people.email_book
    local = typo_email_locals(rng, book.local.take(pa.array(ent.value[em])).to_pylist())
    n_before = len(book)
    idx = book.extend(pa.array(local, pa.string()), book.domain[ent.value[em]])
    new_text = book.text(idx)
    fresh = ~pc.is_in(new_text, value_set=book.text(np.arange(n_before))).to_numpy(zero_copy_only=False)
    fresh &= ~new_text.to_pandas().duplicated(keep=False).to_numpy()
    em, idx = em[fresh], idx[fresh]
    log.add(
        "typo",
        "accounts",
        index=ent.owner[em],
        id_type="email",
        value=book.text(idx),
        detail=join("of ", book.text(ent.value[em])),
    )
    ent.value[em] = idx
    ent.typo[em] = True
    # other evidence
    acct = ent.owner[np.concatenate([ph, em])]
    exact = (ent.slot >= 0) & (ent.slot <= 1) & ~ent.typo
    alone = acct[~np.isin(acct, ent.owner[exact])]
    accounts.name_style[alone] = np.where(rng.random(len(alone)) < 0.6, REAL, PINYIN)
    weak = acct[np.isin(acct, ent.owner[exact]) & (rng.random(len(acct)) < 0.3)]
    accounts.name_style[weak] = np.where(
        accounts.name_style[weak] == ONE_OFF, REAL, accounts.name_style[weak]
    )


def plant_recycled(
    rng: np.random.Generator,
    people: People,
    accounts: Accounts,
    customers: np.ndarray,
    as_of: int,
    start_floor: int,
    log: TrapLog,
) -> np.ndarray:
    """Give non-customers' old accounts the numbers that ``customers`` later verified with the bank.

    Returns
    -------
    numpy.ndarray
        The recycled accounts.
    """
    ent = accounts.entries
    others = np.flatnonzero(accounts.owner >= people.n_customers)
    acct = rng.choice(others, len(customers), replace=False)
    number = people.phones[customers, 0]
    ent.keep(~(np.isin(ent.owner, acct) & (ent.kind == PHONE)))
    ent.add(acct, PHONE, FOREIGN, number, 0.0)
    last_day = as_of - rng.integers(400, 1800, len(acct))
    reg_day = np.maximum(last_day - rng.integers(60, 1500, len(acct)), start_floor)
    accounts.registered[acct] = reg_day * DAY + rng.integers(0, DAY, len(acct))
    accounts.last_seen[acct] = last_day * DAY + rng.integers(0, DAY, len(acct))
    since = last_day + rng.integers(30, 365, len(acct))
    people.phone_since[customers, 0] = np.minimum(since, as_of - 1)
    text = phone_text(number)
    detail = join(
        "account last seen ",
        date_text(last_day),
        "; customer verified ",
        date_text(people.phone_since[customers, 0]),
    )
    log.add("recycled_phone", "accounts", index=acct, id_type="phone", value=text, detail=detail)
    log.add("recycled_phone", "customers", index=customers, id_type="phone", value=text, detail=detail)
    return acct


def plant_shop_phones(
    rng: np.random.Generator,
    accounts: Accounts,
    phones: np.ndarray,
    per_shop: int,
    shopkeeper: int,
    log: TrapLog,
) -> None:
    """Put each shop's delivery phone on ``per_shop`` accounts of unrelated people."""
    ent = accounts.entries
    candidates = np.flatnonzero(accounts.owner != shopkeeper)
    for k, phone in enumerate(phones):
        acct = rng.choice(candidates, min(per_shop, len(candidates)), replace=False)
        ent.add(acct, PHONE, FOREIGN, np.full(len(acct), phone), rng.random(len(acct)) * 2)
        log.add(
            "shop_phone",
            "accounts",
            index=acct,
            id_type="phone",
            value=phone_text(phone[None]).to_pylist()[0],
            detail=f"shop {k + 1}",
        )


def _spell_placeholder_emails(rng: np.random.Generator, value: str, n: int) -> pa.Array:
    base = pa.array([value] * n, pa.string())
    style = choose(rng, [80, 10, 10], n)
    out = pc.if_else(pa.array(style == 1), pc.utf8_upper(base), base)
    return pc.if_else(pa.array(style == 2), pc.utf8_capitalize(base), out)


def plant_placeholders(
    rng: np.random.Generator,
    accounts: Accounts,
    per_value: int,
    log: TrapLog,
    phones: tuple[str, ...] = PLACEHOLDER_PHONES,
    emails: tuple[str, ...] = PLACEHOLDER_EMAILS,
) -> None:
    """Put each placeholder phone, placeholder email and junk device on ``per_value`` random accounts."""
    ent = accounts.entries
    n = len(accounts)
    for value in phones:
        acct = rng.choice(n, per_value, replace=False)
        weights = ACCOUNT_MOBILE_WEIGHTS if value[0] == "1" else (80, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0)
        ent.add(
            acct,
            PHONE,
            FOREIGN,
            -1,
            rng.random(per_value) * 2,
            raw=spell_digit_strings(rng, [value] * per_value, weights),
        )
        log.add("placeholder_phone", "accounts", index=acct, id_type="phone", value=value)
    for value in emails:
        acct = rng.choice(n, per_value, replace=False)
        ent.add(
            acct,
            EMAIL,
            FOREIGN,
            -1,
            rng.random(per_value) * 2,
            raw=_spell_placeholder_emails(rng, value, per_value),
        )
        log.add("placeholder_email", "accounts", index=acct, id_type="email", value=value)
    for idfa, text in ((True, "uuid:" + ZERO_IDFA), (False, "aid:" + JUNK_ANDROID_ID)):
        acct = rng.choice(n, per_value, replace=False)
        ent.add(
            acct, DEVICE, FOREIGN, -1, rng.random(per_value) * 2, raw=spell_junk_devices(rng, per_value, idfa)
        )
        log.add("junk_device", "accounts", index=acct, id_type="device", value=text)


def plant_customer_junk(
    rng: np.random.Generator, people: People, entries: Entries, n: int, as_of: int, log: TrapLog
) -> None:
    """A few customer records carry a placeholder phone or email or the all-zero IDFA too."""
    cust = rng.choice(people.n_customers, n, replace=False)
    what = np.arange(n) % 4
    cases = (
        (PHONE, "13800138000", "placeholder_phone", "13800138000"),
        (PHONE, "00000000000", "placeholder_phone", "00000000000"),
        (EMAIL, "test@test.com", "placeholder_email", "test@test.com"),
        (DEVICE, ZERO_IDFA, "junk_device", "uuid:" + ZERO_IDFA),
    )
    for k, (kind, raw, trap, value) in enumerate(cases):
        c = cust[what == k]
        since = as_of - rng.integers(30, 2000, len(c)) if kind == PHONE else -1
        entries.add(c, kind, FOREIGN, -1, 5.0, raw=pa.array([raw] * len(c), pa.string()), since=since)
        log.add(trap, "customers", index=c, id_type=ID_TYPES[kind], value=value)


def log_household_accounts(
    people: People, accounts: Accounts, family_device: np.ndarray, log: TrapLog
) -> None:
    """Log accounts that carry a family device, and those whose only bank identifier is that device."""
    ent = accounts.entries
    on_family = (ent.kind == DEVICE) & (ent.slot >= 0) & np.isin(ent.value, family_device)
    acct = np.unique(ent.owner[on_family])
    if not len(acct):
        return
    dev = people.device_book.text(ent.value[on_family][np.unique(ent.owner[on_family], return_index=True)[1]])
    log.add("household_device", "accounts", index=acct, id_type="device", value=dev)
    other = (ent.slot >= 0) & (ent.slot <= 1) & ~on_family
    cust = accounts.owner[acct] < people.n_customers
    only = cust & ~np.isin(acct, ent.owner[other])
    log.add(
        "household_device_only",
        "accounts",
        index=acct[only],
        id_type="device",
        value=dev.filter(pa.array(only)),
        detail="only the family device links this account to its owner's record",
    )


def eligible_recycled(rng: np.random.Generator, people: People, n: int, avoid: np.ndarray) -> np.ndarray:
    """Customers (not closed, not in ``avoid``) whose first phone will be a recycled number."""
    ok = np.setdiff1d(np.flatnonzero(people.status[: people.n_customers] != CLOSED), avoid)
    return rng.choice(ok, min(n, len(ok)), replace=False)
