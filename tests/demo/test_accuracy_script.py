"""``scripts/accuracy.py``: one table over profiles, data generated once and reused, importable pieces."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "accuracy.py"
SMALL = ["--customers", "150", "--accounts", "450", "--events", "2000", "--seed", "3"]


@pytest.fixture(scope="module")
def accuracy():
    spec = importlib.util.spec_from_file_location("accuracy_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_scores_each_profile_and_reuses_its_data(accuracy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
    out = tmp_path / "acc.json"
    args = ["--profiles", "ranges", *SMALL, "--workdir", str(tmp_path / "w"), "--json", str(out), "--errors", "2"]
    assert accuracy.main(args) == 0
    printed = capsys.readouterr()
    first = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["data"], r["method"]) for r in first["results"]] == [("ranges", "linker"),
                                                                   ("ranges", "naive exact match")]
    linker_row = first["results"][0]
    assert 0 < linker_row["recall"] <= linker_row["recall_findable"] <= 1
    assert linker_row["f1"] == pytest.approx(
        2 * linker_row["precision"] * linker_row["recall"] / (linker_row["precision"] + linker_row["recall"]),
        abs=1e-4)
    assert set(linker_row["errors"]) == {"false_links", "missed"}
    assert first["generation_seconds"]["ranges"] > 0
    assert "ranges" in printed.out and "ranges: data generated" in printed.err

    sizes = accuracy.Sizes(150, 450, 2000, 3)
    folder, seconds = accuracy.generate("ranges", sizes, tmp_path / "w")
    assert seconds is None and folder == tmp_path / "w" / "ranges"  # generated once, then reused


def test_unknown_profiles_are_refused(accuracy, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        accuracy.main(["--profiles", "default,nope", "--workdir", str(tmp_path)])
