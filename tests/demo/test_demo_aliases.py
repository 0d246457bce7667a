"""The ``names`` profile: several names per account, in the forms platforms hold them, and customers whose
names are compound, short, long or Latin."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from pypinyin import lazy_pinyin

from linker.config import load_config
from linker.demo.aliasvocab import COMPOUND_SURNAMES
from linker.demo_run import write_demo
from tests.demo.test_demo_generate import read

SIZE = {"customers": 1500, "accounts": 4500, "events": 2000, "seed": 12}
CHINESE = r"[\u4e00-\u9fff]+"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("names"), profile="names", **SIZE).parent


@pytest.fixture(scope="module")
def owned(folder: Path) -> pd.DataFrame:
    """Accounts owned by customers with a Chinese name, with that name beside them."""
    data = folder / "data"
    accounts = read(data, "accounts").dropna(subset=["account_id"]).drop_duplicates("account_id")
    customers = read(data, "customers").dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    owner = read(data, "truth/account_owner")
    out = owner.merge(accounts, on="account_id").merge(customers[["customer_id", "name"]], on="customer_id",
                                                       suffixes=("", "_owner"))
    return out[out.name.str.fullmatch(CHINESE)]


def test_accounts_carry_three_name_columns_mapped_to_names(folder: Path) -> None:
    header = (folder / "data" / "accounts.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    assert "name" not in header and {"real_name", "recipients", "nickname", "gender", "birth_date"} <= set(header)
    config = load_config(folder / "linker.toml")
    assert config.sources["accounts"].columns["names"] == ["real_name", "recipients", "nickname"]
    assert config.sources["customers"].columns["names"] == "name_en"


def test_customers_have_compound_short_long_and_latin_names(folder: Path) -> None:
    names = read(folder / "data", "customers").dropna(subset=["customer_id"]).name.dropna()
    chinese = names[names.str.fullmatch(CHINESE)]
    assert set(chinese.str.len()) == {2, 3, 4}
    compound = chinese.str[:2].isin([s for s, _, _ in COMPOUND_SURNAMES])
    assert 0.02 < compound.mean() < 0.07
    latin = names[names.str.fullmatch(r"[A-Za-zÀ-ÿ' .-]+")]
    assert 0.015 < len(latin) / len(names) < 0.06
    assert latin.str.isupper().any() and (~latin.str.isupper()).any()


def test_real_names_are_blank_full_or_masked_forms_of_the_owner(owned: pd.DataFrame) -> None:
    real = owned.dropna(subset=["real_name"])
    assert 0.45 < 1 - len(real) / len(owned) < 0.65  # blank (or a namesake's? never: always the owner's)
    masked = real[real.real_name.str.contains(r"\*", regex=True)]
    assert 0.2 < len(masked) / len(real) < 0.5
    for shown, name in zip(masked.real_name, masked.name, strict=True):
        pattern = "".join("." if ch == "*" else re.escape(ch) for ch in shown)
        assert re.fullmatch(pattern, name) or (shown.endswith("*") and name.startswith(shown.rstrip("*"))), \
            (shown, name)
    full = real[~real.real_name.str.contains(r"\*", regex=True)]
    assert (full.real_name == full.name).mean() > 0.95


def test_nicknames_embed_the_owner_in_every_way(owned: pd.DataFrame) -> None:
    nick = owned.nickname.fillna("")
    pinyin = owned.name.map(lambda n: "".join(lazy_pinyin(n)))
    given = owned.name.map(lambda n: "".join(lazy_pinyin(n[-2:] if len(n) > 2 else n[-1])))
    embeds_full = [p in re.sub(r"[^a-z]", "", k.lower()) for p, k in zip(pinyin, nick, strict=True)]
    assert 0.05 < sum(embeds_full) / len(owned) < 0.25
    assert any(g + "." in k for g, k in zip(given, nick, strict=True))  # zhiqi.wu
    diminutive = [bool(re.fullmatch(rf"(小|阿){re.escape(n[-1])}.*|老{re.escape(n[0])}", k))
                  for n, k in zip(owned.name, nick, strict=True)]
    assert 0.03 < sum(diminutive) / len(owned) < 0.2
    defaults = nick.str.fullmatch(r"tb\d{9,10}|t_\d{13}|jd_[0-9a-z]{6,7}|pdd\d{11}|用户\d{6}|美团用户\w{6}|M\d{9}"
                                  r"|vip_\d{8}")
    assert 0.15 < defaults.mean() < 0.26
    assert 0.1 < (nick == "").mean() < 0.2


def test_recipients_are_mostly_the_owner_and_otherwise_other_people(owned: pd.DataFrame) -> None:
    lists = owned.recipients.fillna("").str.split(";")
    first = lists.str[0]
    assert 0.35 < (first == owned.name).mean() < 0.55
    honorific = first.str.fullmatch(r".{1,2}(先生|女士|小姐)")
    assert honorific.mean() > 0.05
    others = [r for rs, n in zip(lists, owned.name, strict=True) for r in rs[1:] if r and r != n]
    same_surname = [r for r in others if r[0] in owned.name.str[0].values]
    assert len(others) > 200 and len(same_surname) > 0.2 * len(others)
    assert not any(len(set(rs)) < len(rs) for rs in lists if rs != [""])


def test_stated_gender_and_birth_date_are_sparse_and_mostly_right(folder: Path, owned: pd.DataFrame) -> None:
    customers = read(folder / "data", "customers").dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    truth = owned.merge(customers[["customer_id", "gender", "birth_date"]], on="customer_id",
                        suffixes=("", "_bank"))
    stated = truth.dropna(subset=["gender"])
    stated = stated[stated.gender != "unknown"]
    right = (stated.gender.str[0].str.upper() == stated.gender_bank)
    assert 0.4 < len(stated) / len(truth) < 0.5 and right.mean() > 0.9
    born = truth.dropna(subset=["birth_date"])
    assert 0.25 < len(born) / len(truth) < 0.45
    assert 0.6 < (born.birth_date == born.birth_date_bank).mean() < 0.85
