"""A bundle for ``neo4j-admin database import full``: typed-header CSVs, the exact command, the schema DDL.

This is the fast path into Neo4j for millions of nodes (the importer writes the store files directly; the
database must not exist yet). Layout of a bundle::

    import.sh                 the exact neo4j-admin command (run it from anywhere; it cds into the bundle)
    schema.cypher             constraints and indexes, to run once the database is started
    manifest.json             run id, files, row counts, header of every file
    nodes/Customer.header.csv, nodes/Customer.csv, ...
    relationships/HAS_PHONE.Customer.Phone.header.csv, relationships/HAS_PHONE.Customer.Phone.csv, ...

Header format (Neo4j's): a node file's key column is ``customer_id:ID(Customer)`` (one ID space per label,
so a phone number and an email never collide), every other column ``name:type`` with the types of
:data:`linker.graph.dialect.NEO4J_IMPORT_TYPES`; a relationship file starts with ``:START_ID(Label)`` and
``:END_ID(Label)``. Lists are joined with ``;`` (``--array-delimiter``). Every file carries ``run_id``.
CSV cells are written as they are (no spreadsheet quoting: the bundle is for the importer, not for people).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linker.errors import GraphStoreError
from linker.graph.build import ENDS, GraphQueries, relationship_file_stem
from linker.graph.dialect import NEO4J_IMPORT_TYPES, NEO4J_STAMP
from linker.graph.neo4j_load import schema_statements
from linker.graph.runs import graph_tables, resolve_run_id
from linker.schema import GraphSchema, load_schema
from linker.sql import quote_ident, quote_literal

ARRAY_DELIMITER = ";"
DEFAULT_BUNDLE = "neo4j-import"


@dataclass
class Bundle:
    """What :func:`export_neo4j_bundle` wrote."""

    folder: Path
    run_id: str
    command: str
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def node_header(label: str, schema: GraphSchema | None = None) -> list[str]:
    """Header fields of a label's node file.

    >>> node_header("Need")
    ['name:ID(Need)', 'action:string', 'run_id:string']
    """
    schema = schema or load_schema()
    node = schema.nodes[label]
    fields = [f"{node.key}:ID({label})"]
    fields += [f"{p}:{NEO4J_IMPORT_TYPES[t]}" for p, t in node.properties.items() if p not in (node.key, NEO4J_STAMP)]
    return fields + [f"{NEO4J_STAMP}:string"]


def relationship_header(rel_type: str, from_label: str, to_label: str, schema: GraphSchema | None = None
                        ) -> list[str]:
    """Header fields of a relationship pair's file.

    >>> relationship_header("HAS_NEED", "Customer", "Need")[:3]
    [':START_ID(Customer)', ':END_ID(Need)', 'score:double']
    """
    schema = schema or load_schema()
    rel = schema.relationships[rel_type]
    fields = [f":START_ID({from_label})", f":END_ID({to_label})"]
    fields += [f"{p}:{NEO4J_IMPORT_TYPES[t]}" for p, t in rel.properties.items() if p != NEO4J_STAMP]
    return fields + [f"{NEO4J_STAMP}:string"]


def _cell(column: str, schema_type: str) -> str:
    """SQL writing one column as the importer reads its type."""
    q = quote_ident(column)
    if schema_type == "DATE":
        return f"strftime({q}, '%Y-%m-%d')"
    if schema_type == "TIMESTAMP":
        return f"strftime({q}, '%Y-%m-%dT%H:%M:%S.%f')"
    if schema_type == "STRING[]":
        return f"CASE WHEN len({q}) = 0 THEN NULL ELSE array_to_string({q}, {quote_literal(ARRAY_DELIMITER)}) END"
    return q


def _csv_sql(sql: str, columns: list[tuple[str, str]], run_id: str) -> str:
    cells = [_cell(c, t) for c, t in columns] + [quote_literal(run_id)]
    return f"SELECT {', '.join(cells)} FROM ({sql}) g"


def _check_arrays(con: duckdb.DuckDBPyConnection, sql: str, columns: list[tuple[str, str]], what: str) -> None:
    for column, schema_type in columns:
        if schema_type != "STRING[]":
            continue
        q = quote_ident(column)
        bad = con.execute(f"SELECT count(*) FROM ({sql}) g WHERE len(list_filter({q}, lambda x: "
                          f"contains(x, {quote_literal(ARRAY_DELIMITER)}))) > 0").fetchall()[0][0]
        if bad:
            raise GraphStoreError(f"Neo4j bundle: {bad} value(s) of {what}.{column} hold the array delimiter "
                                  f"{ARRAY_DELIMITER!r}; they cannot be written as a list")


def _has_newlines(con: duckdb.DuckDBPyConnection, sql: str, columns: list[tuple[str, str]]) -> bool:
    texts = [quote_ident(c) for c, t in columns if t == "STRING"]
    if not texts:
        return False
    condition = " OR ".join(f"regexp_matches({c}, '[\\r\\n]')" for c in texts)
    return bool(con.execute(f"SELECT count(*) FROM ({sql}) g WHERE {condition}").fetchall()[0][0])


def import_command(files: dict[str, list[tuple[str, Path, Path]]], *, multiline: bool, database: str = "neo4j",
                   database_variable: bool = False) -> str:
    """The ``neo4j-admin database import full`` command line for a bundle's files (paths relative to it).

    ``files`` maps ``"nodes"``/``"relationships"`` to (label or type, header file, data file). With
    ``database_variable`` the database is the shell variable ``$DATABASE`` (for ``import.sh``).
    """
    parts = ["neo4j-admin", "database", "import", "full", "--id-type=string", "--delimiter=,",
             f"--array-delimiter={ARRAY_DELIMITER}", "--quote=\"", f"--multiline-fields={str(multiline).lower()}",
             "--trim-strings=false", "--ignore-empty-strings=false", "--skip-duplicate-nodes=false",
             "--skip-bad-relationships=false"]
    for kind in ("nodes", "relationships"):
        parts += [f"--{kind}={name}={header.as_posix()},{data.as_posix()}" for name, header, data in files[kind]]
    words = [shlex.quote(p) for p in parts]
    words.insert(4, '"$DATABASE"' if database_variable else shlex.quote(database))
    return " ".join(words)


def export_neo4j_bundle(run_dir: Path, target: Path | None = None, *, run_id: str | None = None,
                        database: str = "neo4j", overwrite: bool = False, schema: GraphSchema | None = None
                        ) -> Bundle:
    """Write the neo4j-admin import bundle of a run.

    Parameters
    ----------
    run_dir
        The run folder (its graph store is read, read-only).
    target
        The bundle folder (default ``<run_dir>/neo4j-import``); written beside, then renamed into place.
    run_id
        Stamped on every node and relationship; by default the run's own.
    database
        The database name in the command.
    overwrite
        Replace an existing bundle.

    Returns
    -------
    Bundle

    Raises
    ------
    GraphStoreError
        If the target exists (without ``overwrite``) or a value cannot be written in the import format.

    Notes
    -----
    One DuckDB query per file, O(nodes + relationships).
    """
    schema = schema or load_schema()
    target = Path(target) if target else Path(run_dir) / DEFAULT_BUNDLE
    if target.exists() and not overwrite:
        raise GraphStoreError(f"Neo4j bundle: {target} exists; pass --overwrite to replace it")
    run_id = resolve_run_id(run_dir, run_id)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        with graph_tables(run_dir, schema=schema) as (con, queries):
            bundle = _write_bundle(con, queries, tmp, run_id=run_id, database=database, schema=schema)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    bundle.folder = target
    bundle.files = [target / f.relative_to(tmp) for f in bundle.files]
    return bundle


def _write_bundle(con: duckdb.DuckDBPyConnection, queries: GraphQueries, folder: Path, *, run_id: str,
                  database: str, schema: GraphSchema) -> Bundle:
    (folder / "nodes").mkdir(parents=True)
    (folder / "relationships").mkdir()
    bundle = Bundle(folder, run_id, "")
    listing: dict[str, list[tuple[str, Path, Path]]] = {"nodes": [], "relationships": []}
    headers: dict[str, list[str]] = {}
    multiline = False
    items: list[tuple[str, str, str, list[str], list[tuple[str, str]]]] = []
    for label, sql in queries.nodes.items():
        node = schema.nodes[label]
        columns = [(node.key, node.properties[node.key])] + [
            (p, t) for p, t in node.properties.items() if p not in (node.key, NEO4J_STAMP)]
        items.append(("nodes", label, label, node_header(label, schema), columns))
    for (rel, f, to), sql in queries.relationships.items():
        props = schema.relationships[rel].properties
        columns = [(e, "STRING") for e in ENDS] + [(p, t) for p, t in props.items() if p != NEO4J_STAMP]
        items.append(("relationships", rel, relationship_file_stem(rel, f, to), relationship_header(rel, f, to, schema),
                      columns))
    sqls = {**{label: sql for label, sql in queries.nodes.items()},
            **{relationship_file_stem(*key): sql for key, sql in queries.relationships.items()}}
    for kind, name, stem, header, columns in items:
        sql = sqls[stem]
        _check_arrays(con, sql, columns, stem)
        multiline = multiline or _has_newlines(con, sql, columns)
        header_file = Path(kind) / f"{stem}.header.csv"
        data_file = Path(kind) / f"{stem}.csv"
        (folder / header_file).write_text(",".join(header) + "\n", encoding="utf-8")
        rows = con.execute(f"COPY ({_csv_sql(sql, columns, run_id)}) TO {quote_literal(str(folder / data_file))} "
                           "(HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '')").fetchall()[0][0]
        bundle.counts[stem] = int(rows)
        listing[kind].append((name, header_file, data_file))
        headers[data_file.as_posix()] = header
        bundle.files += [folder / header_file, folder / data_file]
    bundle.command = import_command(listing, multiline=multiline, database=database)
    script = folder / "import.sh"
    script.write_text(_SCRIPT.format(command=import_command(listing, multiline=multiline, database_variable=True),
                                     database=shlex.quote(database)), encoding="utf-8")
    script.chmod(0o755)
    (folder / "schema.cypher").write_text(";\n".join(schema_statements(schema)) + ";\n", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(
        {"run_id": run_id, "command": bundle.command, "counts": bundle.counts, "headers": headers},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    bundle.files += [script, folder / "schema.cypher", folder / "manifest.json"]
    return bundle


_SCRIPT = """#!/usr/bin/env bash
# Import this bundle into a new Neo4j 5 database with neo4j-admin (the database must not exist yet; stop the
# DBMS, or use a database name that is not created). Then start it (CREATE DATABASE on Enterprise, or set it as
# the default database on Community) and run schema.cypher, e.g. cypher-shell -d "$DATABASE" -f schema.cypher
# Usage: ./import.sh [DATABASE]   (default {database}); neo4j-admin must be on PATH.
set -euo pipefail
cd "$(dirname "$0")"
DATABASE="${{1:-{database}}}"
{command}
"""
