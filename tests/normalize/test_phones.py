"""Phone normalization: table-driven examples, hypothesis properties, agreement with phonenumbers."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from linker.normalize import NormalizedValue, normalize_phone, normalize_values
from linker.normalize import junk, phones

# Each example runs DuckDB queries: few examples, no deadline, and no shrinking (which can take
# minutes); a failure still reports the example that failed.
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])
_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
#: Three-digit prefixes after which any eight digits make a valid Chinese mobile.
MOBILE_PREFIXES = sorted(p for p in map(str, range(130, 200))
                         if all(_MOBILE.fullmatch(p + s) for s in ("00000000", "12345678", "99999999")))
FULL_WIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）　")


EXAMPLES = [
    ("13812345678", ("+8613812345678", "mobile", "usable", None)),
    ("+86 138-1234-5678", ("+8613812345678", "mobile", "usable", None)),
    ("0086 138 1234 5678", ("+8613812345678", "mobile", "usable", None)),
    ("8613812345678", ("+8613812345678", "mobile", "usable", None)),
    ("(+86) 138.1234.5678", ("+8613812345678", "mobile", "usable", None)),
    ("１３８－１２３４－５６７８", ("+8613812345678", "mobile", "usable", None)),
    ("\t 138 1234 5678 \n", ("+8613812345678", "mobile", "usable", None)),
    ("010-12345678", ("+861012345678", "landline", "usable", None)),
    ("(021)87654321", ("+862187654321", "landline", "usable", None)),
    ("+86 10 1234 5678", ("+861012345678", "landline", "usable", None)),
    ("0755-8765 4321", ("+8675587654321", "landline", "usable", None)),
    ("+86 (0) 10 1234 5678", ("+861012345678", "landline", "usable", None)),
    ("010-12345678 ext 123", ("+861012345678", "landline", "usable", None)),
    ("010-12345678转123", ("+861012345678", "landline", "usable", None)),
    ("400-820-8820", ("+864008208820", "other", "usable", None)),
    ("+44 20 7946 0000", ("+442079460000", "landline", "usable", None)),
    ("0044 20 7946 0000", ("+442079460000", "landline", "usable", None)),
    ("+1 415 555 0123", ("+14155550123", "other", "usable", None)),
    ("", (None, None, "junk", "empty")),
    ("   ", (None, None, "junk", "empty")),
    (None, (None, None, "junk", "empty")),
    ("N/A", (None, None, "junk", "null_token")),
    ("未知", (None, None, "junk", "null_token")),
    ("无", (None, None, "junk", "null_token")),
    ("-", (None, None, "junk", "null_token")),
    ("00000000000", (None, None, "junk", "all_zero")),
    ("+86 000 0000 0000", (None, None, "junk", "all_zero")),
    ("11111111111", (None, "mobile_unlisted", "junk", "repeated_digit")),
    ("13800138000", (None, "mobile", "junk", "placeholder")),
    ("+86 138 0013 8000", (None, "mobile", "junk", "placeholder")),
    ("13888888888", (None, "mobile", "junk", "placeholder")),
    ("12345678901", (None, "mobile_unlisted", "junk", "placeholder")),
    ("01234567890", (None, None, "junk", "placeholder")),
    ("9876543210", (None, None, "junk", "placeholder")),
    ("138abc45678", (None, None, "invalid", "bad_format")),
    ("123", (None, None, "invalid", "too_short")),
    ("1381234567890123456789", (None, None, "invalid", "too_long")),
    # a mobile's shape in a range the metadata does not list stays usable: validity is evidence, not a veto
    ("14012345678", ("+8614012345678", "mobile_unlisted", "usable", None)),
    ("+86 100-1234-5678", ("+8610012345678", "mobile_unlisted", "usable", None)),
    ("1401234567", (None, None, "invalid", "invalid_number")),
    ("+999 1234 5678", (None, None, "invalid", "bad_country_code")),
]


@pytest.fixture(scope="module")
def example_results() -> dict[str | None, NormalizedValue]:
    """All examples normalized in one batch (one query instead of one per example)."""
    raws = [raw for raw, _ in EXAMPLES]
    return dict(zip(raws, normalize_values("phone", raws), strict=True))


@pytest.mark.parametrize(("raw", "expected"), EXAMPLES)
def test_examples(raw: str | None, expected: tuple, example_results: dict) -> None:
    assert example_results[raw] == NormalizedValue(*expected)


def test_single_value_helper_is_the_batch_helper() -> None:
    assert normalize_phone(" +86 138 1234 5678 ") == normalize_values("phone", ["13812345678"])[0]


def test_default_region_is_configurable() -> None:
    assert normalize_phone("(415) 555-0123", region="US").value == "+14155550123"
    assert normalize_phone("13812345678", region="US").status == "invalid"
    assert normalize_phone("+86 138 1234 5678", region="US").value == "+8613812345678"
    with pytest.raises(ValueError, match="region"):
        normalize_phone("13812345678", region="XX")


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    """A valid Chinese mobile (11 digits) that is not junk."""
    number = draw(st.sampled_from(MOBILE_PREFIXES)) + draw(st.text("0123456789", min_size=8, max_size=8))
    return number if junk.phone_junk_reason(number) is None else "13912345670"


@st.composite
def spellings(draw: st.DrawFn, number: str) -> str:
    """One of the many ways people write the 11-digit ``number``."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "+86-", "(+86)", "+86 (0)", "0"]))
    sep = draw(st.sampled_from(["", " ", "-", ".", "  "]))
    groups = draw(st.sampled_from([(3, 4, 4), (3, 8), (11,), (4, 3, 4)]))
    parts, start = [], 0
    for size in groups:
        parts.append(number[start:start + size])
        start += size
    text = prefix + sep.join(parts)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\t", "\u3000"])) + text + draw(st.sampled_from(["", " ", "\n"]))


@SETTINGS
@given(st.data(), st.lists(mobiles(), min_size=1, max_size=5))
def test_every_spelling_of_a_mobile_gives_one_value(data: st.DataObject, numbers: list[str]) -> None:
    raws = [data.draw(spellings(n)) for n in numbers for _ in range(6)]
    expected = [NormalizedValue("+86" + n, "mobile", "usable", None) for n in numbers for _ in range(6)]
    assert normalize_values("phone", raws) == expected


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["", "0", "+86", "0086", "+44", "+1", "00"]),
                          st.text("0123456789", min_size=5, max_size=13)), min_size=1, max_size=30))
def test_normalizing_twice_changes_nothing(parts: list[tuple[str, str]]) -> None:
    first = normalize_values("phone", [p + d for p, d in parts])
    values = [v.value for v in first if v.value is not None]
    assert [v.value for v in normalize_values("phone", values)] == values


@st.composite
def junk_numbers(draw: st.DrawFn) -> str:
    """A placeholder, repeated-digit, all-zero or sequential 11-digit number."""
    kind = draw(st.sampled_from(["listed", "repeated", "ascending", "descending"]))
    if kind == "listed":
        return draw(st.sampled_from(sorted(junk.PLACEHOLDER_PHONES)))
    if kind == "repeated":
        return draw(st.sampled_from("0123456789")) * 11
    start = draw(st.integers(0, 9))
    return (junk.ASCENDING if kind == "ascending" else junk.DESCENDING)[start:start + 11]


@SETTINGS
@given(st.data(), st.lists(junk_numbers(), min_size=1, max_size=5))
def test_junk_never_becomes_usable(data: st.DataObject, numbers: list[str]) -> None:
    raws = [data.draw(spellings(n)) for n in numbers for _ in range(4)]
    results = normalize_values("phone", raws)
    assert {r.status for r in results} == {"junk"}, [(raw, r) for raw, r in zip(raws, results) if r.status != "junk"]


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["", "0", "+86", "0086", "+860", "86", "00860"]),
                          st.sampled_from(["", "1", "10", "2", "21", "3", "4", "400", "5", "7", "755", "8", "86",
                                           "9", "95", "179", "12"]),
                          st.text("0123456789", min_size=3, max_size=11)), min_size=10, max_size=60))
def test_sql_fast_path_agrees_with_phonenumbers(parts: list[tuple[str, str, str]]) -> None:
    """Whatever the SQL decides for Chinese shapes is what phonenumbers says (junk aside)."""
    raws = [a + b + c for a, b, c in parts]
    for raw, got in zip(raws, normalize_values("phone", raws)):
        if got.status == "junk":
            continue
        want = phones.parse_leftover(raw, "CN")
        assert (got.value, got.kind, got.reason) == (
            want.e164 if want.reason is None else None, want.kind if want.reason is None else None, want.reason), raw


def test_cn_mobile_numbers_are_never_an_earlier_phonenumbers_type() -> None:
    """``type_sql`` tests the mobile pattern first; phonenumbers must agree on a seeded sample."""
    rng = random.Random(7)
    for prefix in range(1300, 2000):
        for _ in range(5):
            number = str(prefix) + "".join(rng.choice("0123456789") for _ in range(7))
            if _MOBILE.fullmatch(number):
                parsed = phonenumbers.parse(number, "CN")
                assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE, number


def test_plain_mobiles_are_only_junk_when_listed() -> None:
    """``junk_sql`` only looks up the listed placeholders for plain mobiles; no other junk is one."""
    plain = {k for k in junk.phone_junk_keys() if _MOBILE.fullmatch(k)}
    assert plain <= junk.PLACEHOLDER_PHONES


def test_junk_sql_agrees_with_python() -> None:
    """The SQL junk test of the digits after ``+86`` is :func:`junk.phone_junk_reason`."""
    keys = sorted(junk.phone_junk_keys())[::5] + ["13812345678", "010", "0", "0000000000000000000000"]
    results = normalize_values("phone", ["+86" + k for k in keys])
    for key, got in zip(keys, results):
        want = junk.phone_junk_reason(key)
        if want is not None:
            assert (got.status, got.reason) == ("junk", want), key
