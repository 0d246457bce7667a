"""Identifiers in long form: one row per identifier on an account or a customer record.

Keeping identifiers as rows lets the traps add, replace or remove single identifiers with array operations;
they are spelled and joined with ``;`` only when a file is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from linker.demo.arrays import list_join, scatter
from linker.demo.identifiers import (
    ACCOUNT_EMAIL_WEIGHTS,
    ACCOUNT_MOBILE_WEIGHTS,
    BANK_EMAIL_WEIGHTS,
    BANK_MOBILE_WEIGHTS,
    spell_devices,
    spell_emails,
    spell_phones,
)
from linker.demo.people import People

PHONE, EMAIL, DEVICE = 0, 1, 2
ID_TYPES = ("phone", "email", "device")
FOREIGN = -1  # an identifier that is not one of the owner's own (trap values, a recycled number)


@dataclass
class Entries:
    """Identifiers on accounts (or customers), one row each.

    Attributes
    ----------
    owner : numpy.ndarray
        Account (or customer) row.
    kind : numpy.ndarray
        ``PHONE``, ``EMAIL`` or ``DEVICE``.
    slot : numpy.ndarray
        The owner person's slot the value comes from (0, 1: on the bank record; 2: private), or ``FOREIGN``.
    value : numpy.ndarray
        Phone national number, or index into the person email / device book; ``-1`` for raw-only entries.
    order : numpy.ndarray
        Sort key inside one owner's list.
    typo : numpy.ndarray of bool
        The value is a typo of the owner's identifier in ``slot``.
    raw : pyarrow.Array or None
        Spelling of raw-only entries (placeholders, junk devices), null for the others.
    since : numpy.ndarray
        Day the bank verified the identifier (customer phones), ``-1`` elsewhere.
    """

    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    kind: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    slot: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    value: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    order: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    typo: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    raw: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    since: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.owner)

    def add(
        self,
        owner: np.ndarray,
        kind: int | np.ndarray,
        slot: int | np.ndarray,
        value: np.ndarray,
        order: np.ndarray | float,
        raw: pa.Array | None = None,
        since: np.ndarray | int = -1,
    ) -> None:
        """Append entries (``raw`` for entries that are only a spelling)."""
        n = len(owner)
        self.owner = np.concatenate([self.owner, np.asarray(owner, dtype=np.int64)])
        self.kind = np.concatenate([self.kind, np.broadcast_to(np.asarray(kind, dtype=np.int8), (n,))])
        self.slot = np.concatenate([self.slot, np.broadcast_to(np.asarray(slot, dtype=np.int8), (n,))])
        self.value = np.concatenate([self.value, np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))])
        self.order = np.concatenate([self.order, np.broadcast_to(np.asarray(order, dtype=np.float64), (n,))])
        self.typo = np.concatenate([self.typo, np.zeros(n, dtype=bool)])
        self.since = np.concatenate([self.since, np.broadcast_to(np.asarray(since, dtype=np.int64), (n,))])
        self.raw = pa.concat_arrays(
            [self.raw, pa.nulls(n, pa.string()) if raw is None else raw.cast(pa.string())]
        )

    def keep(self, mask: np.ndarray) -> None:
        """Drop the entries where ``mask`` is false."""
        m = np.asarray(mask, dtype=bool)
        for name in ("owner", "kind", "slot", "value", "order", "typo", "since"):
            setattr(self, name, getattr(self, name)[m])
        self.raw = self.raw.filter(pa.array(m))

    def spell(self, rng: np.random.Generator, people: People, bank: bool) -> pa.Array:
        """Spell every entry (raw entries keep their spelling)."""
        n = len(self)
        parts: list[tuple[np.ndarray, pa.Array]] = []
        numeric = self.raw.is_null().to_numpy(zero_copy_only=False)
        pos = np.flatnonzero(numeric & (self.kind == PHONE))
        parts.append(
            (pos, spell_phones(rng, self.value[pos], BANK_MOBILE_WEIGHTS if bank else ACCOUNT_MOBILE_WEIGHTS))
        )
        pos = np.flatnonzero(numeric & (self.kind == EMAIL))
        parts.append(
            (
                pos,
                spell_emails(
                    rng,
                    people.email_book,
                    self.value[pos],
                    BANK_EMAIL_WEIGHTS if bank else ACCOUNT_EMAIL_WEIGHTS,
                ),
            )
        )
        pos = np.flatnonzero(numeric & (self.kind == DEVICE))
        parts.append((pos, spell_devices(rng, people.device_book, self.value[pos], bank=bank)))
        pos = np.flatnonzero(~numeric)
        parts.append((pos, self.raw.filter(pa.array(~numeric))))
        return scatter(n, parts)

    def joined(self, spelled: pa.Array, kind: int, n_owners: int) -> pa.Array:
        """``;``-joined spellings of one kind per owner (null when an owner has none)."""
        m = self.kind == kind
        return list_join(self.owner[m], self.order[m], spelled.filter(pa.array(m)), n_owners)
