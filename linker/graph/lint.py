"""Every Neo4j statement linker ships, checked with Neo4j's own Cypher linter (a node script).

The statements: the constraint and index DDL, the loader's MERGE statements, and the Neo4j rendering of every
library query, each with its parameters declared. The linter knows the schema's labels, relationship types
and property keys, and Neo4j 5's built-in functions only, so a misspelt property or a LadybugDB-only function
is a diagnostic. It runs ``scripts/cypher-lint/lint.mjs`` (``npm ci --prefix scripts/cypher-lint`` first).

``python -m linker.graph.lint`` prints the diagnostics and exits 1 if there are any.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import GraphStoreError
from linker.graph.build import ENDS
from linker.graph.dialect import NEO4J_STAMP
from linker.graph.library import load_library
from linker.graph.neo4j_load import node_statement, relationship_statement, schema_statements
from linker.schema import GraphSchema, load_schema

LINT_DIR = Path(__file__).resolve().parents[2] / "scripts" / "cypher-lint"

EXAMPLE_VALUES: dict[str, Any] = {"STRING": "x", "INT64": 1, "DOUBLE": 1.0, "BOOLEAN": True, "DATE": "2024-01-01",
                                  "TIMESTAMP": "2024-01-01T00:00:00", "STRING[]": ["x"]}
"""Example values declaring parameters to the linter (JSON has no dates: dates are given as text)."""


@dataclass(frozen=True)
class Statement:
    """A Neo4j statement with its parameters (name -> example value)."""

    name: str
    text: str
    parameters: dict[str, Any]


def shipped_statements(schema: GraphSchema | None = None) -> list[Statement]:
    """Every Neo4j statement linker sends or writes: DDL, loader statements, library queries."""
    schema = schema or load_schema()
    out = [Statement(f"ddl {i}", s, {}) for i, s in enumerate(schema_statements(schema), 1)]
    for label, node in schema.nodes.items():
        row = {p: EXAMPLE_VALUES[t] for p, t in node.properties.items()}
        out.append(Statement(f"load node {label}", node_statement(label, schema), {"rows": [row], "run_id": "x"}))
    for name, rel in schema.relationships.items():
        for f, to in rel.pairs:
            row = {ENDS[0]: "x", ENDS[1]: "x", **{p: EXAMPLE_VALUES[t] for p, t in rel.properties.items()}}
            out.append(Statement(f"load relationship {name} {f}->{to}", relationship_statement(name, f, to, schema),
                                 {"rows": [row], "run_id": "x"}))
    for query in load_library().values():
        out.append(Statement(f"library {query.name}", query.render("neo4j"),
                             {p.name: EXAMPLE_VALUES[p.type] for p in query.params}))
    return out


def lint(statements: list[Statement], schema: GraphSchema | None = None) -> dict[str, list[dict[str, Any]]]:
    """Diagnostics of Neo4j's linter for each statement, by statement name (an empty list: clean).

    Raises
    ------
    GraphStoreError
        If node or the linter's packages are missing (the message says how to install them).
    """
    schema = schema or load_schema()
    node = shutil.which("node")
    if node is None:
        raise GraphStoreError("the Cypher linter needs node (Node.js) on PATH")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        raise GraphStoreError(f"the Cypher linter is not installed: run `npm ci --prefix {LINT_DIR}`")
    properties = {p for n in schema.nodes.values() for p in n.properties}
    properties |= {p for r in schema.relationships.values() for p in r.properties} | {NEO4J_STAMP}
    properties |= set(ENDS)  # keys of the loader's row maps (row.src), which the linter reads as property keys
    payload = {
        "labels": list(schema.nodes), "relationshipTypes": list(schema.relationships),
        "propertyKeys": sorted(properties),
        "statements": [{"name": s.name, "text": s.text, "parameters": s.parameters} for s in statements],
    }
    done = subprocess.run([node, str(LINT_DIR / "lint.mjs")], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode not in (0, 1):
        raise GraphStoreError(f"the Cypher linter failed (exit {done.returncode}): {done.stderr.strip()}")
    return {item["name"]: item["diagnostics"] for item in json.loads(done.stdout)}


def main() -> int:  # pragma: no cover - command-line use
    report = lint(shipped_statements())
    dirty = {name: found for name, found in report.items() if found}
    for name, found in dirty.items():
        for d in found:
            print(f"{name}:{d['line']}:{d['character']}: {d['severity']}: {d['message']}")
    print(f"{len(report)} statements linted, {len(dirty)} with diagnostics")
    return 1 if dirty else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
