"""The SQL dialects: linker's statements are written once, in DuckDB's spelling; Spark gets them rewritten.

:class:`DuckDBDialect` runs every statement as written. :class:`SparkDialect` parses it with sqlglot (pinned in
``pyproject.toml``: a new sqlglot may spell things differently, and the golden snapshots in ``tests/engine``
show it) and rewrites what Spark SQL spells or means differently, then prints it as Spark SQL. Translation
alone is not enough: sqlglot turns these into valid Spark SQL that returns *different rows*, so each has a
rewrite here:

==========================================  ==========================================================================
DuckDB                                      Spark
==========================================  ==========================================================================
``list(x ORDER BY k)``                      ``collect_list`` loses the order and drops NULLs: a sorted list of
                                            structs (``array_sort`` with a comparator), then its values
``string_agg(x, s ORDER BY k)``             ``listagg(x, s) WITHIN GROUP (ORDER BY k)``
two ``unnest`` in one SELECT                two generators are a cross product: one ``LATERAL VIEW`` over the
                                            positions, each list read with ``element_at``
``string_split(x, '')``                     ``split(x, '')`` gives ``['']`` for ``''``, DuckDB ``[]``
``l[i]``, ``l[a:b]`` (1-based, inclusive)   ``element_at(l, i)``, ``slice(l, a, n)``; a string is sliced with
                                            ``substr`` in the source, never with brackets
``len(list)``                               ``size(list)`` (``length`` is a string's length)
``list_distinct``                           ``array_distinct`` keeps one NULL: filtered first
``list(DISTINCT x)``                        ``collect_set`` drops NULLs: the distinct values of a list of structs
``list(x ...) FILTER (WHERE c)``            the filter on the ``collect_list`` inside (empty, not NULL, when no
                                            row passes)
``list_position(l, x)``                     ``array_position`` says 0 when absent, DuckDB NULL
``hash(...)``                               ``xxhash64(...)`` (64 bits; a join key only, never an output)
``md5_number_upper(x)``                     from the hex digest: a hash both engines compute alike
``regexp_full_match(s, p)``                 ``s RLIKE '^(?:p)\\z'`` (``RLIKE`` finds, it does not match whole)
``regexp_matches(s, p)``                    ``s RLIKE p``
``regexp_replace(s, p, r, 'g')``            ``regexp_replace`` replaces every match; without ``'g'`` DuckDB
                                            replaces the first only, so a pattern must then be anchored
``\\p{Han}`` (RE2)                           ``\\p{IsHan}`` (Java)
``regexp_extract_all(s, p, g)``             the group is passed (sqlglot drops it)
``row_number() OVER ()``                    Spark needs an order: ``ORDER BY monotonically_increasing_id()``
``damerau_levenshtein``,                    Python functions over Arrow batches (rapidfuzz), registered by the
``jaro_winkler_similarity``                 Spark engine under DuckDB's names (:data:`SPARK_FUNCTIONS`)
``isnan(NULL)``                             Spark says false, DuckDB NULL
``a / b``                                   DuckDB divides as DOUBLE, Spark decimals as decimals: ``CAST(a AS DOUBLE)``
``a / 0``                                   Spark says NULL, DuckDB infinity (or NaN)
``isfinite(x)``, ``strlen(x)``              ``NOT (isnan(x) OR abs(x) = inf)``, ``octet_length(x)``
``to_json(struct)``                         Spark leaves NULL fields out unless told not to
``range(n) t(k)``                           ``(SELECT id AS k FROM range(n)) t``
``TIMESTAMPTZ``, ``timezone(z, t)``         ``TIMESTAMP_LTZ``, ``from_utc_timestamp`` (the session runs in UTC,
                                            and ``TIMESTAMP`` means ``TIMESTAMP_NTZ`` as in DuckDB)
``QUALIFY``                                 kept: Spark 4 has it (sqlglot's emulation adds a column to ``*``)
==========================================  ==========================================================================

Constructs no rewrite can make equal raise :class:`~linker.engine.base.EngineError` naming the construct, so a
new statement that uses one fails in the Spark tests, not silently in a run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator
from sqlglot.transforms import any_to_exists, eliminate_distinct_on, preprocess

from linker.errors import EngineError

SQLGLOT_VERSION = sqlglot.__version__
"""The sqlglot the translations were checked with (pinned in pyproject.toml)."""


class Dialect:
    """How an engine spells linker's SQL: :meth:`translate` turns a statement in DuckDB's spelling into the
    engine's."""

    name = "duckdb"

    def translate(self, sql: str) -> str:
        """``sql`` (DuckDB spelling) in this engine's spelling."""
        return sql

    def pattern(self, regex: str) -> str:
        """A regular expression written for RE2 (DuckDB's), in this engine's syntax: for patterns that are data
        (a taxonomy's), which the rewrites of a statement cannot see."""
        return regex


class DuckDBDialect(Dialect):
    """DuckDB runs every statement as written."""


class SparkDialect(Dialect):
    """Spark SQL (Spark 4): DuckDB statements parsed by sqlglot, rewritten, printed for Spark.

    Examples
    --------
    >>> spark = SparkDialect()
    >>> print(spark.translate("SELECT list(x ORDER BY k DESC) AS xs, l[2] AS second FROM t GROUP BY g"))
    SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, x AS v)), (a, b) -> CASE WHEN a.k0 IS NULL AND \
NOT b.k0 IS NULL THEN 1 WHEN NOT a.k0 IS NULL AND b.k0 IS NULL THEN -1 WHEN a.k0 < b.k0 THEN 1 WHEN a.k0 > b.k0 \
THEN -1 ELSE 0 END), e -> e.v) AS xs, ELEMENT_AT(l, 2) AS second FROM t GROUP BY g
    """

    name = "spark"

    def translate(self, sql: str) -> str:
        return _translate(sql)

    def pattern(self, regex: str) -> str:
        return _java_pattern(regex)


def dialect_of(engine: object) -> Dialect:
    """The dialect of ``engine`` (DuckDB's for an engine that has none of its own)."""
    dialect = getattr(engine, "dialect", None)
    return dialect if isinstance(dialect, Dialect) else DuckDBDialect()


@lru_cache(maxsize=4096)
def _translate(sql: str) -> str:
    try:
        tree = sqlglot.parse_one(sql, dialect=_DuckDBSource)
    except sqlglot.errors.ParseError as e:
        raise EngineError(f"the Spark dialect cannot read this statement ({e}):\n{sql}") from None
    for rewrite in _REWRITES:
        tree = _rewrite(tree, rewrite)
    for select in list(tree.find_all(exp.Select)):
        _zip_generators(select)
    return tree.sql(dialect=_LinkerSpark)


def _rewrite(tree: exp.Expression, rewrite: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """Apply ``rewrite`` to every node, children before their parent (a parent sees its rewritten children)."""
    for node in reversed(list(tree.walk(bfs=False))):
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


# ---------------------------------------------------------------------------------------------- parsing
class _DuckDBSource(DuckDB):
    """DuckDB as linker writes it: ``len`` is a list's length; brackets keep their 1-based indexes (the rewrite
    to ``element_at`` needs them as written)."""

    INDEX_OFFSET = 0

    class Parser(DuckDB.Parser):
        FUNCTIONS: ClassVar = {
            **DuckDB.Parser.FUNCTIONS,
            "LEN": lambda args: exp.ArraySize(this=args[0]),
            "ARRAY_LENGTH": lambda args: exp.ArraySize(this=args[0]),
        }


class _LinkerSparkGenerator(SparkGenerator):
    TRANSFORMS: ClassVar = {
        **SparkGenerator.TRANSFORMS,
        # QUALIFY kept as it is (Spark 4 has it); unnest handled by _zip_generators
        exp.Select: preprocess([eliminate_distinct_on, any_to_exists]),
        exp.JarowinklerSimilarity: lambda self, e: self.func("jaro_winkler_similarity", e.this, e.expression),
    }


class _LinkerSpark(Spark):
    Generator = _LinkerSparkGenerator


# ---------------------------------------------------------------------------------------------- rewrites
def _func(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _sql(text: str) -> exp.Expression:
    """An expression written in Spark's spelling, to splice into a tree."""
    return sqlglot.parse_one(text, dialect=_LinkerSpark)


def _lambda(parameters: str, body: str) -> exp.Lambda:
    """``(parameters) -> body``, the body in Spark's spelling."""
    return exp.Lambda(this=_sql(body), expressions=[exp.to_identifier(p.strip()) for p in parameters.split(",")])


def _literal(node: exp.Expression | None) -> str | None:
    return node.this if isinstance(node, exp.Literal) and node.is_string else None


def _anonymous(node: exp.Expression) -> exp.Expression:
    """DuckDB functions sqlglot does not know, by name."""
    if not isinstance(node, exp.Anonymous):
        return node
    name, args = node.name.lower(), node.expressions
    if name == "hash":
        return _func("xxhash64", *args)
    if name == "md5_number_upper":   # the first 8 bytes of the digest, little-endian, as an unsigned number
        digest = f"md5({args[0].sql(dialect=_LinkerSpark)})"
        swapped = ", ".join(f"substr({digest}, {i}, 2)" for i in range(15, 0, -2))
        return _sql(f"CAST(conv(concat({swapped}), 16, 10) AS DECIMAL(20, 0))")
    if name == "strlen":
        return _func("octet_length", *args)
    if name == "isfinite":
        x = args[0].sql(dialect=_LinkerSpark)
        return _sql(f"NOT (isnan({x}) OR abs({x}) = double('inf'))")
    if name == "list_reverse":
        return _func("reverse", *args)
    if name == "list_contains":
        return _func("array_contains", *args)
    if name in ("list_position", "list_indexof", "array_position"):   # DuckDB: NULL when absent, Spark 0
        return _func("nullif", _func("array_position", *args), exp.Literal.number(0))
    if name == "try_strptime":
        return _try_strptime(args)
    if name == "timezone":
        return _func("from_utc_timestamp", args[1], args[0])
    if name == "to_json" and len(args) == 1:
        return _func("to_json", args[0], _sql("map('ignoreNullFields', 'false')"))
    if name in _REFUSED:
        raise EngineError(f"{name}() has no equal on Spark: {_REFUSED[name]}")
    return node


_REFUSED = {
    "bitstring_agg": "write the set as a list or a count",
    "list_aggregate": "use the aggregate over an unnested list",
}


def _brackets(node: exp.Expression) -> exp.Expression:
    """``x[i]`` -> ``element_at(x, i)`` (lists and maps, NULL when out of range, as in DuckDB);
    ``x[a:b]`` -> ``slice(x, a, n)``."""
    if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
        return node
    index = node.expressions[0]
    if not isinstance(index, exp.Slice):
        return _func("element_at", node.this, index)
    start = index.this or exp.Literal.number(1)
    size = exp.ArraySize(this=node.this.copy())
    end = index.expression
    if end is None:
        end = size
    elif isinstance(end, exp.Neg) or (isinstance(end, exp.Literal) and end.this.startswith("-")):
        end = exp.Add(this=size, expression=exp.Paren(this=end.copy()), )
        end = exp.Add(this=end, expression=exp.Literal.number(1))
    length = exp.Add(this=exp.Sub(this=end, expression=exp.Paren(this=start.copy())),
                     expression=exp.Literal.number(1))
    return _func("slice", node.this, start, _func("greatest", exp.Literal.number(0), length))


def _lists(node: exp.Expression) -> exp.Expression:
    """``list(x ORDER BY ...)`` and ``list(x)`` keep NULLs and order; ``list_distinct`` drops NULLs."""
    if isinstance(node, exp.ArrayAgg):
        return _ordered_list(node.this)
    if isinstance(node, exp.ArrayUniqueAgg):
        return node
    if isinstance(node, exp.ArrayDistinct):
        return exp.ArrayDistinct(this=_func("filter", node.this, _lambda("e", "e IS NOT NULL")))
    return node


def _filtered_lists(node: exp.Expression) -> exp.Expression:
    """``list(...) FILTER (WHERE c)``: the filter belongs to the ``collect_list`` inside the rewritten list (Spark
    refuses a filter on ``transform``). With no row passing, Spark's list is empty where DuckDB's is NULL."""
    if not isinstance(node, exp.Filter):
        return node
    inner = node.this
    if not (isinstance(inner, exp.ArrayDistinct) or (isinstance(inner, exp.Anonymous)
                                                     and inner.name.lower() == "transform")):
        return node
    collected = next((n for n in inner.walk() if isinstance(n, exp.Anonymous) and n.name.lower() == "collect_list"),
                     None)
    if collected is None:
        return node
    collected.replace(exp.Filter(this=collected.copy(), expression=node.expression.copy()))
    return inner.copy()


def _ordered_list(arg: exp.Expression) -> exp.Expression:
    if isinstance(arg, exp.Distinct):   # list(DISTINCT x): one of each value, NULL included, in no order
        (value,) = arg.expressions
        return exp.ArrayDistinct(this=_func("transform", _func("collect_list", exp.Struct(
            expressions=[exp.alias_(value.copy(), "v")])), _lambda("e", "e.v")))
    value, keys = (arg.this, arg.expressions) if isinstance(arg, exp.Order) else (arg, [])
    fields = [exp.alias_(k.this.copy(), f"k{i}") for i, k in enumerate(keys)] + [exp.alias_(value.copy(), "v")]
    collected = _func("collect_list", exp.Struct(expressions=fields))
    if keys:
        cases = []
        for i, k in enumerate(keys):
            a, b = f"a.k{i}", f"b.k{i}"
            nulls = 1 if not k.args.get("nulls_first") else -1
            less = 1 if k.args.get("desc") else -1
            cases += [f"WHEN {a} IS NULL AND {b} IS NOT NULL THEN {nulls}",
                      f"WHEN {a} IS NOT NULL AND {b} IS NULL THEN {-nulls}",
                      f"WHEN {a} < {b} THEN {less}", f"WHEN {a} > {b} THEN {-less}"]
        comparator = _lambda("a, b", f"CASE {' '.join(cases)} ELSE 0 END")
        collected = _func("array_sort", collected, comparator)
    return _func("transform", collected, _lambda("e", "e.v"))


def _strings(node: exp.Expression) -> exp.Expression:
    """``string_split``: DuckDB splits on a literal text, and splits ``''`` into no pieces."""
    if isinstance(node, (exp.Split, exp.StringToArray)):
        text, separator = node.this, node.expression
        literal = _literal(separator)
        if literal is None:
            raise EngineError("string_split() with a separator that is not a literal has no Spark rewrite")
        pattern = exp.Literal.string(re.escape(literal) if literal else "")
        split = _func("split", text, pattern, exp.Literal.number(-1))
        if literal:
            return split
        return exp.If(this=exp.EQ(this=text.copy(), expression=exp.Literal.string("")),
                      true=exp.Array(expressions=[]), false=split)
    if isinstance(node, exp.RegexpSplit):
        return _func("split", node.this, _java_regex(node.expression), exp.Literal.number(-1))
    if isinstance(node, exp.IsNan):
        return exp.If(this=exp.Is(this=node.this.copy(), expression=exp.Null()), true=exp.Null(),
                      false=node.copy())
    return node


def _regexps(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.RegexpFullMatch):
        pattern = node.expression
        literal = _literal(pattern)
        whole = (exp.Literal.string(f"^(?:{_java_pattern(literal)})\\z") if literal is not None
                 else exp.Concat(expressions=[exp.Literal.string("^(?:"), pattern, exp.Literal.string(")\\z")]))
        return exp.RegexpLike(this=node.this, expression=whole)
    if isinstance(node, exp.RegexpLike):
        return exp.RegexpLike(this=node.this, expression=_java_regex(node.expression))
    if isinstance(node, exp.RegexpReplace):
        modifiers = _literal(node.args.get("modifiers")) or ""
        pattern = _literal(node.expression)
        if "g" not in modifiers and not (pattern and (pattern.startswith("^") or pattern.endswith("$"))):
            raise EngineError(
                "regexp_replace() without 'g' replaces the first match on DuckDB and every match on Spark: "
                f"anchor the pattern or pass 'g' ({node.sql(dialect='duckdb')})")
        flags = "".join(f for f in modifiers if f in "is")
        regex = _java_regex(node.expression, flags)
        replacement = node.args.get("replacement")
        if _literal(replacement) and re.search(r"\\\d|\$", _literal(replacement) or ""):
            raise EngineError("regexp_replace() with a group reference in the replacement has no Spark rewrite")
        return _func("regexp_replace", node.this, regex, replacement)
    if isinstance(node, (exp.RegexpExtract, exp.RegexpExtractAll)):
        group = node.args.get("group") or exp.Literal.number(0)
        name = "regexp_extract" if isinstance(node, exp.RegexpExtract) else "regexp_extract_all"
        return _func(name, node.this, _java_regex(node.expression), group)
    return node


def _java_regex(pattern: exp.Expression, flags: str = "") -> exp.Expression:
    literal = _literal(pattern)
    if literal is None:
        if flags:
            raise EngineError("a regular expression with flags must be a literal on Spark")
        return pattern
    return exp.Literal.string((f"(?{flags})" if flags else "") + _java_pattern(literal))


def _java_pattern(pattern: str) -> str:
    """An RE2 pattern in Java's syntax: script classes are ``\\p{IsHan}``; POSIX classes are refused."""
    if re.search(r"\[:[a-z]+:\]", pattern):
        raise EngineError(f"POSIX character classes ([:alpha:] ...) differ between RE2 and Java: {pattern!r}")
    return re.sub(r"\\p\{(Han|Latin|Hiragana|Katakana|Hangul|Cyrillic|Greek|Arabic)\}", r"\\p{Is\1}", pattern)


def _division(node: exp.Expression) -> exp.Expression:
    """``a / b`` is a DOUBLE on DuckDB whatever the operands (Spark divides decimals as decimals, rounded to six
    places: ``age / 45.0``); ``a / 0`` is infinite (or NaN) on DuckDB, NULL on Spark."""
    if isinstance(node, exp.Div) and not _is_double(node.this):
        node = exp.Div(this=exp.Cast(this=node.this.copy(), to=exp.DataType.build("DOUBLE")),
                       expression=node.expression.copy())
    constant = isinstance(node.expression, exp.Literal) and not node.expression.is_string
    if isinstance(node, exp.Div) and not (constant and float(node.expression.this) != 0):
        divisor = node.expression
        infinite = exp.Mul(this=exp.Paren(this=node.this.copy()), expression=_sql("double('inf')"))
        return exp.If(this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)), true=infinite,
                      false=node.copy())
    return node


def _is_double(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DOUBLE


def _windows(node: exp.Expression) -> exp.Expression:
    """``row_number() OVER ()``: Spark numbers rows only in an order."""
    if (isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber)
            and not node.args.get("order") and not node.args.get("partition_by")):
        node.set("order", exp.Order(expressions=[exp.Ordered(this=_func("monotonically_increasing_id"))]))
    return node


def _tables(node: exp.Expression) -> exp.Expression:
    """``FROM range(n) t(k)`` -> ``FROM (SELECT id AS k FROM range(n)) t``."""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        series = node.this
        alias = node.args.get("alias")
        name = alias.name if alias else "range"
        column = alias.columns[0].name if alias and alias.columns else "range"
        bounds = [series.args["start"], series.args["end"]]
        if not series.args.get("is_end_exclusive"):
            bounds[1] = exp.Add(this=bounds[1], expression=exp.Literal.number(1))
        inner = f"SELECT id AS {column} FROM range({', '.join(b.sql(dialect=_LinkerSpark) for b in bounds)})"
        return exp.Subquery(this=_sql(inner), alias=exp.TableAlias(this=exp.to_identifier(name)))
    return node


def _types(node: exp.Expression) -> exp.Expression:
    """``TIMESTAMP`` is a local date-time in both (Spark's ``TIMESTAMP_NTZ``); ``TIMESTAMPTZ`` an instant."""
    if isinstance(node, exp.DataType):
        if node.this == exp.DataType.Type.TIMESTAMPTZ:
            return exp.DataType.build("TIMESTAMP_LTZ", dialect=_LinkerSpark)
        if node.this == exp.DataType.Type.TIMESTAMP:
            return exp.DataType.build("TIMESTAMP_NTZ", dialect=_LinkerSpark)
    return node


_STRPTIME = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s", "%y": "yy"}
_STRPTIME_FIXED = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%y": "yy"}


def _java_time_format(fmt: str) -> str:
    """A strptime format as a Java pattern: fields followed by another field are fixed-width (``%Y%m%d``)."""
    parts = re.findall(r"%[A-Za-z]|[^%]+", fmt)
    out = []
    for i, part in enumerate(parts):
        if part.startswith("%"):
            if part not in _STRPTIME:
                raise EngineError(f"strptime field {part} has no Spark rewrite (format {fmt!r})")
            adjacent = (i + 1 < len(parts) and parts[i + 1].startswith("%")) or (i > 0 and parts[i - 1].startswith("%"))
            out.append((_STRPTIME_FIXED if adjacent else _STRPTIME)[part])
        else:
            out.append("'" + part.replace("'", "''") + "'" if re.search(r"[A-Za-z]", part) else part)
    return "".join(out)


def _try_strptime(args: list[exp.Expression]) -> exp.Expression:
    text, formats = args
    literals = formats.expressions if isinstance(formats, exp.Array) else [formats]
    tries = [_func("try_to_timestamp", text.copy(), exp.Literal.string(_java_time_format(_literal(f) or "")))
             for f in literals]
    return exp.Cast(this=exp.Coalesce(this=tries[0], expressions=tries[1:]),
                    to=exp.DataType.build("TIMESTAMP_NTZ", dialect=_LinkerSpark))


_REWRITES = (_tables, _brackets, _lists, _filtered_lists, _strings, _regexps, _division, _windows, _anonymous, _types)


# ---------------------------------------------------------------------------------------------- unnest
def _zip_generators(select: exp.Select) -> None:
    """Two or more ``unnest`` in one SELECT: DuckDB steps through the lists together (the shorter padded with
    NULL); Spark allows one generator per SELECT. The positions are exploded once, in a LATERAL VIEW, and each
    list read at the position."""
    generators = [e for e in select.expressions
                  if isinstance(e.unalias() if isinstance(e, exp.Alias) else e, exp.Explode)]
    if len(generators) < 2:
        return
    lists = [(g.unalias() if isinstance(g, exp.Alias) else g).this for g in generators]
    sizes = ", ".join(f"coalesce(size({lst.sql(dialect=_LinkerSpark)}), 0)" for lst in lists)
    longest = f"greatest({sizes})"
    view = _sql(f"SELECT 1 FROM t LATERAL VIEW explode(IF({longest} < 1, array(), sequence(1, {longest}))) "
                f"_linker_positions AS _linker_position").args["laterals"][0]
    for generator, lst in zip(generators, lists, strict=True):
        value = _func("element_at", lst.copy(), exp.column("_linker_position"))
        if isinstance(generator, exp.Alias):
            generator.set("this", value)
        else:
            generator.replace(value)
    select.append("laterals", view)
