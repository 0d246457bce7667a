"""Map the category names of a run to taxonomy classes: exact, pattern, contains, fuzzy; card codes by MCC.

Every step works on the *distinct* names of a run (a few thousand, whatever the number of events): SQL joins
for exact names, patterns and containment, rapidfuzz's ``cdist`` over the names left, in blocks. Names are
compared normalized (:func:`normalize_names`: Unicode NFKC, lower case, the word "and" and every run of
punctuation or separators as one space, a space between Chinese and Latin characters), the same way on both
sides. Normalizing and fuzzy matching are Python steps over Arrow batches of the distinct names
(:meth:`~linker.engine.base.Engine.map_batches`: in the executors on Spark).

Examples
--------
>>> normalize_names(["  家具／床垫 ", "Home > MATTRESSES", "男装T恤", "Switches & Sockets"])
['家具 床垫', 'home mattresses', '男装 t 恤', 'switches sockets']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb
import iso18245
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from linker.engine import Engine, as_engine
from linker.engine.dialect import dialect_of
from linker.enrich.taxonomy import Taxonomy

METHODS = ("exact", "pattern", "contains", "fuzzy", "mcc", "mcc_range")
"""How a category name was mapped (``categories.matched_by``), most certain first; NULL when unmapped."""

WHOLE_WORD_BELOW = 4
"""Latin names shorter than this match inside a longer name only as a whole word (``tv``, not ``tvs``)."""

_FUZZY_BLOCK = 2_000


def normalize_names(values: Sequence[str | None] | pa.Array) -> list[str | None]:
    """Normalize category names for comparison (vectorized over an Arrow array; see the module docstring)."""
    a = pa.array(values, pa.string()) if not isinstance(values, pa.Array) else values
    a = pc.utf8_lower(pc.utf8_normalize(a, form="NFKC"))
    a = pc.replace_substring_regex(a, r"\band\b", " ")          # "switches and sockets" = "switches & sockets"
    a = pc.replace_substring_regex(a, r"[^\p{L}\p{N}]+", " ")
    a = pc.replace_substring_regex(a, r"(\p{Han})([a-z0-9])", r"\1 \2")
    a = pc.replace_substring_regex(a, r"([a-z0-9])(\p{Han})", r"\1 \2")
    return pc.utf8_trim_whitespace(a).to_pylist()


def register_taxonomy(engine: Engine | duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> None:
    """Create the small tables the mapping SQL joins: ``taxonomy_classes`` (class, domain, top_domain,
    domain_path, label, label_zh), ``taxonomy_names`` (normalized name, class, its length, whether it is Latin),
    ``taxonomy_patterns``, ``taxonomy_merchants`` and ``taxonomy_mcc`` (temporary), and ``taxonomy_domains``
    (domain, parent, top_domain, label, label_zh), kept in the run database. Patterns are written in the
    engine's regular expression syntax."""
    engine = as_engine(engine)
    classes = list(taxonomy.classes.values())
    paths = [list(taxonomy.domain_path(c.domain)) for c in classes]
    names = [(n, c.name) for c in classes for n in c.names]
    keys = normalize_names([n for n, _ in names])
    s, i = pa.string(), pa.int64()
    tables = {
        "taxonomy_classes": pa.table({
            "class": [c.name for c in classes], "domain": [c.domain for c in classes],
            "top_domain": [p[0] for p in paths], "domain_path": pa.array(paths, pa.list_(s)),
            "label": [c.label or c.name.replace("_", " ").capitalize() for c in classes],
            "label_zh": [c.label_zh for c in classes]}),
        "taxonomy_priorities": pa.table({"class": pa.array([c.name for c in classes], s),
                                         "priority": pa.array([c.priority for c in classes], i)}),
        "taxonomy_names": pa.table({
            "name_key": pa.array(keys, s), "class": pa.array([k for _, k in names], s),
            "ord": pa.array(range(len(names)), i)}),
        "taxonomy_patterns": _patterns(classes, "patterns", dialect_of(engine).pattern),
        "taxonomy_merchants": _patterns(classes, "merchants", dialect_of(engine).pattern),
        "taxonomy_mcc": pa.table({
            "lo": pa.array([lo for c in classes for lo, _ in c.mcc], i),
            "hi": pa.array([hi for c in classes for _, hi in c.mcc], i),
            "class": pa.array([c.name for c in classes for _ in c.mcc], s)}),
    }
    domains = list(taxonomy.domains.values())
    tables["taxonomy_domains"] = pa.table({
        "domain": pa.array([d.name for d in domains], s), "parent": pa.array([d.parent for d in domains], s),
        "top_domain": pa.array([taxonomy.domain_path(d.name)[0] for d in domains], s),
        "label": pa.array([taxonomy.label(d.name) for d in domains], s),
        "label_zh": pa.array([d.label_zh for d in domains], s)})
    for name, table in tables.items():
        engine.register_arrow(f"{name}_arrow", table)
        # the report reads the hierarchy
        engine.create_table(name, f"SELECT * FROM {name}_arrow", kind="table" if name == "taxonomy_domains" else "temp")
        engine.drop(f"{name}_arrow")
    # one row per distinct key (a name given twice in one class counts once), with what containment needs
    engine.create_table("taxonomy_names", """
        SELECT name_key, class, length(name_key) AS chars, regexp_matches(name_key, '^[a-z0-9]') AS latin
        FROM taxonomy_names WHERE name_key <> '' QUALIFY row_number() OVER (PARTITION BY name_key ORDER BY ord) = 1
    """)


def _patterns(classes: list, key: str, spelled: Callable[[str], str]) -> pa.Table:
    rows = [(f"(?i){spelled(p)}", p, c.name, c.priority, i) for i, c in enumerate(classes) for p in getattr(c, key)]
    return pa.table({"pattern": pa.array([r[0] for r in rows], pa.string()),
                     "rule": pa.array([r[1] for r in rows], pa.string()),
                     "class": pa.array([r[2] for r in rows], pa.string()),
                     "priority": pa.array([r[3] for r in rows], pa.int64()),
                     "ord": pa.array([r[4] for r in rows], pa.int64())})


def build_categories(engine: Engine | duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> int:
    """Create ``categories``: every category name seen in purchases, browsing and card transactions, mapped.

    Columns: ``name`` (raw text, or ``mcc:NNNN`` for card transactions), ``source`` ('online' | 'card'),
    ``description`` (the ISO 18245 meaning of a code), ``class``, ``domain``, ``top_domain``, ``domain_path``
    (top-down), ``mapped``, ``matched_by`` (one of :data:`METHODS`; NULL when unmapped), ``matched_rule`` (the
    taxonomy name, pattern or code that matched), ``match_score`` (0-100), ``purchases``, ``browse_events``,
    ``card_txns``, ``amount``. Unmapped names keep NULL class and domain.

    Returns the number of unmapped category names. Run after :func:`register_taxonomy`.
    """
    engine = as_engine(engine)
    engine.create_table("observed_categories", """
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
    engine.map_batches("category_keys", "SELECT name FROM observed_categories WHERE source = 'online'",
                       _with_keys, CATEGORY_KEYS)
    engine.create_empty("category_matches", [("name", "VARCHAR"), ("class", "VARCHAR"), ("matched_by", "VARCHAR"),
                                             ("matched_rule", "VARCHAR"), ("match_score", "DOUBLE")])
    _exact_and_patterns(engine)
    _contains(engine, taxonomy.matching.contains_min_chars)
    _fuzzy(engine, taxonomy.matching.fuzzy_threshold, taxonomy.matching.contains_min_chars)
    _codes(engine)
    engine.create_table("categories", """
        SELECT o.name, o.source, d.description, m.class, c.domain, c.top_domain, c.domain_path,
               m.class IS NOT NULL AS mapped, m.matched_by, m.matched_rule, m.match_score,
               o.purchases, o.browse_events, o.card_txns, o.amount
        FROM observed_categories o LEFT JOIN category_matches m USING (name)
        LEFT JOIN taxonomy_classes c USING (class)
        LEFT JOIN mcc_descriptions d ON o.source = 'card' AND d.name = o.name
        ORDER BY o.source DESC, o.name
    """, kind="table")
    engine.drop("observed_categories", "category_keys", "category_matches", "mcc_descriptions")
    return engine.count("categories WHERE NOT mapped")


CATEGORY_KEYS = pa.schema([("name", pa.string()), ("name_key", pa.string())])
"""The rows of ``category_keys``: a category name and its normalized key (:func:`normalize_names`)."""


def _with_keys(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch of category names with their keys."""
    names = batch.column(0).cast(pa.string())
    return pa.RecordBatch.from_arrays([names, pa.array(normalize_names(names), pa.string())], schema=CATEGORY_KEYS)


def _exact_and_patterns(engine: Engine) -> None:
    engine.insert("category_matches", """
        SELECT k.name, n.class, 'exact', n.name_key, 100 FROM category_keys k JOIN taxonomy_names n USING (name_key)
    """)
    engine.insert("category_matches", """
        SELECT k.name, p.class, 'pattern', p.rule, 100
        FROM category_keys k JOIN taxonomy_patterns p ON regexp_matches(k.name_key, p.pattern)
        WHERE k.name NOT IN (SELECT name FROM category_matches)
        QUALIFY row_number() OVER (PARTITION BY k.name ORDER BY p.priority, p.ord, p.rule) = 1
    """)


def _contains(engine: Engine, min_chars: int) -> None:
    """Names holding taxonomy names: the class of lowest ``priority`` wins, then the match ending last, then the
    longest, then the first in name order.

    A Latin name must begin a word (and, when shorter than :data:`WHOLE_WORD_BELOW`, end one); the position of
    its last occurrence comes from the reversed strings (DuckDB's ``instr`` finds the first). A Chinese name
    shorter than ``min_chars`` (鞋, 灯) matches only as the end of a name, where Chinese puts the head noun
    (跑步鞋), and after every longer match."""
    engine.insert("category_matches", f"""
        WITH names AS (
            SELECT name, ' ' || name_key || ' ' AS padded FROM category_keys
            WHERE name NOT IN (SELECT name FROM category_matches)),
        needles AS (
            SELECT n.class, n.name_key, n.chars, c.priority,
                   CASE WHEN NOT latin AND chars < {int(min_chars)} THEN name_key || ' '
                        WHEN NOT latin THEN name_key
                        WHEN chars < {WHOLE_WORD_BELOW} THEN ' ' || name_key || ' '
                        ELSE ' ' || name_key END AS needle,
                   CASE WHEN (latin AND chars < {WHOLE_WORD_BELOW}) OR (NOT latin AND chars < {int(min_chars)})
                        THEN 1 ELSE 0 END AS tail
            FROM taxonomy_names n JOIN taxonomy_priorities c USING (class)
            WHERE chars >= {int(min_chars)} OR NOT latin),
        hits AS (
            SELECT n.name, x.class, x.name_key, x.chars, x.priority, length(n.padded) - 2 AS name_chars,
                   length(n.padded) - instr(reverse(n.padded), reverse(x.needle)) + 1 - x.tail AS ends_at,
                   x.chars < {int(min_chars)} AS short
            FROM names n JOIN needles x ON contains(n.padded, x.needle))
        SELECT name, class, 'contains', name_key, round(100.0 * least(chars, name_chars) / name_chars, 1)
        FROM hits WHERE NOT short OR ends_at = name_chars + 1
        QUALIFY row_number() OVER (PARTITION BY name ORDER BY short, priority, ends_at DESC, chars DESC, name_key) = 1
    """)


FUZZY_MATCHES = pa.schema([("name", pa.string()), ("class", pa.string()), ("matched_by", pa.string()),
                           ("matched_rule", pa.string()), ("match_score", pa.float64())])
"""The rows :func:`_fuzzy` adds to ``category_matches``."""


def _fuzzy(engine: Engine, threshold: float, min_chars: int) -> None:
    """The names still unmatched against every taxonomy name, by rapidfuzz's ratio, over Arrow batches of the
    names (the taxonomy's names, a few thousand, go to every batch)."""
    keys = engine.rows(f"SELECT name_key, class FROM taxonomy_names WHERE chars >= {int(min_chars)} "
                       f"ORDER BY name_key")
    if not keys:
        return
    engine.map_batches("category_fuzzy", """
        SELECT name, name_key FROM category_keys
        WHERE name NOT IN (SELECT name FROM category_matches) AND name_key <> ''
    """, _FuzzyMatcher([k for k, _ in keys], [c for _, c in keys], threshold), FUZZY_MATCHES)
    engine.insert("category_matches", "SELECT * FROM category_fuzzy")
    engine.drop("category_fuzzy")


class _FuzzyMatcher:
    """A batch of (name, name_key) -> the names whose key is at least ``threshold`` like a taxonomy key, with the
    best one (the first in key order among equal scores)."""

    def __init__(self, choices: list[str], classes: list[str], threshold: float) -> None:
        self.choices, self.classes, self.threshold = choices, classes, threshold

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        names, found = batch.column(0).to_pylist(), []
        keys = batch.column(1).to_pylist()
        for start in range(0, len(names), _FUZZY_BLOCK):
            scores = process.cdist(keys[start:start + _FUZZY_BLOCK], self.choices, scorer=fuzz.ratio,
                                   score_cutoff=self.threshold, dtype=np.float32, workers=-1)
            best = scores.argmax(axis=1)
            for name, j, row in zip(names[start:start + _FUZZY_BLOCK], best, scores):
                if row[j] >= self.threshold and row[j] > 0:
                    found.append((name, self.classes[j], self.choices[j], round(float(row[j]), 1)))
        return pa.RecordBatch.from_arrays([
            pa.array([f[0] for f in found], pa.string()), pa.array([f[1] for f in found], pa.string()),
            pa.array(["fuzzy"] * len(found), pa.string()), pa.array([f[2] for f in found], pa.string()),
            pa.array([f[3] for f in found], pa.float64())], schema=FUZZY_MATCHES)


def _codes(engine: Engine) -> None:
    """Card categories (``mcc:NNNN``) by their code: the narrowest range holding it; ``mcc_descriptions`` from
    the ISO 18245 database (the ``iso18245`` package)."""
    engine.insert("category_matches", """
        SELECT o.name, m.class, CASE WHEN m.lo = m.hi THEN 'mcc' ELSE 'mcc_range' END,
               CASE WHEN m.lo = m.hi THEN lpad(CAST(m.lo AS VARCHAR), 4, '0')
                    ELSE lpad(CAST(m.lo AS VARCHAR), 4, '0') || '-' || lpad(CAST(m.hi AS VARCHAR), 4, '0') END,
               100
        FROM observed_categories o
        JOIN taxonomy_mcc m ON TRY_CAST(trim(substr(o.name, 5)) AS INTEGER) BETWEEN m.lo AND m.hi
        WHERE o.source = 'card'
        QUALIFY row_number() OVER (PARTITION BY o.name ORDER BY m.hi - m.lo, m.class) = 1
    """)
    codes = {m.mcc: m.iso_description or m.visa_description or m.usda_description or ""
             for m in iso18245.get_all_mccs()}
    engine.register_arrow("mcc_arrow", pa.table({"code": list(codes), "description": list(codes.values())}))
    engine.create_table("mcc_descriptions", """
        SELECT o.name, d.description FROM observed_categories o
        JOIN mcc_arrow d ON d.code = lpad(trim(substr(o.name, 5)), 4, '0') WHERE o.source = 'card'
    """)
    engine.drop("mcc_arrow")


def matching_summary(engine: Engine | duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, float, float, float]]:
    """Per method (and 'unmapped'): category names, events, spend, and the shares of events and of spend, from
    ``categories`` (every event of the inputs; a NULL category is not counted).

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE categories AS SELECT * FROM (VALUES ('exact', 3, 2, 1, 10.0), "
    ...                 "(NULL, 1, 0, 0, 0.0)) t(matched_by, purchases, browse_events, card_txns, amount)")
    >>> matching_summary(con)
    [('exact', 1, 6, 10.0, 0.857, 1.0), ('unmapped', 1, 1, 0.0, 0.143, 0.0)]
    """
    rows = as_engine(engine).rows(f"""
        WITH m AS (
            SELECT coalesce(matched_by, 'unmapped') AS method, count(*) AS names,
                   CAST(sum(purchases + browse_events + card_txns) AS BIGINT) AS events,
                   round(coalesce(sum(amount), 0), 2) AS spend
            FROM categories GROUP BY 1)
        SELECT method, names, events, spend,
               round(events / nullif(sum(events) OVER (), 0), 3), round(spend / nullif(sum(spend) OVER (), 0), 3)
        FROM m ORDER BY list_position({list(METHODS) + ['unmapped']}, method)
    """)
    return [(r[0], int(r[1]), int(r[2]), float(r[3]), float(r[4] or 0), float(r[5] or 0)) for r in rows]


def build_merchant_classes(engine: Engine | duckdb.DuckDBPyConnection) -> int:
    """Create ``merchant_classes`` (merchant, class, matched_rule): card merchants whose name a class claims.

    A merchant category code can be ambiguous (8299 is any school, driving schools included); a class's
    ``merchants`` patterns refine the class of a card transaction by its merchant name. Run after
    :func:`register_taxonomy`; returns the number of merchants refined.
    """
    engine = as_engine(engine)
    engine.create_table("merchant_classes", """
        SELECT merchant, class, rule AS matched_rule
        FROM (SELECT DISTINCT merchant FROM transactions WHERE merchant IS NOT NULL) t
        JOIN taxonomy_merchants p ON regexp_matches(trim(t.merchant), p.pattern)
        QUALIFY row_number() OVER (PARTITION BY merchant ORDER BY p.priority, p.ord, p.rule) = 1
        ORDER BY merchant
    """, kind="table")
    return engine.count("merchant_classes")
