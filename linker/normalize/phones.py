"""Phone normalization to E.164: a SQL fast path for Chinese mobiles, ``phonenumbers`` for the rest.

The fast path decides, in SQL, every spelling of a Chinese mobile (``+86``, ``0086``, ``86`` or no
prefix; spaces, dashes, dots, brackets, full-width digits) with the mobile pattern taken from the
``phonenumbers`` metadata, so both paths agree. Values it cannot decide -- landlines, foreign
numbers, extensions, odd lengths -- are *leftovers*: their distinct cleaned spellings are parsed once
each in Python (:func:`parse_leftover`) and joined back as a table.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from linker.normalize import junk
from linker.normalize.junk import re_full, re_replace_all, sql_str

_CN_MOBILE: Final = phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
_SEPARATORS: Final = r"[\s\-.()\[\]/_~]"
_EXTENSION: Final = r"(?:ext|x|#|转|分机)"
_MIN_DIGITS: Final = 5
_MAX_DIGITS: Final = 17

_PARSE_ERRORS: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: junk.BAD_COUNTRY_CODE,
    NumberParseException.NOT_A_NUMBER: junk.BAD_FORMAT,
    NumberParseException.TOO_SHORT_AFTER_IDD: junk.TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: junk.TOO_SHORT,
    NumberParseException.TOO_LONG: junk.TOO_LONG,
}
_POSSIBLE_ERRORS: Final = {
    ValidationResult.INVALID_COUNTRY_CODE: junk.BAD_COUNTRY_CODE,
    ValidationResult.TOO_SHORT: junk.TOO_SHORT,
    ValidationResult.TOO_LONG: junk.TOO_LONG,
    ValidationResult.INVALID_LENGTH: junk.INVALID_NUMBER,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: junk.INVALID_NUMBER,
}
_KINDS: Final = {PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "landline"}


class PhoneParse(NamedTuple):
    """Result of parsing one leftover phone spelling with ``phonenumbers``."""

    e164: str | None
    kind: str | None
    reason: str | None
    junk: str | None


def clean_sql(text: str) -> str:
    """Return SQL removing separators from folded phone ``text`` (plain ``+digits`` is kept as is)."""
    stripped = re_replace_all(f"lower({text})", _SEPARATORS)
    return f"CASE WHEN {re_full(text, r'[+]?[0-9]+')} THEN {text} ELSE {stripped} END"


def core_sql(clean: str, region: str) -> str:
    """Return SQL for the national digits of ``clean`` (its ``+86``/``0086``/``86`` prefix removed).

    Only ``+86`` is removed when the default region is not CN; other ``+`` country codes keep their
    digits (their leftovers are checked on the national number in Python).
    """
    if region != "CN":
        return (f"CASE WHEN {clean} LIKE '+86%' THEN substr({clean}, 4) "
                f"WHEN {clean} LIKE '+%' THEN substr({clean}, 2) ELSE {clean} END")
    return (f"CASE WHEN {clean} LIKE '+86%' THEN substr({clean}, 4) "
            f"WHEN {clean} LIKE '0086%' THEN substr({clean}, 5) "
            f"WHEN {clean} LIKE '861%' AND length({clean}) = 13 THEN substr({clean}, 3) "
            f"WHEN {clean} LIKE '+%' THEN substr({clean}, 2) "
            f"WHEN {clean} LIKE '00%' THEN substr({clean}, 3) ELSE {clean} END")


def mobile_sql(clean: str, core: str, region: str) -> str:
    """Return SQL for the 11 national digits when ``clean`` is surely a Chinese mobile, else NULL."""
    cn_prefix = f"{clean} LIKE '+86%'"
    if region == "CN":
        cn_prefix = f"({cn_prefix} OR {clean} LIKE '0086%' OR {clean} LIKE '861%' OR {clean} = {core})"
    return f"CASE WHEN {cn_prefix} AND {re_full(core, f'(?:{_CN_MOBILE})')} THEN {core} END"


def fast_invalid_sql(clean: str) -> str:
    """Return SQL for the reason a non-mobile spelling is surely invalid, NULL when undecided."""
    digits = f"length({re_replace_all(clean, f'{_EXTENSION}.*|[^0-9]')})"
    return (f"CASE WHEN NOT {re_full(clean, rf'[+]?[0-9]+(?:{_EXTENSION}[0-9]+)?')} "
            f"THEN {sql_str(junk.BAD_FORMAT)} "
            f"WHEN {digits} < {_MIN_DIGITS} THEN {sql_str(junk.TOO_SHORT)} "
            f"WHEN {digits} > {_MAX_DIGITS} THEN {sql_str(junk.TOO_LONG)} END")


def junk_sql(core: str) -> str:
    """Return SQL for the junk reason of national digits ``core`` (all zero, repeated, placeholder)."""
    return junk.sql_case_map(core, junk.PHONE_JUNK)


def _layers(region: str) -> list[list[tuple[str, str]]]:
    """Return the SQL column layers shared by the leftover query and the normalizing query."""
    return [
        [("_p_c", clean_sql("_n_t"))],
        [("_p_core", core_sql("_p_c", region))],
        [("_p_mob", mobile_sql("_p_c", "_p_core", region))],
        [("_p_bad", f"CASE WHEN _p_mob IS NULL THEN {fast_invalid_sql('_p_c')} END")],
        [("_p_key", "CASE WHEN _p_mob IS NULL AND _p_bad IS NULL AND _n_null IS NULL THEN _p_c END")],
    ]


def leftover_keys_sql(rows: str, region: str) -> str:
    """Return SQL selecting the distinct spellings (``_p_key``) the SQL fast path cannot decide."""
    return f"SELECT DISTINCT _p_key FROM ({junk.nest(rows, _layers(region))}) p WHERE _p_key IS NOT NULL"


def normalize_sql(rows: str, keep: str, region: str, leftovers: str) -> str:
    """Return a SELECT normalizing the phone rows of relation ``rows``.

    Parameters
    ----------
    rows : str
        SQL relation with the source columns plus ``_n_t`` (folded, trimmed raw) and ``_n_null``.
    keep : str
        Comma-separated columns of ``rows`` to pass through.
    region : str
        Default region for numbers written without a country code.
    leftovers : str
        Table made by :func:`leftover_table` for the keys of :func:`leftover_keys_sql`.

    Returns
    -------
    str
        SQL selecting ``keep`` plus ``_n_cand`` (E.164), ``_n_kind``, ``_n_invalid`` and ``_n_junk``.
    """
    return (f"SELECT {keep}, "
            f"CASE WHEN _p_mob IS NOT NULL THEN '+86' || _p_mob ELSE _lo_e164 END AS _n_cand, "
            f"CASE WHEN _p_mob IS NOT NULL THEN 'mobile' ELSE _lo_kind END AS _n_kind, "
            f"coalesce(_p_bad, _lo_reason) AS _n_invalid, "
            f"coalesce({junk_sql('_p_core')}, _lo_junk) AS _n_junk "
            f"FROM ({junk.nest(rows, _layers(region))}) p LEFT JOIN {leftovers} lo ON lo._lo_key = p._p_key")


def parse_leftover(text: str, region: str) -> PhoneParse:
    """Parse one cleaned phone spelling the SQL fast path left undecided.

    Parameters
    ----------
    text : str
        Cleaned spelling (separators removed, lower case), e.g. ``'01012345678'`` or ``'+442079460000'``.
    region : str
        Default region for numbers without a country code.

    Returns
    -------
    PhoneParse
        E.164 (None when unparseable), kind ('mobile', 'landline', 'other'), invalid reason and junk
        reason of the national number (both None when fine).

    Examples
    --------
    >>> parse_leftover("01012345678", "CN")
    PhoneParse(e164='+861012345678', kind='landline', reason=None, junk=None)
    """
    try:
        number = phonenumbers.parse(text.replace("分机", "ext").replace("转", "ext"), region)
    except NumberParseException as e:
        return PhoneParse(None, None, _PARSE_ERRORS.get(e.error_type, junk.BAD_FORMAT), None)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    bad_junk = junk.phone_junk_reason(phonenumbers.national_significant_number(number))
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        return PhoneParse(e164, None, _POSSIBLE_ERRORS.get(possible, junk.INVALID_NUMBER), bad_junk)
    if not phonenumbers.is_valid_number(number):
        return PhoneParse(e164, None, junk.INVALID_NUMBER, bad_junk)
    return PhoneParse(e164, _KINDS.get(phonenumbers.number_type(number), "other"), None, bad_junk)


def leftover_table(keys: list[str], region: str) -> pa.Table:
    """Parse each distinct leftover key once and return the results as an Arrow table.

    Returns
    -------
    pyarrow.Table
        Columns ``_lo_key``, ``_lo_e164``, ``_lo_kind``, ``_lo_reason``, ``_lo_junk`` (strings).
    """
    parsed = [parse_leftover(key, region) for key in keys]
    columns = {"_lo_key": keys, **{f"_lo_{f}": [getattr(p, f) for p in parsed] for f in PhoneParse._fields}}
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def register_leftovers(con: duckdb.DuckDBPyConnection, rows: str, region: str, name: str) -> int:
    """Find the leftovers of ``rows``, parse them in Python and register the result as view ``name``.

    Returns
    -------
    int
        Number of distinct leftover spellings parsed.
    """
    keys = [k for (k,) in con.execute(leftover_keys_sql(rows, region)).fetchall()]
    con.register(name, leftover_table(keys, region))
    return len(keys)
