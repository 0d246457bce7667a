"""Every name an account carries, as platforms hold them (profile ``names``).

An account has three name columns: ``real_name`` (the platform's real-name check: often blank, sometimes
masked as ``吴*琪``), ``recipients`` (delivery names: the owner, ``吴先生``, a relative with the same surname, a
spouse, a colleague, a front desk) and ``nickname`` (pinyin handles, initials, diminutives, English names,
platform defaults, random nicknames, blank); and platform-declared ``gender`` and ``birth_date`` (some fake).
Customers' names may be in Latin script: Chinese customers whose record holds the passport pinyin, and foreign
customers; Chinese customers may have an English name in ``name_en``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.accounts import Accounts
from linker.demo.aliasvocab import (
    DESK_RECIPIENTS,
    DIMINUTIVE_TAILS,
    ENGLISH_NAMES,
    FAKE_BIRTH_DATES,
    HONORIFICS,
    LATIN_FIRST,
    LATIN_LAST,
    MORE_NICKNAMES,
)
from linker.demo.arrays import as_str, choose, date_text, join, list_join, padded, rng_for, scatter, take
from linker.demo.names import GIVEN_PINYIN, GIVEN_TEXT, SURNAME_INITIALS, SURNAME_TEXT, Names, sample_names
from linker.demo.people import People
from linker.demo.vocab import NICKNAMES, PLATFORMS

CHINESE, PASSPORT, FOREIGN = 0, 1, 2
_PLATFORM_NAMES = [p for p, _, _ in PLATFORMS]
_NICKNAME_POOL = pa.array(list(NICKNAMES) + list(MORE_NICKNAMES), pa.string())
_LAST = pa.array(list(LATIN_LAST), pa.string())


def _by_sex(lists: dict[str, tuple[str, ...]] | object, female: np.ndarray, index: np.ndarray) -> pa.Array:
    """``lists[sex][index % len]`` per person."""
    male_list, female_list = lists["M"], lists["F"]  # type: ignore[index]
    out = take(male_list, index % len(male_list))
    return pc.if_else(pa.array(female), take(female_list, index % len(female_list)), out)


@dataclass
class Aliases:
    """Which script each person's name is in, and the Latin and English names they use.

    Attributes
    ----------
    script : numpy.ndarray
        ``CHINESE``, ``PASSPORT`` (Chinese name, bank record in pinyin) or ``FOREIGN`` (Latin name only).
    first, last : numpy.ndarray
        Foreign given name (an index taken modulo the list of the person's sex) and family name.
    english : numpy.ndarray
        The English name a person goes by where they use one (index modulo the list of their sex).
    """

    script: np.ndarray
    first: np.ndarray
    last: np.ndarray
    english: np.ndarray


def sample_aliases(seed: int, people: People) -> Aliases:
    """Draw scripts and Latin names: about 2% of customers in passport pinyin and 1.5% foreign."""
    rng = rng_for(seed, "aliases")
    n = len(people)
    is_cust = np.arange(n) < people.n_customers
    u = rng.random(n)
    passport = u < np.where(is_cust, 0.02, 0.005)
    foreign = ~passport & (u < np.where(is_cust, 0.035, 0.015))
    script = np.where(passport, PASSPORT, np.where(foreign, FOREIGN, CHINESE)).astype(np.int8)
    first = rng.integers(0, 1 << 30, n)
    last = rng.integers(0, len(LATIN_LAST), n)
    english = rng.integers(0, 1 << 30, n)
    return Aliases(script, first, last, english)


def foreign_emails(seed: int, people: People, aliases: Aliases) -> None:
    """Give foreign people's email addresses local parts made of their Latin names (in place)."""
    rng = rng_for(seed, "foreign_emails")
    who, slot = np.nonzero((people.emails >= 0) & (aliases.script == FOREIGN)[:, None])
    if not len(who):
        return
    idx = people.emails[who, slot]
    first = pc.utf8_lower(_by_sex(LATIN_FIRST, people.female[who], aliases.first[who]))
    last = pc.utf8_lower(take(_LAST, aliases.last[who]))
    first, last = (pc.replace_substring_regex(x, r"[^a-z]", "") for x in (first, last))
    digits = as_str(rng.integers(1, 10_000, len(who)))
    local = join(first, ".", last, digits)
    book = people.email_book
    values = book.local.to_pylist()
    for i, v in zip(idx.tolist(), local.to_pylist(), strict=True):
        values[i] = v
    book.local = pa.array(values, pa.string())


# ------------------------------------------------------------------------------------------------ customers


def _pinyin_parts(names: Names) -> tuple[pa.Array, pa.Array]:
    """Capitalized surname and given-name pinyin (``Ouyang``, ``Zhiqi``)."""
    return pc.utf8_capitalize(names.surname_pinyin()), pc.utf8_capitalize(names.given_pinyin())


def passport_names(rng: np.random.Generator, names: Names) -> pa.Array:
    """Names as a passport or a foreign system writes them: ``WU ZHIQI``, ``Wu Zhiqi``, ``ZHIQI WU``."""
    sur, giv = _pinyin_parts(names)
    style = choose(rng, [60, 25, 15], len(names))
    forms = [pc.utf8_upper(join(sur, giv, sep=" ")), join(sur, giv, sep=" "), pc.utf8_upper(join(giv, sur, sep=" "))]
    return scatter(len(names), [(np.flatnonzero(style == k), f.filter(pa.array(style == k))) for k, f in
                                enumerate(forms)])


def foreign_names(rng: np.random.Generator, people: People, aliases: Aliases, rows: np.ndarray) -> pa.Array:
    """Latin names of foreigners: ``Michael Brown``, ``BROWN MICHAEL`` (passport order)."""
    first = _by_sex(LATIN_FIRST, people.female[rows], aliases.first[rows])
    last = take(_LAST, aliases.last[rows])
    passport = pa.array(rng.random(len(rows)) < 0.3)
    return pc.if_else(passport, pc.utf8_upper(join(last, first, sep=" ")), join(first, last, sep=" "))


def customer_names(seed: int, people: People, aliases: Aliases, rows: np.ndarray, stream: int = 0
                   ) -> tuple[pa.Array, pa.Array]:
    """The ``name`` and ``name_en`` columns of customer records of the people at ``rows``."""
    rng = rng_for(seed, "customer_names", stream)
    names = people.names.subset(rows)
    script = aliases.script[rows]
    name = names.chinese()
    name = pc.if_else(pa.array(script == PASSPORT), passport_names(rng, names), name)
    name = pc.if_else(pa.array(script == FOREIGN), foreign_names(rng, people, aliases, rows), name)
    sur, _ = _pinyin_parts(names)
    english = join(_by_sex(ENGLISH_NAMES, people.female[rows], aliases.english[rows]), sur, sep=" ")
    kind = choose(rng, [80, 12, 8], len(rows))
    en = pc.if_else(pa.array(kind == 1), english, passport_names(rng, names))
    has_en = (script == CHINESE) & (kind > 0)
    return name, pc.if_else(pa.array(has_en), en, pa.nulls(len(rows), pa.string()))


# ------------------------------------------------------------------------------------------------- accounts


@dataclass
class _Parts:
    """Pieces of the owners' names, one element per account."""

    sur: pa.Array
    giv: pa.Array
    last_char: pa.Array
    sur_py: pa.Array
    giv_py: pa.Array
    initials: pa.Array
    latin_first: pa.Array
    latin_last: pa.Array
    english: pa.Array
    female: np.ndarray
    foreign: np.ndarray

    @classmethod
    def of(cls, people: People, aliases: Aliases, owner: np.ndarray) -> _Parts:
        names = people.names.subset(owner)
        g1, g2 = names.given1, names.given2
        initials = join(
            take(SURNAME_INITIALS, names.surname),
            *(pc.utf8_slice_codeunits(take(GIVEN_PINYIN, g), 0, 1) for g in (g1, g2)),
        )
        return cls(
            sur=take(SURNAME_TEXT, names.surname),
            giv=join(take(GIVEN_TEXT, g1), take(GIVEN_TEXT, g2)),
            last_char=take(GIVEN_TEXT, np.where(g2 > 0, g2, g1)),
            sur_py=names.surname_pinyin(),
            giv_py=names.given_pinyin(),
            initials=initials,
            latin_first=_by_sex(LATIN_FIRST, people.female[owner], aliases.first[owner]),
            latin_last=take(_LAST, aliases.last[owner]),
            english=_by_sex(ENGLISH_NAMES, people.female[owner], aliases.english[owner]),
            female=people.female[owner],
            foreign=aliases.script[owner] == FOREIGN,
        )

    def full(self) -> pa.Array:
        """The owner's name as they would type it: Chinese characters, or the Latin name of foreigners."""
        return pc.if_else(pa.array(self.foreign), join(self.latin_first, self.latin_last, sep=" "),
                          join(self.sur, self.giv))


def _pick(rng: np.random.Generator, n: int, weights: list[float], forms: list[pa.Array]) -> pa.Array:
    """Per element, one of ``forms`` drawn by ``weights`` (a null form gives null)."""
    style = choose(rng, weights, n)
    return scatter(n, [(np.flatnonzero(style == k), f.filter(pa.array(style == k))) for k, f in enumerate(forms)])


def _digits(rng: np.random.Generator, n: int, low: int, high: int, width: int = 0) -> pa.Array:
    values = rng.integers(low, high, n)
    return padded(values, width) if width else as_str(values)


def real_names(rng: np.random.Generator, parts: _Parts) -> pa.Array:
    """The platform's real-name field: blank, full, or masked (``吴*琪``, ``*志琪``, ``吴**``)."""
    n = len(parts.female)
    giv_len = pc.utf8_length(parts.giv)
    stars_mid = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(giv_len, 1), 1))
    mid = join(parts.sur, stars_mid, pc.if_else(pc.greater(giv_len, 1), parts.last_char, ""))
    hide_sur = join(pc.binary_repeat("*", pc.utf8_length(parts.sur)), parts.giv)
    hide_giv = join(parts.sur, pc.binary_repeat("*", giv_len))
    blank = pa.nulls(n, pa.string())
    chinese = _pick(rng, n, [45, 33, 12, 5, 5], [blank, join(parts.sur, parts.giv), mid, hide_sur, hide_giv])
    latin = _pick(rng, n, [45, 40, 15], [blank, join(parts.latin_first, parts.latin_last, sep=" "),
                                         pc.utf8_upper(join(parts.latin_last, parts.latin_first, sep=" "))])
    return pc.if_else(pa.array(parts.foreign), latin, chinese)


def recipient_names(rng: np.random.Generator, people: People, parts: _Parts) -> pa.Array:
    """``;``-joined delivery names of each account (0 to 3): the owner, the owner's honorific form
    (``吴先生``), a relative with the same surname, a spouse, a colleague or friend, a front desk."""
    n = len(parts.female)
    count = choose(rng, [25, 50, 18, 7], n)
    acct = np.repeat(np.arange(n), count)
    k = len(acct)
    order = np.arange(k) - np.repeat(np.cumsum(count) - count, count)
    # the first name is mostly the owner's own; further ones are other people (or a desk)
    kind = np.where(order == 0, choose(rng, [60, 15, 10, 8, 5, 2], k), choose(rng, [0, 0, 35, 30, 25, 10], k))
    sub = _Parts(*(getattr(parts, f).take(pa.array(acct)) if isinstance(getattr(parts, f), pa.Array)
                   else getattr(parts, f)[acct] for f in _Parts.__dataclass_fields__))
    others = sample_names(rng, rng.random(k) < 0.5)
    spouse = sample_names(rng, ~sub.female)
    title = _by_sex(HONORIFICS, sub.female, rng.integers(0, 1 << 30, k))
    sur_title = pc.if_else(pa.array(sub.foreign), sub.latin_last, sub.sur)
    forms = [
        sub.full(),
        join(sur_title, title),
        join(sub.sur, take(GIVEN_TEXT, others.given1), take(GIVEN_TEXT, others.given2)),
        spouse.chinese(),
        others.chinese(),
        take(list(DESK_RECIPIENTS), rng.integers(0, len(DESK_RECIPIENTS), k)),
    ]
    names = scatter(k, [(np.flatnonzero(kind == j), f.filter(pa.array(kind == j))) for j, f in enumerate(forms)])
    return list_join(acct, order, names, n)


def nicknames(rng: np.random.Generator, parts: _Parts, platform: np.ndarray, birth_year: np.ndarray
              ) -> pa.Array:
    """Nicknames: pinyin handles, initials, diminutives, English names, platform defaults, random, blank."""
    n = len(parts.female)
    sur, giv, ini = parts.sur_py, parts.giv_py, parts.initials
    year = as_str(birth_year)
    yy = pc.utf8_slice_codeunits(year, 2, 4)
    latin_first = pc.utf8_lower(pc.replace_substring_regex(parts.latin_first, r"[^A-Za-z]", ""))
    latin_last = pc.utf8_lower(pc.replace_substring_regex(parts.latin_last, r"[^A-Za-z]", ""))
    handle = _pick(rng, n, [25, 20, 15, 15, 15, 10], [
        join(sur, giv, "_", _digits(rng, n, 0, 1000, 3)),
        join(giv, ".", sur),
        join(sur, giv, yy),
        join(pc.utf8_capitalize(sur), pc.utf8_capitalize(giv)),
        join(giv, sur, _digits(rng, n, 1, 100)),
        join(sur, "_", giv),
    ])
    latin_handle = _pick(rng, n, [40, 30, 30], [join(latin_first, ".", latin_last),
                                                join(latin_first, latin_last, _digits(rng, n, 1, 100)),
                                                join(latin_first, "_", yy)])
    initials = _pick(rng, n, [40, 25, 15, 20], [join(ini, year), join(ini, "_", _digits(rng, n, 1, 100)),
                                                pc.utf8_upper(ini), join(ini, _digits(rng, n, 100, 10_000))])
    tail = take(list(DIMINUTIVE_TAILS), rng.integers(0, len(DIMINUTIVE_TAILS), n))
    c = parts.last_char
    diminutive = _pick(rng, n, [25, 20, 15, 15, 10, 15], [
        join("小", c, tail), join("阿", c), join("老", parts.sur), join(c, c), join(c, c, tail), join("小", parts.sur),
    ])
    english_name = parts.english
    english = _pick(rng, n, [40, 25, 20, 15], [
        english_name, join(english_name, pc.utf8_capitalize(sur), sep=" "),
        join(pc.utf8_lower(english_name), "_", sur, _digits(rng, n, 1, 100)), join(english_name, yy),
    ])
    random = _NICKNAME_POOL.take(pa.array(rng.integers(0, len(_NICKNAME_POOL), n)))
    forms = [
        pc.if_else(pa.array(parts.foreign), latin_handle, handle),
        pc.if_else(pa.array(parts.foreign), join(pc.utf8_slice_codeunits(latin_first, 0, 1),
                                                 pc.utf8_slice_codeunits(latin_last, 0, 1), yy), initials),
        pc.if_else(pa.array(parts.foreign), parts.latin_first, diminutive),
        pc.if_else(pa.array(parts.foreign), parts.latin_first, english),
        platform_defaults(rng, platform),
        random,
        pa.nulls(n, pa.string()),
    ]
    return _pick(rng, n, [14, 10, 14, 8, 20, 19, 15], forms)


def platform_defaults(rng: np.random.Generator, platform: np.ndarray) -> pa.Array:
    """The names platforms give users who never chose one (``tb123456789``, ``jd_8273645``, ``用户619025``)."""
    n = len(platform)
    alnum = pa.array(list("abcdefghijkmnpqrstuvwxyz0123456789"), pa.string())
    letters = join(*(alnum.take(pa.array(rng.integers(0, len(alnum), n))) for _ in range(6)))
    by_platform = {
        "taobao": _pick(rng, n, [60, 40], [join("tb", _digits(rng, n, 10**8, 10**10)),
                                           join("t_", _digits(rng, n, 10**12, 10**13))]),
        "jd": _pick(rng, n, [50, 50], [join("jd_", _digits(rng, n, 10**6, 10**7)), join("jd_", letters)]),
        "pinduoduo": _pick(rng, n, [50, 50], [join("pdd", _digits(rng, n, 10**10, 10**11)),
                                              join("用户", _digits(rng, n, 0, 10**6, 6))]),
        "meituan": join("美团用户", letters),
        "ctrip": join("M", _digits(rng, n, 10**8, 10**9)),
        "vipshop": join("vip_", _digits(rng, n, 10**7, 10**8)),
    }
    generic = join("用户", _digits(rng, n, 0, 10**6, 6))
    out = generic
    for k, name in enumerate(_PLATFORM_NAMES):
        out = pc.if_else(pa.array((platform == k) & (rng.random(n) < 0.8)), by_platform[name], out)
    return out


def stated_genders(rng: np.random.Generator, female: np.ndarray) -> pa.Array:
    """Platform-declared gender: blank (50%), right (42%), ``unknown`` (5%), wrong (3%)."""
    n = len(female)
    right = take(["male", "female"], female.astype(np.int64))
    wrong = take(["female", "male"], female.astype(np.int64))
    return _pick(rng, n, [50, 42, 5, 3], [pa.nulls(n, pa.string()), right, pa.array(["unknown"] * n), wrong])


def stated_birth_dates(rng: np.random.Generator, birth: np.ndarray) -> pa.Array:
    """Platform-declared birth dates: blank (65%), right (25%), a placeholder date (10%)."""
    n = len(birth)
    fake = take(list(FAKE_BIRTH_DATES), rng.integers(0, len(FAKE_BIRTH_DATES), n))
    return _pick(rng, n, [65, 25, 10], [pa.nulls(n, pa.string()), date_text(birth), fake])


def account_name_columns(seed: int, accounts: Accounts, people: People, aliases: Aliases) -> dict[str, pa.Array]:
    """``real_name``, ``recipients``, ``nickname``, ``gender`` and ``birth_date`` of every account."""
    rng = rng_for(seed, "account_names")
    parts = _Parts.of(people, aliases, accounts.owner)
    return {
        "real_name": real_names(rng, parts),
        "recipients": recipient_names(rng, people, parts),
        "nickname": nicknames(rng, parts, accounts.platform, people.birth_year()[accounts.owner]),
        "gender": stated_genders(rng, parts.female),
        "birth_date": stated_birth_dates(rng, people.birth[accounts.owner]),
    }
