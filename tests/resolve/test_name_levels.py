"""The name comparison: every form a Chinese name takes on an account, and what tells nobody."""

from __future__ import annotations

from functools import cache

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.resolve.model import NAME
from linker.resolve.name_levels import COMPOUND_SURNAMES, _customer_forms_sql, name_levels
from linker.resolve.names import _pinyin_table

CASES = [
    # customer name, account names, expected level (None: no informative name)
    ("吴志琪", ["吴志琪"], "exact"),
    ("吴志琪", ["吴*琪"], "masked"),
    ("吴志琪", ["吴*明"], "surname_only"),
    ("吴志琪", ["Wu Zhiqi"], "pinyin"),
    ("吴志琪", ["zhiqi wu"], "pinyin"),
    ("吴志琪", ["wuzhiqi_860"], "pinyin"),
    ("吴志琪", ["吴志棋"], "pinyin"),               # a homophone typed with a pinyin keyboard
    ("吴志琪", ["iamwuzhiqi"], "contains_full"),
    ("吴志琪", ["吴志琪的小店"], "contains_full"),
    ("吴志琪", ["吴志明"], "close"),
    ("张伟", ["zhangwie"], "close"),
    ("吴志琪", ["志琪"], "given_name"),
    ("吴志琪", ["zhiqi_1990"], "given_name"),
    ("薛敏", ["小敏在路上"], "diminutive"),
    ("吴志琪", ["老吴"], "diminutive"),
    ("吴志琪", ["wzq1990"], "initials"),
    ("吴志琪", ["wuzq"], "initials"),
    ("吴志琪", ["吴芳"], "surname_only"),
    ("欧阳娜娜", ["欧阳明"], "surname_only"),       # a compound surname is one surname
    ("欧阳娜娜", ["娜娜"], "given_name"),
    ("吴志琪", ["王芳"], "different_name"),
    ("吴志琪", ["快乐小猪"], "unrelated_nickname"),
    ("吴志琪", ["夏天的风"], "unrelated_nickname"),  # starts with a surname, but no name has 的
    ("吴志琪", ["Kevin"], "unrelated_nickname"),
    ("吴志琪", ["用户619025"], None),
    ("吴志琪", [""], None),
    ("吴志琪", ["王芳", "wuzhiqi"], "pinyin"),       # the best of several names
    ("Wei Zhang", ["zhangwei88"], "pinyin"),
]


def _levels(cases: list[tuple[str, list[str], str | None]]) -> dict[str, str | None]:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, names VARCHAR[])")
    con.execute("CREATE TABLE accounts (account_id VARCHAR, name VARCHAR, names VARCHAR[])")
    con.execute("CREATE TABLE pairs (customer_id VARCHAR, account_id VARCHAR)")
    for i, (customer, account_names, _) in enumerate(cases):
        con.execute("INSERT INTO customers VALUES (?, ?, [])", [f"C{i}", customer])
        con.execute("INSERT INTO accounts VALUES (?, ?, ?)", [f"A{i}", account_names[0] or None, account_names[1:]])
        con.execute("INSERT INTO pairs VALUES (?, ?)", [f"C{i}", f"A{i}"])
    name_levels(con, "pairs")
    found = dict(con.execute("SELECT account_id, level FROM pair_name_levels").fetchall())
    return {f"A{i}": NAME.level_names()[found[f"A{i}"]] if f"A{i}" in found else None for i in range(len(cases))}


def test_every_form_of_a_name_gets_its_level() -> None:
    got = _levels(CASES)
    wrong = [(c, a, expected, got[f"A{i}"]) for i, (c, a, expected) in enumerate(CASES) if got[f"A{i}"] != expected]
    assert wrong == []


def test_a_default_handle_is_counted_in_the_data() -> None:
    # letters shared by many distinct names that differ only in digits: a platform's default, whoever holds it
    handles = [("吴志琪", [f"mt{100000 + i}"], None) for i in range(6)]
    few = [("吴志琪", ["mt7"], "unrelated_nickname")]
    assert set(_levels(handles).values()) == {None}
    assert list(_levels(few).values()) == ["unrelated_nickname"]


@pytest.mark.parametrize("customer", ["", "  ", "123"])
def test_a_customer_without_a_name_compares_nothing(customer: str) -> None:
    assert list(_levels([(customer, ["吴志琪"], None)]).values()) == [None]


@cache
def _readings() -> dict[str, str]:
    return dict(zip(*_pinyin_table().to_pydict().values(), strict=True))


def _expected_forms(name: str) -> tuple:
    """A CJK name's forms computed apart, in Python, from the same pinyin table (None when a character has none)."""
    reading = _readings()
    sur_len = 2 if name[:2] in COMPOUND_SURNAMES and len(name) >= 3 else 1
    if any(ch not in reading for ch in name):
        return (None,) * 7
    sur = "".join(reading[ch] for ch in name[:sur_len])
    given = [reading[ch] for ch in name[sur_len:]]
    gi = "".join(p[0] for p in given)
    return (sur + "".join(given), "".join(given) + sur, "".join(given), "".join(reading[ch][0] for ch in name),
            sur + gi, gi + sur, sur)


# known characters, a compound surname, and two Han characters the pinyin table does not have; 2 to 6 characters
CJK_NAMES = st.builds(lambda first, rest: first + "".join(rest), st.sampled_from(["吴", "欧", "欧阳", "兙"]),
                      st.lists(st.sampled_from(["志", "琪", "阳", "娜", "王", "兙", "𠀂"]), min_size=1, max_size=4))


@settings(max_examples=80, deadline=None)
@given(st.lists(CJK_NAMES, min_size=1, max_size=6))
def test_a_chinese_name_is_spelled_as_its_characters_read(pinyin_con, names: list[str]) -> None:
    con = pinyin_con
    con.execute("CREATE OR REPLACE TABLE names (name VARCHAR)")
    con.executemany("INSERT INTO names VALUES (?)", [[n] for n in names])
    got = {row[0]: row[1:] for row in con.execute(f"""
        SELECT name, py_full, py_rev, py_given, initials, sur_gi, gi_sur, py_sur FROM ({_customer_forms_sql("names")})
    """).fetchall()}
    assert got == {n: _expected_forms(n) for n in names}
