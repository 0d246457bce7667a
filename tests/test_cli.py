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


def test_error_text_is_printed_as_written_not_as_markup(dataset, tmp_path: Path) -> None:
    # a path holding [/x] crashed rich's markup parser; a setting in brackets vanished from the message
    folder = tmp_path / "in[" / "x]"
    result = runner.invoke(app, ["run", "-c", str(folder / "linker.toml"), "-q"])
    assert result.exit_code == 1
    assert f"{folder}{'/'}linker.toml" in result.output.replace("\n", "")
    config = dataset()
    config["sources"]["purchases"]["path"] = str(tmp_path / "p.csv")
    (tmp_path / "p.csv").write_text("order_id,amount\nO1,5\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "-c", str(write_toml(tmp_path / "linker.toml", config))])
    assert result.exit_code == 1
    assert "[sources.purchases.columns]" in result.output.replace("\n", "")


def test_an_unexpected_error_is_one_line_without_its_message_and_debug_shows_it(
        dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linker

    def broken(*args, **kwargs):
        raise RuntimeError("zhangwei@gmail.com")   # a message that could quote an input value

    monkeypatch.setattr(linker, "run", broken)
    toml = write_toml(tmp_path / "linker.toml", dataset())
    result = runner.invoke(app, ["run", "-c", str(toml), "-q"])
    assert result.exit_code == 70
    assert "internal error (builtins.RuntimeError at test_cli.py:" in result.output
    assert "zhangwei" not in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["--debug", "run", "-c", str(toml), "-q"])
    assert isinstance(result.exception, RuntimeError)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--no-such-option"])
    assert result.exit_code == 2


@pytest.mark.parametrize("option", ["--customers", "--accounts", "--events"])
def test_demo_sizes_must_be_positive(tmp_path: Path, option: str) -> None:
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "d"), option, "0", "-q"])   # crashed in the generator
    assert result.exit_code == 2 and "greater than or equal to 1" in " ".join(result.output.split())
    assert not (tmp_path / "d").exists()


def test_help_version_and_flags_without_a_type_placeholder() -> None:
    assert runner.invoke(app, ["-h"]).exit_code == 0
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.strip() == "linker 0.1.0"
    for command in (["run"], ["demo"], ["explain"], ["cypher"], ["queries", "run"], ["export", "neo4j"]):
        result = runner.invoke(app, [*command, "-h"], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output, command


def test_help_does_not_load_duckdb_or_pandas() -> None:
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from linker.cli import app; "
            "CliRunner().invoke(app, ['--help']); print(sorted({'duckdb', 'pandas', 'pyarrow', 'networkx'} "
            "& set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_demo_does_not_replace_a_config_it_did_not_write_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "linker.toml").write_text("# my own config\n", encoding="utf-8")
    small = ["--customers", "30", "--accounts", "60", "--events", "200", "-q"]
    result = runner.invoke(app, ["demo", "-o", str(folder), *small])
    assert result.exit_code == 1 and "--force" in result.output
    assert (folder / "linker.toml").read_text(encoding="utf-8") == "# my own config\n"
    assert not (folder / "data").exists()
    assert runner.invoke(app, ["demo", "-o", str(folder), *small, "--force"]).exit_code == 0
    assert "written by `linker demo`" in (folder / "linker.toml").read_text(encoding="utf-8")
    again = runner.invoke(app, ["demo", "-o", str(folder), *small])   # the demo's own config: replaced silently
    assert again.exit_code == 0, again.output
