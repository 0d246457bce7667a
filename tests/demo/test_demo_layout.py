"""Profile layouts: the ``bank_export`` files are the default data in the bank's and platforms' own spelling."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.configs import config_text
from linker.demo.layout import BANK_EXPORT_GROUPED, BANK_EXPORT_VALUES, TableLayout, group_thousands
from linker.demo.profiles import PROFILES
from tests.demo.test_demo_generate import read

SIZE = {"customers": 300, "accounts": 900, "events": 3000, "seed": 9}
TABLES = ("customers", "accounts", "purchases", "browsing", "transactions")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same seed generated with the default and the bank_export profile."""
    default, bank = tmp_path_factory.mktemp("default"), tmp_path_factory.mktemp("bank")
    generate_demo(default, DemoSpec(**SIZE))
    generate_demo(bank, DemoSpec(**SIZE, profile="bank_export"))
    return default, bank


def test_bank_export_is_gb18030_with_chinese_headers(pair: tuple[Path, Path]) -> None:
    _, bank = pair
    for table in TABLES:
        raw = (bank / f"{table}.csv").read_bytes()
        header = raw.split(b"\n", 1)[0].decode("gb18030").split(",")
        assert header == TableLayout(PROFILES["bank_export"]).headers(table)
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header if h not in ("账户ID", "事件ID", "设备ID")), header
    with pytest.raises(UnicodeDecodeError):
        (bank / "customers.csv").read_bytes().decode("utf-8")


def undo(table: str, data: pd.DataFrame) -> pd.DataFrame:
    """A bank export table spelled back the default way (contract headers, ISO dates, plain amounts)."""
    layout = TableLayout(PROFILES["bank_export"])
    back = {layout.header(table, c): c for c in layout.columns(table)}
    data = data.rename(columns=back)
    for column, mapping in BANK_EXPORT_VALUES.get(table, {}).items():
        if column in data:
            data[column] = data[column].map({v: k for k, v in mapping.items()}).fillna(data[column])
    for column in BANK_EXPORT_GROUPED.get(table, ()):
        grouped = data[column].str.fullmatch(r"-?[\d,]+\.\d\d").fillna(False)
        data[column] = data[column].where(~grouped, data[column].str.replace(",", ""))
    return data


def iso(text: pd.Series, fmt: str) -> pd.Series:
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    out = parsed.dt.strftime("%Y-%m-%d %H:%M:%S" if "%H" in fmt else "%Y-%m-%d")
    return out.where(parsed.notna(), text)


@pytest.mark.parametrize("table", TABLES)
def test_bank_export_holds_the_default_values(pair: tuple[Path, Path], table: str) -> None:
    default, bank = pair
    want = read(default, table)
    got = undo(table, read(bank, table, encoding="gb18030"))
    formats = {"customers": {"birth_date": "%Y%m%d"}, "accounts": {"registered_at": "%Y/%m/%d %H:%M:%S",
               "last_seen_at": "%Y/%m/%d %H:%M:%S"}, "purchases": {"order_time": "%Y/%m/%d %H:%M:%S"},
               "browsing": {"event_time": "%Y-%m-%dT%H:%M:%S"}, "transactions": {"txn_time": "%Y.%m.%d %H:%M:%S"}}
    for column, fmt in formats[table].items():
        got[column] = iso(got[column], fmt)
    shared = [c for c in want.columns if c in got.columns]
    assert set(want.columns) - set(shared) <= {"phone_since"}
    pd.testing.assert_frame_equal(got[shared], want[shared], check_dtype=False)


def test_bank_export_spells_values_its_own_way(pair: tuple[Path, Path]) -> None:
    _, bank = pair
    c = read(bank, "customers", encoding="gb18030").dropna(subset=["客户号"])
    assert set(c.性别) == {"男", "女"} and set(c.客户状态) <= {"正常", "休眠", "销户"}
    assert c.出生日期.str.fullmatch(r"\d{8}").mean() > 0.98
    assert c.月收入.str.contains(",").any()
    t = read(bank, "transactions", encoding="gb18030")
    assert t.交易时间.str.fullmatch(r"\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d").mean() > 0.98
    assert set(read(bank, "browsing", encoding="gb18030").行为.dropna()) == {"浏览", "搜索", "加购", "收藏"}


def test_only_formats_linker_does_not_know_are_declared() -> None:
    text = config_text(PROFILES["bank_export"], "data", "csv", "gb18030")
    assert text.count("date_formats") == 1 and '"%Y.%m.%d %H:%M:%S"' in text


def test_group_thousands_keeps_the_number() -> None:
    values = ["0.05", "999.99", "1000.00", "-1234567.89", "12345678901.00"]
    grouped = group_thousands(pa.array(values)).to_pylist()
    assert [g.replace(",", "") for g in grouped] == values
    assert grouped[2] == "1,000.00" and grouped[4] == "12,345,678,901.00"
