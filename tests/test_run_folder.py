"""The run folder: staged runs switched in whole, no stale files, the lock, what linker may delete, readers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from linker.config import load_config
from linker.errors import RunFolderError, RunIncompleteError, RunLockedError, RunNotFoundError
from linker.explain import explain_customer
from linker.pipeline import run
from linker.run_folder import INCOMPLETE, LOCK, STAGING, RunFolder, default_run_dir, readable_run
from tests.tiny import CUSTOMERS


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (its lock file aside) with its checksum."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK}


def test_a_rerun_leaves_no_file_of_the_previous_run(dataset, tmp_path: Path) -> None:
    config = dataset(customers=pd.concat([CUSTOMERS, CUSTOMERS.head(1)]))   # a duplicate: quarantined
    config["output"]["graph_store"] = True
    first = run(load_config(config))
    out = first.output_dir
    assert (out / "graph.lbug").exists() and (out / "quarantine" / "customers.csv").exists()
    config = dataset()
    config["output"].update({"formats": ["parquet"], "graph_store": False})
    second = run(load_config(config))
    entries = {p.name for p in out.iterdir()}
    assert entries == {p.relative_to(out).parts[0] for p in second.files} | {"work.duckdb"}
    assert not any(name.endswith((".csv", ".jsonl", ".lbug")) for name in entries)
    assert "quarantine" not in entries
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["run_folder"]["entries"]) == entries


def test_a_failed_run_leaves_the_previous_run_as_it_was(dataset, tmp_path: Path) -> None:
    config = load_config(dataset())
    run(config)
    before = snapshot(config.output.dir)

    class Boom(Exception):
        pass

    def hook(name: str):
        if name == "export":
            raise Boom
        from contextlib import nullcontext
        return nullcontext()

    with pytest.raises(Boom):
        run(config, stage_hook=hook)
    assert snapshot(config.output.dir) == before
    assert not (config.output.dir / STAGING).exists()


def test_an_output_folder_holding_an_input_is_refused_untouched(dataset, tmp_path: Path) -> None:
    config = dataset()
    config["output"]["dir"] = str(tmp_path)   # the inputs' folder: clusters.csv would overwrite an input there
    (tmp_path / "clusters.csv").write_text("mine\n", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(RunFolderError, match="holds the input .*customers.csv"):
        run(load_config(config), force=True)
    assert snapshot(tmp_path) == before and not (tmp_path / LOCK).exists()


def test_files_linker_did_not_write_are_refused_unless_forced_and_always_kept(dataset, tmp_path: Path) -> None:
    config = dataset()
    out = Path(config["output"]["dir"])
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / ".work").mkdir()                   # a folder of the user's that linker's temporary files once took
    (out / ".work" / "keep.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(RunFolderError, match=r"holds files linker did not write \(\.work, notes\.txt\).*--force"):
        run(load_config(config))
    run(load_config(config), force=True)
    run(load_config(config), force=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / ".work" / "keep.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "profiles.parquet").exists()


def test_force_does_not_replace_a_file_linker_did_not_write(dataset, tmp_path: Path) -> None:
    config = dataset()
    out = Path(config["output"]["dir"])
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "work.duckdb").write_text("mine\n", encoding="utf-8")
    with pytest.raises(RunFolderError, match="holds work.duckdb, which linker did not write"):
        run(load_config(config), force=True)
    assert (out / "work.duckdb").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("kind", ["file", "under a file"])
def test_an_unusable_output_folder_is_one_clear_message(dataset, tmp_path: Path, kind: str) -> None:
    config = dataset()
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    config["output"]["dir"] = str(tmp_path / "taken" if kind == "file" else tmp_path / "taken" / "out")
    match = "is a file" if kind == "file" else "cannot create the output folder"
    with pytest.raises(RunFolderError, match=match):
        run(load_config(config))


def test_a_run_refuses_a_folder_another_run_holds(dataset, tmp_path: Path) -> None:
    config = load_config(dataset())
    with RunFolder(config.output.dir).locked():
        assert RunFolder(config.output.dir).running()["pid"] > 0
        with pytest.raises(RunLockedError, match=r"another run is writing into .* \(pid \d+ on"):
            run(config)
    assert RunFolder(config.output.dir).running() is None
    run(config)


def test_a_killed_runs_staging_folder_goes_at_the_next_start(dataset, tmp_path: Path) -> None:
    config = load_config(dataset())
    run(config)
    leftover = config.output.dir / STAGING / ".work"
    leftover.mkdir(parents=True)
    (leftover / "scratch.duckdb").write_bytes(b"x")
    (config.output.dir / ".profiles.csv.tmp-99999").write_bytes(b"x")
    run(config)
    assert not (config.output.dir / STAGING).exists()
    assert not list(config.output.dir.glob(".*.tmp-*"))


def test_an_interrupted_switch_is_refused_by_readers_and_completed_by_the_next_start(dataset, tmp_path: Path
                                                                                     ) -> None:
    config = load_config(dataset())
    run(config)
    out = config.output.dir
    folder = RunFolder(out)
    # a finished second run in the staging folder, killed after the first old entry went
    staging = folder.staging
    staging.mkdir()
    for name in ("manifest.json", "summary.json", "work.duckdb", "profiles.parquet"):
        (staging / name).write_bytes((out / name).read_bytes())
    (staging / "new.parquet").write_bytes(b"new")
    remove = sorted(folder.owned() - {LOCK})
    (out / INCOMPLETE).write_text(json.dumps({"remove": remove, "move": sorted(p.name for p in staging.iterdir())}),
                                  encoding="utf-8")
    (out / "clusters.csv").unlink()
    with pytest.raises(RunIncompleteError, match="interrupted while its results were switched in"):
        explain_customer(out, "C1")
    with folder.locked():
        folder.recover()
    assert {p.name for p in out.iterdir()} == {"manifest.json", "summary.json", "work.duckdb",
                                               "profiles.parquet", "new.parquet"}
    assert explain_customer(out, "C1")["customer"]["customer_id"] == "C1"


def test_readers_say_why_a_folder_has_no_run(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no run folder"):
        readable_run(tmp_path / "nope", "work.duckdb")
    folder = RunFolder(tmp_path / "out")
    with folder.locked():
        folder.start()
        with pytest.raises(RunNotFoundError, match=r"no run has finished in .* yet: one is writing into it \(pid"):
            readable_run(folder.path, "work.duckdb")
    with pytest.raises(RunNotFoundError, match="the last one was interrupted before its end"):
        readable_run(folder.path, "work.duckdb")


def test_reading_commands_default_to_the_configs_output_folder(tmp_path: Path) -> None:
    assert default_run_dir(tmp_path / "linker.toml") == Path("linker-out")
    (tmp_path / "linker.toml").write_text('[output]\ndir = "results"\n', encoding="utf-8")
    assert default_run_dir(tmp_path / "linker.toml") == tmp_path / "results"


def test_a_folder_of_an_earlier_version_killed_before_its_manifest_is_linkers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".work").mkdir(parents=True)
    for name in ("work.duckdb", "profiles.csv", ".links.csv.tmp-123"):
        (out / name).write_bytes(b"x")
    assert RunFolder(out).foreign() == set()
    (out / "notes.txt").write_bytes(b"x")
    assert RunFolder(out).foreign() == {"notes.txt", "work.duckdb", "profiles.csv", ".work"}


def test_a_neo4j_bundle_of_the_previous_run_is_linkers_and_goes_with_it(dataset, tmp_path: Path) -> None:
    config = load_config(dataset())
    run(config)
    bundle = config.output.dir / "neo4j-import"   # where `linker export neo4j` writes by default
    bundle.mkdir()
    (bundle / "import.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    run(config)                                    # not refused as a file linker did not write
    assert not bundle.exists()                     # and not left to describe the previous run


def test_an_output_folder_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    inputs = tmp_path / "partner-exports"            # a source given as a folder of Parquet parts
    inputs.mkdir()
    problems = RunFolder(inputs / "out").problems([inputs], force=True)
    assert problems == [f"output folder {inputs / 'out'} is inside the input {inputs.resolve()}"]
    assert RunFolder(tmp_path / "out").problems([inputs]) == []
