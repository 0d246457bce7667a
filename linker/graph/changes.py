"""The graph's change set between two runs, and the update's graph store built with it.

An update (:mod:`linker.update`) compares, label by label and relationship pair by relationship pair, the rows
today's run tables give (:func:`linker.graph.build.graph_queries`) with the rows the previous run's store holds.
The difference is what the change log (``changes.parquet``) tells in words, at the graph's grain: links added,
withdrawn or changed (``LINKED_TO``), cluster merges and splits (``cluster_id`` of the members), needs fired or
expired (``HAS_NEED``, ``Customer.needs``), accounts and customers added or removed (their nodes, with their
relationships), identifier values that became shared or hubs, and behaviour summaries that moved. The Neo4j
loader applies it to a database loaded before (``linker load neo4j --changes``); the update's own store is built
anew from today's rows (:func:`update_graph_store`).

One row per node or relationship that changed, in ``graph_changes/<label>.parquet`` and
``graph_changes/<TYPE>.<From>.<To>.parquet`` of the update's run folder: the row as the new graph has it
(node properties, or ``src``, ``dst`` and the relationship's properties) and ``change``:

========= ==========================================================================================
change    meaning
========= ==========================================================================================
added     the node or relationship is new
changed   it was there with other properties
removed   it is gone (only its key, or ``src`` and ``dst``, are set); a removed node takes its
          relationships with it
========= ==========================================================================================

``run_id`` (:data:`~linker.graph.dialect.NEO4J_STAMP`) says which run wrote a relationship last: it is not
compared, so a link that did not change keeps the id of the run that made it, and a changed one takes today's,
in the update's store as in Neo4j. The Neo4j loader applies the change set
(:func:`linker.graph.neo4j_load.change_plan`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from linker.config import MIN_MEMORY, memory_bytes
from linker.engine import as_engine
from linker.errors import GraphStoreError
from linker.graph.build import (
    DUCKDB_TYPES,
    ENDS,
    GraphFile,
    GraphKey,
    GraphQueries,
    check_queries,
    graph_queries,
    relationship_file_stem,
    write_graph_file,
)
from linker.graph.dialect import NEO4J_STAMP
from linker.graph.store import (
    GraphStore,
    GraphTable,
    build_store,
    engine_memory_beside_store,
    engine_threads,
    memory_share,
    quote_path,
    remove_store,
    replace_store,
    run_statement,
)
from linker.run_folder import STORE_NAME
from linker.schema import GraphSchema, load_schema
from linker.sql import quote_ident, quote_literal

log = logging.getLogger(__name__)

GRAPH_CHANGES_DIR = "graph_changes"
"""The folder of an update's run folder holding its graph change set."""

CHANGES_MANIFEST = "manifest.json"
"""The file of a change set's folder naming the run that wrote it."""

CHANGE_KINDS = ("added", "changed", "removed")


@dataclass(frozen=True)
class GraphDelta:
    """The changed rows of one node label or relationship pair (``key``), with their ``change``."""

    key: GraphKey
    rows: pa.Table

    def of(self, change: str) -> pa.Table:
        """The rows of one kind of change, without the ``change`` column."""
        import pyarrow.compute as pc

        return self.rows.filter(pc.equal(self.rows["change"], change)).drop_columns(["change"])

    @property
    def stem(self) -> str:
        return self.key if isinstance(self.key, str) else relationship_file_stem(*self.key)


@dataclass
class GraphChanges:
    """A graph change set: one :class:`GraphDelta` per label and relationship pair that changed."""

    run_id: str
    deltas: list[GraphDelta] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per kind of change, over nodes (``nodes added``, ...) and relationships."""
        import pyarrow.compute as pc

        counts = {f"{what} {c}": 0 for what in ("nodes", "relationships") for c in CHANGE_KINDS}
        for delta in self.deltas:
            what = "nodes" if isinstance(delta.key, str) else "relationships"
            for c in CHANGE_KINDS:
                counts[f"{what} {c}"] += int(pc.sum(pc.equal(delta.rows["change"], c)).as_py() or 0)
        return counts

    def nodes(self) -> Iterator[GraphDelta]:
        return (d for d in self.deltas if isinstance(d.key, str))

    def relationships(self) -> Iterator[GraphDelta]:
        return (d for d in self.deltas if not isinstance(d.key, str))

    def write(self, folder: Path) -> list[Path]:
        """Write one Parquet file per delta into ``folder`` (emptied first), and ``manifest.json`` with the run
        id and the counts, even when nothing changed; returns the files."""
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        manifest = folder / CHANGES_MANIFEST
        manifest.write_text(json.dumps({"run_id": self.run_id, "counts": self.counts()}, indent=2) + "\n",
                            encoding="utf-8")
        paths = [manifest]
        for delta in self.deltas:
            path = folder / f"{delta.stem}.parquet"
            pq.write_table(delta.rows, path)
            paths.append(path)
        return paths


def read_graph_changes(folder: Path, schema: GraphSchema | None = None) -> GraphChanges:
    """The change set an update wrote into ``folder`` (see :meth:`GraphChanges.write`).

    Raises
    ------
    GraphStoreError
        If ``folder`` holds no change set (the run is not an update, or made no graph store).
    """
    schema = schema or load_schema()
    manifest = folder / CHANGES_MANIFEST
    if not manifest.is_file():
        raise GraphStoreError(f"{folder} holds no graph change set ({CHANGES_MANIFEST}): only `linker update` "
                              "with output.graph_store = true writes one; load the whole graph instead")
    run_id = str(json.loads(manifest.read_text(encoding="utf-8"))["run_id"])
    stems: dict[str, GraphKey] = {label: label for label in schema.nodes}
    stems |= {relationship_file_stem(t, f, to): (t, f, to) for t, r in schema.relationships.items()
              for f, to in r.pairs}
    changes = GraphChanges(run_id)
    for key in stems.values():   # in schema order: nodes, then relationships
        path = folder / f"{key if isinstance(key, str) else relationship_file_stem(*key)}.parquet"
        if path.is_file():
            changes.deltas.append(GraphDelta(key, pq.read_table(path)))
    return changes


# ------------------------------------------------------------------------------------------------ computing
def _keys(key: GraphKey, schema: GraphSchema) -> list[str]:
    return [schema.nodes[key].key] if isinstance(key, str) else list(ENDS)


def _properties(key: GraphKey, schema: GraphSchema) -> dict[str, str]:
    return schema.nodes[key].properties if isinstance(key, str) else schema.relationships[key[0]].properties


def _store_query(key: GraphKey, schema: GraphSchema, starts: tuple[int, int] | None = None) -> str:
    """Cypher reading every row of a label or relationship pair from the store, as the graph query gives it;
    with ``starts`` (low, high), only the rows whose node (or start node) has an offset in ``[low, high)``."""
    props = _properties(key, schema)
    node = "n" if isinstance(key, str) else "a"
    where = "" if starts is None else f" WHERE offset(id({node})) >= {starts[0]} AND offset(id({node})) < {starts[1]}"
    if isinstance(key, str):
        return f"MATCH (n:{key}){where} RETURN " + ", ".join(f"n.{p} AS `{p}`" for p in props)
    _, f, to = key
    columns = [f"a.{schema.nodes[f].key} AS `{ENDS[0]}`", f"b.{schema.nodes[to].key} AS `{ENDS[1]}`"]
    return f"{_pair_match(key)}{where} RETURN " + ", ".join(columns + [f"r.{p} AS `{p}`" for p in props])


def graph_changes(con: duckdb.DuckDBPyConnection, previous: GraphStore, *, run_id: str,
                  schema: GraphSchema | None = None, workdir: Path | None = None) -> GraphChanges:
    """Compare the graph of the run tables in ``con`` with the graph in the ``previous`` store.

    The store's rows of each label and relationship pair are written into Parquet files in ``workdir`` (a
    temporary folder when None) by LadybugDB's ``COPY ... TO``, a part at a time (:data:`SCAN_PART_ROWS`), and
    compared there by DuckDB, which spills within its memory limit: neither side is held in Python.

    Notes
    -----
    Per label and relationship pair: one scan of the store into Parquet, one DuckDB query over the run tables,
    and a hash anti-join each way; O(rows of both graphs). Nothing is written into the store.
    """
    schema = schema or load_schema()
    queries = graph_queries(con, run_id=run_id, schema=schema)
    check_queries(con, queries)
    with _workdir(workdir) as folder:
        changes, _ = _compare(con, previous, queries, schema, folder, run_id=run_id, keep_today=False)
    return changes


def _compare(con: duckdb.DuckDBPyConnection, previous: GraphStore, queries: GraphQueries, schema: GraphSchema,
             folder: Path, *, run_id: str, keep_today: bool) -> tuple[GraphChanges, list[GraphTable]]:
    """The change set, and with ``keep_today`` today's rows of each label and pair as the files a store is
    built from (:func:`~linker.graph.store.build_store`), nodes first."""
    changes = GraphChanges(run_id)
    today: list[GraphTable] = []
    keyed: list[tuple[GraphKey, str]] = [*queries.nodes.items(), *queries.relationships.items()]
    for key, sql in keyed:
        started = time.perf_counter()
        old = _store_rows(previous, key, schema, folder)
        rows, kept = _delta(con, key, sql, old, schema, folder if keep_today else None)
        shutil.rmtree(old)
        log.debug("graph changes: %s, %d rows, %.1f s", key, rows.num_rows, time.perf_counter() - started)
        if rows.num_rows:
            changes.deltas.append(GraphDelta(key, rows))
        if kept is not None:
            today.append(GraphTable(key, kept.path, kept.rows))
    return changes, today


@contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="linker-graph-changes-") as folder:
        yield Path(folder)


SCAN_PART_ROWS = 250_000
"""Rows of a label or relationship pair read from the previous store by one ``COPY ... TO``, about: LadybugDB
holds a COPY's whole result in its buffer pool and does not spill, so a store read at once needs memory in
proportion to its largest pair. A part the pool cannot hold is read again in halves."""


def _store_rows(store: GraphStore, key: GraphKey, schema: GraphSchema, folder: Path) -> Path:
    """Write every row of a label or relationship pair of ``store`` into a folder of Parquet files in
    ``folder``, one per range of the start nodes' offsets (:data:`SCAN_PART_ROWS` rows each, about)."""
    stem = key if isinstance(key, str) else relationship_file_stem(*key)
    parts = folder / f"{stem}.previous"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    label = key if isinstance(key, str) else key[1]
    ends = store.rows(f"MATCH (n:{label}) RETURN count(*), max(offset(id(n)))")[0]
    rows = ends[0] if isinstance(key, str) else store.rows(f"{_pair_match(key)} RETURN count(*)")[0][0]
    offsets = 0 if ends[1] is None else int(ends[1]) + 1
    step = max(1, SCAN_PART_ROWS * int(ends[0]) // max(int(rows), 1))
    low, part = 0, 0
    while low < offsets or part == 0:   # an empty label still gives a file, with its columns
        high = min(low + step, offsets) if offsets else 1
        path = parts / f"{part:06d}.parquet"
        try:
            run_statement(store.connection, f"COPY ({_store_query(key, schema, (low, high))}) TO {quote_path(path)}",
                          f"reading {key} from the store {store.path}")
        except GraphStoreError as e:
            if "buffer pool is full" not in str(e) or high - low == 1:
                raise
            step = max(1, (high - low) // 2)
            continue
        low, part = high, part + 1
    return parts


def _pair_match(key: GraphKey) -> str:
    rel, f, to = key  # type: ignore[str-unpack]
    return f"MATCH (a:{f})-[r:{rel}]->(b:{to})"


def _typed_columns(key: GraphKey, schema: GraphSchema) -> str:
    """The columns of a label or relationship pair, cast to the types today's graph query gives them."""
    props = _properties(key, schema)
    return ", ".join([*(f"CAST({quote_ident(e)} AS VARCHAR) AS {quote_ident(e)}"
                        for e in (ENDS if not isinstance(key, str) else ())),
                      *(f"CAST({quote_ident(p)} AS {DUCKDB_TYPES[t]}) AS {quote_ident(p)}"
                        for p, t in props.items())])


def _delta(con: duckdb.DuckDBPyConnection, key: GraphKey, sql: str, old: Path, schema: GraphSchema,
           keep_in: Path | None) -> tuple[pa.Table, GraphFile | None]:
    """The changed rows of ``key``; with ``keep_in``, also today's rows written there as the store's file, each
    unchanged relationship with the run id the previous store gave it."""
    props = _properties(key, schema)
    keys = [quote_ident(k) for k in _keys(key, schema)]
    columns = [*(ENDS if not isinstance(key, str) else ()), *props]
    compared = ", ".join(quote_ident(c) for c in columns if c != NEO4J_STAMP or isinstance(key, str))
    key_list = ", ".join(keys)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE graph_old AS SELECT {_typed_columns(key, schema)} "
                    f"FROM read_parquet({quote_literal(str(old / '*.parquet'))})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE graph_new AS {sql}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE graph_moved AS SELECT DISTINCT {key_list} FROM "
                    f"(SELECT {compared} FROM graph_new EXCEPT SELECT {compared} FROM graph_old)")
        removed_columns = ", ".join(c if c in keys else f"NULL AS {c}" for c in (quote_ident(x) for x in columns))
        table = con.sql(f"""
            SELECT n.*, CASE WHEN o.{keys[0]} IS NULL THEN 'added' ELSE 'changed' END AS change
            FROM graph_new n SEMI JOIN graph_moved USING ({key_list})
                 LEFT JOIN (SELECT {key_list} FROM graph_old) o USING ({key_list})
            UNION ALL BY NAME
            SELECT {removed_columns}, 'removed' AS change
            FROM (SELECT {key_list} FROM graph_old EXCEPT SELECT {key_list} FROM graph_new)
            ORDER BY change, {key_list}
        """).to_arrow_table()
        kept = None if keep_in is None else write_graph_file(as_engine(con), key, _today(key, props, keys),
                                                              keep_in)
    finally:
        con.execute("DROP TABLE IF EXISTS graph_old; DROP TABLE IF EXISTS graph_new; "
                    "DROP TABLE IF EXISTS graph_moved")
    return table.select([*columns, "change"]), kept


def _today(key: GraphKey, props: dict[str, str], keys: list[str]) -> str:
    """Today's rows in load order; a relationship that did not change keeps the run id it had."""
    order = ", ".join(keys)
    if isinstance(key, str) or NEO4J_STAMP not in props:
        return f"SELECT * FROM graph_new ORDER BY {order}"
    stamp = quote_ident(NEO4J_STAMP)
    return (f"SELECT n.* REPLACE (CASE WHEN o.{keys[0]} IS NOT NULL AND m.{keys[0]} IS NULL THEN o.{stamp} "
            f"ELSE n.{stamp} END AS {stamp}) "
            f"FROM graph_new n LEFT JOIN graph_moved m USING ({order}) "
            f"LEFT JOIN (SELECT {order}, {stamp} FROM graph_old) o USING ({order}) ORDER BY {order}")


# ------------------------------------------------------------------------------------------------ updating
def update_graph_store(con: duckdb.DuckDBPyConnection, out_dir: Path, previous_store: Path, *, run_id: str,
                       schema: GraphSchema | None = None, memory_limit: str | None = None,
                       workdir: Path | None = None) -> tuple[GraphChanges, dict[str, int]]:
    """Write ``<out_dir>/graph.lbug`` from today's run tables, and the change set from ``previous_store``.

    Each label and relationship pair is compared (:func:`graph_changes`) and today's rows are kept as a file;
    the previous store is closed and the new one built from the files as a full run builds it
    (:func:`~linker.graph.store.build_store`), each relationship that did not change keeping the run id it had.
    LadybugDB changing a store in place holds every relationship table it touches in memory; building anew
    holds one at a time. ``previous_store`` is only read. ``memory_limit``: DuckDB's limit, as for
    :func:`~linker.graph.store.load_graph_store`. The previous store is read within the share DuckDB keeps
    beside a store (:func:`~linker.graph.store.memory_share`), and DuckDB compares within the rest (the
    comparison sorts and joins whole pairs); DuckDB keeps only the share while the new store is built.

    Returns
    -------
    tuple
        The change set, and the store's rows per label and relationship type with the totals ``graph nodes``
        and ``graph relationships`` (as :func:`~linker.graph.store.load_graph_store` counts them).
    """
    schema = schema or load_schema()
    engine = as_engine(con)
    out_dir = Path(out_dir)
    target = out_dir / STORE_NAME
    tmp = out_dir / f".{STORE_NAME}.update-{os.getpid()}"
    folder = workdir or out_dir / f".graph-changes-{os.getpid()}"
    queries = graph_queries(con, run_id=run_id, schema=schema)
    check_queries(con, queries)
    threads = engine_threads(engine)
    pool = memory_share(memory_limit) if memory_limit is not None else None
    remove_store(tmp)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        with engine_memory_beside_store(engine, memory_limit, _beside_pool(memory_limit, pool)), \
                GraphStore(previous_store, buffer_pool_size=pool) as previous:
            changes, today = _compare(con, previous, queries, schema, folder, run_id=run_id, keep_today=True)
        compared = time.perf_counter()
        with engine_memory_beside_store(engine, memory_limit):
            counts = build_store(today, tmp, schema=schema, threads=threads)
        log.info("graph store: compared in %.1f s (%s), built in %.1f s", compared - started, changes.counts(),
                 time.perf_counter() - compared)
        replace_store(tmp, target)
    finally:
        remove_store(tmp)
        shutil.rmtree(folder, ignore_errors=True)
    return changes, counts


def _beside_pool(memory_limit: str | None, pool: int | None) -> int | None:
    """What DuckDB keeps of ``memory_limit`` beside the previous store's buffer pool: the rest."""
    return None if memory_limit is None or pool is None else max(memory_bytes(memory_limit) - pool, MIN_MEMORY)
