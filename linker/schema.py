"""The property graph schema, read from ``graph_schema/schema.toml`` (the single source of truth).

Loaders, exports, constraints and docs are generated from :func:`load_schema`; nothing restates the labels.

Examples
--------
>>> schema = load_schema()
>>> schema.nodes["Customer"].key
'customer_id'
>>> [r.name for r in schema.relationships_between("OnlineAccount", "Customer")]
['LINKED_TO']
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from linker.errors import RulesError

PROPERTY_TYPES = ("STRING", "INT64", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "STRING[]")
PERSONAL_KINDS = ("name", "phone", "email", "device", "date", "evidence")
"""How a personal property is masked on display (see :mod:`linker.masking`)."""
TRAVERSALS = ("both", "forward")
"""How queries follow a relationship: either way, or only from its start node (stores may then keep it one way)."""


@dataclass(frozen=True)
class NodeType:
    """A node label with its key and typed properties."""

    label: str
    key: str
    properties: dict[str, str]
    indexes: tuple[str, ...]
    description: str
    personal: dict[str, str] = field(default_factory=dict)
    """Properties holding personal data -> how they are masked on display."""


@dataclass(frozen=True)
class RelationshipType:
    """A relationship type, the label pairs it joins, and its typed properties."""

    name: str
    from_labels: tuple[str, ...]
    to_labels: tuple[str, ...]
    properties: dict[str, str]
    description: str
    traversal: str = "both"
    personal: dict[str, str] = field(default_factory=dict)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every (from label, to label) pair this type joins."""
        return [(f, t) for f in self.from_labels for t in self.to_labels]


@dataclass(frozen=True)
class GraphSchema:
    """All node and relationship types."""

    version: int
    nodes: dict[str, NodeType]
    relationships: dict[str, RelationshipType]

    def relationships_between(self, from_label: str, to_label: str) -> list[RelationshipType]:
        return [r for r in self.relationships.values() if (from_label, to_label) in r.pairs]


def schema_dir() -> Path:
    """The ``graph_schema`` folder: in the repository (editable installs) or inside the installed package."""
    repo = Path(__file__).resolve().parent.parent / "graph_schema"
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parent / "_graph_schema"


@cache
def load_schema(path: Path | None = None) -> GraphSchema:
    """Read and check the graph schema.

    Raises
    ------
    RulesError
        If a type is unknown, a key is not a property, or a relationship names an unknown label.
    """
    path = path or schema_dir() / "schema.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    nodes = {label: NodeType(label, spec["key"], dict(spec["properties"]), tuple(spec.get("indexes", ())),
                             spec.get("description", ""), dict(spec.get("personal", {})))
             for label, spec in data["nodes"].items()}
    rels = {name: RelationshipType(name, tuple(spec["from"]), tuple(spec["to"]), dict(spec.get("properties", {})),
                                   spec.get("description", ""), spec.get("traversal", "both"),
                                   dict(spec.get("personal", {})))
            for name, spec in data["relationships"].items()}
    problems = []
    for n in nodes.values():
        if n.key not in n.properties:
            problems.append(f"node {n.label}: key {n.key!r} is not one of its properties")
        problems += [f"node {n.label}: index on unknown property {p!r}" for p in n.indexes if p not in n.properties]
        problems += [f"node {n.label}.{p}: unknown type {t!r}" for p, t in n.properties.items()
                     if t not in PROPERTY_TYPES]
    for owner, personal, properties in [(f"node {n.label}", n.personal, n.properties) for n in nodes.values()] + \
            [(f"relationship {r.name}", r.personal, r.properties) for r in rels.values()]:
        problems += [f"{owner}: personal {p!r} is not one of its properties" for p in personal if p not in properties]
        problems += [f"{owner}: personal {p!r} = {k!r} is not one of {', '.join(PERSONAL_KINDS)}"
                     for p, k in personal.items() if k not in PERSONAL_KINDS]
    for r in rels.values():
        problems += [f"relationship {r.name}: unknown label {label!r}" for label in r.from_labels + r.to_labels
                     if label not in nodes]
        problems += [f"relationship {r.name}.{p}: unknown type {t!r}" for p, t in r.properties.items()
                     if t not in PROPERTY_TYPES]
        if r.traversal not in TRAVERSALS:
            problems.append(f"relationship {r.name}: traversal {r.traversal!r} is not one of {', '.join(TRAVERSALS)}")
    if problems:
        raise RulesError(f"{path}: " + "; ".join(problems))
    return GraphSchema(int(data.get("version", 1)), nodes, rels)
