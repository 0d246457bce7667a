"""linker init: the config guessed from the headers of files written as a bank and platforms export them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.demo_run import write_demo
from linker.errors import ConfigError
from linker.init_config import guess_columns, guess_table, write_init_config

runner = CliRunner()


@pytest.fixture(scope="module")
def bank_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chinese headers, gb18030: the bank_export demo profile, with the config its generator writes."""
    folder = tmp_path_factory.mktemp("init") / "bank"
    write_demo(folder, customers=40, accounts=120, events=400, profile="bank_export")
    return folder


def test_the_guessed_config_maps_what_the_profile_maps_and_validates(bank_export: Path) -> None:
    files = sorted((bank_export / "data").glob("*.csv"))
    result = runner.invoke(app, ["init", *map(str, files), "-o", str(bank_export / "guessed.toml")])
    assert result.exit_code == 0, result.output
    guessed = tomllib.loads((bank_export / "guessed.toml").read_text(encoding="utf-8"))
    truth = tomllib.loads((bank_export / "linker.toml").read_text(encoding="utf-8"))
    for table, source in truth["sources"].items():
        mine = guessed["sources"][table]
        assert Path(mine["path"]).name == Path(source["path"]).name and mine["encoding"] == "gb18030"
        expected = {role: column for role, column in source.get("columns", {}).items() if role != "name"}
        got = {role: column for role, column in mine["columns"].items() if role not in ("name", "names")}
        assert got == {k: v for k, v in expected.items() if k != "names"}, table
    assert guessed["sources"]["customers"]["columns"]["phone_confirmed"] == "手机验证日期"   # not phone_since
    validate = runner.invoke(app, ["validate", "-c", str(bank_export / "guessed.toml")])
    assert validate.exit_code == 0, validate.output


def test_an_existing_config_is_kept_unless_force(bank_export: Path, tmp_path: Path) -> None:
    target = tmp_path / "linker.toml"
    target.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="--force"):
        write_init_config([bank_export / "data" / "customers.csv"], target)
    assert target.read_text(encoding="utf-8") == "# mine\n"
    write_init_config([bank_export / "data" / "customers.csv"], target, overwrite=True)
    assert "[sources.customers]" in target.read_text(encoding="utf-8")


def test_a_file_of_no_known_table_is_a_message(tmp_path: Path) -> None:
    path = tmp_path / "weather.csv"
    path.write_text("day,rain\n2024-01-01,3\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(path), "-o", str(tmp_path / "x.toml")])
    assert result.exit_code == 1 and "name none of the tables' keys" in result.output


@pytest.mark.parametrize(("headers", "table"), [
    (["Customer ID", "Full Name", "Mobile", "E-mail"], "customers"),
    (["user_id", "platform", "nickname", "phone"], "accounts"),
    (["Order No", "User ID", "Order Time", "Amount"], "purchases"),
    (["txn_id", "customer_id", "txn_time", "amount", "mcc"], "transactions"),
    (["account_id", "device_id", "event_time", "category"], "browsing"),
])
def test_english_headers_are_guessed_too(headers: list[str], table: str) -> None:
    assert guess_table("export.csv", headers) == table
    mapping, _ = guess_columns(table, headers)
    assert len(mapping) >= 3
