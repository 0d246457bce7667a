"""Phones, emails and device IDs: drawing unique values and spelling them the ways real systems do.

Values are kept as numbers (phones: the national number as an integer, ``13800138000`` or ``1012345678`` for
``010-12345678``; devices: kind plus 128 bits) or as an email book (local part plus domain index) until a file
is written; only then are they spelled, each row in one of several styles (``+86 138 0013 8000``,
``0086-13800138000``, full-width digits, ``IMEI:...``, lower-case IDFA, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.arrays import (
    as_str,
    choose,
    digits,
    fixed,
    fullwidth,
    hex_matrix,
    join,
    render,
    scatter,
    take,
)
from linker.demo.vocab import CITIES, EMAIL_DOMAINS, MOBILE_PREFIXES

# ------------------------------------------------------------------------------------------------- phones

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


# ------------------------------------------------------------------------------------------------- emails

#: Placeholder emails shared by unrelated accounts (trap values).
PLACEHOLDER_EMAILS: tuple[str, ...] = ("test@test.com", "123456@qq.com", "noreply@example.com", "a@a.com")

DOMAIN_TEXT = pa.array([d for d, _, _ in EMAIL_DOMAINS], pa.string())
_DOMAIN_WEIGHT = np.array([w for _, w, _ in EMAIL_DOMAINS])
_DOMAIN_NUMERIC = np.array([num for _, _, num in EMAIL_DOMAINS])
GMAIL = [d for d, _, _ in EMAIL_DOMAINS].index("gmail.com")

#: Email spelling styles: plain, Capitalized, UPPER, surrounding spaces, upper-case domain, gmail dots,
#: gmail +tag, googlemail.com. The gmail-only styles fall back to plain for other domains.
EMAIL_STYLES = (
    "plain",
    "capitalized",
    "upper",
    "spaces",
    "upper_domain",
    "gmail_dots",
    "gmail_tag",
    "googlemail",
)
BANK_EMAIL_WEIGHTS = (85, 5, 3, 2, 2, 1, 1, 1)
ACCOUNT_EMAIL_WEIGHTS = (55, 10, 6, 6, 5, 7, 6, 5)
_TAGS = pa.array(["shop", "taobao", "jd", "news", "2023", "buy"], pa.string())


@dataclass
class EmailBook:
    """Emails as local part plus domain index; the canonical address is ``local@domain``, lower case."""

    local: pa.Array
    domain: np.ndarray

    def __len__(self) -> int:
        return len(self.domain)

    def text(self, index: np.ndarray | None = None) -> pa.Array:
        """Canonical addresses (``zhangwei88@163.com``), optionally of the entries at ``index``."""
        if index is None:
            return join(self.local, take(DOMAIN_TEXT, self.domain), sep="@")
        idx = np.asarray(index, dtype=np.int64)
        return join(self.local.take(pa.array(idx)), take(DOMAIN_TEXT, self.domain[idx]), sep="@")

    def extend(self, local: pa.Array, domain: np.ndarray) -> np.ndarray:
        """Append entries and return their indices."""
        start = len(self)
        self.local = pa.concat_arrays([self.local, local.cast(pa.string())])
        self.domain = np.concatenate([self.domain, np.asarray(domain, dtype=np.int8)])
        return np.arange(start, len(self), dtype=np.int64)


def _name_locals(
    rng: np.random.Generator,
    sur: pa.Array,
    giv: pa.Array,
    initials: pa.Array,
    birth_year: np.ndarray,
    gmail: np.ndarray,
) -> pa.Array:
    n = len(sur)
    year = as_str(birth_year)
    suffix_kind = choose(rng, [25, 20, 20, 25, 10], n)
    lucky = take(["520", "666", "888", "123", "1314"], rng.integers(0, 5, n))
    rand = as_str(rng.integers(1, 10_000, n))
    suffixes = [pa.array([""] * n), year, pc.utf8_slice_codeunits(year, 2, 4), rand, lucky]
    suffix = scatter(
        n,
        [
            (np.flatnonzero(suffix_kind == k), s.filter(pa.array(suffix_kind == k)))
            for k, s in enumerate(suffixes)
        ],
    )
    style = choose(rng, [40, 15, 12, 18, 15], n)
    style[(style == 1) & gmail] = 0
    initials_suffix = pc.if_else(pa.array(suffix_kind == 0), year, suffix)
    forms = [
        join(sur, giv, suffix),
        join(sur, ".", giv, suffix),
        join(sur, "_", giv, suffix),
        join(giv, sur, suffix),
        join(initials, initials_suffix),
    ]
    return scatter(
        n, [(np.flatnonzero(style == k), f.filter(pa.array(style == k))) for k, f in enumerate(forms)]
    )


def _qq_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    width = choose(rng, [0, 0, 0, 0, 0, 5, 10, 25, 35, 25], n)
    low = 10 ** width.astype(np.int64)
    return low + (rng.random(n) * (9 * low)).astype(np.int64)


def sample_emails(
    rng: np.random.Generator,
    sur: pa.Array,
    giv: pa.Array,
    initials: pa.Array,
    birth_year: np.ndarray,
    taken: Sequence[str] = PLACEHOLDER_EMAILS,
) -> EmailBook:
    """Draw one distinct email per person: QQ numbers at qq.com/foxmail.com, pinyin-based elsewhere.

    Parameters
    ----------
    rng : numpy.random.Generator
    sur, giv, initials : pyarrow.Array
        Pinyin of each person's surname, given name, and initials.
    birth_year : numpy.ndarray
    taken : sequence of str
        Canonical addresses that must not be drawn.

    Returns
    -------
    EmailBook
        Entry ``i`` belongs to person ``i``; addresses are distinct (canonical, lower case, no gmail dots).
    """
    n = len(birth_year)
    domain = choose(rng, _DOMAIN_WEIGHT, n).astype(np.int8)
    numeric = _DOMAIN_NUMERIC[domain]
    named = _name_locals(rng, sur, giv, initials, birth_year, domain == GMAIL)
    local = pc.if_else(pa.array(numeric), as_str(_qq_numbers(rng, n)), named)
    for _ in range(50):
        text = join(local, take(DOMAIN_TEXT, domain), sep="@").to_pandas()
        dup = np.flatnonzero((text.duplicated() | text.isin(list(taken))).to_numpy())
        if not len(dup):
            break
        k = len(dup)
        fresh = pc.if_else(
            pa.array(numeric[dup]),
            as_str(_qq_numbers(rng, k)),
            join(local.take(pa.array(dup)), as_str(rng.integers(10, 100_000, k))),
        )
        local = _replace(local, dup, fresh)
    return EmailBook(local.cast(pa.string()), domain)


def _replace(values: pa.Array, positions: np.ndarray, new: pa.Array) -> pa.Array:
    n = len(values)
    combined = pa.concat_arrays([values.cast(pa.string()), new.cast(pa.string())])
    where = np.arange(n, dtype=np.int64)
    where[positions] = n + np.arange(len(positions))
    return combined.take(pa.array(where))


def spell_emails(
    rng: np.random.Generator, book: EmailBook, index: np.ndarray, weights: Sequence[float]
) -> pa.Array:
    """Spell the emails at ``index``, each in a style drawn from ``weights`` (see :data:`EMAIL_STYLES`).

    Parameters
    ----------
    rng : numpy.random.Generator
    book : EmailBook
    index : numpy.ndarray
    weights : sequence of float

    Returns
    -------
    pyarrow.StringArray
    """
    idx = np.asarray(index, dtype=np.int64)
    n = len(idx)
    local = book.local.take(pa.array(idx))
    dom_idx = book.domain[idx]
    domain = take(DOMAIN_TEXT, dom_idx)
    style = choose(rng, weights, n)
    style[(style >= 5) & (dom_idx != GMAIL)] = 0
    parts: list[tuple[np.ndarray, pa.Array]] = []

    def sel(k: int) -> tuple[np.ndarray, pa.Array, pa.Array]:
        mask = style == k
        m = pa.array(mask)
        return np.flatnonzero(mask), local.filter(m), domain.filter(m)

    pos, lo, do = sel(0)
    parts.append((pos, join(lo, do, sep="@")))
    pos, lo, do = sel(1)
    parts.append((pos, join(pc.utf8_capitalize(lo), do, sep="@")))
    pos, lo, do = sel(2)
    parts.append((pos, pc.utf8_upper(join(lo, do, sep="@"))))
    pos, lo, do = sel(3)
    trailing = pa.array(rng.random(len(pos)) < 0.5)
    plain = join(lo, do, sep="@")
    parts.append((pos, pc.if_else(trailing, join(plain, " "), join(" ", plain, " "))))
    pos, lo, do = sel(4)
    parts.append((pos, join(lo, pc.utf8_upper(do), sep="@")))
    pos, lo, do = sel(5)
    if len(pos):
        length = pc.utf8_length(lo).to_numpy()
        cut = np.clip(rng.integers(1, 6, len(pos)), 1, np.maximum(length - 1, 1))
        dotted = []
        for c in np.unique(cut):
            m = pa.array(cut == c)
            lo_c = lo.filter(m)
            dotted.append(
                (
                    pos[cut == c],
                    join(
                        pc.utf8_slice_codeunits(lo_c, 0, int(c)),
                        ".",
                        pc.utf8_slice_codeunits(lo_c, int(c)),
                        "@gmail.com",
                    ),
                )
            )
        parts.extend(dotted)
    pos, lo, do = sel(6)
    parts.append((pos, join(lo, "+", take(_TAGS, rng.integers(0, len(_TAGS), len(pos))), "@gmail.com")))
    pos, lo, do = sel(7)
    parts.append((pos, join(lo, "@googlemail.com")))
    return scatter(n, parts)


def typo_email_locals(rng: np.random.Generator, local: Sequence[str]) -> list[str]:
    """One character of each local part substituted, deleted or doubled (never the first character).

    Only used for the few typo'd accounts, so a Python loop is fine here.

    Parameters
    ----------
    rng : numpy.random.Generator
    local : sequence of str

    Returns
    -------
    list of str
        Each differs from its input.
    """
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    out = []
    for s in local:
        i = int(rng.integers(1, max(2, len(s))))
        i = min(i, len(s) - 1) if len(s) > 1 else 0
        op = rng.random()
        if op < 0.5:
            ch = letters[int(rng.integers(len(letters)))]
            if ch == s[i]:
                ch = "x" if s[i] != "x" else "y"
            t = s[:i] + ch + s[i + 1 :]
        elif op < 0.75 and len(s) > 2:
            t = s[:i] + s[i + 1 :]
        else:
            t = s[:i] + s[i] + s[i:]
        out.append(t)
    return out


# ------------------------------------------------------------------------------------------------ devices

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
