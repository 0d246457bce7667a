"""Identifier types, attribute comparisons and blocking rules declared in the configuration."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import linker
from linker.config import load_config
from linker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _febrl_script():
    spec = importlib.util.spec_from_file_location("febrl", ROOT / "scripts" / "febrl.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_febrl_sample_links_by_configuration_alone(tmp_path: Path) -> None:
    febrl = _febrl_script()
    scores = febrl.run_febrl4(tmp_path, sample=400)
    assert scores.true_pairs == 400
    assert scores.precision >= 0.99 and scores.recall >= 0.97, scores
    model = json.loads((tmp_path / "out" / "model.json").read_text(encoding="utf-8"))
    assert model["training"]["method"] == "starting values"   # 400 candidate pairs: too few to estimate


def _run(tmp_path: Path, customers: list[dict], accounts: list[dict], resolution: dict) -> linker.RunResult:
    config = load_config({"sources": {"customers": {}, "accounts": {}}, "resolution": resolution,
                          "output": {"dir": str(tmp_path / "out"), "graph_store": False, "formats": ["csv"]}})
    return linker.run(config, frames={"customers": pd.DataFrame(customers), "accounts": pd.DataFrame(accounts)})


def test_a_declared_identifier_links_in_its_normal_form_and_one_edit_apart(tmp_path: Path) -> None:
    resolution = {"identifiers": {"national_id": {"customers": "身份证", "accounts": "id_no", "normalize": "alnum",
                                                  "pattern": "[0-9]{17}[0-9X]", "near_miss": True}}}
    _run(tmp_path, [{"customer_id": "C1", "name": "张伟", "身份证": "11010519491231002x"},
                    {"customer_id": "C2", "name": "李娜", "身份证": "110105194912310029"},
                    {"customer_id": "C3", "name": "王芳", "身份证": "12345"}],
         [{"account_id": "A1", "name": "张伟", "id_no": "110105 19491231 002X"},
          {"account_id": "A2", "name": "李娜", "id_no": "110105194912310028"},
          {"account_id": "A3", "name": "王芳", "id_no": "12345"}],
         resolution)
    import duckdb

    con = duckdb.connect(str(tmp_path / "out" / "work.duckdb"), read_only=True)
    levels = dict(con.execute("SELECT customer_id || account_id, e.level FROM (SELECT customer_id, account_id, "
                              "unnest(evidence) AS e FROM links) WHERE e.comparison = 'national_id'").fetchall())
    assert levels["C1A1"] == "exact_sole" and levels["C2A2"] == "near"
    invalid = con.execute("SELECT status, reason FROM identifiers WHERE id_type = 'national_id' AND raw = '12345'"
                          ).fetchall()
    assert set(invalid) == {("invalid", "bad_format")}


def test_blocking_on_attributes_brings_pairs_that_share_no_identifier(tmp_path: Path) -> None:
    resolution = {"comparisons": [{"name": "dob", "customers": "dob", "accounts": "dob", "kind": "date"}],
                  "blocking": [{"on": ["dob", "city"]}]}
    _run(tmp_path, [{"customer_id": "C1", "name": "张伟", "dob": "1980-01-02", "city": "北京"}],
         [{"account_id": "A1", "name": "张伟", "dob": "19800102", "city": "北京市"},
          {"account_id": "A2", "name": "张伟", "dob": "19800102", "city": "上海"}], resolution)
    import duckdb

    con = duckdb.connect(str(tmp_path / "out" / "work.duckdb"), read_only=True)
    assert con.execute("SELECT account_id FROM links").fetchall() == [("A1",)]


@pytest.mark.parametrize(("resolution", "message"), [
    ({"identifiers": {"passport": {"customers": "p", "accounts": "p", "normalize": "magic"}}}, "normalize"),
    ({"identifiers": {"phone": {"customers": "p", "accounts": "p"}}}, "'phone' is a built-in comparison"),
    ({"comparisons": [{"name": "x", "customers": "a", "accounts": "b", "kind": "fuzzy"}]}, "kind"),
    ({"blocking": [{"on": ["nope"]}]}, "blocking on 'nope': not a comparison"),
    ({"identifiers": {"passport": {"customers": "p", "accounts": "p", "pattern": "[0-9"}}}, "not a regular expression"),
])
def test_bad_declarations_are_clear_errors(resolution: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"sources": {"customers": {"path": "c.csv"}, "accounts": {"path": "a.csv"}},
                     "resolution": resolution})


def test_a_declared_column_missing_from_the_file_is_named(tmp_path: Path) -> None:
    resolution = {"comparisons": [{"name": "surname", "customers": "surname", "accounts": "family_name"}]}
    with pytest.raises(ConfigError, match="resolution.comparisons\\[surname\\].accounts: the accounts file has no "
                                          "column 'family_name'"):
        _run(tmp_path, [{"customer_id": "C1", "surname": "wang"}], [{"account_id": "A1", "surname": "wang"}],
             resolution)
