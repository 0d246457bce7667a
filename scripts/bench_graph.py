"""Benchmark the graph store: load time from a run's tables, and the latency of every library query.

Usage::

    python scripts/generate_demo.py --customers 1000000 --accounts 3000000 --events 20000000 \\
        --format parquet /tmp/big/data
    (write /tmp/big/linker.toml for /tmp/big/data, then) linker run -c /tmp/big/linker.toml --no-graph
    python scripts/bench_graph.py /tmp/big/out --rebuild --config /tmp/big/linker.toml --loads 3 --export

A run keeps its event tables (purchases, browsing, transactions) as temporary tables, gone from
``work.duckdb`` once the run ends; with ``--config`` they are ingested again (untimed) into a scratch copy of
the run database, ``bench-work.duckdb``, and kept there as tables, so that later benchmarks of the same run
skip the ingest (``--fresh`` makes it again). The store is then loaded ``--loads`` times from it, as the
pipeline's graph stage does; the figures are the fastest load (wall and CPU seconds, the seconds DuckDB took
computing the tables in the background, the machine's load average before it) and every load.

Parameters of the library queries are picked from the store itself (a customer with links, one sharing a
device, two customers a few hops apart, ...). Each query runs once to warm up, then ``--repeat`` times;
the table shows the median and the slowest run in milliseconds, end to end (query, fetch, conversion).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from linker.graph.cypher import run_query
from linker.graph.library import load_library
from linker.graph.store import load_graph_store, open_store


def pick(store: Any, query: str) -> list[Any]:
    rows = store.rows(query)
    return rows[0] if rows else []


def cases(store: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, query name, parameters) for every library query, parameters picked from the store."""
    linked = pick(store, "MATCH (c:Customer)<-[:LINKED_TO]-(:OnlineAccount) RETURN c.customer_id LIMIT 1")
    shared = pick(store, "MATCH (c:Customer)-[:HAS_DEVICE]->(d:Device)<-[:HAS_DEVICE]-(o:Customer) "
                         "WHERE NOT d.is_hub AND o.customer_id <> c.customer_id RETURN c.customer_id LIMIT 1")
    pair = pick(store, "MATCH (c:Customer)<-[:LINKED_TO]-(a:OnlineAccount)-[:LINKED_TO]->(o:Customer) "
                       "WHERE c.customer_id < o.customer_id RETURN c.customer_id, o.customer_id LIMIT 1")
    far = pick(store, "MATCH (c:Customer) WITH c ORDER BY c.customer_id LIMIT 1 MATCH (o:Customer) "
                      "WITH c, o ORDER BY o.customer_id DESC LIMIT 1 RETURN c.customer_id, o.customer_id")
    out: list[tuple[str, str, dict[str, Any]]] = []
    if linked:
        out.append(("linked_to_customer", "linked_to_customer", {"customer_id": linked[0]}))
    out.append(("hub_identifiers", "hub_identifiers", {"limit": 100}))
    if shared:
        out.append(("shared_device_customers", "shared_device_customers", {"customer_id": shared[0]}))
    if pair:
        out.append(("shortest_identity_path (2 hops)", "shortest_identity_path",
                    {"from_customer": pair[0], "to_customer": pair[1]}))
    if far:
        out.append(("shortest_identity_path (unrelated)", "shortest_identity_path",
                    {"from_customer": far[0], "to_customer": far[1]}))
    wide = {"from": _ts("2000-01-01"), "to": _ts("2100-01-01")}
    out.append(("spend_by_category", "spend_by_category", wide))
    if linked:
        out.append(("customer_spend_by_category", "customer_spend_by_category", {**wide, "customer_id": linked[0]}))
    out.append(("clusters_above_size", "clusters_above_size", {"min_size": 3, "limit": 100}))
    out.append(("ambiguous_accounts", "ambiguous_accounts", {"min_customers": 2, "limit": 100}))
    out.append(("recycled_phones", "recycled_phones", {"limit": 1000}))
    return out


EVENT_TABLES = ("purchases", "browsing", "transactions")


def _run_database(run_dir: Path, config: Path | None, *, fresh: bool) -> duckdb.DuckDBPyConnection:
    if config is None:
        return duckdb.connect(str(run_dir / "work.duckdb"), read_only=True)
    from linker.config import load_config
    from linker.engine import open_database
    from linker.ingest import ingest

    cfg = load_config(config)
    scratch = run_dir / "bench-work.duckdb"
    if fresh or not scratch.exists():
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
        shutil.copyfile(run_dir / "work.duckdb", scratch)
        con = open_database(scratch, cfg.engine)
        started = time.perf_counter()
        ingest(con, cfg, workdir=run_dir / ".work")
        for table in EVENT_TABLES:  # temporary in a run (gone with it): kept here as tables for the next benchmark
            con.execute(f"CREATE OR REPLACE TABLE main.{table}_kept AS SELECT * FROM {table}")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE main.{table}_kept RENAME TO {table}")
        con.execute("CHECKPOINT")
        print(f"(ingest again into {scratch.name}, untimed: {time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
        return con
    return open_database(scratch, cfg.engine)


class _Timings(logging.Handler):
    """Keeps the seconds DuckDB took computing the graph's tables in the background (logged by the store load)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.files_seconds: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("graph store:") and "in the background" in record.getMessage():
            self.files_seconds = round(float(record.args[1]), 2)  # type: ignore[index]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else list(path.rglob("*"))
    return round(sum(f.stat().st_size for f in files if f.is_file()) / 1e6, 1)


def _ts(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run output folder (work.duckdb, graph.lbug)")
    parser.add_argument("--rebuild", action="store_true", help="(re)build graph.lbug from work.duckdb, timed")
    parser.add_argument("--config", type=Path, help="the run's linker.toml: ingest the event tables again first")
    parser.add_argument("--export", action="store_true", help="also time the neo4j-admin bundle export")
    parser.add_argument("--loads", type=int, default=1, help="load the store this many times; report the fastest")
    parser.add_argument("--fresh", action="store_true", help="ingest the event tables again (with --config)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG, format="%(message)s", stream=sys.stderr)
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    timings = _Timings()
    logging.getLogger("linker.graph.store").addHandler(timings)
    figures: dict[str, Any] = {}
    if args.rebuild or not (args.run_dir / "graph.lbug").exists():
        con = _run_database(args.run_dir, args.config, fresh=args.fresh)
        loads = []
        for _ in range(args.loads):
            load_average = round(os.getloadavg()[0], 1)
            started, cpu = time.perf_counter(), _cpu_seconds()
            counts = load_graph_store(con, args.run_dir, run_id="bench")
            loads.append({"seconds": round(time.perf_counter() - started, 2),
                          "cpu_seconds": round(_cpu_seconds() - cpu, 2), "files_seconds": timings.files_seconds,
                          "load_average": load_average})
            print(f"store load: {loads[-1]}", file=sys.stderr)
        con.close()
        best = min(loads, key=lambda load: load["seconds"])
        figures.update({"load_seconds": best["seconds"], "load_cpu_seconds": best["cpu_seconds"],
                        "files_seconds": best["files_seconds"], "load_average": best["load_average"],
                        "loads": loads, "counts": counts, "store_mb": _size_mb(args.run_dir / "graph.lbug"),
                        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
        print(f"store load: {figures['load_seconds']} s (best of {len(loads)}), {counts['graph nodes']:,} nodes, "
              f"{counts['graph relationships']:,} relationships, {figures['store_mb']} MB", file=sys.stderr)
    if args.export:
        from linker.graph.neo4j_bundle import export_neo4j_bundle

        started = time.perf_counter()
        bundle = export_neo4j_bundle(args.run_dir, args.run_dir / "neo4j-import", run_id="bench", overwrite=True)
        figures["bundle_seconds"] = round(time.perf_counter() - started, 2)
        print(f"neo4j bundle: {figures['bundle_seconds']} s, {sum(bundle.counts.values()):,} rows",
              file=sys.stderr)
    library = load_library()
    latencies = []
    with open_store(args.run_dir) as store:
        for label, name, params in cases(store):
            text = library[name].render("ladybug")
            rows = len(run_query(store, text, params, timeout_seconds=600).rows)  # warm-up
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                run_query(store, text, params, timeout_seconds=600)
                times.append((time.perf_counter() - started) * 1000)
            latencies.append({"query": label, "rows": rows, "median_ms": round(statistics.median(times), 1),
                              "max_ms": round(max(times), 1)})
    figures["queries"] = latencies
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{'query':40} {'rows':>7} {'median ms':>10} {'max ms':>9}")
        for q in latencies:
            print(f"{q['query']:40} {q['rows']:>7} {q['median_ms']:>10} {q['max_ms']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
