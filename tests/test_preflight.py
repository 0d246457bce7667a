from pathlib import Path

import pytest

from linker.config import load_config
from linker.errors import ConfigError
from linker.preflight import check_inputs


def test_valid_inputs_pass(dataset) -> None:
    check_inputs(load_config(dataset()))


def test_every_problem_names_table_file_and_column(dataset, tmp_path: Path) -> None:
    config = dataset()
    config["sources"]["customers"]["columns"] = {"phones": ["mobile", "phones"], "name": "姓名"}
    config["sources"]["accounts"]["path"] = str(tmp_path / "missing.csv")
    config["sources"]["purchases"]["columns"] = {"amount": ["amount", "order_id"]}
    with pytest.raises(ConfigError) as excinfo:
        check_inputs(load_config(config))
    problems = excinfo.value.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    assert "customers (customers.csv): column(s) ['mobile'] mapped to 'phones' not found" in text
    assert "customers (customers.csv): column(s) ['姓名'] mapped to 'name' not found" in text
    assert "accounts:" in text and "missing.csv" in text and "file not found" in text
    assert "purchases (purchases.csv): 'amount' takes one column" in text


def test_required_column_missing(dataset, tmp_path: Path) -> None:
    config = dataset()
    (tmp_path / "p.csv").write_text("order_id,account_id,category\nO1,A1,x\n", encoding="utf-8")
    config["sources"]["purchases"]["path"] = str(tmp_path / "p.csv")
    with pytest.raises(ConfigError) as excinfo:
        check_inputs(load_config(config))
    assert sorted(p.split(": ")[1].split(" for ")[1].split(" ")[0] for p in excinfo.value.problems) == [
        "'amount'", "'order_time'"]
