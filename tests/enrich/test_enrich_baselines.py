"""Need baselines: saved as a run measured against them, reused instead of the population's, checked on load."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.baselines import FORMAT, load_baselines, save_baselines
from linker.errors import ConfigError
from tests.enrich.enrich_run import AS_OF, RunBuilder, rows
from tests.enrich.test_enrich_engagement import _population


def _write(path: Path, baselines: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"format": FORMAT, "baselines": baselines}), encoding="utf-8")
    return path


def _baby(**changes: Any) -> dict[str, Any]:
    return {"need": "baby", "window_days": 90, "population": 100, "weighted_events": 0.5, "spend": 50.0,
            "active_days": 1.5, "breadth": 1.0, "learned_as_of": "2024-01-31", **changes}


def test_the_saved_baselines_are_those_the_run_measured_against(run: RunBuilder, tmp_path: Path) -> None:
    _population(run)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF))
    saved = load_baselines(save_baselines(con, tmp_path / "baselines.json")).to_pylist()
    assert saved == rows(con, "SELECT * FROM need_baselines ORDER BY need")
    (baby,) = [b for b in saved if b["need"] == "baby"]
    assert (baby["population"], baby["spend"], baby["learned_as_of"]) == (3, 100, AS_OF)
    assert rows(con, "SELECT value FROM enrichment_info WHERE key = 'baselines'") == [
        {"value": "learned from this run's data"}]


def test_a_run_given_baselines_measures_against_them_not_its_population(run: RunBuilder, tmp_path: Path) -> None:
    _population(run)   # C1: 3 baby events, 300 spent, on 3 days, in 3 classes; 3 active customers
    con = run.done()
    path = _write(tmp_path / "b.json", [_baby()])
    enrich(con, EnrichmentConfig(as_of=AS_OF, baselines_file=path))
    (s,) = rows(con, "SELECT * FROM need_scores WHERE need = 'baby'")
    assert (s["lift_spend"], s["lift_active_days"], s["lift_breadth"]) == (6.0, 2.0, 3.0)   # 300/50, 3/1.5, 3/1
    baselines = {b["need"]: b for b in rows(con, "SELECT * FROM need_baselines")}
    assert baselines["baby"] == {**_baby(), "learned_as_of": date(2024, 1, 31)}
    # the needs the file does not hold are learned from the run's data
    assert {b["learned_as_of"] for n, b in baselines.items() if n != "baby"} == {AS_OF}
    (signal,) = rows(con, "SELECT evidence FROM signals WHERE need = 'baby'")
    assert json.loads(signal["evidence"])["engagement"]["baseline"]["population"] == 100
    assert rows(con, "SELECT value FROM enrichment_info WHERE key = 'baselines'") == [{"value": str(path)}]


def test_a_baseline_saved_for_another_window_is_learned_again(run: RunBuilder, tmp_path: Path) -> None:
    _population(run)
    con = run.done()
    enrich(con, EnrichmentConfig(as_of=AS_OF, baselines_file=_write(tmp_path / "b.json", [_baby(window_days=30)])))
    (b,) = rows(con, "SELECT * FROM need_baselines WHERE need = 'baby'")
    assert (b["window_days"], b["population"], b["learned_as_of"]) == (90, 3, AS_OF)


@pytest.mark.parametrize(("content", "says"), [
    (None, "no such file"),
    ("{not json", "cannot be read as JSON"),
    (json.dumps({"format": "other/1", "baselines": []}), "not a need baselines file"),
    (json.dumps({"format": FORMAT, "baselines": [_baby(window_days=0)]}), "baseline 1: window_days"),
    (json.dumps({"format": FORMAT, "baselines": [_baby(), _baby(spend=-1)]}), "baseline 2: spend"),
    (json.dumps({"format": FORMAT, "baselines": [_baby(learned_as_of="May")]}), "baseline 1: learned_as_of"),
    (json.dumps({"format": FORMAT, "baselines": [_baby(need="")]}), "baseline 1: no need name"),
    (json.dumps({"format": FORMAT, "baselines": [_baby(), _baby(spend=2.0)]}), "baseline 2: a second baseline"),
])
def test_a_bad_baselines_file_is_named_with_what_is_wrong(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "baselines.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_baselines(path)
    assert f"enrichment.baselines_file {path}" in str(raised.value) and says in str(raised.value)
