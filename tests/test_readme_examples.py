"""Every command example of the README runs as written against the demo (``linker demo`` in a fresh folder).

The examples run in README order, in one folder, as a reader would run them from the repository root after the
set-up; a query example must find something (a README example that prints no row shows nothing). ``linker``
examples of a block marked not run are parsed by the command line instead. Script examples (``python
scripts/...``: benchmarks and accuracy tables over every profile, minutes to hours) are parsed by the script's own
argument parser; tests/scripts runs each script on small data.
"""

from __future__ import annotations

import argparse
import contextlib
import runpy
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from linker.cli import app
from linker.docs_examples import Example, command_examples, is_one_command

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = command_examples((ROOT / "README.md").read_text(encoding="utf-8"))
RUN = [e for e in EXAMPLES if e.not_run is None and e.is_linker]
PARSED = [e for e in EXAMPLES if (e.not_run is not None and e.is_linker) or e.is_script]
QUERIES = ("cypher", "queries run")
ACTIVATE = ["source", ".venv/bin/activate"]
"""The one shell command the examples use besides linker's (the test runs the venv's linker already)."""
runner = CliRunner()


def _id(example: Example) -> str:
    return f"L{example.line}:{' '.join(example.words[:3])}"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the README's set-up has run: ``linker demo`` wrote ./linker-demo/, and the README's other
    ``linker demo`` examples their folders, which the examples after them read: the examples may run on
    different test workers, each with its own folder."""
    root = tmp_path_factory.mktemp("readme")
    result = runner.invoke(app, ["demo", "-o", str(root / "linker-demo"), "-q"])
    assert result.exit_code == 0, result.output
    with contextlib.chdir(root):
        for example in (e for e in RUN if e.words[1] == "demo"):
            result = runner.invoke(app, example.words[1:])
            assert result.exit_code == 0, f"README line {example.line}: {example.text}\n{result.output}"
    return root


def test_the_readme_has_examples_of_every_command() -> None:
    shown = {e.words[1] for e in EXAMPLES if e.is_linker}
    commands = {c.name for c in typer.main.get_command(app).commands.values()}
    assert commands - shown == set(), f"commands the README never shows: {sorted(commands - shown)}"


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.not_run is None], ids=_id)
def test_each_example_is_one_plain_command(example: Example) -> None:
    assert is_one_command(example.text), f"README line {example.line}: write one command per line"
    assert example.is_linker or example.is_script or example.words == ACTIVATE, \
        f"README line {example.line}: not a linker command"


@pytest.mark.parametrize("example", RUN, ids=_id)
def test_example_runs_against_the_demo(example: Example, demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_root)
    for name, value in example.env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, example.words[1:])
    assert result.exit_code == 0, f"README line {example.line}: {example.text}\n{result.output}"
    if " ".join(example.words[1:3]).startswith(QUERIES):
        assert "\n0 row(s)" not in result.output, f"README line {example.line} finds nothing in the demo"


@pytest.mark.parametrize("example", PARSED, ids=_id)
def test_example_not_run_parses(example: Example, monkeypatch: pytest.MonkeyPatch) -> None:
    if example.is_linker:
        parse_command_line(example.words[1:])
    elif example.is_script:
        parse_script_arguments(ROOT / example.words[1], example.words[2:], monkeypatch)


def parse_command_line(args: list[str]) -> typer.Context:
    """Parse ``linker ARGS`` down to its command, as the command line would, without running it."""
    command = typer.main.get_command(app)
    ctx = command.make_context("linker", list(args))
    while isinstance(command, TyperGroup):
        name, command, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert command is not None, f"no command {name}"
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


class _Parsed(Exception):
    pass


def parse_script_arguments(script: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a script's own argument parser on ``args`` and stop there (exit 2 from argparse fails the test).

    A script without arguments (``update_readme.py``) has nothing to parse: it must exist."""
    assert script.is_file(), f"no script {script}"
    if not args:
        return
    parse = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        parse(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    monkeypatch.setattr(sys, "argv", [str(script), *args])
    monkeypatch.syspath_prepend(str(script.parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except _Parsed:
        return
    except SystemExit as e:   # --help
        assert e.code in (0, None), f"{script.name} {' '.join(args)}: exit {e.code}"
        return
    pytest.fail(f"{script.name} ran without parsing arguments")
