"""The match model: starting values, weights, saving and loading, and the checks on a model file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from linker.config import load_config
from linker.errors import ConfigError
from linker.resolve.model import MatchModel, comparisons_for, identifier_comparison


def test_starting_probabilities_are_distributions_and_weights_are_their_log_ratio() -> None:
    model = MatchModel.starting(comparisons_for())
    for c in model.comparisons:
        assert math.isclose(sum(model.m[c.name]), 1.0) and math.isclose(sum(model.u[c.name]), 1.0), c.name
        for i, level in enumerate(c.levels):
            assert model.weight(c.name, level.name) == pytest.approx(math.log2(model.m[c.name][i] / model.u[c.name][i]))
    assert model.prior < -10   # one pair in many thousands is a match


def test_identifier_levels_go_from_the_strongest_agreement_to_none() -> None:
    model = MatchModel.starting(comparisons_for())
    phone = [model.weight("phone", lv) for lv in ("exact_sole", "exact_few", "exact_many", "exact_stale")]
    assert phone == sorted(phone, reverse=True)
    assert model.weight("phone", "differ") < 0
    assert [lv.name for lv in identifier_comparison("device", near=False).levels] == [
        "exact_sole", "exact_sole_busy", "exact_few", "exact_many", "exact_stale", "differ"]


def test_a_saved_model_loads_back_the_same(tmp_path: Path) -> None:
    model = MatchModel.starting(comparisons_for()).with_training(method="em", iterations=12)
    loaded = MatchModel.load(model.save(tmp_path / "model.json"))
    assert loaded.m == model.m and loaded.u == model.u and loaded.match_share == model.match_share
    assert loaded.training == {"method": "loaded", "file": str(tmp_path / "model.json")}
    assert MatchModel.load(tmp_path / "model.json", reuse=False).training == {"method": "em", "iterations": 12}


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not JSON"),
    ("[1, 2]", "is not a linker match model"),
    ('{"linker_model_format": 99}', "format 1"),
    ('{"linker_model_format": 1, "match_share": 0.1}', "missing or bad 'comparisons'"),
])
def test_a_broken_model_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        MatchModel.load(path)


def test_a_probability_out_of_range_is_refused(tmp_path: Path) -> None:
    data = MatchModel.starting(comparisons_for()).to_dict()
    data["comparisons"][0]["levels"][0]["u"] = 0.0
    (tmp_path / "model.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="phone.exact_sole|missing or bad"):
        MatchModel.load(tmp_path / "model.json")


def test_a_model_from_another_schema_names_what_differs() -> None:
    other = MatchModel.starting(comparisons_for()[:-1] + (identifier_comparison("passport"),))
    with pytest.raises(ConfigError) as caught:
        other.check_fits(comparisons_for(), source="model file m.json")
    text = str(caught.value)
    assert "the run compares gender but the model does not" in text
    assert "the model has a comparison passport this run does not make" in text


def test_hand_set_weights_in_a_config_say_what_replaced_them() -> None:
    with pytest.raises(ConfigError, match="resolution.weights is gone"):
        load_config({"sources": {"customers": {"path": "c.csv"}, "accounts": {"path": "a.csv"}},
                     "resolution": {"weights": {"prior": -7}}})


def test_the_report_draws_the_weight_of_every_level(resolve_run) -> None:
    run = resolve_run([{"customer_id": "C1", "name": "张伟", "phones": "13800138001"}],
                      [{"account_id": "A1", "name": "zhang wei", "phones": "13800138001"}])
    model = json.loads((run.out / "model.json").read_text(encoding="utf-8"))
    stored = run.rows("SELECT comparison, level, weight FROM match_weights")
    assert stored[0][:2] == ("prior", "prior") and stored[0][2] == pytest.approx(model["prior_bits"], abs=1e-3)
    assert len(stored) == 1 + sum(len(c["levels"]) for c in model["comparisons"])
    text = (run.out / "report.html").read_text(encoding="utf-8")
    section = text[text.index("<h2>Match model</h2>"):]
    assert "Weight of every comparison level" in section and "name</td><td>pinyin" in section
