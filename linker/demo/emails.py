"""Emails: QQ numbers and pinyin-based addresses, their many spellings, and typos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.arrays import (
    as_str,
    choose,
    join,
    scatter,
    take,
)
from linker.demo.vocab import EMAIL_DOMAINS

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
