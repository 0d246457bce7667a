"""The Splink baseline on a small demo run: sensible one-per-account links, scored as linker's are."""

from __future__ import annotations

import doctest
from pathlib import Path

import pandas as pd
import pytest
import splink_baseline

from linker.bench import format_report
from linker.config import load_config
from linker.demo_run import write_demo
from linker.errors import RunNotFoundError
from linker.evaluation import evaluate_links
from linker.pipeline import run

THRESHOLD, MARGIN = 0.5, 1.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run on a small demo data set (every trap on); its folder holds ``out`` and ``data/truth``."""
    folder = tmp_path_factory.mktemp("splink-demo")
    config = write_demo(folder, customers=300, accounts=900, events=3_000, seed=7, file_format="parquet")
    run(load_config(config, {"output.graph_store": False, "output.formats": ["parquet"]}))
    return folder


@pytest.fixture(scope="module")
def linkage(demo: Path) -> splink_baseline.SplinkLinkage:
    return splink_baseline.link_run(demo / "out", threshold=THRESHOLD, margin_bits=MARGIN, u_max_pairs=1e5)


def test_splink_links_far_better_than_the_naive_rule(demo: Path, linkage: splink_baseline.SplinkLinkage) -> None:
    links = linkage.links
    links.attrs["run_dir"] = str(demo / "out")
    splink = splink_baseline.evaluate(links, demo / "data" / "truth")
    naive = next(a for a in evaluate_links(demo / "out", demo / "data" / "truth") if a.rule == "naive exact match")
    assert splink.rule == "splink" and splink.predicted == (links["decision"] == "linked").sum()
    # the naive rule links every shared identifier (shop phones, family devices, recycled numbers): Splink's
    # trained model must remove at least half of its errors, without losing recall
    assert 1 - splink.f1 <= (1 - naive.f1) / 2
    assert splink.precision > naive.precision and splink.recall >= naive.recall - 0.01


def test_one_decision_per_account_and_links_follow_the_rule(linkage: splink_baseline.SplinkLinkage) -> None:
    links = linkage.links
    assert list(links.columns) == splink_baseline.LINK_COLUMNS
    assert links["account_id"].is_unique and links["account_id"].str.startswith("A").all()
    assert links["customer_id"].str.startswith("C").all()
    assert set(links["decision"]) <= {"linked", "ambiguous", "below threshold"}
    linked = links[links["decision"] == "linked"]
    assert (linked["match_probability"] >= THRESHOLD).all()
    assert (linked["margin_bits"].isna() | (linked["margin_bits"] >= MARGIN)).all()
    ambiguous = links[links["decision"] == "ambiguous"]
    assert (ambiguous["margin_bits"] < MARGIN).all() and (ambiguous["match_probability"] >= THRESHOLD).all()
    assert (links.loc[links["decision"] == "below threshold", "match_probability"] < THRESHOLD).all()
    assert linkage.pairs >= len(links) > 0


def test_timings_and_model_are_reported(linkage: splink_baseline.SplinkLinkage) -> None:
    figures = linkage.timings()
    assert figures["u_seconds"] > 0 and figures["em_seconds"] > 0 and figures["prediction_seconds"] > 0
    assert figures["training_seconds"] == pytest.approx(figures["u_seconds"] + figures["em_seconds"], abs=0.002)
    assert figures["prepare_seconds"] > 0
    comparisons = {c["output_column_name"] for c in linkage.model["comparisons"]}
    assert {"name", "phones", "emails", "devices", "city"} <= comparisons
    assert "birth_date" not in comparisons   # the demo's accounts carry none: a comparison never observed
    levels = {c["output_column_name"]: c["comparison_levels"] for c in linkage.model["comparisons"]}
    shared_phone = next(level for level in levels["phones"] if level.get("label_for_charts", "").startswith("Array"))
    # a shared phone outweighs the prior: its u comes from pairs of customers, where no pair is a true match
    prior = linkage.model["probability_two_random_records_match"]
    assert shared_phone["m_probability"] / shared_phone["u_probability"] > 1 / prior


def test_evaluate_scores_links_exactly_as_linker_evaluation_does(demo: Path) -> None:
    linker_links = pd.read_parquet(demo / "out" / "links.parquet")
    ours = splink_baseline.evaluate(linker_links, demo / "data" / "truth", run_dir=demo / "out")
    reference = evaluate_links(demo / "out", demo / "data" / "truth")[0]
    assert reference.rule == "linker"
    assert (ours.predicted, ours.true_positives, ours.findable, ours.findable_found, ours.all_true) == (
        reference.predicted, reference.true_positives, reference.findable, reference.findable_found,
        reference.all_true)


def test_evaluate_needs_the_run(demo: Path) -> None:
    with pytest.raises(ValueError, match="run_dir"):
        splink_baseline.evaluate(pd.DataFrame(columns=["customer_id", "account_id", "decision"]), demo)


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="linker run"):
        splink_baseline.splink_links(tmp_path)


@pytest.mark.parametrize(("bank", "account"), [
    ("张伟", "Zhang Wei"), ("张伟", "Wei Zhang"), ("张伟", "zhangwei_88"), ("吴志琪", "wuzhiqi_860"),
    ("Li Na", "李娜"),
])
def test_a_name_and_its_spellings_share_a_spelling(bank: str, account: str) -> None:
    assert set(splink_baseline.name_spellings(bank)) & set(splink_baseline.name_spellings(account))


@pytest.mark.parametrize("junk", ["", "123_456", "！？"])
def test_a_name_without_letters_has_no_spelling(junk: str) -> None:
    assert splink_baseline.name_spellings(junk) == []


def test_docstring_examples_run() -> None:
    assert doctest.testmod(splink_baseline).failed == 0


def test_the_benchmark_reports_splink_training_and_prediction(demo: Path) -> None:
    figures = splink_baseline.bench_model(demo / "out", threads=1, u_max_pairs=1e5)
    assert figures["training_seconds"] > 0 and figures["prediction_seconds"] > 0
    assert figures["pairs"] >= figures["linked"] > 0 and figures["u_max_pairs"] == 1e5
    stage = {"name": "resolve", "seconds": 2.0, "rows": 10, "rows_per_second": 5.0, "us_per_row": 2e5,
             "peak_rss_mb": 100.0}
    report = format_report({"size": {"name": "x", "customers": 1, "accounts": 2, "events": 3}, "input_rows": 10,
                            "stages": [stage], "pipeline": {"seconds": 2.0, "peak_rss_mb": 100.0,
                                                            "us_per_input_row": 2e5},
                            "graph": None, "splink_model": {**figures, "resolve_seconds": 2.0}})
    ratio = (figures["training_seconds"] + figures["prediction_seconds"]) / 2.0
    assert "Splink" in report and f"{figures['pairs']:,} pairs" in report and f"= {ratio:.2f}" in report
