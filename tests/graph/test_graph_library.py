from pathlib import Path

import pytest

from linker.errors import NotFoundError, QueryError, RulesError
from linker.graph.library import get_query, load_library, parse_query_file, run_library_query

LIBRARY = load_library()

EXPECTED = [
    # (query, parameters, columns to compare, expected rows of those columns, in order)
    ("linked_to_customer", ["customer_id=C1"], ("account_id", "decision", "shared", "shared_values"),
     [("A1", "linked", 2, ["+8613800000001", "zhangwei@example.com"]), ("A2", "ambiguous", 1, ["imei:1111"])]),
    ("linked_to_customer", ["customer_id=C5"], ("account_id",), []),
    ("hub_identifiers", [], ("type", "value", "customers", "accounts", "degree"),
     [("Phone", "+8613800000009", 2, 1, 3)]),
    ("shared_device_customers", ["customer_id=C1"], ("customer_id", "shared_devices", "devices", "hub_devices"),
     [("C2", 1, ["imei:1111"], 0)]),
    ("shared_device_customers", ["customer_id=C4"], ("customer_id", "devices"), [("C5", ["imei:4444"])]),
    ("shared_device_customers", ["customer_id=C3"], ("customer_id",), []),
    ("shortest_identity_path", ["from_customer=C1", "to_customer=C2"], ("hops",), [(2,)]),
    ("shortest_identity_path", ["from_customer=C3", "to_customer=C4"], ("hops",), []),  # only through a hub
    ("spend_by_category", ["from=2024-05-01", "to=2024-06-30"], ("channel", "category", "domain", "buyers", "events",
                                                                 "amount"),
     [("online", "家具/沙发", "home_furnishing", 2, 3, 5499.0), ("card", "mcc:5712", "home_furnishing", 1, 2, 2800.0),
      ("card", "mcc:5411", None, 1, 1, 88.0)]),  # A5 (床垫) is linked to nobody
    ("spend_by_category", ["from=2025-01-01", "to=2026-01-01"], ("channel",), []),
    ("customer_spend_by_category", ["customer_id=C1", "from=2024-01-01", "to=2025-01-01"],
     ("channel", "category", "accounts", "events", "amount"),
     [("online", "家具/沙发", 1, 2, 4999.0), ("online", "床垫", 1, 1, 899.0), ("card", "mcc:5712", 0, 2, 2800.0)]),
    ("customer_spend_by_category", ["customer_id=C1", "from=2024-05-01", "to=2024-07-01"], ("category", "amount"),
     [("家具/沙发", 4999.0), ("mcc:5712", 2800.0)]),  # the mattress order (2024-07-01 12:00) is out of range
    ("clusters_above_size", [], ("size", "customers", "accounts"), [(4, 2, 2)]),
    ("clusters_above_size", ["min_size=2"], ("size", "customers", "accounts"), [(4, 2, 2), (2, 1, 1)]),
    ("ambiguous_accounts", [], ("account_id", "customers", "customer_ids", "best_probability"),
     [("A2", 2, ["C1", "C2"], 0.7)]),
    ("ambiguous_accounts", ["min_customers=3"], ("account_id",), []),
    ("recycled_phones", [], ("phone", "customer_id", "customer_since", "account_id", "account_last_seen"),
     [("+8613800000002", "C2", "2024-06-01", "A4", "2023-01-01T08:00:00")]),
]


UNIONS = ("spend_by_category", "customer_spend_by_category")


def _sorted_lists(value):
    return sorted(value) if isinstance(value, list) else value


@pytest.mark.parametrize(("name", "params", "columns", "expected"), EXPECTED,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EXPECTED)])
def test_every_library_query_gives_the_expected_rows(run_dir: Path, name: str, params: list[str],
                                                      columns: tuple[str, ...], expected: list[tuple]) -> None:
    result = run_library_query(run_dir, name, params)
    index = [result.columns.index(c) for c in columns]
    got = [tuple(_sorted_lists(row[i]) for i in index) for row in result.rows]
    if name in UNIONS:  # each part of a UNION ALL is ordered, the parts may come in either order
        got, expected = sorted(got, key=repr), sorted(expected, key=repr)
    assert got == expected


def test_every_query_of_the_library_is_tested() -> None:
    assert {e[0] for e in EXPECTED} == set(LIBRARY)


def test_the_shortest_path_lists_its_nodes_and_steps(run_dir: Path) -> None:
    result = run_library_query(run_dir, "shortest_identity_path", ["from_customer=C1", "to_customer=C2"])
    _, path, steps = result.rows[0]
    assert [(n["_label"], n.get("customer_id") or n.get("value")) for n in path] == \
        [("Customer", "C1"), ("Device", "imei:1111"), ("Customer", "C2")]
    assert [s["_type"] for s in steps] == ["HAS_DEVICE", "HAS_DEVICE"]


def test_every_query_has_a_description_and_typed_parameters() -> None:
    assert len(LIBRARY) == 9
    for query in LIBRARY.values():
        assert query.description.endswith(".")
        assert all(p.type and p.description for p in query.params), query.name


def test_parameters_are_bound_with_types_and_defaults() -> None:
    query = get_query("clusters_above_size")
    assert query.bind([]) == {"min_size": 3, "limit": 100}
    assert query.bind(["min_size=10"]) == {"min_size": 10, "limit": 100}
    with pytest.raises(QueryError, match="has no parameter"):
        query.bind(["size=3"])
    with pytest.raises(QueryError, match="not a valid INT64"):
        query.bind(["min_size=big"])
    with pytest.raises(QueryError, match="needs --param customer_id="):
        get_query("linked_to_customer").bind([])


def test_an_unknown_query_lists_the_library() -> None:
    with pytest.raises(NotFoundError, match="hub_identifiers"):
        get_query("hubs")


@pytest.mark.parametrize(("text", "message"), [
    ("MATCH (n) RETURN n\n", "no description"),
    ("// Says what.\n", "no query text"),
    ("// Says what.\n// @param id STRING  The id.\nMATCH (n) RETURN n\n", "id is declared but not used"),
    ("// Says what.\nMATCH (n {k: $id}) RETURN n\n", r"\$id is used but not declared"),
    ("// Says what.\n// @param id WORD  The id.\nMATCH (n {k: $id}) RETURN n\n", "unknown type"),
    ("// Says what.\n// @param id\nMATCH (n {k: $id}) RETURN n\n", "malformed parameter"),
    ("// Says what.\n// @param n INT64 = x  N.\nMATCH (n {k: $n}) RETURN n\n", "default of n"),
])
def test_malformed_query_files_name_the_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "q.cypher"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=f"q.cypher.*{message}"):
        parse_query_file(path)


def test_queries_render_for_neo4j_where_they_differ() -> None:
    assert "labels(i)[0]" in LIBRARY["hub_identifiers"].render("neo4j")
    assert "shortestPath(" in LIBRARY["shortest_identity_path"].render("neo4j")
    assert "date(a.last_seen_at)" in LIBRARY["recycled_phones"].render("neo4j")
    assert LIBRARY["ambiguous_accounts"].render("neo4j") == LIBRARY["ambiguous_accounts"].text
    with pytest.raises(QueryError, match="unknown dialect"):
        LIBRARY["ambiguous_accounts"].render("gremlin")
