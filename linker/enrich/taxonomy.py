"""The category taxonomy: raw categories and merchant category codes -> classes -> a hierarchy of need domains.

The shipped taxonomy is ``linker/data/taxonomy.toml`` (its header explains the matching order); a user file
named by ``enrichment.taxonomy_file`` replaces it, or is laid over it when it says ``extends = "builtin"``.
Mapping runs in SQL over the *distinct* category names of a run, so its cost does not grow with the events.

Examples
--------
>>> tax = load_taxonomy(None)
>>> tax.classes["mattress"].domain, tax.domain_path("home_furnishing")
('home_furnishing', ('home', 'home_furnishing'))
>>> "camera_lens" in tax.classes_under("electronics")
True
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linker.errors import RulesError

BUILTIN = "builtin"
UNMAPPED = "unmapped"
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_MCC = re.compile(r"^(\d{3,4})(?:-(\d{3,4}))?$")
_DOMAIN_KEYS = {"label", "label_zh", "parent", "description"}
_CLASS_KEYS = {"domain", "label", "label_zh", "priority", "names", "patterns", "mcc", "merchants", "description"}


@dataclass(frozen=True)
class Domain:
    """A need domain; ``parent`` places it in the hierarchy (``None`` for a top-level domain)."""

    name: str
    parent: str | None = None
    label: str = ""
    label_zh: str = ""


@dataclass(frozen=True)
class CategoryClass:
    """A class of goods: the raw names, patterns and merchant category codes that map to it, and its domain."""

    name: str
    domain: str
    label: str = ""
    priority: int = 100
    names: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    mcc: tuple[tuple[int, int], ...] = ()   # inclusive code ranges; a single code is (c, c)
    merchants: tuple[str, ...] = ()          # patterns on card merchant names; they win over the MCC


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy. ``source`` is the file it came from (``builtin`` for the shipped one)."""

    source: str
    domains: Mapping[str, Domain]
    classes: Mapping[str, CategoryClass]

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
        Listing every problem, each naming the file and entry (``classes.furniture: unknown domain ...``).
    """
    builtin = _parse(read_toml(builtin_path(), "taxonomy"), BUILTIN)
    if path is None:
        return _validated(builtin, BUILTIN)
    data = read_toml(path, "taxonomy")
    extends = data.pop("extends", None)
    if extends not in (None, BUILTIN):
        raise RulesError(f"taxonomy file {path}: extends = {extends!r}; the only value is \"builtin\"")
    user = _parse(data, str(path))
    if extends is None:
        return _validated(user, str(path))
    return _validated(_overlay(builtin, user), str(path))


def _parse(data: dict[str, Any], source: str) -> tuple[dict[str, Domain], list[CategoryClass], list[str]]:
    problems = []
    unknown = sorted(set(data) - {"version", "domains", "classes"})
    if unknown:
        problems.append(f"unknown section(s) {unknown}; use version, extends, domains, classes")
    domains: dict[str, Domain] = {}
    for name, entry in (data.get("domains") or {}).items():
        if not isinstance(entry, dict):
            problems.append(f"domains.{name}: must be a table ([domains.{name}])")
            continue
        problems += [f"domains.{name}: unknown key {k!r} (keys: {', '.join(sorted(_DOMAIN_KEYS))})"
                     for k in entry if k not in _DOMAIN_KEYS]
        domains[name] = Domain(name, entry.get("parent"), str(entry.get("label", "")),
                               str(entry.get("label_zh", "")))
    classes: list[CategoryClass] = []
    for name, entry in (data.get("classes") or {}).items():
        if not isinstance(entry, dict):
            problems.append(f"classes.{name}: must be a table ([classes.{name}])")
            continue
        problems += [f"classes.{name}: unknown key {k!r} (keys: {', '.join(sorted(_CLASS_KEYS))})"
                     for k in entry if k not in _CLASS_KEYS]
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
                problems.append(f"classes.{name}.mcc: {code!r} is not a merchant category code or range "
                                f"like \"5712\" or \"3000-3299\"")
                continue
            ranges.append((int(m.group(1)), int(m.group(2) or m.group(1))))
        priority = entry.get("priority", 100)
        if not isinstance(priority, int) or isinstance(priority, bool):
            problems.append(f"classes.{name}.priority: must be an integer")
            priority = 100
        if "domain" not in entry:
            problems.append(f"classes.{name}: lacks domain")
        classes.append(CategoryClass(name, str(entry.get("domain", "")), str(entry.get("label", "")), priority,
                                     tuple(lists["names"]), tuple(lists["patterns"]), tuple(ranges),
                                     tuple(lists["merchants"])))
    return domains, classes, problems


def _overlay(base: tuple[dict[str, Domain], list[CategoryClass], list[str]],
             top: tuple[dict[str, Domain], list[CategoryClass], list[str]]
             ) -> tuple[dict[str, Domain], list[CategoryClass], list[str]]:
    """Lay a user taxonomy over the shipped one: user entries replace, user names and codes win."""
    domains = {**base[0], **top[0]}
    replaced = {c.name for c in top[1]}
    taken_names = {n.casefold() for c in top[1] for n in c.names}
    taken_codes = {r for c in top[1] for r in c.mcc if r[0] == r[1]}
    kept = [CategoryClass(c.name, c.domain, c.label, c.priority,
                          tuple(n for n in c.names if n.casefold() not in taken_names), c.patterns,
                          tuple(r for r in c.mcc if r not in taken_codes), c.merchants)
            for c in base[1] if c.name not in replaced]
    return domains, top[1] + kept, base[2] + top[2]


def _validated(parsed: tuple[dict[str, Domain], list[CategoryClass], list[str]], source: str) -> Taxonomy:
    domains, classes, problems = parsed
    problems = list(problems)
    for d in domains.values():
        if not _KEY.match(d.name) or d.name == UNMAPPED:
            problems.append(f"domains.{d.name}: names are lower-case words joined by _ (and not {UNMAPPED!r})")
        if d.parent is not None and d.parent not in domains:
            problems.append(f"domains.{d.name}: unknown parent {d.parent!r}")
    for d in domains.values():
        seen, node = set(), d.name
        while node in domains and node not in seen:
            seen.add(node)
            node = domains[node].parent  # type: ignore[assignment]
        if node in seen:
            problems.append(f"domains.{d.name}: the parent chain loops back to {node!r}")
    by_name: dict[str, str] = {}
    by_code: dict[int, str] = {}
    for c in classes:
        if not _KEY.match(c.name) or c.name == UNMAPPED or c.name in domains:
            problems.append(f"classes.{c.name}: names are lower-case words joined by _, not {UNMAPPED!r} "
                            f"and not the name of a domain")
        if c.domain and c.domain not in domains:
            problems.append(f"classes.{c.name}: unknown domain {c.domain!r} (domains: {', '.join(domains)})")
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
    return Taxonomy(source, dict(domains), {c.name: c for c in classes})


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


def register_taxonomy(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> None:
    """Create the small tables the mapping SQL joins: ``taxonomy_classes``, ``_names``, ``_patterns``,
    ``_merchants`` and ``_mcc``."""
    classes = list(taxonomy.classes.values())
    paths = [list(taxonomy.domain_path(c.domain)) for c in classes]
    tables = {
        "taxonomy_classes": pa.table({
            "class": [c.name for c in classes], "domain": [c.domain for c in classes],
            "top_domain": [p[0] for p in paths], "domain_path": pa.array(paths, pa.list_(pa.string())),
            "label": [c.label for c in classes]}),
        "taxonomy_names": pa.table({
            "name_key": [n.casefold() for c in classes for n in c.names],
            "class": [c.name for c in classes for _ in c.names]}, schema=_schema("name_key", "class")),
        "taxonomy_patterns": pa.table({
            "pattern": [f"(?i){p}" for c in classes for p in c.patterns],
            "rule": [p for c in classes for p in c.patterns],
            "class": [c.name for c in classes for _ in c.patterns],
            "priority": pa.array([c.priority for c in classes for _ in c.patterns], pa.int64()),
            "ord": pa.array([i for i, c in enumerate(classes) for _ in c.patterns], pa.int64())},
            schema=_schema("pattern", "rule", "class", ints=("priority", "ord"))),
        "taxonomy_merchants": pa.table({
            "pattern": [f"(?i){p}" for c in classes for p in c.merchants],
            "rule": [p for c in classes for p in c.merchants],
            "class": [c.name for c in classes for _ in c.merchants],
            "priority": pa.array([c.priority for c in classes for _ in c.merchants], pa.int64()),
            "ord": pa.array([i for i, c in enumerate(classes) for _ in c.merchants], pa.int64())},
            schema=_schema("pattern", "rule", "class", ints=("priority", "ord"))),
        "taxonomy_mcc": pa.table({
            "lo": pa.array([lo for c in classes for lo, _ in c.mcc], pa.int64()),
            "hi": pa.array([hi for c in classes for _, hi in c.mcc], pa.int64()),
            "class": [c.name for c in classes for _ in c.mcc]},
            schema=_schema("class", ints=("lo", "hi"))),
    }
    for name, table in tables.items():
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")


def _schema(*strings: str, ints: tuple[str, ...] = ()) -> pa.Schema:
    return pa.schema([(s, pa.string()) for s in strings] + [(i, pa.int64()) for i in ints])


def build_categories(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> int:
    """Create ``categories``: every category name seen in purchases, browsing and card transactions, mapped.

    Columns: ``name`` (raw text, or ``mcc:NNNN`` for card transactions), ``source`` ('online' | 'card'),
    ``class``, ``domain``, ``top_domain``, ``domain_path`` (top-down), ``mapped``, ``matched_by``
    ('name' | 'pattern' | 'mcc' | 'mcc_range'; NULL when unmapped), ``matched_rule``, ``purchases``,
    ``browse_events``, ``card_txns``, ``amount``. Unmapped names keep NULL class and domain.

    Returns the number of unmapped category names.

    Notes
    -----
    One aggregation over the event tables, then joins over the distinct names only.
    """
    register_taxonomy(con, taxonomy)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE observed_categories AS
        SELECT name, source, CAST(sum(purchases) AS BIGINT) AS purchases,
               CAST(sum(browse_events) AS BIGINT) AS browse_events, CAST(sum(card_txns) AS BIGINT) AS card_txns,
               sum(amount) AS amount
        FROM (SELECT category AS name, 'online' AS source, count(*) AS purchases, 0 AS browse_events,
                     0 AS card_txns, sum(amount) AS amount
              FROM purchases WHERE category IS NOT NULL GROUP BY category
              UNION ALL
              SELECT category, 'online', 0, count(*), 0, 0 FROM browsing WHERE category IS NOT NULL GROUP BY category
              UNION ALL
              SELECT 'mcc:' || mcc, 'card', 0, 0, count(*), sum(amount)
              FROM transactions WHERE mcc IS NOT NULL AND mcc <> '' GROUP BY mcc)
        GROUP BY name, source
    """)
    con.execute("""
        CREATE OR REPLACE TABLE categories AS
        WITH by_name AS (
            SELECT o.name, n.class, 'name' AS matched_by, o.name AS matched_rule, 1 AS rank
            FROM observed_categories o JOIN taxonomy_names n ON n.name_key = lower(trim(o.name))
            WHERE o.source = 'online'),
        by_pattern AS (
            SELECT o.name, p.class, 'pattern' AS matched_by, p.rule AS matched_rule,
                   row_number() OVER (PARTITION BY o.name ORDER BY p.priority, p.ord, p.rule) AS rank
            FROM observed_categories o JOIN taxonomy_patterns p ON regexp_matches(trim(o.name), p.pattern)
            WHERE o.source = 'online' AND o.name NOT IN (SELECT name FROM by_name)),
        by_mcc AS (
            SELECT o.name, m.class, CASE WHEN m.lo = m.hi THEN 'mcc' ELSE 'mcc_range' END AS matched_by,
                   CASE WHEN m.lo = m.hi THEN lpad(CAST(m.lo AS VARCHAR), 4, '0')
                        ELSE lpad(CAST(m.lo AS VARCHAR), 4, '0') || '-' || lpad(CAST(m.hi AS VARCHAR), 4, '0')
                   END AS matched_rule,
                   row_number() OVER (PARTITION BY o.name ORDER BY m.hi - m.lo, m.class) AS rank
            FROM observed_categories o
            JOIN taxonomy_mcc m ON TRY_CAST(trim(substr(o.name, 5)) AS INTEGER) BETWEEN m.lo AND m.hi
            WHERE o.source = 'card'),
        matched AS (
            SELECT * FROM by_name UNION ALL SELECT * FROM by_pattern WHERE rank = 1
            UNION ALL SELECT * FROM by_mcc WHERE rank = 1)
        SELECT o.name, o.source, m.class, c.domain, c.top_domain, c.domain_path, m.class IS NOT NULL AS mapped,
               m.matched_by, m.matched_rule, o.purchases, o.browse_events, o.card_txns, o.amount
        FROM observed_categories o LEFT JOIN matched m USING (name) LEFT JOIN taxonomy_classes c USING (class)
        ORDER BY o.source DESC, o.name
    """)
    con.execute("DROP TABLE observed_categories")
    return int(con.execute("SELECT count(*) FROM categories WHERE NOT mapped").fetchall()[0][0])


def build_merchant_classes(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``merchant_classes`` (merchant, class, matched_rule): card merchants whose name a class claims.

    A merchant category code can be ambiguous (8299 is any school, driving schools included); a class's
    ``merchants`` patterns refine the class of a card transaction by its merchant name. Run after
    :func:`register_taxonomy`; returns the number of merchants refined.
    """
    con.execute("""
        CREATE OR REPLACE TABLE merchant_classes AS
        SELECT merchant, class, rule AS matched_rule
        FROM (SELECT DISTINCT merchant FROM transactions WHERE merchant IS NOT NULL) t
        JOIN taxonomy_merchants p ON regexp_matches(trim(t.merchant), p.pattern)
        QUALIFY row_number() OVER (PARTITION BY merchant ORDER BY p.priority, p.ord, p.rule) = 1
        ORDER BY merchant
    """)
    return int(con.execute("SELECT count(*) FROM merchant_classes").fetchall()[0][0])
