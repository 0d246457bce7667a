"""SQL expressions that turn a role's raw text into its typed value, the same for every input format.

Numbers are read as a bank writes them: currency signs and spaces are dropped; with ``decimal_separator = "."``
a ``,`` is taken only between groups of three digits (``1,234.50``), with ``","`` a ``.`` only so
(``1.234,50``). A value that does not fit its source's convention (``1,5`` under ``"."``) is not guessed: it
does not parse, and its row is quarantined. Values beyond :data:`MAX_ABS_NUMBER` are out of range (so that no
sum of them overflows), and non-finite values do not parse.

Times written with an offset (``+08:00``, ``Z``) are converted to the run's ``timezone``; times without one are
taken as local times of that zone.

Examples
--------
>>> import duckdb
>>> con = duckdb.connect()
>>> [con.execute(f"SELECT {number_expr('$1', d)}", [t]).fetchall()[0][0]
...  for t, d in [("¥1,234.50", "."), ("1,5", "."), ("1.234,50", ","), ("1.5", ",")]]
[1234.5, None, 1234.5, None]
>>> con.execute(f"SELECT {time_expr('$1', [], 'Asia/Shanghai')}", ["2024-05-01T02:00:00Z"]).fetchall()[0][0]
datetime.datetime(2024, 5, 1, 10, 0)
"""

from __future__ import annotations

from linker.contract import Field, FieldType, TableContract
from linker.sql import quote_ident, quote_literal

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d",
    "%Y%m%d", "%Y%m%d%H%M%S", "%Y年%m月%d日", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
)
MAX_ABS_NUMBER = 1e15
"""Amounts and counts at or beyond this (in absolute value) are out of range."""
BLANKS = " \t\r\n\u3000"
_NUMBER_NOISE = r"[\s¥￥$元]|RMB|CNY"
_GROUPED = {".": r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", ",": r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"}
OFFSET = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
"""A time zone offset at the end of a date-time."""


FAST_CASTS = {FieldType.DATE: "TIMESTAMP", FieldType.TIMESTAMP: "TIMESTAMP", FieldType.NUMBER: "DOUBLE",
              FieldType.INTEGER: "DOUBLE"}
"""The cast a date, time or number role's raw value tries first: most values cast as they are."""


def fast_cast(f: Field, columns: list[str]) -> str | None:
    """SQL: the raw value of role ``f`` cast as it is (:data:`FAST_CASTS`; NULL when it does not cast), or None
    for a role of another type or without a column. The validation computes it once per row, in a column that
    :func:`text_expr` and :func:`parse_expr` are given: DuckDB does not share a sub-expression between the
    branches of a CASE, so a cast written in each branch runs again in each."""
    if not columns or f.type not in FAST_CASTS:
        return None
    return f"try_cast({quote_ident(columns[0])} AS {FAST_CASTS[f.type]})"


def text_expr(f: Field, columns: list[str], cast: str | None = None) -> str:
    """The trimmed text of a role, NULL when empty or absent.

    A date, time or number that already casts as it is (the common case) is its own text: the cast ignores
    surrounding spaces, so only values that fail it need trimming (and the slow parsers). ``cast`` names the
    column holding :func:`fast_cast` (by default the cast is written here).
    """
    if not columns:
        return "CAST(NULL AS VARCHAR)"
    if f.type in (FieldType.LIST, FieldType.DATE_LIST) and len(columns) > 1:
        return trimmed("concat_ws(';', " + ", ".join(quote_ident(c) for c in columns) + ")")
    column = quote_ident(columns[0])
    cast = cast or fast_cast(f, columns)
    if cast:
        return f"CASE WHEN {cast} IS NOT NULL THEN {column} ELSE {trimmed(column)} END"
    return trimmed(column)


def trimmed(expr: str) -> str:
    """``expr`` without surrounding blanks (ideographic space included), NULL when nothing is left."""
    # trim() with a character list is slow and most values need no trimming: byte comparisons, cheaper than a
    # regex, find those that may. A text below '!' starts with a control character, a space or nothing; the
    # blanks above it (the ideographic space) are tested one by one. A text sent to trim() needlessly comes back
    # unchanged.
    blanks = quote_literal(BLANKS)
    starts = "".join(f" OR starts_with({expr}, {quote_literal(b)})" for b in BLANKS if b >= "!")
    ends = " OR ".join(f"ends_with({expr}, {quote_literal(b)})" for b in BLANKS)
    return (f"NULLIF(CASE WHEN NOT ({expr} < '!'{starts} OR {ends}) "
            f"THEN {expr} ELSE trim({expr}, {blanks}) END, '')")


def _split(text: str, separator: str) -> str:
    blanks = quote_literal(BLANKS)
    return (f"list_filter(list_transform(string_split_regex(coalesce({text}, ''), {quote_literal(separator)}), "
            f"lambda v: trim(v, {blanks})), lambda v: v <> '')")


def _split_list(text: str, separator: str, single: str, transform: str | None = None) -> str:
    """The list of a multi-valued text; ``single`` is the only element when there is no separator (most rows:
    the text is trimmed and not empty already), which skips the lambdas."""
    split = _split(text, separator)
    if transform:
        split = f"list_transform({split}, {transform})"
    return (f"CASE WHEN {text} IS NULL THEN [] WHEN NOT regexp_matches({text}, {quote_literal(separator)}) "
            f"THEN [{single}] ELSE {split} END")


def has_offset(text: str) -> str:
    """SQL: whether a date-time text ends with a time zone offset (cheap for the usual 19 characters)."""
    return f"(strlen({text}) > 19 AND regexp_matches({text}, {quote_literal(OFFSET)}))"


def time_expr(text: str, formats: list[str], timezone: str) -> str:
    """SQL: the TIMESTAMP of a text (built-in and ``formats``), converted to ``timezone`` when it has an offset;
    NULL when it does not parse or lies outside 1900-2200."""
    return _in_years(_parsed_time(text, formats, timezone))


def _parsed_time(text: str, formats: list[str], timezone: str, cast: str | None = None) -> str:
    """SQL: the TIMESTAMP of a text, whatever its year; ``cast``: a column holding the text's cast as it is
    (:func:`fast_cast` of the raw value, whose text it is when that casts)."""
    fmts = "[" + ", ".join(quote_literal(f) for f in [*DATE_FORMATS, *formats]) + "]"
    fast = f"try_cast({text} AS TIMESTAMP)"
    shifted = f"CAST(timezone({quote_literal(timezone)}, try_cast({text} AS TIMESTAMPTZ)) AS TIMESTAMP)"
    known = f"WHEN {cast} IS NOT NULL THEN {cast} " if cast else ""
    return (f"CASE WHEN {has_offset(text)} THEN {shifted} {known}WHEN {fast} IS NOT NULL THEN {fast} "
            f"ELSE try_strptime({text}, {fmts}) END")


def _in_years(time: str) -> str:
    return f"CASE WHEN year({time}) BETWEEN 1900 AND 2200 THEN {time} END"


def date_expr(text: str, formats: list[str], timezone: str) -> str:
    return f"CAST({time_expr(text, formats, timezone)} AS DATE)"


def number_expr(text: str, decimal_separator: str = ".") -> str:
    """SQL: the DOUBLE of an amount text under the source's decimal separator, NULL when it does not parse (not
    bounded, possibly infinite: see :func:`in_range`). A CASE, not ``coalesce``: DuckDB evaluates every argument
    of ``coalesce`` on every row, and the slow path is for the few values the cast refuses."""
    cleaned = f"regexp_replace({text}, {quote_literal(_NUMBER_NOISE)}, '', 'g')"
    grouped = f"regexp_full_match({cleaned}, {quote_literal(_GROUPED[decimal_separator])})"
    if decimal_separator == ".":
        fast = f"try_cast({text} AS DOUBLE)"
        slow = f"CASE WHEN {grouped} THEN try_cast(replace({cleaned}, ',', '') AS DOUBLE) END"
    else:
        fast = f"CASE WHEN NOT contains({text}, '.') AND NOT contains({text}, ',') THEN try_cast({text} AS DOUBLE) END"
        slow = f"CASE WHEN {grouped} THEN try_cast(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE) END"
    return f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {slow} END"


def in_range(number: str) -> str:
    """SQL: ``number`` when its absolute value is below :data:`MAX_ABS_NUMBER` (so finite), else NULL."""
    return f"CASE WHEN abs({number}) < {MAX_ABS_NUMBER:.0f} THEN {number} END"


def parse_expr(f: Field, text: str, cast: str | None, *, formats: list[str], decimal_separator: str,
               timezone: str) -> str | None:
    """SQL: the value of a date, time or number role parsed from its trimmed text ``text``, before the range
    checks of :func:`typed_expr` (None for a role of another type). ``cast`` names the column holding
    :func:`fast_cast`, None when the role has none."""
    if f.type in (FieldType.DATE, FieldType.TIMESTAMP):
        return _parsed_time(text, formats, timezone, cast)
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        number = number_expr(text, decimal_separator)
        # under ',' a value that casts as it is ('1.5') may still not be a number of that convention
        return f"CASE WHEN {cast} IS NOT NULL THEN {cast} ELSE {number} END" if cast and decimal_separator == "." \
            else number
    return None


def typed_expr(f: Field, text: str, contract: TableContract, *, formats: list[str], list_separator: str,
               decimal_separator: str, timezone: str, parsed: str | None = None) -> str:
    """SQL: the typed value of role ``f`` from its trimmed text ``text``; ``parsed`` names the column holding
    its :func:`parse_expr` (by default the parse is written here)."""
    if f.type is FieldType.LIST:
        return _split_list(text, list_separator, text)
    if f.type is FieldType.DATE_LIST:
        date = date_expr(text, formats, timezone)
        return _split_list(text, list_separator, date, f"lambda d: {date_expr('d', formats, timezone)}")
    value = parsed or parse_expr(f, text, None, formats=formats, decimal_separator=decimal_separator,
                                 timezone=timezone)
    if f.type is FieldType.DATE:
        return f"CAST({_in_years(value)} AS DATE)"
    if f.type is FieldType.TIMESTAMP:
        return _in_years(value)
    if f.type is FieldType.NUMBER:
        return in_range(value)
    if f.type is FieldType.INTEGER:
        return (f"CASE WHEN abs({value}) < {MAX_ABS_NUMBER:.0f} AND {value} = floor({value}) "
                f"THEN CAST({value} AS BIGINT) END")
    if f.role == contract.key and not f.required:
        # optional event keys: generated from the row number when absent
        return f"coalesce({text}, {quote_literal(contract.name + ':')} || CAST(_row AS VARCHAR))"
    return text
