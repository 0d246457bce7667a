"""Masking of personal values for logs and explanations, and keyed pseudonyms for exports.

Examples
--------
>>> mask_value("phone", "+8613812345678")
'+86 138****5678'
>>> mask_value("email", "zhangwei@gmail.com")
'z******i@gmail.com'
>>> mask_value("device", "imei:867530012345670")
'imei:***********5670'
>>> mask_name("张小伟"), mask_name("Zhang Wei")
('张*伟', 'Z**** W**')
>>> pseudonym("C000123", key=b"secret")
'p_5c9f68408efa5c22db47'
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import phonenumbers

if TYPE_CHECKING:
    import duckdb

from linker.errors import ConfigError
from linker.sql import quote_ident, quote_literal


def mask_value(id_type: str | None, value: str | None) -> str:
    """Mask an identifier value so that it can be recognised by its owner but not read by others."""
    if not value:
        return ""
    if id_type == "phone":
        return _mask_phone(value)
    if id_type == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return (local[0] + "*" * max(len(local) - 2, 1) + (local[-1] if len(local) > 2 else "")) + "@" + domain
    if id_type == "device" and ":" in value:
        kind, body = value.split(":", 1)
        return f"{kind}:{'*' * max(len(body) - 4, 0)}{body[-4:]}"
    return "*" * max(len(value) - 4, 0) + value[-4:]


def _mask_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return "*" * max(len(value) - 4, 0) + value[-4:]
    national = str(number.national_number)
    keep_head = 3 if len(national) >= 11 else 2
    middle = "*" * max(len(national) - keep_head - 4, 1)
    return f"+{number.country_code} {national[:keep_head]}{middle}{national[-4:]}"


def mask_name(name: str | None) -> str:
    """Keep the first character of each word (and the last of a CJK name); hide the rest."""
    if not name:
        return ""
    if " " not in name.strip() and not name.isascii():
        if len(name) <= 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


def pseudonym(value: str, *, key: bytes, length: int = 20) -> str:
    """A keyed pseudonym (HMAC-SHA256): stable for one key, not reversible without it."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return "p_" + digest[:length]


def pseudonym_key(env_var: str) -> bytes:
    """The pseudonym key from the environment.

    Raises
    ------
    ConfigError
        If the variable is unset or shorter than 16 characters.
    """
    key = os.environ.get(env_var, "")
    if len(key) < 16:
        raise ConfigError(f"output.pseudonymize needs a key of at least 16 characters in the environment "
                          f"variable {env_var} (it is {'unset' if not key else 'too short'})")
    return key.encode("utf-8")


# (table, column) pairs holding customer or account ids, in the run database after ingest
_ID_COLUMNS = (("customers", "customer_id"), ("transactions", "customer_id"),
               ("accounts", "account_id"), ("purchases", "account_id"), ("browsing", "account_id"))

_VALUE_COLUMNS = (("identifiers", "value"), ("hubs", "value"), ("identifier_degrees", "value"))
"""Identifier values after resolution, in tables that have an ``id_type`` column beside them."""
VALUE_FIELDS = ("value", "account_value", "customer_value")
"""Fields of nested evidence (structs) holding identifier values: they get pseudonyms."""
NAME_FIELDS = ("name", "names", "customer_name", "account_name", "birth_date")
"""Fields of nested evidence, and columns, holding names or birth dates: they are emptied."""
_PERSONAL_COLUMNS = {
    "customers": ("name", "names", "phones", "emails", "device_ids", "birth_date", "attributes"),
    "accounts": ("name", "names", "phones", "emails", "device_ids", "birth_date", "attributes"),
    "identifiers": ("raw",),
    "profiles": ("name", "birth_date"),
    "quarantine": ("record",),
}
"""Columns emptied at the end of a pseudonymized run (the record of a quarantined row: it is the input's)."""


@contextmanager
def _pseudonym_function(con: duckdb.DuckDBPyConnection, key: bytes) -> Iterator[str]:
    """Register ``linker_pseudonym(VARCHAR)`` on ``con`` for the block (HMAC once per distinct value)."""
    import pyarrow as pa

    cache: dict[str, str] = {}

    def hmac_arrow(values):  # type: ignore[no-untyped-def]  # (DuckDB reads annotations; keep none)
        out = []
        for v in values.to_pylist():
            if v is not None and v not in cache:
                cache[v] = pseudonym(v, key=key)
            out.append(None if v is None else cache[v])
        return pa.array(out, pa.string())

    con.create_function("linker_pseudonym", hmac_arrow, ["VARCHAR"], "VARCHAR", type="arrow")
    try:
        yield "linker_pseudonym"
    finally:
        con.remove_function("linker_pseudonym")


def pseudonymize_ids(con: duckdb.DuckDBPyConnection, key: bytes) -> int:
    """Replace every customer and account id in the ingested tables by its keyed pseudonym.

    Runs right after ingest, so every later table and export carries pseudonyms only; whoever holds the key
    can compute the pseudonym of a known id (``linker explain`` does). HMAC runs once per distinct id.
    Returns the number of distinct ids replaced.
    """
    with _pseudonym_function(con, key) as fn:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE id_pseudonyms AS
            SELECT id, {fn}(id) AS pseudonym
            FROM (SELECT customer_id AS id FROM customers UNION SELECT account_id FROM accounts)
        """)
    for table, column in _ID_COLUMNS:
        con.execute(f"UPDATE {table} SET {column} = p.pseudonym FROM id_pseudonyms p WHERE {table}.{column} = p.id")
    count = con.execute("SELECT count(*) FROM id_pseudonyms").fetchall()[0][0]
    con.execute("DROP TABLE id_pseudonyms")
    return int(count)


def pseudonymize_values(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Replace identifier values (phones, emails, devices) by keyed pseudonyms once resolution has compared them.

    Equal values keep equal pseudonyms, so what follows (device attribution, the graph's identifier nodes,
    hubs) is unchanged; a device keeps its kind (``imei:p_...``). Nested evidence is rewritten generically:
    every struct field named in :data:`VALUE_FIELDS` gets its pseudonym, every one in :data:`NAME_FIELDS` is
    emptied, in every list-of-struct or struct column of every table.
    """
    from linker.engine import table_exists

    with _pseudonym_function(con, key) as fn:
        for table, column in _VALUE_COLUMNS:
            if table_exists(con, table):
                con.execute(f"UPDATE {table} SET {column} = {_pseudonym_sql(fn, column, 'id_type')}")
        for table, column, is_list, fields in _struct_columns(con):
            con.execute(f"UPDATE {quote_ident(table)} SET {quote_ident(column)} = "
                        f"{_rewrite(fn, quote_ident(column), is_list, fields)}")


def erase_personal(con: duckdb.DuckDBPyConnection) -> None:
    """Empty names, birth dates, raw identifier lists, free attributes and quarantined records (the end of a
    pseudonymized run: after enrichment, which derives ages and needs from them)."""
    from linker.engine import table_exists

    for table, columns in _PERSONAL_COLUMNS.items():
        if not table_exists(con, table):
            continue
        present = {c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'",
            [table]).fetchall()}
        sets = ", ".join(f"{quote_ident(c)} = NULL" for c in columns if c in present)
        if sets:
            con.execute(f"UPDATE {table} SET {sets}")


def _pseudonym_sql(fn: str, value: str, id_type: str | None) -> str:
    device = f"split_part({value}, ':', 1) || ':' || {fn}({value})"
    if id_type is None:
        return f"CASE WHEN contains({value}, ':') THEN {device} ELSE {fn}({value}) END"
    return f"CASE WHEN {id_type} = 'device' AND contains({value}, ':') THEN {device} ELSE {fn}({value}) END"


def _struct_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, bool, list[tuple[str, str]]]]:
    """(table, column, is a list, [(field, type)]) of every main-schema column that is a struct or a list of
    structs with a field named in :data:`VALUE_FIELDS` or :data:`NAME_FIELDS`."""
    found = []
    for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' AND NOT internal "
            "AND data_type LIKE 'STRUCT(%' ORDER BY ALL").fetchall():
        dtype = con.sql(f"SELECT {quote_ident(column)} FROM {quote_ident(table)} LIMIT 0").types[0]
        is_list = dtype.id == "list"
        struct = dtype.child if is_list else dtype
        if struct.id != "struct":
            continue
        fields = [(name, str(child)) for name, child in struct.children]
        if {name for name, _ in fields} & {*VALUE_FIELDS, *NAME_FIELDS}:
            found.append((table, column, is_list, fields))
    return found


def _rewrite(fn: str, column: str, is_list: bool, fields: list[tuple[str, str]]) -> str:
    """SQL rebuilding the struct(s) of ``column``: value fields pseudonymized, name fields emptied."""
    def struct(e: str) -> str:
        id_type = f"{e}.id_type" if "id_type" in {name for name, _ in fields} else None
        parts = []
        for name, dtype in fields:
            item = f"{e}.{quote_ident(name)}"
            value = _pseudonym_sql(fn, item, id_type) if name in VALUE_FIELDS else \
                f"CAST(NULL AS {dtype})" if name in NAME_FIELDS else item
            parts.append(f"{quote_literal(name)}: {value}")
        return "{" + ", ".join(parts) + "}"

    return f"list_transform({column}, lambda e: {struct('e')})" if is_list else \
        f"CASE WHEN {column} IS NOT NULL THEN {struct(column)} END"
