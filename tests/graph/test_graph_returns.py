import pytest

from linker.graph.returns import column_names, return_items


@pytest.mark.parametrize(("query", "items"), [
    ("MATCH (a) RETURN a", [("a", None)]),
    ("MATCH (a) WITH a RETURN a.name AS `the name`, 'x, y'", [("a.name", "the name"), ("'x, y'", None)]),
    ("MATCH (a) RETURN DISTINCT coalesce(a.x, [1, 2]) LIMIT 5", [("coalesce(a.x, [1, 2])", None)]),
    ("MATCH (a) RETURN a.x // RETURN b\n ORDER BY a.x", [("a.x", None)]),
    ("MATCH (a) RETURN *", None),
    ("CALL show_tables() RETURN *", None),
    ("MATCH (a) SET a.x = 1", None),
])
def test_return_items(query: str, items: list | None) -> None:
    assert return_items(query) == items


def test_columns_keep_their_alias_and_lose_the_engine_spelling() -> None:
    assert column_names("MATCH p = (a)-->(b) RETURN length(p), b AS x", ["+(0,._LENGTH)", "x"]) == ["length(p)", "x"]
    assert column_names("MATCH (a) RETURN *", ["a"]) == ["a"]
