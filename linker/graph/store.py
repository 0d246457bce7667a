"""The embedded graph store: a LadybugDB database in the run folder (``<out_dir>/graph.lbug``).

The DDL is generated from ``graph_schema/schema.toml``; the data comes from the queries of
:mod:`linker.graph.build`, which the run's engine (DuckDB or Spark) writes as one Parquet file per node label and
relationship pair into the run's work folder; LadybugDB's ``COPY ... FROM`` those files (its bulk path) loads
them. So the store is built the same way after a run on either engine, from the files alone. Each run builds the
store beside the old one and renames it over, so a reader sees the old store or the new one, never half of one.
Commands open it read-only.

Why LadybugDB: in-process (nothing to start or secure), real transactions and a read-only open, crash-safe,
bulk COPY from Arrow or Parquet; answers 1-2 hop queries in milliseconds. It is the maintained fork of Kuzu; do
not import ``kuzu`` in the same process.

What its COPY costs (perf, this 2-core box): about 1 µs per relationship and 2-3 µs per node, a third of it in
string primary-key lookups, plus about 25 ns per byte of every STRING property (its dictionary and min/max
statistics); a relationship kept both ways costs both ways. Hence the graph keeps what investigators use, long
texts short, and relationships only followed forward one way (``traversal`` in the schema).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import duckdb

from linker.config import MIN_MEMORY, memory_bytes
from linker.errors import EngineError, GraphStoreError
from linker.engine import DuckDBEngine, Engine, as_engine
from linker.graph.build import (
    ENDS, GraphFile, GraphFiles, GraphKey, check_queries, engine_name, graph_queries, load_order,
    relationship_file_stem, write_graph_file,
)
from linker.graph.dialect import LADYBUG_STORAGE, LADYBUG_TYPES
from linker.run_folder import STORE_NAME, readable_run
from linker.schema import GraphSchema, load_schema
from linker.sql import quote_literal

log = logging.getLogger(__name__)


_SIDECARS = (".wal", ".shadow", ".lock")


def ddl(schema: GraphSchema | None = None) -> list[str]:
    """LadybugDB ``CREATE NODE TABLE`` / ``CREATE REL TABLE`` statements for the schema.

    LadybugDB has no secondary indexes: the schema's ``indexes`` apply to Neo4j only; node keys are primary keys.
    A relationship the schema traverses ``forward`` only is stored one way (:data:`LADYBUG_STORAGE`).

    >>> ddl()[0][:60]
    'CREATE NODE TABLE Customer(customer_id STRING, name STRING, '
    """
    schema = schema or load_schema()
    statements = []
    for label, node in schema.nodes.items():
        columns = [f"{p} {LADYBUG_TYPES[t]}" for p, t in node.properties.items()]
        statements.append(f"CREATE NODE TABLE {label}({', '.join(columns)}, PRIMARY KEY({node.key}))")
    for name, rel in schema.relationships.items():
        ends = [f"FROM {f} TO {t}" for f, t in rel.pairs]
        columns = [f"{p} {LADYBUG_TYPES[t]}" for p, t in rel.properties.items()]
        statements.append(f"CREATE REL TABLE {name}({', '.join(ends + columns)}){LADYBUG_STORAGE[rel.traversal]}")
    return statements


def _ladybug() -> Any:
    if "kuzu" in sys.modules:
        raise GraphStoreError("LadybugDB: kuzu is imported in this process, and the two crash together; "
                              "use LadybugDB alone")
    import ladybug

    return ladybug


def load_graph_store(con: Engine | duckdb.DuckDBPyConnection, out_dir: Path, *, run_id: str,
                     schema: GraphSchema | None = None, workdir: Path | None = None,
                     memory_limit: str | None = None) -> dict[str, int]:
    """Build ``<out_dir>/graph.lbug`` from the run tables, replacing any previous store atomically.

    Parameters
    ----------
    con
        The run's engine (or the DuckDB run database) after resolution (and enrichment, when it ran).
    out_dir
        The run's output folder.
    run_id
        Stamped on every ``LINKED_TO`` relationship.
    workdir
        Folder for the Parquet files the engine writes and the store copies (default: a temporary folder in
        ``out_dir``); the files are removed once copied.
    memory_limit
        DuckDB's configured memory limit (``engine.memory_limit``): while the store loads, DuckDB works within
        a share of it (:data:`ENGINE_SHARE_BESIDE_STORE`), and it is set back afterwards. None: unchanged.

    Returns
    -------
    dict
        Rows loaded per node label and per relationship type (summed over its label pairs), plus the totals
        ``graph nodes`` and ``graph relationships``.

    Raises
    ------
    GraphStoreError
        If a query or a COPY fails; the message names the label or relationship.

    Notes
    -----
    O(nodes + relationships): one engine query writing a Parquet file and one LadybugDB COPY of that file per
    label and per relationship pair, in :func:`~linker.graph.build.load_order`, one after the other; a file is
    removed once copied. The engine does not write the next file while LadybugDB copies: both are CPU-bound and
    use every core, and side by side they take longer than in turn.
    """
    engine = as_engine(con)
    schema = schema or load_schema()
    out_dir = Path(out_dir)
    target = out_dir / STORE_NAME
    tmp = out_dir / f".{STORE_NAME}.tmp-{os.getpid()}"
    folder = workdir or out_dir / f".graph-files.tmp-{os.getpid()}"
    remove_store(tmp)
    queries = graph_queries(engine, run_id=run_id, schema=schema)
    check_queries(engine, queries)
    threads = engine_threads(engine)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        with engine_memory_beside_store(engine, memory_limit):
            counts = build_store(_written(engine, load_order(queries, schema), folder), tmp, schema=schema,
                                 threads=threads)
        log.info("graph store: %.1f s", time.perf_counter() - started)
        replace_store(tmp, target)
    finally:
        remove_store(tmp)
        shutil.rmtree(folder, ignore_errors=True)
    return counts


@dataclass(frozen=True)
class GraphTable:
    """The rows of a node label or a relationship pair (``key``): an Arrow table, or the path of a Parquet file."""

    key: GraphKey
    table: Any
    rows: int


def _written(engine: Engine, order: list[tuple[GraphKey, str]], folder: Path) -> Iterator[GraphTable]:
    """Each query of ``order`` written by the engine as a Parquet file in ``folder`` when the consumer asks for
    it, and the file removed once the consumer has copied it.

    Raises
    ------
    GraphStoreError
        Naming the label or relationship whose query the engine failed.
    """
    for key, sql in order:
        started = time.perf_counter()
        try:
            written = write_graph_file(engine, key, sql, folder)
        except (duckdb.Error, EngineError) as e:
            raise GraphStoreError(f"{engine_name(engine)} failed writing the graph's {key_name(key)} table: {e}"
                                  ) from e
        log.debug("graph tables: %s, %d rows, %.1f s", key, written.rows, time.perf_counter() - started)
        yield GraphTable(key, written.path, written.rows)
        written.path.unlink(missing_ok=True)


ENGINE_SHARE_BESIDE_STORE = 3
"""While the store loads, DuckDB's memory limit is divided by this (never below the least limit a run accepts).
LadybugDB's COPY builds each relationship table in memory of its own, outside DuckDB's limit (it fails rather
than spill when its buffer pool is too small) and holds what it has copied until the final checkpoint, while
DuckDB only writes the files between the copies."""


@contextmanager
def engine_memory_beside_store(engine: Engine, memory_limit: str | None, keep: int | None = None
                               ) -> Iterator[None]:
    """DuckDB's memory limit lowered to ``keep`` bytes (None: its share beside the store,
    :func:`memory_share`) for the block, then set back to ``memory_limit``.

    DuckDB gives back the memory above a lowered limit at once, so the run's peak is about the store's COPY plus
    the share, not the two added up. When it cannot (data it holds in memory with nowhere to spill it), the
    store loads beside the full limit. Spark's memory is its cluster's: unchanged, as without ``memory_limit``.
    """
    con = engine.con if isinstance(engine, DuckDBEngine) and engine.name == "duckdb" else None
    restore = memory_limit if con is not None and memory_limit is not None and \
        _lower_memory_limit(con, memory_limit, memory_share(memory_limit) if keep is None else keep) else None
    try:
        yield
    finally:
        if con is not None and restore is not None:
            con.execute(f"SET memory_limit = {quote_literal(restore)}")


def memory_share(memory_limit: str) -> int:
    """Bytes of ``memory_limit`` (a DuckDB size) that DuckDB keeps beside the store
    (:data:`ENGINE_SHARE_BESIDE_STORE`), never below the least limit a run accepts."""
    return max(memory_bytes(memory_limit) // ENGINE_SHARE_BESIDE_STORE, MIN_MEMORY)


def _lower_memory_limit(con: duckdb.DuckDBPyConnection, memory_limit: str, share: int) -> bool:
    """Set DuckDB's limit to ``share`` bytes of ``memory_limit``; False (with a warning) when DuckDB refuses."""
    try:
        con.execute(f"SET memory_limit = '{share}B'")
    except duckdb.OutOfMemoryException:
        log.warning("graph store: DuckDB could not lower its memory limit to %d bytes beside the store; "
                    "it keeps %s", share, memory_limit)
        return False
    return True


def build_store(tables: Iterable[GraphTable], path: Path, *, schema: GraphSchema | None = None,
                threads: int | None = None) -> dict[str, int]:
    """Create a new store at ``path`` from Parquet files (or Arrow tables), nodes first (see
    :func:`load_graph_store`).

    The store is written without automatic checkpoints, and checkpointed once at the end: one pass over the
    data files instead of one per COPY; with ``threads`` threads (all cores when None).
    :func:`load_graph_store` passes the run's DuckDB thread count (``engine.threads``, all cores by default).
    """
    schema = schema or load_schema()
    lb = _ladybug()
    counts: dict[str, int] = dict.fromkeys([*schema.nodes, *schema.relationships], 0)
    db = lb.Database(str(path), auto_checkpoint=False, max_num_threads=threads or os.cpu_count() or 1)
    conn = lb.Connection(db)
    try:
        for statement in ddl(schema):
            run_statement(conn, statement, "creating the schema")
        for table in tables:
            copy_started = time.perf_counter()
            what = key_name(table.key)
            if isinstance(table.key, str):
                statement = f"COPY {table.key} FROM $rows"
                counts[table.key] = table.rows
            else:
                rel, f, to = table.key
                statement = f"COPY {rel} FROM $rows (from='{f}', to='{to}')"
                counts[rel] += table.rows
            if table.rows and isinstance(table.table, Path):
                run_statement(conn, statement.replace("$rows", quote_path(table.table)), f"loading {what}")
            elif table.rows:
                run_statement(conn, statement, f"loading {what}", {"rows": table.table})
            log.debug("graph store: %s, %d rows, %.1f s", what, table.rows, time.perf_counter() - copy_started)
        checkpoint_started = time.perf_counter()
        run_statement(conn, "CHECKPOINT", "checkpointing")
        log.debug("graph store: checkpoint, %.1f s", time.perf_counter() - checkpoint_started)
    finally:
        conn.close()
        db.close()
    counts["graph nodes"] = sum(counts[label] for label in schema.nodes)
    counts["graph relationships"] = sum(counts[rel] for rel in schema.relationships)
    return counts


def key_name(key: GraphKey) -> str:
    """How a message names a node label or relationship pair.

    >>> key_name("Customer"), key_name(("HAS_NEED", "Customer", "Need"))
    ('node Customer', 'relationship HAS_NEED (Customer)->(Need)')
    """
    if isinstance(key, str):
        return f"node {key}"
    rel, f, to = key
    return f"relationship {rel} ({f})->({to})"


def engine_threads(engine: Engine) -> int | None:
    """DuckDB's thread count (``engine.threads``), or None (all cores) beside Spark."""
    if isinstance(engine, DuckDBEngine):
        return int(engine.con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    return None


def run_statement(conn: Any, statement: str, what: str, parameters: dict[str, Any] | None = None) -> None:
    """Run one LadybugDB statement on a connection; a refusal becomes a :class:`GraphStoreError` naming
    ``what`` was being done and the statement."""
    try:
        conn.execute(statement, parameters or {})
    except RuntimeError as e:
        raise GraphStoreError(f"LadybugDB failed {what}: {e} (statement: {statement})") from e


def quote_path(path: Path) -> str:
    """A file path as a Cypher string literal."""
    return "'" + str(path).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _remove_sidecars(path: Path) -> None:
    for suffix in _SIDECARS:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()


def remove_store(path: Path) -> None:
    """Remove the store at ``path`` (a file or a folder) and its side files, if there are any."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    _remove_sidecars(path)


def replace_store(built: Path, target: Path) -> None:
    """Put the closed store ``built`` in place of ``target`` in one rename: readers see the old store or the new
    one, never none; the old store's side files go first, as they belong to it."""
    _remove_sidecars(target)
    os.replace(built, target)


# ------------------------------------------------------------------------------------------------ opening
class GraphStore:
    """An open embedded store: a LadybugDB database and one connection.

    Use :func:`open_store`; close it (or use it as a context manager) when done. ``buffer_pool_size``: the bytes
    LadybugDB may hold (None: its default, most of the machine's memory); a query whose working set does not fit
    fails, since LadybugDB does not spill.
    """

    def __init__(self, path: Path, *, read_only: bool = True, buffer_pool_size: int | None = None) -> None:
        lb = _ladybug()
        self.path = path
        self.read_only = read_only
        pool = {"buffer_pool_size": buffer_pool_size} if buffer_pool_size else {}
        try:
            self._db = lb.Database(str(path), read_only=read_only, **pool)
            self.connection = lb.Connection(self._db)
        except RuntimeError as e:
            raise GraphStoreError(f"LadybugDB cannot open {path}: {e}") from e

    def execute(self, query: str, parameters: dict[str, Any] | None = None) -> Any:
        """Run one statement with parameters; returns LadybugDB's result (raises ``RuntimeError``)."""
        return self.connection.execute(query, parameters or {})

    def rows(self, query: str, parameters: dict[str, Any] | None = None) -> list[list[Any]]:
        """All rows of a query (for small internal queries).

        Raises
        ------
        GraphStoreError
            If LadybugDB refuses the query.
        """
        try:
            return self.execute(query, parameters).get_all()
        except RuntimeError as e:
            raise GraphStoreError(f"LadybugDB: {e} (query: {query})") from e

    def close(self) -> None:
        self.connection.close()
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def extract_parquet(store: GraphStore, folder: Path, *, schema: GraphSchema | None = None) -> GraphFiles:
    """Write the store back out as one Parquet file per label and relationship pair (as :func:`write_parquet`
    lays them out), so that exports read exactly the graph investigators query.

    Notes
    -----
    One LadybugDB ``COPY (MATCH ...) TO`` per file: a scan of the label or relationship table, O(rows).
    """
    schema = schema or load_schema()
    folder.mkdir(parents=True, exist_ok=True)
    files = GraphFiles(folder)
    for label, node in schema.nodes.items():
        columns = ", ".join(f"n.{p} AS {p}" for p in node.properties)
        path = folder / f"{label}.parquet"
        files.add(GraphFile(label, path, _export(store, f"MATCH (n:{label})", columns, path)))
    for name, rel in schema.relationships.items():
        for f, to in rel.pairs:
            keys = f"a.{schema.nodes[f].key} AS {ENDS[0]}, b.{schema.nodes[to].key} AS {ENDS[1]}"
            columns = "".join(f", r.{p} AS {p}" for p in rel.properties)
            path = folder / f"{relationship_file_stem(name, f, to)}.parquet"
            files.add(GraphFile((name, f, to), path,
                                _export(store, f"MATCH (a:{f})-[r:{name}]->(b:{to})", keys + columns, path)))
    return files


def _export(store: GraphStore, match: str, columns: str, path: Path) -> int:
    query = f"{match} RETURN {columns}"
    try:
        store.execute(f"COPY ({query}) TO {quote_path(path)}")
    except RuntimeError as e:
        raise GraphStoreError(f"LadybugDB failed exporting {path.stem}: {e} (query: {query})") from e
    return int(store.rows(f"{match} RETURN count(*)")[0][0])


def store_path(run_dir: Path) -> Path:
    """The store of a run folder, once :func:`linker.run_folder.readable_run` has checked the folder.

    Raises
    ------
    RunNotFoundError
        If the folder or its store does not exist, or its run is incomplete.
    """
    return readable_run(run_dir, STORE_NAME, missing=f"{run_dir} has no graph store ({STORE_NAME}): run "
                        "`linker run` with output.graph_store = true")


def open_store(run_dir: Path, *, read_only: bool = True) -> GraphStore:
    """Open the graph store of a run folder, read-only unless asked otherwise.

    Raises
    ------
    RunNotFoundError
        If there is no store.
    GraphStoreError
        If LadybugDB cannot open it (for instance, another process writes to it).
    """
    return GraphStore(store_path(run_dir), read_only=read_only)


@contextmanager
def opened(run_dir: Path, *, read_only: bool = True) -> Iterator[GraphStore]:
    """:func:`open_store` as a context manager."""
    store = open_store(run_dir, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
