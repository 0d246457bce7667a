"""The Neo4j loader without a server: its statements, batches and parameter types are pure and tested here;
the real driver is pointed at a closed local port to check the failure path (and that no password leaks)."""

import socket
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from linker.errors import GraphStoreError
from linker.graph.neo4j_load import (
    Work,
    batches,
    load_neo4j,
    load_plan,
    node_statement,
    relationship_statement,
    run_plan,
    schema_statements,
)
from linker.graph.runs import graph_tables
from linker.schema import load_schema
from tests.graph.graph_run import RUN_ID

SCHEMA = load_schema()


def test_schema_statements_are_neo4j_5_constraints_and_indexes_from_the_schema() -> None:
    statements = schema_statements()
    keys = [s for s in statements if s.startswith("CREATE CONSTRAINT")]
    indexes = [s for s in statements if s.startswith("CREATE INDEX")]
    assert len(keys) == len(SCHEMA.nodes)
    assert len(indexes) == sum(len(n.indexes) for n in SCHEMA.nodes.values())
    assert "CREATE CONSTRAINT phone_value_key IF NOT EXISTS FOR (n:Phone) REQUIRE n.value IS UNIQUE" in keys
    assert "CREATE INDEX customer_cluster_id_index IF NOT EXISTS FOR (n:Customer) ON (n.cluster_id)" in indexes
    assert all("IF NOT EXISTS" in s for s in statements)  # running the load twice changes nothing


def test_node_statements_merge_on_the_key_and_set_every_property() -> None:
    text = node_statement("OnlineAccount")
    assert text.startswith("UNWIND $rows AS row\nMERGE (n:OnlineAccount {account_id: row.account_id})\nSET ")
    for prop in SCHEMA.nodes["OnlineAccount"].properties:
        if prop != "account_id":
            assert f"n.{prop} = row.{prop}" in text
    assert text.endswith("n.run_id = $run_id")
    assert "CREATE" not in text


def test_relationship_statements_match_both_ends_and_merge_one_relationship_per_pair() -> None:
    text = relationship_statement("LINKED_TO", "OnlineAccount", "Customer")
    assert "MATCH (a:OnlineAccount {account_id: row.src})" in text
    assert "MATCH (b:Customer {customer_id: row.dst})" in text
    assert "MERGE (a)-[r:LINKED_TO]->(b)" in text
    assert text.count("r.run_id") == 1 and text.endswith("r.run_id = $run_id")  # the schema's run_id is the stamp


def test_batches_cut_rows_across_arrow_batches() -> None:
    table = pa.table({"k": [str(i) for i in range(7)]})
    cut = list(batches(table.to_batches(max_chunksize=3), 2))
    assert [len(b) for b in cut] == [2, 2, 2, 1]
    assert [r["k"] for b in cut for r in b] == [str(i) for i in range(7)]
    with pytest.raises(GraphStoreError, match="at least 1"):
        list(batches(table.to_batches(), 0))


@pytest.fixture
def plan(run_dir: Path) -> list[Work]:
    with graph_tables(run_dir) as (con, queries):
        return list(load_plan(con, queries, run_id=RUN_ID, batch_size=2))


def test_the_plan_creates_the_schema_first_then_nodes_then_relationships(plan: list[Work]) -> None:
    kinds = [w.what.split()[0] for w in plan]
    assert kinds == sorted(kinds, key=["schema", "node", "relationship"].index)
    assert [w.statement for w in plan if w.what == "schema"] == schema_statements()
    assert all(w.parameters["run_id"] == RUN_ID for w in plan if w.what != "schema")


def test_the_plan_sends_every_row_once_in_batches(plan: list[Work]) -> None:
    rows: dict[str, int] = {}
    for work in plan:
        assert work.rows <= 2
        rows[work.what] = rows.get(work.what, 0) + work.rows
    assert rows["node Customer"] == 5 and rows["node OnlineAccount"] == 6 and rows["node Need"] == 1
    assert rows["relationship HAS_PHONE"] == 7 and rows["relationship LINKED_TO"] == 4


def test_parameters_have_the_driver_types_of_the_schema(plan: list[Work]) -> None:
    python_types = {"STRING": str, "INT64": int, "DOUBLE": float, "BOOLEAN": bool, "DATE": date,
                    "TIMESTAMP": datetime, "STRING[]": list}
    seen: set[tuple[str, str]] = set()
    for work in plan:
        if work.what == "schema":
            continue
        kind, name = work.what.split()
        props = SCHEMA.nodes[name].properties if kind == "node" else SCHEMA.relationships[name].properties
        for row in work.parameters["rows"]:
            if kind == "relationship":
                assert isinstance(row.pop("src"), str) and isinstance(row.pop("dst"), str)
            assert set(row) == set(props)
            for prop, value in row.items():
                if value is not None:
                    assert type(value) is python_types[props[prop]], (work.what, prop, value)
                    if isinstance(value, datetime):
                        assert value.tzinfo is None  # a Neo4j LocalDateTime
                    seen.add((kind, props[prop]))
    assert {t for _, t in seen} == set(python_types)


def test_empty_lists_are_sent_as_no_property(plan: list[Work]) -> None:
    needs = {r["customer_id"]: r["needs"] for w in plan if w.what == "node Customer" for r in w.parameters["rows"]}
    assert needs["C1"] == ["home_furnishing"] and needs["C2"] is None


class _RecordingSession:
    """The smallest real object with ``execute_write``: calls the transaction function with a tx that records."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def execute_write(self, fn, statement, parameters):
        session = self

        class Tx:
            def run(self, text, params):
                session.calls.append((text, params))

                class Result:
                    def consume(self):
                        class Summary:
                            class counters:
                                nodes_created = 1
                                relationships_created = 0
                                properties_set = 2
                        return Summary()
                return Result()

        return fn(Tx(), statement, parameters)


def test_run_plan_sends_each_unit_through_execute_write(plan: list[Work]) -> None:
    session = _RecordingSession()
    totals = run_plan(session, plan)
    assert [text for text, _ in session.calls] == [w.statement for w in plan]
    assert totals["transactions"] == len(plan) and totals["rows"] == sum(w.rows for w in plan)
    assert totals["nodes_created"] == len(plan)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_is_a_clear_error_without_the_password(run_dir: Path) -> None:
    secret = "s3cret-Password-do-not-print"
    with pytest.raises(GraphStoreError, match="could not be reached") as caught:
        load_neo4j(run_dir, uri=f"bolt://127.0.0.1:{_closed_port()}", user="neo4j", password=secret,
                   retry_seconds=1)
    assert secret not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize(("uri", "message"), [
    ("localhost:7687", "'localhost:7687' is not a Neo4j URI: write neo4j://host:7687"),
    ("http://db:7474", "'http://db:7474' is not a Neo4j URI"),
    ("neo4j://investigator:s3cret@db:7687", "the Neo4j URI neo4j://***@db:7687 carries a user or password"),
    ("bolt://db:99999", "its port is not a number up to 65535"),
])
def test_a_uri_the_driver_cannot_take_is_one_clear_message(uri: str, message: str) -> None:
    # these reached the driver and ended in a traceback (the last one printing the password)
    from typer.testing import CliRunner

    from linker.cli import app

    result = CliRunner(env={"NEO4J_PASSWORD": "x"}).invoke(
        app, ["load", "neo4j", "--uri", uri, "--user", "u", "-r", "no-such-run"])
    assert result.exit_code == 1, result.output
    assert message in result.output.replace("\n", "") and "s3cret" not in result.output
