"""The demo data with every trap on, run stage by stage on DuckDB and on Spark, and rows compared.

The demo's ``mixed`` profile is ranges, names, the bank's export layout, hostile traps and interests at once.
Stages not yet run on Spark are run on DuckDB and their tables handed over to Spark (by Arrow), so that each
ported stage is compared on the same input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from linker.config import Config, load_config
from linker.demo_run import write_demo
from linker.engine import Engine

DEMO = {"customers": 240, "accounts": 700, "events": 3_000, "seed": 7, "profile": "mixed"}
"""Small enough for Spark local[2] in CI, large enough that every trap of the profile occurs."""


def demo_config(folder: Path) -> Config:
    """The demo's config, with the match model estimated even from the few candidate pairs of a small demo."""
    return load_config(write_demo(folder, **DEMO, file_format="csv"), {"resolution.training.min_pairs": 100})


def hand_over(source: Engine, target: Engine, *names: str) -> None:
    """Copy tables from one engine to the other (through Arrow, on the driver: test data only)."""
    for name in names:
        target.register_arrow(f"{name}_arrow", source.arrow(f"SELECT * FROM {name}"))
        target.create_table(name, f"SELECT * FROM {name}_arrow")
        target.drop(f"{name}_arrow")


def rows(engine: Engine, query: str, *, digits: int = 6) -> list[tuple[Any, ...]]:
    """The rows of ``query``, sorted, floats rounded, NaN as a string: comparable between engines."""
    return sorted((tuple(_comparable(v, digits) for v in row) for row in engine.rows(query)), key=repr)


def _comparable(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, digits) + 0.0
    if isinstance(value, dict):
        return tuple(sorted((k, _comparable(v, digits)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_comparable(v, digits) for v in value)
    if hasattr(value, "is_integer") and not isinstance(value, bool | int):   # Decimal
        return round(float(value), digits) + 0.0
    return value


def table_rows(engine: Engine, name: str, *, digits: int = 6) -> list[tuple[Any, ...]]:
    """Every row of a table, columns in name order (the engines may order them differently)."""
    columns = sorted(c for c, _ in engine.columns(name))
    return rows(engine, f"SELECT {', '.join(columns)} FROM {name}", digits=digits)
