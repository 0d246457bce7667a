"""Phone normalization to E.164: a SQL fast path for Chinese numbers, ``phonenumbers`` for the rest.

The fast path decides, in SQL, every spelling of a Chinese mobile or landline (``+86``, ``0086``,
``86``, trunk ``0`` or no prefix; spaces, dashes, dots, brackets, full-width digits), using the
number patterns of the ``phonenumbers`` metadata so that both paths agree. Values it cannot decide --
foreign numbers, extensions, service numbers, invalid numbers -- are *leftovers*: their distinct
cleaned spellings are parsed once each in Python (:func:`parse_leftover`) and joined back as a table.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from linker.normalize import junk
from linker.normalize.junk import re_full, re_replace_all, sql_str

_CN_META: Final = phonenumbers.PhoneMetadata.metadata_for_region("CN")
_SEPARATORS: Final = r"[\s\-.()\[\]/_~]"
_EXTENSION: Final = r"(?i:ext|x|#|转|分机)"
_MIN_DIGITS: Final = 5
_MAX_DIGITS: Final = 17
#: Full-width digits and phone punctuation folded to ASCII; ``translate`` costs grow with the map,
#: and letters are no use in a phone number.
FOLD: Final = junk.fold_map("０１２３４５６７８９＋－（）．／＃　", "0123456789+-()./# ")

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
MOBILE_SHAPE: Final = "1[0-9]{10}"
"""The shape of a Chinese mobile's national number: 11 digits starting with 1."""
UNLISTED_MOBILE: Final = "mobile_unlisted"
"""Kind of a number with the shape of a Chinese mobile in a range the phonenumbers metadata does not list (it
lags the ranges operators open). It stays usable: validity is evidence, not a veto."""


class PhoneParse(NamedTuple):
    """Result of parsing one leftover phone spelling with ``phonenumbers``."""

    e164: str | None
    kind: str | None
    reason: str | None
    junk: str | None


def clean_sql(text: str) -> str:
    """Return SQL removing separators from folded phone ``text`` (plain ``+digits`` is kept as is)."""
    stripped = re_replace_all(text, _SEPARATORS)
    return f"CASE WHEN {re_full(text, r'[+]?[0-9]+')} THEN {text} ELSE {stripped} END"


def core_sql(clean: str, region: str) -> str:
    """Return SQL for the digits of ``clean`` after its international prefix (``+86``, ``0086``, ``+``).

    Junk lists are checked on these digits, so every spelling of a placeholder stays junk. A bare
    ``86`` prefix counts only before an 11-digit number starting with 1; ``00`` and bare ``86`` only
    count in region CN.
    """
    if region != "CN":
        return (f"CASE WHEN {clean} LIKE '+86%' THEN substr({clean}, 4) "
                f"WHEN {clean} LIKE '+%' THEN substr({clean}, 2) ELSE {clean} END")
    return (f"CASE WHEN {clean} LIKE '+86%' THEN substr({clean}, 4) "
            f"WHEN {clean} LIKE '0086%' THEN substr({clean}, 5) "
            f"WHEN {clean} LIKE '861%' AND length({clean}) = 13 THEN substr({clean}, 3) "
            f"WHEN {clean} LIKE '+%' THEN substr({clean}, 2) "
            f"WHEN {clean} LIKE '00%' THEN substr({clean}, 3) ELSE {clean} END")


def nsn_sql(clean: str, core: str, region: str) -> str:
    """Return SQL for the Chinese national significant number of ``clean``, NULL if not surely Chinese.

    The trunk ``0`` is dropped. Numbers starting with ``11``, ``12`` or ``179`` are left to
    ``phonenumbers``, which may read those digits as a carrier-selection prefix, and so are those
    starting with ``86``, which it may read as the country code.
    """
    chinese = f"{clean} LIKE '+86%'"
    if region == "CN":
        chinese += (f" OR {clean} LIKE '0086%' OR {clean} LIKE '861%' "
                    f"OR {clean} NOT LIKE '+%' AND {clean} NOT LIKE '00%'")
    national = f"CASE WHEN {core} LIKE '0%' THEN substr({core}, 2) ELSE {core} END"
    unsure = " OR ".join(f"{national} LIKE '{p}%'" for p in ("0", "11", "12", "179", "86"))
    return f"CASE WHEN ({chinese}) AND NOT ({unsure}) THEN {national} END"


def _desc_sql(nsn: str, desc: phonenumbers.PhoneNumberDesc | None) -> str:
    """Return SQL matching ``nsn`` against one number type of the metadata, as ``phonenumbers`` does."""
    if desc is None or desc.national_number_pattern is None or -1 in desc.possible_length:
        return "FALSE"
    lengths = (f"length({nsn}) IN ({', '.join(map(str, desc.possible_length))}) AND "
               if desc.possible_length else "")
    return f"({lengths}{re_full(nsn, f'(?:{desc.national_number_pattern})')})"


def decidable_sql(nsn: str) -> str:
    """Return SQL that is true when :func:`type_sql` decides ``nsn``: digits of a length CN allows.

    Other lengths are left to Python, which tells too short from too long.
    """
    lengths = ", ".join(map(str, _CN_META.general_desc.possible_length))
    return f"({nsn} IS NOT NULL AND length({nsn}) IN ({lengths}) AND {re_full(nsn, '[0-9]+')})"


def type_sql(nsn: str) -> str:
    """Return SQL for the type ``phonenumbers`` gives a decidable Chinese national number.

    'mobile' and 'landline' (MOBILE, FIXED_LINE), 'other' (toll-free, shared cost, fixed line or
    mobile, ...) or 'invalid' (no number range). Built from the CN metadata in the order of
    ``phonenumbers``' own type check so that both paths agree, except that mobile is tested first
    because it is the common case (no CN mobile number matches an earlier type; checked by
    ``tests/normalize/test_phones.py``).
    """
    general = _CN_META.general_desc
    earlier = " OR ".join(_desc_sql(nsn, getattr(_CN_META, name)) for name in (
        "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail"))
    invalid = f"CASE WHEN {re_full(nsn, MOBILE_SHAPE)} THEN '{UNLISTED_MOBILE}' ELSE 'invalid' END"
    return (f"CASE WHEN {_desc_sql(nsn, _CN_META.mobile)} THEN 'mobile' "
            f"WHEN NOT {re_full(nsn, f'(?:{general.national_number_pattern})')} THEN {invalid} "
            f"WHEN {earlier} THEN 'other' "
            f"WHEN {_desc_sql(nsn, _CN_META.fixed_line)} THEN 'landline' ELSE {invalid} END")


def fast_invalid_sql(clean: str) -> str:
    """Return SQL for the reason an undecided spelling is surely invalid, NULL when still undecided."""
    digits = f"length({re_replace_all(clean, f'{_EXTENSION}.*|[^0-9]')})"
    return (f"CASE WHEN NOT {re_full(clean, rf'[+]?[0-9]+(?:{_EXTENSION}[0-9]+)?')} "
            f"THEN {sql_str(junk.BAD_FORMAT)} "
            f"WHEN {digits} < {_MIN_DIGITS} THEN {sql_str(junk.TOO_SHORT)} "
            f"WHEN {digits} > {_MAX_DIGITS} THEN {sql_str(junk.TOO_LONG)} END")


def junk_sql(mobile: str, core: str) -> str:
    """Return SQL for the junk reason of a phone: of its plain mobile digits, else of its ``core``.

    A plain mobile (11 digits, 13-19...) is never all zero, repeated or sequential, so only the
    listed placeholders are looked up for those rows (checked by ``tests/normalize/test_phones.py``).
    """
    listed = f"CASE WHEN {junk.sql_in(mobile, junk.PLACEHOLDER_PHONES)} THEN {sql_str(junk.PLACEHOLDER)} END"
    return f"CASE WHEN {mobile} IS NOT NULL THEN {listed} ELSE {junk.phone_junk_sql(core)} END"


def plain_mobile_sql(text: str, region: str) -> str:
    """Return SQL that is true when ``text`` is 11 plain digits of a Chinese mobile (region CN only)."""
    return re_full(text, f"(?:{_CN_META.mobile.national_number_pattern})") if region == "CN" else "FALSE"


def _layers(region: str) -> list[list[tuple[str, str]]]:
    """Return the SQL column layers shared by the leftover query and the normalizing query.

    ``_p_m`` short-cuts the commonest spelling, 11 plain digits of a Chinese mobile (``_n_fast``,
    see :func:`plain_mobile_sql`): every later column is only computed for the other rows.
    ``_p_sql`` tells whether SQL decides the row; ``_p_key`` is the spelling left to Python.
    """
    def other(expr: str) -> str:
        return f"CASE WHEN _p_m IS NULL THEN {expr} END"

    return [
        [("_p_m", "CASE WHEN _n_fast THEN raw END")],
        [("_p_c", other(clean_sql("_n_t")))],
        [("_p_core", other(core_sql("_p_c", region)))],
        [("_p_nsn", other(nsn_sql("_p_c", "_p_core", region)))],
        [("_p_sql", f"_p_m IS NOT NULL OR {decidable_sql('_p_nsn')}")],
        [("_p_bad", f"CASE WHEN NOT _p_sql THEN {fast_invalid_sql('_p_c')} END")],
        [("_p_key", "CASE WHEN NOT _p_sql AND _p_bad IS NULL AND _n_null IS NULL THEN _p_c END")],
    ]


def leftover_keys_sql(rows: str, region: str) -> str:
    """Return SQL selecting the distinct spellings (``_p_key``) the SQL fast path cannot decide.

    ``rows`` may leave out the plain mobiles (``_n_fast``), which never are leftovers.
    """
    return f"SELECT DISTINCT _p_key FROM ({junk.nest(rows, _layers(region))}) p WHERE _p_key IS NOT NULL"


def normalize_sql(rows: str, keep: str, region: str, leftovers: str | None) -> str:
    """Return a SELECT normalizing the phone rows of relation ``rows``.

    Parameters
    ----------
    rows : str
        SQL relation with the source columns plus ``_n_fast``, ``_n_t`` (folded raw) and ``_n_null``.
    keep : str
        Comma-separated columns of ``rows`` to pass through.
    region : str
        Default region for numbers written without a country code.
    leftovers : str or None
        Table made by :func:`leftover_table` for the keys of :func:`leftover_keys_sql`; None when
        not parsed yet: the rows that need Python are then marked ``_n_pending``.

    Returns
    -------
    str
        SQL selecting ``keep`` plus ``_n_cand`` (E.164), ``_n_kind``, ``_n_invalid``, ``_n_junk`` and
        ``_n_pending``.
    """
    typed = junk.nest(rows, [*_layers(region), [
        ("_p_type", f"CASE WHEN _p_m IS NOT NULL THEN 'mobile' WHEN _p_sql THEN {type_sql('_p_nsn')} END")]])
    return (f"SELECT {keep}, "
            f"CASE WHEN _p_m IS NOT NULL THEN '+86' || _p_m "
            f"WHEN _p_sql THEN '+86' || _p_nsn ELSE _lo_e164 END AS _n_cand, "
            f"CASE WHEN _p_sql THEN nullif(_p_type, 'invalid') ELSE _lo_kind END AS _n_kind, "
            f"CASE WHEN _p_type = 'invalid' THEN {sql_str(junk.INVALID_NUMBER)} "
            f"ELSE coalesce(_p_bad, _lo_reason) END AS _n_invalid, "
            f"coalesce({junk_sql('_p_m', '_p_core')}, _lo_junk) AS _n_junk, "
            f"{'FALSE' if leftovers else '_p_key IS NOT NULL'} AS _n_pending "
            f"FROM {_with_leftovers(typed, leftovers)}")


def _with_leftovers(typed: str, leftovers: str | None) -> str:
    """Return ``typed`` joined with the Python results (or with NULL results when not parsed)."""
    if leftovers is not None:
        return f"({typed}) p LEFT JOIN {leftovers} lo ON lo._lo_key = p._p_key"
    nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS _lo_{f}" for f in PhoneParse._fields)
    return f"(SELECT *, {nulls} FROM ({typed}) t) p"


def parse_leftover(text: str, region: str) -> PhoneParse:
    """Parse one cleaned phone spelling the SQL fast path left undecided.

    Parameters
    ----------
    text : str
        Cleaned spelling (separators removed), e.g. ``'01012345678'`` or ``'+442079460000'``.
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
    number_type = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is false
    if number_type == PhoneNumberType.UNKNOWN:
        nsn = phonenumbers.national_significant_number(number)
        if number.country_code == 86 and re.fullmatch(MOBILE_SHAPE, nsn):
            return PhoneParse(e164, UNLISTED_MOBILE, None, bad_junk)
        return PhoneParse(e164, None, junk.INVALID_NUMBER, bad_junk)
    return PhoneParse(e164, _KINDS.get(number_type, "other"), None, bad_junk)


LEFTOVER_SCHEMA = pa.schema([(f"_lo_{f}", pa.string()) for f in ("key", *PhoneParse._fields)])
"""Columns of :func:`leftover_table`."""


def leftover_table(keys: list[str], region: str) -> pa.Table:
    """Parse each distinct leftover key once and return the results as an Arrow table.

    Returns
    -------
    pyarrow.Table
        Columns ``_lo_key``, ``_lo_e164``, ``_lo_kind``, ``_lo_reason``, ``_lo_junk`` (strings).
    """
    parsed = [parse_leftover(key, region) for key in keys]
    columns = {"_lo_key": keys, **{f"_lo_{f}": [getattr(p, f) for p in parsed] for f in PhoneParse._fields}}
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()}, LEFTOVER_SCHEMA)
