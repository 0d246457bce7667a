"""Reason codes, built-in junk lists and the SQL pieces shared by all identifier normalizers.

Every identifier row ends with a ``status`` ('usable', 'junk' or 'invalid') and, unless usable, a
``reason`` code from this module. Junk is defined once here: as Python sets and functions
(:func:`digit_junk_reason`) with an SQL twin for each (:func:`digit_junk_sql`), so that the SQL
path and the Python fallback for leftovers call the same values junk.

The DuckDB-specific functions the normalizers use are wrapped in the ``# DuckDB-specific SQL``
section below (``regexp_*``, ``split_part``, ``strlen``, ``translate``, ``//``), so a second
engine only needs to replace those wrappers (``linker/dialect.py`` does not exist yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from linker.sql import quote_literal

# --- statuses ---------------------------------------------------------------------------------------
USABLE: Final = "usable"
JUNK: Final = "junk"
INVALID: Final = "invalid"

# --- junk reason codes (status 'junk') --------------------------------------------------------------
EMPTY: Final = "empty"
NULL_TOKEN: Final = "null_token"
ALL_ZERO: Final = "all_zero"
REPEATED_DIGIT: Final = "repeated_digit"
PLACEHOLDER: Final = "placeholder"
TEST_ADDRESS: Final = "test_address"
PLACEHOLDER_DEVICE: Final = "placeholder_device"
BLOCKED_BY_RULE: Final = "blocked_by_rule"

# --- invalid reason codes (status 'invalid') --------------------------------------------------------
BAD_FORMAT: Final = "bad_format"
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"
BAD_DOMAIN: Final = "bad_domain"
BAD_COUNTRY_CODE: Final = "bad_country_code"
INVALID_NUMBER: Final = "invalid_number"
UNKNOWN_ID_TYPE: Final = "unknown_id_type"

#: Human-readable text of every reason code, for explanations and reports.
REASONS: Final[Mapping[str, str]] = {
    EMPTY: "empty or whitespace only",
    NULL_TOKEN: "a stand-in for a missing value such as 'null', 'n/a' or '未知'",
    ALL_ZERO: "all digits are zero",
    REPEATED_DIGIT: "one digit repeated",
    PLACEHOLDER: "a well-known placeholder or sequential number",
    TEST_ADDRESS: "a test, no-reply, example or disposable e-mail address",
    PLACEHOLDER_DEVICE: "a placeholder device ID (all zero, limit-ad-tracking, emulator, known bad ID)",
    BLOCKED_BY_RULE: "blocked by a user rule (see rule_reason)",
    BAD_FORMAT: "not the syntax of this identifier type",
    TOO_SHORT: "too few digits",
    TOO_LONG: "too many digits or characters",
    BAD_DOMAIN: "the e-mail domain is not a valid host name",
    BAD_COUNTRY_CODE: "the phone country code does not exist",
    INVALID_NUMBER: "the phone number is not in any assigned number range",
    UNKNOWN_ID_TYPE: "id_type is not 'phone', 'email' or 'device'",
}

ID_TYPES: Final = ("phone", "email", "device")

#: Lower-cased, trimmed values that stand for "no value" in any identifier column.
NULL_TOKENS: Final = frozenset(
    {"null", "none", "nil", "nan", "unknown", "n/a", "na", "#n/a", "undefined", "-", "--", "---", "?",
     "未知", "无", "空", "不详", "暂无", "没有"}
)

# --- digit junk shared by phones (national digits) and e-mail local parts ----------------------------
ASCENDING: Final = "0123456789" * 3
DESCENDING: Final = "9876543210" * 3
#: Well-known placeholder phone numbers (national digits), besides the all-zero, repeated and
#: sequential ones found by :func:`digit_junk_reason`.
PLACEHOLDER_PHONES: Final = frozenset({"13800138000", "12345678901", "13888888888", "01234567890"})
PHONE_MIN_REPEAT: Final = 3
PHONE_MIN_SEQUENTIAL: Final = 6
EMAIL_MIN_DIGITS: Final = 5
MAX_JUNK_DIGITS: Final = 20


def digit_junk_reason(digits: str | None, min_repeat: int = PHONE_MIN_REPEAT,
                      min_sequential: int = PHONE_MIN_SEQUENTIAL) -> str | None:
    """Return the junk reason of a digit string, or None; the Python twin of :func:`digit_junk_sql`.

    Parameters
    ----------
    digits : str or None
        National phone digits, or an e-mail local part.
    min_repeat, min_sequential : int
        Shortest repeated-digit and sequential run counted as junk.

    Returns
    -------
    str or None
        ``all_zero``, ``repeated_digit`` or ``placeholder`` (a listed number or an ascending or
        descending run such as ``12345678901``); None when not junk.

    Examples
    --------
    >>> digit_junk_reason("13800138000"), digit_junk_reason("0000"), digit_junk_reason("13812345670")
    ('placeholder', 'all_zero', None)
    """
    if not digits or len(digits) > MAX_JUNK_DIGITS:
        return None
    if digits == "0" * len(digits):
        return ALL_ZERO
    if len(digits) >= min_repeat and digits[0] in "123456789" and digits == digits[0] * len(digits):
        return REPEATED_DIGIT
    if digits in PLACEHOLDER_PHONES:
        return PLACEHOLDER
    if len(digits) >= min_sequential and (digits in ASCENDING or digits in DESCENDING):
        return PLACEHOLDER
    return None


def digit_junk_sql(col: str, min_repeat: int = PHONE_MIN_REPEAT,
                   min_sequential: int = PHONE_MIN_SEQUENTIAL) -> str:
    """Return SQL for :func:`digit_junk_reason` of ``col`` (NULL when not junk)."""
    return (f"CASE WHEN {col} = '' OR length({col}) > {MAX_JUNK_DIGITS} THEN NULL "
            f"WHEN {col} = repeat('0', length({col})) THEN {sql_str(ALL_ZERO)} "
            f"WHEN length({col}) >= {min_repeat} AND left({col}, 1) BETWEEN '1' AND '9' "
            f"AND {col} = repeat(left({col}, 1), length({col})) THEN {sql_str(REPEATED_DIGIT)} "
            f"WHEN {sql_in(col, PLACEHOLDER_PHONES)} THEN {sql_str(PLACEHOLDER)} "
            f"WHEN length({col}) >= {min_sequential} AND (position({col} IN {sql_str(ASCENDING)}) > 0 "
            f"OR position({col} IN {sql_str(DESCENDING)}) > 0) THEN {sql_str(PLACEHOLDER)} END")


def phone_junk_reason(digits: str | None) -> str | None:
    """Return the junk reason of phone digits after the country prefix, with or without trunk ``0``.

    Examples
    --------
    >>> phone_junk_reason("013800138000"), phone_junk_reason("01012345678")
    ('placeholder', None)
    """
    if not digits:
        return None
    return digit_junk_reason(digits) or (digit_junk_reason(digits[1:]) if digits[0] == "0" else None)


def phone_junk_sql(col: str) -> str:
    """Return SQL for :func:`phone_junk_reason` of ``col``."""
    return (f"coalesce({digit_junk_sql(col)}, "
            f"CASE WHEN {col} LIKE '0%' THEN {digit_junk_sql(f'substr({col}, 2)')} END)")


def phone_junk_keys() -> dict[str, str]:
    """Return ``{digits: reason}`` of every string :func:`phone_junk_reason` calls junk (for tests)."""
    runs = {c[i:i + n] for c in (ASCENDING, DESCENDING) for i in range(10)
            for n in range(PHONE_MIN_SEQUENTIAL, MAX_JUNK_DIGITS + 1)}
    same = {d * n for d in "0123456789" for n in range(1, MAX_JUNK_DIGITS + 1)}
    candidates = runs | same | PLACEHOLDER_PHONES
    candidates |= {"0" + c for c in candidates if len(c) < MAX_JUNK_DIGITS + 1}
    keys = {c: phone_junk_reason(c) for c in candidates}
    return {k: r for k, r in keys.items() if r is not None}


#: Local parts of test and no-reply addresses (``test`` followed by digits is matched separately).
TEST_LOCAL_PARTS: Final = frozenset(
    {"test", "testing", "tester", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
     "do_not_reply", "example", "sample", "dummy", "fake", "nobody", "asdf", "qwerty"}
)

#: Example and disposable ("mailinator-type") e-mail domains.
TEST_DOMAINS: Final = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "mailinator.com", "guerrillamail.com",
     "guerrillamail.net", "sharklasers.com", "grr.la", "10minutemail.com", "temp-mail.org", "temp-mail.io",
     "tempmail.com", "tempmail.net", "yopmail.com", "trashmail.com", "throwawaymail.com", "getnada.com",
     "maildrop.cc", "dispostable.com", "fakeinbox.com", "mailnesia.com", "mintemail.com",
     "spamgourmet.com", "mytemp.email", "33mail.com", "emailondeck.com", "moakt.com", "burnermail.io",
     "1secmail.com", "mailcatch.com"}
)

#: Known placeholder device values (normalized, kind-prefixed) besides one character repeated.
PLACEHOLDER_DEVICES: Final = frozenset({
    "imei:123456789012345", "imei:012345678901234", "imei:987654321098765",
    "imei:490154203237518",  # the example IMEI of the GSMA / Wikipedia documentation
    "imei:004999010640000", "imei:358240051111110",  # Android emulator IMEIs
    "aid:9774d56d682e549c",  # the Android 2.2 ANDROID_ID shared by millions of devices
})


# --- SQL helpers (ANSI) -----------------------------------------------------------------------------
def sql_str(text: str) -> str:
    """Return ``text`` as a SQL string literal."""
    return quote_literal(text)


def sql_in(col: str, values: Iterable[str]) -> str:
    """Return ``col IN ('a', 'b', ...)``; ``FALSE`` for no values.

    In a projection DuckDB compares with each list item in turn, so keep such lists short (tens of
    items) and behind a cheap guard; join a registered table for long lists.
    """
    items = sorted(set(values))
    return f"{col} IN ({', '.join(sql_str(v) for v in items)})" if items else "FALSE"


# --- DuckDB-specific SQL ----------------------------------------------------------------------------
# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII; unusual spaces and dashes map to ' ' and '-';
# zero-width characters are deleted (translate drops characters with no counterpart).
_FW_FROM: Final = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_FW_TO: Final = "".join(chr(c) for c in range(0x21, 0x7F))
_EXTRA_FROM: Final = ("\u3000\u00a0\u2002\u2003\u2009"  # spaces
                      "\u3002\uff61"  # ideographic full stops
                      "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc")  # dashes
_EXTRA_TO: Final = "     ..--------"
_DELETE: Final = "\u200b\u200c\u200d\ufeff"
WHITESPACE: Final = " \t\n\r\x0b\x0c"


def fold_map(source: str, target: str) -> tuple[str, str]:
    """Return the ``translate`` arguments folding ``source`` characters to ``target`` (plus the
    unusual spaces and dashes of every map; zero-width characters are deleted)."""
    return source + _EXTRA_FROM + _DELETE, target + _EXTRA_TO


#: Every full-width ASCII character folded (e-mails and device IDs).
FOLD_ALL: Final = fold_map(_FW_FROM, _FW_TO)


def re_full(col: str, pattern: str) -> str:
    """Return SQL that is true when the whole of ``col`` matches the RE2 ``pattern``."""
    return f"regexp_full_match({col}, {sql_str(pattern)})"


def re_replace_all(col: str, pattern: str, replacement: str = "") -> str:
    """Return SQL replacing every match of the RE2 ``pattern`` in ``col``."""
    return f"regexp_replace({col}, {sql_str(pattern)}, {sql_str(replacement)}, 'g')"


def int_div(dividend: str, divisor: str) -> str:
    """Return SQL for integer division (``/`` divides as floating point in DuckDB)."""
    return f"({dividend} // {divisor})"


def split_part(col: str, sep: str, index: int) -> str:
    """Return SQL for the 1-based ``index``-th part of ``col`` split on ``sep``."""
    return f"split_part({col}, {sql_str(sep)}, {index})"


def text_sql(col: str, fold: tuple[str, str] = FOLD_ALL) -> str:
    """Return SQL for ``col`` with full-width characters folded to ASCII (not trimmed).

    The costly ``translate`` (its cost grows with the ``fold`` map) only runs on values that hold a
    non-ASCII character, i.e. whose byte length differs from their character length.
    """
    return (f"CASE WHEN strlen({col}) <> length({col}) THEN translate({col}, "
            f"{sql_str(fold[0])}, {sql_str(fold[1])}) ELSE {col} END")


def trim_sql(col: str) -> str:
    """Return SQL for ``col`` without leading and trailing whitespace (spaces, tabs, newlines)."""
    return f"trim({col}, {sql_str(WHITESPACE)})"


# --- shared classification --------------------------------------------------------------------------
_TOKEN_ROOM: Final = max(map(len, NULL_TOKENS)) + 4  # a null token with some whitespace around it


def null_reason_sql(raw: str, text: str) -> str:
    """Return SQL for the ``empty`` / ``null_token`` reason of a value, NULL otherwise.

    Parameters
    ----------
    raw : str
        SQL of the raw value.
    text : str
        SQL of the value after :func:`text_sql`.

    Notes
    -----
    Whitespace is only trimmed for values that start with it, and tokens only looked up for short
    values that do not start with a digit or ``+`` (no token does), so phone numbers skip both.
    """
    is_token = sql_in(f"lower({trim_sql(text)})", NULL_TOKENS)
    maybe_token = (f"length({text}) <= {_TOKEN_ROOM} "
                   f"AND NOT (ascii({text}) BETWEEN 48 AND 57 OR ascii({text}) = 43)")
    return (f"CASE WHEN {raw} IS NULL OR {text} = '' THEN {sql_str(EMPTY)} "
            f"WHEN ascii({text}) <= 32 AND {trim_sql(text)} = '' THEN {sql_str(EMPTY)} "
            f"WHEN {maybe_token} AND {is_token} THEN {sql_str(NULL_TOKEN)} END")


def nest(rows: str, layers: Sequence[Sequence[tuple[str, str]]]) -> str:
    """Return a SELECT over ``rows`` adding each layer of ``(name, expression)`` columns in turn.

    A later layer may use the columns of earlier layers by name, which keeps each expression small.

    Examples
    --------
    >>> nest("t", [[("a", "x + 1")], [("b", "a * 2")]])
    'SELECT *, a * 2 AS b FROM (SELECT *, x + 1 AS a FROM (SELECT * FROM t r) l0) l1'
    """
    sql = f"SELECT * FROM {rows} r"
    for depth, layer in enumerate(layers):
        cols = ", ".join(f"{expr} AS {name}" for name, expr in layer)
        sql = f"SELECT *, {cols} FROM ({sql}) l{depth}"
    return sql
