"""Customer parts: the enrichment's large per-customer statements run on one range of customers at a time.

Every aggregate and profile row belongs to one customer, so a statement restricted to a range of customers
gives exactly the rows the whole statement would give for them. Working part by part keeps each statement's
hash tables within the memory limit: at 1M customers the whole-table statements spilled to disk and took three
times longer per row than at 100k. Parts are contiguous ``customer_id`` ranges (not hashes), so that rows
appended part after part, each part sorted, make a table sorted by customer without a global sort, and a
range filter on such a table skips the other parts' row groups.

Examples
--------
>>> CustomerPart(None, None).where()
'TRUE'
>>> CustomerPart("C05", None).where("e.customer_id")
"e.customer_id >= 'C05'"
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from linker.sql import quote_literal


@dataclass(frozen=True)
class CustomerPart:
    """Customers with ``low <= customer_id < high`` (``None``: unbounded on that side)."""

    low: str | None
    high: str | None

    def where(self, column: str = "customer_id") -> str:
        """The SQL predicate selecting this part's rows by ``column``."""
        bounds = ([f"{column} >= {quote_literal(self.low)}"] if self.low is not None else []) + \
                 ([f"{column} < {quote_literal(self.high)}"] if self.high is not None else [])
        return " AND ".join(bounds) or "TRUE"


WHOLE = CustomerPart(None, None)
"""Every customer: one part."""


def write_into(table: str, first: bool) -> str:
    """The clause putting a part's rows in ``table``: the first part creates it, the next ones append.

    >>> write_into("profiles", True), write_into("profiles", False)
    ('CREATE OR REPLACE TABLE profiles AS', 'INSERT INTO profiles')
    """
    return f"CREATE OR REPLACE TABLE {table} AS" if first else f"INSERT INTO {table}"


def customer_parts(con: duckdb.DuckDBPyConnection, events: int, events_per_part: int) -> list[CustomerPart]:
    """Split the customers into ranges of about equal size, as many as ``events / events_per_part`` (at least one).

    The boundaries are quantiles of the ``customers`` table's ids; the parts cover every id, including ids of
    events whose customer is not in ``customers``.
    """
    count = max(1, math.ceil(events / max(1, events_per_part)))
    if count == 1:
        return [WHOLE]
    fractions = ", ".join(f"{i / count:.6f}" for i in range(1, count))
    bounds = con.execute(f"SELECT quantile_disc(customer_id, [{fractions}]) FROM customers").fetchall()[0][0]
    edges = sorted(set(b for b in bounds or [] if b is not None))
    lows: list[str | None] = [None, *edges]
    highs: list[str | None] = [*edges, None]
    return [CustomerPart(low, high) for low, high in zip(lows, highs)]
