"""Name similarity for candidate pairs, with rapidfuzz, across Chinese characters and pinyin.

Bank records hold 张伟; an online account may hold 张伟, 张玮 (a homophone typo), "Zhang Wei", "zhangwei88" or
"Wei Zhang". Names are compared three ways and the best kept: the characters themselves, the pinyin spellings
without spaces, and the pinyin syllables in any order. Pinyin comes from a character table (pypinyin's
dictionary) joined in SQL, so no per-name Python runs; rapidfuzz's ``cpdist`` scores all pairs in C++.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist


@cache
def _pinyin_table() -> pa.Table:
    """Every CJK character pypinyin knows, with its toneless pinyin (first reading)."""
    from pypinyin.pinyin_dict import pinyin_dict

    chars, readings = [], []
    for code, reading in pinyin_dict.items():
        first = reading.split(",")[0]
        plain = "".join(c for c in unicodedata.normalize("NFKD", first) if not unicodedata.combining(c))
        chars.append(chr(code))
        readings.append(plain.replace("ü", "v").lower())
    return pa.table({"ch": chars, "py": readings})


def register_pinyin(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``pinyin_chars`` table (about 42,000 rows) once per database."""
    con.register("pinyin_arrow", _pinyin_table())
    con.execute("CREATE OR REPLACE TEMP TABLE pinyin_chars AS SELECT * FROM pinyin_arrow")
    con.unregister("pinyin_arrow")


def name_forms_sql(names: str) -> str:
    """SQL producing ``name, chars, spelled`` for each distinct name of the relation ``names``.

    ``chars`` is the name without spaces, digits and punctuation, lower-cased; ``spelled`` is its Latin
    spelling as space-separated syllables (pinyin for CJK characters, the letters of Latin names).
    """
    return f"""
        SELECT name, any_value(chars) AS chars,
               trim(regexp_replace(string_agg(coalesce(' ' || p.py || ' ', t.ch), '' ORDER BY t.i), '\\s+', ' ', 'g'))
                   AS spelled
        FROM (SELECT name, chars, unnest(string_split(latin, '')) AS ch, unnest(range(length(latin))) AS i
              FROM (SELECT name,
                           lower(regexp_replace(name, '[\\s\\p{{P}}\\p{{S}}0-9_]', '', 'g')) AS chars,
                           lower(regexp_replace(regexp_replace(name, '[^\\p{{L}}]+', ' ', 'g'), '\\s+', ' ', 'g'))
                               AS latin
                    FROM (SELECT DISTINCT name FROM {names} WHERE name IS NOT NULL))) t
        LEFT JOIN pinyin_chars p ON p.ch = t.ch
        GROUP BY name
    """


def name_keys_sql(names: str) -> str:
    """SQL producing ``name, name_key`` for each distinct name of the relation ``names`` that has a Latin spelling.

    The key is the letters of the name's spelling (pinyin for CJK characters), sorted: the same for 张伟, 张玮
    (a homophone), "Zhang Wei", "zhangwei88" and "Wei Zhang", and for a swap of two letters. It blocks the
    near-miss search (:mod:`linker.resolve.candidates`): one edit apart is common by chance, one edit apart
    *and* the same name letters is not.
    """
    return f"""
        SELECT name, array_to_string(list_sort(string_split(replace(spelled, ' ', ''), '')), '') AS name_key
        FROM ({name_forms_sql(names)}) WHERE spelled <> ''
    """


def similarities(chars_a: list[str], chars_b: list[str], spelled_a: list[str], spelled_b: list[str]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise (element i of a with element i of b) similarities in [0, 1].

    Returns
    -------
    (same_chars, same_sound)
        ``same_chars``: similarity of the characters as written. ``same_sound``: the best of the pinyin
        spelling compared without spaces and with syllables in any order.

    Examples
    --------
    >>> chars, sound = similarities(["张伟", "张伟"], ["张玮", "zhangwei"], ["zhang wei"] * 2, ["zhang wei"] * 2)
    >>> [round(float(x), 2) for x in chars], [round(float(x), 2) for x in sound]
    ([0.5, 0.0], [1.0, 1.0])
    """
    same_chars = cpdist(chars_a, chars_b, scorer=fuzz.ratio, workers=-1) / 100.0
    squeezed_a = [s.replace(" ", "") for s in spelled_a]
    squeezed_b = [s.replace(" ", "") for s in spelled_b]
    joined = cpdist(squeezed_a, squeezed_b, scorer=fuzz.ratio, workers=-1)
    any_order = cpdist(spelled_a, spelled_b, scorer=fuzz.token_sort_ratio, workers=-1)
    return same_chars.astype(np.float64), (np.maximum(joined, any_order) / 100.0).astype(np.float64)
