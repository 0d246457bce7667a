"""The category taxonomy: category names and merchant category codes -> classes -> a hierarchy of need domains.

The shipped taxonomy is ``linker/data/taxonomy.toml`` with its leaf categories in
``linker/data/taxonomy_categories.csv`` (the TOML file's header explains the format and the matching order); a
user file named by ``enrichment.taxonomy_file`` replaces it, or is laid over it when it says
``extends = "builtin"``. Mapping names to classes is :mod:`linker.enrich.category_match`.

Examples
--------
>>> tax = load_taxonomy(None)
>>> tax.classes["mattress"].domain, tax.domain_path("home_furnishing")
('home_furnishing', ('home', 'home_furnishing'))
>>> "camera_lens" in tax.classes_under("electronics"), len(tax.leaves) >= 1000
(True, True)
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from linker.errors import RulesError

BUILTIN = "builtin"
UNMAPPED = "unmapped"
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_MCC = re.compile(r"^(\d{3,4})(?:-(\d{3,4}))?$")
_TOP_KEYS = {"version", "extends", "categories", "matching", "domains", "classes"}
_DOMAIN_KEYS = {"label", "label_zh", "parent", "description"}
_CLASS_KEYS = {"domain", "label", "label_zh", "priority", "names", "patterns", "mcc", "merchants", "description"}
_CSV_COLUMNS = ("domain", "class", "name_zh", "name_en", "synonyms")


@dataclass(frozen=True)
class Matching:
    """How names not found exactly are matched (``[matching]``): the shortest name looked for inside longer
    names, and the lowest rapidfuzz ratio (0-100) a fuzzy match needs."""

    contains_min_chars: int = 2
    fuzzy_threshold: float = 85.0


@dataclass(frozen=True)
class Domain:
    """A need domain; ``parent`` places it in the hierarchy (``None`` for a top-level domain)."""

    name: str
    parent: str | None = None
    label: str = ""
    label_zh: str = ""


@dataclass(frozen=True)
class CategoryClass:
    """A class of goods: the names, patterns and merchant category codes that map to it, and its domain."""

    name: str
    domain: str
    label: str = ""
    label_zh: str = ""
    priority: int = 100
    names: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    mcc: tuple[tuple[int, int], ...] = ()   # inclusive code ranges; a single code is (c, c)
    merchants: tuple[str, ...] = ()          # patterns on card merchant names; they win over the MCC


@dataclass(frozen=True)
class Leaf:
    """A leaf category of a category table: its class, Chinese and English names."""

    klass: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy. ``source`` is the file it came from (``builtin`` for the shipped one)."""

    source: str
    domains: Mapping[str, Domain]
    classes: Mapping[str, CategoryClass]
    matching: Matching = field(default_factory=Matching)
    leaves: tuple[Leaf, ...] = ()

    def domain_path(self, domain: str) -> tuple[str, ...]:
        """Domains from the top of the hierarchy down to ``domain``."""
        path: list[str] = []
        node: str | None = domain
        while node is not None:
            path.insert(0, node)
            node = self.domains[node].parent
        return tuple(path)

    def classes_under(self, domain: str) -> set[str]:
        """Every class whose domain is ``domain`` or lies below it."""
        return {c.name for c in self.classes.values() if domain in self.domain_path(c.domain)}

    def label(self, domain: str) -> str:
        """The domain's label, or its key when it has none."""
        return self.domains[domain].label or domain


@dataclass
class _Parsed:
    """One file's content before validation; ``origins`` say where each class's domain was given."""

    domains: dict[str, Domain]
    classes: dict[str, CategoryClass]
    origins: dict[str, str]
    matching: dict[str, Any]
    leaves: list[Leaf]
    problems: list[str]


def builtin_path() -> Path:
    """Path of the shipped ``taxonomy.toml``."""
    return Path(str(resources.files("linker").joinpath("data/taxonomy.toml")))


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Read a rules-like TOML file, raising :class:`RulesError` that names the file."""
    if not path.is_file():
        raise RulesError(f"{what} file {path} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RulesError(f"{what} file {path} is not valid UTF-8 TOML: {e}") from None


def load_taxonomy(path: Path | None) -> Taxonomy:
    """Load the shipped taxonomy, a user taxonomy, or a user taxonomy laid over the shipped one.

    Parameters
    ----------
    path
        ``enrichment.taxonomy_file``; ``None`` for the shipped taxonomy.

    Returns
    -------
    Taxonomy

    Raises
    ------
    RulesError
        Listing every problem, each naming the file and entry (``classes.furniture: unknown domain ...``,
        ``categories.csv row 12: class 'lamps' is in two domains ...``).
    """
    builtin = _parse(read_toml(builtin_path(), "taxonomy"), builtin_path())
    if path is None:
        return _validated(builtin, BUILTIN)
    data = read_toml(path, "taxonomy")
    extends = data.pop("extends", None)
    if extends not in (None, BUILTIN):
        raise RulesError(f"taxonomy file {path}: extends = {extends!r}; the only value is \"builtin\"")
    user = _parse(data, path)
    return _validated(user if extends is None else _overlay(builtin, user), str(path))


def _parse(data: dict[str, Any], path: Path) -> _Parsed:
    problems = []
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.append(f"unknown section(s) {unknown}; use {', '.join(sorted(_TOP_KEYS))}")
    matching = data.get("matching") or {}
    if not isinstance(matching, dict):
        problems.append("matching: must be a table ([matching])")
        matching = {}
    domains: dict[str, Domain] = {}
    for name, entry in (data.get("domains") or {}).items():
        if not isinstance(entry, dict):
            problems.append(f"domains.{name}: must be a table ([domains.{name}])")
            continue
        problems += [f"domains.{name}: unknown key {k!r} (keys: {', '.join(sorted(_DOMAIN_KEYS))})"
                     for k in entry if k not in _DOMAIN_KEYS]
        domains[name] = Domain(name, entry.get("parent"), str(entry.get("label", "")), str(entry.get("label_zh", "")))
    classes: dict[str, CategoryClass] = {}
    origins: dict[str, str] = {}
    leaves: list[Leaf] = []
    if "categories" in data:
        table = data["categories"]
        if not isinstance(table, str) or not table.strip():
            problems.append("categories: must be the path of a CSV file (relative to this file)")
        else:
            leaves = _read_categories(path.parent / table, classes, origins, problems)
    for name, entry in (data.get("classes") or {}).items():
        if not isinstance(entry, dict):
            problems.append(f"classes.{name}: must be a table ([classes.{name}])")
            continue
        problems += [f"classes.{name}: unknown key {k!r} (keys: {', '.join(sorted(_CLASS_KEYS))})"
                     + ("; patterns match anywhere in a name, every name also matches inside longer names"
                        if k == "regex" else "") for k in entry if k not in _CLASS_KEYS]
        _class_entry(name, entry, classes, origins, problems)
    return _Parsed(domains, classes, origins, matching, leaves, problems)


def _read_categories(path: Path, classes: dict[str, CategoryClass], origins: dict[str, str],
                     problems: list[str]) -> list[Leaf]:
    """Read a category table (columns :data:`_CSV_COLUMNS`) into ``classes``; return its leaves."""
    if not path.is_file():
        problems.append(f"categories: file {path} not found")
        return []
    leaves = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if tuple(h.strip() for h in header) != _CSV_COLUMNS:
            problems.append(f"{path.name}: the header must be {','.join(_CSV_COLUMNS)} (found {','.join(header)})")
            return []
        for row_number, row in enumerate(reader, 2):
            where = f"{path.name} row {row_number}"
            if len(row) != len(_CSV_COLUMNS):
                problems.append(f"{where}: {len(row)} fields; expected {len(_CSV_COLUMNS)}")
                continue
            domain, klass, name_zh, name_en, synonyms = (v.strip() for v in row)
            if not domain or not klass or not (name_zh or name_en):
                problems.append(f"{where}: needs a domain, a class and a name")
                continue
            names = tuple(n for n in (name_zh, name_en, *(s.strip() for s in synonyms.split("|"))) if n)
            known = classes.get(klass)
            if known is None:
                classes[klass] = CategoryClass(klass, domain, names=names)
                origins[klass] = where
            elif known.domain != domain:
                problems.append(f"{where}: class {klass!r} is in two domains: {domain!r} here and {known.domain!r} "
                                f"({origins[klass]}); a class belongs to one domain")
                continue
            else:
                classes[klass] = replace(known, names=known.names + names)
            leaves.append(Leaf(klass, name_zh, name_en))
    return leaves


def _class_entry(name: str, entry: dict[str, Any], classes: dict[str, CategoryClass], origins: dict[str, str],
                 problems: list[str]) -> None:
    """Add a ``[classes.<name>]`` entry to ``classes`` (merged with the category table's rows of that class)."""
    lists = {}
    for key in ("names", "patterns", "mcc", "merchants"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"classes.{name}.{key}: must be a list of non-empty strings")
            value = []
        lists[key] = [v.strip() for v in value]
    ranges = []
    for code in lists["mcc"]:
        m = _MCC.match(code)
        if not m or int(m.group(2) or m.group(1)) < int(m.group(1)):
            problems.append(f"classes.{name}.mcc: {code!r} is not a merchant category code or range like \"5712\" or "
                            f"\"3000-3299\"")
            continue
        ranges.append((int(m.group(1)), int(m.group(2) or m.group(1))))
    priority = entry.get("priority", 100)
    if not isinstance(priority, int) or isinstance(priority, bool):
        problems.append(f"classes.{name}.priority: must be an integer")
        priority = 100
    known = classes.get(name)
    domain = entry.get("domain")
    if known is not None and domain is not None and domain != known.domain:
        problems.append(f"classes.{name}: the class is in two domains: {domain!r} here and {known.domain!r} "
                        f"({origins[name]}); a class belongs to one domain")
    if known is None and domain is None:
        problems.append(f"classes.{name}: lacks domain (give one, or rows in the categories file)")
    base = known or CategoryClass(name, str(domain or ""))
    origins.setdefault(name, f"classes.{name}")
    classes[name] = replace(base, label=str(entry.get("label", base.label)),
                            label_zh=str(entry.get("label_zh", base.label_zh)), priority=priority,
                            names=base.names + tuple(lists["names"]), patterns=tuple(lists["patterns"]),
                            mcc=tuple(ranges), merchants=tuple(lists["merchants"]))


def _overlay(base: _Parsed, top: _Parsed) -> _Parsed:
    """Lay a user taxonomy over the shipped one: its domains replace, its classes add to the shipped ones (a
    domain or label given replaces), its names and single codes win over the shipped ones."""
    taken_names = {n.casefold() for c in top.classes.values() for n in c.names}
    taken_codes = {r for c in top.classes.values() for r in c.mcc if r[0] == r[1]}
    classes = {
        n: replace(c, names=tuple(x for x in c.names if x.casefold() not in taken_names),
                   mcc=tuple(r for r in c.mcc if r not in taken_codes))
        for n, c in base.classes.items()}
    origins = dict(base.origins)
    for name, mine in top.classes.items():
        shipped = classes.get(name)
        origins[name] = top.origins[name]
        if shipped is None:
            classes[name] = mine
            continue
        classes[name] = replace(shipped, domain=mine.domain or shipped.domain, label=mine.label or shipped.label,
                                label_zh=mine.label_zh or shipped.label_zh, priority=mine.priority,
                                names=mine.names + shipped.names, patterns=mine.patterns + shipped.patterns,
                                mcc=mine.mcc + shipped.mcc, merchants=mine.merchants + shipped.merchants)
    return _Parsed({**base.domains, **top.domains}, classes, origins, {**base.matching, **top.matching},
                   base.leaves + top.leaves, base.problems + top.problems)


def _matching(values: dict[str, Any], problems: list[str]) -> Matching:
    unknown = sorted(set(values) - {"contains_min_chars", "fuzzy_threshold"})
    problems += [f"matching: unknown key {k!r} (keys: contains_min_chars, fuzzy_threshold)" for k in unknown]
    threshold = values.get("fuzzy_threshold", Matching.fuzzy_threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 100:
        problems.append(f"matching.fuzzy_threshold: {threshold!r} is out of range; give a number from 0 to 100 "
                        f"(rapidfuzz's ratio; 85 by default)")
        threshold = Matching.fuzzy_threshold
    shortest = values.get("contains_min_chars", Matching.contains_min_chars)
    if isinstance(shortest, bool) or not isinstance(shortest, int) or not 1 <= shortest <= 20:
        problems.append(f"matching.contains_min_chars: {shortest!r} is out of range; give a whole number from 1 to 20")
        shortest = Matching.contains_min_chars
    return Matching(shortest, float(threshold))


def _validated(parsed: _Parsed, source: str) -> Taxonomy:
    domains, classes = parsed.domains, list(parsed.classes.values())
    problems = list(parsed.problems)
    matching = _matching(parsed.matching, problems)
    for d in domains.values():
        if not _KEY.match(d.name) or d.name == UNMAPPED:
            problems.append(f"domains.{d.name}: names are lower-case words joined by _ (and not {UNMAPPED!r})")
        if d.parent is not None and d.parent not in domains:
            problems.append(f"domains.{d.name}: unknown parent {d.parent!r}")
    for d in domains.values():
        seen, node = [d.name], domains[d.name].parent
        while node in domains and node not in seen:
            seen.append(node)
            node = domains[node].parent
        if node in seen:
            problems.append(f"domains.{d.name}: the parent chain is a cycle: {' -> '.join([*seen, node])}; a domain "
                            f"cannot lie below itself")
    by_name: dict[str, str] = {}
    by_code: dict[int, str] = {}
    for c in classes:
        where = parsed.origins.get(c.name, f"classes.{c.name}")
        if not _KEY.match(c.name) or c.name == UNMAPPED or c.name in domains:
            problems.append(f"{where}: class {c.name!r}: names are lower-case words joined by _, not {UNMAPPED!r} "
                            f"and not the name of a domain")
        if c.domain and c.domain not in domains:
            problems.append(f"{where}: class {c.name!r}: unknown domain {c.domain!r} (domains: {', '.join(domains)})")
        for raw in c.names:
            other = by_name.setdefault(raw.casefold(), c.name)
            if other != c.name:
                problems.append(f"classes.{c.name}.names: {raw!r} is already a name of classes.{other}")
        for lo, hi in c.mcc:
            if lo == hi:
                other = by_code.setdefault(lo, c.name)
                if other != c.name:
                    problems.append(f"classes.{c.name}.mcc: {lo:04d} is already a code of classes.{other}")
    problems += _bad_patterns(classes)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise RulesError(f"taxonomy file {source}: {len(problems)} problem(s):\n{listed}")
    return Taxonomy(source, dict(domains), {c.name: c for c in classes}, matching, tuple(parsed.leaves))


def _bad_patterns(classes: list[CategoryClass]) -> list[str]:
    """Check every pattern with the engine that will run it (RE2 in DuckDB)."""
    problems = []
    con = duckdb.connect()
    try:
        for c in classes:
            for key, patterns in (("patterns", c.patterns), ("merchants", c.merchants)):
                for p in patterns:
                    try:
                        con.execute("SELECT regexp_matches('', ?)", [f"(?i){p}"]).fetchall()
                    except duckdb.Error as e:
                        problems.append(f"classes.{c.name}.{key}: {p!r} is not a valid RE2 pattern ({e})")
    finally:
        con.close()
    return problems
