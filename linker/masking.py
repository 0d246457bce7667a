"""One masking policy for what linker displays: names, phones, emails, device IDs and birth dates are masked
unless the user asks for them with ``--unmask``.

Commands that display data (``explain``, ``show``, ``cypher``, ``queries run``) mask; the files a run writes
hold the values as they are (``output.pseudonymize`` replaces them with keyed pseudonyms). Which graph
properties are personal, and how each is masked, is declared in ``graph_schema/schema.toml`` (``personal``).

Examples
--------
>>> mask("phone", "+8613812345678"), mask("name", "张小伟"), mask("date", "1984-03-02")
('+86 138****5678', '张*伟', '1984-**-**')
>>> mask("value", "zhangwei@gmail.com")
'z******i@gmail.com'
>>> mask_evidence('[{"comparison": "name", "value": "张小伟", "weight": 12.0}]')
'[{"comparison": "name", "value": "张*伟", "weight": 12.0}]'
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from linker.privacy import mask_name, mask_value
from linker.schema import GraphSchema, load_schema

if TYPE_CHECKING:
    import networkx as nx

    from linker.graph.cypher import QueryResult

_PHONE = re.compile(r"\+?\d[\d \-]{6,}")
_DEVICE = re.compile(r"(imei|uuid|aid|idfa|idfv|android):", re.IGNORECASE)


def mask(kind: str, value: Any) -> Any:
    """``value`` masked as ``kind`` (name, phone, email, device, date, evidence, or ``value``: an identifier
    whose type its form tells); lists element by element; other values (numbers, None) as they are."""
    if isinstance(value, list):
        return [mask(kind, v) for v in value]
    if kind == "evidence" and isinstance(value, (str, list)):
        return mask_evidence(value)
    if not isinstance(value, str) or not value:
        return value
    if kind == "name":
        return mask_name(value)
    if kind == "date":
        return value[:4] + re.sub(r"\d", "*", value[4:])
    if kind == "value":
        kind = identifier_kind(value)
    return mask_value(kind, value)


def identifier_kind(value: str) -> str:
    """phone, email or device, from the form of a normalized identifier value.

    >>> identifier_kind("+8613812345678"), identifier_kind("a@b.cn"), identifier_kind("imei:86753001")
    ('phone', 'email', 'device')
    """
    if "@" in value:
        return "email"
    if _DEVICE.match(value):
        return "device"
    return "phone" if _PHONE.fullmatch(value) else "device"


def mask_evidence(evidence: str | list[Any]) -> str | list[Any]:
    """A link's evidence (JSON text or its list) with the values it rests on masked: names by name, identifier
    values by their type, birth dates to the year."""
    items = json.loads(evidence) if isinstance(evidence, str) else evidence
    if not isinstance(items, list):
        return evidence
    masked = []
    for item in items:
        if isinstance(item, dict):
            item = dict(item)
            kind = _evidence_kind(item)
            for field in ("value", "account_value", "customer_value"):
                if item.get(field):
                    item[field] = mask(kind, item[field])
        masked.append(item)
    return json.dumps(masked, ensure_ascii=False) if isinstance(evidence, str) else masked


def _evidence_kind(item: dict[str, Any]) -> str:
    comparison = str(item.get("comparison") or "")
    if item.get("id_type"):
        return str(item["id_type"]) if item["id_type"] in ("phone", "email", "device") else "value"
    if "name" in comparison:
        return "name"
    if "date" in comparison:
        return "date"
    return "value" if comparison in ("phone", "email", "device") else "name"


# ------------------------------------------------------------------------------------------------ the graph
def mask_properties(label: str, properties: dict[str, Any], schema: GraphSchema | None = None) -> dict[str, Any]:
    """A node's or relationship's properties with the personal ones (``personal`` in the schema) masked.

    >>> mask_properties("Phone", {"value": "+8613812345678", "customers": 2})
    {'value': '+86 138****5678', 'customers': 2}
    """
    schema = schema or load_schema()
    spec = schema.nodes.get(label) or schema.relationships.get(label)
    personal = spec.personal if spec is not None else {}
    return {k: mask(personal[k], v) if k in personal else v for k, v in properties.items()}


def mask_plain(value: Any, schema: GraphSchema | None = None) -> Any:
    """A query value as :func:`linker.graph.cypher.plain` gives it (nodes ``{"_label": ...}``, relationships
    ``{"_type": ...}``, paths, lists, maps) with personal properties masked."""
    schema = schema or load_schema()
    if isinstance(value, list):
        return [mask_plain(v, schema) for v in value]
    if isinstance(value, dict):
        if "_label" in value or "_type" in value:
            return mask_properties(value.get("_label") or value["_type"], value, schema)
        return {k: mask_plain(v, schema) for k, v in value.items()}
    return value


def personal_kind(expression: str, schema: GraphSchema | None = None) -> str | None:
    """How to mask a returned column, from its expression: the kind of the first personal property it reads
    (``value`` when the property is personal under several kinds, as ``value`` of Phone, Email and Device).

    >>> personal_kind("upper(c.name)"), personal_kind("x.value"), personal_kind("count(c)")
    ('name', 'value', None)
    """
    schema = schema or load_schema()
    kinds: dict[str, set[str]] = {}
    personal = [n.personal for n in schema.nodes.values()] + [r.personal for r in schema.relationships.values()]
    for properties in personal:
        for prop, kind in properties.items():
            kinds.setdefault(prop, set()).add(kind)
    for prop in re.findall(r"\.\s*(\w+)", expression):
        if prop in kinds:
            return next(iter(kinds[prop])) if len(kinds[prop]) == 1 else "value"
    return None


def mask_result(result: QueryResult, query: str, schema: GraphSchema | None = None) -> QueryResult:
    """A query result with personal data masked: nodes, relationships and paths by the schema, and the columns
    whose expression reads a personal property (``c.name``, ``collect(p.value)``, ``a.name AS who``).

    A column computed from personal data without naming the property (``RETURN c`` is masked, but not a value
    built in a ``WITH`` under another name) is shown as the query computes it: masking is for the screen, not a
    barrier (``output.pseudonymize`` is).
    """
    from linker.graph.cypher import QueryResult
    from linker.graph.returns import return_items

    schema = schema or load_schema()
    items = return_items(query) or []
    kinds = [personal_kind(expression, schema) for expression, _ in items] \
        if len(items) == len(result.columns) else [None] * len(result.columns)
    rows = [[mask(kind, value) if kind else mask_plain(value, schema) for kind, value in zip(kinds, row)]
            for row in result.rows]
    return QueryResult(result.columns, rows, truncated=result.truncated)


def mask_graph(graph: nx.MultiDiGraph, schema: GraphSchema | None = None) -> nx.MultiDiGraph:
    """A copy of a view (:mod:`linker.graph.views`) with personal properties masked, node labels too, and
    nodes keyed by a personal value (phones, emails, devices) renamed ``Label:masked value``."""
    import networkx as nx

    schema = schema or load_schema()
    names: dict[str, str] = {}
    out = nx.MultiDiGraph(**graph.graph)
    for node, data in graph.nodes(data=True):
        label = data.get("type", "")
        props = mask_properties(label, data, schema)
        spec = schema.nodes.get(label)
        if spec is not None and spec.key in spec.personal:
            props["key"] = props[spec.key]
            props["label"] = str(props[spec.key])
            names[node] = f"{label}:{props[spec.key]}"
            while names[node] in out:   # two values may mask alike
                names[node] += "'"
        elif "name" in spec.personal if spec is not None else False:
            props["label"] = f"{props['name']} ({data['key']})" if props.get("name") else str(data["key"])
        out.add_node(names.get(node, node), **props)
    for u, v, key, data in graph.edges(keys=True, data=True):
        out.add_edge(names.get(u, u), names.get(v, v), key=key, **mask_properties(data.get("type", ""), data, schema))
    if out.graph.get("focus") in names:
        out.graph["focus"] = names[out.graph["focus"]]
    return out
