"""Every generator profile: documented, deterministic, its configs load and linker runs on its data, its truth
points at its rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import linker
from linker.config import load_config
from linker.demo import profiles as profiles_module
from linker.demo.configs import config_files
from linker.demo.generate import DemoSpec
from linker.demo.layout import TableLayout
from linker.demo.profiles import PROFILES, get_profile, profiles_markdown
from linker.demo_run import write_demo
from linker.errors import ConfigError
from linker.preflight import check_inputs

SIZE = {"customers": 150, "accounts": 450, "events": 3000, "seed": 11}
NAMES = list(PROFILES)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each profile's demo folder (``linker.toml``, ``data/``), generated once for the module."""
    root = tmp_path_factory.mktemp("profiles")
    return {name: write_demo(root / name, profile=name, **SIZE).parent for name in NAMES}


def read_source(folder: Path, table: str) -> pd.DataFrame:
    """A data file as its config describes it (encoding, format), every column as text."""
    source = load_config(folder / "linker.toml").sources[table]
    assert source.path is not None
    if source.file_format == "parquet":
        return pd.read_parquet(source.path)
    return pd.read_csv(source.path, dtype=str, keep_default_na=False, na_values=[""], encoding=source.encoding)


def read_truth(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / "data" / "truth" / f"{name}.csv", dtype=str, keep_default_na=False,
                       na_values=[""])


def test_the_module_table_and_the_readme_table_list_every_profile() -> None:
    doc = profiles_module.__doc__ or ""
    in_doc = re.findall(r"^([a-z_]+) {2,}\S", doc, re.MULTILINE)
    assert in_doc == ["profile", *NAMES]
    rows = profiles_markdown().splitlines()[2:]
    assert [re.match(r"\| `([a-z_]+)`", r).group(1) for r in rows] == NAMES  # type: ignore[union-attr]


def test_unknown_profiles_are_refused_with_the_known_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="default"):
        get_profile("nope")
    with pytest.raises(ValueError, match="profile must be one of default"):
        DemoSpec(profile="nope")
    with pytest.raises(ConfigError, match="profile must be one of"):
        write_demo(tmp_path / "x", profile="nope")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_bytes(generated: dict[str, Path], tmp_path: Path, name: str) -> None:
    again = write_demo(tmp_path / name, profile=name, **SIZE).parent
    first = sorted(p.relative_to(generated[name]) for p in generated[name].rglob("*") if p.is_file())
    assert first == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in first:
        assert (again / rel).read_bytes() == (generated[name] / rel).read_bytes(), rel


@pytest.mark.parametrize("name", NAMES)
def test_configs_load_and_name_existing_columns(generated: dict[str, Path], name: str) -> None:
    configs = config_files(PROFILES[name])
    assert sorted(p.name for p in generated[name].glob("*.toml")) == sorted(configs)
    for file in configs:
        check_inputs(load_config(generated[name] / file))


@pytest.mark.parametrize("name", NAMES)
def test_linker_runs_on_the_profile(generated: dict[str, Path], tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    shutil.copytree(generated[name], folder)
    config = load_config(folder / "linker.toml", {"output.graph_store": False, "output.formats": ["parquet"]})
    summary = linker.run(config).summary()
    for table, t in summary["tables"].items():
        assert t["reconciles"], table
        assert t["quarantined"] <= 0.02 * t["rows_read"] + 12, (table, t["reasons"])
    assert summary["counts"]["linked pairs"] > 0


@pytest.mark.parametrize("name", NAMES)
def test_truth_points_at_the_written_rows(generated: dict[str, Path], name: str) -> None:
    folder = generated[name]
    customers, accounts = read_source(folder, "customers"), read_source(folder, "accounts")
    owner = read_truth(folder, "account_owner")
    assert set(owner.account_id) <= set(accounts.iloc[:, 0])
    assert set(owner.customer_id) <= set(customers.iloc[:, 0])
    traps = read_truth(folder, "traps")
    for table in ("customers", "accounts", "purchases", "browsing", "transactions"):
        data = read_source(folder, table)
        rows = traps[traps.table == table]
        got = data.iloc[rows.row.astype(int).to_numpy() - 1, 0].to_numpy()
        want = rows.entity_id.to_numpy()
        assert all(g == w or (pd.isna(g) and pd.isna(w)) for g, w in zip(got, want)), table


@pytest.mark.parametrize("name", NAMES)
def test_each_knob_shows_in_the_files(generated: dict[str, Path], name: str) -> None:
    """What a profile's knobs promise is in its files, and what they do not is not (``mixed`` has them all)."""
    profile, folder = PROFILES[name], generated[name]
    layout = TableLayout(profile)
    traps = set(read_truth(folder, "traps").trap)
    customers = set(read_source(folder, "customers").columns)
    accounts = set(read_source(folder, "accounts").columns)
    assert ("unallocated_range" in traps) == (profile.unallocated_share > 0)
    assert (layout.header("accounts", "real_name") in accounts) == (profile.names == "multi")
    assert (layout.header("customers", "phone_confirmed") in customers) == (profile.phone_dates == "confirmed")
    assert ({"reassigned_phone", "relative_phone", "office_phone", "namesake"} <= traps) == profile.hostile
    assert (layout.header("accounts", "city") not in accounts) == profile.sparse
    try:
        (folder / "data" / "customers.csv").read_bytes().decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    assert utf8 == (profile.layout != "bank_export")
    assert (folder / "data" / "truth" / "interests.csv").is_file() == (profile.behaviour == "interests")
    assert read_truth(folder, "needs").empty == (profile.behaviour == "interests")
