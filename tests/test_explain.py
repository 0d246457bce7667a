"""explain: the prior and every comparison add up to the match weight; masked unless unmask; the CLI's options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.config import Config
from linker.explain import explain_account, explain_customer, render_text
from linker.pipeline import run

runner = CliRunner()


@pytest.fixture
def out(dataset, tmp_path: Path) -> Path:
    config = Config.model_validate(dataset())
    run(config)
    return config.output.dir


def test_the_prior_and_the_evidence_add_up_to_the_match_weight(out: Path) -> None:
    for candidate in explain_customer(out, "C1")["candidates"]:
        weights = [float(e["weight"]) for e in candidate["evidence"] if e.get("weight") is not None]
        assert candidate["prior_bits"] + sum(weights) == pytest.approx(float(candidate["match_weight"]), abs=0.05)
    text = render_text(explain_customer(out, "C1"))
    assert "prior" in text and "= match weight" in text and "owner probability" in text


def test_values_are_masked_unless_unmask(out: Path) -> None:
    masked = json.dumps(explain_customer(out, "C1"), ensure_ascii=False, default=str)
    assert "张伟" not in masked and "8001" in masked and "13800138001" not in masked and "张*" in masked
    raw = json.dumps(explain_customer(out, "C1", unmask=True), ensure_ascii=False, default=str)
    assert "张伟" in raw and "+8613800138001" in raw
    account = explain_account(out, "A1", unmask=True)
    assert account["account"]["name"] == "zhang wei"


def test_the_command_takes_run_dir_format_and_unmask(out: Path) -> None:
    result = runner.invoke(app, ["explain", "C1", "-r", str(out), "-f", "json", "--unmask"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["customer"]["name"] == "张伟"
    result = runner.invoke(app, ["explain", "C1", "-r", str(out)])
    assert result.exit_code == 0 and "张*" in result.stdout
    assert runner.invoke(app, ["explain", "C1", "-r", str(out), "--format", "xml"]).exit_code == 2
