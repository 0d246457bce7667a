"""Load a run's graph into a running Neo4j 5 through the official driver, idempotently.

Everything the loader sends is built by pure functions (:func:`schema_statements`, :func:`node_statement`,
:func:`relationship_statement`, :func:`load_plan`), tested and linted without a server. The driver does the
rest: each batch is one managed transaction (``session.execute_write``), which the driver retries on transient
errors and lost connections for up to ``retry_seconds``.

Idempotent: nodes are MERGEd on their key (under a uniqueness constraint), relationships MERGEd between their
two ends (one per pair, as the graph has), and every property SET from the run, so loading the same run twice
changes nothing. Every node and relationship written gets ``run_id``: the run that wrote it last.

After ``linker update``, ``changes=True`` sends only the update's graph change set (:mod:`linker.graph.changes`,
:func:`change_plan`): relationships and nodes removed are DELETEd, those added or changed MERGEd as above; a
database holding the previous run's graph then holds the update's. Applying the same change set twice changes
nothing either.

The password is read from an environment variable by the caller and never logged or put in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linker.errors import ConfigError, GraphStoreError
from linker.graph.build import ENDS, GraphQueries
from linker.graph.changes import GRAPH_CHANGES_DIR, GraphChanges, read_graph_changes
from linker.graph.dialect import NEO4J_STAMP
from linker.graph.runs import graph_tables, resolve_run_id
from linker.schema import GraphSchema, load_schema
from linker.sql import quote_ident

DEFAULT_BATCH = 5_000


# ------------------------------------------------------------------------------------------------ statements
def constraint_name(label: str, prop: str, kind: str) -> str:
    """A stable, readable name for a constraint or index, e.g. ``customer_customer_id_key``."""
    return f"{label.lower()}_{prop}_{kind}"


def schema_statements(schema: GraphSchema | None = None) -> list[str]:
    """Neo4j 5 DDL: a uniqueness constraint on every node key, an index on every schema index.

    >>> schema_statements()[0]
    'CREATE CONSTRAINT customer_customer_id_key IF NOT EXISTS FOR (n:Customer) REQUIRE n.customer_id IS UNIQUE'
    """
    schema = schema or load_schema()
    statements = [f"CREATE CONSTRAINT {constraint_name(label, n.key, 'key')} IF NOT EXISTS "
                  f"FOR (n:{label}) REQUIRE n.{n.key} IS UNIQUE" for label, n in schema.nodes.items()]
    statements += [f"CREATE INDEX {constraint_name(label, prop, 'index')} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
                   for label, n in schema.nodes.items() for prop in n.indexes]
    return statements


def node_statement(label: str, schema: GraphSchema | None = None) -> str:
    """``UNWIND $rows`` MERGE of one label's nodes on their key, setting every property and the run id.

    >>> print(node_statement("Need"))
    UNWIND $rows AS row
    MERGE (n:Need {name: row.name})
    SET n.action = row.action, n.run_id = $run_id
    """
    schema = schema or load_schema()
    node = schema.nodes[label]
    sets = [f"n.{p} = row.{p}" for p in node.properties if p not in (node.key, NEO4J_STAMP)]
    sets.append(f"n.{NEO4J_STAMP} = $run_id")
    return f"UNWIND $rows AS row\nMERGE (n:{label} {{{node.key}: row.{node.key}}})\nSET {', '.join(sets)}"


def relationship_statement(rel_type: str, from_label: str, to_label: str, schema: GraphSchema | None = None) -> str:
    """``UNWIND $rows`` MERGE of one relationship pair between its two ends (matched on their keys).

    >>> print(relationship_statement("HAS_NEED", "Customer", "Need"))
    UNWIND $rows AS row
    MATCH (a:Customer {customer_id: row.src})
    MATCH (b:Need {name: row.dst})
    MERGE (a)-[r:HAS_NEED]->(b)
    SET r.score = row.score, r.action = row.action, r.evidence = row.evidence, r.as_of = row.as_of, r.run_id = $run_id
    """
    schema = schema or load_schema()
    rel = schema.relationships[rel_type]
    src, dst = schema.nodes[from_label], schema.nodes[to_label]
    sets = [f"r.{p} = row.{p}" for p in rel.properties if p != NEO4J_STAMP]
    sets.append(f"r.{NEO4J_STAMP} = $run_id")
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a:{from_label} {{{src.key}: row.{ENDS[0]}}})\n"
            f"MATCH (b:{to_label} {{{dst.key}: row.{ENDS[1]}}})\n"
            f"MERGE (a)-[r:{rel_type}]->(b)\n"
            f"SET {', '.join(sets)}")


def node_delete_statement(label: str, schema: GraphSchema | None = None) -> str:
    """``UNWIND $rows`` DETACH DELETE of one label's nodes by key (their relationships go with them).

    >>> print(node_delete_statement("Need"))
    UNWIND $rows AS row
    MATCH (n:Need {name: row.name})
    DETACH DELETE n
    """
    schema = schema or load_schema()
    key = schema.nodes[label].key
    return f"UNWIND $rows AS row\nMATCH (n:{label} {{{key}: row.{key}}})\nDETACH DELETE n"


def relationship_delete_statement(rel_type: str, from_label: str, to_label: str,
                                  schema: GraphSchema | None = None) -> str:
    """``UNWIND $rows`` DELETE of one relationship pair's relationships between their two ends.

    >>> print(relationship_delete_statement("HAS_NEED", "Customer", "Need"))
    UNWIND $rows AS row
    MATCH (a:Customer {customer_id: row.src})-[r:HAS_NEED]->(b:Need {name: row.dst})
    DELETE r
    """
    schema = schema or load_schema()
    src, dst = schema.nodes[from_label].key, schema.nodes[to_label].key
    return (f"UNWIND $rows AS row\nMATCH (a:{from_label} {{{src}: row.{ENDS[0]}}})-[r:{rel_type}]->"
            f"(b:{to_label} {{{dst}: row.{ENDS[1]}}})\nDELETE r")


# ------------------------------------------------------------------------------------------------ batches
def batches(record_batches: Iterable[pa.RecordBatch], size: int) -> Iterator[list[dict[str, Any]]]:
    """Rows as lists of at most ``size`` dicts of driver-ready Python values.

    Arrow gives ``datetime.date`` for DATE, naive ``datetime.datetime`` for TIMESTAMP (Neo4j LocalDateTime),
    ``int``, ``float``, ``bool``, ``str`` and ``list[str]``: the driver's own parameter types.

    >>> table = pa.table({"k": ["a", "b", "c"]})
    >>> [len(b) for b in batches(table.to_batches(max_chunksize=2), 2)]
    [2, 1]
    """
    if size < 1:
        raise GraphStoreError(f"Neo4j: the batch size must be at least 1, not {size}")
    pending: list[dict[str, Any]] = []
    for record_batch in record_batches:
        pending.extend(record_batch.to_pylist())
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending:
        yield pending


@dataclass(frozen=True)
class Work:
    """One transaction for Neo4j: a statement and its parameters."""

    what: str
    statement: str
    parameters: dict[str, Any]

    @property
    def rows(self) -> int:
        return len(self.parameters.get("rows", ()))


def load_plan(con: duckdb.DuckDBPyConnection, queries: GraphQueries, *, run_id: str,
              batch_size: int = DEFAULT_BATCH, schema: GraphSchema | None = None) -> Iterator[Work]:
    """Every transaction of a load, in order: schema DDL, then nodes label by label, then relationships.

    ``queries`` give the graph (see :func:`linker.graph.runs.graph_tables`); rows stream from DuckDB in Arrow
    batches, at most one batch held at a time.
    """
    schema = schema or load_schema()
    for statement in schema_statements(schema):
        yield Work("schema", statement, {})
    for label, sql in queries.nodes.items():
        statement = node_statement(label, schema)
        sql = empty_lists_as_null(sql, schema.nodes[label].properties)
        for rows in batches(_stream(con, sql, batch_size), batch_size):
            yield Work(f"node {label}", statement, {"rows": rows, "run_id": run_id})
    for (rel, f, to), sql in queries.relationships.items():
        statement = relationship_statement(rel, f, to, schema)
        sql = empty_lists_as_null(sql, schema.relationships[rel].properties)
        for rows in batches(_stream(con, sql, batch_size), batch_size):
            yield Work(f"relationship {rel}", statement, {"rows": rows, "run_id": run_id})


def change_plan(changes: GraphChanges, *, run_id: str, batch_size: int = DEFAULT_BATCH,
                schema: GraphSchema | None = None) -> Iterator[Work]:
    """Every transaction applying an update's graph change set: schema DDL, relationships removed, nodes removed
    (with what they still hold), nodes added or changed, relationships added or changed.

    >>> plan = list(change_plan(GraphChanges("r1"), run_id="r1"))
    >>> {w.what for w in plan}
    {'schema'}
    """
    schema = schema or load_schema()
    for statement in schema_statements(schema):
        yield Work("schema", statement, {})
    for delta in changes.relationships():
        rel, f, to = delta.key   # type: ignore[str-unpack]
        statement = relationship_delete_statement(rel, f, to, schema)
        for rows in batches(delta.of("removed").select(list(ENDS)).to_batches(), batch_size):
            yield Work(f"removed relationship {rel}", statement, {"rows": rows})
    for delta in changes.nodes():
        label = str(delta.key)
        statement = node_delete_statement(label, schema)
        for rows in batches(delta.of("removed").select([schema.nodes[label].key]).to_batches(), batch_size):
            yield Work(f"removed node {label}", statement, {"rows": rows})
    for delta in changes.nodes():
        label = str(delta.key)
        statement = node_statement(label, schema)
        table = _empty_lists_as_null(delta.rows, schema.nodes[label].properties)
        for rows in batches(_not_removed(table).to_batches(), batch_size):
            yield Work(f"node {label}", statement, {"rows": rows, "run_id": run_id})
    for delta in changes.relationships():
        rel, f, to = delta.key   # type: ignore[str-unpack]
        statement = relationship_statement(rel, f, to, schema)
        table = _empty_lists_as_null(delta.rows, schema.relationships[rel].properties)
        for rows in batches(_not_removed(table).to_batches(), batch_size):
            yield Work(f"relationship {rel}", statement, {"rows": rows, "run_id": run_id})


def _not_removed(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    return table.filter(pc.not_equal(table["change"], "removed")).drop_columns(["change"])


def _empty_lists_as_null(table: pa.Table, properties: dict[str, str]) -> pa.Table:
    """:func:`empty_lists_as_null` for an Arrow table."""
    import pyarrow.compute as pc

    for prop, kind in properties.items():
        if kind == "STRING[]" and prop in table.column_names:
            column = table[prop]
            empty = pc.equal(pc.list_value_length(column), 0)
            table = table.set_column(table.column_names.index(prop), prop,
                                     pc.if_else(empty, pa.nulls(len(column), column.type), column))
    return table


def empty_lists_as_null(sql: str, properties: dict[str, str]) -> str:
    """Neo4j keeps no empty list from the importer, so neither path writes one: an empty list becomes no property.

    >>> empty_lists_as_null("SELECT 1", {"needs": "STRING[]", "name": "STRING"})
    'SELECT * REPLACE (CASE WHEN len("needs") = 0 THEN NULL ELSE "needs" END AS "needs") FROM (SELECT 1) g'
    """
    lists = [quote_ident(p) for p, t in properties.items() if t == "STRING[]"]
    if not lists:
        return sql
    replaced = ", ".join(f"CASE WHEN len({q}) = 0 THEN NULL ELSE {q} END AS {q}" for q in lists)
    return f"SELECT * REPLACE ({replaced}) FROM ({sql}) g"


def _stream(con: duckdb.DuckDBPyConnection, sql: str, batch_size: int) -> Iterator[pa.RecordBatch]:
    yield from con.sql(sql).to_arrow_reader(batch_size)


# ------------------------------------------------------------------------------------------------ running
def _write(tx: Any, statement: str, parameters: dict[str, Any]) -> dict[str, int]:
    """The transaction function: the driver calls it again on a transient error, so it only runs one statement."""
    counters = tx.run(statement, parameters).consume().counters
    return {"nodes_created": counters.nodes_created, "relationships_created": counters.relationships_created,
            "properties_set": counters.properties_set}


def run_plan(session: Any, plan: Iterable[Work], *, progress: Callable[[Work], None] | None = None
             ) -> dict[str, int]:
    """Send every transaction of a plan through ``session.execute_write``; returns rows sent and counters."""
    totals: dict[str, int] = {"transactions": 0, "rows": 0, "nodes_created": 0, "relationships_created": 0,
                              "properties_set": 0}
    for work in plan:
        counters = session.execute_write(_write, work.statement, work.parameters)
        totals["transactions"] += 1
        totals["rows"] += work.rows
        for key, value in counters.items():
            totals[key] += value
        if progress:
            progress(work)
    return totals


def load_neo4j(run_dir: Path, *, uri: str, user: str, password: str, database: str = "neo4j",
               batch_size: int = DEFAULT_BATCH, run_id: str | None = None, retry_seconds: float = 30.0,
               progress: Callable[[Work], None] | None = None, changes: bool = False) -> dict[str, Any]:
    """Load a run's graph into Neo4j (constraints and indexes first), idempotently; or only what an update changed.

    Parameters
    ----------
    run_dir
        The run folder (its graph store is read, read-only).
    uri, user, password
        Where and as whom to connect (``neo4j://`` or ``bolt://``, with ``+s`` for TLS).
    database
        The Neo4j database to write to.
    batch_size
        Rows per transaction.
    run_id
        Stamped on everything written; by default the run's own.
    retry_seconds
        How long the driver retries a failing transaction (transient errors, lost connections).
    changes
        Send only the graph change set of an update (``graph_changes/`` of the run folder, :func:`change_plan`),
        to a database holding the previous run's graph.

    Returns
    -------
    dict
        ``transactions``, ``rows``, the driver's counters, ``seconds`` and ``run_id``.

    Raises
    ------
    GraphStoreError
        If Neo4j cannot be reached or refuses a statement (the message names the URI, user and statement,
        never the password); with ``changes``, if the run folder holds no change set.
    """
    from contextlib import AbstractContextManager, nullcontext

    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

    uri = check_uri(uri)
    started = time.perf_counter()
    change_set = read_graph_changes(Path(run_dir) / GRAPH_CHANGES_DIR) if changes else None
    run_id = run_id or (change_set.run_id if change_set is not None else resolve_run_id(run_dir))
    current: list[Work] = []
    try:
        tables: AbstractContextManager[Any] = nullcontext() if change_set is not None else graph_tables(run_dir)
        with tables as graph, \
                GraphDatabase.driver(uri, auth=(user, password), max_transaction_retry_time=retry_seconds,
                                     connection_timeout=min(retry_seconds, 15.0)) as driver, \
                driver.session(database=database) as session:
            plan = (change_plan(change_set, run_id=run_id, batch_size=batch_size) if change_set is not None
                    else load_plan(*graph, run_id=run_id, batch_size=batch_size))
            totals: dict[str, Any] = run_plan(session, _tracked(plan, current), progress=progress)
    except AuthError as e:
        raise GraphStoreError(f"Neo4j at {uri} refused user {user!r}: authentication failed") from e
    except (ServiceUnavailable, SessionExpired) as e:
        raise GraphStoreError(f"Neo4j at {uri} could not be reached (the driver retried for {retry_seconds:g} s): "
                              f"{_safe(e, password)}") from e
    except (ValueError, DriverError) as e:   # the driver refuses the URI or a setting
        raise GraphStoreError(f"the Neo4j driver refused to connect to {uri}: {_safe(e, password)}") from e
    except Neo4jError as e:
        what = current[0].what if current else "the load"
        statement = current[0].statement if current else ""
        raise GraphStoreError(f"Neo4j at {uri} (database {database}) refused {what}: {_safe(e, password)} "
                              f"(statement: {statement})") from e
    totals["seconds"] = round(time.perf_counter() - started, 3)
    totals["run_id"] = run_id
    return totals


URI_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def check_uri(uri: str) -> str:
    """Return a Neo4j URI the driver takes, or refuse it with what to write instead.

    >>> check_uri("neo4j+s://db.example.com:7687")
    'neo4j+s://db.example.com:7687'

    Raises
    ------
    ConfigError
        For a scheme other than :data:`URI_SCHEMES` (``localhost:7687``, ``http://...``), no host, or a user or
        password inside the URI (the message shows it masked: give the user with ``--user`` and the password in
        the environment).
    """
    from urllib.parse import urlsplit

    scheme, separator, rest = uri.partition("://")
    netloc = rest.split("/", 1)[0] if separator else uri
    if "@" in netloc:
        masked = f"{scheme}://***@{netloc.rsplit('@', 1)[1]}" if separator else "***@" + netloc.rsplit("@", 1)[1]
        raise ConfigError(f"the Neo4j URI {masked} carries a user or password: give the user with --user and "
                          "the password in the environment variable (--password-env)")
    usage = "write neo4j://host:7687, neo4j+s://host:7687 for TLS, or bolt:// for one server"
    try:
        parts = urlsplit(uri)
        parts.port   # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        raise ConfigError(f"{uri!r} is not a Neo4j URI (its port is not a number up to 65535): {usage}") from None
    if parts.scheme not in URI_SCHEMES or not parts.hostname:
        raise ConfigError(f"{uri!r} is not a Neo4j URI: {usage}")
    return uri


def _tracked(plan: Iterable[Work], current: list[Work]) -> Iterator[Work]:
    for work in plan:
        current[:] = [work]
        yield work


def _safe(error: Exception, password: str) -> str:
    """An error's message, with the password blanked should a server ever echo it."""
    message = str(getattr(error, "message", None) or error)
    return message.replace(password, "***") if password else message
