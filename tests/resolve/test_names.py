"""The names of an owner that resolution compares."""

import duckdb

from linker.resolve.names import MAX_NAMES, names_of_owner_sql


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
