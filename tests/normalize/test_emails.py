"""E-mail normalization: table-driven examples and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from linker.normalize import NormalizedValue, normalize_email, normalize_values
from linker.normalize import emails, junk

# Each example runs DuckDB queries: few examples, no deadline, and no shrinking (which can take
# minutes); a failure still reports the example that failed.
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

EXAMPLES = [
    ("zhangwei@gmail.com", ("zhangwei@gmail.com", "email", "usable", None)),
    (" Zhang.Wei+shop@GoogleMail.com ", ("zhangwei@gmail.com", "email", "usable", None)),
    ("Zhang Wei@QQ.com", ("zhangwei@qq.com", "email", "usable", None)),
    ("ｚｈａｎｇｗｅｉ＠ｑｑ．ｃｏｍ", ("zhangwei@qq.com", "email", "usable", None)),
    ("li.na+news@163.com", ("li.na@163.com", "email", "usable", None)),
    ("mailto:wang@sina.com", ("wang@sina.com", "email", "usable", None)),
    ("<wang@sina.com>", ("wang@sina.com", "email", "usable", None)),
    ("tim@me.com", ("tim@icloud.com", "email", "usable", None)),
    ("tim@mac.com", ("tim@icloud.com", "email", "usable", None)),
    ("abc@qq.con", ("abc@qq.com", "email", "usable", None)),
    ("abc@gmial.com", ("abc@gmail.com", "email", "usable", None)),
    ("abc@163.cm", ("abc@163.com", "email", "usable", None)),
    ("abc@hotmial.com", ("abc@hotmail.com", "email", "usable", None)),
    ("88886666@qq.com", ("88886666@qq.com", "email", "usable", None)),
    ("", (None, None, "junk", "empty")),
    ("null", (None, None, "junk", "null_token")),
    ("test@163.com", (None, "email", "junk", "test_address")),
    ("Test123@qq.com", (None, "email", "junk", "test_address")),
    ("no-reply@jd.com", (None, "email", "junk", "test_address")),
    ("noreply@taobao.com", (None, "email", "junk", "test_address")),
    ("zhang@example.com", (None, "email", "junk", "test_address")),
    ("zhang@example.org", (None, "email", "junk", "test_address")),
    ("zhang@mailinator.com", (None, "email", "junk", "test_address")),
    ("a@a.com", (None, "email", "junk", "test_address")),
    ("123456@qq.com", (None, "email", "junk", "test_address")),
    ("11111@163.com", (None, "email", "junk", "test_address")),
    ("zhang", (None, None, "invalid", "bad_format")),
    ("zhang@@qq.com", (None, None, "invalid", "bad_format")),
    ("zhang.@qq.com", (None, None, "invalid", "bad_format")),
    ("张伟@qq.com", (None, None, "invalid", "bad_format")),
    ("+shop@gmail.com", (None, "email", "invalid", "bad_format")),
    ("zhang@localhost", (None, None, "invalid", "bad_domain")),
    ("zhang@qq..com", (None, None, "invalid", "bad_domain")),
    ("x" * 65 + "@qq.com", (None, None, "invalid", "too_long")),
    ("1234@qq.com", ("1234@qq.com", "email_unverified", "usable", None)),
    ("0234567@qq.com", ("0234567@qq.com", "email_unverified", "usable", None)),
    ("223456789012@qq.com", ("223456789012@qq.com", "email_unverified", "usable", None)),
    ("abc@qqcom", ("abc@qq.com", "email", "usable", None)),
]


@pytest.fixture(scope="module")
def example_results() -> dict[str, NormalizedValue]:
    raws = [raw for raw, _ in EXAMPLES]
    return dict(zip(raws, normalize_values("email", raws), strict=True))


@pytest.mark.parametrize(("raw", "expected"), EXAMPLES)
def test_examples(raw: str, expected: tuple, example_results: dict) -> None:
    assert example_results[raw] == NormalizedValue(*expected)


def test_single_value_helper_is_the_batch_helper() -> None:
    assert normalize_email("Zhang.Wei@GoogleMail.com") == normalize_values("email", ["zhangwei@gmail.com"])[0]


def test_domain_fixes_never_rewrite_a_provider() -> None:
    fixes = emails.domain_fixes()
    assert not set(fixes) & set(emails.PROVIDERS)
    assert set(fixes.values()) <= set(emails.PROVIDERS)


LOCALS = st.from_regex(r"[a-z][a-z0-9]{3,9}(?:[._][a-z0-9]{1,5})?", fullmatch=True)
DOMAINS = st.sampled_from(["qq.com", "163.com", "126.com", "gmail.com", "icloud.com", "hotmail.com", "sina.com",
                           "outlook.com", "company.cn"])


@st.composite
def spellings(draw: st.DrawFn, address: str) -> str:
    """Another spelling of the canonical ``address``: case, spaces, tags, aliases, typos, full width."""
    local, domain = address.split("@")
    if domain == "gmail.com":
        local = ".".join(local) if draw(st.booleans()) else local
        domain = draw(st.sampled_from(["gmail.com", "googlemail.com", "gmial.com", "gmail.con"]))
    elif domain == "icloud.com":
        domain = draw(st.sampled_from(["icloud.com", "me.com", "mac.com"]))
    else:
        typos = [typo for typo, fixed in emails.domain_fixes().items() if fixed == domain]
        domain = draw(st.sampled_from([domain, *typos]))
    if draw(st.booleans()):
        local += "+" + draw(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True))
    text = "".join(c.upper() if draw(st.booleans()) else c for c in f"{local}@{domain}")
    if draw(st.booleans()):
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut] + " " + text[cut:]
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " ", "\u3000"]))


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """A canonical, usable address (one that a junk rule would catch is replaced by a fixed one)."""
    local, domain = draw(LOCALS), draw(DOMAINS)
    local = local.replace(".", "") if domain == "gmail.com" else local
    if local in junk.TEST_LOCAL_PARTS or local.startswith(("test", "noreply")):
        local = "zhangwei"
    return f"{local}@{domain}"


@SETTINGS
@given(st.data(), st.lists(addresses(), min_size=1, max_size=5, unique=True))
def test_every_spelling_of_an_address_gives_one_value(data: st.DataObject, canon: list[str]) -> None:
    raws = [data.draw(spellings(a)) for a in canon for _ in range(6)]
    got = normalize_values("email", raws)
    assert [g.value for g in got] == [a for a in canon for _ in range(6)], list(zip(raws, got))


@SETTINGS
@given(st.lists(st.text(st.sampled_from("abcXYZ019._+-@ 　ＡＢ"), min_size=1, max_size=20), min_size=1, max_size=30))
def test_normalizing_twice_changes_nothing(raws: list[str]) -> None:
    values = [v.value for v in normalize_values("email", raws) if v.value is not None]
    assert [v.value for v in normalize_values("email", values)] == values


@st.composite
def junk_addresses(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["local", "domain", "digits", "single"]))
    if kind == "local":
        return f"{draw(st.sampled_from(sorted(junk.TEST_LOCAL_PARTS)))}@{draw(DOMAINS)}"
    if kind == "domain":
        return f"{draw(LOCALS)}@{draw(st.sampled_from(sorted(junk.TEST_DOMAINS)))}"
    if kind == "digits":
        start, size = draw(st.integers(1, 9)), draw(st.integers(5, 10))
        return f"{junk.ASCENDING[start:start + size]}@qq.com"
    return f"{draw(st.sampled_from('abcxyz'))}@{draw(st.sampled_from('abcxyz'))}.com"


@SETTINGS
@given(st.data(), st.lists(junk_addresses(), min_size=1, max_size=5))
def test_junk_never_becomes_usable(data: st.DataObject, canon: list[str]) -> None:
    raws = [data.draw(spellings(a)) for a in canon for _ in range(4)]
    got = normalize_values("email", raws)
    assert {g.status for g in got} == {"junk"}, [(r, g) for r, g in zip(raws, got) if g.status != "junk"]
