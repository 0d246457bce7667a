"""Link accuracy against the demo generator's ground truth, per generator profile, in one table.

    python scripts/accuracy.py --profiles all
    python scripts/accuracy.py --profiles default,ranges --customers 10000 --accounts 30000 --events 300000
    python scripts/accuracy.py --profiles hostile --errors 20 --json /tmp/acc.json
    python scripts/accuracy.py --customers 1000000 --accounts 3000000 --events 20000000 --workdir /tmp/acc1m

Each profile's data set is generated once into WORKDIR/<profile> (every trap on; Parquet, but CSV for the
profiles whose layout is a bank export, since their encoding and formats are part of what they test) and reused
while it is there. The pipeline runs (without the graph store) once per config of the profile: ``linker.toml``
and, where the profile has one, ``linker-careless.toml`` (shown as ``<profile> (careless)``).

Precision is over the links made; recall is over every true link whose customer and account were ingested (a
link nobody could find counts as missed); F1 combines the two. ``recall findable`` is recall over the true
links whose two sides share a usable identifier after linker's normalization (exactly or one edit apart): it
excuses what normalization threw away, so it flatters. The naive rule links any customer and account sharing an
exactly equal normalized identifier.

Importable: :func:`profile_results` returns the result records of one profile, so that other methods (Splink,
Febrl4 data) can add rows of the same shape to :func:`render`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from linker.config import load_config
from linker.demo.configs import config_files
from linker.demo.profiles import PROFILES
from linker.demo_run import write_demo
from linker.evaluation import Accuracy, error_breakdown, evaluate_links
from linker.pipeline import run


@dataclass(frozen=True)
class LinkResult:
    """Link accuracy of one method on one data set."""

    data: str
    method: str
    predicted: int
    true_positives: int
    true_links: int
    findable: int
    findable_found: int
    seconds: float = 0.0
    errors: dict[str, list] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Over every true link whose two sides were ingested."""
        return self.true_positives / self.true_links if self.true_links else 1.0

    @property
    def recall_findable(self) -> float:
        return self.findable_found / self.findable if self.findable else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(precision=round(self.precision, 5), recall=round(self.recall, 5), f1=round(self.f1, 5),
                   recall_findable=round(self.recall_findable, 5))
        out["errors"] = {k: [list(map(str, row)) for row in rows] for k, rows in self.errors.items()}
        return out

    @classmethod
    def from_accuracy(cls, data: str, a: Accuracy, seconds: float = 0.0,
                      errors: dict[str, list] | None = None) -> LinkResult:
        return cls(data, a.rule, a.predicted, a.true_positives, a.all_true, a.findable, a.findable_found, seconds,
                   errors or {})


@dataclass(frozen=True)
class Sizes:
    customers: int = 10_000
    accounts: int = 30_000
    events: int = 300_000
    seed: int = 42


def generate(profile: str, sizes: Sizes, workdir: Path, file_format: str | None = None) -> tuple[Path, float | None]:
    """The profile's demo folder under ``workdir`` (generated unless there); and the seconds generation took."""
    folder = workdir / profile
    marker = folder / "data" / "truth" / "summary.json"
    if marker.is_file() and (folder / "linker.toml").is_file():
        return folder, None
    fmt = file_format or ("csv" if PROFILES[profile].layout == "bank_export" else "parquet")
    start = time.perf_counter()
    write_demo(folder, customers=sizes.customers, accounts=sizes.accounts, events=sizes.events, seed=sizes.seed,
               file_format=fmt, profile=profile)
    return folder, time.perf_counter() - start


def profile_results(profile: str, sizes: Sizes, workdir: Path, *, errors: int = 0,
                    file_format: str | None = None) -> tuple[list[LinkResult], float | None]:
    """Generate (or reuse) one profile's data, run linker with each of its configs, score the links.

    Returns
    -------
    results, generation_seconds
        One record per config and rule (linker, naive exact match); seconds of generation, None when reused.
    """
    folder, generated = generate(profile, sizes, workdir, file_format)
    truth = folder / "data" / "truth"
    results = []
    for config_name, careless in config_files(PROFILES[profile]).items():
        label = profile + (" (careless)" if careless else "")
        out = folder / ("out-careless" if careless else "out")
        config = load_config(folder / config_name, {"output.dir": str(out), "output.graph_store": False,
                                                    "output.formats": ["parquet"]})
        start = time.perf_counter()
        run(config)
        seconds = time.perf_counter() - start
        linker_acc, naive_acc = evaluate_links(config.output.dir, truth)
        breakdown = error_breakdown(config.output.dir, truth, limit=errors) if errors else {}
        results.append(LinkResult.from_accuracy(label, linker_acc, seconds, breakdown))
        results.append(LinkResult.from_accuracy(label, naive_acc))
    return results, generated


def render(results: list[LinkResult]) -> str:
    """The results as one text table."""
    lines = [(f"{'data':<24}{'method':<20}{'predicted':>10}{'precision':>11}{'recall':>9}{'F1':>8}"
              f"{'recall findable':>17}{'run s':>8}")]
    for r in results:
        seconds = f"{r.seconds:.1f}" if r.seconds else ""
        lines.append(f"{r.data:<24}{r.method:<20}{r.predicted:>10}{r.precision:>11.4f}{r.recall:>9.4f}{r.f1:>8.4f}"
                     f"{r.recall_findable:>17.4f}{seconds:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", default="default",
                        help=f"'all' or a comma-separated list of: {', '.join(PROFILES)} (default: default)")
    parser.add_argument("--customers", type=int, default=Sizes.customers)
    parser.add_argument("--accounts", type=int, default=Sizes.accounts)
    parser.add_argument("--events", type=int, default=Sizes.events)
    parser.add_argument("--seed", type=int, default=Sizes.seed)
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"),
                        help="file format of the generated data (default: CSV for bank exports, else Parquet)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="default: /tmp/linker-accuracy-<customers>-<accounts>-<events>-s<seed>")
    parser.add_argument("--errors", type=int, default=0, help="print this many false and missed links per profile")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    names = list(PROFILES) if args.profiles == "all" else [p.strip() for p in args.profiles.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; profiles: {', '.join(PROFILES)}")
    sizes = Sizes(args.customers, args.accounts, args.events, args.seed)
    workdir = args.workdir or Path(
        f"/tmp/linker-accuracy-{sizes.customers}-{sizes.accounts}-{sizes.events}-s{sizes.seed}")
    results: list[LinkResult] = []
    generation: dict[str, float | None] = {}
    for name in names:
        rows, generation[name] = profile_results(name, sizes, workdir, errors=args.errors,
                                                 file_format=args.file_format)
        results += rows
        done = "reused" if generation[name] is None else f"generated in {generation[name]:.1f} s"
        print(f"{name}: data {done}, linker ran in {rows[0].seconds:.1f} s", file=sys.stderr, flush=True)
    print(render(results))
    payload = {"sizes": asdict(sizes), "workdir": str(workdir),
               "generation_seconds": {k: (round(v, 1) if v is not None else None) for k, v in generation.items()},
               "results": [r.as_dict() for r in results]}
    print(json.dumps(payload, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.errors:
        for r in results:
            for kind, rows in r.errors.items():
                print(f"\n{r.data} {kind}:")
                for row in rows:
                    print("  ", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
