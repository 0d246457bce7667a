"""Phone numbers: unique Chinese mobiles, landlines by city, their many spellings, and typos."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from linker.demo.arrays import (
    as_str,
    choose,
    digits,
    fullwidth,
    join,
    render,
    scatter,
)
from linker.demo.vocab import CITIES, MOBILE_PREFIXES

#: Placeholder phone numbers people type when they do not want to give theirs (trap values).
PLACEHOLDER_PHONES: tuple[str, ...] = ("13800138000", "00000000000", "12345678901", "13888888888")

MOBILE_TEMPLATES: tuple[str, ...] = (
    "###########",
    "+86###########",
    "+86 ### #### ####",
    "0086-###########",
    "86 ###########",
    "###-####-####",
    "### #### ####",
    "(###)########",
    "FULLWIDTH",
    "+86-###-####-####",
    "86###########",
)
#: Style weights for mobiles on the bank side (cleaner) and on platform accounts.
BANK_MOBILE_WEIGHTS = (80, 6, 2, 1, 1, 4, 3, 0, 0, 1, 2)
ACCOUNT_MOBILE_WEIGHTS = (50, 10, 7, 4, 4, 7, 7, 3, 3, 2, 3)

_LANDLINE_TEMPLATES = {
    2: (
        "0##-########",
        "0##########",
        "(0##)########",
        "+86 ## #### ####",
        "0## ########",
        "+86-##-########",
    ),
    3: (
        "0###-########",
        "0###########",
        "(0###)########",
        "+86 ### #### ####",
        "0### ########",
        "+86-###-########",
    ),
}
LANDLINE_WEIGHTS = (55, 10, 10, 10, 10, 5)

_PREFIX = np.array([p for p, _ in MOBILE_PREFIXES], dtype=np.int64)
_PREFIX_WEIGHT = np.array([w for _, w in MOBILE_PREFIXES], dtype=np.float64)
_AREA = np.array([int(code) for _, code, _, _ in CITIES], dtype=np.int64)
_AREA_LEN = np.array([len(code) for _, code, _, _ in CITIES], dtype=np.int64)


def is_mobile(values: np.ndarray) -> np.ndarray:
    """Whether national numbers are mobiles (11 digits starting with 1), not landlines."""
    v = np.asarray(values, dtype=np.int64)
    return (v >= 10_000_000_000) & (v < 20_000_000_000)


def _unique_first(values: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Values in their drawn order without repeats and without ``exclude``."""
    _, first = np.unique(values, return_index=True)
    keep = np.zeros(len(values), dtype=bool)
    keep[first] = True
    keep &= ~np.isin(values, exclude)
    return values[keep]


def sample_mobiles(rng: np.random.Generator, n: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Draw ``n`` distinct Chinese mobile numbers (prefixes 13x-19x weighted by use).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    exclude : numpy.ndarray, optional
        Numbers that must not be drawn (placeholders, numbers already in use).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> m = sample_mobiles(np.random.default_rng(0), 5)
    >>> bool(is_mobile(m).all()) and len(set(m.tolist())) == 5
    True
    """
    exclude = np.asarray([] if exclude is None else exclude, dtype=np.int64)
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.05) + 16
        new = _PREFIX[choose(rng, _PREFIX_WEIGHT, k)] * 100_000_000 + rng.integers(0, 100_000_000, k)
        out = _unique_first(np.concatenate([out, new]), exclude)
    return out[:n]


def sample_landlines(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """Draw landline national numbers in each person's city (``010-6xxxxxxx`` -> ``106xxxxxxx``).

    Parameters
    ----------
    rng : numpy.random.Generator
    city : numpy.ndarray
        Index into :data:`linker.demo.vocab.CITIES` per number.

    Returns
    -------
    numpy.ndarray of int64
    """
    local = rng.integers(2, 9, len(city)) * 10_000_000 + rng.integers(0, 10_000_000, len(city))
    return _AREA[city] * 100_000_000 + local


def phone_text(values: np.ndarray) -> pa.Array:
    """Normalized spelling of national numbers as in the contract (``+8613800138000``)."""
    return join("+86", as_str(values))


def _area_len(values: np.ndarray) -> np.ndarray:
    first = np.asarray(values, dtype=np.int64) // 1_000_000_000
    return np.where(first < 3, 2, 3)


def spell_phones(rng: np.random.Generator, values: np.ndarray, weights: Sequence[float]) -> pa.Array:
    """Spell national numbers, each in a style drawn from ``weights`` (see :data:`MOBILE_TEMPLATES`).

    Landlines get one of the landline styles (``010-12345678``, ``(021)62345678``, ``+86 10 1234 5678``).

    Parameters
    ----------
    rng : numpy.random.Generator
    values : numpy.ndarray of int64
    weights : sequence of float
        One weight per mobile template.

    Returns
    -------
    pyarrow.StringArray
    """
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    mobile = is_mobile(values)
    style = choose(rng, weights, n)
    land_style = choose(rng, LANDLINE_WEIGHTS, n)
    area_len = _area_len(values)
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for k, template in enumerate(MOBILE_TEMPLATES):
        pos = np.flatnonzero(mobile & (style == k))
        if len(pos):
            d = digits(values[pos], 11)
            parts.append((pos, fullwidth(d) if template == "FULLWIDTH" else render(d, template)))
    for length, templates in _LANDLINE_TEMPLATES.items():
        for k, template in enumerate(templates):
            pos = np.flatnonzero(~mobile & (area_len == length) & (land_style == k))
            if len(pos):
                parts.append((pos, render(digits(values[pos], length + 8), template)))
    return scatter(n, parts)


def spell_digit_strings(rng: np.random.Generator, texts: Sequence[str], weights: Sequence[float]) -> pa.Array:
    """Spell 11-digit strings that are not numbers in use (placeholders such as ``00000000000``)."""
    values = np.array([int(t) for t in texts], dtype=np.int64)
    style = choose(rng, weights, len(values))
    parts = []
    for k, template in enumerate(MOBILE_TEMPLATES):
        pos = np.flatnonzero(style == k)
        if len(pos):
            d = digits(values[pos], 11)
            parts.append((pos, fullwidth(d) if template == "FULLWIDTH" else render(d, template)))
    return scatter(len(values), parts)


def typo_phones(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """One digit changed, or two adjacent digits swapped, among the last eight digits.

    Parameters
    ----------
    rng : numpy.random.Generator
    values : numpy.ndarray of int64

    Returns
    -------
    numpy.ndarray of int64
        Numbers that differ from the input in every element.
    """
    d = digits(values, 11).astype(np.int64) - 48
    n = len(values)
    rows = np.arange(n)
    pos = rng.integers(3, 10, n)
    a, b = d[rows, pos].copy(), d[rows, pos + 1].copy()
    swap = (rng.random(n) < 0.45) & (a != b)
    d[rows[swap], pos[swap]], d[rows[swap], pos[swap] + 1] = b[swap], a[swap]
    change = ~swap
    d[rows[change], pos[change]] = (a[change] + rng.integers(1, 10, change.sum())) % 10
    return (d * 10 ** np.arange(10, -1, -1, dtype=np.int64)).sum(axis=1)
