"""Build the long ``identifiers`` table: one row per owner and identifier occurrence, normalized.

Owners are customers, accounts and (for device-only events) browsing events. Lists are unnested in SQL and
the values normalized by :func:`linker.normalize.normalize_identifiers`. Identifier types declared in the
configuration (``resolution.identifiers``: a national ID, a bank card ...) are read from the columns they name and
normalized by their recipe (or by a built-in normalizer), with the same status and reason codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from linker.config import IdentifierTypeConfig
from linker.engine import Engine, as_engine
from linker.contract import TABLES
from linker.normalize import IdentifierRules, normalize_identifiers
from linker.normalize.junk import BAD_FORMAT, EMPTY, INVALID, JUNK, REPEATED_DIGIT, USABLE
from linker.sql import quote_ident, quote_literal

# (list column, identifier type): customers also give, per value, ``<type>_since`` (held from) and
# ``<type>_confirmed`` (known to be held then)
_ROLES = (("phones", "phone"), ("emails", "email"), ("device_ids", "device"))


def build_identifiers(engine: Engine | duckdb.DuckDBPyConnection, *, region: str,
                      rules: IdentifierRules | None = None,
                      declared: Mapping[str, IdentifierTypeConfig] | None = None) -> int:
    """Create ``identifiers`` from ``customers``, ``accounts`` and ``browsing`` (and the ``declared`` identifier
    types); return its row count."""
    engine = as_engine(engine)
    declared = declared or {}
    parts = []
    for list_col, id_type in _ROLES:
        parts.append(_unnest("customers", "customer", "customer_id", list_col, id_type, dated=True))
        parts.append(_unnest("accounts", "account", "account_id", list_col, id_type, dated=False))
    for id_type, spec in declared.items():
        if spec.normalize in ("phone", "email", "device"):  # normalized as that type, renamed after
            parts += _declared_sources(id_type, spec, as_type=spec.normalize)
    parts.append("""
        SELECT 'browsing' AS owner_kind, event_id AS owner_id, 'device' AS id_type, device_id AS raw,
               CAST(NULL AS DATE) AS since, CAST(NULL AS DATE) AS confirmed, _row, 'browsing' AS source_table,
               _source, CAST(NULL AS VARCHAR) AS declared_type
        FROM browsing WHERE device_id IS NOT NULL""")
    engine.create_view("identifier_sources", " UNION ALL ".join(parts))
    normalize_identifiers(engine, "identifier_sources", "identifiers", region=region, rules=rules)
    if any(spec.normalize in ("phone", "email", "device") for spec in declared.values()):
        engine.update("identifiers", {"id_type": "declared_type"}, where="declared_type IS NOT NULL")
    engine.drop_columns("identifiers", ["declared_type"])
    engine.drop("identifier_sources")
    for id_type, spec in declared.items():
        if spec.normalize not in ("phone", "email", "device"):
            engine.insert("identifiers", _recipe_sql(id_type, spec), by_name=True)
    return engine.count("identifiers")


def column_sql(table: str, column: str, alias: str) -> str:
    """SQL for a declared column of ``customers`` or ``accounts``: the role of that name, else the source column
    kept in ``attributes``."""
    if column in TABLES[table].roles:
        return f"CAST({alias}.{quote_ident(column)} AS VARCHAR)"
    return f"{alias}.attributes[{quote_literal(column)}]"


def _declared_sources(id_type: str, spec: IdentifierTypeConfig, *, as_type: str | None = None) -> list[str]:
    """One SELECT per declared column of each side, in the layout of the identifier sources."""
    parts = []
    for table, kind, key in (("customers", "customer", "customer_id"), ("accounts", "account", "account_id")):
        for column in spec.columns(table):
            parts.append(f"""
                SELECT '{kind}' AS owner_kind, {key} AS owner_id, {quote_literal(as_type or id_type)} AS id_type,
                       {column_sql(table, column, 't')} AS raw, CAST(NULL AS DATE) AS since,
                       CAST(NULL AS DATE) AS confirmed, _row, '{table}' AS source_table, _source,
                       {quote_literal(id_type) if as_type else 'NULL'} AS declared_type
                FROM {table} t WHERE {column_sql(table, column, 't')} IS NOT NULL""")
    return parts


_RECIPES = {
    "digits": "regexp_replace(raw, '[^0-9]', '', 'g')",
    "alnum": "upper(regexp_replace(raw, '[^A-Za-z0-9]', '', 'g'))",
    "text": "lower(regexp_replace(trim(raw), '\\s+', ' ', 'g'))",
}


def _recipe_sql(id_type: str, spec: IdentifierTypeConfig) -> str:
    """The identifier rows of a declared type normalized by its recipe: empty -> junk, one character repeated ->
    junk, not matching ``pattern`` -> invalid."""
    value = _RECIPES[spec.normalize]
    pattern = f"NOT regexp_full_match(v, {quote_literal(spec.pattern)})" if spec.pattern else "FALSE"
    repeated = "(length(v) > 1 AND replace(v, left(v, 1), '') = '')"
    reason = (f"CASE WHEN v = '' THEN '{EMPTY}' WHEN {repeated} THEN '{REPEATED_DIGIT}' "
              f"WHEN {pattern} THEN '{BAD_FORMAT}' END")
    status = f"CASE WHEN v = '' OR {repeated} THEN '{JUNK}' WHEN {pattern} THEN '{INVALID}' ELSE '{USABLE}' END"
    return f"""
        SELECT owner_kind, owner_id, id_type, raw, since, confirmed, _row, source_table, _source,
               CASE WHEN ({status}) = '{USABLE}' THEN v END AS value, {quote_literal(spec.normalize)} AS kind,
               {status} AS status, {reason} AS reason, CAST(NULL AS VARCHAR) AS rule_reason
        FROM (SELECT *, {value} AS v FROM ({" UNION ALL ".join(_declared_sources(id_type, spec))}))"""


def _unnest(table: str, kind: str, key: str, list_col: str, id_type: str, *, dated: bool) -> str:
    def aligned(dates: str) -> str:
        """The date of the i-th value: one date applies to every value, else they pair by position."""
        return f"CASE WHEN len({dates}) = 1 THEN {dates}[1] ELSE {dates}[i] END" if dated else "CAST(NULL AS DATE)"

    return f"""
        SELECT '{kind}' AS owner_kind, {key} AS owner_id, '{id_type}' AS id_type, {list_col}[i] AS raw,
               {aligned(id_type + '_since')} AS since, {aligned(id_type + '_confirmed')} AS confirmed, _row,
               '{table}' AS source_table, _source, CAST(NULL AS VARCHAR) AS declared_type
        FROM (SELECT *, unnest(range(1, len({list_col}) + 1)) AS i FROM {table} WHERE len({list_col}) > 0)"""
