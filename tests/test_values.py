"""Parsing a role's text: blanks trimmed, numbers as a bank writes them, date-times with an offset."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.contract import Field, FieldType, TableContract
from linker.ingest.values import (
    BLANKS,
    fast_cast,
    in_range,
    number_expr,
    parse_expr,
    text_expr,
    time_expr,
    trimmed,
    typed_expr,
)

con = duckdb.connect()


@given(st.text(alphabet=st.sampled_from([*BLANKS, "\x00", "\x01", "\f", "\v", "\xa0", "!", "a", "é", "中"]),
               max_size=6))
def test_a_text_is_trimmed_of_blanks_at_either_end_and_empty_is_null(text: str) -> None:
    # every blank at either end, whatever sits next to it; nothing else (not NBSP, \f or \v) is a blank
    expected = text.strip(BLANKS) or None
    assert con.execute(f"SELECT {trimmed('$1')}", [text]).fetchall()[0][0] == expected


def number(text: str, separator: str = ".") -> float | None:
    return con.execute(f"SELECT {in_range(number_expr('$1', separator))}", [text]).fetchall()[0][0]


@pytest.mark.parametrize(("text", "separator", "value"), [
    ("1234.5", ".", 1234.5), ("1,234.50", ".", 1234.5), ("¥3,999.00", ".", 3999.0), ("12,000", ".", 12000.0),
    ("RMB 1,000,000", ".", 1e6), ("-2.5", ".", -2.5), ("1e3", ".", 1000.0),
    ("1,5", ".", None),            # was read as 15
    ("1.234,50", ".", None),       # was read as 1.2345
    ("12,00", ".", None), ("1,2345.6", ".", None), ("inf", ".", None), ("nan", ".", None), ("1e400", ".", None),
    ("1.234,50", ",", 1234.5), ("1,5", ",", 1.5), ("1.234", ",", 1234.0), ("12", ",", 12.0), ("-0,5", ",", -0.5),
    ("1.5", ",", None), ("1,234.50", ",", None),
    ("999999999999999", ".", 999999999999999.0), ("1e15", ".", None), ("9223372036854775808", ".", None),
])
def test_numbers_under_each_decimal_separator(text: str, separator: str, value: float | None) -> None:
    assert number(text, separator) == value


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_grouped_amounts_read_back_under_their_separator_only(amount) -> None:
    dotted = f"{amount:,.2f}"                                             # 1,234,567.89
    comma = dotted.translate(str.maketrans({",": ".", ".": ","}))         # 1.234.567,89
    assert number(dotted, ".") == pytest.approx(float(amount)) == number(comma, ",")
    if "," in dotted:                       # both separators: never read under the other convention
        assert number(dotted, ",") is None and number(comma, ".") is None


@pytest.mark.parametrize(("text", "zone", "value"), [
    ("2024-05-01 10:00:00", "Asia/Shanghai", datetime(2024, 5, 1, 10)),
    ("2024-05-01T02:00:00Z", "Asia/Shanghai", datetime(2024, 5, 1, 10)),
    ("2024-05-01 10:00:00+08:00", "Asia/Shanghai", datetime(2024, 5, 1, 10)),
    ("2024-05-01 10:00:00+0800", "UTC", datetime(2024, 5, 1, 2)),
    ("2024-05-01 10:00:00.250", "UTC", datetime(2024, 5, 1, 10, 0, 0, 250000)),
    ("1850-01-01", "UTC", None),
])
def test_date_times_with_an_offset_are_converted_to_the_runs_zone(text: str, zone: str, value) -> None:
    assert con.execute(f"SELECT {time_expr('$1', [], zone)}", [text]).fetchall()[0][0] == value


_VALUE_TEXTS = st.one_of(
    st.text(alphabet=st.sampled_from([*BLANKS, "0", "1", "2", "9", "-", "+", ":", ".", ",", "/", "T", "Z", "年", "e",
                                      "¥", "a"]), max_size=26),
    st.builds(lambda d, blank, zone: f"{blank}{d.isoformat(sep=blank.strip() or ' ')}{zone}{blank}",
              st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2300, 1, 1)),
              st.sampled_from(["", " ", "\u3000"]), st.sampled_from(["", "Z", "+08:00", "-0530"])),
    st.builds(lambda x, blank: f"{blank}{x}{blank}",
              st.one_of(st.decimals(allow_nan=False, places=2).map(lambda d: f"{d:,}"), st.floats().map(str)),
              st.sampled_from(["", " ", "\u3000"])),
)


@pytest.mark.parametrize("field_type", [FieldType.TIMESTAMP, FieldType.DATE, FieldType.NUMBER, FieldType.INTEGER])
@pytest.mark.parametrize("separator", [".", ","])
@given(raw=_VALUE_TEXTS)
def test_a_value_parsed_in_stages_is_the_value_parsed_in_one_expression(field_type: FieldType, separator: str,
                                                                         raw: str) -> None:
    """The validation casts the raw value once (fast_cast), then trims, parses and checks the range in nested
    projections; the value is the one the single expression gives."""
    f, contract = Field("v", field_type), TableContract("t", "", ())
    options = {"formats": [], "decimal_separator": separator, "timezone": "Asia/Shanghai"}
    direct = typed_expr(f, text_expr(f, ["raw"]), contract, list_separator=";", **options)
    staged = f"""
        SELECT {typed_expr(f, 't', contract, list_separator=';', **options, parsed='p')}
        FROM (SELECT *, {parse_expr(f, 't', 'c', **options)} AS p
              FROM (SELECT {text_expr(f, ['raw'], 'c')} AS t, c
                    FROM (SELECT raw, {fast_cast(f, ['raw'])} AS c FROM (SELECT $1 AS raw))))"""
    assert con.execute(staged, [raw]).fetchall()[0][0] == con.execute(f"SELECT {direct} FROM (SELECT $1 AS raw)",
                                                                      [raw]).fetchall()[0][0]
