"""Precision and recall of the need signals against the ground truth of generated demo data, and the share of
events mapped to a class by each matching method.

Either generate a data set and run the pipeline on it::

    python scripts/signal_accuracy.py --customers 10000 --workdir /tmp/acc10k

or read a finished run whose inputs came from ``linker demo`` (``truth/needs.*`` beside the input files)::

    python scripts/signal_accuracy.py --run /tmp/acc10k/out --truth /tmp/acc10k/data/truth \
        --config /tmp/acc10k/linker.toml

Two kinds of truth are read from the truth folder:

- ``needs.*`` (stories planted by the default generator): a fired signal is a true positive when the customer
  has a planted story of that need (whenever planted). Recall is given against the *current* stories (decisive
  event within ``--current-days`` of as_of: the ones a bank can still act on) and against all of them.
- ``interests.*`` (behaviour drawn from interests, no stories): each customer's events per need domain in the
  last 90 days (columns ``customer_id``, a domain column, a count column). As in issue 19's check on held-out
  data, recall counts customers with at least ``--recall-events`` (3) events in a domain, precision the fired
  signals of customers with at least ``--precision-events`` (1).

``--profile`` generates the data with that demo generator profile (``all``: each profile in turn, one table
each). If the run database has no ``signals`` table (a pipeline
without the enrichment stage), the events are ingested again into a copy of it and the stage is run there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb


TRUTH_NEEDS = {"computer_upgrade": "computer", "new_baby": "baby"}
"""Stories of the demo generator named otherwise than the need they reveal."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="Output folder of a finished run (holds work.duckdb).")
    parser.add_argument("--truth", type=Path, help="Folder holding needs.csv / needs.parquet.")
    parser.add_argument("--config", type=Path, help="linker.toml of that run (needed only if the pipeline did not "
                                                    "run the enrichment stage).")
    parser.add_argument("--workdir", type=Path, help="Generate data here and run the pipeline.")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, help="Default: 3 per customer.")
    parser.add_argument("--events", type=int, help="Default: 20 per customer.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--current-days", type=int, default=90)
    parser.add_argument("--json", type=Path, help="Also write the results as JSON here.")
    parser.add_argument("--profile", help="Demo generator profile (with --workdir); 'all' runs each one.")
    parser.add_argument("--recall-events", type=int, default=3)
    parser.add_argument("--precision-events", type=int, default=1)
    args = parser.parse_args(argv)
    if args.profile == "all":
        from linker.demo.profiles import PROFILES

        everything = {}
        for name in PROFILES:
            one = argparse.Namespace(**{**vars(args), "profile": name, "json": None,
                                        "workdir": args.workdir / name if args.workdir else None})
            everything[name] = _one(parser, one)
        if args.json:
            args.json.write_text(json.dumps(everything, indent=2, default=str) + "\n", encoding="utf-8")
        return 0
    results = _one(parser, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


def _one(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict:
    """Generate and run (or read a run), evaluate, print; return the results."""
    timings: dict[str, float] = {}
    config_path = args.config
    if args.workdir:
        run_dir, truth_dir, config_path = _generate_and_run(args, timings)
    elif args.run and args.truth:
        run_dir, truth_dir = args.run, args.truth
    else:
        parser.error("give --workdir (generate and run) or --run and --truth")
    con = _signals_database(run_dir, config_path, timings)
    if _truth_file(truth_dir, "interests") is not None:
        results = evaluate_interests(con, truth_dir, args.recall_events, args.precision_events)
    else:
        results = evaluate(con, truth_dir, args.current_days)
    results["profile"] = getattr(args, "profile", None) or "default"
    results["mapping"] = mapping_shares(con)
    results["timings_seconds"] = timings
    print(render(results))
    return results


def _generate_and_run(args: argparse.Namespace, timings: dict[str, float]) -> tuple[Path, Path, Path]:
    """Generate the demo data of ``args.profile`` with its own ``linker.toml`` (column mappings, encodings) and
    run the pipeline without the graph store, Parquet only."""
    import linker
    from linker.demo.profiles import PROFILES
    from linker.demo_run import write_demo

    work: Path = args.workdir
    profile = getattr(args, "profile", None) or "default"
    start = time.perf_counter()
    config_path = write_demo(work, customers=args.customers, accounts=args.accounts or 3 * args.customers,
                             events=args.events or 20 * args.customers, seed=args.seed, profile=profile,
                             file_format="csv" if PROFILES[profile].layout == "bank_export" else "parquet")
    timings["generate"] = round(time.perf_counter() - start, 1)
    config = linker.load_config(config_path, {"output.dir": str(work / "out"), "output.graph_store": False,
                                              "output.formats": ["parquet"]})
    start = time.perf_counter()
    result = linker.run(config)
    timings["pipeline"] = round(time.perf_counter() - start, 1)
    for stage in result.stages:
        timings[f"stage {stage.name}"] = stage.seconds
    return work / "out", work / "data" / "truth", config_path


def _signals_database(run_dir: Path, config_path: Path | None, timings: dict[str, float]
                      ) -> duckdb.DuckDBPyConnection:
    """The run database with its ``signals``; when the pipeline did not run the enrichment stage, a copy of
    it with the event tables ingested again (they are temporary in a run) and the stage run on it."""
    db = run_dir / "work.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    has = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'signals'").fetchall()[0][0]
    if has:
        return con
    con.close()
    import linker
    from linker.enrich import enrich
    from linker.ingest import ingest

    if config_path is None:
        raise SystemExit(f"{db} has no signals (the enrichment stage did not run): pass --config so that this "
                         f"script can ingest the events again and run the stage")
    config = linker.load_config(config_path)
    copy = run_dir / "work-enriched.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    start = time.perf_counter()
    ingest(con, config, workdir=run_dir / ".work")
    timings["ingest again (script)"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    enrich(con, config.enrichment)
    timings["enrich (script)"] = round(time.perf_counter() - start, 1)
    return con


def _truth_file(truth_dir: Path, stem: str) -> Path | None:
    return next((p for p in (truth_dir / f"{stem}.parquet", truth_dir / f"{stem}.csv") if p.exists()), None)


def mapping_shares(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Share of the events and of the spend of the run mapped by each method (from ``categories``)."""
    from linker.enrich.category_match import matching_summary

    return [{"method": m, "names": n, "events": e, "share_events": se, "share_spend": ss}
            for m, n, e, _, se, ss in matching_summary(con)]


def evaluate_interests(con: duckdb.DuckDBPyConnection, truth_dir: Path, recall_events: int = 3,
                       precision_events: int = 1) -> dict:
    """Per need: signals fired, precision (fired customers with >= ``precision_events`` events in the need's
    domain in the truth) and recall (customers with >= ``recall_events`` events that were fired)."""
    truth = _truth_file(truth_dir, "interests")
    reader = "read_parquet" if truth.suffix == ".parquet" else "read_csv"
    con.execute(f"CREATE OR REPLACE TEMP VIEW interests_raw AS SELECT * FROM {reader}('{truth.as_posix()}')")
    columns = [name for name, *_ in con.execute("DESCRIBE interests_raw").fetchall()]
    domain = next((c for c in ("domain", "need", "need_domain") if c in columns), None)
    count = next((c for c in ("events_90d", "events") if c in columns), None)
    if "customer_id" not in columns or domain is None or count is None:
        raise SystemExit(f"{truth}: expected customer_id, domain and events_90d columns; found {columns}")
    count = f"TRY_CAST({count} AS BIGINT)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE interests AS
        SELECT CAST(customer_id AS VARCHAR) AS customer_id,
               coalesce(map_extract({TRUTH_NEEDS!r}::MAP(VARCHAR, VARCHAR), {domain})[1], {domain}) AS need,
               sum({count}) AS events
        FROM interests_raw GROUP BY ALL
    """)
    rows = con.execute(f"""
        WITH needs AS (SELECT DISTINCT need FROM interests WHERE need IN (SELECT need FROM signals)
                       UNION SELECT DISTINCT need FROM signals)
        SELECT n.need,
               (SELECT count(*) FROM signals s WHERE s.need = n.need) AS fired,
               (SELECT count(*) FROM signals s JOIN interests i USING (customer_id, need)
                WHERE s.need = n.need AND i.events >= {precision_events}) AS tp,
               (SELECT count(*) FROM interests i WHERE i.need = n.need AND i.events >= {recall_events}) AS positives,
               (SELECT count(*) FROM interests i JOIN signals s USING (customer_id, need)
                WHERE i.need = n.need AND i.events >= {recall_events}) AS found,
               n.need IN (SELECT need FROM interests) AS known
        FROM needs n ORDER BY n.need
    """).fetchall()
    # a need the truth does not count (travel, education) has no precision to give
    per_need = {need: {"fired": fired, "true_positives": tp if known else None,
                       "precision": round(tp / fired, 3) if fired and known else None,
                       "positives": positives, "recall": round(found / positives, 3) if positives else None}
                for need, fired, tp, positives, found, known in rows}
    customers = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    as_of = con.execute("SELECT max(as_of) FROM signals").fetchall()[0][0]
    return {"truth": "interests", "as_of": as_of, "customers": customers, "recall_events": recall_events,
            "precision_events": precision_events, "per_need": per_need}


def evaluate(con: duckdb.DuckDBPyConnection, truth_dir: Path, current_days: int = 90) -> dict:
    """Per need: signals fired, true positives, precision, recall (current and all planted stories)."""
    truth = _truth_file(truth_dir, "needs")
    if truth is None:
        raise SystemExit(f"no needs.parquet or needs.csv in {truth_dir}")
    reader = "read_parquet" if truth.suffix == ".parquet" else "read_csv"
    as_of: date = con.execute("SELECT max(as_of) FROM signals").fetchall()[0][0] or date.today()
    cutoff = as_of - timedelta(days=current_days)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE truth AS
        SELECT CAST(customer_id AS VARCHAR) AS customer_id,
               coalesce(map_extract({TRUTH_NEEDS!r}::MAP(VARCHAR, VARCHAR), CAST(need AS VARCHAR))[1],
                        CAST(need AS VARCHAR)) AS need,
               CAST(planted_at AS DATE) AS planted_at
        FROM {reader}('{truth.as_posix()}')
    """)
    rows = con.execute(f"""
        WITH needs AS (SELECT DISTINCT need FROM truth UNION SELECT DISTINCT need FROM signals),
        fired AS (SELECT customer_id, need FROM signals),
        planted AS (SELECT customer_id, need, max(planted_at) AS planted_at FROM truth GROUP BY ALL)
        SELECT n.need,
               (SELECT count(*) FROM fired f WHERE f.need = n.need) AS fired,
               (SELECT count(*) FROM fired f JOIN planted p USING (customer_id, need) WHERE f.need = n.need) AS tp,
               (SELECT count(*) FROM planted p WHERE p.need = n.need AND p.planted_at >= DATE '{cutoff}') AS current,
               (SELECT count(*) FROM planted p JOIN fired f USING (customer_id, need)
                WHERE p.need = n.need AND p.planted_at >= DATE '{cutoff}') AS current_found,
               (SELECT count(*) FROM planted p WHERE p.need = n.need) AS planted
        FROM needs n ORDER BY n.need
    """).fetchall()
    per_need = {}
    for need, fired, tp, current, current_found, planted in rows:
        per_need[need] = {
            "fired": fired, "true_positives": tp,
            "precision": round(tp / fired, 3) if fired else None,
            "recall_current": round(current_found / current, 3) if current else None,
            "recall_all": round(tp / planted, 3) if planted else None,
            "planted_current": current, "planted_all": planted,
        }
    fired = sum(v["fired"] for v in per_need.values())
    tp = sum(v["true_positives"] for v in per_need.values())
    current = sum(v["planted_current"] for v in per_need.values())
    found = con.execute(f"""
        SELECT count(*) FROM (SELECT customer_id, need, max(planted_at) AS d FROM truth GROUP BY ALL) p
        JOIN signals f USING (customer_id, need) WHERE p.d >= DATE '{cutoff}'
    """).fetchall()[0][0]
    customers = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    return {"truth": "needs", "as_of": as_of, "current_days": current_days, "customers": customers,
            "per_need": per_need,
            "overall": {"fired": fired, "true_positives": tp, "precision": round(tp / fired, 3) if fired else None,
                        "recall_current": round(found / current, 3) if current else None}}


def render(results: dict) -> str:
    """The results as a text table (the truth's kind decides the columns), then the mapped shares."""
    lines = _render_interests(results) if results.get("truth") == "interests" else _render_needs(results)
    if results.get("mapping"):
        lines.append("category mapping: " + ", ".join(
            f"{m['method']} {m['share_events']:.1%} of events ({m['share_spend']:.1%} of spend)"
            for m in results["mapping"]))
    if results.get("timings_seconds"):
        lines.append("timings (s): " + ", ".join(f"{k} {v}" for k, v in results["timings_seconds"].items()))
    return "\n".join(lines)


def _render_interests(results: dict) -> list[str]:
    lines = [(f"profile {results.get('profile')}: customers {results['customers']:,}, as_of {results['as_of']}; "
              f"recall: customers with >= {results['recall_events']} events in the domain in 90 days, precision: "
              f">= {results['precision_events']}"),
             f"{'need':<18}{'fired':>7}{'TP':>7}{'precision':>11}{'positives':>11}{'recall':>9}"]
    for need, v in results["per_need"].items():
        lines.append(f"{need:<18}{v['fired']:>7}{v['true_positives'] if v['true_positives'] is not None else '-':>7}"
                     f"{_f(v['precision']):>11}{v['positives']:>11}{_f(v['recall']):>9}")
    return lines


def _render_needs(results: dict) -> list[str]:
    lines = [(f"profile {results.get('profile', 'default')}: customers {results['customers']:,}, as_of "
              f"{results['as_of']}, current = planted within {results['current_days']} days"),
             (f"{'need':<18}{'fired':>7}{'TP':>7}{'precision':>11}{'recall cur':>12}{'recall all':>12}"
              f"{'planted cur/all':>17}")]
    for need, v in results["per_need"].items():
        lines.append(f"{need:<18}{v['fired']:>7}{v['true_positives']:>7}{_f(v['precision']):>11}"
                     f"{_f(v['recall_current']):>12}{_f(v['recall_all']):>12}"
                     f"{v['planted_current']:>9}/{v['planted_all']}")
    o = results["overall"]
    lines.append(f"{'overall':<18}{o['fired']:>7}{o['true_positives']:>7}{_f(o['precision']):>11}"
                 f"{_f(o['recall_current']):>12}")
    return lines


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    sys.exit(main())
