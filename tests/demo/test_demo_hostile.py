"""The ``hostile`` profile: more of every default trap, and reassigned numbers, relatives, offices, small shops and
namesakes that are what the truth says they are."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.hostile import MORE_PLACEHOLDER_EMAILS, MORE_PLACEHOLDER_PHONES
from linker.demo.identifiers import PLACEHOLDER_EMAILS, PLACEHOLDER_PHONES
from tests.demo.test_demo_generate import (
    CONTRACT,
    assert_shared_identifiers_are_explained,
    assert_true_owners_share_an_identifier,
    idset,
    norm_device,
    norm_email,
    norm_phone,
    one_edit,
    read,
)

SIZE = {"customers": 2000, "accounts": 6000, "events": 2000, "seed": 21}
HOSTILE_TRAPS = ("shop_phone", "recycled_phone", "reassigned_phone", "relative_phone", "relative_device",
                 "office_phone")


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for profile in ("default", "hostile"):
        folder = tmp_path_factory.mktemp(profile)
        generate_demo(folder, DemoSpec(**SIZE, profile=profile))
        out[profile] = {name: read(folder, name) for name in CONTRACT}
    return out


@pytest.fixture(scope="module")
def hostile(tables: dict[str, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    t = dict(tables["hostile"])
    t["customers"] = t["customers"].dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    t["accounts"] = t["accounts"].dropna(subset=["account_id"]).drop_duplicates("account_id")
    return t


def numbers(cell: object) -> set[str]:
    return {n for n in (norm_phone(p) for p in cell.split(";")) if n} if isinstance(cell, str) else set()


def traps_of(t: dict[str, pd.DataFrame], trap: str, table: str) -> pd.DataFrame:
    traps = t["truth/traps"]
    return traps[(traps.trap == trap) & (traps.table == table)]


def test_every_default_trap_is_more_frequent(tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    def count(profile: str, trap: str) -> int:
        return int((tables[profile]["truth/traps"].trap == trap).sum())

    for trap in ("household", "recycled_phone", "typo", "placeholder_phone", "placeholder_email"):
        assert count("hostile", trap) >= 1.5 * count("default", trap), trap
    owned = {p: len(tables[p]["truth/account_owner"]) / SIZE["accounts"] for p in tables}
    assert owned["hostile"] < owned["default"] - 0.08


def test_reassigned_numbers_are_held_by_two_people_at_different_times(hostile: dict[str, pd.DataFrame]) -> None:
    owner = dict(zip(hostile["truth/account_owner"].account_id, hostile["truth/account_owner"].customer_id,
                     strict=True))
    customers = hostile["customers"].set_index("customer_id")
    accounts = hostile["accounts"].set_index("account_id")
    former = traps_of(hostile, "reassigned_phone", "customers")
    former = former[former.detail.str.startswith("held until")]
    assert len(former) >= 30
    for _, f in former.iterrows():
        released, reassigned = re.findall(r"\d{4}-\d\d-\d\d", f.detail)
        assert released < reassigned
        number = f.value[3:]
        assert number in numbers(customers.loc[f.entity_id].phones)  # the stale record still lists it
        carriers = traps_of(hostile, "reassigned_phone", "accounts")
        carriers = carriers[(carriers.value == f.value) & carriers.detail.str.startswith("holder since")]
        assert len(carriers) >= 1
        for _, c in carriers.iterrows():
            assert owner.get(c.entity_id) != f.entity_id and number in numbers(accounts.loc[c.entity_id].phones)
            assert f.entity_id in c.detail and released in c.detail and reassigned in c.detail
            if c.entity_id in owner:  # the new holder is a customer too, whose record lists the number
                assert number in numbers(customers.loc[owner[c.entity_id]].phones)
        for account, who in owner.items():  # the former holder's accounts opened after the release moved on
            if who == f.entity_id and account in accounts.index:
                late = accounts.loc[account].registered_at[:10] > released
                assert not late or number not in numbers(accounts.loc[account].phones)


def test_relatives_use_the_customers_identifiers_on_their_own_accounts(hostile: dict[str, pd.DataFrame]) -> None:
    owner = dict(zip(hostile["truth/account_owner"].account_id, hostile["truth/account_owner"].customer_id,
                     strict=True))
    customers = hostile["customers"].set_index("customer_id")
    accounts = hostile["accounts"].set_index("account_id")
    found = 0
    for trap in ("relative_phone", "relative_device", "relative_near_number"):
        for _, r in traps_of(hostile, trap, "accounts").iterrows():
            customer = r.detail.removeprefix("relative of ")
            assert owner.get(r.entity_id) != customer
            cust, acct = customers.loc[customer], accounts.loc[r.entity_id]
            if trap == "relative_device":
                device = norm_device(r.value.split(":", 1)[-1])
                assert device in {norm_device(d) for d in cust.device_ids.split(";")}
                assert device in {norm_device(d) for d in acct.device_ids.split(";")}
            elif trap == "relative_phone":
                assert r.value[3:] in numbers(cust.phones) & numbers(acct.phones)
            else:
                near = r.value[3:]
                assert near in numbers(acct.phones) and near not in numbers(cust.phones)
                assert any(abs(int(near) - int(n)) == 1 for n in numbers(cust.phones))
            found += 1
    assert found >= 40


@pytest.mark.parametrize(("trap", "label", "low", "high"), [("office_phone", "office", 1, 15),
                                                            ("shop_phone", "small shop", 8, 25)])
def test_shared_phones_stay_under_the_hub_degree(hostile: dict[str, pd.DataFrame], trap: str, label: str,
                                                 low: int, high: int) -> None:
    rows = traps_of(hostile, trap, "accounts")
    rows = rows[rows.detail.str.startswith(label)]
    accounts = hostile["accounts"].set_index("account_id")
    per_number = rows.groupby("value").entity_id.nunique()
    assert len(per_number) >= 3 and per_number.between(low, high).all()
    for _, r in rows.iterrows():
        assert r.value[3:].lstrip("0") in {n.lstrip("0") for n in numbers(accounts.loc[r.entity_id].phones)}


def test_namesakes_have_the_name_city_and_nearly_the_email(hostile: dict[str, pd.DataFrame]) -> None:
    owner = set(hostile["truth/account_owner"].account_id)
    accounts = hostile["accounts"].set_index("account_id")
    rows = traps_of(hostile, "namesake", "accounts")
    assert len(rows) >= 20
    for _, r in rows.iterrows():
        theirs = r.detail.rsplit(" ", 1)[1]
        assert r.entity_id not in owner and one_edit(r.value.split("@")[0], theirs.split("@")[0])
        assert r.value.split("@")[1] == theirs.split("@")[1]
        assert r.value in {norm_email(e) for e in accounts.loc[r.entity_id].emails.split(";")}


def test_every_shared_identifier_is_a_logged_trap(hostile: dict[str, pd.DataFrame]) -> None:
    assert_shared_identifiers_are_explained(hostile, HOSTILE_TRAPS, PLACEHOLDER_PHONES + MORE_PLACEHOLDER_PHONES,
                                            PLACEHOLDER_EMAILS + MORE_PLACEHOLDER_EMAILS)
    assert_true_owners_share_an_identifier(hostile)


def test_idset_reads_landlines(hostile: dict[str, pd.DataFrame]) -> None:
    office = traps_of(hostile, "office_phone", "customers").iloc[0]
    row = hostile["customers"].set_index("customer_id").loc[office.entity_id]
    assert ("phone", office.value[3:]) in idset(row) or ("phone", office.value[3:].lstrip("0")) in idset(row)
