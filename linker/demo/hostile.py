"""The traps real identity data adds to the default ones, and the trap rates (profile ``hostile``).

Trap names as written in ``truth/traps`` (``detail`` holds the dates and the customer concerned):

``reassigned_phone``
    A customer's number was given up and reassigned by the operator to someone else (a non-customer or another
    customer, with another name), whose accounts now carry it; the customer's bank record still lists it.
    Logged on the former holder's record (``held until``), on the new holder's accounts and, when the new
    holder is a customer, on their record (``holder since``), and on the former holder's accounts opened
    before the release, which still carry it (those opened after carry their new number).
``relative_phone``, ``relative_device``, ``relative_near_number``
    A relative (same city, usually the same surname; a customer or not) whose own accounts carry the
    customer's phone or device (registered with a parent's phone, the family tablet), or the neighbouring
    number of the customer's (family plans hand out consecutive numbers).
``office_phone``
    An office switchboard on the records of the customers who work there and on one account of each of its
    3 to 15 employees: fewer holders than any sensible hub threshold.
``shop_phone`` (detail ``small shop``)
    A small shop's or a parcel station's mobile on 8 to 25 unrelated accounts; a third of the shopkeepers are
    customers with the number on their record and on one of their own accounts.
``namesake``
    A non-customer with exactly a customer's name, in the same city, whose email is one edit (a digit) away
    from the customer's: ``zhangwei88@163.com`` and ``zhangwei89@163.com``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from linker.demo.accounts import Accounts
from linker.demo.arrays import DAY, date_text, join, take
from linker.demo.customers import customer_ids
from linker.demo.emails import DOMAIN_TEXT, PLACEHOLDER_EMAILS
from linker.demo.entries import DEVICE, EMAIL, FOREIGN, PHONE
from linker.demo.people import People
from linker.demo.phones import PLACEHOLDER_PHONES, is_mobile, phone_text, sample_landlines, sample_mobiles
from linker.demo.profiles import Profile
from linker.demo.traps import TrapLog, trap_count


@dataclass(frozen=True)
class TrapRates:
    """How often the default traps are planted (shares of customers or accounts)."""

    households: float = 0.01
    recycled: float = 0.005
    typos: float = 0.03
    placeholders: float = 0.0015
    customer_junk: float = 0.002
    customer_accounts: float = 0.6


DEFAULT_RATES = TrapRates()
#: The hostile profile: four times the households and recycled numbers and the share of typos, nearly three
#: times the placeholders, and more accounts of people who are not customers.
HOSTILE_RATES = TrapRates(households=0.04, recycled=0.02, typos=0.08, placeholders=0.004, customer_junk=0.006,
                          customer_accounts=0.35)
#: Placeholders the hostile profile adds to :data:`linker.demo.phones.PLACEHOLDER_PHONES` and the default
#: placeholder emails; some look like real numbers.
MORE_PLACEHOLDER_PHONES: tuple[str, ...] = ("18888888888", "11111111111", "13000000000", "19999999999")
MORE_PLACEHOLDER_EMAILS: tuple[str, ...] = ("1@qq.com", "123@163.com", "xxx@xxx.com", "none@none.com")


def trap_rates(profile: Profile) -> TrapRates:
    """The trap rates of a profile."""
    return HOSTILE_RATES if profile.hostile else DEFAULT_RATES


def placeholder_values(profile: Profile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The placeholder phones and emails a profile plants."""
    if profile.hostile:
        return PLACEHOLDER_PHONES + MORE_PLACEHOLDER_PHONES, PLACEHOLDER_EMAILS + MORE_PLACEHOLDER_EMAILS
    return PLACEHOLDER_PHONES, PLACEHOLDER_EMAILS


@dataclass
class RecordPhones:
    """Phones to add to customer records (office switchboards, shop phones), with the day each was got."""

    customer: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray] = field(default_factory=list)
    since: list[np.ndarray] = field(default_factory=list)

    def add(self, customer: np.ndarray, value: np.ndarray, since: np.ndarray) -> None:
        self.customer.append(np.asarray(customer, np.int64))
        self.value.append(np.asarray(value, np.int64))
        self.since.append(np.asarray(since, np.int64))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Customers, values and days, concatenated."""
        if not self.customer:
            return (np.empty(0, np.int64),) * 3  # type: ignore[return-value]
        return np.concatenate(self.customer), np.concatenate(self.value), np.concatenate(self.since)


class Pool:
    """People not yet used by a hostile trap: customers and non-customers who own at least one account."""

    def __init__(self, people: People, accounts: Accounts, avoid: np.ndarray) -> None:
        self.n_customers = people.n_customers
        self.free = np.zeros(len(people), dtype=bool)
        self.free[np.unique(accounts.owner)] = True
        self.free[np.asarray(avoid, dtype=np.int64)] = False

    def take(self, rng: np.random.Generator, n: int, customers: bool, where: np.ndarray | None = None) -> np.ndarray:
        """Up to ``n`` free people (customers or not), marked used."""
        ok = self.free.copy()
        side = np.arange(len(ok)) < self.n_customers
        ok &= side if customers else ~side
        if where is not None:
            ok &= where
        chosen = rng.permutation(np.flatnonzero(ok))[:n]
        self.free[chosen] = False
        return chosen

    def mixed(self, rng: np.random.Generator, n: int, customer_share: float) -> np.ndarray:
        """``n`` people, about ``customer_share`` of them customers, in random order."""
        k = round(n * customer_share)
        both = np.concatenate([self.take(rng, k, True), self.take(rng, n - k, False)])
        return rng.permutation(both)


def _accounts_of(accounts: Accounts, persons: np.ndarray) -> np.ndarray:
    """Row numbers of the accounts owned by ``persons``."""
    return np.flatnonzero(np.isin(accounts.owner, persons))


def _one_account_each(rng: np.random.Generator, accounts: Accounts, persons: np.ndarray) -> np.ndarray:
    """One random account of each person (all of them own one)."""
    acct = _accounts_of(accounts, persons)
    acct = acct[rng.permutation(len(acct))]
    owners, first = np.unique(accounts.owner[acct], return_index=True)
    pick = dict(zip(owners.tolist(), acct[first].tolist(), strict=True))
    return np.array([pick[p] for p in persons.tolist()], dtype=np.int64)


def _switch_number(accounts: Accounts, persons: np.ndarray, old: np.ndarray, new: np.ndarray,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """Replace each person's number ``old`` by ``new`` on their accounts (only ``rows`` if given).

    Returns the entry positions changed.
    """
    ent = accounts.entries
    key = (accounts.owner[ent.owner] << 35) | np.maximum(ent.value, 0)
    want = (np.asarray(persons, np.int64) << 35) | np.asarray(old, np.int64)
    if not len(want):
        return np.empty(0, np.int64)
    order = np.argsort(want)
    pos = np.minimum(np.searchsorted(want[order], key), len(want) - 1)
    hit = (ent.kind == PHONE) & (ent.slot >= 0) & (want[order][pos] == key) & ~ent.typo
    if rows is not None:
        hit &= np.isin(ent.owner, rows)
    changed = np.flatnonzero(hit)
    ent.value[changed] = np.asarray(new, np.int64)[order][pos[changed]]
    return changed


def plant_reassigned(rng: np.random.Generator, people: People, accounts: Accounts, pool: Pool, n: int,
                     as_of: int, in_use: np.ndarray, log: TrapLog) -> None:
    """Reassign ``n`` customers' first numbers to other people (see the module docstring)."""
    since = people.phone_since[: people.n_customers, 0].astype(np.int64)
    first = people.phones[: people.n_customers, 0]
    ok = np.zeros(len(people), dtype=bool)
    ok[: people.n_customers] = is_mobile(first) & (since < as_of - 700)
    former = pool.take(rng, n, True, ok)
    n = len(former)
    holder = pool.mixed(rng, n, 0.3)[:n]
    holder = holder[is_mobile(people.phones[holder, 0])]
    former, n = former[: len(holder)], len(holder)
    if not n:
        return
    number = people.phones[former, 0]
    low = np.maximum(people.phone_since[former, 0].astype(np.int64) + 200, as_of - 8 * 365)
    released = low + (rng.random(n) * np.maximum(as_of - 420 - low, 1)).astype(np.int64)
    acquired = released + rng.integers(60, 366, n)
    # the new holder's accounts switch to the number; half of those accounts are opened after getting it
    changed = _switch_number(accounts, holder, people.phones[holder, 0], number)
    people.phones[holder, 0] = number
    people.phone_since[holder, 0] = acquired + rng.integers(0, 30, n)
    lacking = holder[~np.isin(holder, accounts.owner[accounts.entries.owner[changed]])]
    extra = _one_account_each(rng, accounts, lacking)
    accounts.entries.add(extra, PHONE, 0, people.phones[lacking, 0], 0.0)
    carrying = np.unique(np.concatenate([accounts.entries.owner[changed], extra]))
    got = dict(zip(holder.tolist(), acquired.tolist(), strict=True))
    moved = carrying[rng.random(len(carrying)) < 0.5]
    start = np.array([got[p] for p in accounts.owner[moved].tolist()], dtype=np.int64)
    reg_day = start + (rng.random(len(moved)) * np.maximum(as_of - 5 - start, 1)).astype(np.int64)
    accounts.registered[moved] = reg_day * DAY + rng.integers(0, DAY, len(moved))
    accounts.last_seen[moved] = np.maximum(accounts.last_seen[moved], accounts.registered[moved])
    # the former holder's accounts opened after the release carry the new number
    fresh = sample_mobiles(rng, n, np.concatenate([in_use, people.mobiles_in_use()]))
    people.phones[former, 2] = fresh
    after = _accounts_of(accounts, former)
    rel = dict(zip(former.tolist(), released.tolist(), strict=True))
    release_day = np.array([rel[p] for p in accounts.owner[after].tolist()], dtype=np.int64)
    late = accounts.registered[after] // DAY > release_day
    # a late account whose only tie to the record is the number was, in fact, opened before the release
    ent = accounts.entries
    tied = np.isin(after, ent.owner[(ent.slot >= 0) & (ent.slot <= 1) & ~np.isin(ent.value, number) & ~ent.typo])
    back = late & ~tied
    back_day = release_day[back] - rng.integers(30, 400, int(back.sum()))
    accounts.registered[after[back]] = back_day * DAY + rng.integers(0, DAY, int(back.sum()))
    _switch_number(accounts, former, number, fresh, rows=after[late & tied])
    kept = np.isin(ent.owner, after) & (ent.kind == PHONE) & np.isin(ent.value, number) & (ent.slot >= 0)
    old_accounts, at = np.unique(ent.owner[kept], return_index=True)
    by_number = {v: i for i, v in enumerate(number.tolist())}
    j = np.array([by_number[v] for v in ent.value[kept][at].tolist()], dtype=np.int64)
    ids = customer_ids(people.n_customers)
    text = phone_text(number)
    log.add("reassigned_phone", "customers", index=former, id_type="phone", value=text,
            detail=join("held until ", date_text(released), "; reassigned ", date_text(acquired)))
    by_holder = {p: i for i, p in enumerate(holder.tolist())}
    k = np.array([by_holder[p] for p in accounts.owner[carrying].tolist()], dtype=np.int64)
    log.add("reassigned_phone", "accounts", index=carrying, id_type="phone", value=text.take(pa.array(k)),
            detail=join("holder since ", date_text(acquired[k]), "; former holder ",
                        ids.take(pa.array(former[k])), " held it until ", date_text(released[k])))
    cust = holder < people.n_customers
    log.add("reassigned_phone", "customers", index=holder[cust], id_type="phone", value=text.filter(pa.array(cust)),
            detail=join("holder since ", date_text(acquired[cust])))
    log.add("reassigned_phone", "accounts", index=old_accounts, id_type="phone", value=text.take(pa.array(j)),
            detail=join("account of the former holder, opened before ", date_text(released[j]), "; holder since ",
                        date_text(acquired[j])))


def plant_relatives(rng: np.random.Generator, people: People, accounts: Accounts, pool: Pool, n: int,
                    in_use: np.ndarray, log: TrapLog) -> None:
    """``n`` relatives of customers whose accounts carry the customer's phone, device or neighbouring number."""
    customer = pool.take(rng, n, True, is_mobile(people.phones[:, 0]))
    relative = pool.mixed(rng, len(customer), 0.3)
    customer = customer[: len(relative)]
    n = len(customer)
    if not n:
        return
    same = rng.random(n) < 0.8
    people.names.surname[relative[same]] = people.names.surname[customer[same]]
    people.city[relative] = people.city[customer]
    device = np.where(people.devices[customer, 0] >= 0, people.devices[customer, 0], people.devices[customer, 1])
    kind = rng.choice(3, n, p=[0.4, 0.3, 0.3])
    kind[(kind == 1) & (device < 0)] = 0
    ids = customer_ids(people.n_customers)
    detail = join("relative of ", ids.take(pa.array(customer)))
    acct = _one_account_each(rng, accounts, relative)
    phone = kind == 0
    accounts.entries.add(acct[phone], PHONE, FOREIGN, people.phones[customer[phone], 0], rng.random(int(phone.sum())))
    log.add("relative_phone", "accounts", index=acct[phone], id_type="phone",
            value=phone_text(people.phones[customer[phone], 0]), detail=detail.filter(pa.array(phone)))
    dev = kind == 1
    accounts.entries.add(acct[dev], DEVICE, FOREIGN, device[dev], rng.random(int(dev.sum())))
    log.add("relative_device", "accounts", index=acct[dev], id_type="device",
            value=people.device_book.text(device[dev]), detail=detail.filter(pa.array(dev)))
    # consecutive numbers: the relative's own number becomes the customer's plus or minus one
    near = np.flatnonzero((kind == 2) & is_mobile(people.phones[relative, 0]))
    taken = np.concatenate([in_use, people.mobiles_in_use()])
    number = people.phones[customer[near], 0] + np.where(rng.random(len(near)) < 0.5, 1, -1)
    free = ~np.isin(number, taken) & is_mobile(number)
    near, number = near[free], number[free]
    who = relative[near]
    changed = _switch_number(accounts, who, people.phones[who, 0], number)
    people.phones[who, 0] = number
    lacking = ~np.isin(who, accounts.owner[accounts.entries.owner[changed]])
    accounts.entries.add(acct[near[lacking]], PHONE, 0, number[lacking], 0.0)
    carrying = np.unique(np.concatenate([accounts.entries.owner[changed], acct[near[lacking]]]))
    pos = {p: i for i, p in enumerate(who.tolist())}
    k = np.array([pos[p] for p in accounts.owner[carrying].tolist()], dtype=np.int64)
    near_detail = detail.take(pa.array(near))
    log.add("relative_near_number", "accounts", index=carrying, id_type="phone", value=phone_text(number[k]),
            detail=near_detail.take(pa.array(k)))
    cust = who < people.n_customers
    log.add("relative_near_number", "customers", index=who[cust], id_type="phone", value=phone_text(number[cust]),
            detail=near_detail.filter(pa.array(cust)))


def plant_offices(rng: np.random.Generator, people: People, accounts: Accounts, pool: Pool, n_offices: int,
                  in_use: np.ndarray, as_of: int, record: RecordPhones, log: TrapLog) -> None:
    """Office switchboards shared by 3 to 15 colleagues (40% of them customers): on one account of each and
    on the customers' records."""
    size = rng.integers(3, 16, n_offices)
    staff = pool.mixed(rng, int(size.sum()), 0.4)
    office = np.repeat(np.arange(n_offices), size)[: len(staff)]
    _, first, inverse = np.unique(office, return_index=True, return_inverse=True)
    people.city[staff] = people.city[staff[first]][inverse]
    number = sample_landlines(rng, people.city[staff[first]].astype(np.int64))[inverse]
    clash = np.isin(number, np.concatenate([in_use, people.phones.ravel()]))
    staff, office, number = staff[~clash], office[~clash], number[~clash]
    acct = _one_account_each(rng, accounts, staff)
    accounts.entries.add(acct, PHONE, FOREIGN, number, rng.random(len(acct)) * 2)
    detail = join("office ", pa.array(office).cast(pa.string()))
    log.add("office_phone", "accounts", index=acct, id_type="phone", value=phone_text(number), detail=detail)
    cust = staff < people.n_customers
    record.add(staff[cust], number[cust], as_of - rng.integers(60, 3000, int(cust.sum())))
    log.add("office_phone", "customers", index=staff[cust], id_type="phone", value=phone_text(number[cust]),
            detail=detail.filter(pa.array(cust)))


def plant_small_shops(rng: np.random.Generator, people: People, accounts: Accounts, pool: Pool, n_shops: int,
                      in_use: np.ndarray, as_of: int, record: RecordPhones, log: TrapLog) -> None:
    """Small shops' mobiles on 8 to 25 unrelated accounts; a third of the shopkeepers are customers whose
    record and own account carry it too."""
    number = sample_mobiles(rng, n_shops, np.concatenate([in_use, people.mobiles_in_use()]))
    size = rng.integers(8, 26, n_shops)
    shop = np.repeat(np.arange(n_shops), size)
    acct = rng.integers(0, len(accounts), len(shop))
    _, first = np.unique(shop * len(accounts) + acct, return_index=True)
    shop, acct = shop[np.sort(first)], acct[np.sort(first)]
    accounts.entries.add(acct, PHONE, FOREIGN, number[shop], rng.random(len(acct)) * 2)
    detail = join("small shop ", pa.array(shop).cast(pa.string()))
    log.add("shop_phone", "accounts", index=acct, id_type="phone", value=phone_text(number[shop]), detail=detail)
    keeper = pool.take(rng, n_shops // 3, True)
    own = _one_account_each(rng, accounts, keeper)
    k = np.arange(len(keeper))
    accounts.entries.add(own, PHONE, 0, number[k], 1.0)
    record.add(keeper, number[k], as_of - rng.integers(200, 3000, len(keeper)))
    keeper_detail = join("keeper of small shop ", pa.array(k).cast(pa.string()))
    log.add("shop_phone", "customers", index=keeper, id_type="phone", value=phone_text(number[k]),
            detail=keeper_detail)


def plant_namesakes(rng: np.random.Generator, people: People, accounts: Accounts, pool: Pool, n: int,
                    log: TrapLog) -> None:
    """Non-customers named exactly as a customer, in the same city, with an email one digit away."""
    has_email = np.zeros(len(people), dtype=bool)
    has_email[: people.n_customers] = people.emails[: people.n_customers, 0] >= 0
    customer = pool.take(rng, n, True, has_email)
    twin = pool.take(rng, len(customer), False)
    customer = customer[: len(twin)]
    if not len(twin):
        return
    book = people.email_book
    source = people.emails[customer, 0]
    taken = set(book.text().to_pylist())
    local = [
        _digit_away(rng, text, domain, taken)
        for text, domain in zip(book.local.take(pa.array(source)).to_pylist(),
                                take(DOMAIN_TEXT, book.domain[source]).to_pylist(), strict=True)
    ]
    free = np.array([v is not None for v in local], dtype=bool)
    customer, twin, source = customer[free], twin[free], source[free]
    new = book.extend(pa.array([v for v in local if v is not None], pa.string()), book.domain[source])
    names = people.names
    for arr in (names.surname, names.given1, names.given2):
        arr[twin] = arr[customer]
    people.city[twin] = people.city[customer]
    people.emails[twin, 0] = new
    acct = _one_account_each(rng, accounts, twin)
    ent = accounts.entries
    ent.keep(~(np.isin(ent.owner, acct) & (ent.kind == EMAIL) & (ent.slot == 0)))
    ent.add(acct, EMAIL, 0, new, 0.5)
    ids = customer_ids(people.n_customers)
    log.add("namesake", "accounts", index=acct, id_type="email", value=book.text(new),
            detail=join("namesake of ", ids.take(pa.array(customer)), " whose email is ", book.text(source)))


def _digit_away(rng: np.random.Generator, local: str, domain: str, taken: set[str]) -> str | None:
    """``local`` one edit away in a digit (the last digit changed, or a digit appended), giving an address not
    in ``taken``; None when none is free."""
    for _ in range(20):
        digit = str(int(rng.integers(0, 10)))
        candidate = local[:-1] + digit if local[-1].isdigit() and rng.random() < 0.7 else local + digit
        if candidate != local and f"{candidate}@{domain}" not in taken:
            return candidate
    return None


def plant_hostile(rng: np.random.Generator, people: People, accounts: Accounts, avoid: np.ndarray,
                  in_use: np.ndarray, as_of: int, record: RecordPhones, log: TrapLog) -> None:
    """Every trap of this module, each on people no other hostile trap uses.

    Parameters
    ----------
    avoid : numpy.ndarray
        People the default traps already use (households, the shopkeeper, recycled numbers' holders); people
        with a typo'd identifier are left alone too.
    in_use : numpy.ndarray
        Numbers in use besides people's own (shop phones, placeholders).
    record : RecordPhones
        Receives the phones to add to customer records.
    """
    n_cust, n_acc = people.n_customers, len(accounts)
    in_use = np.concatenate([in_use, np.array([int(p) for p in MORE_PLACEHOLDER_PHONES])])
    typo_owners = accounts.owner[accounts.entries.owner[accounts.entries.typo]]  # their numbers stay put
    pool = Pool(people, accounts, np.concatenate([avoid, typo_owners]))
    plant_reassigned(rng, people, accounts, pool, trap_count(n_cust, 0.02, 3), as_of, in_use, log)
    plant_relatives(rng, people, accounts, pool, trap_count(n_cust, 0.03, 3), in_use, log)
    plant_offices(rng, people, accounts, pool, trap_count(n_cust, 0.003, 2), in_use, as_of, record, log)
    plant_small_shops(rng, people, accounts, pool, max(3, n_acc // 1500), in_use, as_of, record, log)
    plant_namesakes(rng, people, accounts, pool, trap_count(n_cust, 0.015, 3), log)
