"""What a run's graph store holds, for an investigator writing Cypher: labels and relationship types with their
properties, keys, directions and counts (``linker schema``).

LadybugDB has no ``db.labels()``: this reads the schema (``graph_schema/schema.toml``) and counts each table of
the store. A relationship type kept one way (``traversal = "forward"``) is said so: queries follow it from its
start node; an undirected pattern over it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linker.graph.store import GraphStore, opened
from linker.schema import GraphSchema, load_schema


@dataclass
class CatalogEntry:
    """One label or relationship type of the store."""

    kind: str
    """``node`` or ``relationship``."""
    name: str
    count: int
    properties: dict[str, str]
    description: str
    key: str | None = None
    joins: str | None = None
    """``From -> To`` of a relationship type."""
    directions: str | None = None
    """``both ways`` or ``forward only`` (a relationship type)."""
    personal: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def catalog(store: GraphStore, schema: GraphSchema | None = None) -> list[CatalogEntry]:
    """Every label and relationship type of an open store with its count, in the schema's order.

    Notes
    -----
    One count per table: LadybugDB answers ``count(*)`` of a table from its size.
    """
    schema = schema or load_schema()
    entries = []
    for node in schema.nodes.values():
        count = store.rows(f"MATCH (n:{node.label}) RETURN count(n)")[0][0]
        entries.append(CatalogEntry("node", node.label, int(count), dict(node.properties), node.description,
                                    key=node.key, personal=sorted(node.personal)))
    for rel in schema.relationships.values():
        count = store.rows(f"MATCH ()-[r:{rel.name}]->() RETURN count(r)")[0][0]
        joins = f"{' | '.join(rel.from_labels)} -> {' | '.join(rel.to_labels)}"
        entries.append(CatalogEntry("relationship", rel.name, int(count), dict(rel.properties), rel.description,
                                    joins=joins, directions="both ways" if rel.traversal == "both" else
                                    "forward only", personal=sorted(rel.personal)))
    return entries


def run_catalog(run_dir: Path) -> list[CatalogEntry]:
    """:func:`catalog` of a run folder's store (opened read-only, then closed).

    Raises
    ------
    RunNotFoundError
        If the run folder has no graph store.
    """
    with opened(run_dir) as store:
        return catalog(store)


def one_way_types(schema: GraphSchema | None = None) -> list[str]:
    """Relationship types the store keeps one way (an undirected pattern over them is refused).

    >>> one_way_types()
    ['PURCHASED', 'BROWSED', 'CARD_SPEND', 'HAS_NEED']
    """
    schema = schema or load_schema()
    return [r.name for r in schema.relationships.values() if r.traversal != "both"]
