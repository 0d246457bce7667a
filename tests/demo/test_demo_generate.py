"""End-to-end checks of the generated demo data set, with our own (independent) identifier normalizers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.catalog import CATEGORY_LIST, TOPIC_CODES
from linker.demo.identifiers import JUNK_ANDROID_ID, PLACEHOLDER_EMAILS, PLACEHOLDER_PHONES, ZERO_IDFA
from linker.demo.stories import STORIES
from linker.demo.vocab import NEED_TOPICS

SMALL = dict(customers=300, accounts=900, events=6000, seed=7)
CONTRACT = {
    "customers": "customer_id,name,phones,emails,device_ids,phone_since,birth_date,gender,city,income,debt,"
    "credit_limit,status",
    "transactions": "txn_id,customer_id,txn_time,amount,mcc,merchant",
    "accounts": "account_id,platform,name,phones,emails,device_ids,registered_at,last_seen_at,city",
    "purchases": "order_id,account_id,order_time,category,amount,quantity",
    "browsing": "event_id,account_id,device_id,event_time,category,action,dwell_seconds",
    "truth/account_owner": "account_id,customer_id",
    "truth/needs": "customer_id,need,planted_at",
    "truth/traps": "trap,table,row,entity_id,id_type,value,detail",
}


# ------------------------------------------------------------------------------ independent normalizers


def norm_phone(raw: str) -> str | None:
    d = re.sub(r"\D", "", unicodedata.normalize("NFKC", raw))
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) in (12, 13):
        d = d[2:]
    if d.startswith("0"):
        d = d[1:]
    return d or None


def norm_email(raw: str) -> str:
    local, _, domain = raw.strip().lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        domain = "gmail.com"
        local = local.split("+")[0].replace(".", "")
    return f"{local}@{domain}"


def norm_device(raw: str) -> str:
    s = raw.strip().lower()
    s = re.sub(r"^imei[: ]?", "", s).replace("-", "").replace(" ", "")
    return s


def norm(id_type: str, raw: str) -> str | None:
    return {"phone": norm_phone, "email": norm_email, "device": norm_device}[id_type](raw)


def idset(row: pd.Series) -> set[tuple[str, str]]:
    out = set()
    for col, kind in (("phones", "phone"), ("emails", "email"), ("device_ids", "device")):
        if isinstance(row[col], str) and row[col]:
            for raw in row[col].split(";"):
                out.add((kind, norm(kind, raw)))
    return out


def one_edit(a: str, b: str) -> bool:
    """Same length with one substitution or one adjacent swap, or one insertion/deletion."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    s, t = (a, b) if len(a) < len(b) else (b, a)
    return any(t[:i] + t[i + 1 :] == s for i in range(len(t)))


# ------------------------------------------------------------------------------------------------ fixtures


def read(files_dir: Path, name: str, fmt: str = "csv", encoding: str = "utf-8") -> pd.DataFrame:
    path = files_dir / f"{name}.{fmt}"
    if fmt == "parquet":
        return pd.read_parquet(path).astype(object).where(lambda f: f.notna(), None)
    return (
        pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding)
        .astype(object)
        .where(lambda f: f.notna(), None)
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, DemoSpec(**SMALL))
    return out


@pytest.fixture(scope="module")
def tables(demo: Path) -> dict[str, pd.DataFrame]:
    return {name: read(demo, name) for name in CONTRACT}


# ---------------------------------------------------------------------------------------------------- tests


def test_same_seed_gives_identical_csv_bytes(demo: Path, tmp_path: Path) -> None:
    files = generate_demo(tmp_path, DemoSpec(**SMALL))
    for path in files.all():
        if path.suffix == ".csv":
            assert path.read_bytes() == (demo / path.relative_to(tmp_path)).read_bytes(), path.name


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_output_does_not_depend_on_the_process(demo: Path, tmp_path: Path, hash_seed: str) -> None:
    code = (
        "import sys; from pathlib import Path; from linker.demo import DemoSpec, generate_demo; "
        f"generate_demo(Path(sys.argv[1]), DemoSpec(**{SMALL!r}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    for path in sorted(tmp_path.rglob("*.csv")):
        assert path.read_bytes() == (demo / path.relative_to(tmp_path)).read_bytes(), path.name


def test_other_seed_gives_other_data(demo: Path, tmp_path: Path) -> None:
    files = generate_demo(tmp_path, DemoSpec(**{**SMALL, "seed": 8}))
    assert files.customers.read_bytes() != (demo / "customers.csv").read_bytes()


@pytest.mark.parametrize("name", list(CONTRACT))
def test_columns_match_the_contract(demo: Path, name: str) -> None:
    header = (demo / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == CONTRACT[name]


def test_row_counts_follow_the_spec(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"]
    bad = traps[traps.trap == "bad_row"]

    def genuine(t: str) -> int:
        """Rows of ``t`` that are not extra broken rows (damaged-in-place rows still count)."""
        mine = bad.table == t
        extra = mine & ((bad.detail == "duplicate_id") | bad.table.isin(["customers", "accounts"]))
        return len(tables[t]) - int(extra.sum())

    assert genuine("customers") == SMALL["customers"]
    assert genuine("accounts") == SMALL["accounts"]
    assert genuine("purchases") + genuine("browsing") == SMALL["events"]
    assert len(tables["transactions"]) > SMALL["customers"] * 10  # about one per customer per month


def test_values_are_well_formed(tables: dict[str, pd.DataFrame]) -> None:
    c = tables["customers"].dropna(subset=["customer_id"])
    c = c[~c.customer_id.duplicated()]
    assert c.name.str.fullmatch(r"[\u4e00-\u9fff]{2,4}").mean() > 0.99
    assert set(c.gender) <= {"M", "F"}
    assert set(c.status) <= {"active", "dormant", "closed"}
    p = tables["purchases"]
    assert p.order_time.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").mean() > 0.99
    assert p.amount.str.fullmatch(r"\d+\.\d\d").mean() > 0.99
    b = tables["browsing"]
    assert set(b.action.dropna()) == {"view", "search", "cart", "favorite"}
    by_device = b.account_id.isna() & b.device_id.notna()
    assert 0.02 < by_device.mean() < 0.10
    assert (b.account_id.notna() & b.device_id.notna()).any()
    assert set(p.category) | set(b.category) <= set(CATEGORY_LIST)


def test_phone_since_aligns_with_phones(tables: dict[str, pd.DataFrame]) -> None:
    c = tables["customers"].dropna(subset=["phones"])
    assert (c.phones.str.count(";") == c.phone_since.str.count(";")).all()


def test_identifiers_are_spelled_many_ways(tables: dict[str, pd.DataFrame]) -> None:
    raw = ";".join(tables["accounts"].phones.dropna())
    assert re.search(r"\+86 1\d\d \d{4} \d{4}", raw)
    assert re.search(r"0086-1\d{10}", raw)
    assert re.search(r"1\d\d-\d{4}-\d{4}", raw)
    assert re.search(r"[０-９]{11}", raw)
    assert re.search(r"0\d{2,3}-\d{8}|\(0\d{2,3}\)\d{8}", ";".join(tables["customers"].phones.dropna()) + raw)
    emails = ";".join(tables["accounts"].emails.dropna())
    assert re.search(r"\d{5,}@qq\.com", emails)
    assert re.search(r"[A-Z]", emails) and re.search(r"@googlemail\.com|\+\w+@gmail\.com", emails)
    devices = ";".join(tables["accounts"].device_ids.dropna())
    assert "IMEI:" in devices or "imei " in devices
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}", devices)


def test_imeis_have_valid_check_digits(tables: dict[str, pd.DataFrame]) -> None:
    raw = ";".join(tables["customers"].device_ids.dropna()).split(";")
    imeis = [d for d in map(norm_device, raw) if re.fullmatch(r"\d{15}", d)]
    assert imeis
    for imei in imeis:
        total = 0
        for i, ch in enumerate(imei[:14]):
            v = int(ch) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        assert (10 - total % 10) % 10 == int(imei[14])


def test_true_owners_share_an_identifier(tables: dict[str, pd.DataFrame]) -> None:
    assert_true_owners_share_an_identifier(tables)


def assert_true_owners_share_an_identifier(tables: dict[str, pd.DataFrame]) -> None:
    """Every true link is findable: its account carries one of its customer's identifiers, or a typo of one."""
    acc = (
        tables["accounts"].dropna(subset=["account_id"]).drop_duplicates("account_id").set_index("account_id")
    )
    cust = (
        tables["customers"]
        .dropna(subset=["customer_id"])
        .drop_duplicates("customer_id")
        .set_index("customer_id")
    )
    owner = tables["truth/account_owner"]
    assert owner.account_id.isin(acc.index).all() and owner.customer_id.isin(cust.index).all()
    assert owner.account_id.is_unique
    typos = tables["truth/traps"].query("trap == 'typo'").entity_id
    for a, c in zip(owner.account_id, owner.customer_id):
        shared = idset(acc.loc[a]) & idset(cust.loc[c])
        if not shared:
            assert a in set(typos)
            near = [
                (k, x, y)
                for k, x in idset(acc.loc[a])
                for k2, y in idset(cust.loc[c])
                if k == k2 and one_edit(x.split("@")[0], y.split("@")[0])
            ]
            assert near, a


def test_accounts_share_identifiers_only_with_their_owner_or_through_traps(
    tables: dict[str, pd.DataFrame],
) -> None:
    assert_shared_identifiers_are_explained(tables, ("shop_phone", "recycled_phone"))


def assert_shared_identifiers_are_explained(tables: dict[str, pd.DataFrame], traps_on_accounts: tuple[str, ...],
                                            junk_phones: tuple[str, ...] = PLACEHOLDER_PHONES,
                                            junk_emails: tuple[str, ...] = PLACEHOLDER_EMAILS) -> None:
    """An account shares an identifier with another customer's record only through a trap: one logged on the
    account (``traps_on_accounts``), a household's device, or a placeholder or junk value."""
    acc = tables["accounts"].dropna(subset=["account_id"]).drop_duplicates("account_id")
    owner = dict(zip(tables["truth/account_owner"].account_id, tables["truth/account_owner"].customer_id))
    holders: dict[tuple[str, str], set[str]] = {}
    cust = tables["customers"].dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    for _, row in cust.iterrows():
        for ident in idset(row):
            holders.setdefault(ident, set()).add(row.customer_id)
    traps = tables["truth/traps"]
    explained = set(traps[traps.trap.isin(list(traps_on_accounts)) & (traps.table == "accounts")].entity_id)
    family = traps[traps.trap == "household"].groupby("value").entity_id.apply(set).to_dict()
    junk = (
        {("phone", norm_phone(p)) for p in junk_phones}
        | {("email", e) for e in junk_emails}
        | {("device", norm_device(ZERO_IDFA)), ("device", JUNK_ANDROID_ID)}
    )
    for _, row in acc.iterrows():
        if row.account_id in explained:
            continue
        allowed = {owner[row.account_id]} if row.account_id in owner else set()
        for kind, value in idset(row) - junk:
            hit = holders.get((kind, value), set())
            if kind == "device" and len(hit) > 1:
                assert any(hit <= members for members in family.values()), (row.account_id, value)
                continue
            assert hit <= allowed, (row.account_id, kind, value, hit)


def test_every_trap_is_present(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"]
    for trap in (
        "placeholder_phone",
        "placeholder_email",
        "shop_phone",
        "junk_device",
        "household",
        "household_device",
        "household_device_only",
        "recycled_phone",
        "typo",
        "bad_row",
    ):
        assert (traps.trap == trap).any(), trap
    acc = ";".join(tables["accounts"].phones.dropna())
    assert all(p in acc or p in acc.replace("-", "").replace(" ", "") for p in ("13800138000", "13888888888"))
    devices = ";".join(tables["accounts"].device_ids.dropna()).lower()
    assert JUNK_ANDROID_ID in devices and "00000000-0000-0000-0000-000000000000" in devices
    shop = traps[(traps.trap == "shop_phone") & (traps.table == "accounts")]
    assert len(shop) >= 50 and shop.value.nunique() == 1
    assert set(traps[traps.trap == "bad_row"].detail) >= {
        "missing_id",
        "duplicate_id",
        "bad_timestamp",
        "bad_amount",
        "unknown_account",
        "no_key",
        "bad_date",
    }


def test_trap_rows_point_at_their_records(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"]
    for table in ("customers", "accounts", "purchases", "browsing", "transactions"):
        t = tables[table]
        id_col = t.columns[0]
        for _, trap in traps[traps.table == table].iterrows():
            got = t.iloc[int(trap.row) - 1][id_col]
            assert got == trap.entity_id or (pd.isna(got) and pd.isna(trap.entity_id)), (
                table,
                trap.to_dict(),
            )


def test_bad_rows_are_bad(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"].query("trap == 'bad_row'")
    p = tables["purchases"]
    for _, t in traps[traps.table == "purchases"].iterrows():
        r = p.iloc[int(t.row) - 1]
        if t.detail == "missing_id":
            assert pd.isna(r.order_id)
        elif t.detail == "bad_timestamp":
            assert pd.isna(pd.to_datetime(r.order_time, errors="coerce", format="%Y-%m-%d %H:%M:%S"))
        elif t.detail == "bad_amount":
            assert pd.isna(pd.to_numeric(r.amount, errors="coerce"))
        elif t.detail == "duplicate_id":
            assert (p.order_id == r.order_id).sum() == 2
        elif t.detail == "unknown_account":
            assert r.account_id not in set(tables["accounts"].account_id)
    cust = tables["customers"]
    dup = traps[(traps.table == "customers") & (traps.detail == "duplicate_id")]
    for _, t in dup.iterrows():
        first = cust.index[cust.customer_id == t.entity_id][0]
        assert first < int(t.row) - 1  # the genuine record comes first


def test_recycled_numbers_were_dropped_before_the_customer_got_them(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"].query("trap == 'recycled_phone'")
    acc = tables["accounts"].set_index("account_id")
    cust = (
        tables["customers"]
        .dropna(subset=["customer_id"])
        .drop_duplicates("customer_id")
        .set_index("customer_id")
    )
    owner = dict(zip(tables["truth/account_owner"].account_id, tables["truth/account_owner"].customer_id))
    accounts = traps[traps.table == "accounts"]
    customers = traps[traps.table == "customers"]
    assert len(accounts) == len(customers) > 0
    for (_, a), (_, c) in zip(accounts.iterrows(), customers.iterrows()):
        assert a.value == c.value and a.entity_id not in owner
        phones = [norm_phone(p) for p in cust.loc[c.entity_id].phones.split(";")]
        since = cust.loc[c.entity_id].phone_since.split(";")[phones.index(c.value[3:])]
        assert acc.loc[a.entity_id].last_seen_at[:10] < since


def test_ambiguous_family_accounts_share_only_the_device(tables: dict[str, pd.DataFrame]) -> None:
    traps = tables["truth/traps"]
    acc = (
        tables["accounts"].dropna(subset=["account_id"]).drop_duplicates("account_id").set_index("account_id")
    )
    cust = (
        tables["customers"]
        .dropna(subset=["customer_id"])
        .drop_duplicates("customer_id")
        .set_index("customer_id")
    )
    owner = dict(zip(tables["truth/account_owner"].account_id, tables["truth/account_owner"].customer_id))
    members = traps[traps.trap == "household"]
    assert members.groupby("detail").size().between(2, 4).all()
    for _, t in traps[traps.trap == "household_device_only"].iterrows():
        shared = idset(acc.loc[t.entity_id]) & idset(cust.loc[owner[t.entity_id]])
        assert shared and all(kind == "device" for kind, _ in shared)
        family = set(members[members.value == t.value].entity_id)
        assert owner[t.entity_id] in family and len(family) >= 2


def test_needs_have_supporting_events(tables: dict[str, pd.DataFrame]) -> None:
    needs = tables["truth/needs"]
    assert set(needs.need) == set(NEED_TOPICS)
    topic_of = {
        raw: topic for topic, codes in TOPIC_CODES.items() for raw in (CATEGORY_LIST[i] for i in codes)
    }
    mccs = {need: {s.mcc for s in steps if s.mcc} for need, (_, steps) in STORIES.items()}
    owner = tables["truth/account_owner"]
    accounts_of = owner.groupby("customer_id").account_id.apply(set).to_dict()
    events = pd.concat(
        [
            tables["purchases"][["account_id", "order_time", "category"]].set_axis(
                ["account_id", "time", "category"], axis=1
            ),
            tables["browsing"][["account_id", "event_time", "category"]].set_axis(
                ["account_id", "time", "category"], axis=1
            ),
        ]
    ).dropna()
    events["topic"] = events.category.map(topic_of)
    txn = tables["transactions"].dropna(subset=["customer_id", "txn_time"])
    for _, need in needs.iterrows():
        day = date.fromisoformat(need.planted_at)
        lo, hi = str(day - timedelta(days=200)), str(day + timedelta(days=61))
        ev = events[
            events.account_id.isin(accounts_of.get(need.customer_id, set()))
            & events.topic.isin(NEED_TOPICS[need.need])
            & (events.time >= lo)
            & (events.time <= hi)
        ]
        tx = txn[
            (txn.customer_id == need.customer_id)
            & txn.mcc.isin(mccs[need.need])
            & (txn.txn_time >= lo)
            & (txn.txn_time <= hi)
        ]
        on_day = (ev.time.str[:10] == need.planted_at).any() or (
            tx.txn_time.str[:10] == need.planted_at
        ).any()
        assert on_day, need.to_dict()
        assert len(ev) + len(tx) >= 2, need.to_dict()


def test_most_needs_are_current(tables: dict[str, pd.DataFrame]) -> None:
    needs = tables["truth/needs"]
    recent = needs.planted_at >= str(DemoSpec().as_of - timedelta(days=90))
    assert recent.mean() > 0.7
    for need in NEED_TOPICS:
        share = needs.customer_id[needs.need == need].nunique() / SMALL["customers"]
        assert 0.015 < share < 0.15, need


def test_computer_upgrade_customers_can_pay_in_instalments(tables: dict[str, pd.DataFrame]) -> None:
    needs = tables["truth/needs"].query("need == 'computer_upgrade'")
    cust = (
        tables["customers"]
        .dropna(subset=["customer_id"])
        .drop_duplicates("customer_id")
        .set_index("customer_id")
        .loc[needs.customer_id]
    )
    assert (cust.income.astype(float) >= 7000).all()
    assert (cust.debt.astype(float) <= 1.5 * cust.income.astype(float)).all()
    laptop = {CATEGORY_LIST[i] for i in TOPIC_CODES["laptop_entry"]}
    owner = tables["truth/account_owner"]
    accts = set(owner[owner.customer_id.isin(needs.customer_id)].account_id)
    p = tables["purchases"]
    assert not (p.account_id.isin(accts) & p.category.isin(laptop)).any()


def test_without_traps_there_are_none(tmp_path: Path) -> None:
    files = generate_demo(tmp_path, DemoSpec(**SMALL, traps=False))
    traps = read(tmp_path, "truth/traps")
    assert traps.empty
    text = "".join(p.read_text(encoding="utf-8") for p in files.sources().values())
    for value in (
        "13800138000",
        "00000000000",
        "13888888888",
        "test@test.com",
        "noreply@example.com",
        "a@a.com",
        JUNK_ANDROID_ID,
        "00000000-0000-0000-0000-000000000000",
    ):
        assert value not in text, value
    for name, id_col in (
        ("customers", "customer_id"),
        ("accounts", "account_id"),
        ("purchases", "order_id"),
        ("browsing", "event_id"),
        ("transactions", "txn_id"),
    ):
        t = read(tmp_path, name)
        assert t[id_col].notna().all() and t[id_col].is_unique, name
    b = read(tmp_path, "browsing")
    assert (b.account_id.notna() | b.device_id.notna()).all()
    assert not read(tmp_path, "truth/needs").empty


def test_gb18030_csv_decodes_to_the_same_text(demo: Path, tmp_path: Path) -> None:
    files = generate_demo(tmp_path, DemoSpec(**SMALL, encoding="gb18030"))
    with pytest.raises(UnicodeDecodeError):
        files.customers.read_bytes().decode("utf-8")
    for path in files.all():
        if path.suffix == ".csv":
            text = path.read_bytes().decode("gb18030")
            assert text == (demo / path.relative_to(tmp_path)).read_text(encoding="utf-8"), path.name


def test_parquet_holds_the_same_text(tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    files = generate_demo(tmp_path, DemoSpec(**SMALL, file_format="parquet"))
    assert files.accounts.suffix == ".parquet"
    for name in CONTRACT:
        got = read(tmp_path, name, "parquet")
        want = tables[name]
        assert list(got.columns) == list(want.columns)
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
        )


def test_spec_is_validated() -> None:
    with pytest.raises(ValueError, match="file_format"):
        DemoSpec(file_format="xlsx")
    with pytest.raises(ValueError, match="customers"):
        DemoSpec(customers=1)
