#!/usr/bin/env python
"""Find the hot spots: run the pipeline on a config and print every SQL statement that took long, with its wall
and CPU seconds, stage by stage (the profiler used for issue 5's work).

    python scripts/profile_statements.py /tmp/linker-bench/100k/linker.toml --min-seconds 0.5
    python scripts/profile_statements.py /tmp/linker-bench/1m/linker.toml --stop-after enrich

The run writes into the config's output folder (or ``--output``), without the graph store unless ``--graph``.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import linker.engine.duckdb as duckdb_engine
import linker.pipeline as pipeline
from linker.config import load_config


class _TimedConnection:
    """A DuckDB connection whose ``execute`` prints the statements slower than ``min_seconds``."""

    def __init__(self, con: Any, min_seconds: float) -> None:
        object.__setattr__(self, "_con", con)
        object.__setattr__(self, "_min", min_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = self._con.execute(sql, *args, **kwargs)
        seconds = time.perf_counter() - wall
        if seconds >= self._min:
            caller = sys._getframe(1).f_code.co_name
            text = re.sub(r"\s+", " ", sql).strip()
            print(f"{seconds:8.2f} {time.process_time() - cpu:8.2f}  {caller:<26} {text[:100]}", flush=True)
        return result


class _Stop(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the pipeline with timed statements; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path, help="linker.toml of the run")
    p.add_argument("--output", type=Path, help="output folder (default: the config's)")
    p.add_argument("--min-seconds", type=float, default=0.5, help="print statements at least this slow")
    p.add_argument("--stop-after", help="stop after this stage (ingest, normalize, resolve, enrich, export)")
    p.add_argument("--graph", action="store_true", help="also load the graph store")
    args = p.parse_args(argv)
    overrides: dict[str, Any] = {"output.graph_store": args.graph}
    if args.output:
        overrides["output.dir"] = str(args.output)
    config = load_config(args.config, overrides)
    open_database = duckdb_engine.open_database   # the run's engine opens its database through it
    duckdb_engine.open_database = lambda *a, **k: _TimedConnection(open_database(*a, **k), args.min_seconds)

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        print(f"--- {name}\n{'wall s':>8} {'cpu s':>8}  {'function':<26} statement", flush=True)
        yield
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"=== {name}: wall {time.perf_counter() - wall:.2f} s, cpu {time.process_time() - cpu:.2f} s, "
              f"peak {peak:,.0f} MB", flush=True)
        if name == args.stop_after:
            raise _Stop

    started = time.perf_counter()
    try:
        pipeline.run(config, stage_hook=stage)
    except _Stop:
        pass
    finally:
        duckdb_engine.open_database = open_database
    print(f"total {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
