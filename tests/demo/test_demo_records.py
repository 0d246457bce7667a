"""Verification and closure dates of the ``bank_export`` profile: what they mean, and the careless twin config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linker.config import load_config
from linker.demo.generate import DemoSpec
from linker.demo_run import write_demo
from tests.demo.test_demo_generate import norm_phone, read

SIZE = {"customers": 400, "accounts": 1200, "events": 2000, "seed": 4}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The default (ownership dates) and bank_export (verification dates) data of one seed."""
    root = tmp_path_factory.mktemp("records")
    write_demo(root / "default", profile="default", **SIZE)
    write_demo(root / "bank", profile="bank_export", **SIZE)
    return root / "default", root / "bank"


def customers(pair: tuple[Path, Path]) -> pd.DataFrame:
    """Default customers with the bank export's verification dates and closure dates beside them."""
    default, bank = pair
    own = read(default / "data", "customers").dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    exp = read(bank / "data", "customers", encoding="gb18030").dropna(subset=["客户号"]).drop_duplicates("客户号")
    return own.merge(exp[["客户号", "手机验证日期", "销户日期"]], left_on="customer_id", right_on="客户号")


def test_verification_dates_align_with_phones_and_follow_ownership(pair: tuple[Path, Path]) -> None:
    c = customers(pair).dropna(subset=["phones"])
    assert (c.phones.str.count(";") == c.手机验证日期.str.count(";")).all()
    as_of = DemoSpec().as_of.isoformat()
    for since, verified in zip(c.phone_since, c.手机验证日期, strict=True):
        for s, v in zip(since.split(";"), verified.split(";"), strict=True):
            v_iso = f"{v[:4]}-{v[4:6]}-{v[6:]}"
            assert s <= v_iso < as_of


def test_most_owned_accounts_started_before_the_verification(pair: tuple[Path, Path]) -> None:
    default, _ = pair
    c = customers(pair).dropna(subset=["phones"]).set_index("customer_id")
    accounts = read(default / "data", "accounts").drop_duplicates("account_id").set_index("account_id")
    owner = read(default / "data", "truth/account_owner")
    before = []
    for account_id, customer_id in zip(owner.account_id, owner.customer_id, strict=True):
        if customer_id not in c.index or not isinstance(accounts.loc[account_id].phones, str):
            continue
        row = c.loc[customer_id]
        verified = dict(zip(map(norm_phone, row.phones.split(";")), row.手机验证日期.split(";"), strict=True))
        for raw in accounts.loc[account_id].phones.split(";"):
            v = verified.get(norm_phone(raw))
            if v:
                before.append(accounts.loc[account_id].registered_at[:10].replace("-", "") < v)
    assert len(before) > 300 and sum(before) / len(before) > 0.5


def test_closure_dates_are_given_for_closed_customers_only(pair: tuple[Path, Path]) -> None:
    c = customers(pair)
    assert (c.销户日期.notna() == (c.status == "closed")).all()
    assert (c.销户日期.dropna() < DemoSpec().as_of.isoformat().replace("-", "/")).all()


def test_the_careless_config_reads_verification_as_ownership(pair: tuple[Path, Path]) -> None:
    _, bank = pair
    careful = load_config(bank / "linker.toml").sources["customers"].columns
    careless = load_config(bank / "linker-careless.toml").sources["customers"].columns
    assert careful["phone_confirmed"] == careless["phone_since"] == "手机验证日期"
    assert "phone_since" not in careful and "phone_confirmed" not in careless
    assert {k: v for k, v in careful.items() if k != "phone_confirmed"} == \
        {k: v for k, v in careless.items() if k != "phone_since"}
