"""Device ID normalization as SQL expressions, the value prefixed by its kind.

=============  ==============================================  ===============================
kind           accepted spelling                               normalized value
=============  ==============================================  ===============================
``imei``       15 digits, Luhn check digit                     ``imei:867530012345670``
``uuid``       32 hex digits (IDFA, IDFV, OAID, any UUID)      ``uuid:6D92078A-8246-...`` upper
``android_id`` 16 hex digits                                   ``aid:9774d56d682e549c`` lower
=============  ==============================================  ===============================

Spaces, dashes, braces, colons and a leading label (``IMEI:``, ``IDFA=``, ``aid:``, ``urn:uuid:`` ...)
are ignored, so a normalized value normalizes to itself. Anything else is invalid rather than kept
as an ``other:`` value: free text such as a device model or ``"iPhone"`` would link strangers.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from linker.normalize import junk
from linker.normalize.junk import int_div, re_full, re_replace_all, sql_str

_LABEL: Final = r"^\s*(?i:urn:uuid:|imei|meid|idfa|idfv|uuid|aid|android_?id|oaid|gaid|adid)\s*[:=]?\s*"
_NOISE: Final = r"[\s\-{}:]"
_HEX: Final = "[0-9A-Fa-f]"
IMEI_LENGTH: Final = 15


def fast_sql(raw: str) -> str:
    """Return SQL that is true for the common clean spellings: a dashed UUID, 16 hex or 15 digits."""
    dashed_uuid = "-".join(f"{_HEX}{{{n}}}" for n in (8, 4, 4, 4, 12))
    return re_full(raw, f"{dashed_uuid}|{_HEX}{{16}}|[0-9]{{15}}")


def compact_sql(text: str, fast: str) -> str:
    """Return SQL for the ID upper-cased without its label and without spaces, dashes, braces, colons.

    A fast (clean) spelling is only upper-cased, keeping the dashes of a UUID.
    """
    return f"CASE WHEN {fast} THEN upper({text}) ELSE upper({re_replace_all(text, f'{_LABEL}|{_NOISE}')}) END"


def kind_sql(compact: str) -> str:
    """Return SQL for the device kind of a compact ID: ``imei``, ``uuid``, ``android_id`` or NULL.

    A dashed UUID (36 characters) only comes from a fast spelling, already checked.
    """
    return (f"CASE length({compact}) WHEN 36 THEN 'uuid' "
            f"WHEN 15 THEN CASE WHEN {re_full(compact, '[0-9]+')} THEN 'imei' END "
            f"WHEN 32 THEN CASE WHEN {re_full(compact, '[0-9A-F]+')} THEN 'uuid' END "
            f"WHEN 16 THEN CASE WHEN {re_full(compact, '[0-9A-F]+')} THEN 'android_id' END END")


def value_sql(compact: str, kind: str) -> str:
    """Return SQL for the kind-prefixed normalized value of a compact ID (NULL for unknown kinds)."""
    dashed = " || '-' || ".join(f"substr({compact}, {start}, {n})"
                                for start, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return (f"CASE {kind} WHEN 'imei' THEN 'imei:' || {compact} "
            f"WHEN 'uuid' THEN 'uuid:' || CASE WHEN length({compact}) = 36 THEN {compact} ELSE {dashed} END "
            f"WHEN 'android_id' THEN 'aid:' || lower({compact}) END")


def luhn_ok_sql(digits: str) -> str:
    """Return SQL that is true when the 15 ``digits`` pass the Luhn check (IMEI check digit).

    From the left, odd positions count as they are and even positions doubled (digit sum). The
    digits are taken from the number by integer arithmetic rather than ``substr``: no string is built per digit.
    """
    number = f"CAST({digits} AS BIGINT)"
    terms = []
    for pos in range(1, IMEI_LENGTH + 1):
        digit = f"({int_div(number, str(10 ** (IMEI_LENGTH - pos)))} % 10)"
        terms.append(digit if pos % 2 else f"(2 * {digit} - 9 * CAST({digit} >= 5 AS INTEGER))")
    return f"({' + '.join(terms)}) % 10 = 0"


def invalid_sql(compact: str, kind: str) -> str:
    """Return SQL for the invalid reason of a device ID, NULL when it has the shape of a kind.

    An IMEI whose check digit is wrong keeps its shape: it stays usable, as kind ``imei_unverified`` (see
    :func:`normalize_sql`): an exact agreement on it is still evidence; validity is not a veto.
    """
    all_digits = re_full(compact, "[0-9]+")
    return (f"CASE WHEN {kind} IS NOT NULL THEN NULL "
            f"WHEN {all_digits} AND length({compact}) < {IMEI_LENGTH} THEN {sql_str(junk.TOO_SHORT)} "
            f"WHEN {all_digits} THEN {sql_str(junk.TOO_LONG)} "
            f"ELSE {sql_str(junk.BAD_FORMAT)} END")


def placeholder_values() -> set[str]:
    """Return every normalized device value that is junk: one character repeated (all-zero IDFA,
    ``000000000000000``) and the values of ``junk.PLACEHOLDER_DEVICES``."""
    repeated = ({"imei:" + d * IMEI_LENGTH for d in "0123456789"}
                | {"uuid:" + "-".join(h * n for n in (8, 4, 4, 4, 12)) for h in "0123456789ABCDEF"}
                | {"aid:" + h * 16 for h in "0123456789abcdef"})
    return repeated | junk.PLACEHOLDER_DEVICES


def placeholder_table() -> pa.Table:
    """Return :func:`placeholder_values` as an Arrow table ``(_dj_value)`` to register and join."""
    return pa.table({"_dj_value": pa.array(sorted(placeholder_values()), pa.string())})


def normalize_sql(rows: str, keep: str, placeholders: str) -> str:
    """Return a SELECT normalizing the device rows of relation ``rows``.

    Parameters
    ----------
    rows : str
        SQL relation with the source columns plus ``_n_t`` (folded raw text) and ``_n_fast``.
    keep : str
        Comma-separated columns of ``rows`` to pass through.
    placeholders : str
        Name of the registered :func:`placeholder_table`.

    Returns
    -------
    str
        SQL selecting ``keep`` plus ``_n_cand`` (prefixed value), ``_n_kind``, ``_n_invalid``, ``_n_junk``.
    """
    layers = [
        [("_d_c", compact_sql("_n_t", "_n_fast"))],
        [("_d_k", kind_sql("_d_c"))],
        [("_d_v", value_sql("_d_c", "_d_k"))],
    ]
    kind = f"CASE WHEN _d_k = 'imei' AND NOT {luhn_ok_sql('_d_c')} THEN 'imei_unverified' ELSE _d_k END"
    return (f"SELECT {keep}, _d_v AS _n_cand, {kind} AS _n_kind, {invalid_sql('_d_c', '_d_k')} AS _n_invalid, "
            f"CASE WHEN dj._dj_value IS NOT NULL THEN {sql_str(junk.PLACEHOLDER_DEVICE)} END AS _n_junk "
            f"FROM ({junk.nest(rows, layers)}) d LEFT JOIN {placeholders} dj ON dj._dj_value = d._d_v")
