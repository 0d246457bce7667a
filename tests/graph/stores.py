"""What a graph store holds and answers, for comparing two stores."""

from __future__ import annotations

from decimal import Decimal

from linker.graph.library import load_library
from linker.graph.store import GraphStore
from linker.schema import load_schema

SCHEMA = load_schema()


def store_contents(store: GraphStore) -> dict[str, list[tuple]]:
    """Every node and relationship of a store, sorted, without the run id that stamps relationships."""
    out = {}
    for label, node in SCHEMA.nodes.items():
        props = ", ".join(f"n.{p}" for p in node.properties)
        out[label] = sorted(map(tuple, store.rows(f"MATCH (n:{label}) RETURN {props}")), key=repr)
    for name, rel in SCHEMA.relationships.items():
        for f, to in rel.pairs:
            props = "".join(f", r.{p}" for p in rel.properties if p != "run_id")
            rows = store.rows(f"MATCH (a:{f})-[r:{name}]->(b:{to}) RETURN a.{SCHEMA.nodes[f].key}, "
                              f"b.{SCHEMA.nodes[to].key}{props}")
            out[f"{name} {f} {to}"] = sorted(map(tuple, rows), key=repr)
    return out


def library_answers(store: GraphStore, customer_id: str, other_customer: str) -> dict[str, list]:
    """The answers of every library query, with its defaults and the given customers."""
    params = {"customer_id": customer_id, "from_customer": customer_id, "to_customer": other_customer,
              "from": "2000-01-01T00:00:00", "to": "2100-01-01T00:00:00"}
    answers = {}
    for name, query in load_library().items():
        bound = query.bind([f"{p.name}={params[p.name]}" for p in query.params if p.required])
        answers[name] = sorted((tuple(_rounded(v) for v in row) for row in store.rows(query.render("ladybug"), bound)),
                               key=repr)
    return answers


def _rounded(value: object) -> object:
    """Sums over relationships depend on the order the store keeps them in, in the last bits."""
    return round(float(value), 6) if isinstance(value, float | Decimal) else value
