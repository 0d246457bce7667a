"""Pinyin for names in SQL, and the name keys that block the near-miss search.

Bank records hold 张伟; an online account may hold 张伟, 张玮 (a homophone typo), "Zhang Wei", "zhangwei88" or
"Wei Zhang". Pinyin comes from a character table (pypinyin's dictionary) joined in SQL, so no per-name Python
runs. The name comparison itself is :mod:`linker.resolve.name_levels`.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import duckdb
import pyarrow as pa

from linker.engine import Engine, as_engine


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


def register_pinyin(engine: Engine | duckdb.DuckDBPyConnection) -> None:
    """Create the ``pinyin_chars`` table (about 42,000 rows) once per database."""
    engine = as_engine(engine)
    if engine.exists("pinyin_chars"):
        return
    engine.register_arrow("pinyin_arrow", _pinyin_table())
    engine.create_table("pinyin_chars", "SELECT * FROM pinyin_arrow")
    engine.drop("pinyin_arrow")


def name_keys_sql(names: str) -> str:
    """SQL producing ``name, name_key`` for each distinct name of the relation ``names`` that has a Latin spelling.

    The key is the letters of the name's spelling (pinyin for CJK characters, the letters of Latin names),
    sorted: the same for 张伟, 张玮 (a homophone), "Zhang Wei", "zhangwei88" and "Wei Zhang", and for a swap of two
    letters. It blocks the near-miss search (:mod:`linker.resolve.candidates`): one edit apart is common by
    chance, one edit apart *and* the same name letters is not. The letters are sorted, so the syllables are
    gathered in no order.
    """
    return f"""
        SELECT name, array_to_string(list_sort(flatten(list(string_split(coalesce(p.py, t.ch), '')))), '')
                   AS name_key
        FROM (SELECT name, unnest(string_split(latin, '')) AS ch
              FROM (SELECT name, lower(regexp_replace(name, '[^\\p{{L}}]+', ' ', 'g')) AS latin
                    FROM (SELECT DISTINCT name FROM {names} WHERE name IS NOT NULL))) t
        LEFT JOIN pinyin_chars p ON p.ch = t.ch
        WHERE t.ch NOT IN (' ', '')
        GROUP BY name
    """


MAX_NAMES = 12
"""Names of one owner compared: a cell listing hundreds of recipients would multiply the pairs of names."""


def names_of_owner_sql() -> str:
    """SQL over a row of ``customers`` or ``accounts``: its distinct non-empty names (``name`` and ``names``), at
    most :data:`MAX_NAMES`, the first in sorted order (``list_distinct`` keeps no order: the names kept would
    differ between runs and engines)."""
    return (f"list_sort(list_distinct(list_filter([name] || coalesce(names, []), lambda x: x IS NOT NULL)))"
            f"[1:{MAX_NAMES}]")
