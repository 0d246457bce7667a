"""The stage contracts: which tables each stage of the pipeline reads and writes, and the engines it runs on.

The pipeline is ingest -> normalize -> resolve -> enrich -> export -> graph. Stages hand data to each other only
through the tables named here, so a stage can be run (and tested) alone on an engine that holds its ``reads``.
A table's columns are declared where a stage fixes them; the input tables' columns follow the input contract
(:mod:`linker.contract`) and the configuration, so they are declared by name only.

:func:`check_backend` refuses an engine that some stage does not run on yet, naming those stages, before any
work is done: a run never stops half-way because its engine lacks a stage.

Examples
--------
>>> [s.name for s in STAGES]
['ingest', 'normalize', 'resolve', 'enrich', 'export', 'graph']
>>> [s.name for s in stages_not_on("spark")]
[]
>>> STAGE["resolve"].table("hubs").columns[0]
('id_type', 'VARCHAR')
"""

from __future__ import annotations

from dataclasses import dataclass

from linker.errors import EngineError

Columns = tuple[tuple[str, str], ...]
"""(column, DuckDB type) pairs, in the order the stage writes them."""


@dataclass(frozen=True)
class TableContract:
    """A table handed from one stage to the next: its name and, where a stage fixes them, its columns."""

    name: str
    columns: Columns = ()


@dataclass(frozen=True)
class Stage:
    """One stage: the tables it needs, the tables it leaves for the stages after it, the engines it runs on."""

    name: str
    description: str
    reads: tuple[str, ...]
    writes: tuple[TableContract, ...]
    engines: frozenset[str]

    def table(self, name: str) -> TableContract:
        """The contract of table ``name`` written by this stage."""
        for table in self.writes:
            if table.name == name:
                return table
        raise KeyError(f"stage {self.name} writes no table {name!r}")


_ENTITIES = ("customers", "accounts")
_EVENTS = ("transactions", "purchases", "browsing")

IDENTIFIERS = TableContract("identifiers", (
    ("owner_kind", "VARCHAR"), ("owner_id", "VARCHAR"), ("id_type", "VARCHAR"), ("raw", "VARCHAR"),
    ("since", "DATE"), ("confirmed", "DATE"), ("_row", "BIGINT"), ("source_table", "VARCHAR"),
    ("_source", "VARCHAR"), ("value", "VARCHAR"), ("kind", "VARCHAR"), ("status", "VARCHAR"),
    ("reason", "VARCHAR"), ("rule_reason", "VARCHAR")))
IDENTIFIER_DEGREES = TableContract("identifier_degrees", (
    ("id_type", "VARCHAR"), ("value", "VARCHAR"), ("kind", "VARCHAR"), ("customers", "BIGINT"),
    ("accounts", "BIGINT"), ("is_hub", "BOOLEAN"), ("hub_threshold", "INTEGER")))
HUBS = TableContract("hubs", (
    ("id_type", "VARCHAR"), ("value", "VARCHAR"), ("kind", "VARCHAR"), ("customers", "BIGINT"),
    ("accounts", "BIGINT"), ("degree", "BIGINT"), ("hub_threshold", "INTEGER")))
LINKS = TableContract("links", (
    ("customer_id", "VARCHAR"), ("account_id", "VARCHAR"), ("decision", "VARCHAR"), ("reason", "VARCHAR"),
    ("probability", "DOUBLE"), ("owner_probability", "DOUBLE"), ("match_weight", "DOUBLE"), ("rank", "BIGINT"),
    ("margin_bits", "DOUBLE"), ("competitors", "BIGINT"),
    ("evidence", ('STRUCT(comparison VARCHAR, "level" VARCHAR, id_type VARCHAR, "value" VARCHAR, '
                  'account_value VARCHAR, weight DOUBLE, note VARCHAR)[]'))))
CLUSTERS = TableContract("clusters", (
    ("member_kind", "VARCHAR"), ("member_id", "VARCHAR"), ("cluster_id", "VARCHAR"), ("cluster_size", "BIGINT"),
    ("customers", "BIGINT"), ("accounts", "BIGINT")))
MATCH_WEIGHTS = TableContract("match_weights", (
    ("comparison", "VARCHAR"), ("level", "VARCHAR"), ("description", "VARCHAR"), ("m", "DOUBLE"),
    ("u", "DOUBLE"), ("weight", "DOUBLE")))

_ENRICHED = ("taxonomy_domains", "categories", "merchant_classes", "linked_accounts", "device_attribution",
             "aggregates", "domain_spend", "customer_metrics", "need_scores", "need_baselines", "signal_scores", "signals",
             "signal_events", "profiles", "unmapped_categories", "enrichment_info")

STAGES: tuple[Stage, ...] = (
    Stage("ingest", "read the input files, quarantine bad rows, reconcile", (),
          tuple(TableContract(t) for t in (*_ENTITIES, *_EVENTS, "quarantine")), frozenset({"duckdb", "spark"})),
    Stage("normalize", "identifiers of customers, accounts and browsing devices, each with a status",
          (*_ENTITIES, "browsing"), (IDENTIFIERS,), frozenset({"duckdb", "spark"})),
    Stage("resolve", "hubs, candidate pairs, the match model, links and clusters",
          (*_ENTITIES, "identifiers"), (IDENTIFIER_DEGREES, HUBS, LINKS, CLUSTERS, MATCH_WEIGHTS),
          frozenset({"duckdb", "spark"})),
    Stage("enrich", "linked behaviour onto each customer: categories, aggregates, needs, profiles",
          (*_ENTITIES, *_EVENTS, "identifiers", "identifier_degrees", "links", "clusters"),
          tuple(TableContract(t) for t in _ENRICHED), frozenset({"duckdb", "spark"})),
    Stage("export", "the output files and report.html",
          ("links", "hubs", "clusters", "identifiers", "quarantine", *_ENRICHED, "match_weights"), (),
          frozenset({"duckdb", "spark"})),
    Stage("graph", "the embedded graph store", (*_ENTITIES, *_EVENTS, "identifiers", "links", "clusters", "hubs",
                                                "profiles", "signals"), (), frozenset({"duckdb", "spark"})),
)
"""The pipeline's stages, in the order they run."""

STAGE = {stage.name: stage for stage in STAGES}
"""The stages by name."""


def stages_not_on(backend: str) -> list[Stage]:
    """The stages that do not run on engine ``backend`` yet."""
    return [stage for stage in STAGES if backend not in stage.engines]


def check_backend(backend: str) -> None:
    """Refuse a run on ``backend`` when some stage does not run on it, before any work is done.

    Raises
    ------
    EngineError
        Naming ``engine.backend``, the stages not yet on that engine and those that are.

    Examples
    --------
    >>> check_backend("duckdb")
    >>> check_backend("spark")
    >>> check_backend("flink")
    Traceback (most recent call last):
    ...
    linker.errors.EngineError: engine.backend = "flink": the stages ingest, normalize, resolve, enrich, export and \
graph do not run on Flink yet (none does), so a run would stop half-way; set engine.backend = "duckdb" (the \
default) to run the pipeline on one machine
    """
    missing = [stage.name for stage in stages_not_on(backend)]
    if not missing:
        return
    ported = [stage.name for stage in STAGES if backend in stage.engines]
    missing_text = f"the stage {missing[0]} does" if len(missing) == 1 else f"the stages {_and(missing)} do"
    ported_text = "none does" if not ported else f"{_and(ported)} {'does' if len(ported) == 1 else 'do'}"
    raise EngineError(
        f'engine.backend = "{backend}": {missing_text} not run on {backend.capitalize()} yet ({ported_text}), so '
        'a run would stop half-way; set engine.backend = "duckdb" (the default) to run the pipeline on one machine')


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
