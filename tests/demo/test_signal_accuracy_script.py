"""``scripts/signal_accuracy.py`` on a profile whose behaviour comes from interests: scored against
``truth/interests``, needs without a generator domain left unjudged, the mapped share of events reported."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "signal_accuracy.py"


def load():
    spec = importlib.util.spec_from_file_location("signal_accuracy_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_interests_are_scored_against_their_truth(tmp_path: Path) -> None:
    script = load()
    out = tmp_path / "signals.json"
    assert script.main(["--workdir", str(tmp_path / "w"), "--customers", "300", "--events", "20000",
                        "--profile", "interests", "--json", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    truth = pd.read_parquet(tmp_path / "w" / "data" / "truth" / "interests.parquet")
    truth["events_90d"] = truth.events_90d.astype(int)
    for domain, need in script.DOMAIN_NEEDS.items():
        row = results["per_need"][need]
        assert row["planted_current"] == int(((truth.domain == domain) & (truth.events_90d >= 3)).sum())
        assert row["planted_all"] == int(((truth.domain == domain) & (truth.events_90d >= 1)).sum())
        assert row["true_positives"] <= row["fired"]
    unjudged = set(results["per_need"]) - set(script.DOMAIN_NEEDS.values())
    assert all(results["per_need"][n]["precision"] is None for n in unjudged)
    assert 0 < results["mapped_online_events"] < 1
