"""The names of an owner that resolution compares."""

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.resolve.names import MAX_NAMES, name_keys_sql, names_of_owner_sql


def _names_of(name: str | None, names: list[str | None] | None) -> list[str]:
    con = duckdb.connect()
    return con.execute(f"SELECT {names_of_owner_sql()} FROM (SELECT ?::VARCHAR AS name, ?::VARCHAR[] AS names)",
                       [name, names]).fetchone()[0]


def test_a_cell_of_hundreds_of_recipients_is_compared_on_at_most_the_cap() -> None:
    names = _names_of("张伟", [f"收件人{i}" for i in range(300)])
    assert len(names) == MAX_NAMES
    assert len(set(names)) == MAX_NAMES


def test_name_and_names_are_merged_without_repeats_or_blanks() -> None:
    assert sorted(_names_of("张伟", ["张伟", None, "wei_zhang"])) == ["wei_zhang", "张伟"]
    assert _names_of(None, None) == []


NAMES = st.text(st.sampled_from(list("张伟王芳欧阳娜 \t\u3000_-.·ZhangWei88ü̈é")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=8))
def test_a_name_key_is_letters_only_so_it_never_meets_a_surname_key(pinyin_con, names: list[str]) -> None:
    # the near-miss search unites letter keys with 'surname <char>' keys without removing repeats between them
    con = pinyin_con
    con.execute("CREATE OR REPLACE TABLE names AS SELECT unnest(?::VARCHAR[]) AS name", [names])
    keys = [k for (k,) in con.execute(f"SELECT name_key FROM ({name_keys_sql('names')})").fetchall()]
    assert all(k and not any(c.isspace() for c in k) for k in keys)
    assert not any(k.startswith("surname ") for k in keys)


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=8))
def test_a_name_key_is_the_sorted_letters_of_the_name_s_spelling(pinyin_con, names: list[str]) -> None:
    from linker.resolve.names import _pinyin_table

    pinyin = dict(zip(*_pinyin_table().to_pydict().values()))
    con = pinyin_con
    con.execute("CREATE OR REPLACE TABLE names AS SELECT unnest(?::VARCHAR[]) AS name", [names])
    keys = dict(con.execute(f"SELECT name, name_key FROM ({name_keys_sql('names')})").fetchall())
    expected = {}
    for name in set(names):
        letters = "".join(pinyin.get(c, c) for c in name.lower() if c.isalpha())
        if letters:
            expected[name] = "".join(sorted(letters))
    assert keys == expected
