"""``scripts/signal_accuracy.py``: scoring signals against interest counts and planted stories, mapping shares."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "signal_accuracy.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("signal_accuracy_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT unnest(['C1', 'C2', 'C3', 'C4']) AS customer_id")
    con.execute("""CREATE TABLE signals AS SELECT * FROM (VALUES
        ('C1', 'baby', DATE '2024-06-30'), ('C2', 'baby', DATE '2024-06-30'), ('C3', 'travel', DATE '2024-06-30'),
        ('C1', 'computer', DATE '2024-06-30')) t(customer_id, need, as_of)""")
    con.execute("""CREATE TABLE categories AS SELECT * FROM (VALUES ('exact', 6, 2, 0, 10.0), ('contains', 1, 0, 0, 0.0),
        (NULL, 1, 0, 0, 30.0)) t(matched_by, purchases, browse_events, card_txns, amount)""")
    return con


def test_interest_counts_give_precision_at_one_event_and_recall_at_three(script, con, tmp_path: Path):
    truth = tmp_path / "truth"
    truth.mkdir()
    # the generator writes the counts as text
    (truth / "interests.csv").write_text("customer_id,domain,events_90d,events_all\nC1,baby,5,9\nC2,baby,0,4\n"
                                         "C4,baby,3,3\nC1,computer,1,1\n", encoding="utf-8")
    result = script.evaluate_interests(con, truth)
    baby, computer, travel = (result["per_need"][n] for n in ("baby", "computer", "travel"))
    assert (baby["fired"], baby["true_positives"], baby["precision"]) == (2, 1, 0.5)    # C2: none in 90 days
    assert (baby["positives"], baby["recall"]) == (2, 0.5)                             # C4 missed
    assert (computer["precision"], computer["recall"]) == (1.0, None)
    assert travel["precision"] is None                                                 # the truth does not count it
    assert "baby" in script.render({**result, "mapping": script.mapping_shares(con)})


def test_mapping_shares(script, con):
    shares = {m["method"]: (m["share_events"], m["share_spend"]) for m in script.mapping_shares(con)}
    assert shares == {"exact": (0.8, 0.25), "contains": (0.1, 0.0), "unmapped": (0.1, 0.75)}


def test_planted_stories_with_their_old_names(script, con, tmp_path: Path):
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "needs.csv").write_text("customer_id,need,planted_at\nC1,new_baby,2024-06-01\nC4,new_baby,2024-01-01\n"
                                     "C1,computer_upgrade,2024-05-01\n", encoding="utf-8")
    result = script.evaluate(con, truth)
    assert result["per_need"]["baby"]["precision"] == 0.5 and result["per_need"]["baby"]["recall_current"] == 1.0
    assert result["per_need"]["baby"]["recall_all"] == 0.5 and result["per_need"]["computer"]["precision"] == 1.0
