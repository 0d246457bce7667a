"""Chinese names: realistic frequencies, pinyin spellings, one-character variants."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from linker.demo.names import GIVEN_TEXT, PINYIN_STYLES, SURNAME_TEXT, one_off, pinyin_name, sample_names


def test_common_surnames_and_names_repeat() -> None:
    rng = np.random.default_rng(0)
    female = rng.random(50_000) < 0.5
    names = sample_names(rng, female)
    text = names.chinese().to_pylist()
    surnames = Counter(SURNAME_TEXT.to_pylist()[i] for i in names.surname.tolist())
    assert [s for s, _ in surnames.most_common(3)] == ["王", "李", "张"] or set(
        s for s, _ in surnames.most_common(3)
    ) == {"王", "李", "张"}
    full = Counter(text)
    assert full["张伟"] > 10 and full["王芳"] > 10
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", t) for t in text)
    given2 = (names.given2 > 0).mean()
    assert 0.3 < given2 < 0.8


def test_given_names_follow_sex() -> None:
    rng = np.random.default_rng(1)
    men = sample_names(rng, np.zeros(5000, dtype=bool)).chinese().to_pylist()
    women = sample_names(rng, np.ones(5000, dtype=bool)).chinese().to_pylist()
    assert Counter(n[1:] for n in men)["伟"] > 50 and Counter(n[1:] for n in men)["芳"] == 0
    assert Counter(n[1:] for n in women)["芳"] > 50


def test_one_off_changes_exactly_one_given_character() -> None:
    rng = np.random.default_rng(2)
    names = sample_names(rng, rng.random(3000) < 0.5)
    changed = one_off(rng, names)
    for a, b in zip(names.chinese().to_pylist(), changed.chinese().to_pylist()):
        assert len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1
    assert "" not in GIVEN_TEXT.to_pylist()[1:]


def test_pinyin_names_use_all_styles() -> None:
    rng = np.random.default_rng(3)
    names = sample_names(rng, rng.random(2000) < 0.5)
    spelled = pinyin_name(rng, names, np.full(2000, 1988)).to_pylist()
    assert all(re.fullmatch(r"[A-Za-z_ 0-9]+", s) for s in spelled)
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", s) for s in spelled)
    assert any(re.fullmatch(r"[a-z]+_[a-z]+\d+", s) for s in spelled)
    assert any(s.isupper() for s in spelled) and any(s.endswith("1988") for s in spelled)
    assert len(PINYIN_STYLES) == 6
