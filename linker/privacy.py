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

from linker.errors import ConfigError


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


def pseudonymize_ids(con: duckdb.DuckDBPyConnection, key: bytes) -> int:
    """Replace every customer and account id in the ingested tables by its keyed pseudonym.

    Runs right after ingest, so every later table and export carries pseudonyms only; whoever holds the key
    can compute the pseudonym of a known id (``linker explain`` does). HMAC runs once per distinct id.
    Returns the number of distinct ids replaced.
    """
    import pyarrow as pa

    def hmac_arrow(values):  # type: ignore[no-untyped-def]  # (DuckDB reads annotations; keep none)
        return pa.array([None if v is None else pseudonym(v, key=key) for v in values.to_pylist()], pa.string())

    con.create_function("linker_pseudonym", hmac_arrow, ["VARCHAR"], "VARCHAR", type="arrow")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE id_pseudonyms AS
        SELECT id, linker_pseudonym(id) AS pseudonym
        FROM (SELECT customer_id AS id FROM customers UNION SELECT account_id FROM accounts)
    """)
    for table, column in _ID_COLUMNS:
        con.execute(f"UPDATE {table} SET {column} = p.pseudonym FROM id_pseudonyms p WHERE {table}.{column} = p.id")
    count = con.execute("SELECT count(*) FROM id_pseudonyms").fetchall()[0][0]
    con.execute("DROP TABLE id_pseudonyms")
    con.remove_function("linker_pseudonym")
    return int(count)
