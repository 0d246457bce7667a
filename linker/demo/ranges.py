"""Mobiles in number ranges that phonenumbers' metadata calls unallocated (profile ``ranges``).

Regulators open new mobile ranges before libraries' metadata lists them, and numbers in those ranges are as
real as any other: 11 digits starting with 1, on bank records and platform accounts alike. The generator draws
them from five-digit blocks (``1abcd``) of :data:`UNALLOCATED_PREFIXES` in which phonenumbers calls every probe
number invalid; the blocks are found once per process from the installed metadata, so the numbers stay
unallocated for the phonenumbers this package runs with.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.accounts import Accounts
from linker.demo.entries import PHONE, Entries
from linker.demo.phones import PLACEHOLDER_PHONES, is_mobile, phone_text
from linker.demo.traps import TrapLog

#: Mobile-shaped three-digit prefixes without (or with few) ranges in phonenumbers' metadata.
UNALLOCATED_PREFIXES: tuple[int, ...] = (140, 141, 142, 143, 144, 146, 148, 149, 154, 160, 163, 164, 168, 169, 179,
                                         194)
_PROBES = (0, 123_456, 500_000, 876_543, 999_999)
TRAP = "unallocated_range"


@functools.cache
def unallocated_blocks() -> np.ndarray:
    """Five-digit blocks ``1abcd`` of :data:`UNALLOCATED_PREFIXES` where phonenumbers calls every probe invalid.

    Returns
    -------
    numpy.ndarray of int64
        Block numbers (``14012`` for the numbers ``14012000000`` .. ``14012999999``).
    """
    import phonenumbers

    blocks = []
    for prefix in UNALLOCATED_PREFIXES:
        for block in range(prefix * 100, prefix * 100 + 100):
            if not any(
                phonenumbers.is_valid_number(phonenumbers.parse(str(block * 1_000_000 + probe), "CN"))
                for probe in _PROBES
            ):
                blocks.append(block)
    if not blocks:
        raise RuntimeError("phonenumbers' metadata allocates every block of UNALLOCATED_PREFIXES: choose others")
    return np.array(blocks, dtype=np.int64)


def sample_unallocated(rng: np.random.Generator, n: int, exclude: np.ndarray) -> np.ndarray:
    """Draw ``n`` distinct mobiles from :func:`unallocated_blocks`, none of them in ``exclude``.

    Examples
    --------
    >>> m = sample_unallocated(np.random.default_rng(0), 3, np.empty(0, np.int64))
    >>> len(set(m.tolist())) == 3 and bool(is_mobile(m).all())
    True
    """
    blocks = unallocated_blocks()
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.05) + 16
        new = blocks[rng.integers(0, len(blocks), k)] * 1_000_000 + rng.integers(0, 1_000_000, k)
        out = np.concatenate([out, new])
        _, first = np.unique(out, return_index=True)
        keep = np.zeros(len(out), dtype=bool)
        keep[first] = True
        out = out[keep & ~np.isin(out, exclude)]
    return out[:n]


def plant_unallocated(rng: np.random.Generator, phones: np.ndarray, share: float) -> np.ndarray:
    """Replace about ``share`` of the mobiles in ``phones`` (in place) by unallocated ones.

    Parameters
    ----------
    rng : numpy.random.Generator
    phones : numpy.ndarray
        People's phone slots (``-1`` for none); landlines stay.
    share : float

    Returns
    -------
    numpy.ndarray of int64
        The unallocated numbers now in use.
    """
    flat = phones.reshape(-1)
    mobile = np.flatnonzero((flat >= 0) & is_mobile(flat))
    chosen = mobile[rng.random(len(mobile)) < share]
    exclude = np.concatenate([flat[flat >= 0], np.array([int(p) for p in PLACEHOLDER_PHONES])])
    flat[chosen] = sample_unallocated(rng, len(chosen), exclude)
    return np.sort(flat[chosen])


def log_unallocated(customer_entries: Entries, accounts: Accounts, log: TrapLog) -> None:
    """Log every customer record and account that carries an unallocated number (typos of one included)."""
    blocks = unallocated_blocks()
    for table, entries in (("customers", customer_entries), ("accounts", accounts.entries)):
        numeric = entries.raw.is_null().to_numpy(zero_copy_only=False)
        on = (entries.kind == PHONE) & numeric & np.isin(entries.value // 1_000_000, blocks) & is_mobile(
            entries.value
        )
        value = entries.value[on]
        log.add(
            TRAP,
            table,
            index=entries.owner[on],
            id_type="phone",
            value=phone_text(value),
            detail=pc.binary_join_element_wise("block ", pa.array(value // 1_000_000).cast(pa.string()), ""),
        )
