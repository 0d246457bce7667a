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
from typing import TYPE_CHECKING

import phonenumbers

if TYPE_CHECKING:
    import duckdb

    from linker.engine import Engine

from linker.engine.base import ArrowFunction
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
    "account_name_flags": ("name",),   # kept for an update, which a pseudonymized run does not take
    "profiles": ("name", "birth_date"),
    "quarantine": ("record",),
}
"""Columns emptied at the end of a pseudonymized run (the record of a quarantined row: it is the input's)."""


PSEUDONYM_FUNCTION = "linker_pseudonym"
"""The SQL name of the keyed pseudonym function (see :func:`pseudonym_function`)."""


def pseudonym_function(key: bytes) -> ArrowFunction:
    """``linker_pseudonym(VARCHAR)``: :func:`pseudonym` of each value, over Arrow batches, HMAC once per distinct
    value of a batch; DuckDB calls it on its vectors, Spark in its executors.

    >>> import pyarrow as pa
    >>> pseudonym_function(b"secret").function(pa.array(["C000123", None, "C000123"])).to_pylist()
    ['p_5c9f68408efa5c22db47', None, 'p_5c9f68408efa5c22db47']
    """
    cache: dict[str, str] = {}   # per process: DuckDB's, or each Spark worker's

    def hmac_arrow(values):  # type: ignore[no-untyped-def]  # (DuckDB reads annotations; keep none)
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        digests = []
        for value in encoded.dictionary.to_pylist():
            if value not in cache:
                cache[value] = pseudonym(value, key=key)
            digests.append(cache[value])
        return pc.take(pa.array(digests, pa.string()), encoded.indices)

    return ArrowFunction(PSEUDONYM_FUNCTION, hmac_arrow, ("VARCHAR",), "VARCHAR")


def pseudonymize_ids(engine: Engine | duckdb.DuckDBPyConnection, key: bytes) -> int:
    """Replace every customer and account id in the ingested tables by its keyed pseudonym.

    Runs right after ingest, so every later table and export carries pseudonyms only; whoever holds the key
    can compute the pseudonym of a known id (``linker explain`` does). HMAC runs once per distinct id, in a
    Python step over Arrow batches (on Spark, in the executors).
    Returns the number of distinct ids replaced.
    """
    from linker.engine import as_engine

    engine = as_engine(engine)
    engine.register_function(pseudonym_function(key))
    engine.create_table("id_pseudonyms", f"""
        SELECT id, {PSEUDONYM_FUNCTION}(id) AS pseudonym
        FROM (SELECT customer_id AS id FROM customers UNION SELECT account_id FROM accounts)
    """)
    for table, column in _ID_COLUMNS:
        engine.update(table, {column: "f.pseudonym"}, on=[column],
                      source=f"SELECT id AS {quote_ident(column)}, pseudonym FROM id_pseudonyms")
    count = engine.count("id_pseudonyms")
    engine.drop("id_pseudonyms")
    return count


def pseudonymize_values(engine: Engine | duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Replace identifier values (phones, emails, devices) by keyed pseudonyms once resolution has compared them.

    Equal values keep equal pseudonyms, so what follows (device attribution, the graph's identifier nodes,
    hubs) is unchanged; a device keeps its kind (``imei:p_...``). Nested evidence is rewritten generically:
    every struct field named in :data:`VALUE_FIELDS` gets its pseudonym, every one in :data:`NAME_FIELDS` is
    emptied, in every list-of-struct or struct column of every table.
    """
    from linker.engine import as_engine

    engine = as_engine(engine)
    engine.register_function(pseudonym_function(key))
    fn = PSEUDONYM_FUNCTION
    for table, column in _VALUE_COLUMNS:
        if engine.exists(table):
            engine.update(table, {column: _pseudonym_sql(fn, quote_ident(column), "id_type")})
    nested = _struct_columns(engine)
    if engine.name == "spark":   # Spark calls no Python function inside a lambda: a Python step per batch
        for table in dict.fromkeys(t for t, *_ in nested):
            columns = [c for t, c, *_ in nested if t == table]
            schema = engine.arrow(f"SELECT * FROM {table} LIMIT 0").schema
            engine.map_batches(table, f"SELECT * FROM {table}", _NestedRewrite(key, columns), schema,
                               kind="table")
        return
    for table, column, is_list, fields in nested:
        engine.update(table, {column: _rewrite(fn, quote_ident(column), is_list, fields)})


def erase_personal(engine: Engine | duckdb.DuckDBPyConnection) -> None:
    """Empty names, birth dates, raw identifier lists, free attributes and quarantined records (the end of a
    pseudonymized run: after enrichment, which derives ages and needs from them)."""
    from linker.engine import as_engine

    engine = as_engine(engine)
    for table, columns in _PERSONAL_COLUMNS.items():
        if not engine.exists(table):
            continue
        present = {c for c, _ in engine.columns(table)}
        erased = {c: "NULL" for c in columns if c in present}
        if erased:
            engine.update(table, erased)


def _pseudonym_sql(fn: str, value: str, id_type: str | None) -> str:
    device = f"split_part({value}, ':', 1) || ':' || {fn}({value})"
    if id_type is None:
        return f"CASE WHEN contains({value}, ':') THEN {device} ELSE {fn}({value}) END"
    return f"CASE WHEN {id_type} = 'device' AND contains({value}, ':') THEN {device} ELSE {fn}({value}) END"


def _struct_columns(engine: Engine) -> list[tuple[str, str, bool, list[tuple[str, str]]]]:
    """(table, column, is a list, [(field, DuckDB type)]) of every column of the engine's tables that is a struct
    or a list of structs with a field named in :data:`VALUE_FIELDS` or :data:`NAME_FIELDS`."""
    from sqlglot import exp

    found = []
    for table in engine.tables():
        if engine.is_view(table):
            continue
        for column, dtype in engine.columns(table):
            if not dtype.startswith("STRUCT("):
                continue
            node = exp.DataType.build(dtype, dialect="duckdb")
            is_list = node.this == exp.DataType.Type.ARRAY
            struct = node.expressions[0] if is_list else node
            if struct.this != exp.DataType.Type.STRUCT:
                continue
            fields = [(f.name, f.args["kind"].sql(dialect="duckdb")) for f in struct.expressions]
            if {name for name, _ in fields} & {*VALUE_FIELDS, *NAME_FIELDS}:
                found.append((table, column, is_list, fields))
    return found


class _NestedRewrite:
    """A Python step over Arrow batches: in the struct (or list of structs) ``columns``, value fields get their
    pseudonyms (a device keeps its kind) and name fields are emptied, as :func:`_rewrite` does in SQL."""

    def __init__(self, key: bytes, columns: list[str]) -> None:
        self.key, self.columns = key, columns
        self.cache: dict[tuple[str | None, str], str] = {}

    def __call__(self, batch):  # type: ignore[no-untyped-def]
        import pyarrow as pa

        arrays = [self._column(batch.column(i)) if name in self.columns else batch.column(i)
                  for i, name in enumerate(batch.schema.names)]
        return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)

    def _column(self, column):  # type: ignore[no-untyped-def]
        import pyarrow as pa

        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            structs = self._structs(column.values)
            return type(column).from_arrays(column.offsets, structs, mask=column.is_null())
        return self._structs(column)

    def _structs(self, structs):  # type: ignore[no-untyped-def]
        import pyarrow as pa

        names = [f.name for f in structs.type]
        children = structs.flatten()
        id_types = children[names.index("id_type")].to_pylist() if "id_type" in names else None
        out = []
        for name, child in zip(names, children, strict=True):
            if name in VALUE_FIELDS:
                values = child.to_pylist()
                kinds = id_types if id_types is not None else [None] * len(values)
                child = pa.array([None if v is None else self._pseudonym(id_types is not None, k, v)
                                  for k, v in zip(kinds, values, strict=True)], child.type)
            elif name in NAME_FIELDS:
                child = pa.nulls(len(child), child.type)
            out.append(child)
        return pa.StructArray.from_arrays(out, fields=list(structs.type), mask=structs.is_null())

    def _pseudonym(self, typed: bool, id_type: str | None, value: str) -> str:
        """As :func:`_pseudonym_sql`: a device value keeps its kind (any value with a kind when ``typed`` is
        false: the struct has no ``id_type``)."""
        if (id_type, value) not in self.cache:
            keeps_kind = ":" in value and (id_type == "device" or not typed)
            self.cache[(id_type, value)] = (value.split(":", 1)[0] + ":" if keeps_kind else "") + \
                pseudonym(value, key=self.key)
        return self.cache[(id_type, value)]


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
