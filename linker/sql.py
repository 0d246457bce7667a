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


def sql_double(value: float) -> str:
    """A float as a SQL literal that every engine reads as DOUBLE (``2.5`` alone is a DECIMAL, whose sums and
    rounding differ from a DOUBLE's).

    >>> sql_double(2.5), sql_double(1e-05), sql_double(-3.0)
    ('2.5e0', '1e-05', '-3.0e0')
    """
    text = repr(float(value))
    return text if "e" in text or "inf" in text or "nan" in text else text + "e0"
