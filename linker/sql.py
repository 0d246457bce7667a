"""Small helpers to build SQL text safely: quoting of identifiers and literals.

Values from users (file names, column names) are quoted with these; data values are passed as parameters.
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote an identifier (column or table name) for DuckDB and ANSI SQL.

    >>> print(quote_ident('phone "home" 2'))
    "phone ""home"" 2"
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal.

    >>> quote_literal("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"
