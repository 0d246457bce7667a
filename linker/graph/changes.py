"""The graph's change set between two runs, and its application to a copy of the previous run's store.

An update (:mod:`linker.update`) does not build its graph store from nothing: it compares, label by label and
relationship pair by relationship pair, the rows today's run tables give (:func:`linker.graph.build.graph_queries`)
with the rows the previous run's store holds, and applies only the difference to a copy of that store. The
difference is what the change log (``changes.parquet``) tells in words, at the graph's grain: links added,
withdrawn or changed (``LINKED_TO``), cluster merges and splits (``cluster_id`` of the members), needs fired or
expired (``HAS_NEED``, ``Customer.needs``), accounts and customers added or removed (their nodes, with their
relationships), identifier values that became shared or hubs, and behaviour summaries that moved.

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
compared, so a link that did not change keeps the id of the run that made it, and a changed one takes today's.
The Neo4j loader applies the same files (:func:`linker.graph.neo4j_load.change_plan`).
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

from linker.errors import GraphStoreError
from linker.graph.build import (
    DUCKDB_TYPES,
    ENDS,
    GraphKey,
    check_queries,
    graph_queries,
    relationship_file_stem,
)
from linker.graph.dialect import NEO4J_STAMP
from linker.graph.store import GraphStore, quote_path, run_statement
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


def _store_query(key: GraphKey, schema: GraphSchema) -> str:
    """Cypher reading every row of a label or relationship pair from the store, as the graph query gives it."""
    props = _properties(key, schema)
    if isinstance(key, str):
        return f"MATCH (n:{key}) RETURN " + ", ".join(f"n.{p} AS `{p}`" for p in props)
    rel, f, to = key
    columns = [f"a.{schema.nodes[f].key} AS `{ENDS[0]}`", f"b.{schema.nodes[to].key} AS `{ENDS[1]}`"]
    return f"MATCH (a:{f})-[r:{rel}]->(b:{to}) RETURN " + ", ".join(columns + [f"r.{p} AS `{p}`" for p in props])


def graph_changes(con: duckdb.DuckDBPyConnection, previous: GraphStore, *, run_id: str,
                  schema: GraphSchema | None = None, workdir: Path | None = None) -> GraphChanges:
    """Compare the graph of the run tables in ``con`` with the graph in the ``previous`` store.

    The store's rows of each label and relationship pair are written into a Parquet file in ``workdir`` (a
    temporary folder when None) by LadybugDB's ``COPY ... TO``, and compared there by DuckDB, which spills
    within its memory limit: neither side is held in Python.

    Notes
    -----
    Per label and relationship pair: one scan of the store into Parquet, one DuckDB query over the run tables,
    and a hash anti-join each way; O(rows of both graphs). Nothing is written into the store.
    """
    schema = schema or load_schema()
    queries = graph_queries(con, run_id=run_id, schema=schema)
    check_queries(con, queries)
    keyed: list[tuple[GraphKey, str]] = [*queries.nodes.items(), *queries.relationships.items()]
    changes = GraphChanges(run_id)
    with _workdir(workdir) as folder:
        for key, sql in keyed:
            started = time.perf_counter()
            old = _store_rows(previous, key, schema, folder)
            rows = _delta(con, key, sql, old, schema)
            old.unlink()
            log.debug("graph changes: %s, %d rows, %.1f s", key, rows.num_rows, time.perf_counter() - started)
            if rows.num_rows:
                changes.deltas.append(GraphDelta(key, rows))
    return changes


@contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="linker-graph-changes-") as folder:
        yield Path(folder)


def _store_rows(store: GraphStore, key: GraphKey, schema: GraphSchema, folder: Path) -> Path:
    """Write every row of a label or relationship pair of ``store`` into a Parquet file of ``folder``."""
    stem = key if isinstance(key, str) else relationship_file_stem(*key)
    path = folder / f"{stem}.previous.parquet"
    run_statement(store.connection, f"COPY ({_store_query(key, schema)}) TO {quote_path(path)}",
                  f"reading {key} from the store {store.path}")
    return path


def _typed_columns(key: GraphKey, schema: GraphSchema) -> str:
    """The columns of a label or relationship pair, cast to the types today's graph query gives them."""
    props = _properties(key, schema)
    return ", ".join([*(f"CAST({quote_ident(e)} AS VARCHAR) AS {quote_ident(e)}"
                        for e in (ENDS if not isinstance(key, str) else ())),
                      *(f"CAST({quote_ident(p)} AS {DUCKDB_TYPES[t]}) AS {quote_ident(p)}"
                        for p, t in props.items())])


def _delta(con: duckdb.DuckDBPyConnection, key: GraphKey, sql: str, old: Path, schema: GraphSchema
           ) -> pa.Table:
    props = _properties(key, schema)
    keys = [quote_ident(k) for k in _keys(key, schema)]
    columns = [*(ENDS if not isinstance(key, str) else ()), *props]
    compared = ", ".join(quote_ident(c) for c in columns if c != NEO4J_STAMP or isinstance(key, str))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE graph_old AS SELECT {_typed_columns(key, schema)} "
                    f"FROM read_parquet({quote_literal(str(old))})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE graph_new AS {sql}")
        key_list = ", ".join(keys)
        removed_columns = ", ".join(c if c in keys else f"NULL AS {c}" for c in (quote_ident(x) for x in columns))
        table = con.sql(f"""
            WITH moved AS (SELECT {key_list} FROM (SELECT {compared} FROM graph_new
                                                   EXCEPT SELECT {compared} FROM graph_old)),
            old_keys AS (SELECT {key_list} FROM graph_old)
            SELECT n.*, CASE WHEN o.{keys[0]} IS NULL THEN 'added' ELSE 'changed' END AS change
            FROM graph_new n SEMI JOIN moved USING ({key_list})
                 LEFT JOIN old_keys o USING ({key_list})
            UNION ALL BY NAME
            SELECT {removed_columns}, 'removed' AS change
            FROM (SELECT {key_list} FROM graph_old EXCEPT SELECT {key_list} FROM graph_new)
            ORDER BY change, {key_list}
        """).to_arrow_table()
    finally:
        con.execute("DROP TABLE IF EXISTS graph_old; DROP TABLE IF EXISTS graph_new")
    return table.select([*columns, "change"])


# ------------------------------------------------------------------------------------------------ applying
REPLACE_SHARE = 0.2
"""A relationship pair whose changed and removed rows are more than this share of its rows is replaced whole
(its relationships deleted and copied in again, kept rows with the changed and added ones): LadybugDB sets the
properties of one relationship in about 50-140 µs (a lookup of both ends, then of the relationship), while it
deletes and copies one in about 15-20 µs."""


def apply_graph_changes(store: GraphStore, changes: GraphChanges, *, schema: GraphSchema | None = None,
                        workdir: Path | None = None) -> None:
    """Apply a change set to a store opened for writing, in one pass per kind of change.

    Relationships removed go first, then nodes removed (with whatever relationships they still have), then
    nodes changed (their properties set) and added (copied in), then relationships changed and added; a
    relationship pair with many changes is replaced whole (:data:`REPLACE_SHARE`).

    Raises
    ------
    GraphStoreError
        If LadybugDB refuses a statement (it names the label or relationship).
    """
    schema = schema or load_schema()
    with _workdir(workdir) as folder:
        _apply(store, changes, schema, folder)


def _apply(store: GraphStore, changes: GraphChanges, schema: GraphSchema, folder: Path) -> None:
    replaced = {d.key for d in changes.relationships() if _mostly_changed(store, d)}
    for delta in changes.relationships():
        if delta.key in replaced:
            continue
        rel, f, to = delta.key  # type: ignore[str-unpack]
        _load(store, delta.of("removed").select(list(ENDS)),
              f"MATCH (a:{f} {{{schema.nodes[f].key}: `src`}})-[r:{rel}]->(b:{to} {{{schema.nodes[to].key}: `dst`}}) "
              "DELETE r", f"removing {rel} ({f})->({to})")
    for delta in changes.nodes():
        label = str(delta.key)
        node_key = schema.nodes[label].key
        _load(store, delta.of("removed").select([node_key]),
              f"MATCH (n:{label} {{{node_key}: `{node_key}`}}) DETACH DELETE n", f"removing {label} nodes")
        sets = ", ".join(f"n.{p} = `{p}`" for p in schema.nodes[label].properties if p != node_key)
        _load(store, delta.of("changed"), f"MATCH (n:{label} {{{node_key}: `{node_key}`}}) SET {sets}",
              f"changing {label} nodes")
        _copy(store, delta.of("added"), f"COPY {label} FROM $rows", f"adding {label} nodes")
    for delta in changes.relationships():
        if delta.key in replaced:
            _replace_pair(store, delta, schema, folder)
            continue
        rel, f, to = delta.key  # type: ignore[str-unpack]
        match = (f"MATCH (a:{f} {{{schema.nodes[f].key}: `src`}})-[r:{rel}]->"
                 f"(b:{to} {{{schema.nodes[to].key}: `dst`}})")
        sets = ", ".join(f"r.{p} = `{p}`" for p in schema.relationships[rel].properties)
        _load(store, delta.of("changed"), f"{match} SET {sets}", f"changing {rel} ({f})->({to})")
        _copy(store, delta.of("added"), f"COPY {rel} FROM $rows (from='{f}', to='{to}')",
              f"adding {rel} ({f})->({to})")


def _pair_match(key: GraphKey) -> str:
    rel, f, to = key  # type: ignore[str-unpack]
    return f"MATCH (a:{f})-[r:{rel}]->(b:{to})"


def _mostly_changed(store: GraphStore, delta: GraphDelta) -> bool:
    import pyarrow.compute as pc

    moved = int(pc.sum(pc.not_equal(delta.rows["change"], "added")).as_py() or 0)
    if not moved:
        return False
    held = int(store.rows(f"{_pair_match(delta.key)} RETURN count(*)")[0][0])
    return moved > REPLACE_SHARE * held


def _replace_pair(store: GraphStore, delta: GraphDelta, schema: GraphSchema, folder: Path) -> None:
    """Delete every relationship of the pair and copy in the kept ones with the changed and added ones.

    The kept rows go from the store through a Parquet file of ``folder`` and DuckDB into another, which the
    store copies: the pair is never held in Python.
    """
    rel, f, to = delta.key  # type: ignore[str-unpack]
    held = _store_rows(store, delta.key, schema, folder)
    replaced = folder / f"{delta.stem}.replaced.parquet"
    typed = _typed_columns(delta.key, schema)
    con = duckdb.connect()
    try:
        con.register("delta", delta.rows)
        con.execute(f"""
            COPY (SELECT {typed} FROM read_parquet({quote_literal(str(held))}) ANTI JOIN delta USING ({', '.join(ENDS)})
                  UNION ALL SELECT {typed} FROM delta WHERE change <> 'removed'
                  ORDER BY {', '.join(ENDS)})
            TO {quote_literal(str(replaced))} (FORMAT parquet)""")
    finally:
        con.close()
    held.unlink()
    run_statement(store.connection, f"{_pair_match(delta.key)} DELETE r", f"removing every {rel} ({f})->({to})")
    if pq.read_metadata(replaced).num_rows:
        run_statement(store.connection, f"COPY {rel} FROM {quote_path(replaced)} (from='{f}', to='{to}')",
                      f"copying {rel} ({f})->({to}) again")
    replaced.unlink()


def _load(store: GraphStore, rows: pa.Table, statement: str, what: str) -> None:
    _copy(store, rows, f"LOAD FROM $rows {statement}", what)


def _copy(store: GraphStore, rows: pa.Table, statement: str, what: str) -> None:
    if rows.num_rows:
        run_statement(store.connection, statement, f"{what} ({rows.num_rows} rows)", {"rows": rows})


def update_graph_store(con: duckdb.DuckDBPyConnection, out_dir: Path, previous_store: Path, *, run_id: str,
                       schema: GraphSchema | None = None) -> tuple[GraphChanges, dict[str, int]]:
    """Write ``<out_dir>/graph.lbug``: a copy of ``previous_store`` with the changes of today's run tables.

    The copy is made and changed beside the target and renamed over it, as a full build is
    (:func:`linker.graph.store.load_graph_store`); ``previous_store`` is only read.

    Returns
    -------
    tuple
        The change set, and the store's rows per label and relationship type with the totals ``graph nodes``
        and ``graph relationships`` (as :func:`~linker.graph.store.load_graph_store` counts them).
    """
    schema = schema or load_schema()
    out_dir = Path(out_dir)
    target = out_dir / STORE_NAME
    tmp = out_dir / f".{STORE_NAME}.update-{os.getpid()}"
    work = out_dir / f".graph-changes-{os.getpid()}"
    _remove(tmp)
    try:
        shutil.copyfile(previous_store, tmp)
        wal = previous_store.with_name(previous_store.name + ".wal")
        if wal.exists():   # a store closed cleanly has none; copied with it, it is replayed on open
            shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
        store = GraphStore(tmp, read_only=False)
        try:
            started = time.perf_counter()
            changes = graph_changes(con, store, run_id=run_id, schema=schema, workdir=work)
            compared = time.perf_counter()
            apply_graph_changes(store, changes, schema=schema, workdir=work)
            store.execute("CHECKPOINT")
            counts = _store_counts(store, schema)
            log.info("graph store updated: compared in %.1f s, applied %s in %.1f s", compared - started,
                     changes.counts(), time.perf_counter() - compared)
        except RuntimeError as e:
            raise GraphStoreError(f"LadybugDB failed updating the graph store: {e}") from e
        finally:
            store.close()
        _remove(target)
        os.replace(tmp, target)
    finally:
        _remove(tmp)
        shutil.rmtree(work, ignore_errors=True)
    return changes, counts


def _store_counts(store: GraphStore, schema: GraphSchema) -> dict[str, int]:
    counts = {label: int(store.rows(f"MATCH (n:{label}) RETURN count(*)")[0][0]) for label in schema.nodes}
    for name in schema.relationships:
        counts[name] = int(store.rows(f"MATCH ()-[r:{name}]->() RETURN count(*)")[0][0])
    counts["graph nodes"] = sum(counts[label] for label in schema.nodes)
    counts["graph relationships"] = sum(counts[rel] for rel in schema.relationships)
    return counts


def _remove(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + s) for s in (".wal", ".shadow", ".lock"))):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
