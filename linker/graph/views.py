"""networkx views of the graph store: a customer's identity neighbourhood, an identity cluster, GraphML.

The identity graph is the schema's ``HAS_PHONE``/``HAS_EMAIL``/``HAS_DEVICE`` and ``LINKED_TO`` relationships.
Views are ``networkx.MultiDiGraph`` objects whose node IDs are ``"Label:key"``; each node carries ``type`` (its
label), ``key``, ``label`` (a display name, as Gephi expects), ``is_hub`` where it applies, and its schema
properties; each edge carries ``type`` and its properties.

Examples
--------
>>> node_id("Customer", "C1")
'Customer:C1'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from linker.errors import NotFoundError
from linker.export.files import atomic_path
from linker.graph.cypher import plain
from linker.graph.store import GraphStore, opened
from linker.schema import GraphSchema, load_schema

IDENTITY_RELATIONSHIPS = ("HAS_PHONE", "HAS_EMAIL", "HAS_DEVICE", "LINKED_TO")
"""Relationship types of the identity graph."""


def node_id(label: str, key: Any) -> str:
    """The networkx node ID of a graph node."""
    return f"{label}:{key}"


def _add_node(graph: nx.MultiDiGraph, value: dict[str, Any], schema: GraphSchema) -> str:
    props = plain(value, schema)
    label = props.pop("_label")
    key = props[schema.nodes[label].key]
    nid = node_id(label, key)
    if nid not in graph:
        name = props.get("name") if label in ("Customer", "OnlineAccount") else None
        graph.add_node(nid, type=label, key=key, label=f"{name} ({key})" if name else str(key), **props)
    return nid


def _add_edge(graph: nx.MultiDiGraph, src: str, dst: str, value: dict[str, Any], schema: GraphSchema) -> None:
    props = plain(value, schema)
    rel_type = props.pop("_type")
    if not graph.has_edge(src, dst, key=rel_type):
        graph.add_edge(src, dst, key=rel_type, type=rel_type, **props)


def _expand(store: GraphStore, graph: nx.MultiDiGraph, label: str, keys: list[Any], schema: GraphSchema,
            max_nodes: int) -> set[str]:
    """Add the identity relationships of ``keys`` (nodes of ``label``) and their other ends; return new node IDs.

    One query per key and direction, anchored on the key: LadybugDB answers these from its primary-key index
    in milliseconds, where ``WHERE key IN $keys`` scans the label.
    """
    key = schema.nodes[label].key
    outgoing = [t for t in IDENTITY_RELATIONSHIPS if label in schema.relationships[t].from_labels]
    incoming = [t for t in IDENTITY_RELATIONSHIPS if label in schema.relationships[t].to_labels]
    patterns = []
    if outgoing:
        patterns.append((f"MATCH (n:{label} {{{key}: $key}})-[r:{'|'.join(outgoing)}]->(m) RETURN n, r, m", True))
    if incoming:
        patterns.append((f"MATCH (n:{label} {{{key}: $key}})<-[r:{'|'.join(incoming)}]-(m) RETURN n, r, m", False))
    new: set[str] = set()
    for value in keys:
        for query, out in patterns:
            for n, r, m in store.rows(query, {"key": value}):
                here = _add_node(graph, n, schema)
                if len(graph) >= max_nodes and node_id(m["_LABEL"], m[schema.nodes[m["_LABEL"]].key]) not in graph:
                    graph.graph["truncated"] = True
                    continue
                before = len(graph)
                there = _add_node(graph, m, schema)
                if len(graph) > before:
                    new.add(there)
                _add_edge(graph, *((here, there) if out else (there, here)), r, schema)
    return new


def neighbourhood(store: GraphStore, customer_id: str, *, hops: int = 3, max_nodes: int = 300,
                  schema: GraphSchema | None = None) -> nx.MultiDiGraph:
    """A customer's identity neighbourhood: everything within ``hops`` identity relationships.

    Hub identifiers are included (``is_hub`` true) but never expanded: a hub joins owners who have nothing
    else in common.

    Parameters
    ----------
    store
        An open graph store.
    customer_id
        The customer at the centre (``graph.graph["focus"]`` is its node ID).
    hops
        How many relationships away to go (3 reaches the other customers of a shared identifier's accounts).
    max_nodes
        Stop adding nodes beyond this many (``graph.graph["truncated"]`` is then true).

    Raises
    ------
    NotFoundError
        If the customer is not in the store.

    Notes
    -----
    Breadth-first, one index-anchored query per node reached and direction: O(edges reached).
    """
    schema = schema or load_schema()
    rows = store.rows("MATCH (c:Customer {customer_id: $id}) RETURN c", {"id": customer_id})
    if not rows:
        raise NotFoundError(f"no customer {customer_id!r} in the graph store")
    graph = nx.MultiDiGraph(focus=node_id("Customer", customer_id), truncated=False)
    frontier = {_add_node(graph, rows[0][0], schema)}
    for _ in range(hops):
        by_label: dict[str, list[Any]] = {}
        for nid in frontier:
            data = graph.nodes[nid]
            if not data.get("is_hub"):
                by_label.setdefault(data["type"], []).append(data["key"])
        frontier = set()
        for label, keys in sorted(by_label.items()):
            frontier |= _expand(store, graph, label, sorted(keys), schema, max_nodes)
        if not frontier:
            break
    return graph


def cluster_graph(store: GraphStore, cluster_id: str, *, schema: GraphSchema | None = None) -> nx.MultiDiGraph:
    """An identity cluster: its customers and accounts, their link decisions, and the identifiers they hold.

    Raises
    ------
    NotFoundError
        If no customer or account carries this cluster ID.

    Notes
    -----
    Members come from a scan of the Customer and OnlineAccount tables (LadybugDB has no secondary index),
    their relationships from one key-anchored query per member: O(customers + accounts + cluster edges).
    """
    schema = schema or load_schema()
    graph = nx.MultiDiGraph(cluster_id=cluster_id)
    members: dict[str, list[Any]] = {}
    for label in ("Customer", "OnlineAccount"):
        for (n,) in store.rows(f"MATCH (n:{label}) WHERE n.cluster_id = $c RETURN n", {"c": cluster_id}):
            members.setdefault(label, []).append(graph.nodes[_add_node(graph, n, schema)]["key"])
    if not len(graph):
        raise NotFoundError(f"no cluster {cluster_id!r} in the graph store")
    for label, keys in members.items():
        key = schema.nodes[label].key
        types = "|".join(t for t in IDENTITY_RELATIONSHIPS if label in schema.relationships[t].from_labels)
        for value in keys:
            for n, r, m in store.rows(f"MATCH (n:{label} {{{key}: $key}})-[r:{types}]->(m) RETURN n, r, m",
                                      {"key": value}):
                _add_edge(graph, _add_node(graph, n, schema), _add_node(graph, m, schema), r, schema)
    return graph


def customer_cluster(store: GraphStore, customer_id: str) -> str:
    """The cluster ID of a customer.

    Raises
    ------
    NotFoundError
        If the customer is not in the store.
    """
    rows = store.rows("MATCH (c:Customer {customer_id: $id}) RETURN c.cluster_id", {"id": customer_id})
    if not rows:
        raise NotFoundError(f"no customer {customer_id!r} in the graph store")
    return str(rows[0][0])


def customer_neighbourhood(run_dir: Path, customer_id: str, *, hops: int = 3, max_nodes: int = 300
                           ) -> nx.MultiDiGraph:
    """:func:`neighbourhood` on a run folder's store (opened read-only, then closed)."""
    with opened(run_dir) as store:
        return neighbourhood(store, customer_id, hops=hops, max_nodes=max_nodes)


def run_cluster_graph(run_dir: Path, *, cluster_id: str | None = None, customer_id: str | None = None
                      ) -> nx.MultiDiGraph:
    """:func:`cluster_graph` on a run folder's store, by cluster ID or by a member customer."""
    with opened(run_dir) as store:
        if cluster_id is None:
            if customer_id is None:
                raise NotFoundError("name a cluster ID or a customer")
            cluster_id = customer_cluster(store, customer_id)
        return cluster_graph(store, cluster_id)


def graphml_ready(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attribute values GraphML can hold: no nulls, lists and maps as JSON text."""
    def clean(attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                for k, v in attrs.items() if v is not None}

    out = nx.MultiDiGraph(**clean(dict(graph.graph)))
    out.add_nodes_from((n, clean(d)) for n, d in graph.nodes(data=True))
    out.add_edges_from((u, v, k, clean(d)) for u, v, k, d in graph.edges(keys=True, data=True))
    return out


def write_graphml(graph: nx.MultiDiGraph, path: Path) -> Path:
    """Write a view as GraphML (for Gephi), atomically."""
    with atomic_path(Path(path)) as tmp:
        nx.write_graphml(graphml_ready(graph), tmp, encoding="utf-8")
    return Path(path)
