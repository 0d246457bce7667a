"""Identifier drawing and spelling: every spelling of one value normalizes back to it."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pytest

from linker.demo.identifiers import (
    ACCOUNT_EMAIL_WEIGHTS,
    AID,
    IDFA,
    IMEI,
    MOBILE_TEMPLATES,
    PLACEHOLDER_PHONES,
    EmailBook,
    is_mobile,
    luhn_digit,
    phone_text,
    sample_devices,
    sample_emails,
    sample_landlines,
    sample_mobiles,
    spell_devices,
    spell_emails,
    spell_phones,
    typo_email_locals,
    typo_phones,
)
from linker.demo.names import sample_names


def digits_of(raw: str) -> str:
    d = re.sub(r"\D", "", unicodedata.normalize("NFKC", raw))
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) in (12, 13):
        d = d[2:]
    return d[1:] if d.startswith("0") else d


def test_mobiles_are_distinct_valid_and_avoid_exclusions() -> None:
    rng = np.random.default_rng(0)
    exclude = np.array([int(p) for p in PLACEHOLDER_PHONES])
    m = sample_mobiles(rng, 50_000, exclude)
    assert len(np.unique(m)) == len(m) == 50_000
    assert is_mobile(m).all() and not np.isin(m, exclude).any()
    assert set((m // 100_000_000).tolist()) <= set(range(130, 200))


@pytest.mark.parametrize("style", range(len(MOBILE_TEMPLATES)))
def test_every_mobile_spelling_normalizes_back(style: int) -> None:
    rng = np.random.default_rng(style)
    m = sample_mobiles(rng, 200)
    weights = [1.0 if k == style else 0.0 for k in range(len(MOBILE_TEMPLATES))]
    for raw, value in zip(spell_phones(rng, m, weights).to_pylist(), m.tolist()):
        assert digits_of(raw) == str(value), raw


def test_landlines_are_spelled_with_their_area_code() -> None:
    rng = np.random.default_rng(1)
    values = sample_landlines(rng, np.arange(38) % 38)
    assert not is_mobile(values).any()
    spelled = spell_phones(rng, values, [1] * len(MOBILE_TEMPLATES)).to_pylist()
    for raw, value in zip(spelled, values.tolist()):
        assert digits_of(raw) == str(value), raw
        assert re.search(r"^(\+86[ -]|\(?0)", raw)
    assert phone_text(values[:1]).to_pylist()[0] == f"+86{values[0]}"


def test_phone_typos_differ_by_one_digit_or_one_swap() -> None:
    rng = np.random.default_rng(2)
    m = sample_mobiles(rng, 5000)
    t = typo_phones(rng, m)
    assert (t != m).all()
    for a, b in zip(map(str, m.tolist()), map(str, t.tolist())):
        diff = [i for i in range(11) if a[i] != b[i]]
        assert len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
        assert a[:3] == b[:3]


def test_luhn_digit_matches_known_imeis() -> None:
    body = np.array([[int(c) for c in s[:14]] for s in ("490154203237518", "356938035643809")])
    assert luhn_digit(body).tolist() == [8, 9]


def test_devices_are_distinct_and_well_formed() -> None:
    rng = np.random.default_rng(3)
    book = sample_devices(rng, 20_000)
    text = book.text().to_pylist()
    assert len(set(text)) == len(text)
    kinds = {k: [t for t, kind in zip(text, book.kind.tolist()) if kind == k] for k in (IMEI, IDFA, AID)}
    assert all(re.fullmatch(r"imei:\d{15}", t) for t in kinds[IMEI])
    assert all(
        re.fullmatch(r"uuid:[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}", t)
        for t in kinds[IDFA]
    )
    assert all(re.fullmatch(r"aid:[0-9a-f]{16}", t) for t in kinds[AID])
    assert "aid:9774d56d682e549c" not in text


def test_device_spellings_normalize_back() -> None:
    rng = np.random.default_rng(4)
    book = sample_devices(rng, 3000)
    raw = spell_devices(rng, book, np.arange(len(book))).to_pylist()
    canon = book.text().to_pylist()
    assert len(set(raw)) > 0.9 * len(raw)
    for r, c in zip(raw, canon):
        n = re.sub(r"^imei[: ]?", "", r.strip().lower()).replace("-", "").replace(" ", "")
        assert n == c.split(":", 1)[1].lower().replace("-", ""), r


def _book(n: int, seed: int) -> EmailBook:
    rng = np.random.default_rng(seed)
    names = sample_names(rng, rng.random(n) < 0.5)
    return sample_emails(
        rng, names.surname_pinyin(), names.given_pinyin(), names.initials(), rng.integers(1950, 2005, n)
    )


def test_emails_are_distinct_and_realistic() -> None:
    book = _book(30_000, 5)
    text = book.text().to_pylist()
    assert len(set(text)) == len(text)
    assert "123456@qq.com" not in text
    qq = [t for t in text if t.endswith("@qq.com")]
    assert len(qq) > 0.3 * len(text) and all(re.fullmatch(r"[1-9]\d{4,10}@qq\.com", t) for t in qq)
    named = [t for t in text if t.endswith("@163.com")]
    assert all(re.fullmatch(r"[a-z][a-z0-9._]*@163\.com", t) for t in named)
    assert all("." not in t.split("@")[0] for t in text if t.endswith("@gmail.com"))


def test_email_spellings_normalize_back() -> None:
    book = _book(5000, 6)
    rng = np.random.default_rng(7)
    raw = spell_emails(rng, book, np.arange(len(book)), ACCOUNT_EMAIL_WEIGHTS).to_pylist()
    for r, c in zip(raw, book.text().to_pylist()):
        local, _, domain = r.strip().lower().partition("@")
        if domain in ("gmail.com", "googlemail.com"):
            domain, local = "gmail.com", local.split("+")[0].replace(".", "")
        assert f"{local}@{domain}" == c, r
    assert any(r != r.strip() for r in raw) and any("googlemail" in r for r in raw)


def test_email_typos_are_one_character_off() -> None:
    rng = np.random.default_rng(8)
    local = ["zhangwei88", "123456789", "li.na", "ab"]
    for a, b in zip(local, typo_email_locals(rng, local * 50)):
        assert a != b and abs(len(a) - len(b)) <= 1 and a[0] == b[0]
