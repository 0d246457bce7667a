#!/usr/bin/env python
"""Benchmark the pipeline at one or more sizes beside a reference pipeline: per stage wall and CPU time, rows per
second, cost per row and peak memory, the totals, the ratios to the reference, and Splink's deterministic
linking on the same identifiers (thin wrapper around :func:`linker.bench.run_benchmark` and
:mod:`linker.bench_reference`); with --splink-model, Splink's probabilistic linkage too.

Examples::

    python scripts/bench.py 10k                  # 10,000 customers / 30,000 accounts / 300,000 events
    python scripts/bench.py 10k 100k 1m --json   # sizes: 10k, 100k, 1m, 5m (see linker.bench.SIZES)
    python scripts/bench.py 1m --repeat 2        # linker, reference, linker, reference: best of each compared
    python scripts/bench.py 100k --reference /path/to/reference_pipeline.py
    python scripts/bench.py 1m --splink-model    # + Splink's training and prediction on the run's tables
    python scripts/bench.py 100k --update        # linker update with a day of data against a full run
    python scripts/bench.py 100k --engine spark  # the whole pipeline on DuckDB, then on Spark local[2]

The reference pipeline (plain DuckDB SQL doing less than linker, ``reference_pipeline.py``, kept outside the
repository) runs on the same Parquet inputs after each linker run, in its own process, with the same DuckDB
threads (and memory limit when --memory-limit is given); it is looked for at --reference, then
$LINKER_REFERENCE_PIPELINE, then ``../shared/perf/`` beside the repository and ``/work/shared/perf/``. When it
is not found the benchmark says so and runs linker alone.

--splink-model times, in a fresh process after the run, Splink 5 linking the run's customers and accounts with
the model of ``scripts/splink_baseline.py`` (its own training: prior, u by random sampling of
--splink-u-pairs pairs, EM; then prediction and the one-customer-per-account decision), reported beside the
run's resolve stage.

--engine spark runs the whole pipeline (``linker run``, the graph store included unless --no-graph) on the same
data set once on DuckDB and once on Spark (``--master``, local[2] by default), each in a fresh process, and
prints per stage the wall and CPU seconds of both with their ratio, resolve's steps, the totals, each run's peak
memory (on Spark the JVM's included) and whether the two runs' outputs agree: their counts, links by decision,
clusters, profiles and the rows of every Parquet output (:func:`linker.bench_engines.run_engine_benchmark`); the
exit code is 1 when they do not (or a run fails: the report then shows the stages it finished and why). --spark-conf
KEY=VALUE (repeatable) adds a Spark setting to the Spark run.

Data sets are generated once into ``--root/<size>/data`` (1m takes a few minutes) and reused; each run writes
into ``--root/<size>/out``. Splink comes with ``pip install -e '.[test]'``; without it the comparison is
skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from linker.bench import DEFAULT_ROOT, SIZES, format_report, prepare, run_benchmark
from linker.bench_reference import compare, find_reference, format_comparison, reference_missing_message, run_reference


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run each size (best of ``--repeat`` by pipeline time), print; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sizes", nargs="*", default=["10k"], choices=list(SIZES), metavar="SIZE",
                   help=f"one or more of {', '.join(SIZES)} (default 10k)")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"data and output folder ({DEFAULT_ROOT})")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per size, linker and the reference alternating; the fastest of each is compared")
    p.add_argument("--reference", type=Path,
                   help="the reference pipeline script (default: $LINKER_REFERENCE_PIPELINE, "
                        "../shared/perf/reference_pipeline.py beside the repository, /work/shared/perf/)")
    p.add_argument("--no-reference", dest="with_reference", action="store_false",
                   help="run linker alone, without the reference pipeline")
    p.add_argument("--no-graph", dest="graph", action="store_false", help="skip the graph store load")
    p.add_argument("--no-splink", dest="splink", action="store_false", help="skip the Splink comparison")
    p.add_argument("--no-floor", dest="floor", action="store_false",
                   help="skip timing DuckDB only reading the inputs (the ingest stage's floor) and LadybugDB's bare "
                        "COPY of the run's graph from Parquet (the graph store's)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("--memory-limit", help="DuckDB memory limit (default: the config's, 3GB)")
    p.add_argument("--formats", nargs="+", choices=["parquet", "csv", "jsonl"],
                   help="export formats (default: the config's, Parquet only; csv and jsonl add the text copies)")
    p.add_argument("--aggregates", action="store_true",
                   help="also write the aggregates (output.aggregates), as linker run --aggregates does")
    p.add_argument("--splink-model", action="store_true",
                   help="also time Splink's probabilistic training and prediction on the run's tables")
    p.add_argument("--splink-u-pairs", type=float, default=1e7,
                   help="pairs Splink samples for its u-probabilities (default 1e7)")
    p.add_argument("--update", action="store_true",
                   help="time `linker update` with 1%% new accounts and a day of events against a full run "
                        "(linker.bench_update)")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="spark: run the whole pipeline on DuckDB and on Spark (--master), side by side")
    p.add_argument("--master", default="local[2]", help="the Spark master of --engine spark (local[2])")
    p.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                   help="a Spark setting of --engine spark's Spark run (engine.spark.config); repeatable")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    if args.update:
        return bench_update(args)
    if args.engine == "spark":
        return _engines(args)
    reference = find_reference(args.reference) if args.with_reference else None
    if args.with_reference and reference is None:
        print(reference_missing_message(args.reference), file=sys.stderr, flush=True)
    results = []
    for size in args.sizes:
        runs, references = [], []
        for i in range(max(args.repeat, 1)):
            runs.append(run_benchmark(size, root=args.root, graph=args.graph, splink=args.splink and i == 0,
                                      floor=args.floor and i == 0, threads=args.threads,
                                      memory_limit=args.memory_limit, formats=args.formats,
                                      aggregates=args.aggregates))
            if reference is not None:
                references.append(_run_reference(reference, args, size))
        best = min(runs, key=lambda r: r["pipeline"]["seconds"])
        if reference is not None:
            best["reference"] = {"script": str(reference), "size": size, "rows": compare(runs, references),
                                 "linker_peak_mb": [r["pipeline"]["peak_rss_mb"] for r in runs],
                                 "reference_peak_mb": [r["peak_rss_mb"] for r in references],
                                 "runs": references}
        elif args.with_reference:
            best["reference"] = {"missing": reference_missing_message(args.reference)}
        link = runs[0].get("linking")
        if link and "skipped" not in link:  # compared once; against the reported run's resolve stage
            resolve = next(s for s in best["stages"] if s["name"] == "resolve")
            best["linking"] = {**link, "resolve_seconds": resolve["seconds"]}
        for floor in ("floor", "graph_floor"):  # timed once, like the comparison
            if floor in runs[0]:
                best[floor] = runs[0][floor]
        if args.splink_model:  # on the last run's tables (every run reads the same data)
            best["splink_model"] = time_splink_model(args.root / size / "out", best, args.threads,
                                                     args.splink_u_pairs)
        results.append(best)
        if not args.json:
            print(format_report(best), end="\n\n", flush=True)
            if "rows" in best.get("reference", {}):
                print(format_comparison(best["reference"]), end="\n\n", flush=True)
            elif "reference" in best:
                print(best["reference"]["missing"], end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    elif len(results) > 1:
        print("cost per input row (pipeline without the graph store):")
        for r in results:
            print(f"  {r['size']['name']:>5}: {r['input_rows']:>12,} rows {r['pipeline']['seconds']:>8.1f} s "
                  f"{r['pipeline']['us_per_input_row']:>8.2f} us/row")
    return 0


def bench_update(args: argparse.Namespace) -> int:
    """``--update``: the update against the full run at each size."""
    from linker.bench_update import format_update_report, run_update_benchmark

    results = [run_update_benchmark(size, root=args.root, formats=args.formats, graph=args.graph)
               for size in args.sizes]
    for result in results:
        if not args.json:
            print(format_update_report(result), end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


def _run_reference(script: Path, args: argparse.Namespace, size: str) -> dict[str, Any]:
    """The reference pipeline on the size's data set, with linker's threads (and memory limit when given)."""
    data = prepare(SIZES[size], args.root).parent / "data"
    print(f"bench: reference pipeline {script} ...", file=sys.stderr, flush=True)
    figures = run_reference(script, data, args.root / size / "reference", threads=args.threads or os.cpu_count(),
                            memory_limit=args.memory_limit)
    print(f"bench: reference done in {figures['wall_seconds']:.1f} s", file=sys.stderr, flush=True)
    return figures


def _engines(args: argparse.Namespace) -> int:
    from linker.bench_engines import format_engine_report, run_engine_benchmark

    spark_config = {}
    for setting in args.spark_conf:
        key, equals, value = setting.partition("=")
        if not equals or not key.strip():
            print(f"bench: --spark-conf {setting!r} is not KEY=VALUE (e.g. spark.driver.memory=4g)", file=sys.stderr)
            return 2
        spark_config[key.strip()] = value.strip()
    results = []
    for size in args.sizes:
        results.append(run_engine_benchmark(size, root=args.root, master=args.master, graph=args.graph,
                                            formats=args.formats, threads=args.threads,
                                            memory_limit=args.memory_limit, spark_config=spark_config))
        if not args.json:
            print(format_engine_report(results[-1]), end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["same_outputs"] for r in results) else 1


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
