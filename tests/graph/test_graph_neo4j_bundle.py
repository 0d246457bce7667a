"""The neo4j-admin import bundle, read back: headers in Neo4j's documented format, typed values that parse,
one ID space per label with unique IDs, and relationship ends that exist."""

import csv
import json
import re
import shlex
from datetime import date, datetime
from pathlib import Path

import pytest

from linker.errors import GraphStoreError
from linker.graph.cypher import run_cypher
from linker.graph.dialect import NEO4J_IMPORT_TYPES
from linker.graph.neo4j_bundle import export_neo4j_bundle
from linker.schema import load_schema

SCHEMA = load_schema()
FIELD = re.compile(r"^(?P<name>\w*):(?P<type>ID\((?P<id>\w+)\)|START_ID\((?P<start>\w+)\)|END_ID\((?P<end>\w+)\)|"
                   r"[a-z]+(\[\])?)$")
PARSE = {"string": str, "long": int, "double": float, "boolean": lambda v: {"true": True, "false": False}[v],
         "date": date.fromisoformat, "localdatetime": datetime.fromisoformat,
         "string[]": lambda v: v.split(";")}


@pytest.fixture(scope="module")
def bundle(run_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    return export_neo4j_bundle(run_dir, tmp_path_factory.mktemp("bundle") / "neo4j-import")


def _read(bundle, header_file: Path, data_file: Path) -> tuple[list[dict], list[list[str]]]:
    fields = []
    for text in next(csv.reader((bundle.folder / header_file).open(encoding="utf-8"))):
        m = FIELD.match(text)
        assert m, f"{header_file}: {text!r} is not a neo4j-admin header field"
        fields.append(m.groupdict())
    with (bundle.folder / data_file).open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert all(len(r) == len(fields) for r in rows), data_file
    return fields, rows


def _sources(bundle) -> dict[str, list[tuple[str, Path, Path]]]:
    """The --nodes/--relationships arguments of the command, parsed back."""
    out: dict[str, list[tuple[str, Path, Path]]] = {"nodes": [], "relationships": []}
    for word in shlex.split(bundle.command):
        m = re.match(r"--(nodes|relationships)=(\w+)=([^,]+),([^,]+)$", word)
        if m:
            out[m[1]].append((m[2], Path(m[3]), Path(m[4])))
    return out


def test_the_command_is_a_full_import_of_every_file(bundle) -> None:
    words = shlex.split(bundle.command)
    assert words[:5] == ["neo4j-admin", "database", "import", "full", "neo4j"]
    assert "--id-type=string" in words and "--array-delimiter=;" in words
    sources = _sources(bundle)
    assert [name for name, _, _ in sources["nodes"]] == list(SCHEMA.nodes)
    assert len(sources["relationships"]) == sum(len(r.pairs) for r in SCHEMA.relationships.values())
    script = (bundle.folder / "import.sh").read_text(encoding="utf-8")
    assert 'neo4j-admin database import full "$DATABASE" --id-type=string' in script
    assert (bundle.folder / "import.sh").stat().st_mode & 0o111


def test_headers_follow_the_schema_and_values_parse_as_their_types(bundle) -> None:
    ids: dict[str, set[str]] = {}
    sources = _sources(bundle)
    for label, header, data in sources["nodes"]:
        fields, rows = _read(bundle, header, data)
        node = SCHEMA.nodes[label]
        assert fields[0]["name"] == node.key and fields[0]["id"] == label  # one ID space per label
        declared = {f["name"]: f["type"] for f in fields[1:]}
        assert declared == {**{p: NEO4J_IMPORT_TYPES[t] for p, t in node.properties.items() if p != node.key},
                            "run_id": "string"}
        keys = [r[0] for r in rows]
        assert len(keys) == len(set(keys)), f"duplicate IDs in {data}"
        ids[label] = set(keys)
        for row in rows:
            for f, value in zip(fields[1:], row[1:], strict=True):
                if value != "":
                    PARSE[f["type"]](value)
    assert ids["Customer"] == {"C1", "C2", "C3", "C4", "C5"}
    for rel, header, data in sources["relationships"]:
        fields, rows = _read(bundle, header, data)
        start, end = fields[0]["start"], fields[1]["end"]
        assert (start, end) in SCHEMA.relationships[rel].pairs
        assert all(r[0] in ids[start] and r[1] in ids[end] for r in rows), f"dangling end in {data}"
        declared = {f["name"]: f["type"] for f in fields[2:]}
        assert declared == {**{p: NEO4J_IMPORT_TYPES[t] for p, t in SCHEMA.relationships[rel].properties.items()},
                            "run_id": "string"}
        for row in rows:
            for f, value in zip(fields[2:], row[2:], strict=True):
                if value != "":
                    PARSE[f["type"]](value)


def test_values_round_trip(bundle) -> None:
    fields, rows = _read(bundle, Path("nodes/OnlineAccount.header.csv"), Path("nodes/OnlineAccount.csv"))
    a1 = dict(zip([f["name"] for f in fields], next(r for r in rows if r[0] == "A1"), strict=True))
    assert datetime.fromisoformat(a1["registered_at"]) == datetime(2021, 1, 1, 9)
    assert a1["link_decision"] == "linked" and a1["run_id"] == bundle.run_id
    fields, rows = _read(bundle, Path("nodes/Customer.header.csv"), Path("nodes/Customer.csv"))
    needs = {r[0]: r[[f["name"] for f in fields].index("needs")] for r in rows}
    assert needs["C1"] == "home_furnishing" and needs["C2"] == ""  # an empty list is no property
    fields, rows = _read(bundle, Path("relationships/LINKED_TO.OnlineAccount.Customer.header.csv"),
                         Path("relationships/LINKED_TO.OnlineAccount.Customer.csv"))
    evidence = json.loads(rows[0][[f["name"] for f in fields].index("evidence")])
    assert (evidence[0]["comparison"], evidence[0]["level"]) == ("phone", "exact_sole")


def test_the_bundle_carries_the_schema_ddl_and_a_manifest(bundle) -> None:
    ddl = (bundle.folder / "schema.cypher").read_text(encoding="utf-8")
    assert "CREATE CONSTRAINT customer_customer_id_key IF NOT EXISTS" in ddl
    manifest = json.loads((bundle.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == bundle.run_id == "run-test-0001"
    assert manifest["counts"]["Customer"] == 5 and manifest["counts"]["LINKED_TO.OnlineAccount.Customer"] == 4


def test_an_existing_bundle_is_kept_unless_overwritten(bundle, run_dir: Path) -> None:
    with pytest.raises(GraphStoreError, match="exists; pass --overwrite"):
        export_neo4j_bundle(run_dir, bundle.folder)
    again = export_neo4j_bundle(run_dir, bundle.folder, overwrite=True, run_id="other", database="investigation")
    assert again.run_id == "other" and " investigation " in again.command
    assert not list(bundle.folder.parent.glob(".*tmp*"))


def test_a_list_value_holding_the_delimiter_is_refused(writable_run_dir: Path, tmp_path: Path) -> None:
    run_cypher(writable_run_dir, "MATCH (c:Customer {customer_id: 'C1'}) SET c.needs = ['a;b']", allow_write=True)
    with pytest.raises(GraphStoreError, match="Customer.needs hold the array delimiter"):
        export_neo4j_bundle(writable_run_dir, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_the_bundle_is_read_from_the_store_alone(writable_run_dir: Path, tmp_path: Path) -> None:
    """Runs keep event tables as temporary tables: the export must not need the run database."""
    (writable_run_dir / "work.duckdb").unlink()
    bundle = export_neo4j_bundle(writable_run_dir, tmp_path / "b")
    assert bundle.counts["PURCHASED.OnlineAccount.Category"] == 3
    assert bundle.counts["CARD_SPEND.Customer.Category"] == 2
