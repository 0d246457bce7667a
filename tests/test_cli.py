import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linker.cli import app

runner = CliRunner()


def write_toml(path: Path, config: dict) -> Path:
    lines = []
    for name, source in config["sources"].items():
        lines.append(f"[sources.{name}]\npath = {json.dumps(source['path'])}")
    lines.append(f"[output]\ndir = {json.dumps(config['output']['dir'])}\ngraph_store = false")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_run_succeeds_and_prints_a_json_summary(dataset, tmp_path: Path) -> None:
    toml = write_toml(tmp_path / "linker.toml", dataset())
    result = runner.invoke(app, ["run", "--config", str(toml), "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tables"]["customers"]["accepted"] == 3
    assert all(t["reconciles"] for t in summary["tables"].values())
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_run_shows_a_summary_table(dataset, tmp_path: Path) -> None:
    toml = write_toml(tmp_path / "linker.toml", dataset())
    result = runner.invoke(app, ["run", "-c", str(toml)])
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output and "ingest" in result.output


def test_text_formats_come_on_request(dataset, tmp_path: Path) -> None:
    toml = write_toml(tmp_path / "linker.toml", dataset())
    result = runner.invoke(app, ["run", "-c", str(toml), "-q", "--format", "parquet", "--format", "csv"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert (out / "profiles.parquet").is_file() and (out / "profiles.csv").is_file() and (out / "links.csv").is_file()
    assert not list(out.glob("*.jsonl"))
    result = runner.invoke(app, ["run", "-c", str(toml), "-q", "--format", "xlsx"])
    assert result.exit_code == 1 and "output.formats" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("setup", "expected"), [
    ("missing_config", "config file"),
    ("bad_toml", "not valid TOML"),
    ("missing_input", "file not found"),
    ("bad_threshold", "resolution.link_threshold"),
])
def test_fatal_problems_exit_1_with_one_clear_message(dataset, tmp_path: Path, setup: str, expected: str) -> None:
    config = dataset()
    toml = tmp_path / "linker.toml"
    if setup == "bad_toml":
        toml.write_text("[sources\n", encoding="utf-8")
    elif setup == "missing_input":
        config["sources"]["accounts"]["path"] = str(tmp_path / "nope.csv")
        write_toml(toml, config)
    elif setup == "bad_threshold":
        write_toml(toml, config)
        toml.write_text(toml.read_text(encoding="utf-8") + "[resolution]\nlink_threshold = 7\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "-c", str(toml), "-q"])
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_validate_checks_without_running(dataset, tmp_path: Path) -> None:
    toml = write_toml(tmp_path / "linker.toml", dataset())
    result = runner.invoke(app, ["validate", "-c", str(toml)])
    assert result.exit_code == 0
    assert "is valid" in result.output
    assert not (tmp_path / "out").exists()


def test_demo_refuses_an_unknown_profile_with_the_known_ones(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "d"), "--profile", "nope", "-q"])
    assert result.exit_code == 1
    assert "profile must be one of default" in result.output
    assert "Traceback" not in result.output
