"""Device IDs: IMEIs with a valid Luhn digit, IDFAs (UUID v4), Android IDs, and their spellings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from linker.demo.arrays import (
    choose,
    digits,
    fixed,
    hex_matrix,
    join,
    render,
    scatter,
    take,
)

IMEI, IDFA, AID = 0, 1, 2
#: Junk device IDs shared by many devices (trap values): an all-zero IDFA (ad tracking limited) and the
#: Android ID of a 2010-era build that many devices report.
ZERO_IDFA = "00000000-0000-0000-0000-000000000000"
JUNK_ANDROID_ID = "9774d56d682e549c"
_JUNK_AID_VALUE = int(JUNK_ANDROID_ID, 16)

IMEI_TEMPLATES = (
    "###############",
    "IMEI:###############",
    "##-######-######-#",
    "## ###### ###### #",
    "imei ###############",
)
BANK_IMEI_WEIGHTS = (90, 4, 2, 2, 2)
ACCOUNT_IMEI_WEIGHTS = (60, 15, 10, 10, 5)
#: IDFA styles: upper with dashes, lower with dashes, upper without dashes, lower without dashes.
BANK_IDFA_WEIGHTS = (90, 6, 3, 1)
ACCOUNT_IDFA_WEIGHTS = (65, 20, 10, 5)
#: Android ID styles: lower, upper.
BANK_AID_WEIGHTS = (95, 5)
ACCOUNT_AID_WEIGHTS = (80, 20)


@dataclass
class DeviceBook:
    """Device IDs as kind (``IMEI``, ``IDFA``, ``AID``) and two 64-bit halves (IMEI: the number in ``hi``)."""

    kind: np.ndarray
    hi: np.ndarray
    lo: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def extend(self, other: DeviceBook) -> np.ndarray:
        """Append entries and return their indices."""
        start = len(self)
        self.kind = np.concatenate([self.kind, other.kind])
        self.hi = np.concatenate([self.hi, other.hi])
        self.lo = np.concatenate([self.lo, other.lo])
        return np.arange(start, len(self), dtype=np.int64)

    def text(self, index: np.ndarray | None = None) -> pa.Array:
        """Normalized spellings as in the contract (``imei:...``, ``uuid:UPPER``, ``aid:lower``)."""
        idx = np.arange(len(self)) if index is None else np.asarray(index, dtype=np.int64)
        zeros = np.zeros(len(idx), dtype=np.int64)
        raw = _spell(self.kind[idx], self.hi[idx], self.lo[idx], zeros, zeros, zeros)
        prefix = take(["imei:", "uuid:", "aid:"], self.kind[idx])
        return join(prefix, raw)


def luhn_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit of 14-digit IMEI bodies given as a ``(n, 14)`` matrix of digit values.

    Examples
    --------
    >>> luhn_digit(np.array([[4, 9, 0, 1, 5, 4, 2, 0, 3, 2, 3, 7, 5, 1]])).tolist()
    [8]
    """
    d = np.asarray(body, dtype=np.int64).copy()
    doubled = d[:, 1::2] * 2
    d[:, 1::2] = doubled - 9 * (doubled > 9)
    return (10 - d.sum(axis=1) % 10) % 10


def sample_devices(rng: np.random.Generator, n: int) -> DeviceBook:
    """Draw ``n`` distinct device IDs: IMEIs (valid Luhn digit), IDFAs (UUID v4) and Android IDs.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int

    Returns
    -------
    DeviceBook
    """
    kind = choose(rng, [35, 35, 30], n).astype(np.int8)
    tacs = np.where(rng.random(2000) < 0.6, 86_000_000, 35_000_000) + rng.integers(0, 1_000_000, 2000)
    body = tacs[rng.integers(0, 2000, n)] * 1_000_000 + rng.integers(0, 1_000_000, n)
    imei = body * 10 + luhn_digit(digits(body, 14).astype(np.int64) - 48)
    hi = rng.integers(0, 2**64, n, dtype=np.uint64)
    lo = rng.integers(0, 2**64, n, dtype=np.uint64)
    uuid_hi = (hi & ~np.uint64(0xF000)) | np.uint64(0x4000)
    uuid_lo = (lo & np.uint64(0x3FFF_FFFF_FFFF_FFFF)) | np.uint64(0x8000_0000_0000_0000)
    hi = np.where(kind == IMEI, imei.astype(np.uint64), np.where(kind == IDFA, uuid_hi, hi))
    hi[(kind == AID) & (hi == np.uint64(_JUNK_AID_VALUE))] += np.uint64(1)
    lo = np.where(kind == IDFA, uuid_lo, np.uint64(0))
    frame = pd.DataFrame({"k": kind, "h": hi, "l": lo})
    dup = frame.duplicated().to_numpy()
    if dup.any():  # astronomically rare for UUIDs and Android IDs; IMEIs share type codes
        extra = sample_devices(rng, int(dup.sum()) * 2 + 8)
        keep = ~dup
        kind, hi, lo = kind[keep], hi[keep], lo[keep]
        book = DeviceBook(kind, hi, lo)
        book.extend(extra)
        frame = pd.DataFrame({"k": book.kind, "h": book.hi, "l": book.lo})
        keep = ~frame.duplicated().to_numpy()
        return DeviceBook(book.kind[keep][:n], book.hi[keep][:n], book.lo[keep][:n])
    return DeviceBook(kind, hi, lo)


def _uuid_matrix(hi: np.ndarray, lo: np.ndarray, upper: bool, dashes: bool) -> np.ndarray:
    h = hex_matrix(hi, 16, upper)
    l_ = hex_matrix(lo, 16, upper)
    if not dashes:
        return np.concatenate([h, l_], axis=1)
    dash = np.full((len(hi), 1), ord("-"), dtype=np.uint8)
    return np.concatenate(
        [h[:, :8], dash, h[:, 8:12], dash, h[:, 12:], dash, l_[:, :4], dash, l_[:, 4:]], axis=1
    )


def _spell(
    kind: np.ndarray,
    hi: np.ndarray,
    lo: np.ndarray,
    imei_style: np.ndarray,
    idfa_style: np.ndarray,
    aid_style: np.ndarray,
) -> pa.Array:
    n = len(kind)
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for k, template in enumerate(IMEI_TEMPLATES):
        pos = np.flatnonzero((kind == IMEI) & (imei_style == k))
        if len(pos):
            parts.append((pos, render(digits(hi[pos].astype(np.int64), 15), template)))
    for k, (upper, dashes) in enumerate(((True, True), (False, True), (True, False), (False, False))):
        pos = np.flatnonzero((kind == IDFA) & (idfa_style == k))
        if len(pos):
            parts.append((pos, fixed(_uuid_matrix(hi[pos], lo[pos], upper, dashes))))
    for k, upper in enumerate((False, True)):
        pos = np.flatnonzero((kind == AID) & (aid_style == k))
        if len(pos):
            parts.append((pos, fixed(hex_matrix(hi[pos], 16, upper))))
    return scatter(n, parts)


def spell_devices(
    rng: np.random.Generator, book: DeviceBook, index: np.ndarray, bank: bool = False
) -> pa.Array:
    """Spell the device IDs at ``index``, each in a style drawn from the bank or the account weights.

    Parameters
    ----------
    rng : numpy.random.Generator
    book : DeviceBook
    index : numpy.ndarray
    bank : bool
        Use the (cleaner) bank-side style weights.

    Returns
    -------
    pyarrow.StringArray
    """
    idx = np.asarray(index, dtype=np.int64)
    n = len(idx)
    imei_w, idfa_w, aid_w = (
        (BANK_IMEI_WEIGHTS, BANK_IDFA_WEIGHTS, BANK_AID_WEIGHTS)
        if bank
        else (ACCOUNT_IMEI_WEIGHTS, ACCOUNT_IDFA_WEIGHTS, ACCOUNT_AID_WEIGHTS)
    )
    return _spell(
        book.kind[idx],
        book.hi[idx],
        book.lo[idx],
        choose(rng, imei_w, n),
        choose(rng, idfa_w, n),
        choose(rng, aid_w, n),
    )


def spell_junk_devices(rng: np.random.Generator, n: int, idfa: bool) -> pa.Array:
    """Spell the all-zero IDFA (``idfa=True``) or the junk Android ID ``n`` times in account styles."""
    if idfa:
        style = choose(rng, ACCOUNT_IDFA_WEIGHTS, n)
        forms = np.array([ZERO_IDFA, ZERO_IDFA, ZERO_IDFA.replace("-", ""), ZERO_IDFA.replace("-", "")])
        return pa.array(forms[style].tolist(), pa.string())
    style = choose(rng, ACCOUNT_AID_WEIGHTS, n)
    forms = np.array([JUNK_ANDROID_ID, JUNK_ANDROID_ID.upper()])
    return pa.array(forms[style].tolist(), pa.string())
