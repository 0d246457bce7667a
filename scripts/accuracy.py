"""Link accuracy against the demo generator's ground truth: linker versus the naive exact-match rule.

    python scripts/accuracy.py --customers 10000 --accounts 30000 --events 300000
    python scripts/accuracy.py --customers 1000000 --accounts 3000000 --events 20000000 --workdir /tmp/acc1m
    python scripts/accuracy.py --splink --febrl4     # Splink 5 beside linker, and Splink on Febrl4

Generates the data set (every trap on) unless it exists in --workdir, runs the pipeline without the graph
store, and prints precision, recall (over true links that share an identifier, typos included), recall over
all true links, and F1. With --splink, Splink 5 links the same run's normalized tables with its own trained
model (scripts/splink_baseline.py) and is scored the same way; --febrl4 links Febrl4 with Splink.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from linker.config import load_config
from linker.demo_run import write_demo
from linker.evaluation import error_breakdown, evaluate_links
from linker.pipeline import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=30_000)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="default: /tmp/linker-accuracy-<sizes>")
    parser.add_argument("--errors", type=int, default=0, help="print this many false and missed links")
    parser.add_argument("--splink", action="store_true", help="also link with Splink 5 and score it")
    parser.add_argument("--febrl4", action="store_true", help="also link Febrl4 with Splink 5")
    args = parser.parse_args()
    workdir = args.workdir or Path(f"/tmp/linker-accuracy-{args.customers}-{args.accounts}-{args.events}")
    config_path = workdir / "linker.toml"
    if not config_path.exists():
        start = time.perf_counter()
        write_demo(workdir, customers=args.customers, accounts=args.accounts, events=args.events, seed=args.seed,
                   file_format="parquet")
        print(f"generated in {time.perf_counter() - start:.1f} s: {workdir}")
    config = load_config(config_path, {"output.graph_store": False, "output.formats": ["parquet"]})
    start = time.perf_counter()
    run(config)
    print(f"pipeline ran in {time.perf_counter() - start:.1f} s")
    others = {}
    if args.splink:
        from splink_baseline import splink_links

        splink = splink_links(config.output.dir)
        others["splink"] = splink[splink["decision"] == "linked"]
        print("splink: " + ", ".join(f"{k} {v:,}" for k, v in splink.attrs["timings"].items()))
    results = evaluate_links(config.output.dir, workdir / "data" / "truth", others=others)
    print(f"{'rule':<20}{'predicted':>10}{'precision':>11}{'recall':>9}{'recall(all)':>12}{'F1':>8}")
    for r in results:
        print(f"{r.rule:<20}{r.predicted:>10}{r.precision:>11.4f}{r.recall:>9.4f}{r.recall_all:>12.4f}{r.f1:>8.4f}")
    print(json.dumps([r.as_dict() for r in results]))
    if args.febrl4:
        from splink_febrl4 import splink_febrl4

        print("Febrl4, Splink:", json.dumps(splink_febrl4()))
    if args.errors:
        for kind, rows in error_breakdown(config.output.dir, workdir / "data" / "truth", limit=args.errors).items():
            print(f"\n{kind}:")
            for row in rows:
                print("  ", row)


if __name__ == "__main__":
    main()
