"""Run Cypher on the embedded store: typed parameters, read-only by default, table/CSV/JSON output.

Read-only is enforced three times: the query is checked for clauses that write to the store or to files
(``CREATE``, ``SET``, ``COPY`` ...), so the refusal says what to do; LadybugDB's own plan of it must hold no
operator that writes and no table function that reads files (:func:`check_plan`: it does not depend on reading
the text); and the store is opened read-only (LadybugDB refuses writes to the store, though not ``COPY ... TO``
a file). Parameters always travel as parameters: nothing given on the command line is pasted into the query.

Examples
--------
>>> parse_params(["name=张伟", "limit:int=5", "since:date=2024-01-31"])
{'name': '张伟', 'limit': 5, 'since': datetime.date(2024, 1, 31)}
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from linker.errors import QueryError
from linker.export.files import csv_guarded
from linker.graph.dialect import LADYBUG, parameter_names, strip_literals
from linker.graph.returns import column_names
from linker.graph.store import GraphStore, opened
from linker.schema import GraphSchema, load_schema

FORMATS = ("table", "csv", "json")

TYPE_ALIASES = {
    "str": "STRING", "string": "STRING", "int": "INT64", "int64": "INT64", "integer": "INT64", "long": "INT64",
    "float": "DOUBLE", "double": "DOUBLE", "bool": "BOOLEAN", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "datetime": "TIMESTAMP", "list": "STRING[]", "string[]": "STRING[]",
    "json": "JSON",
}
"""Names accepted in ``--param name:TYPE=value`` (case-insensitive), mapped to schema types (plus JSON)."""

WRITE_CLAUSES = ("CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "COPY", "CHECKPOINT",
                 "INSTALL", "LOAD", "ATTACH", "USE", "BEGIN", "COMMIT", "ROLLBACK", "IMPORT", "EXPORT", "FOREACH",
                 "CALL")
"""Clauses refused on a read-only store: they write to the store, to files, or change the session."""

READ_PROCEDURES = ("show_tables", "table_info", "show_connection", "db_version", "show_functions",
                   "show_indexes", "show_warnings", "current_setting")
"""LadybugDB procedures that only read, allowed after ``CALL`` on a read-only store."""

PLAN_WRITES = ("COPY", "INSERT", "SET", "DELETE", "CREATE", "DROP", "ALTER", "MERGE", "ATTACH", "DETACH",
               "EXPORT", "IMPORT", "INSTALL", "LOAD", "TRANSACTION", "CHECKPOINT", "USE", "STANDALONE_CALL",
               "BATCH_INSERT", "INDEX")
"""Operators of LadybugDB's physical plan (their name's start) refused on a read-only store: they write to the
store or to files, or change the session."""

PLAN_FUNCTIONS = ("READ_FTABLE", *(p.upper() for p in READ_PROCEDURES))
"""Table functions a read-only query may call: LadybugDB's scan of intermediate results, and the procedures that
only read. Any other (``READ_CSV``, ``READ_PARQUET`` ... of ``LOAD FROM``) reads files, and is refused."""

_WRITE = re.compile(r"(?<![.:\w$])(" + "|".join(WRITE_CLAUSES) + r")\b(?!\s*:)", re.IGNORECASE)
_CALL = re.compile(r"\bCALL\s+(\w+)\s*\(", re.IGNORECASE)


@dataclass
class QueryResult:
    """Columns and rows of a query, with values made JSON-ready (nodes and relationships as dicts)."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    """More rows were left unread (``max_rows``)."""


# ------------------------------------------------------------------------------------------------ parameters
def parse_value(text: str, type_name: str, *, name: str = "value") -> Any:
    """Parse one parameter value given as text into the Python value of a schema type.

    Raises
    ------
    QueryError
        If the text is not a value of that type (the message names the parameter and type).
    """
    kind = TYPE_ALIASES.get(type_name.lower(), type_name.upper())
    try:
        if kind == "STRING":
            return text
        if kind == "INT64":
            number = int(text)
            if not -2**63 <= number < 2**63:
                raise ValueError("beyond a 64-bit integer")
            return number
        if kind == "DOUBLE":
            return float(text)
        if kind == "BOOLEAN":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind == "DATE":
            return date.fromisoformat(text)
        if kind == "TIMESTAMP":
            value = datetime.fromisoformat(text)
            if value.tzinfo is not None:
                raise ValueError("a timestamp here has no time zone (local date-time)")
            return value
        if kind == "STRING[]":
            items = json.loads(text) if text.startswith("[") else [s.strip() for s in text.split(",") if s.strip()]
            if not all(isinstance(i, str) for i in items):
                raise ValueError("a list of strings")
            return items
        if kind == "JSON":
            return json.loads(text)
    except (ValueError, json.JSONDecodeError) as e:
        raise QueryError(f"parameter {name}: {text!r} is not a valid {kind} ({e})") from e
    raise QueryError(f"parameter {name}: unknown type {type_name!r}; use one of {', '.join(sorted(TYPE_ALIASES))}")


def parse_params(items: Sequence[str], declared: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse ``name=value`` / ``name:TYPE=value`` items.

    Without ``:TYPE`` a value is a string, unless ``declared`` gives the parameter's type (library queries).

    Raises
    ------
    QueryError
        For an item without ``=``, an unknown type, a value that does not parse, or a parameter given twice.
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param {item!r}: write name=value or name:TYPE=value")
        name, _, type_name = key.strip().partition(":")
        if name in params:
            raise QueryError(f"parameter {name} is given twice")
        type_name = type_name or (declared or {}).get(name, "STRING")
        params[name] = parse_value(text, type_name, name=name)
    return params


# ------------------------------------------------------------------------------------------------ checks
def check_query(query: str, params: Mapping[str, Any], *, allow_write: bool = False) -> None:
    """Refuse what the store would run wrongly or silently: writes, several statements, missing parameters.

    LadybugDB runs a query whose ``$parameter`` is not given as if the parameter matched nothing; this refuses
    it instead. Known dialect pitfalls (``labels(n)[0]`` ...) are refused with the LadybugDB spelling.

    Raises
    ------
    QueryError
        Saying what is wrong and what to do.
    """
    bare = strip_literals(query)
    if not bare.strip():
        raise QueryError("the query is empty")
    if ";" in bare.strip().rstrip(";"):
        raise QueryError("give one statement at a time (the query holds a ';' between statements)")
    LADYBUG.check(query)
    if not allow_write:
        for m in _WRITE.finditer(bare):
            word = m.group(1).upper()
            if word == "CALL":
                call = _CALL.match(bare, m.start())
                if call and call.group(1).lower() in READ_PROCEDURES:
                    continue
                raise QueryError(f"CALL {call.group(1) if call else ''}() is not one of the procedures known to "
                                 f"only read ({', '.join(READ_PROCEDURES)}), and the graph store is read-only: "
                                 "pass --allow-write to run it")
            raise QueryError(f"this query writes ({word}) and the graph store is read-only: "
                             "pass --allow-write to change the store of this run")
    missing = [p for p in parameter_names(query) if p not in params]
    if missing:
        raise QueryError("missing parameter(s): " + ", ".join(f"${p}" for p in missing)
                         + " (give them with --param name=value)")
    if any(value is None for value in params.values()):
        raise QueryError("LadybugDB does not take null parameters: leave the parameter out of the query instead")


def check_plan(store: GraphStore, query: str, params: Mapping[str, Any]) -> None:
    """Refuse a query whose plan, as LadybugDB itself compiles it, writes or reads files (the second barrier
    of a read-only store: it does not depend on how :func:`check_query` reads the text, and LadybugDB opened
    read-only still runs ``COPY ... TO`` and ``LOAD FROM``).

    Raises
    ------
    QueryError
        Naming the operator or table function of the plan that is refused, or LadybugDB's reason when it cannot
        compile the query.
    """
    try:
        plan = str(store.execute(f"EXPLAIN {query}", dict(params)).get_all()[0][0])
    except RuntimeError as e:
        raise QueryError(f"{LADYBUG.name} rejected the query: {LADYBUG.hint(str(e))}") from e
    for operator in re.findall(r"\b([A-Z][A-Z_]+)\[\d+\]", plan):
        if operator.startswith(PLAN_WRITES):
            raise QueryError(f"this query writes ({operator} in {LADYBUG.name}'s plan) and the graph store is "
                             "read-only: pass --allow-write to change the store of this run")
    for function in re.findall(r"Function: (\w+)", plan):
        if function.upper() not in PLAN_FUNCTIONS:
            raise QueryError(f"this query calls {function} ({LADYBUG.name}'s plan), which reads files or is not "
                             "known to only read: it is refused on a read-only store")


# ------------------------------------------------------------------------------------------------ running
def run_query(store: GraphStore, query: str, params: Mapping[str, Any] | None = None, *, allow_write: bool = False,
              timeout_seconds: float | None = 60.0, max_rows: int | None = None,
              schema: GraphSchema | None = None) -> QueryResult:
    """Run one Cypher statement on an open store.

    Parameters
    ----------
    store
        From :func:`linker.graph.store.open_store` (read-only unless ``allow_write``).
    query
        One Cypher statement, in LadybugDB's dialect.
    params
        Parameter values by name (parameters are never pasted into the text).
    allow_write
        Let a writing query through (the store must also be open read-write).
    timeout_seconds
        Interrupt the query after this long (None: no limit).
    max_rows
        Stop reading after this many rows.

    Returns
    -------
    QueryResult

    Raises
    ------
    QueryError
        If the query is refused (see :func:`check_query`), LadybugDB rejects it, or it times out.
    """
    params = dict(params or {})
    check_query(query, params, allow_write=allow_write)
    if not allow_write:
        check_plan(store, query, params)
    schema = schema or load_schema()
    if timeout_seconds:
        store.connection.set_query_timeout(int(timeout_seconds * 1000))
    try:
        result = store.execute(query, params)
        if isinstance(result, list):  # pragma: no cover - several statements are refused above
            raise QueryError("give one statement at a time")
        columns = column_names(query, list(result.get_column_names()))
        rows: list[list[Any]] = []
        while result.has_next() and (max_rows is None or len(rows) < max_rows):
            rows.append([plain(v, schema) for v in result.get_next()])
        truncated = result.has_next()
        result.close()
    except RuntimeError as e:
        message = str(e)
        if "read-only" in message:
            raise QueryError("this query writes and the graph store is open read-only: pass --allow-write "
                             "to change the store of this run") from e
        if "Interrupted" in message and timeout_seconds:
            raise QueryError(f"{LADYBUG.name} interrupted the query after {timeout_seconds:g} s (--timeout): "
                             f"{LADYBUG.hint(message)}") from e
        raise QueryError(f"{LADYBUG.name} rejected the query: {LADYBUG.hint(message)}") from e
    finally:
        if timeout_seconds:
            store.connection.set_query_timeout(0)
    return QueryResult(columns, rows, truncated)


def run_cypher(run_dir: Path, query: str, params: Mapping[str, Any] | None = None, *, allow_write: bool = False,
               timeout_seconds: float | None = 60.0, max_rows: int | None = None) -> QueryResult:
    """Open a run's store (read-only unless ``allow_write``), run one statement, close the store.

    Raises
    ------
    RunNotFoundError
        If the run folder has no graph store.
    QueryError
        See :func:`run_query`; also for a parameter the query does not use (a misspelt name would otherwise be
        ignored, and the query run without it).
    """
    unused = [name for name in (params or {}) if name not in parameter_names(query)]
    if unused:
        used = ", ".join(f"${p}" for p in parameter_names(query)) or "none"
        raise QueryError(f"parameter(s) {', '.join(unused)} not used by the query (it uses {used})")
    check_query(query, dict(params or {}), allow_write=allow_write)
    with opened(run_dir, read_only=not allow_write) as store:
        return run_query(store, query, params, allow_write=allow_write, timeout_seconds=timeout_seconds,
                         max_rows=max_rows)


# ------------------------------------------------------------------------------------------------ values
def plain(value: Any, schema: GraphSchema | None = None) -> Any:
    """A JSON-ready value: nodes as ``{"_label": L, ...properties}``, relationships as ``{"_type": T, ...}``,
    paths as ``{"nodes": [...], "relationships": [...]}``, dates as ISO text.

    Only the properties the schema gives a label or type are kept (LadybugDB fills the others with nulls).

    >>> plain({"_ID": {"offset": 0, "table": 0}, "_LABEL": "Need", "name": "x", "action": None, "value": None})
    {'_label': 'Need', 'name': 'x', 'action': None}
    """
    schema = schema or load_schema()
    if isinstance(value, dict):
        if "_NODES" in value:
            return {"nodes": [plain(n, schema) for n in value["_NODES"]],
                    "relationships": [plain(r, schema) for r in value.get("_RELS", [])]}
        if "_LABEL" in value and "_SRC" in value:
            props = schema.relationships[value["_LABEL"]].properties if value["_LABEL"] in schema.relationships \
                else {k: "" for k in value if not k.startswith("_")}
            return {"_type": value["_LABEL"], **{k: plain(value.get(k), schema) for k in props}}
        if "_LABEL" in value and "_ID" in value:
            props = schema.nodes[value["_LABEL"]].properties if value["_LABEL"] in schema.nodes \
                else {k: "" for k in value if not k.startswith("_")}
            return {"_label": value["_LABEL"], **{k: plain(value.get(k), schema) for k in props}}
        return {k: plain(v, schema) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, schema) for v in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def short(value: Any, schema: GraphSchema | None = None) -> str:
    """A compact text for a table cell: ``(:Customer C1)`` for a node, ``[:LINKED_TO]`` for a relationship.

    >>> short({"_label": "Customer", "customer_id": "C1", "name": "x"})
    '(:Customer C1)'
    """
    schema = schema or load_schema()
    if isinstance(value, dict):
        if "_label" in value:
            node = schema.nodes.get(value["_label"])
            key = value.get(node.key) if node else None
            return f"(:{value['_label']} {key})"
        if "_type" in value:
            return f"[:{value['_type']}]"
        if "nodes" in value and "relationships" in value:
            return "-".join(short(n, schema) for n in value["nodes"])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(short(v, schema) for v in value) + "]"
    if value is None:
        return ""
    if isinstance(value, float):
        return number_text(value)
    return str(value)



def format_result(result: QueryResult, fmt: str, *, width: int = 160) -> str:
    """Render a result as ``table`` (aligned text), ``csv`` (spreadsheet-safe) or ``json`` (list of objects).

    CSV cells a spreadsheet would run as a formula (``= + - @``, tab, CR; not a number or phone number) get a
    leading single quote, as every CSV linker writes; nested values are JSON text; floats have 12 significant
    digits in tables and CSV.

    Raises
    ------
    QueryError
        For an unknown format.
    """
    if fmt == "json":
        return json.dumps([dict(zip(result.columns, row)) for row in result.rows], ensure_ascii=False,
                          indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return buffer.getvalue()
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False)
        for column in result.columns:
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(*(Text(short(v)) for v in row))
        console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
        console.print(table)
        console.print(f"{len(result.rows)} row(s)" + (", more not read (--max-rows)" if result.truncated else ""))
        return console.export_text()
    raise QueryError(f"unknown output format {fmt!r}: use one of {', '.join(FORMATS)}")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) \
        if isinstance(value, (dict, list)) else number_text(value) if isinstance(value, float) else str(value)
    return csv_guarded(text)


def number_text(value: float) -> str:
    """A float as people read it: 12 significant digits, so that the noise of binary sums goes.

    >>> number_text(667577.2599999997), number_text(0.409201), number_text(3.0)
    ('667577.26', '0.409201', '3')
    """
    return format(value, ".12g")
