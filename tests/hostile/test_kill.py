"""kill -9 at every stage, and in the middle of the switch: the run folder holds one whole run, always.

A first run is made once; each case copies its folder, starts a second run (with more customers) in a child
process and kills it. The folder must then hold the first run exactly (or, killed while switching, be refused by
readers until the next start completes the switch to the whole second run); the next run cleans up after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.config import load_config
from linker.pipeline import run
from linker.run_folder import LOCK, STAGING, RunFolder
from tests.tiny import ACCOUNTS, CUSTOMERS, PURCHASES, write_table

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["ingest", "normalize", "resolve", "enrich", "export", "graph"]
MORE_CUSTOMERS = pd.concat([CUSTOMERS, CUSTOMERS.assign(customer_id=["C7", "C8", "C9"], phones="", emails="",
                                                        device_ids="")])


def config_for(folder: Path, customers: pd.DataFrame) -> dict:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    sources = {name: {"path": str(write_table(frame, data / f"{name}.csv"))}
               for name, frame in (("customers", customers), ("accounts", ACCOUNTS), ("purchases", PURCHASES))}
    return {"sources": sources, "output": {"dir": str(folder / "out"), "graph_store": True}}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("first")
    run(load_config(config_for(folder, CUSTOMERS)))
    return folder / "out"


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def child(config: dict, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "tests.hostile.child", str(path), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def customers_in(out: Path) -> int:
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM customers").fetchall()[0][0]


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_at_any_stage_leaves_the_previous_run_whole(first_run: Path, tmp_path: Path,
                                                                 stage: str) -> None:
    out = Path(shutil.copytree(first_run, tmp_path / "out"))
    before = snapshot(out)
    config = config_for(tmp_path, MORE_CUSTOMERS)
    killed = child(config, tmp_path, "kill", stage)
    assert killed.returncode == -9, killed.stderr
    assert (out / STAGING).exists()                              # what the killed run wrote stays aside
    assert {k: v for k, v in snapshot(out).items() if not k.startswith((STAGING, LOCK))} == before
    runner = CliRunner()
    for command in (["explain", "C1", "-r", str(out)], ["cypher", "MATCH (c:Customer) RETURN count(*)", "-r",
                                                            str(out), "-f", "csv"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "3"                   # the first run's customers
    if stage == "graph":   # the latest point: the store half built beside the rest; the next start clears it all
        run(load_config(config))
        assert not (out / STAGING).exists() and not (out / LOCK).exists()
        assert customers_in(out) == 6


@pytest.mark.parametrize("moves", [1, 4])
def test_a_run_killed_while_switching_in_is_refused_then_completed(first_run: Path, tmp_path: Path,
                                                                   moves: int) -> None:
    out = Path(shutil.copytree(first_run, tmp_path / "out"))
    killed = child(config_for(tmp_path, MORE_CUSTOMERS), tmp_path, "kill-switch", str(moves))
    assert killed.returncode == -9, killed.stderr
    result = CliRunner().invoke(app, ["explain", "C1", "-r", str(out)])
    assert result.exit_code == 1
    assert "is incomplete: it was interrupted while its results were switched in" in result.output
    folder = RunFolder(out)
    with folder.locked():
        folder.recover()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(p.name for p in out.iterdir()) == manifest["run_folder"]["entries"]
    assert customers_in(out) == 6 == manifest["tables"]["customers"]["accepted"]
    result = CliRunner().invoke(app, ["cypher", "MATCH ()-[l:LINKED_TO]->() RETURN DISTINCT l.run_id", "-r",
                                      str(out), "-f", "csv"])
    assert result.stdout.splitlines()[1:] == [manifest["run_id"]]  # the graph and the manifest of one run


def test_two_runs_on_one_folder(first_run: Path, tmp_path: Path) -> None:
    out = Path(shutil.copytree(first_run, tmp_path / "out"))
    config = config_for(tmp_path, MORE_CUSTOMERS)
    release = tmp_path / "release"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-m", "tests.hostile.child", str(path), "hold", "resolve",
                               str(release)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not Path(f"{release}.held").exists():
            assert holder.poll() is None, holder.communicate()
            os.sched_yield()
        toml = tmp_path / "linker.toml"
        toml.write_text("".join(f'[sources.{name}]\npath = "{s["path"]}"\n' for name, s in config["sources"].items())
                        + f'[output]\ndir = "{out}"\n', encoding="utf-8")
        second = CliRunner().invoke(app, ["run", "-c", str(toml), "-q"])
        assert second.exit_code == 1
        assert f"another run is writing into {out} (pid {holder.pid} on" in second.output.replace("\n", "")
        assert customers_in(out) == 3                               # the first run, readable meanwhile
    finally:
        release.touch()
        _, stderr = holder.communicate(timeout=300)
    assert holder.returncode == 0, stderr
    assert customers_in(out) == 6
