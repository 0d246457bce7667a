"""Reason codes, built-in junk lists and the SQL pieces shared by all identifier normalizers.

Every identifier row ends with a ``status`` ('usable', 'junk' or 'invalid') and, unless usable, a
``reason`` code from this module. Junk lists are plain Python sets so that the SQL fast path (as
``IN (...)`` lists) and the Python fallback for leftovers test exactly the same values.

The few DuckDB-specific functions the normalizers use are wrapped in the ``# DuckDB-specific SQL``
section below, so a second engine only needs to replace those wrappers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

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
BAD_CHECKSUM: Final = "bad_checksum"
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"
BAD_DOMAIN: Final = "bad_domain"
BAD_COUNTRY_CODE: Final = "bad_country_code"
INVALID_NUMBER: Final = "invalid_number"
BAD_QQ_NUMBER: Final = "bad_qq_number"
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
    BAD_CHECKSUM: "the check digit is wrong (IMEI Luhn check)",
    TOO_SHORT: "too few digits",
    TOO_LONG: "too many digits or characters",
    BAD_DOMAIN: "the e-mail domain is not a valid host name",
    BAD_COUNTRY_CODE: "the phone country code does not exist",
    INVALID_NUMBER: "the phone number is not in any assigned number range",
    BAD_QQ_NUMBER: "a QQ address whose number is not 5-11 digits without a leading zero",
    UNKNOWN_ID_TYPE: "id_type is not 'phone', 'email' or 'device'",
}

ID_TYPES: Final = ("phone", "email", "device")

#: Lower-cased, trimmed values that stand for "no value" in any identifier column.
NULL_TOKENS: Final = frozenset(
    {"null", "none", "nil", "nan", "unknown", "n/a", "na", "#n/a", "undefined", "-", "--", "---", "?",
     "未知", "无", "空", "不详", "暂无", "没有"}
)

# --- digit junk shared by phones (national digits) and e-mail local parts ----------------------------
_MAX_DIGITS: Final = 20
_SEQUENTIAL_MIN: Final = 6
_KNOWN_PLACEHOLDER_PHONES: Final = ("13800138000", "12345678901", "13888888888", "01234567890")


def _sequential_runs(min_len: int, max_len: int) -> set[str]:
    """Return every ascending or descending (wrapping) run of digits with a length in range."""
    runs: set[str] = set()
    for cycle in ("0123456789" * 3, "9876543210" * 3):
        for start in range(10):
            runs.update(cycle[start:start + n] for n in range(min_len, max_len + 1))
    return runs


def _digit_junk(min_repeat: int, min_sequential: int) -> dict[str, str]:
    """Return ``{digits: reason}`` for all-zero, repeated-digit and sequential digit strings."""
    junk = {run: PLACEHOLDER for run in _sequential_runs(min_sequential, _MAX_DIGITS)}
    for n in range(min_repeat, _MAX_DIGITS + 1):
        junk.update({d * n: REPEATED_DIGIT for d in "123456789"})
    junk.update({"0" * n: ALL_ZERO for n in range(1, _MAX_DIGITS + 1)})
    return junk


#: National phone digits (country prefix removed) that are never a real subscriber.
PHONE_JUNK: Final[Mapping[str, str]] = {
    **_digit_junk(3, _SEQUENTIAL_MIN),
    **{p: PLACEHOLDER for p in _KNOWN_PLACEHOLDER_PHONES},
}

#: Digit-only e-mail local parts that are typed as fakes (``123456@qq.com``, ``00000@163.com``).
EMAIL_LOCAL_DIGIT_JUNK: Final = frozenset(_digit_junk(5, 5))

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

#: Known placeholder device values, as normalized (kind-prefixed) values.
DEVICE_JUNK: Final = frozenset(
    {"imei:" + d * 15 for d in "0123456789"}
    | {"imei:123456789012345", "imei:012345678901234", "imei:987654321098765",
       "imei:490154203237518",  # the example IMEI of the GSMA / Wikipedia documentation
       "imei:004999010640000", "imei:358240051111110"}  # Android emulator IMEIs
    | {"uuid:" + "-".join(h * n for n in (8, 4, 4, 4, 12)) for h in "0123456789ABCDEF"}
    | {"aid:" + h * 16 for h in "0123456789abcdef"}
    | {"aid:9774d56d682e549c"}  # the Android 2.2 ANDROID_ID shared by millions of devices
)


def phone_junk_reason(national_digits: str | None) -> str | None:
    """Return the junk reason of national phone digits, or None.

    Parameters
    ----------
    national_digits : str or None
        The digits of a phone number without its country prefix.

    Returns
    -------
    str or None
        ``all_zero``, ``repeated_digit`` or ``placeholder``; None when not junk.

    Examples
    --------
    >>> phone_junk_reason("13800138000"), phone_junk_reason("13812345670")
    ('placeholder', None)
    """
    return PHONE_JUNK.get(national_digits) if national_digits else None


# --- SQL helpers (ANSI) -----------------------------------------------------------------------------


def sql_str(text: str) -> str:
    """Return ``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_in(col: str, values: Iterable[str]) -> str:
    """Return ``col IN ('a', 'b', ...)`` over sorted ``values`` (``FALSE`` when empty)."""
    items = sorted(set(values))
    return f"{col} IN ({', '.join(sql_str(v) for v in items)})" if items else "FALSE"


def sql_case_map(col: str, mapping: Mapping[str, str], default: str = "NULL") -> str:
    """Return a CASE mapping each key set of ``mapping`` values to its value via ``IN`` lists."""
    groups: dict[str, list[str]] = {}
    for key, val in mapping.items():
        groups.setdefault(val, []).append(key)
    whens = " ".join(f"WHEN {sql_in(col, keys)} THEN {sql_str(val)}" for val, keys in sorted(groups.items()))
    return f"CASE {whens} ELSE {default} END" if whens else default


# --- DuckDB-specific SQL ----------------------------------------------------------------------------
# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII; unusual spaces and dashes map to ' ' and '-';
# zero-width characters are deleted (translate drops characters with no counterpart).
_FW_FROM: Final = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_FW_TO: Final = "".join(chr(c) for c in range(0x21, 0x7F))
_EXTRA_FROM: Final = "\u3000\u00a0\u2002\u2003\u2009\u3002\uff61\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"
_EXTRA_TO: Final = "     ..--------"
_DELETE: Final = "\u200b\u200c\u200d\ufeff"
WHITESPACE: Final = " \t\n\r\x0b\x0c"


def re_full(col: str, pattern: str) -> str:
    """Return SQL that is true when the whole of ``col`` matches the RE2 ``pattern``."""
    return f"regexp_full_match({col}, {sql_str(pattern)})"


def re_replace_all(col: str, pattern: str, replacement: str = "") -> str:
    """Return SQL replacing every match of the RE2 ``pattern`` in ``col``."""
    return f"regexp_replace({col}, {sql_str(pattern)}, {sql_str(replacement)}, 'g')"


def split_part(col: str, sep: str, index: int) -> str:
    """Return SQL for the 1-based ``index``-th part of ``col`` split on ``sep``."""
    return f"split_part({col}, {sql_str(sep)}, {index})"


def text_sql(col: str) -> str:
    """Return SQL for ``col`` with full-width characters folded to ASCII and whitespace trimmed.

    The costly ``translate`` only runs on values that hold a non-ASCII character (byte length
    differs from character length), so plain ASCII rows cost one length comparison.
    """
    folded = (f"CASE WHEN strlen({col}) <> length({col}) THEN translate({col}, "
              f"{sql_str(_FW_FROM + _EXTRA_FROM + _DELETE)}, {sql_str(_FW_TO + _EXTRA_TO)}) ELSE {col} END")
    return f"trim({folded}, {sql_str(WHITESPACE)})"


# --- shared classification --------------------------------------------------------------------------


def null_reason_sql(raw: str, text: str) -> str:
    """Return SQL for the ``empty`` / ``null_token`` reason of a value, NULL otherwise.

    Parameters
    ----------
    raw : str
        SQL of the raw value.
    text : str
        SQL of the value after :func:`text_sql`.
    """
    is_token = sql_in(f"lower({text})", NULL_TOKENS)
    return (f"CASE WHEN {raw} IS NULL OR {text} = '' THEN {sql_str(EMPTY)} "
            f"WHEN length({text}) <= 9 AND {is_token} THEN {sql_str(NULL_TOKEN)} END")


def nest(rows: str, layers: Sequence[Sequence[tuple[str, str]]]) -> str:
    """Return a SELECT over ``rows`` adding each layer of ``(name, expression)`` columns in turn.

    A later layer may use the columns of earlier layers by name, which keeps each expression small.

    Examples
    --------
    >>> nest("t", [[("a", "x + 1")], [("b", "a * 2")]])
    'SELECT *, a * 2 AS b FROM (SELECT *, x + 1 AS a FROM (SELECT * FROM t) l0) l1'
    """
    sql = f"SELECT * FROM {rows}"
    for depth, layer in enumerate(layers):
        cols = ", ".join(f"{expr} AS {name}" for name, expr in layer)
        sql = f"SELECT *, {cols} FROM ({sql}) l{depth}"
    return sql
