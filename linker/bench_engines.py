"""Benchmark the stages that run on every engine (:mod:`linker.stages`), on DuckDB and on Spark, side by side.

:func:`run_engine_benchmark` ingests the generated data set of a size on DuckDB (ingest does not run on Spark
yet), hands the tables the ported stages read to Spark as Parquet, then times normalize and resolve (with
resolve's own steps) on each engine in turn, from the same tables, and checks that both give the same counts.
It runs in a fresh process, like :func:`linker.bench.run_benchmark`. ``scripts/bench.py --engine spark`` is
the command line; :func:`format_engine_report` prints a result.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from linker.bench import DEFAULT_ROOT, SIZES, Size, _in_child, prepare

PORTED = ("normalize", "resolve")
"""The stages timed on both engines."""


def run_engine_benchmark(size: str | Size, *, root: Path = DEFAULT_ROOT, master: str = "local[2]",
                         seed: int = 42) -> dict[str, Any]:
    """Time the ported stages on DuckDB and on Spark (``master``) on the data set of ``size``.

    Returns
    -------
    dict
        ``size``, ``ingest_seconds`` (DuckDB), ``handover_seconds`` (Parquet written by DuckDB, read by
        Spark), and per engine (``duckdb``, ``spark``) the ``stages`` (name, seconds, rows), resolve's
        ``steps`` (seconds per step) and its ``counts``; ``same_counts`` says whether the engines agree.
    """
    size = SIZES[size] if isinstance(size, str) else size
    config = prepare(size, root, seed=seed)
    result = _in_child(_time_engines, config, master)
    return {"size": {"name": size.name, "customers": size.customers, "accounts": size.accounts,
                     "events": size.events}, "master": master, **result}


def _time_engines(config_path: Path, master: str) -> dict[str, Any]:
    import duckdb

    from linker.config import SparkConfig, load_config
    from linker.engine import DuckDBEngine
    from linker.engine.spark import SparkEngine
    from linker.ingest import ingest
    from linker.rules import load_rules
    from linker.stages import STAGE

    folder = config_path.parent / "engines"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = load_config(config_path, {"output.dir": str(folder / "out")})
    rules = load_rules(config.resolution.rules_file)
    inputs = sorted({t for s in PORTED for t in STAGE[s].reads} - {t.name for s in PORTED for t in STAGE[s].writes})
    started = time.perf_counter()
    con = duckdb.connect(str(folder / "ingest.duckdb"))
    ingest(con, config, workdir=folder / "work")
    ingest_seconds = time.perf_counter() - started
    duck = DuckDBEngine(con)
    started = time.perf_counter()
    spark = SparkEngine.start(SparkConfig(master=master), folder)
    for table in inputs:
        path = folder / "handover" / f"{table}.parquet"
        path.parent.mkdir(exist_ok=True)
        duck.write_parquet(f"SELECT * FROM {table}", path)
        spark.read_parquet(table, path)
    handover_seconds = time.perf_counter() - started
    engines = {}
    try:
        for engine in (duck, spark):
            engines[engine.name] = _time_stages(engine, config, rules)
    finally:
        spark.close()
        duck.close()
    return {"ingest_seconds": round(ingest_seconds, 3), "handover_seconds": round(handover_seconds, 3),
            "engines": engines,
            "same_counts": engines["duckdb"]["counts"] == engines["spark"]["counts"]}


def _time_stages(engine: Any, config: Any, rules: Any) -> dict[str, Any]:
    from linker.normalize.identifiers import build_identifiers
    from linker.resolve import resolve

    started = time.perf_counter()
    identifiers = build_identifiers(engine, region=config.region, rules=rules.identifiers,
                                    declared=config.resolution.identifiers)
    normalize = time.perf_counter() - started
    started = time.perf_counter()
    resolution = resolve(engine, config.resolution, rules)
    resolve_seconds = time.perf_counter() - started
    return {"stages": [{"name": "normalize", "seconds": round(normalize, 3), "rows": identifiers},
                       {"name": "resolve", "seconds": round(resolve_seconds, 3),
                        "rows": resolution.counts["candidate pairs"]}],
            "steps": resolution.seconds, "counts": {"identifiers": identifiers, **resolution.counts}}


def format_engine_report(result: dict[str, Any]) -> str:
    """The figures of :func:`run_engine_benchmark` as a plain-text table, one column per engine.

    Examples
    --------
    >>> stages = lambda n, r: {"stages": [{"name": "normalize", "seconds": n, "rows": 10},
    ...                                   {"name": "resolve", "seconds": r, "rows": 4}],
    ...                        "steps": {"candidates": r}, "counts": {}}
    >>> print(format_engine_report({"size": {"name": "x", "customers": 1, "accounts": 2, "events": 3},
    ...     "master": "local[2]", "ingest_seconds": 1.0, "handover_seconds": 2.0, "same_counts": True,
    ...     "engines": {"duckdb": stages(1.0, 2.0), "spark": stages(30.0, 60.0)}}).splitlines()[3])
    normalize              1.0        30.0         10
    """
    size, duck, spark = result["size"], result["engines"]["duckdb"], result["engines"]["spark"]
    lines = [(f"size {size['name']}: {size['customers']:,} customers / {size['accounts']:,} accounts / "
              f"{size['events']:,} events; Spark master {result['master']}"),
             "",
             f"{'stage':<15}{'duckdb s':>11}{'spark s':>12}{'rows':>11}"]
    for d, s in zip(duck["stages"], spark["stages"], strict=True):
        lines.append(f"{d['name']:<15}{d['seconds']:>11.1f}{s['seconds']:>12.1f}{d['rows']:>11,}")
    for step, seconds in duck["steps"].items():
        lines.append(f"  {step:<13}{seconds:>11.1f}{spark['steps'].get(step, float('nan')):>12.1f}")
    lines += ["", (f"ingest on DuckDB {result['ingest_seconds']:.1f} s; tables handed to Spark as Parquet "
                   f"{result['handover_seconds']:.1f} s (session start included)"),
              f"same counts on both engines: {'yes' if result['same_counts'] else 'NO'}"]
    return "\n".join(lines)
