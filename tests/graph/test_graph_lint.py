"""Every Neo4j statement linker ships passes Neo4j's own Cypher linter (scripts/cypher-lint, run with node)."""

from pathlib import Path

import pytest

from linker.errors import GraphStoreError
from linker.graph import lint as lint_module
from linker.graph.lint import Statement, lint, shipped_statements

NOT_INSTALLED = "npm ci --prefix scripts/cypher-lint"


PROBES = [  # statements Neo4j would refuse or misread, linted with the shipped ones (node starts once)
    Statement("probe ladybug function", "MATCH (n:Customer) RETURN label(n)", {}),
    Statement("probe undeclared parameter", "MATCH (n:Customer {customer_id: $id}) RETURN n", {}),
    Statement("probe misspelt property", "MATCH (n:Customer) RETURN n.custmer_id", {}),
    Statement("probe ladybug shortest path", "MATCH p = (a:Customer)-[:HAS_PHONE* SHORTEST 1..3]-(b) RETURN p", {}),
    Statement("probe clean", "MATCH (n:Customer {customer_id: $id}) RETURN n.name", {"id": "C1"}),
]


@pytest.fixture(scope="module")
def report() -> dict:
    try:
        return lint(shipped_statements() + PROBES)
    except GraphStoreError as e:
        pytest.fail(f"{e} (CI runs `{NOT_INSTALLED}`)")


def test_every_shipped_statement_is_linted(report: dict) -> None:
    names = {n for n in report if not n.startswith("probe ")}
    assert {n for n in names if n.startswith("library ")} == {
        "library ambiguous_accounts", "library clusters_above_size", "library customer_spend_by_category",
        "library hub_identifiers",
        "library linked_to_customer", "library recycled_phones", "library shared_device_customers",
        "library shortest_identity_path", "library spend_by_category"}
    assert any(n.startswith("ddl ") for n in names)
    assert "load node Customer" in names and "load relationship HAS_PHONE OnlineAccount->Phone" in names


def test_no_shipped_statement_has_a_diagnostic(report: dict) -> None:
    dirty = {name: found for name, found in report.items() if found and not name.startswith("probe ")}
    assert dirty == {}


def test_the_linter_does_find_what_neo4j_would_refuse(report: dict) -> None:
    assert "Function label is not present" in report["probe ladybug function"][0]["message"]
    assert "Parameter $id is not defined" in report["probe undeclared parameter"][0]["message"]
    assert "custmer_id" in report["probe misspelt property"][0]["message"]
    assert report["probe ladybug shortest path"][0]["severity"] == "error"
    assert report["probe clean"] == []


def test_a_missing_linter_install_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(lint_module, "LINT_DIR", tmp_path)
    with pytest.raises(GraphStoreError, match="npm ci --prefix"):
        lint([Statement("x", "RETURN 1", {})])
