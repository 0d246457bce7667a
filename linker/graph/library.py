"""The investigators' query library: one ``graph_schema/queries/NAME.cypher`` file per query.

A file starts with ``//`` comment lines: the description (first paragraph), then one line per parameter::

    // Customers sharing a device with a given customer.
    //
    // @param customer_id STRING          The bank customer.
    // @param limit INT64 = 100           At most this many rows.
    MATCH ...

Types are the schema's property types (``STRING``, ``INT64``, ``DOUBLE``, ``BOOLEAN``, ``DATE``, ``TIMESTAMP``,
``STRING[]``). The text is written in the embedded store's Cypher; :mod:`linker.graph.dialect` renders it for
Neo4j. Every ``$parameter`` of the text must be declared, and every declared one used.

Examples
--------
>>> library = load_library()
>>> library["shared_device_customers"].params[0].name
'customer_id'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import NotFoundError, QueryError, RulesError
from linker.graph.cypher import QueryResult, parse_params, parse_value, run_query
from linker.graph.dialect import DIALECTS, parameter_names
from linker.graph.store import opened
from linker.schema import PROPERTY_TYPES, schema_dir

_PARAM_LINE = re.compile(r"@param\s+(?P<name>\w+)\s+(?P<type>[A-Z0-9\[\]]+)(?:\s*=\s*(?P<default>\S+))?"
                         r"(?:\s+(?P<text>.*))?$")


@dataclass(frozen=True)
class Param:
    """A declared parameter of a library query."""

    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class LibraryQuery:
    """A query of the library: its name (the file stem), description, parameters and text."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path

    def render(self, dialect: str = "ladybug") -> str:
        """The text for ``ladybug`` (as written) or ``neo4j``.

        Raises
        ------
        QueryError
            For an unknown dialect, or a construct with no spelling in it.
        """
        if dialect not in DIALECTS:
            raise QueryError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        return DIALECTS[dialect].render(self.text)

    def bind(self, items: list[str]) -> dict[str, Any]:
        """Typed values for ``name=value`` items, with defaults for those not given.

        Raises
        ------
        QueryError
            For a missing required parameter, an unknown one, or a value of the wrong type.
        """
        declared = {p.name: p.type for p in self.params}
        given = parse_params(items, declared)
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise QueryError(f"query {self.name} has no parameter(s) {', '.join(unknown)}; it takes "
                             + (", ".join(p.name for p in self.params) or "none"))
        missing = [p.name for p in self.params if p.required and p.name not in given]
        if missing:
            raise QueryError(f"query {self.name} needs --param " + ", ".join(f"{m}=..." for m in missing))
        return {p.name: given[p.name] if p.name in given else parse_value(p.default or "", p.type, name=p.name)
                for p in self.params}


def parse_query_file(path: Path) -> LibraryQuery:
    """Read one query file.

    Raises
    ------
    RulesError
        If the header is malformed, a type is unknown, or parameters and text disagree (names the file).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    header: list[str] = []
    while lines and lines[0].startswith("//"):
        header.append(lines.pop(0)[2:].strip())
    text = "\n".join(lines).strip()
    description_lines: list[str] = []
    params: list[Param] = []
    for line in header:
        if line.startswith("@param"):
            m = _PARAM_LINE.match(line)
            if not m:
                raise RulesError(f"{path}: malformed parameter line {line!r}; write "
                                 "'@param NAME TYPE [= DEFAULT] description'")
            if m["type"] not in PROPERTY_TYPES:
                raise RulesError(f"{path}: parameter {m['name']} has unknown type {m['type']!r}")
            params.append(Param(m["name"], m["type"], m["default"], (m["text"] or "").strip()))
        elif not params and (line or description_lines):
            description_lines.append(line)
    description = " ".join(" ".join(description_lines).split())
    problems = []
    if not description:
        problems.append("no description")
    if not text:
        problems.append("no query text")
    used, declared = parameter_names(text), [p.name for p in params]
    problems += [f"${u} is used but not declared" for u in used if u not in declared]
    problems += [f"{d} is declared but not used" for d in declared if d not in used]
    if problems:
        raise RulesError(f"{path}: " + "; ".join(problems))
    query = LibraryQuery(path.stem, description, tuple(params), text, path)
    for p in params:
        if p.default is not None:
            try:
                parse_value(p.default, p.type, name=p.name)
            except QueryError as e:
                raise RulesError(f"{path}: default of {p.name}: {e}") from e
    return query


def library_dir() -> Path:
    """The folder of the query library (``graph_schema/queries``)."""
    return schema_dir() / "queries"


def load_library(folder: Path | None = None) -> dict[str, LibraryQuery]:
    """Every query of the library, by name, sorted by name."""
    folder = folder or library_dir()
    return {q.name: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.cypher")))}


def get_query(name: str, folder: Path | None = None) -> LibraryQuery:
    """One library query by name.

    Raises
    ------
    NotFoundError
        If there is no such query (the message lists the names).
    """
    library = load_library(folder)
    if name not in library:
        raise NotFoundError(f"no query named {name!r} in the library; there are: {', '.join(library)}")
    return library[name]


def run_library_query(run_dir: Path, name: str, items: list[str], *, timeout_seconds: float | None = 60.0
                      ) -> QueryResult:
    """Run a library query on a run's store (read-only) with ``name=value`` parameters.

    Raises
    ------
    NotFoundError
        For an unknown query name.
    QueryError
        For wrong parameters or a query LadybugDB rejects.
    RunNotFoundError
        If the run has no store.
    """
    query = get_query(name)
    params = query.bind(items)
    with opened(run_dir) as store:
        return run_query(store, query.render("ladybug"), params, timeout_seconds=timeout_seconds)
