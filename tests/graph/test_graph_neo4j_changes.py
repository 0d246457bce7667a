"""The Neo4j loader's change mode, without a server (as test_graph_neo4j_load tests the full load): the plan
deletes what the update removed and merges what it added or changed, nothing else, in statements Neo4j's own
linter passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.errors import GraphStoreError
from linker.graph.changes import GRAPH_CHANGES_DIR, update_graph_store
from linker.graph.lint import Statement, lint
from linker.graph.neo4j_load import (
    Work,
    change_plan,
    load_neo4j,
    node_delete_statement,
    node_statement,
    relationship_delete_statement,
    relationship_statement,
    run_plan,
    schema_statements,
)
from linker.graph.store import load_graph_store
from linker.run_folder import STORE_NAME
from linker.schema import load_schema
from tests.graph.graph_run import RUN_ID
from tests.graph.test_graph_changes import _day_two
from tests.graph.test_graph_neo4j_load import _closed_port, _RecordingSession

SCHEMA = load_schema()


@pytest.fixture
def plan(run_con, tmp_path: Path) -> list[Work]:
    (tmp_path / "yesterday").mkdir()
    (tmp_path / "today").mkdir()
    load_graph_store(run_con, tmp_path / "yesterday", run_id=RUN_ID)
    _day_two(run_con)
    changes, _ = update_graph_store(run_con, tmp_path / "today", tmp_path / "yesterday" / STORE_NAME,
                                    run_id="day-two")
    return list(change_plan(changes, run_id="day-two", batch_size=2))


def _rows(plan: list[Work], what: str) -> list[dict]:
    return [r for w in plan if w.what == what for r in w.parameters["rows"]]


def test_the_plan_removes_relationships_then_nodes_then_merges_nodes_then_relationships(plan: list[Work]) -> None:
    order = ["schema", "removed relationship", "removed node", "node", "relationship"]
    kinds = [w.what.rsplit(" ", 1)[0] for w in plan]
    assert kinds == sorted(kinds, key=order.index)
    assert [w.statement for w in plan if w.what == "schema"] == schema_statements()
    assert all(w.rows <= 2 for w in plan)


def test_the_plan_sends_only_what_changed(plan: list[Work]) -> None:
    assert _rows(plan, "removed node Customer") == [{"customer_id": "C5"}]
    assert _rows(plan, "removed relationship LINKED_TO") == [{"src": "A2", "dst": "C2"}]
    assert sorted(r["customer_id"] for r in _rows(plan, "node Customer")) == ["C1", "C2", "C3", "C4"]
    assert [r["account_id"] for r in _rows(plan, "node OnlineAccount") if r["account_id"] == "A7"] == ["A7"]
    assert sorted((r["src"], r["dst"]) for r in _rows(plan, "relationship LINKED_TO")) == [
        ("A2", "C1"), ("A6", "C4"), ("A7", "C3")]
    assert not [w for w in plan if w.what in ("node Phone", "relationship HAS_PHONE")]
    assert all(w.parameters["run_id"] == "day-two" for w in plan if w.what.startswith(("node", "relationship")))
    # an expired need leaves no empty list behind (Neo4j keeps none from the importer either)
    assert {r["customer_id"]: r["needs"] for r in _rows(plan, "node Customer")}["C1"] is None


def test_run_plan_sends_the_change_plan_through_execute_write(plan: list[Work]) -> None:
    session = _RecordingSession()
    totals = run_plan(session, plan)
    assert [text for text, _ in session.calls] == [w.statement for w in plan]
    assert totals["rows"] == sum(w.rows for w in plan)


def test_delete_statements_match_both_ends_by_key() -> None:
    assert node_delete_statement("Customer") == (
        "UNWIND $rows AS row\nMATCH (n:Customer {customer_id: row.customer_id})\nDETACH DELETE n")
    assert relationship_delete_statement("LINKED_TO", "OnlineAccount", "Customer") == (
        "UNWIND $rows AS row\nMATCH (a:OnlineAccount {account_id: row.src})-[r:LINKED_TO]->"
        "(b:Customer {customer_id: row.dst})\nDELETE r")


def test_neo4j_s_linter_passes_every_change_statement() -> None:
    statements = [Statement(f"delete node {label}", node_delete_statement(label), {"rows": [{n.key: "x"}]})
                  for label, n in SCHEMA.nodes.items()]
    statements += [Statement(f"delete {rel} {f}->{to}", relationship_delete_statement(rel, f, to),
                             {"rows": [{"src": "x", "dst": "y"}]})
                   for rel, r in SCHEMA.relationships.items() for f, to in r.pairs]
    statements += [Statement("merge Customer", node_statement("Customer"), {"rows": [], "run_id": "x"}),
                   Statement("merge LINKED_TO", relationship_statement("LINKED_TO", "OnlineAccount", "Customer"),
                             {"rows": [], "run_id": "x"})]
    try:
        report = lint(statements)
    except GraphStoreError as e:
        pytest.fail(f"{e} (CI runs `npm ci --prefix scripts/cypher-lint`)")
    assert {name: found for name, found in report.items() if found} == {}


def test_loading_changes_of_a_run_without_a_change_set_is_refused_before_connecting(run_dir: Path) -> None:
    with pytest.raises(GraphStoreError, match=GRAPH_CHANGES_DIR):
        load_neo4j(run_dir, uri=f"bolt://127.0.0.1:{_closed_port()}", user="neo4j", password="x", changes=True)
