"""Device ID normalization: table-driven examples and hypothesis properties."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from linker.normalize import NormalizedValue, normalize_device, normalize_values
from linker.normalize import devices

# Each example runs DuckDB queries: few examples, no deadline, and no shrinking (which can take
# minutes); a failure still reports the example that failed.
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def luhn_digit(body: str) -> str:
    """Return the Luhn check digit of the 14-digit IMEI ``body``."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


EXAMPLES = [
    ("867530012345672", ("imei:867530012345672", "imei", "usable", None)),
    ("IMEI: 86-753001-234567-2", ("imei:867530012345672", "imei", "usable", None)),
    ("imei:867530012345672", ("imei:867530012345672", "imei", "usable", None)),
    (IDFA, ("uuid:" + IDFA, "uuid", "usable", None)),
    (IDFA.lower(), ("uuid:" + IDFA, "uuid", "usable", None)),
    ("{" + IDFA.replace("-", "").lower() + "}", ("uuid:" + IDFA, "uuid", "usable", None)),
    ("IDFA: " + IDFA, ("uuid:" + IDFA, "uuid", "usable", None)),
    ("uuid:" + IDFA, ("uuid:" + IDFA, "uuid", "usable", None)),
    ("A1B2C3D4E5F60718", ("aid:a1b2c3d4e5f60718", "android_id", "usable", None)),
    ("aid:a1b2c3d4e5f60718", ("aid:a1b2c3d4e5f60718", "android_id", "usable", None)),
    ("", (None, None, "junk", "empty")),
    ("unknown", (None, None, "junk", "null_token")),
    ("00000000-0000-0000-0000-000000000000", (None, "uuid", "junk", "placeholder_device")),
    ("9774d56d682e549c", (None, "android_id", "junk", "placeholder_device")),
    ("0000000000000000", (None, "android_id", "junk", "placeholder_device")),
    ("000000000000000", (None, "imei", "junk", "placeholder_device")),
    ("123456789012345", (None, "imei_unverified", "junk", "placeholder_device")),
    ("49-015420-323751-8", (None, "imei", "junk", "placeholder_device")),
    ("867530012345670", ("imei:867530012345670", "imei_unverified", "usable", None)),
    ("86753001234567", (None, None, "invalid", "too_short")),
    ("86753001234567012", (None, None, "invalid", "too_long")),
    ("iPhone 12", (None, None, "invalid", "bad_format")),
    ("6D92078A-8246-4BA4-AE5B", (None, None, "invalid", "bad_format")),
]


@pytest.fixture(scope="module")
def example_results() -> dict[str, NormalizedValue]:
    raws = [raw for raw, _ in EXAMPLES]
    return dict(zip(raws, normalize_values("device", raws), strict=True))


@pytest.mark.parametrize(("raw", "expected"), EXAMPLES)
def test_examples(raw: str, expected: tuple, example_results: dict) -> None:
    assert example_results[raw] == NormalizedValue(*expected)


def test_single_value_helper_is_the_batch_helper() -> None:
    assert normalize_device(IDFA.lower()) == normalize_values("device", [IDFA])[0]


def devices_and_values() -> st.SearchStrategy[tuple[str, str]]:
    """A usable device ID in its plain form and its normalized value (placeholders left out)."""
    return _devices_and_values().filter(lambda d: d[1] not in devices.placeholder_values())


@st.composite
def _devices_and_values(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["imei", "uuid", "aid"]))
    if kind == "imei":
        body = draw(st.sampled_from("3489")) + draw(st.text("0123456789", min_size=13, max_size=13))
        return body + luhn_digit(body), f"imei:{body}{luhn_digit(body)}"
    if kind == "uuid":
        value = str(draw(st.uuids())).upper()
        return value, f"uuid:{value}"
    value = draw(st.text("0123456789abcdef", min_size=16, max_size=16).filter(lambda s: len(set(s)) > 1))
    return value, f"aid:{value}"


@st.composite
def spellings(draw: st.DrawFn, plain: str, value: str) -> str:
    """Another spelling of a device ID: case, dashes, braces, a label (or the value's own prefix)."""
    kind, bare = value.split(":", 1)
    text = draw(st.sampled_from([plain, plain.replace("-", ""), bare]))
    text = "".join(c.lower() if draw(st.booleans()) else c.upper() for c in text)
    if kind == "uuid" and draw(st.booleans()):
        text = "{" + text + "}"
    if kind == "imei" and draw(st.booleans()):
        text = f"{text[:2]}-{text[2:8]}-{text[8:14]}-{text[14:]}"
    labels = {"imei": ["IMEI:", "imei ", "IMEI="], "uuid": ["IDFA:", "idfv ", "urn:uuid:"],
              "aid": ["android_id:", "AID "]}[kind]
    text = draw(st.sampled_from(["", kind + ":", *labels])) + text
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " "]))


@SETTINGS
@given(st.data(), st.lists(devices_and_values(), min_size=1, max_size=5))
def test_every_spelling_of_a_device_gives_one_value(data: st.DataObject, ids: list[tuple[str, str]]) -> None:
    raws = [data.draw(spellings(plain, value)) for plain, value in ids for _ in range(6)]
    got = normalize_values("device", raws)
    assert [g.value for g in got] == [value for _, value in ids for _ in range(6)], list(zip(raws, got))


@SETTINGS
@given(st.lists(devices_and_values(), min_size=1, max_size=10))
def test_normalizing_twice_changes_nothing(ids: list[tuple[str, str]]) -> None:
    values = [v.value for v in normalize_values("device", [plain for plain, _ in ids])]
    assert [v.value for v in normalize_values("device", values)] == values
    bare = [value.split(":", 1)[1] for value in values]
    assert [v.value for v in normalize_values("device", bare)] == values


@SETTINGS
@given(st.lists(devices_and_values().filter(lambda d: d[1].startswith("imei:")), min_size=1, max_size=10),
       st.integers(1, 9))
def test_a_wrong_check_digit_stays_usable_as_unverified(ids: list[tuple[str, str]], shift: int) -> None:
    wrong = [plain[:-1] + str((int(plain[-1]) + shift) % 10) for plain, _ in ids]
    assert {(v.status, v.kind) for v in normalize_values("device", wrong)} <= {
        ("usable", "imei_unverified"), ("junk", "imei_unverified")}


@SETTINGS
@given(st.data(), st.lists(st.sampled_from(sorted(devices.placeholder_values())), min_size=1, max_size=6))
def test_junk_never_becomes_usable(data: st.DataObject, values: list[str]) -> None:
    raws = [data.draw(spellings(value.split(":", 1)[1], value)) for value in values for _ in range(3)]
    assert {v.status for v in normalize_values("device", raws)} == {"junk"}


def test_placeholder_uuids_include_limit_ad_tracking() -> None:
    assert "uuid:" + str(uuid.UUID(int=0)).upper() in devices.placeholder_values()
