import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

import linker.cli.graph  # noqa: F401  (registers the graph commands)
from linker.cli import app

runner = CliRunner()


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


def test_cypher_prints_a_table_csv_or_json(run_dir: Path) -> None:
    query = "MATCH (c:Customer) WHERE c.customer_id = $id RETURN c.name AS name, c"
    result = invoke("cypher", query, "--param", "id=C1", "--run-dir", str(run_dir))
    assert result.exit_code == 0, result.output
    assert "张*" in result.stdout and "张伟" not in result.stdout and "(:Customer C1)" in result.stdout
    result = invoke("cypher", query, "-p", "id=C1", "-r", str(run_dir), "--format", "json", "--unmask")
    assert json.loads(result.stdout)[0]["name"] == "张伟"
    assert json.loads(result.stdout)[0]["c"]["name"] == "张伟"
    result = invoke("cypher", query, "-p", "id=C1", "-r", str(run_dir), "-f", "csv")
    assert result.stdout.splitlines()[0] == "name,c"


def test_cypher_refuses_writes_unless_allowed(writable_run_dir: Path) -> None:
    query = "MATCH (c:Customer {customer_id: 'C1'}) SET c.status = 'reviewed' RETURN c.status"
    result = invoke("cypher", query, "-r", str(writable_run_dir))
    assert result.exit_code == 1
    assert "this query writes (SET) and the graph store is read-only: pass --allow-write" in result.output
    assert "Traceback" not in result.output
    result = invoke("cypher", query, "-r", str(writable_run_dir), "--allow-write", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"c.status": "reviewed"}]


@pytest.mark.parametrize(("args", "message"), [
    (["cypher", "MATCH (c:Customer {customer_id: $id}) RETURN c"], "missing parameter(s): $id"),
    (["cypher", "MATCH (c:Customer) RETURN c", "-p", "n:int=x"], "not a valid INT64"),
    (["cypher", "MATCH (c:Nope) RETURN c"], "Table Nope does not exist"),
    (["cypher", "MATCH (c:Customer) RETURN c.customer_id", "-p", "idd=C1"], "parameter(s) idd not used by the query"),
    (["cypher", "CALL db.labels()"], "`linker schema` lists its labels"),
    (["cypher", "CALL drop_everything()"], "is not one of the procedures known to only read"),
    (["cypher", "MATCH (c:Customer {customer_id: 'C1'})-[r]-(x) RETURN count(*)"],
     "cannot follow PURCHASED, BROWSED, CARD_SPEND, HAS_NEED"),
    (["cypher", "MATCH p = shortestPath((a:Customer)-[*..3]-(b:Customer)) RETURN p"],
     "[:HAS_PHONE|HAS_EMAIL|HAS_DEVICE|LINKED_TO* SHORTEST 1..6]"),
    (["queries", "run", "nope"], "no query named 'nope'"),
    (["queries", "run", "linked_to_customer"], "needs --param customer_id="),
    (["show", "C9"], "no customer 'C9'"),
])
def test_errors_exit_1_with_one_message(run_dir: Path, args: list[str], message: str) -> None:
    result = invoke(*args, "--run-dir", str(run_dir)) if args[0] != "queries" or args[1] == "run" else invoke(*args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["cypher", "MATCH (c:Customer) RETURN c", "-f", "xml"],
    ["show", "C1", "--hops", "0"],
    ["show", "C1", "--max-nodes", "0"],
    ["cypher", "MATCH (c:Customer) RETURN c", "--max-rows", "0"],
])
def test_bad_option_values_are_usage_errors(run_dir: Path, args: list[str]) -> None:
    result = invoke(*args, "--run-dir", str(run_dir))
    assert result.exit_code == 2, result.output


def test_cypher_names_unaliased_columns_from_their_expression(run_dir: Path) -> None:
    query = "MATCH p = (c:Customer {customer_id: 'C1'})-[:HAS_PHONE]->(x) RETURN length(p), x.value AS phone"
    result = invoke("cypher", query, "-r", str(run_dir), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "length(p),phone"
    assert "****" in result.stdout   # the phone, masked


def test_cypher_says_when_max_rows_left_rows_unread(run_dir: Path) -> None:
    result = invoke("cypher", "MATCH (c:Customer) RETURN c.customer_id", "-r", str(run_dir), "--max-rows", "1")
    assert result.exit_code == 0 and "1 row(s), more not read (--max-rows)" in result.stdout
    result = invoke("cypher", "MATCH (c:Customer) RETURN c.customer_id", "-r", str(run_dir), "--max-rows", "1",
                    "-f", "json")
    assert len(json.loads(result.stdout)) == 1 and "the query has more (--max-rows)" in result.stderr
    result = invoke("cypher", "MATCH (c:Customer) RETURN c.customer_id", "-r", str(run_dir), "--max-rows", "99")
    assert "more not read" not in result.output


def test_schema_lists_labels_types_directions_and_counts(run_dir: Path) -> None:
    result = invoke("schema", "-r", str(run_dir), "-f", "json")
    assert result.exit_code == 0, result.output
    entries = {e["name"]: e for e in json.loads(result.stdout)}
    customers = json.loads(invoke("cypher", "MATCH (c:Customer) RETURN count(c) AS n", "-r", str(run_dir),
                                  "-f", "json").stdout)[0]["n"]
    assert entries["Customer"]["count"] == customers > 0 and entries["Customer"]["key"] == "customer_id"
    assert entries["Customer"]["personal"] == ["birth_date", "name"]
    assert entries["PURCHASED"]["directions"] == "forward only"
    assert entries["LINKED_TO"]["directions"] == "both ways" and entries["LINKED_TO"]["count"] > 0
    table = invoke("schema", "-r", str(run_dir))
    assert table.exit_code == 0 and "OnlineAccount" in table.stdout and "forward only" in table.stdout


def test_show_masks_unless_unmask(run_dir: Path) -> None:
    masked = invoke("show", "C1", "-r", str(run_dir))
    assert masked.exit_code == 0, masked.output
    assert "张*" in masked.stdout and "张伟" not in masked.stdout and "****" in masked.stdout
    raw = invoke("show", "C1", "-r", str(run_dir), "--unmask")
    assert "张伟" in raw.stdout


def test_a_missing_run_is_reported(tmp_path: Path) -> None:
    result = invoke("queries", "run", "hub_identifiers", "--run-dir", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no run folder" in result.output


def test_queries_list_run_and_show(run_dir: Path) -> None:
    listed = json.loads(invoke("queries", "list", "--format", "json").stdout)
    assert {q["name"] for q in listed} >= {"hub_identifiers", "shortest_identity_path"}
    assert invoke("queries", "list").exit_code == 0
    result = invoke("queries", "run", "ambiguous_accounts", "-r", str(run_dir), "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["account_id"] == "A2"
    shown = invoke("queries", "show", "shortest_identity_path", "--dialect", "neo4j")
    assert shown.exit_code == 0 and "shortestPath(" in shown.stdout


def test_export_neo4j_writes_the_bundle_and_prints_the_command(run_dir: Path, tmp_path: Path) -> None:
    result = invoke("export", "neo4j", "-r", str(run_dir), "-o", str(tmp_path / "bundle"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("neo4j-admin database import full neo4j ")
    assert (tmp_path / "bundle" / "import.sh").is_file()
    again = invoke("export", "neo4j", "-r", str(run_dir), "-o", str(tmp_path / "bundle"))
    assert again.exit_code == 1 and "--overwrite" in again.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_load_neo4j_takes_the_password_from_the_environment_and_never_prints_it(run_dir: Path) -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    args = ["load", "neo4j", "--uri", uri, "--user", "neo4j", "-r", str(run_dir), "--retry-seconds", "1"]
    missing = invoke(*args, "--password-env", "LINKER_TEST_NO_SUCH_VARIABLE")
    assert missing.exit_code == 1 and "LINKER_TEST_NO_SUCH_VARIABLE" in missing.output
    secret = "s3cret-Password-do-not-print"
    result = invoke(*args, env={"NEO4J_PASSWORD": secret})
    assert result.exit_code == 1
    assert "could not be reached" in result.output and secret not in result.output
    assert "Traceback" not in result.output


def test_show_draws_a_page_or_lists_the_neighbourhood(run_dir: Path, tmp_path: Path) -> None:
    page = tmp_path / "c1.html"
    result = invoke("show", "C1", "--html", str(page), "-r", str(run_dir))
    assert result.exit_code == 0, result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    listed = invoke("show", "C3", "-r", str(run_dir))
    assert listed.exit_code == 0 and "+86 138****0009" in listed.stdout and "hub" in listed.stdout


def test_graphml_exports_a_cluster(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "c.graphml"
    result = invoke("graphml", "--customer", "C1", "-o", str(target), "-r", str(run_dir))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    assert invoke("graphml", "-o", str(target), "-r", str(run_dir)).exit_code == 2
    unknown = invoke("graphml", "CLnope", "-o", str(target), "-r", str(run_dir))
    assert unknown.exit_code == 1 and "no cluster" in unknown.output
