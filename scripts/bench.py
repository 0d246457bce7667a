#!/usr/bin/env python
"""Benchmark the pipeline at one or more sizes: per stage wall time, rows per second, cost per row and peak
memory, the totals, and Splink's deterministic linking on the same identifiers (thin wrapper around
:func:`linker.bench.run_benchmark`); with --splink-model, Splink's probabilistic linkage too.

Examples::

    python scripts/bench.py 10k                  # 10,000 customers / 30,000 accounts / 300,000 events
    python scripts/bench.py 10k 100k 1m --json   # sizes: 10k, 100k, 1m, 5m (see linker.bench.SIZES)
    python scripts/bench.py 1m --splink-model    # + Splink's training and prediction on the run's tables
    python scripts/bench.py 100k --engine spark  # the stages Spark runs, on DuckDB and on Spark local[2]

--splink-model times, in a fresh process after the run, Splink 5 linking the run's customers and accounts with
the model of ``scripts/splink_baseline.py`` (its own training: prior, u by random sampling of
--splink-u-pairs pairs, EM; then prediction and the one-customer-per-account decision), reported beside the
run's resolve stage.

--engine spark times the stages that run on Spark (normalize and resolve, see ``linker.stages``) on DuckDB and
on Spark (``--master``, local[2] by default) from the same ingested tables, side by side
(:func:`linker.bench_engines.run_engine_benchmark`).

Data sets are generated once into ``--root/<size>/data`` (1m takes a few minutes) and reused; each run writes
into ``--root/<size>/out``. Splink comes with ``pip install -e '.[test]'``; without it the comparison is
skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from linker.bench import DEFAULT_ROOT, SIZES, format_report, run_benchmark


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each size (best of ``--repeat`` by pipeline time), print; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sizes", nargs="*", default=["10k"], choices=list(SIZES), metavar="SIZE",
                   help=f"one or more of {', '.join(SIZES)} (default 10k)")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"data and output folder ({DEFAULT_ROOT})")
    p.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest pipeline is reported")
    p.add_argument("--no-graph", dest="graph", action="store_false", help="skip the graph store load")
    p.add_argument("--no-splink", dest="splink", action="store_false", help="skip the Splink comparison")
    p.add_argument("--no-floor", dest="floor", action="store_false",
                   help="skip timing DuckDB only reading the inputs (the ingest stage's floor)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("--memory-limit", help="DuckDB memory limit (default: the config's, 5GB)")
    p.add_argument("--formats", nargs="+", choices=["parquet", "csv", "jsonl"],
                   help="export formats (default: all three; 'parquet' alone needs far less disk)")
    p.add_argument("--splink-model", action="store_true",
                   help="also time Splink's probabilistic training and prediction on the run's tables")
    p.add_argument("--splink-u-pairs", type=float, default=1e7,
                   help="pairs Splink samples for its u-probabilities (default 1e7)")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="spark: time the stages Spark runs on DuckDB and on Spark, side by side")
    p.add_argument("--master", default="local[2]", help="the Spark master of --engine spark (local[2])")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    if args.engine == "spark":
        return _engines(args)
    results = []
    for size in args.sizes:
        runs = [run_benchmark(size, root=args.root, graph=args.graph, splink=args.splink and i == 0,
                              floor=args.floor and i == 0,
                              threads=args.threads, memory_limit=args.memory_limit, formats=args.formats)
                for i in range(max(args.repeat, 1))]
        best = min(runs, key=lambda r: r["pipeline"]["seconds"])
        link = runs[0].get("linking")
        if link and "skipped" not in link:  # compared once; against the reported run's resolve stage
            resolve = next(s for s in best["stages"] if s["name"] == "resolve")
            best["linking"] = {**link, "resolve_seconds": resolve["seconds"]}
        if "floor" in runs[0]:  # timed once, like the comparison
            best["floor"] = runs[0]["floor"]
        if args.splink_model:  # on the last run's tables (every run reads the same data)
            best["splink_model"] = time_splink_model(args.root / size / "out", best, args.threads,
                                                     args.splink_u_pairs)
        results.append(best)
        if not args.json:
            print(format_report(best), end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    elif len(results) > 1:
        print("cost per input row (pipeline without the graph store):")
        for r in results:
            print(f"  {r['size']['name']:>5}: {r['input_rows']:>12,} rows {r['pipeline']['seconds']:>8.1f} s "
                  f"{r['pipeline']['us_per_input_row']:>8.2f} us/row")
    return 0


def _engines(args: argparse.Namespace) -> int:
    from linker.bench_engines import format_engine_report, run_engine_benchmark

    results = [run_engine_benchmark(size, root=args.root, master=args.master) for size in args.sizes]
    for result in results:
        if not args.json:
            print(format_engine_report(result), end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["same_counts"] for r in results) else 1


def time_splink_model(run_dir: Path, result: dict, threads: int | None, u_max_pairs: float) -> dict:
    """Splink's probabilistic linkage of a run, timed in a fresh process, beside the run's resolve stage."""
    from splink_baseline import bench_model

    from linker.bench import _in_child

    resolve = next(s for s in result["stages"] if s["name"] == "resolve")
    steps = json.loads((run_dir / "summary.json").read_text(encoding="utf-8")).get("model", {}).get("seconds", {})
    return {**_in_child(bench_model, run_dir, threads, u_max_pairs), "resolve_seconds": resolve["seconds"],
            "linker_training_seconds": steps.get("training"), "linker_scoring_seconds": steps.get("scoring")}


if __name__ == "__main__":
    sys.exit(main())
