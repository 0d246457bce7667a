"""Everyday behaviour (purchases, browsing, card spend) for everyone, merged with the story events and written
in chunks of about a million rows so memory stays bounded at any size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.accounts import Accounts
from linker.demo.arrays import (
    DAY,
    as_str,
    cdf,
    choose,
    choose_rows,
    join,
    money,
    padded,
    rng_for,
    scatter,
    take,
    tenths,
    time_text,
)
from linker.demo.badrows import BROWSING, PURCHASES, TRANSACTIONS, break_events
from linker.demo.catalog import (
    ACTIONS,
    BY_ACCOUNT,
    BY_DEVICE,
    CATEGORY_LIST,
    CATEGORY_TEXT,
    CATEGORY_TOPIC,
    DEVICE_KEY_CDF,
    MCC_INDEX,
    MCC_TEXT,
    MERCHANT_CHAIN,
    MERCHANT_TEXT,
    POOL_CODES,
    TOPIC_CODES,
    TOPIC_LIST,
    Events,
    sample_times,
)
from linker.demo.customers import CITY_TEXT
from linker.demo.entries import DEVICE
from linker.demo.identifiers import spell_devices, spell_junk_devices
from linker.demo.people import CLOSED, DORMANT, People
from linker.demo.traps import TrapLog
from linker.demo.vocab import (
    BACKGROUND_MCC,
    BACKGROUND_TOPIC_WEIGHTS,
    DECOY_BROWSE_SHARE,
    NEED_TOPICS,
    TOPIC_MEDIAN_AMOUNT,
)
from linker.demo.writer import TableWriter

if TYPE_CHECKING:
    from linker.demo.interests import InterestBehaviour

#: Events generated and written per chunk.
CHUNK = 1_000_000
#: Share of everyday events that are browsing (the rest are purchases).
BROWSE_SHARE = 0.7

PURCHASE_COLUMNS = ["order_id", "account_id", "order_time", "category", "amount", "quantity"]
BROWSING_COLUMNS = [
    "event_id",
    "account_id",
    "device_id",
    "event_time",
    "category",
    "action",
    "dwell_seconds",
]
TRANSACTION_COLUMNS = ["txn_id", "customer_id", "txn_time", "amount", "mcc", "merchant"]


def _category_cdfs() -> np.ndarray:
    """Distributions over category codes: rows purchase-F, purchase-M, browse-F, browse-M."""
    n = len(CATEGORY_LIST)
    rows = []
    need_codes = np.concatenate([TOPIC_CODES[t] for ts in NEED_TOPICS.values() for t in ts])
    for col in range(4):
        w = np.zeros(n)
        for topic, weights in BACKGROUND_TOPIC_WEIGHTS.items():
            codes = TOPIC_CODES[topic]
            w[codes] = weights[col] / len(codes)
        w /= w.sum()
        if col >= 2:
            w *= 1 - DECOY_BROWSE_SHARE
            w[need_codes] += DECOY_BROWSE_SHARE / len(need_codes)
        rows.append(cdf(w))
    return np.stack(rows)


_CATEGORY_CDFS = _category_cdfs()
_MEDIAN_CENTS = np.array(
    [TOPIC_MEDIAN_AMOUNT.get(TOPIC_LIST[t], 100) * 100 for t in CATEGORY_TOPIC], dtype=float
)
_BG_MCC = np.array([MCC_INDEX[m] for m in BACKGROUND_MCC])
_BG_MCC_WEIGHT = np.array([w for w, _, _ in BACKGROUND_MCC.values()])
_BG_MCC_MEDIAN = np.array([m * 100 for _, m, _ in BACKGROUND_MCC.values()], dtype=float)
_BG_POOLS = [POOL_CODES[p] for _, _, p in BACKGROUND_MCC.values()]


def account_devices(accounts: Accounts) -> np.ndarray:
    """One of each account's own devices (index into the device book), ``-1`` for accounts without."""
    ent = accounts.entries
    m = (ent.kind == DEVICE) & (ent.slot >= 0)
    out = np.full(len(accounts), -1, dtype=np.int64)
    out[ent.owner[m][::-1]] = ent.value[m][::-1]
    return out


@dataclass
class Counts:
    """Rows written per event table (including broken rows)."""

    purchases: int = 0
    browsing: int = 0
    transactions: int = 0


def _windows(accounts: Accounts, start: int, as_of: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.maximum(accounts.registered // DAY, start)
    hi = np.minimum(accounts.last_seen // DAY, as_of)
    return lo, hi


def _background(
    rng: np.random.Generator,
    people: People,
    accounts: Accounts,
    first: int,
    counts: np.ndarray,
    start: int,
    as_of: int,
    device: np.ndarray,
) -> tuple[Events, Events]:
    """Everyday purchases and browsing of accounts ``first .. first+len(counts)``."""
    who = np.repeat(np.arange(first, first + len(counts)), counts)
    n = len(who)
    lo, hi = _windows(accounts, start, as_of)
    day = lo[who] + (rng.random(n) * (hi[who] - lo[who] + 1)).astype(np.int64)
    time = np.clip(sample_times(rng, day), accounts.registered[who], accounts.last_seen[who])
    browse = rng.random(n) < BROWSE_SHARE
    male = ~people.female[accounts.owner[who]]
    code = _pick_codes(rng, browse * 2 + male)
    p, b = ~browse, browse
    k = int(p.sum())
    purchases = Events.build(
        k,
        who=who[p],
        time=time[p],
        code=code[p],
        amount=np.maximum(np.round(_MEDIAN_CENTS[code[p]] * np.exp(rng.normal(0, 0.6, k))), 100).astype(
            np.int64
        ),
        quantity=np.where(rng.random(k) < 0.8, 1, rng.integers(2, 6, k)),
    )
    k = int(b.sum())
    key = np.searchsorted(DEVICE_KEY_CDF, rng.random(k), side="right")
    key[device[who[b]] < 0] = BY_ACCOUNT
    browsing = Events.build(
        k,
        who=who[b],
        time=time[b],
        code=code[b],
        amount=np.clip(np.exp(rng.normal(np.log(250), 0.9, k)), 10, 36_000).astype(np.int64),
        action=np.searchsorted([0.70, 0.82, 0.92], rng.random(k), side="right"),
        key=key,
    )
    return purchases, browsing


def _pick_codes(rng: np.random.Generator, row: np.ndarray) -> np.ndarray:
    return choose_rows(rng, _CATEGORY_CDFS, row)


def _sorted(events: Events) -> Events:
    return events.take(np.argsort(events.time, kind="stable"))


def _render_purchases(ev: Events, offset: int, account_id: pa.Array, categories: pa.Array) -> pa.Table:
    return pa.table(
        {
            "order_id": padded(offset + 1 + np.arange(len(ev)), 10, "O"),
            "account_id": account_id.take(pa.array(ev.who)),
            "order_time": time_text(ev.time),
            "category": take(categories, ev.code),
            "amount": money(ev.amount),
            "quantity": as_str(ev.quantity),
        }
    )


def _render_browsing(
    rng: np.random.Generator,
    ev: Events,
    offset: int,
    account_id: pa.Array,
    people: People,
    device: np.ndarray,
    junk: np.ndarray,
    categories: pa.Array,
) -> pa.Table:
    n = len(ev)
    by_dev = ev.key != BY_ACCOUNT
    dev_pos = np.flatnonzero(by_dev & ~junk)
    junk_pos = np.flatnonzero(junk)
    idfa = rng.random(len(junk_pos)) < 0.5
    dev_text = scatter(
        n,
        [
            (dev_pos, spell_devices(rng, people.device_book, device[ev.who[dev_pos]])),
            (junk_pos[idfa], spell_junk_devices(rng, int(idfa.sum()), True)),
            (junk_pos[~idfa], spell_junk_devices(rng, int((~idfa).sum()), False)),
        ],
    )
    acct = account_id.take(pa.array(ev.who))
    acct = pc.if_else(pa.array((ev.key == BY_DEVICE) | junk), pa.nulls(n, pa.string()), acct)
    return pa.table(
        {
            "event_id": padded(offset + 1 + np.arange(n), 10, "E"),
            "account_id": acct,
            "device_id": dev_text,
            "event_time": time_text(ev.time),
            "category": take(categories, ev.code),
            "action": take(list(ACTIONS), ev.action),
            "dwell_seconds": tenths(ev.amount),
        }
    )


def _split(events: Events, parts: int, rng: np.random.Generator) -> list[Events]:
    order = rng.permutation(len(events))
    return [events.take(ix) for ix in np.array_split(order, parts)]


def write_events(
    seed: int,
    people: People,
    accounts: Accounts,
    story_purchases: Events,
    story_browsing: Events,
    n_events: int,
    start: int,
    as_of: int,
    account_id: pa.Array,
    writers: dict[str, TableWriter],
    log: TrapLog,
    traps: bool,
    behaviour: InterestBehaviour | None = None,
) -> Counts:
    """Generate everyday purchases and browsing, merge the story events, break a few rows, write chunks.

    Parameters
    ----------
    seed : int
    people : People
    accounts : Accounts
    story_purchases, story_browsing : Events
    n_events : int
        Purchases plus browsing events wanted in total (story events included, broken rows not).
    start, as_of : int
        Observed period (days since 1970-01-01).
    account_id : pyarrow.Array
        Id of every account.
    writers : dict
        ``purchases`` and ``browsing`` writers.
    log : TrapLog
    traps : bool
        Break rows and add junk-device browsing.
    behaviour : InterestBehaviour, optional
        Draws the events from interests instead of the everyday background (no stories then).

    Returns
    -------
    Counts
    """
    rng = rng_for(seed, "event_counts")
    device = account_devices(accounts)
    reserved = behaviour.reserved if behaviour is not None else 0
    n_bg = max(0, n_events - len(story_purchases) - len(story_browsing) - reserved)
    lo, hi = _windows(accounts, start, as_of)
    weight = np.where(hi >= lo, (hi - lo + 1) * np.exp(rng.normal(0, 1, len(accounts))), 0.0)
    counts = (
        rng.multinomial(n_bg, weight / weight.sum()) if weight.sum() > 0 else np.zeros(len(accounts), int)
    )
    parts = max(1, -(-n_events // CHUNK))
    bounds = np.searchsorted(np.cumsum(counts), np.linspace(0, n_bg, parts + 1)[1:-1], side="left")
    bounds = np.concatenate([[0], bounds, [len(accounts)]])
    sp, sb = _split(story_purchases, parts, rng), _split(story_browsing, parts, rng)
    unknown = padded(2 * len(accounts) + 10 + np.arange(50), max(8, len(str(len(accounts)))), "A")
    out = Counts()
    categories = CATEGORY_TEXT if behaviour is None else behaviour.categories
    episodes = behaviour.episode_chunks(parts) if behaviour is not None else None
    for i in range(parts):
        crng = rng_for(seed, "events", i)
        if episodes is None:
            bp, bb = _background(
                crng, people, accounts, int(bounds[i]), counts[bounds[i] : bounds[i + 1]], start, as_of, device
            )
        else:
            part = slice(int(episodes[i]), int(episodes[i + 1]))
            bp, bb = behaviour.chunk(crng, int(bounds[i]), counts[bounds[i] : bounds[i + 1]], part)  # type: ignore[union-attr]
        purchases = _sorted(Events.concat([bp, sp[i]]))
        browsing = _sorted(Events.concat([bb, sb[i]]))
        junk = np.zeros(len(browsing), dtype=bool)
        if traps:
            free = np.flatnonzero(~browsing.story)
            k = min(len(free), max(2 if i == 0 else 0, int(crng.binomial(len(browsing), 0.001))))
            junk[crng.choice(free, k, replace=False)] = True
        pt = _render_purchases(purchases, out.purchases, account_id, categories)
        bt = _render_browsing(crng, browsing, out.browsing, account_id, people, device, junk, categories)
        if traps:
            pt, _ = break_events(crng, pt, purchases.story, PURCHASES, out.purchases, unknown, log, i == 0)
            junk_rows = np.flatnonzero(junk)
            junk_ids = bt.column("event_id").take(pa.array(junk_rows))
            junk_dev = bt.column("device_id").take(pa.array(junk_rows))
            bt, moved = break_events(
                crng, bt, browsing.story | junk, BROWSING, out.browsing, unknown, log, i == 0
            )
            log.add(
                "junk_device",
                "browsing",
                row=out.browsing + moved[junk_rows] + 1,
                entity_id=junk_ids,
                id_type="device",
                value=junk_dev,
                detail="browsing keyed by a junk device",
            )
        writers["purchases"].write(pt)
        writers["browsing"].write(bt)
        out.purchases += pt.num_rows
        out.browsing += bt.num_rows
    return out


def write_transactions(
    seed: int,
    people: People,
    story: Events,
    start: int,
    as_of: int,
    customer_id: pa.Array,
    writer: TableWriter,
    log: TrapLog,
    traps: bool,
) -> int:
    """Generate everyday card spend (about one transaction per customer per month), merge the story spend,
    break a few rows and write chunks.

    Returns
    -------
    int
        Rows written.
    """
    rng = rng_for(seed, "txn_counts")
    n = people.n_customers
    months = (as_of - start + 1) / 30.4
    rate = rng.gamma(2.0, 0.5, n) * months
    rate *= np.where(people.status[:n] == CLOSED, 0.1, np.where(people.status[:n] == DORMANT, 0.3, 1.0))
    counts = rng.poisson(rate)
    total = int(counts.sum()) + len(story)
    parts = max(1, -(-total // CHUNK))
    bounds = np.searchsorted(np.cumsum(counts), np.linspace(0, counts.sum(), parts + 1)[1:-1], side="left")
    bounds = np.concatenate([[0], bounds, [n]])
    stories = _split(story, parts, rng)
    unknown = padded(2 * n + 10 + np.arange(50), max(7, len(str(n))), "C")
    written = 0
    for i in range(parts):
        crng = rng_for(seed, "transactions", i)
        who = np.repeat(np.arange(bounds[i], bounds[i + 1]), counts[bounds[i] : bounds[i + 1]])
        k = len(who)
        mcc_pos = choose(crng, _BG_MCC_WEIGHT, k)
        merchant = np.empty(k, dtype=np.int64)
        for j, pool in enumerate(_BG_POOLS):
            m = mcc_pos == j
            merchant[m] = pool[crng.integers(0, len(pool), int(m.sum()))]
        bg = Events.build(
            k,
            who=who,
            time=sample_times(crng, start + (crng.random(k) * (as_of - start + 1)).astype(np.int64)),
            code=_BG_MCC[mcc_pos],
            merchant=merchant,
            amount=np.maximum(np.round(_BG_MCC_MEDIAN[mcc_pos] * np.exp(crng.normal(0, 0.7, k))), 100).astype(
                np.int64
            ),
        )
        ev = _sorted(Events.concat([bg, stories[i]]))
        table = _render_transactions(crng, ev, written, customer_id, people)
        if traps:
            table, _ = break_events(crng, table, ev.story, TRANSACTIONS, written, unknown, log, i == 0)
        writer.write(table)
        written += table.num_rows
    return written


def _render_transactions(
    rng: np.random.Generator, ev: Events, offset: int, customer_id: pa.Array, people: People
) -> pa.Table:
    n = len(ev)
    name = take(MERCHANT_TEXT, ev.merchant)
    branch = MERCHANT_CHAIN[ev.merchant] & (rng.random(n) < 0.6)
    city = take(CITY_TEXT, people.city[ev.who])
    merchant = pc.if_else(pa.array(branch), join(name, "(", city, "店)"), name)
    return pa.table(
        {
            "txn_id": padded(offset + 1 + np.arange(n), 10, "T"),
            "customer_id": customer_id.take(pa.array(ev.who)),
            "txn_time": time_text(ev.time),
            "amount": money(ev.amount),
            "mcc": take(MCC_TEXT, ev.code),
            "merchant": merchant,
        }
    )
