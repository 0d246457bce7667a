"""Need baselines: the population's means that engagement is measured against, saved by a run and reusable.

A run learns, per need, the mean of each engagement measure over the customers active in the need's window
(:func:`linker.enrich.engagement.build_need_scores`) and saves them beside its match model as ``baselines.json``.
A later run given that file (``enrichment.baselines_file``; ``linker update`` always takes the previous run's)
measures engagement against those means instead of its own population's. Then a customer's needs change only
with the customer's own events and the passing days, not because other customers bought more or less: an update's
change log lists the needs that fired or expired for a reason found in that customer's behaviour, and an update
gives the needs that a full run with the same model and baselines gives.

A need the file does not hold, or holds for another window (the signals file changed since), is learned from the
run's data as before; ``learned_as_of`` says which population each baseline comes from.

Examples
--------
>>> import duckdb, tempfile
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE need_baselines AS SELECT 'camera' AS need, 30 AS window_days, 10 AS population, "
...                 "1.5 AS weighted_events, 120.0 AS spend, 2.0 AS active_days, 1.2 AS breadth, "
...                 "DATE '2026-12-01' AS learned_as_of")
>>> path = save_baselines(con, Path(tempfile.mkdtemp()) / "baselines.json")
>>> load_baselines(path).to_pylist()[0]["spend"]
120.0
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linker.engine import Engine, as_engine
from linker.errors import ConfigError
from linker.export.files import write_json

FORMAT = "linker-need-baselines/1"

MEANS = ("weighted_events", "spend", "active_days", "breadth")
"""The population's mean of each engagement measure (the lifts' denominators)."""

SCHEMA = pa.schema([("need", pa.string()), ("window_days", pa.int64()), ("population", pa.int64()),
                    *((m, pa.float64()) for m in MEANS), ("learned_as_of", pa.date32())])
"""Columns of ``need_baselines`` and of the saved file's rows."""


def save_baselines(engine: Engine | duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Write the run's ``need_baselines`` to ``path`` (JSON, atomically); return the path."""
    columns = SCHEMA.names
    typed = ", ".join(["need", "CAST(window_days AS BIGINT)", "CAST(population AS BIGINT)",
                       *(f"CAST({m} AS DOUBLE)" for m in MEANS), "CAST(learned_as_of AS DATE)"])
    rows = [dict(zip(columns, row, strict=True))
            for row in as_engine(engine).rows(f"SELECT {typed} FROM need_baselines ORDER BY need")]
    for row in rows:
        row["learned_as_of"] = row["learned_as_of"].isoformat()
    return write_json(path, {"format": FORMAT, "baselines": rows})


def load_baselines(path: Path) -> pa.Table:
    """The baselines saved in ``path``, as a table of :data:`SCHEMA`.

    Raises
    ------
    ConfigError
        Naming the file and what is wrong with it: missing, not JSON, another format, or a row without a need,
        a positive window, a population or finite, non-negative means.
    """
    where = f"enrichment.baselines_file {path}"
    try:
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file; name the baselines.json of an earlier run, or remove the "
                          "setting to learn the baselines from this run's data") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{where}: cannot be read as JSON ({type(e).__name__}); name the baselines.json "
                          "an earlier run wrote") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or not isinstance(saved.get("baselines"), list):
        raise ConfigError(f"{where}: not a need baselines file of this linker (format {FORMAT!r} expected); name "
                          "the baselines.json an earlier run wrote")
    rows = [_checked(row, n, where) for n, row in enumerate(saved["baselines"], start=1)]
    seen: dict[tuple[str, int], int] = {}
    for n, row in enumerate(rows, start=1):
        first = seen.setdefault((row["need"], row["window_days"]), n)
        if first != n:
            raise ConfigError(f"{where}, baseline {n}: a second baseline of need {row['need']!r} over "
                              f"{row['window_days']} days (the first is baseline {first}); keep one")
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _checked(row: Any, n: int, where: str) -> dict[str, Any]:
    def bad(what: str) -> ConfigError:
        return ConfigError(f"{where}, baseline {n}: {what}; write the file again with a run (its baselines.json)")

    if not isinstance(row, dict):
        raise bad("not an object")
    if not isinstance(row.get("need"), str) or not row["need"]:
        raise bad("no need name")
    window, population = row.get("window_days"), row.get("population")
    if not isinstance(window, int) or isinstance(window, bool) or window <= 0:
        raise bad(f"window_days must be a positive whole number of days, not {window!r}")
    if not isinstance(population, int) or isinstance(population, bool) or population < 0:
        raise bad(f"population must be a count of customers, not {population!r}")
    means = {}
    for m in MEANS:
        value = row.get(m)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)
                                  or not math.isfinite(value) or value < 0):
            raise bad(f"{m} must be a non-negative number or null, not {value!r}")
        means[m] = None if value is None else float(value)
    written = row.get("learned_as_of")
    try:
        learned = date.fromisoformat(written) if isinstance(written, str) else None
    except ValueError:
        learned = None
    if learned is None:
        raise bad(f"learned_as_of must be a date YYYY-MM-DD, not {written!r}")
    return {"need": row["need"], "window_days": window, "population": population, **means,
            "learned_as_of": learned}
