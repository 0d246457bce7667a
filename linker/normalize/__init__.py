"""Vectorized normalization of phone numbers, e-mail addresses and device IDs.

:func:`normalize_identifiers` turns a table of raw identifiers into the ``identifiers`` table of
``docs/architecture.md``: one SQL statement with a branch per id type (``phones``, ``emails``,
``devices``), with Python (``phonenumbers``) only on the distinct phone spellings the SQL cannot
decide. Every row ends ``usable``, ``junk`` or ``invalid`` with a reason code (:data:`REASONS`).

The single-value helpers (:func:`normalize_phone`, :func:`normalize_email`, :func:`normalize_device`,
:func:`normalize_values`) run exactly the same SQL on a small in-memory table, so tests of them
test the real code.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from typing import Final, NamedTuple

import duckdb
import phonenumbers
import pyarrow as pa

from linker.engine import DuckDBEngine, Engine, as_engine
from linker.errors import ConfigError
from linker.normalize import devices, emails, phones
from linker.normalize.junk import (
    ALL_ZERO,
    BAD_COUNTRY_CODE,
    BAD_DOMAIN,
    BAD_FORMAT,
    BLOCKED_BY_RULE,
    EMPTY,
    FOLD_ALL,
    ID_TYPES,
    INVALID,
    INVALID_NUMBER,
    JUNK,
    NULL_TOKEN,
    PLACEHOLDER,
    PLACEHOLDER_DEVICE,
    REASONS,
    REPEATED_DIGIT,
    TEST_ADDRESS,
    TOO_LONG,
    TOO_SHORT,
    UNKNOWN_ID_TYPE,
    USABLE,
    null_reason_sql,
    sql_in,
    sql_str,
    text_sql,
    trim_sql,
)
from linker.normalize.rules import IdentifierRules, Rule
from linker.sql import quote_ident

__all__ = [
    "ALL_ZERO", "BAD_COUNTRY_CODE", "BAD_DOMAIN", "BAD_FORMAT",
    "BLOCKED_BY_RULE", "EMPTY", "INVALID", "INVALID_NUMBER", "JUNK", "NULL_TOKEN", "PLACEHOLDER",
    "PLACEHOLDER_DEVICE", "REASONS", "REPEATED_DIGIT", "TEST_ADDRESS", "TOO_LONG", "TOO_SHORT",
    "UNKNOWN_ID_TYPE", "USABLE", "IdentifierRules", "NormalizedValue", "Rule", "normalize_device",
    "normalize_email", "normalize_identifiers", "normalize_phone", "normalize_values",
]

OUTPUT_COLUMNS: Final = ("value", "kind", "status", "reason", "rule_reason")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


class NormalizedValue(NamedTuple):
    """The normalization of one raw identifier.

    ``value`` is None unless ``status`` is 'usable'; ``reason`` is None when usable; ``rule_reason``
    is the text of the user rule that matched, if any.
    """

    value: str | None
    kind: str | None
    status: str
    reason: str | None
    rule_reason: str | None = None


def _quote_name(name: str) -> str:
    """Return a (possibly schema-qualified) table name quoted for SQL."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"normalize_identifiers: not a plain table name: {name!r}")
    return ".".join(quote_ident(part) for part in name.split("."))


def _rows_sql(source: str, id_type: str | None, region: str, *, leftovers_only: bool = False) -> str:
    """Return the ``source`` rows of one id type (None: unknown types) with the shared columns.

    ``_n_fast`` is true for raw values already in a common, clean spelling of their type (see each
    module's ``fast_sql``), which skip most work; ``_n_t`` is the raw value with full-width
    characters folded, ``_n_null`` the empty / null-token reason. ``leftovers_only`` keeps only
    phone rows that are not fast, the only ones that can need Python.
    """
    where = (f"s.id_type = {sql_str(id_type)}" if id_type
             else f"(s.id_type IS NULL OR NOT {sql_in('s.id_type', ID_TYPES)})")
    fast = {"phone": phones.plain_mobile_sql("s.raw", region), "email": emails.fast_sql("s.raw"),
            "device": devices.fast_sql("s.raw")}.get(id_type or "", "FALSE")
    if leftovers_only:
        where += f" AND NOT {fast}"
    fold = phones.FOLD if id_type == "phone" else FOLD_ALL
    base = f"SELECT s.*, coalesce({fast}, FALSE) AS _n_fast FROM {source} s WHERE {where}"
    text = f"SELECT *, {text_sql('raw', fold)} AS _n_t FROM ({base}) b"
    return (f"(SELECT *, CASE WHEN NOT _n_fast THEN {null_reason_sql('raw', '_n_t')} END AS _n_null "
            f"FROM ({text}) t)")


class _Lookups(NamedTuple):
    """Names of the Arrow tables the normalizing SQL joins, registered for one call."""

    leftovers: str | None
    domain_fixes: str
    device_placeholders: str


_CALLS = itertools.count()


class _Views:
    """Arrow tables and intermediate tables of one call on ``engine``, named for it; dropped on exit."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.tag = engine, next(_CALLS)
        self.names = list[str]()

    def add(self, stem: str, table: pa.Table) -> str:
        """Register ``table`` and return its name."""
        name = self._name(stem)
        self.engine.register_arrow(name, table)
        return name

    def materialize(self, stem: str, relation: str) -> str:
        """Copy ``relation`` into a table and return its name."""
        name = self._name(stem)
        self.engine.create_table(name, f"SELECT * FROM {relation}")
        return name

    def create(self, stem: str, query: str) -> str:
        """A table of the rows of ``query``; returns its name."""
        name = self._name(stem)
        self.engine.create_table(name, query)
        return name

    def parsed(self, stem: str, query: str, region: str) -> str:
        """The phone leftovers of ``query`` (one key per row) parsed by ``phonenumbers``, batch by batch in the
        engine's Python workers: a table of :func:`phones.leftover_table`'s columns; returns its name."""
        name = self._name(stem)
        self.engine.map_batches(name, query, lambda batch: phones.leftover_table(
            batch.column(0).to_pylist(), region), phones.LEFTOVER_SCHEMA)
        return name

    def _name(self, stem: str) -> str:
        name = f"_linker_{stem}_{self.tag}_{len(self.names)}"
        self.names.append(name)
        return name

    def __enter__(self) -> _Views:
        return self

    def __exit__(self, *exc: object) -> None:
        self.engine.drop(*self.names)


_ALL_TYPES: Final = (*ID_TYPES, None)  # None: rows of any other id_type


def _prepare(views: _Views, source: str, region: str, id_types: Sequence[str | None], *,
             parse: bool) -> _Lookups:
    """Register the lookup tables; with ``parse``, parse the distinct phone leftovers of ``source``.

    Without ``parse`` the phone rows that need Python are left pending (see :func:`_resolve_pending`).
    """
    leftovers = None
    if parse and "phone" in id_types:
        keys_sql = phones.leftover_keys_sql(_rows_sql(source, "phone", region, leftovers_only=True), region)
        leftovers = views.parsed("phone_leftovers", keys_sql, region)
    return _Lookups(leftovers,
                    views.add("email_domain_fixes", emails.domain_fix_table()),
                    views.add("device_placeholders", devices.placeholder_table()))


def _typed_sql(source: str, columns: Sequence[str], region: str, lookups: _Lookups,
               id_types: Sequence[str | None] = _ALL_TYPES) -> str:
    """Return the UNION of the per-type normalizing SELECTs (candidate, kind, invalid, junk per row).

    ``id_types`` may leave out types known to be absent (it saves planning time on tiny inputs).
    """
    keep = ", ".join([*(quote_ident(c) for c in columns), "_n_t", "_n_null"])
    def never_pending(select: str) -> str:
        return f"SELECT *, FALSE AS _n_pending FROM ({select}) x"

    branches = {
        "phone": lambda: phones.normalize_sql(_rows_sql(source, "phone", region), keep, region,
                                              lookups.leftovers),
        "email": lambda: never_pending(emails.normalize_sql(_rows_sql(source, "email", region), keep,
                                                            lookups.domain_fixes)),
        "device": lambda: never_pending(devices.normalize_sql(_rows_sql(source, "device", region), keep,
                                                              lookups.device_placeholders)),
        None: lambda: never_pending(
            f"SELECT {keep}, CAST(NULL AS VARCHAR) AS _n_cand, CAST(NULL AS VARCHAR) AS _n_kind, "
            f"{sql_str(UNKNOWN_ID_TYPE)} AS _n_invalid, CAST(NULL AS VARCHAR) AS _n_junk "
            f"FROM {_rows_sql(source, None, region)} u"),
    }
    return " UNION ALL ".join(branches[t]() for t in id_types)


def _rules_sql(typed: str, rules_view: str | None) -> str:
    """Return a SELECT adding ``_n_blocked``, ``_n_allowed`` and ``_n_rule`` (rule reason) to ``typed``."""
    if rules_view is None:
        return (f"SELECT *, FALSE AS _n_blocked, FALSE AS _n_allowed, CAST(NULL AS VARCHAR) AS _n_rule "
                f"FROM ({typed}) t")
    on = "{a}._r_id_type = t.id_type AND {a}._r_key = {col}"
    return (f"SELECT t.*, coalesce(rv._r_action = 'block' OR rr._r_action = 'block', FALSE) AS _n_blocked, "
            f"coalesce(rv._r_action = 'allow' OR rr._r_action = 'allow', FALSE) AS _n_allowed, "
            f"CASE WHEN rv._r_action = 'block' THEN rv._r_reason "
            f"WHEN rr._r_action = 'block' THEN rr._r_reason "
            f"ELSE coalesce(rv._r_reason, rr._r_reason) END AS _n_rule FROM ({typed}) t "
            f"LEFT JOIN {rules_view} rv ON {on.format(a='rv', col='t._n_cand')} "
            f"LEFT JOIN {rules_view} rr ON {on.format(a='rr', col=trim_sql('t._n_t'))}")


def _final_sql(typed: str, columns: Sequence[str], rules_view: str | None) -> str:
    """Return the SELECT of the source columns plus value, kind, status, reason and rule_reason."""
    junk_hit = "(NOT _n_allowed AND _n_junk IS NOT NULL)"
    status = (f"CASE WHEN _n_pending THEN NULL "
              f"WHEN _n_null IS NOT NULL OR _n_blocked OR {junk_hit} THEN {sql_str(JUNK)} "
              f"WHEN _n_invalid IS NOT NULL THEN {sql_str(INVALID)} ELSE {sql_str(USABLE)} END")
    reason = (f"CASE WHEN _n_null IS NOT NULL THEN _n_null WHEN _n_blocked THEN {sql_str(BLOCKED_BY_RULE)} "
              f"WHEN {junk_hit} THEN _n_junk ELSE _n_invalid END")
    cols = ", ".join(quote_ident(c) for c in columns)
    return (f"SELECT {cols}, CASE WHEN _n_status = {sql_str(USABLE)} THEN _n_cand END AS value, "
            f"CASE WHEN _n_null IS NULL THEN _n_kind END AS kind, _n_status AS status, _n_reason AS reason, "
            f"_n_rule AS rule_reason FROM (SELECT *, {status} AS _n_status, {reason} AS _n_reason "
            f"FROM ({_rules_sql(typed, rules_view)}) r) f")


def _source_columns(engine: Engine, source: str) -> list[str]:
    """Return the columns of ``source``; raise ValueError when id_type/raw are missing or outputs clash."""
    columns = [c for c, _ in engine.columns(source)]
    missing = sorted({"id_type", "raw"} - set(columns))
    internal = ("_n_", "_p_", "_e_", "_d_", "_lo_", "_fx_", "_dj_", "_r_")
    clash = sorted(c for c in columns if c in OUTPUT_COLUMNS or c.startswith(internal))
    problems = ([f"missing columns {missing}"] if missing else []) + (
        [f"columns {clash} clash with the output or internal columns"] if clash else [])
    if problems:
        raise ConfigError(problems, source=f"normalize_identifiers source {source}")
    return columns


def _check_region(region: str) -> None:
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"unknown phone region {region!r}; use an ISO 3166 code such as 'CN'")


def _input_table(pairs: Sequence[tuple[str, str | None]]) -> pa.Table:
    """Return ``(id_type, raw)`` pairs as an Arrow table with a 1-based ``_row``."""
    return pa.table({
        "id_type": pa.array([p[0] for p in pairs], pa.string()),
        "raw": pa.array([p[1] for p in pairs], pa.string()),
        "_row": pa.array(range(1, len(pairs) + 1), pa.int64()),
    })


def _candidates(engine: Engine, pairs: Sequence[tuple[str, str]], region: str) -> list[str | None]:
    """Return the normalized value of each ``(id_type, raw)`` ignoring junk lists (None if unparseable)."""
    id_types = sorted({p[0] for p in pairs})
    with _Views(engine) as views:
        src = views.add("rule_values", _input_table(pairs))
        lookups = _prepare(views, src, region, id_types, parse=True)
        typed = _typed_sql(src, ["id_type", "raw", "_row"], region, lookups, id_types)
        return [c for (c,) in engine.rows(f"SELECT _n_cand FROM ({typed}) t ORDER BY _row")]


def _rules_table(engine: Engine, rules: IdentifierRules, region: str) -> pa.Table:
    """Return one row per (id_type, match key) of ``rules``; a rule matches its text and its normal form."""
    rows = rules.rows()
    normal = _candidates(engine, [(r.id_type, r.value) for r in rows], region)
    keyed: dict[tuple[str, str], Rule] = {}
    for rule, cand in zip(rows, normal, strict=True):  # blocks come first and win
        for key in {rule.value, cand} - {None}:
            keyed.setdefault((rule.id_type, key), rule)
    return pa.table({
        "_r_id_type": pa.array([k[0] for k in keyed], pa.string()),
        "_r_key": pa.array([k[1] for k in keyed], pa.string()),
        "_r_action": pa.array([r.action for r in keyed.values()], pa.string()),
        "_r_reason": pa.array([r.reason for r in keyed.values()], pa.string()),
    })


def normalize_identifiers(engine: Engine | duckdb.DuckDBPyConnection, source: str, target: str, *,
                          region: str = "CN", rules: IdentifierRules | None = None) -> None:
    """Normalize every identifier of ``source`` into a new table ``target``.

    Parameters
    ----------
    engine : Engine or duckdb.DuckDBPyConnection
        The engine (or DuckDB connection) holding ``source``; ``target`` is created (or replaced) there.
    source : str
        Table or view with at least ``id_type`` ('phone', 'email', 'device') and ``raw``; usually
        ``owner_kind, owner_id, id_type, raw, since, _row, _source``.
    target : str
        Name of the table to create: all source columns plus ``value``, ``kind``, ``status``,
        ``reason`` and ``rule_reason``. Row order is not kept.
    region : str, default 'CN'
        Default phone region for numbers without a country code.
    rules : IdentifierRules, optional
        User block / allow rules.

    Raises
    ------
    linker.errors.ConfigError
        (a ``ValueError``) when a name is not a plain table name, the region is unknown, or the source
        lacks ``id_type``/``raw`` or already has an output column.

    Notes
    -----
    The main statement is linear in the rows and reads the source once per id type, so a view
    source is first copied into a temp table. It leaves pending the few phone rows the SQL cannot
    decide (foreign numbers, extensions, odd lengths); their distinct spellings are then parsed
    once each in Python and the pending rows updated from the result.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE ids AS SELECT 'phone' AS id_type, '138-1234-5678' AS raw")
    >>> normalize_identifiers(con, "ids", "identifiers")
    >>> con.execute("SELECT value, kind, status FROM identifiers").fetchall()
    [('+8613812345678', 'mobile', 'usable')]
    """
    _normalize(as_engine(engine), source, target, region, rules, _ALL_TYPES)


def _normalize(engine: Engine, source: str, target: str, region: str, rules: IdentifierRules | None,
               id_types: Sequence[str | None], *, copy_views: bool = True) -> None:
    """Do :func:`normalize_identifiers` for the rows of ``id_types`` only.

    ``copy_views=False`` reads a view source directly, for a registered Arrow table (cheap to read).
    """
    _check_region(region)
    src, _ = _quote_name(source), _quote_name(target)   # both checked: plain names
    columns = _source_columns(engine, source)
    with _Views(engine) as views:
        if copy_views and engine.is_view(source):  # read once per id type below: compute a view once
            src = views.materialize("source", src)
        rules_view = views.add("rules", _rules_table(engine, rules, region)) if rules else None
        lookups = _prepare(views, src, region, id_types, parse=False)
        typed = _typed_sql(src, columns, region, lookups, id_types)
        engine.create_table(target, _final_sql(typed, columns, rules_view), kind="table")
        _resolve_pending(views, target, region, rules_view)


def _resolve_pending(views: _Views, target: str, region: str, rules_view: str | None) -> None:
    """Decide the phone rows the SQL left pending (status NULL) with ``phonenumbers`` and update them.

    The distinct pending spellings are normalized again, this time with their cleaned forms parsed
    once each in Python (:func:`phones.parse_leftover`), and the results joined back by
    ``(id_type, raw)``; normalization depends on nothing else.
    """
    engine = views.engine
    src = views.create("pending", f"SELECT DISTINCT id_type, raw FROM {_quote_name(target)} WHERE status IS NULL")
    if not engine.count(src):
        return
    lookups = _prepare(views, src, region, ["phone"], parse=True)
    fixed = _final_sql(_typed_sql(src, ["id_type", "raw"], region, lookups, ["phone"]), ["id_type", "raw"],
                       rules_view)
    engine.update(target, {c: f"f.{c}" for c in OUTPUT_COLUMNS}, where="t.status IS NULL", source=fixed,
                  on=["id_type", "raw"])


# --- single-value helpers: the same SQL over a small in-memory table ----------------------------------
_HELPER: Final = DuckDBEngine(duckdb.connect(":memory:"))
_HELPER_LOCK: Final = threading.Lock()


def normalize_values(id_type: str, raws: Sequence[str | None], region: str = "CN", *,
                     rules: IdentifierRules | None = None) -> list[NormalizedValue]:
    """Normalize many raw values of one id type through the same SQL as :func:`normalize_identifiers`.

    Examples
    --------
    >>> [v.value for v in normalize_values("email", ["Zhang.Wei+shop@GoogleMail.com", "test@qq.con"])]
    ['zhangwei@gmail.com', None]
    """
    with _HELPER_LOCK:
        _HELPER.register_arrow("_linker_helper_in", _input_table([(id_type, raw) for raw in raws]))
        try:
            _normalize(_HELPER, "_linker_helper_in", "_linker_helper_out", region, rules,
                       [id_type if id_type in ID_TYPES else None], copy_views=False)
            rows = _HELPER.rows(f"SELECT {', '.join(OUTPUT_COLUMNS)} FROM _linker_helper_out ORDER BY _row")
        finally:
            _HELPER.drop("_linker_helper_in")
    return [NormalizedValue(*row) for row in rows]


def normalize_phone(raw: str | None, region: str = "CN", *,
                    rules: IdentifierRules | None = None) -> NormalizedValue:
    """Normalize one phone number to E.164.

    Examples
    --------
    >>> normalize_phone("＋86 １３８－１２３４－５６７８")
    NormalizedValue(value='+8613812345678', kind='mobile', status='usable', reason=None, rule_reason=None)
    >>> normalize_phone("138 0013 8000").reason
    'placeholder'
    """
    return normalize_values("phone", [raw], region, rules=rules)[0]


def normalize_email(raw: str | None, *, rules: IdentifierRules | None = None) -> NormalizedValue:
    """Normalize one e-mail address.

    Examples
    --------
    >>> normalize_email(" Zhang.Wei+shop@GoogleMail.com ").value
    'zhangwei@gmail.com'
    """
    return normalize_values("email", [raw], rules=rules)[0]


def normalize_device(raw: str | None, *, rules: IdentifierRules | None = None) -> NormalizedValue:
    """Normalize one device ID (IMEI, UUID-style IDFA/IDFV, Android ID).

    Examples
    --------
    >>> normalize_device("IMEI: 49-015420-323751-8").reason
    'placeholder_device'
    >>> normalize_device("{6d92078a-8246-4ba4-ae5b-76104861e7dc}").value
    'uuid:6D92078A-8246-4BA4-AE5B-76104861E7DC'
    """
    return normalize_values("device", [raw], rules=rules)[0]
