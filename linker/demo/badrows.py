"""Deliberately broken records (about 0.2% of each table) so that ingest's quarantine can be shown.

Entity tables (customers, accounts) get *extra* broken rows, so every genuine customer and account stays
intact: a second row with an existing id (always after the original, carrying a spare person's identifiers),
a row without an id, rows whose date or amount cannot be parsed. Event tables get some of their everyday
(never a story's) rows damaged in place, exact duplicates inserted, and references to unknown ids. Every
broken row is logged as trap ``bad_row`` with its file row and the reason in ``detail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from linker.demo.arrays import replace_at
from linker.demo.traps import TrapLog

#: Share of rows broken on purpose.
RATE = 0.002
GARBAGE_TIMES = (
    "2024-02-30 10:00:00",
    "2024-13-01 08:00:00",
    "0000-00-00 00:00:00",
    "昨天 14:22",
    "not a date",
    "2024-06-31 25:61:00",
)
GARBAGE_DATES = ("1985-02-30", "1990-13-01", "0000-00-00", "不详", "unknown", "19xx-05-01")
GARBAGE_NUMBERS = ("1.2.3", "abc", "--", "十二元", "#VALUE!")


@dataclass(frozen=True)
class EventTable:
    """How to break rows of one event table.

    Attributes
    ----------
    name : str
        Table name (``purchases``, ``browsing``, ``transactions``).
    id_col, time_col, number_col, ref_col : str
        Id, timestamp, amount-like and reference columns.
    kinds : tuple of str
        Reasons to produce, in turn.
    """

    name: str
    id_col: str
    time_col: str
    number_col: str
    ref_col: str
    kinds: tuple[str, ...]


PURCHASES = EventTable(
    "purchases",
    "order_id",
    "order_time",
    "amount",
    "account_id",
    ("missing_id", "bad_timestamp", "bad_amount", "unknown_account", "duplicate_id"),
)
BROWSING = EventTable(
    "browsing",
    "event_id",
    "event_time",
    "dwell_seconds",
    "account_id",
    ("missing_id", "bad_timestamp", "bad_number", "no_key", "duplicate_id"),
)
TRANSACTIONS = EventTable(
    "transactions",
    "txn_id",
    "txn_time",
    "amount",
    "customer_id",
    ("missing_id", "bad_timestamp", "bad_amount", "unknown_customer", "duplicate_id"),
)


def _pick(rng: np.random.Generator, pool: tuple[str, ...], k: int) -> list[str]:
    return [pool[i] for i in rng.integers(0, len(pool), k)]


def break_events(
    rng: np.random.Generator,
    table: pa.Table,
    story: np.ndarray,
    spec: EventTable,
    row_offset: int,
    unknown_ids: pa.Array,
    log: TrapLog,
    at_least_one_each: bool,
) -> tuple[pa.Table, np.ndarray]:
    """Damage everyday rows in place and insert duplicates; log every broken row.

    Parameters
    ----------
    rng : numpy.random.Generator
    table : pyarrow.Table
        One chunk of the table, as text.
    story : numpy.ndarray of bool
        Rows that belong to a need story (left alone).
    spec : EventTable
    row_offset : int
        Rows of this table written before this chunk.
    unknown_ids : pyarrow.Array
        Ids that exist nowhere, for ``unknown_*`` references.
    log : TrapLog
    at_least_one_each : bool
        Produce every reason at least once (first chunk).

    Returns
    -------
    table, position : pyarrow.Table, numpy.ndarray
        The chunk with broken rows, and the new position of every input row.
    """
    n = table.num_rows
    free = np.flatnonzero(~story)
    k = int(rng.binomial(n, RATE))
    if at_least_one_each:
        k = max(k, len(spec.kinds))
    k = min(k, len(free))
    if not k:
        return table, np.arange(n)
    pos = np.sort(rng.choice(free, k, replace=False))
    kind = np.array(spec.kinds)[rng.permutation(np.arange(k) % len(spec.kinds))]
    cols = {c: table.column(c).combine_chunks() for c in table.column_names}

    def damage(col: str, reason: str, values: Sequence[str | None]) -> None:
        p = pos[kind == reason]
        cols[col] = replace_at(cols[col], p, values[: len(p)] if values else [None] * len(p))

    m = int((kind == "missing_id").sum())
    damage(spec.id_col, "missing_id", [None] * m)
    damage(spec.time_col, "bad_timestamp", _pick(rng, GARBAGE_TIMES, int((kind == "bad_timestamp").sum())))
    for reason in ("bad_amount", "bad_number"):
        damage(spec.number_col, reason, _pick(rng, GARBAGE_NUMBERS, int((kind == reason).sum())))
    for reason in ("unknown_account", "unknown_customer"):
        cnt = int((kind == reason).sum())
        damage(
            spec.ref_col,
            reason,
            unknown_ids.take(pa.array(rng.integers(0, len(unknown_ids), cnt))).to_pylist(),
        )
    if "no_key" in spec.kinds:
        cnt = int((kind == "no_key").sum())
        damage("account_id", "no_key", [None] * cnt)
        damage("device_id", "no_key", [None] * cnt)
    broken = pa.table(cols)
    dup = pos[kind == "duplicate_id"]
    later = dup + (rng.random(len(dup)) * (n - dup)).astype(np.int64)
    keys = np.concatenate([2 * np.arange(n), 2 * later + 1])
    order = np.argsort(keys, kind="stable")
    merged = pa.concat_tables([broken, broken.take(pa.array(dup))]).take(pa.array(order))
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))
    in_place = kind != "duplicate_id"
    rows = np.concatenate([where[pos[in_place]], where[n + np.arange(len(dup))]]) + row_offset + 1
    reasons = np.concatenate([kind[in_place], np.full(len(dup), "duplicate_id")])
    ids = merged.column(spec.id_col).combine_chunks().take(pa.array(rows - row_offset - 1))
    log.add("bad_row", spec.name, row=rows, entity_id=ids, detail=reasons.tolist())
    return merged, where[:n]


def insert_entity_rows(
    rng: np.random.Generator,
    table: pa.Table,
    donors: pa.Table,
    name: str,
    id_col: str,
    fresh_ids: pa.Array,
    kinds: dict[str, str],
    log: TrapLog,
) -> tuple[pa.Table, np.ndarray]:
    """Insert broken extra rows into an entity table.

    Parameters
    ----------
    rng : numpy.random.Generator
    table : pyarrow.Table
        The genuine rows.
    donors : pyarrow.Table
        Content of the extra rows (same columns), one per broken row.
    name, id_col : str
    fresh_ids : pyarrow.Array
        Ids used by no genuine row, for the extra rows that need one.
    kinds : dict
        Reason -> column it breaks (``duplicate_id`` and ``missing_id`` break the id column).
    log : TrapLog

    Returns
    -------
    table, rows : pyarrow.Table, numpy.ndarray
        The merged table, and the 1-based file row of every genuine row.
    """
    n, k = table.num_rows, donors.num_rows
    reasons = list(kinds)
    kind = np.array(reasons)[rng.permutation(np.arange(k) % len(reasons))]
    target = rng.integers(0, n, k)
    genuine_ids = table.column(id_col).combine_chunks()
    ids = fresh_ids.slice(0, k)
    ids = replace_at(
        ids,
        np.flatnonzero(kind == "duplicate_id"),
        genuine_ids.take(pa.array(target[kind == "duplicate_id"])).to_pylist(),
    )
    ids = replace_at(ids, np.flatnonzero(kind == "missing_id"), [None] * int((kind == "missing_id").sum()))
    cols = {c: donors.column(c).combine_chunks() for c in donors.column_names}
    cols[id_col] = ids
    for reason, col in kinds.items():
        if col == id_col:
            continue
        p = np.flatnonzero(kind == reason)
        garbage = (
            GARBAGE_TIMES if col.endswith("_at") else GARBAGE_DATES if "date" in col else GARBAGE_NUMBERS
        )
        cols[col] = replace_at(cols[col], p, _pick(rng, garbage, len(p)))
    extra = pa.table(cols).select(table.column_names)
    after = np.where(
        kind == "duplicate_id",
        target + (rng.random(k) * (n - target)).astype(np.int64),
        rng.integers(0, n, k),
    )
    keys = np.concatenate([2 * np.arange(n), 2 * after + 1])
    order = np.argsort(keys, kind="stable")
    merged = pa.concat_tables([table, extra]).take(pa.array(order))
    where = np.empty(n + k, dtype=np.int64)
    where[order] = np.arange(n + k)
    log.add("bad_row", name, row=where[n:] + 1, entity_id=ids, detail=kind.tolist())
    return merged, where[:n] + 1
