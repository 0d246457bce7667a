"""The one place for the differences between the embedded store (LadybugDB) and Neo4j.

Library queries are written once, in the embedded store's Cypher, which runs as written with
``linker cypher "$(cat graph_schema/queries/NAME.cypher)"``. Where Neo4j spells a construct differently,
:data:`NEO4J_REWRITES` below turns the text into Neo4j's; a LadybugDB-only construct that no rewrite covers
makes :meth:`Dialect.render` fail naming the engine, never a silently different query.

Differences handled here:

=========================  ======================================  ==========================================
what                       LadybugDB (as written)                  Neo4j 5
=========================  ======================================  ==========================================
label of a node            ``label(n)``                            ``labels(n)[0]``
shortest path              ``(a)-[:T* SHORTEST 1..6]-(b)``,         ``shortestPath((a)-[:T*1..6]-(b))``,
                           node filter ``(r, n | WHERE p(n))``      ``WHERE all(n IN nodes(p) WHERE p(n))``
timestamp to date          ``CAST(x AS DATE)``                     ``date(x)``
property types             schema names (``INT64``, ``STRING[]``)  import header names (``long``, ``string[]``)
secondary indexes          none (primary keys only)                ``CREATE INDEX`` from ``indexes`` in schema
``traversal = "forward"``  kept one way (``storage_direction``):   no difference (always both ways)
                           backwards scans, undirected refused
=========================  ======================================  ==========================================

LadybugDB also differs from Neo4j *silently* in a few places; :data:`LADYBUG_PITFALLS` refuses those before
they run (``labels(n)[0]`` gives ``''``, not a label).

Examples
--------
>>> print(NEO4J.render("MATCH (i:Phone|Email) RETURN label(i) AS type"))
MATCH (i:Phone|Email) RETURN labels(i)[0] AS type
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from linker.errors import QueryError

LADYBUG_TYPES = {"STRING": "STRING", "INT64": "INT64", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
                 "TIMESTAMP": "TIMESTAMP", "STRING[]": "STRING[]"}
"""Schema property type -> LadybugDB DDL type."""

LADYBUG_STORAGE = {"both": "", "forward": " WITH (storage_direction='fwd')"}
"""Schema traversal of a relationship -> LadybugDB ``CREATE REL TABLE`` suffix. A ``forward`` relationship is
kept from its start node only: about half the COPY work and the space of one kept both ways; following it
backwards scans the whole table, and an undirected pattern over it is refused."""

NEO4J_IMPORT_TYPES = {"STRING": "string", "INT64": "long", "DOUBLE": "double", "BOOLEAN": "boolean",
                      "DATE": "date", "TIMESTAMP": "localdatetime", "STRING[]": "string[]"}
"""Schema property type -> type in a ``neo4j-admin database import`` CSV header."""

NEO4J_STAMP = "run_id"
"""Property the Neo4j loader and bundle put on every node and relationship: the run that wrote it."""


@dataclass(frozen=True)
class Rewrite:
    """One construct the embedded store spells differently from Neo4j."""

    name: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class Pitfall:
    """A construct refused before it runs on an engine, with what to write instead."""

    pattern: re.Pattern[str]
    message: str


_NODE = r"\([^()]*\)"


def _shortest(m: re.Match[str]) -> str:
    path, start, rel, low, high, rel_var, node_var, predicate, end = m.group(
        "path", "start", "rel", "low", "high", "rvar", "nvar", "pred", "end")
    text = f"MATCH {path} = shortestPath({start}-[{rel}*{low}..{high}]-{end})"
    if predicate:
        if re.search(rf"\b{re.escape(rel_var)}\b", predicate):
            raise QueryError("Neo4j: a SHORTEST filter on relationships has no rewrite here; filter nodes only")
        text += f" WHERE all({node_var} IN nodes({path}) WHERE {predicate.strip()})"
    return text


NEO4J_REWRITES = (
    Rewrite("shortest path", re.compile(
        rf"MATCH\s+(?P<path>\w+)\s*=\s*(?P<start>{_NODE})\s*-\[(?P<rel>[^\]*]*?)\s*\*\s*SHORTEST\s+(?P<low>\d+)"
        rf"\s*\.\.\s*(?P<high>\d+)\s*(?:\(\s*(?P<rvar>\w+)\s*,\s*(?P<nvar>\w+)\s*\|\s*WHERE\s+(?P<pred>.+?)\)\s*)?"
        rf"\]-\s*(?P<end>{_NODE})", re.DOTALL), _shortest),
    Rewrite("node label", re.compile(r"\blabel\(\s*(\w+)\s*\)"), lambda m: f"labels({m.group(1)})[0]"),
    Rewrite("timestamp to date", re.compile(r"\bCAST\(\s*([\w.]+)\s+AS\s+DATE\s*\)", re.IGNORECASE),
            lambda m: f"date({m.group(1)})"),
)
"""LadybugDB construct -> Neo4j construct, applied in order. ``label()`` is for nodes only."""

NEO4J_LEFTOVERS = (
    Pitfall(re.compile(r"\*\s*SHORTEST\b", re.IGNORECASE),
            "this SHORTEST pattern has no Neo4j rewrite: write it as MATCH p = (a)-[:T* SHORTEST m..n]-(b)"),
    Pitfall(re.compile(r"\blist_transform\s*\(", re.IGNORECASE), "list_transform() has no Neo4j rewrite here"),
    Pitfall(re.compile(r"\bCAST\s*\(", re.IGNORECASE), "CAST() other than CAST(x AS DATE) has no Neo4j rewrite here"),
    Pitfall(re.compile(r"\blabel\s*\(", re.IGNORECASE), "label() has no Neo4j rewrite in this form"),
    Pitfall(re.compile(r"\brels\s*\(", re.IGNORECASE), "use relationships(p), which both engines know"),
)
"""LadybugDB-only constructs that must not reach Neo4j."""

LADYBUG_PITFALLS = (
    Pitfall(re.compile(r"\blabels\s*\([^()]*\)\s*\[", re.IGNORECASE),
            "labels(n)[i] gives an empty string in LadybugDB (labels() returns one string there): use label(n)"),
    Pitfall(re.compile(r"\bdatetime\s*\(", re.IGNORECASE),
            "LadybugDB has no datetime(): use timestamp('YYYY-MM-DD hh:mm:ss')"),
    Pitfall(re.compile(r"\[\s*\w+\s+IN\b[^|]*?\|", re.IGNORECASE),
            "LadybugDB has no list comprehension: use list_transform(list, x -> expression)"),
    Pitfall(re.compile(r"\bshortestPath\s*\(", re.IGNORECASE),
            "LadybugDB writes shortest paths as MATCH p = (a)-[:T* SHORTEST 1..6]-(b), with the relationship "
            "types to follow: through the identity graph, [:HAS_PHONE|HAS_EMAIL|HAS_DEVICE|LINKED_TO* SHORTEST "
            "1..6] (see `linker queries show shortest_identity_path`)"),
    Pitfall(re.compile(r"\bCALL\s+(db|dbms|apoc|gds)\.", re.IGNORECASE),
            "Neo4j's procedures (db.labels(), db.schema.visualization() ...) are not in the embedded store: "
            "`linker schema` lists its labels, relationship types, properties and counts; the read-only "
            "procedures it has are CALL show_tables() RETURN *, CALL table_info('Customer') RETURN *"),
)
"""Constructs LadybugDB would run differently from Neo4j (silently) or not at all, with the fix."""

LADYBUG_ERROR_HINTS = (
    (re.compile(r"function TYPE does not exist", re.IGNORECASE), "use label(r) for a relationship's type"),
    (re.compile(r"function TOSTRING does not exist", re.IGNORECASE), "use CAST(x AS STRING)"),
    (re.compile(r"List extract takes 1-based position", re.IGNORECASE), "LadybugDB lists are indexed from 1"),
    (re.compile(r"Interrupted|timeout", re.IGNORECASE),
     "variable-length patterns from a busy node can explode: bound them, or use [:T* SHORTEST 1..6]"),
)
"""Hints appended to LadybugDB error messages that are known to puzzle Neo4j users."""

LADYBUG_ERROR_MESSAGES = (
    (re.compile(r"Undirected rel pattern .* storage type 'fwd' or 'bwd'", re.IGNORECASE),
     ("an undirected pattern such as (a)-[r]-(b) cannot follow {one_way}: the store keeps these relationship "
      "types one way, from their start node. Give the pattern a direction, (a)-[r]->(b) or (a)<-[r]-(b), or "
      "name the types it may follow both ways: (a)-[r:HAS_PHONE|HAS_EMAIL|HAS_DEVICE|LINKED_TO]-(b) "
      "(`linker schema` lists each type and its direction)")),
)
"""LadybugDB error messages in the engine's terms -> the same in an investigator's terms ({one_way}: the
relationship types kept one way)."""


class Dialect:
    """How one engine spells the library's Cypher."""

    def __init__(self, name: str, rewrites: tuple[Rewrite, ...], refused: tuple[Pitfall, ...]) -> None:
        self.name = name
        self.rewrites = rewrites
        self.refused = refused

    def __repr__(self) -> str:
        return f"Dialect({self.name!r})"

    def render(self, text: str) -> str:
        """The text for this engine.

        Raises
        ------
        QueryError
            If a construct has no spelling for this engine (the message names it).
        """
        for rewrite in self.rewrites:
            text = rewrite.pattern.sub(rewrite.replace, text)
        self.check(text)
        return text

    def check(self, text: str) -> None:
        """Refuse constructs this engine would run differently (or not at all).

        Raises
        ------
        QueryError
            Naming the engine and what to write instead.
        """
        bare = strip_literals(text)
        for pitfall in self.refused:
            if pitfall.pattern.search(bare):
                raise QueryError(f"{self.name}: {pitfall.message}")

    def hint(self, message: str) -> str:
        """An engine error message, with a hint when it is one of the known puzzling ones."""
        if self is not LADYBUG:
            return message
        for pattern, text in LADYBUG_ERROR_MESSAGES:
            if pattern.search(message):
                from linker.graph.catalog import one_way_types

                return text.format(one_way=", ".join(one_way_types()))
        hints = [h for pattern, h in LADYBUG_ERROR_HINTS if pattern.search(message)]
        return message + "".join(f" (hint: {h})" for h in hints)


LADYBUG = Dialect("LadybugDB", (), LADYBUG_PITFALLS)
NEO4J = Dialect("Neo4j", NEO4J_REWRITES, NEO4J_LEFTOVERS)
DIALECTS = {"ladybug": LADYBUG, "neo4j": NEO4J}


_LITERALS = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""", re.DOTALL)


def strip_literals(text: str) -> str:
    """The query with string literals, quoted names and comments blanked (for keyword and pattern checks).

    >>> strip_literals("MATCH (n {name: 'CREATE'}) // SET\\nRETURN n")
    "MATCH (n {name: ''}) \\nRETURN n"
    """
    def blank(m: re.Match[str]) -> str:
        s = m.group(0)
        return "" if s.startswith(("//", "/*")) else s[0] + s[-1]
    return _LITERALS.sub(blank, text)


_PARAM = re.compile(r"\$(\w+)")


def parameter_names(text: str) -> list[str]:
    """The ``$name`` parameters a query uses, in order of first use.

    >>> parameter_names("MATCH (c {id: $id}) WHERE c.x > $min OR c.y = $id RETURN '$not'")
    ['id', 'min']
    """
    return list(dict.fromkeys(_PARAM.findall(strip_literals(text))))
