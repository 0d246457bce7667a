"""The ``sparse`` profile: few emails, fewer identifiers per account, many blank names, no city; every true link
still findable."""

from __future__ import annotations

import pandas as pd
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.configs import config_text
from linker.demo.profiles import PROFILES
from tests.demo.test_demo_generate import CONTRACT, assert_true_owners_share_an_identifier, read

SIZE = {"customers": 400, "accounts": 1200, "events": 2000, "seed": 6}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for profile in ("default", "sparse"):
        folder = tmp_path_factory.mktemp(profile)
        generate_demo(folder, DemoSpec(**SIZE, profile=profile))
        out[profile] = {name: read(folder, name) for name in CONTRACT}
    return out


def share(column: pd.Series) -> float:
    return float(column.notna().mean())


def test_sparse_has_no_city_and_says_so_nowhere(tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    assert "city" not in tables["sparse"]["customers"] and "city" not in tables["sparse"]["accounts"]
    assert "city" not in config_text(PROFILES["sparse"], "data", "csv", "utf-8")


def test_sparse_has_far_fewer_emails_and_identifiers(tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    d, s = tables["default"], tables["sparse"]
    for table in ("customers", "accounts"):
        assert share(s[table].emails) < 0.4 * share(d[table].emails), table

    def per_account(t: pd.DataFrame) -> float:
        return float(sum(t[c].fillna("").str.count(";") + t[c].notna() for c in ("phones", "emails", "device_ids")
                         ).mean())

    assert per_account(s["accounts"]) < 0.85 * per_account(d["accounts"])


def test_sparse_blanks_about_half_the_account_names(tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    assert 0.4 < tables["sparse"]["accounts"].name.isna().mean() < 0.6


def test_sparse_links_stay_findable(tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    assert_true_owners_share_an_identifier(tables["sparse"])
