"""The property graph as SQL over the run tables: one query per node label and per relationship (type, from, to).

The queries run on the run's engine (DuckDB or Spark: :mod:`linker.engine`); :func:`write_parquet` writes each
one as a Parquet file, which the embedded store copies (:mod:`linker.graph.store`).

Every query returns exactly the properties ``graph_schema/schema.toml`` declares, in its order and cast to its
types (relationship queries first give the keys of their two ends as ``src`` and ``dst``). The embedded store
copies them (:func:`load_order`, :mod:`linker.graph.store`); the Neo4j bundle and loader read the store, so all
three hold the same graph.

What the graph holds — what an investigator of the bank can use, and nothing else (every relationship costs
load time and disk):

- ``Phone``/``Email``/``Device`` nodes for the values a customer holds or two owners share; a value only one
  online account holds joins nothing to anything and stays in ``identifiers`` (and ``identifier_degrees``);
- identity edges (``HAS_PHONE``/``HAS_EMAIL``/``HAS_DEVICE``) to those values, one per (owner, value), with
  provenance (source table, source row, since);
- ``LINKED_TO`` for linked and ambiguous decisions (rejected pairs stay in ``links`` only), with the evidence
  as compact JSON text (:func:`link_evidence_json`) and the run id;
- ``PURCHASED``/``BROWSED`` per account and category for the accounts linked or ambiguous to a customer (the
  behaviour of an account tied to no customer tells the bank nothing about its customers);
  ``CARD_SPEND`` per customer and ``mcc:<code>``;
- ``Need``/``HAS_NEED`` and ``Category.domain`` from the enrichment tables ``signals`` and ``categories`` when a
  run has them (a run without them has no Need nodes and NULL domains); a need's evidence is the signal's: every
  part with what was found, the accounts and devices it came through (the events themselves are rows of
  ``signal_events``, in the run's exports, not in the graph).

Examples
--------
>>> sorted(node_queries(None))[:3]
['Category', 'Customer', 'Device']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linker.engine import Engine, as_engine
from linker.errors import EngineError, GraphStoreError
from linker.resolve.scoring import EVIDENCE_MEMBERS
from linker.schema import GraphSchema, load_schema
from linker.sql import quote_ident, quote_literal

DUCKDB_TYPES = {"STRING": "VARCHAR", "INT64": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
                "TIMESTAMP": "TIMESTAMP", "STRING[]": "VARCHAR[]"}
"""Schema property type -> DuckDB type."""

ENDS = ("src", "dst")
"""Names of the key columns of a relationship query: the key of its start node, then of its end node."""

OPTIONAL_TABLES = {
    "transactions": "txn_id VARCHAR, customer_id VARCHAR, txn_time TIMESTAMP, amount DOUBLE, mcc VARCHAR",
    "purchases": "order_id VARCHAR, account_id VARCHAR, order_time TIMESTAMP, category VARCHAR, amount DOUBLE, "
                 "quantity BIGINT",
    "browsing": "event_id VARCHAR, account_id VARCHAR, device_id VARCHAR, event_time TIMESTAMP, category VARCHAR, "
                "dwell_seconds DOUBLE",
    "categories": "name VARCHAR, domain VARCHAR",
    "signals": "customer_id VARCHAR, need VARCHAR, score DOUBLE, action VARCHAR, evidence VARCHAR, as_of DATE",
}
"""Tables a run may lack (no such source, or the enrichment stage did not run), with the columns read from them.
A missing one reads as empty."""

_OWNER_KIND = {"Customer": "customer", "OnlineAccount": "account"}
_IDENTITY = {"HAS_PHONE": "phone", "HAS_EMAIL": "email", "HAS_DEVICE": "device"}
_ID_LABEL = {"Phone": "phone", "Email": "email", "Device": "device"}


class Sources:
    """Names the relation to read for each run table: the table itself, or a typed empty relation."""

    def __init__(self, con: Engine | duckdb.DuckDBPyConnection | None) -> None:
        engine = as_engine(con) if con is not None else None
        self._present = {name: engine is not None and engine.exists(name) for name in OPTIONAL_TABLES}

    def __getitem__(self, name: str) -> str:
        if name not in OPTIONAL_TABLES or self._present[name]:
            return name
        columns = ", ".join(f"CAST(NULL AS {c.split()[1]}) AS {c.split()[0]}" for c in OPTIONAL_TABLES[name].split(", "))
        return f"(SELECT {columns} WHERE false)"

    def has(self, name: str) -> bool:
        return self._present.get(name, True)


# ------------------------------------------------------------------------------------------------ nodes
def _customer(s: Sources) -> str:
    return f"""
        SELECT c.customer_id, c.name, c.city, c.birth_date, c.income, c.debt, c.credit_limit, c.status,
               cl.cluster_id, coalesce(l.linked, 0) AS linked_accounts, coalesce(n.needs, []) AS needs
        FROM customers c
        LEFT JOIN (SELECT member_id, cluster_id FROM clusters WHERE member_kind = 'customer') cl
               ON cl.member_id = c.customer_id
        LEFT JOIN (SELECT customer_id, count(*) AS linked FROM links WHERE decision = 'linked' GROUP BY customer_id) l
               ON l.customer_id = c.customer_id
        LEFT JOIN (SELECT customer_id, list(need ORDER BY need) AS needs
                   FROM (SELECT DISTINCT customer_id, need FROM {s['signals']} WHERE need IS NOT NULL)
                   GROUP BY customer_id) n
               ON n.customer_id = c.customer_id"""


def _account(s: Sources) -> str:
    return """
        SELECT a.account_id, a.platform, a.name, a.registered_at, a.last_seen_at, cl.cluster_id,
               CASE WHEN d.linked THEN 'linked' WHEN d.ambiguous THEN 'ambiguous'
                    WHEN d.account_id IS NOT NULL THEN 'rejected' ELSE 'no_candidate' END AS link_decision
        FROM accounts a
        LEFT JOIN (SELECT member_id, cluster_id FROM clusters WHERE member_kind = 'account') cl
               ON cl.member_id = a.account_id
        LEFT JOIN (SELECT account_id, bool_or(decision = 'linked') AS linked, bool_or(decision = 'ambiguous') AS ambiguous
                   FROM links GROUP BY account_id) d
               ON d.account_id = a.account_id"""


KEPT_IDENTIFIER = "(customers > 0 OR customers + accounts > 1)"
"""Which rows of ``identifier_degrees`` are graph nodes: values held by a customer, or shared by two owners."""


def _identifier(id_type: str) -> Callable[[Sources], str]:
    def sql(s: Sources) -> str:
        return f"""
            SELECT value, kind, customers, accounts, is_hub FROM identifier_degrees
            WHERE id_type = {quote_literal(id_type)} AND value IS NOT NULL AND {KEPT_IDENTIFIER}"""
    return sql


def _category(s: Sources) -> str:
    return f"""
        SELECT n.name, d.domain
        FROM (SELECT category AS name FROM {s['purchases']} WHERE category IS NOT NULL
              UNION SELECT category FROM {s['browsing']} WHERE category IS NOT NULL AND account_id IS NOT NULL
              UNION SELECT 'mcc:' || mcc FROM {s['transactions']} WHERE mcc IS NOT NULL
              UNION SELECT name FROM {s['categories']} WHERE name IS NOT NULL) n
        LEFT JOIN (SELECT name, min(domain) AS domain FROM {s['categories']} GROUP BY name) d ON d.name = n.name"""


def _need(s: Sources) -> str:
    return f"SELECT need AS name, min(action) AS action FROM {s['signals']} WHERE need IS NOT NULL GROUP BY need"


def node_queries(con: Engine | duckdb.DuckDBPyConnection | None) -> dict[str, str]:
    """SQL for every node label, keyed by label (``con`` tells which optional tables exist; None: none)."""
    s = Sources(con)
    makers: dict[str, Callable[[Sources], str]] = {
        "Customer": _customer, "OnlineAccount": _account, "Category": _category, "Need": _need,
        **{label: _identifier(t) for label, t in _ID_LABEL.items()}}
    return {label: make(s) for label, make in makers.items()}


# ------------------------------------------------------------------------------------------------ relationships
def _identity(rel: str, owner: str) -> Callable[[Sources], str]:
    def sql(s: Sources) -> str:
        id_type = quote_literal(_IDENTITY[rel])
        # every value a customer holds is a node; an account's only when it is shared
        kept = "" if owner == "Customer" else f"""
              AND value IN (SELECT value FROM identifier_degrees WHERE id_type = {id_type} AND {KEPT_IDENTIFIER})"""
        return f"""
            SELECT owner_id AS src, value AS dst, any_value(source_table) AS source_table, min(_row) AS source_row,
                   min(since) AS since
            FROM identifiers
            WHERE status = 'usable' AND value IS NOT NULL AND owner_kind = {quote_literal(_OWNER_KIND[owner])}
              AND id_type = {id_type}{kept}
            GROUP BY owner_id, value"""
    return sql


SPARE_NOTE = "held by "
"""Notes left out of ``LINKED_TO.evidence`` (the JSON of ``links.evidence``), with every null member: those
"held by N customer(s) and M account(s)" of exact matches, which the matched identifier's node says too
(``customers``, ``accounts``). About a third of the text: LadybugDB copies a relationship's strings byte by byte,
once for each direction. ``links`` keeps all of it."""


def link_evidence_json() -> str:
    """SQL of the compact JSON text of ``links.evidence`` (see :data:`SPARE_NOTE`).

    The spare notes become NULL before the JSON is written, and the null members are then cut from the text with
    plain replacements: in JSON text a quote inside a string is escaped, so ``,"level":null`` only meets a member.
    (A regular expression over the text costs twice the rest.)
    """
    members = {m: f"e.{quote_ident(m)}" for m in EVIDENCE_MEMBERS}
    note = members["note"]
    members["note"] = f"CASE WHEN starts_with({note}, {quote_literal(SPARE_NOTE)}) THEN NULL ELSE {note} END"
    struct = "{" + ", ".join(f"{quote_literal(m)}: {sql}" for m, sql in members.items()) + "}"
    text = f"CAST(to_json(list_transform(evidence, lambda e: {struct})) AS VARCHAR)"
    for member in EVIDENCE_MEMBERS[1:]:   # the first member follows '{', never ','
        null_member = ',"' + member + '":null'
        text = f"replace({text}, {quote_literal(null_member)}, '')"
    return text


def _linked_to(run_id: str) -> Callable[[Sources], str]:
    def sql(s: Sources) -> str:
        return f"""
            SELECT account_id AS src, customer_id AS dst, decision, probability, match_weight,
                   {link_evidence_json()} AS evidence,
                   {quote_literal(run_id)} AS run_id
            FROM links WHERE decision IN ('linked', 'ambiguous')"""
    return sql


DECIDED_ACCOUNTS = "SELECT account_id FROM links WHERE decision IN ('linked', 'ambiguous')"
"""Accounts whose behaviour is in the graph: those linked or ambiguous to a customer (all in ``accounts``)."""

# Sums of money are rounded to the cent and of dwell time to the millisecond, as the aggregates are: a parallel
# float sum's last bits depend on the order threads add in, and an update would report the relationship changed.


def _purchased(s: Sources) -> str:
    return f"""
        SELECT account_id AS src, category AS dst, count(*) AS orders, sum(quantity) AS quantity,
               round(sum(amount), 2) AS amount, min(order_time) AS first_at, max(order_time) AS last_at
        FROM {s['purchases']}
        WHERE category IS NOT NULL AND account_id IN ({DECIDED_ACCOUNTS})
        GROUP BY account_id, category"""


def _browsed(s: Sources) -> str:
    return f"""
        SELECT account_id AS src, category AS dst, count(*) AS events, round(sum(dwell_seconds), 3) AS dwell_seconds,
               min(event_time) AS first_at, max(event_time) AS last_at
        FROM {s['browsing']}
        WHERE category IS NOT NULL AND account_id IN ({DECIDED_ACCOUNTS})
        GROUP BY account_id, category"""


def _card_spend(s: Sources) -> str:
    # every transaction's customer is in customers: ingest quarantines the others (the contract's references)
    return f"""
        SELECT customer_id AS src, 'mcc:' || mcc AS dst, count(*) AS transactions, round(sum(amount), 2) AS amount,
               min(txn_time) AS first_at, max(txn_time) AS last_at
        FROM {s['transactions']}
        WHERE mcc IS NOT NULL
        GROUP BY customer_id, mcc"""


PRESORTED: frozenset[tuple[str, str, str]] = frozenset({("HAS_NEED", "Customer", "Need")})
"""Relationship pairs whose query gives its rows in ``src, dst`` order already on DuckDB, which :func:`load_order`
does not sort again: ``signals`` is written in customer and need order. Sorting it would carry every signal's
evidence text through DuckDB's sort, which does not fit the engine's share of memory beside the store at a
million customers and does not spill. (On Spark the rows come in any order: the store loads them all the same.)"""


def _has_need(s: Sources) -> str:
    # signals has one row per customer and need (no ranking: a window would hold every evidence text too), of
    # the customers in customers: the enrichment finds needs for them
    return f"""
        SELECT customer_id AS src, need AS dst, score, action, evidence, as_of
        FROM {s['signals']}
        WHERE need IS NOT NULL"""


def relationship_queries(con: Engine | duckdb.DuckDBPyConnection | None, run_id: str = "") -> dict[tuple[str, str, str], str]:
    """SQL for every (relationship type, from label, to label), each with ``src, dst`` and the properties."""
    s = Sources(con)
    makers: dict[tuple[str, str, str], Callable[[Sources], str]] = {
        **{(rel, owner, label): _identity(rel, owner) for rel, label in
           (("HAS_PHONE", "Phone"), ("HAS_EMAIL", "Email"), ("HAS_DEVICE", "Device")) for owner in _OWNER_KIND},
        ("LINKED_TO", "OnlineAccount", "Customer"): _linked_to(run_id),
        ("PURCHASED", "OnlineAccount", "Category"): _purchased,
        ("BROWSED", "OnlineAccount", "Category"): _browsed,
        ("CARD_SPEND", "Customer", "Category"): _card_spend,
        ("HAS_NEED", "Customer", "Need"): _has_need,
    }
    return {key: make(s) for key, make in makers.items()}


# ------------------------------------------------------------------------------------------------ typed queries
@dataclass
class GraphQueries:
    """The typed SQL of the whole graph: node label -> SQL, (type, from, to) -> SQL."""

    nodes: dict[str, str] = field(default_factory=dict)
    relationships: dict[tuple[str, str, str], str] = field(default_factory=dict)


def graph_queries(con: Engine | duckdb.DuckDBPyConnection | None, *, run_id: str, schema: GraphSchema | None = None
                  ) -> GraphQueries:
    """Every node and relationship query of ``schema``, projected on its properties and cast to their types.

    A property the schema declares and no query provides fails when the query is bound
    (:func:`check_queries`).

    Raises
    ------
    GraphStoreError
        If the schema declares a label or relationship pair that no query here provides (the schema changed
        without the SQL).
    """
    schema = schema or load_schema()
    nodes, rels = node_queries(con), relationship_queries(con, run_id)
    problems = [f"node label {label}" for label in schema.nodes if label not in nodes]
    problems += [f"relationship {t} from {f} to {to}" for t, r in schema.relationships.items() for f, to in r.pairs
                 if (t, f, to) not in rels]
    if problems:
        raise GraphStoreError("graph_schema/schema.toml declares what linker/graph/build.py does not build: "
                              + ", ".join(problems))
    out = GraphQueries()
    for label, node in schema.nodes.items():
        out.nodes[label] = _project(nodes[label], node.properties, ())
    for name, rel in schema.relationships.items():
        for f, to in rel.pairs:
            out.relationships[(name, f, to)] = _project(rels[(name, f, to)], rel.properties, ENDS)
    return out


def _project(sql: str, properties: dict[str, str], ends: tuple[str, ...]) -> str:
    columns = [f"CAST({quote_ident(e)} AS VARCHAR) AS {quote_ident(e)}" for e in ends]
    columns += [f"CAST({quote_ident(p)} AS {DUCKDB_TYPES[t]}) AS {quote_ident(p)}" for p, t in properties.items()]
    return f"SELECT {', '.join(columns)} FROM ({sql}\n) q"


def file_queries(files: GraphFiles, schema: GraphSchema | None = None) -> GraphQueries:
    """Queries reading a graph back from its Parquet files (as :func:`graph_queries` gives them), for DuckDB."""
    schema = schema or load_schema()
    out = GraphQueries()
    for label, (path, _) in files.nodes.items():
        out.nodes[label] = _project(f"SELECT * FROM read_parquet({quote_literal(str(path))})",
                                    schema.nodes[label].properties, ())
    for (rel, f, to), (path, _) in files.relationships.items():
        out.relationships[(rel, f, to)] = _project(f"SELECT * FROM read_parquet({quote_literal(str(path))})",
                                                   schema.relationships[rel].properties, ENDS)
    return out


def check_queries(con: Engine | duckdb.DuckDBPyConnection, queries: GraphQueries) -> None:
    """Bind every query against the run tables (no rows read), so a missing column fails before any copy.

    Raises
    ------
    GraphStoreError
        Naming the label or relationship and the engine's message.
    """
    engine = as_engine(con)
    items: list[tuple[str, str]] = [(f"node {k}", q) for k, q in queries.nodes.items()]
    items += [(f"relationship {t} ({f})->({to})", q) for (t, f, to), q in queries.relationships.items()]
    for what, sql in items:
        try:
            engine.columns(sql)
        except (duckdb.Error, EngineError) as e:
            raise GraphStoreError(f"{engine_name(engine)} cannot build the graph's {what} from the run tables: "
                                  f"{e}") from e


def engine_name(engine: Engine) -> str:
    """How a message names the engine: ``DuckDB``, ``Spark``."""
    return {"duckdb": "DuckDB", "spark": "Spark"}.get(engine.name, engine.name)


# ------------------------------------------------------------------------------------------------ load order
GraphKey = str | tuple[str, str, str]
"""A node label, or a relationship pair ``(type, from label, to label)``."""


def load_order(queries: GraphQueries, schema: GraphSchema | None = None) -> list[tuple[GraphKey, str]]:
    """Every query in the order a store loads them (all nodes first), each sorted as LadybugDB likes it.

    Nodes are sorted by key and relationships by ``src, dst`` (but those in :data:`PRESORTED`): LadybugDB numbers
    nodes in the order it reads them and builds each relationship table as a CSR by start node, so relationships
    sorted the same way are looked up and laid out in order instead of at random (a quarter less COPY time).
    """
    schema = schema or load_schema()
    order: list[tuple[GraphKey, str]] = [
        (label, f"SELECT * FROM ({sql}) ORDER BY {quote_ident(schema.nodes[label].key)}")
        for label, sql in queries.nodes.items()]
    order += [(key, sql if key in PRESORTED else f"SELECT * FROM ({sql}) ORDER BY {', '.join(ENDS)}")
              for key, sql in queries.relationships.items()]
    return order


# ------------------------------------------------------------------------------------------------ files
@dataclass(frozen=True)
class GraphFile:
    """One Parquet file: the nodes of a label or a relationship pair (``key``), with its row count."""

    key: GraphKey
    path: Path
    rows: int


@dataclass
class GraphFiles:
    """Parquet files of a graph, with their row counts."""

    folder: Path
    nodes: dict[str, tuple[Path, int]] = field(default_factory=dict)
    relationships: dict[tuple[str, str, str], tuple[Path, int]] = field(default_factory=dict)

    def add(self, file: GraphFile) -> None:
        if isinstance(file.key, str):
            self.nodes[file.key] = (file.path, file.rows)
        else:
            self.relationships[file.key] = (file.path, file.rows)

    def __iter__(self) -> Iterator[GraphFile]:
        for label, (path, rows) in self.nodes.items():
            yield GraphFile(label, path, rows)
        for key, (path, rows) in self.relationships.items():
            yield GraphFile(key, path, rows)


def relationship_file_stem(rel: str, from_label: str, to_label: str) -> str:
    """The file stem of one relationship pair, e.g. ``HAS_PHONE.Customer.Phone``."""
    return f"{rel}.{from_label}.{to_label}"


def graph_file(folder: Path, key: GraphKey) -> Path:
    """The Parquet file of a node label or relationship pair in ``folder``, e.g. ``HAS_PHONE.Customer.Phone.parquet``."""
    return folder / f"{key if isinstance(key, str) else relationship_file_stem(*key)}.parquet"


ROW_GROUP_BYTES = "32MB"
"""The most a row group of a graph file holds on DuckDB. DuckDB's writer keeps a row group per thread in memory
before writing it out, and its default (122,880 rows) is over 200 MB for ``HAS_NEED``, whose every row carries a
signal's evidence: more than the engine's share of memory beside the store at five million customers. Files of
short rows keep the default row count."""


def write_graph_file(engine: Engine, key: GraphKey, sql: str, folder: Path) -> GraphFile:
    """Write the rows of one query of :func:`load_order` as its Parquet file in ``folder``, by the engine (DuckDB:
    snappy-compressed, quick to write and to read, row groups of at most :data:`ROW_GROUP_BYTES`; Spark: one file,
    written by one task after the sort)."""
    path = graph_file(folder, key)
    if engine.name == "duckdb":
        con: duckdb.DuckDBPyConnection = engine.con  # type: ignore[attr-defined]
        rows = con.execute(f"COPY ({sql}) TO {quote_literal(str(path))} (FORMAT parquet, COMPRESSION snappy, "
                           f"ROW_GROUP_SIZE_BYTES {quote_literal(ROW_GROUP_BYTES)})").fetchall()
        return GraphFile(key, path, int(rows[0][0]) if rows else 0)
    return GraphFile(key, path, engine.write_parquet(sql, path))


def write_parquet(con: Engine | duckdb.DuckDBPyConnection, folder: Path, *, run_id: str,
                  schema: GraphSchema | None = None) -> GraphFiles:
    """Write one Parquet file per node label and per relationship pair into ``folder``, sorted as
    :func:`load_order` sorts them, by the run's engine.

    Returns
    -------
    GraphFiles
        Paths and row counts.

    Raises
    ------
    GraphStoreError
        If a query does not fit the run tables (:func:`check_queries`).

    Notes
    -----
    Each file is one query (hash aggregates and hash joins over the run tables) and a sort: O(n log n) in its
    rows.
    """
    engine = as_engine(con)
    schema = schema or load_schema()
    queries = graph_queries(engine, run_id=run_id, schema=schema)
    check_queries(engine, queries)
    folder.mkdir(parents=True, exist_ok=True)
    files = GraphFiles(folder)
    for key, sql in load_order(queries, schema):
        files.add(write_graph_file(engine, key, sql, folder))
    return files
