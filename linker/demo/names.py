"""Chinese personal names and their pinyin spellings, drawn by real frequency.

A name is three small integers per person: a surname index into :data:`SURNAME_TEXT` and up to two given-name
character indices into :data:`GIVEN_TEXT` (index 0 is the empty character). Whole common given names (伟, 芳,
秀英, ...) are drawn far more often than random pairs, so that ``张伟`` repeats as it does in reality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.aliasvocab import COMPOUND_SURNAMES
from linker.demo.arrays import cdf, choose, choose_rows, join, scatter, take
from linker.demo.vocab import COMMON_GIVEN_NAMES, GIVEN_CHARS, SURNAMES

#: Surnames: the common ones drawn by :func:`sample_names` (by :data:`SURNAME_WEIGHT`), then from
#: :data:`COMPOUND_START` on the compound surnames only the ``names`` profile gives (欧阳, 司马 ...).
SURNAME_TEXT = pa.array([s for s, _, _ in SURNAMES] + [s for s, _, _ in COMPOUND_SURNAMES], pa.string())
SURNAME_PINYIN = pa.array(
    [p for _, p, _ in SURNAMES] + [p.replace(" ", "") for _, p, _ in COMPOUND_SURNAMES], pa.string()
)
#: Pinyin initials of each surname, one letter per syllable (``ouyang`` -> ``oy``).
SURNAME_INITIALS = pa.array(
    [p[0] for _, p, _ in SURNAMES] + ["".join(x[0] for x in p.split()) for _, p, _ in COMPOUND_SURNAMES],
    pa.string(),
)
SURNAME_WEIGHT = np.array([w for _, _, w in SURNAMES], dtype=np.float64)
COMPOUND_START = len(SURNAMES)
COMPOUND_WEIGHT = np.array([w for _, _, w in COMPOUND_SURNAMES], dtype=np.float64)

GIVEN_TEXT = pa.array([""] + [c for c, _, _ in GIVEN_CHARS], pa.string())
GIVEN_PINYIN = pa.array([""] + [p for _, p, _ in GIVEN_CHARS], pa.string())
_GIVEN_INDEX = {c: i + 1 for i, (c, _, _) in enumerate(GIVEN_CHARS)}
_GIVEN_GENDER = np.array(["U"] + [g for _, _, g in GIVEN_CHARS])

_COMMON = np.array(
    [[_GIVEN_INDEX[g[0]], _GIVEN_INDEX[g[1]] if len(g) > 1 else 0] for g, _, _ in COMMON_GIVEN_NAMES],
    dtype=np.int16,
)
_COMMON_CDF = np.stack(
    [cdf([w if gender in (sex, "U") else 0.0 for _, gender, w in COMMON_GIVEN_NAMES]) for sex in ("M", "F")]
)
_CHAR_CDF = np.stack(
    [
        cdf(((_GIVEN_GENDER == sex) | (_GIVEN_GENDER == "U")) & (np.arange(len(_GIVEN_GENDER)) > 0))
        for sex in ("M", "F")
    ]
)


def _same_sound() -> tuple[np.ndarray, np.ndarray]:
    """For every given character, the other characters of the pool with the same pinyin."""
    pinyin = GIVEN_PINYIN.to_pylist()
    alts = [[j for j, q in enumerate(pinyin) if q == p and j != i and j > 0] for i, p in enumerate(pinyin)]
    width = max(1, max(len(a) for a in alts))
    table = np.zeros((len(alts), width), dtype=np.int16)
    for i, a in enumerate(alts):
        table[i, : len(a)] = a
    return table, np.array([len(a) for a in alts], dtype=np.int16)


_ALT_TABLE, _ALT_COUNT = _same_sound()


@dataclass
class Names:
    """Names of ``n`` people as indices into the name vocabularies.

    Attributes
    ----------
    surname : numpy.ndarray
        Index into :data:`SURNAME_TEXT`.
    given1, given2 : numpy.ndarray
        Indices into :data:`GIVEN_TEXT`; ``given2 == 0`` for one-character given names.
    """

    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray

    def __len__(self) -> int:
        return len(self.surname)

    def subset(self, index: np.ndarray) -> Names:
        """The names of the people at ``index``."""
        return Names(self.surname[index], self.given1[index], self.given2[index])

    def chinese(self) -> pa.Array:
        """The names in Chinese characters (``张伟``)."""
        return join(
            take(SURNAME_TEXT, self.surname), take(GIVEN_TEXT, self.given1), take(GIVEN_TEXT, self.given2)
        )

    def surname_pinyin(self) -> pa.Array:
        """Pinyin of the surname, lower case (``zhang``)."""
        return take(SURNAME_PINYIN, self.surname)

    def given_pinyin(self) -> pa.Array:
        """Pinyin of the given name, lower case and joined (``xiuying``)."""
        return join(take(GIVEN_PINYIN, self.given1), take(GIVEN_PINYIN, self.given2))

    def initials(self) -> pa.Array:
        """Pinyin initials, surname first (``zxy``)."""
        first = [
            pc.utf8_slice_codeunits(a, 0, 1)
            for a in (self.surname_pinyin(), take(GIVEN_PINYIN, self.given1), take(GIVEN_PINYIN, self.given2))
        ]
        return join(*first)


def sample_names(rng: np.random.Generator, female: np.ndarray) -> Names:
    """Draw Chinese names for people of the given sex.

    Parameters
    ----------
    rng : numpy.random.Generator
    female : numpy.ndarray of bool
        One element per person.

    Returns
    -------
    Names

    Examples
    --------
    >>> names = sample_names(np.random.default_rng(0), np.zeros(3, dtype=bool))
    >>> len(names.chinese())
    3
    """
    n = len(female)
    row = female.astype(np.int64)
    surname = choose(rng, SURNAME_WEIGHT, n).astype(np.int16)
    common = rng.random(n) < 0.2
    pick = _COMMON[choose_rows(rng, _COMMON_CDF, row)]
    g1 = choose_rows(rng, _CHAR_CDF, row).astype(np.int16)
    g2 = choose_rows(rng, _CHAR_CDF, row).astype(np.int16)
    g2[rng.random(n) < 0.25] = 0
    given1 = np.where(common, pick[:, 0], g1).astype(np.int16)
    given2 = np.where(common, pick[:, 1], g2).astype(np.int16)
    return Names(surname, given1, given2)


def give_compound_surnames(rng: np.random.Generator, names: Names, share: float) -> None:
    """Give about ``share`` of ``names`` a compound surname (欧阳, 司马 ...), in place.

    Examples
    --------
    >>> names = sample_names(np.random.default_rng(0), np.zeros(1000, dtype=bool))
    >>> give_compound_surnames(np.random.default_rng(1), names, 0.5)
    >>> 400 < int((names.surname >= COMPOUND_START).sum()) < 600
    True
    """
    pick = np.flatnonzero(rng.random(len(names)) < share)
    names.surname[pick] = COMPOUND_START + choose(rng, COMPOUND_WEIGHT, len(pick))


def sample_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` surnames by frequency (indices into :data:`SURNAME_TEXT`)."""
    return choose(rng, SURNAME_WEIGHT, n).astype(np.int16)


def one_off(rng: np.random.Generator, names: Names) -> Names:
    """The same names with one given-name character replaced, by a same-sounding one where there is one.

    This is the typo a clerk or a user makes (``张伟`` -> ``张玮``).

    Parameters
    ----------
    rng : numpy.random.Generator
    names : Names

    Returns
    -------
    Names
    """
    n = len(names)
    second = names.given2 > 0
    target = np.where(second, names.given2, names.given1).astype(np.int64)
    count = _ALT_COUNT[target]
    pick = (rng.random(n) * np.maximum(count, 1)).astype(np.int64)
    alt = _ALT_TABLE[target, pick].astype(np.int64)
    pool = len(GIVEN_TEXT) - 1
    random_other = (target - 1 + rng.integers(1, pool, n)) % pool + 1
    new = np.where(count > 0, alt, random_other).astype(np.int16)
    g1 = np.where(second, names.given1, new).astype(np.int16)
    g2 = np.where(second, new, names.given2).astype(np.int16)
    return Names(names.surname.copy(), g1, g2)


#: Pinyin spellings of a name as account names: ``Zhang Wei``, ``zhangwei``, ``zhang_wei88``, ``Wei Zhang``,
#: ``ZHANG WEI``, ``zhangwei1988``.
PINYIN_STYLES = ("title", "joined", "underscore_digits", "given_first", "upper", "joined_year")


def pinyin_name(rng: np.random.Generator, names: Names, birth_year: np.ndarray) -> pa.Array:
    """Spell names in pinyin the ways people write them as account names.

    Parameters
    ----------
    rng : numpy.random.Generator
    names : Names
    birth_year : numpy.ndarray
        Used by the styles that append a year.

    Returns
    -------
    pyarrow.StringArray
    """
    n = len(names)
    style = choose(rng, [25, 25, 15, 10, 10, 15], n)
    sur, giv = names.surname_pinyin(), names.given_pinyin()
    year = pa.array(np.asarray(birth_year, dtype=np.int64)).cast(pa.string())
    two = pc.utf8_slice_codeunits(year, 2, 4)
    digits = pa.array(rng.integers(1, 100, n)).cast(pa.string())
    suffix = pc.if_else(pa.array(rng.random(n) < 0.5), two, digits)
    forms = [
        join(pc.utf8_capitalize(sur), pc.utf8_capitalize(giv), sep=" "),
        join(sur, giv),
        join(join(sur, giv, sep="_"), suffix),
        join(pc.utf8_capitalize(giv), pc.utf8_capitalize(sur), sep=" "),
        pc.utf8_upper(join(sur, giv, sep=" ")),
        join(sur, giv, year),
    ]
    return scatter(
        n, [(np.flatnonzero(style == k), f.filter(pa.array(style == k))) for k, f in enumerate(forms)]
    )
