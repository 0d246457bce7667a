import json
from datetime import date, datetime
from pathlib import Path

import pytest

from linker.errors import QueryError, RunNotFoundError
from linker.graph.cypher import check_query, format_result, parse_params, plain, run_cypher, run_query
from linker.graph.store import open_store


@pytest.mark.parametrize(("items", "expected"), [
    (["id=C1"], {"id": "C1"}),
    (["id=001"], {"id": "001"}),  # untyped values stay text: an ID is never turned into a number
    (["n:int=5", "x:float=2.5", "ok:bool=true"], {"n": 5, "x": 2.5, "ok": True}),
    (["d:date=2024-01-31", "t:timestamp=2024-01-31T10:00:00"], {"d": date(2024, 1, 31),
                                                               "t": datetime(2024, 1, 31, 10)}),
    (["t:timestamp=2024-01-31"], {"t": datetime(2024, 1, 31)}),
    (["ids:list=C1,C2", 'ids2:list=["C3"]'], {"ids": ["C1", "C2"], "ids2": ["C3"]}),
    (["m:json={\"a\": [1]}"], {"m": {"a": [1]}}),
    (["eq=a=b"], {"eq": "a=b"}),
])
def test_parameters_are_typed(items: list[str], expected: dict) -> None:
    assert parse_params(items) == expected


def test_declared_types_apply_without_a_type_in_the_item() -> None:
    assert parse_params(["limit=5", "id=7"], {"limit": "INT64", "id": "STRING"}) == {"limit": 5, "id": "7"}


@pytest.mark.parametrize(("items", "message"), [
    (["novalue"], "name=value"),
    (["n:int=five"], "not a valid INT64"),
    (["n:bool=maybe"], "not a valid BOOLEAN"),
    (["t:timestamp=2024-01-01T00:00:00+08:00"], "time zone"),
    (["n:decimal=1"], "unknown type"),
    (["a=1", "a=2"], "twice"),
])
def test_bad_parameters_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_params(items)


@pytest.mark.parametrize("query", [
    "CREATE (:Need {name: 'x'})",
    "MATCH (c:Customer) SET c.name = 'x'",
    "MATCH (c:Customer) DETACH DELETE c",
    "MERGE (n:Need {name: 'x'})",
    "MATCH (c:Customer) REMOVE c.name",
    "DROP TABLE Need",
    "COPY (MATCH (c:Customer) RETURN c.name) TO '/tmp/x.csv'",
    "CHECKPOINT",
    "INSTALL json",
    "LOAD FROM '/etc/passwd' RETURN *",
    "ATTACH 'x.lbug' AS x (dbtype lbug)",
    "CALL create_fts_index('Customer', 'i', ['name'])",
    "match (c:Customer) set c.name = 'x'",
])
def test_writing_queries_are_refused_on_a_read_only_store(query: str) -> None:
    with pytest.raises(QueryError, match="read-only: pass --allow-write"):
        check_query(query, {})


@pytest.mark.parametrize("query", [
    "MATCH (c:Customer) WHERE c.name = 'CREATE SET DELETE' RETURN c",
    "MATCH (c:Customer) RETURN c.status AS status, {delete: 1} AS m",
    "CALL show_tables() RETURN *",
    "MATCH (c:Customer) RETURN c // MERGE later",
])
def test_reading_queries_pass(query: str) -> None:
    check_query(query, {})


def test_several_statements_are_refused() -> None:
    with pytest.raises(QueryError, match="one statement"):
        check_query("MATCH (n) RETURN n; MATCH (m) RETURN m", {})
    check_query("MATCH (n) RETURN n;", {})


def test_missing_parameters_are_refused_rather_than_matching_nothing() -> None:
    with pytest.raises(QueryError, match=r"missing parameter\(s\): \$id"):
        check_query("MATCH (c:Customer {customer_id: $id}) RETURN c", {})


def test_a_query_returns_plain_values(run_dir: Path) -> None:
    with open_store(run_dir) as store:
        result = run_query(store, "MATCH (c:Customer {customer_id: $id})<-[l:LINKED_TO]-(a) "
                                  "RETURN c, l, a.registered_at AS since, c.birth_date AS born ORDER BY a.account_id",
                           {"id": "C1"})
    assert result.columns == ["c", "l", "since", "born"]
    node, rel, since, born = result.rows[0]
    assert node["_label"] == "Customer" and node["customer_id"] == "C1" and "account_id" not in node
    assert rel["_type"] == "LINKED_TO" and rel["decision"] == "linked" and "_SRC" not in rel
    assert (since, born) == ("2021-01-01T09:00:00", "1985-03-02")


def test_engine_errors_become_query_errors_with_hints(run_dir: Path) -> None:
    with open_store(run_dir) as store, pytest.raises(QueryError, match="LadybugDB rejected.*hint: use label"):
        run_query(store, "MATCH ()-[r]->() RETURN type(r)")


def test_a_long_query_is_interrupted(run_dir: Path) -> None:
    with open_store(run_dir) as store, pytest.raises(QueryError, match="interrupted the query after 0.3 s.*SHORTEST"):
        run_query(store, "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y RETURN sum(x * y)",
                  timeout_seconds=0.3)


def test_writes_need_allow_write_and_a_writable_store(writable_run_dir: Path) -> None:
    query = "MATCH (c:Customer {customer_id: $id}) SET c.status = $s RETURN c.status"
    with pytest.raises(QueryError, match="read-only"):
        run_cypher(writable_run_dir, query, {"id": "C1", "s": "reviewed"})
    assert run_cypher(writable_run_dir, query, {"id": "C1", "s": "reviewed"}, allow_write=True).rows == [["reviewed"]]
    assert run_cypher(writable_run_dir, "MATCH (c:Customer {customer_id: 'C1'}) RETURN c.status").rows == \
        [["reviewed"]]


def test_the_engine_itself_refuses_writes_on_a_read_only_open(run_dir: Path) -> None:
    with open_store(run_dir) as store, pytest.raises(QueryError, match="read-only"):
        run_query(store, "CREATE (:Need {name: 'x', action: 'y'})", allow_write=True)


def test_a_missing_run_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError):
        run_cypher(tmp_path, "MATCH (n) RETURN n")


def test_output_formats(run_dir: Path) -> None:
    result = run_cypher(run_dir, "MATCH (p:Phone) WHERE p.is_hub RETURN p.value AS phone, p, ['a'] AS l")
    rows = json.loads(format_result(result, "json"))
    assert rows[0]["phone"] == "+8613800000009" and rows[0]["p"]["_label"] == "Phone"
    csv_text = format_result(result, "csv")
    assert csv_text.splitlines()[0] == "phone,p,l"
    assert csv_text.splitlines()[1].startswith("+8613800000009,")  # a phone, not mangled by the formula guard
    table = format_result(result, "table")
    assert "(:Phone +8613800000009)" in table and "[a]" in table and "1 row(s)" in table
    with pytest.raises(QueryError, match="unknown output format"):
        format_result(result, "xml")


def test_plain_keeps_only_the_schema_properties_of_a_label() -> None:
    value = {"_ID": {}, "_LABEL": "OnlineAccount", "account_id": "A1", "customer_id": None, "registered_at": None}
    assert "customer_id" not in plain(value) and plain(value)["account_id"] == "A1"


@pytest.mark.parametrize(("query", "refused"), [
    ("COPY (MATCH (c:Customer) RETURN c.customer_id) TO '{out}/leak.csv'", "COPY_TO"),
    ("LOAD FROM '{out}/input.csv' (file_format='csv') RETURN *", "READ_CSV"),
])
def test_the_plan_barrier_refuses_file_access_without_the_keyword_guard(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: str, refused: str) -> None:
    import linker.graph.cypher

    (tmp_path / "input.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    # LadybugDB opened read-only ran both; the keyword guard was the only barrier: take it away
    monkeypatch.setattr(linker.graph.cypher, "check_query", lambda *args, **kwargs: None)
    with open_store(run_dir) as store, pytest.raises(QueryError, match=refused):
        run_query(store, query.format(out=tmp_path))
    assert not (tmp_path / "leak.csv").exists()


def test_read_only_procedures_and_reading_queries_pass_the_plan_barrier(run_dir: Path) -> None:
    with open_store(run_dir) as store:
        assert run_query(store, "CALL show_tables() RETURN count(*)").rows[0][0] > 0
        assert run_query(store, "UNWIND [1, 2] AS x MATCH (c:Customer) RETURN count(*)").rows == [[10]]


def test_an_integer_parameter_beyond_64_bits_is_refused() -> None:
    with pytest.raises(QueryError, match="parameter n: '99999999999999999999999' is not a valid INT64"):
        parse_params(["n:int=99999999999999999999999"])
