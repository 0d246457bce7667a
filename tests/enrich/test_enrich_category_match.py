"""Mapping category names to classes: exact, pattern, contains, fuzzy, card codes, merchants, the summary."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.enrich.enrich_run import rows

from linker.demo.vocab import MCC_CODES, NEED_TOPICS, category_topics
from linker.enrich.category_match import (
    build_categories, build_merchant_classes, matching_summary, normalize_names, register_taxonomy,
)
from linker.enrich.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(None)


def _map(tax, online=(), mccs=(), merchants=()) -> dict[str, dict]:
    con = duckdb.connect()
    con.execute("CREATE TABLE purchases (category VARCHAR, amount DOUBLE)")
    con.execute("CREATE TABLE browsing (category VARCHAR)")
    con.execute("CREATE TABLE transactions (mcc VARCHAR, amount DOUBLE, merchant VARCHAR)")
    for c in online:
        con.execute("INSERT INTO purchases VALUES (?, 1)", [c])
    for m, n in [(m, None) for m in mccs] + list(merchants):
        con.execute("INSERT INTO transactions VALUES (?, 1, ?)", [m, n])
    register_taxonomy(con, tax)
    build_categories(con, tax)
    if merchants:
        build_merchant_classes(con)
        return {r["merchant"]: r for r in rows(con, "SELECT * FROM merchant_classes")}
    return {r["name"]: r for r in rows(con, "SELECT * FROM categories")}


def test_every_generated_category_and_code_is_mapped_and_need_topics_keep_their_domain():
    """The demo's need topics are named after the taxonomy's classes: each raw name lands in that class's domain
    (and, but for hardware, in that very class)."""
    topics = category_topics()
    mapped = _map(TAXONOMY, online=list(topics), mccs=list(MCC_CODES))
    assert [n for n, r in mapped.items() if not r["mapped"]] == []
    need_topics = {t for ts in NEED_TOPICS.values() for t in ts}
    wrong = {raw: mapped[raw]["class"] for raw, t in topics.items()
             if t in need_topics and mapped[raw]["domain"] != TAXONOMY.classes[t].domain}
    assert wrong == {}
    moved = {raw: mapped[raw]["class"] for raw, t in topics.items() if t in need_topics and mapped[raw]["class"] != t}
    assert moved == {"五金工具": "hardware_tools"}
    assert mapped["mcc:5712"]["class"] == "furniture"
    assert mapped["mcc:5712"]["domain_path"] == ["home", "home_furnishing"]
    assert mapped["mcc:5946"]["domain"] == "photography"
    assert mapped["mcc:5946"]["description"] == "Camera and photographic supply shops"


@pytest.mark.parametrize(("raw", "klass", "how"), [
    ("家具/床垫", "mattress", "exact"),
    ("  家具／床垫 ", "mattress", "exact"),           # spaces, full-width separators
    ("home > MATTRESSES", "mattress", "exact"),      # case
    ("灯具", "lighting", "exact"),
    ("二手数码/台式电脑", "laptop_entry", "pattern"),
    ("数码/摄影摄像/单反相机", "camera", "contains"),     # 单反相机 holds 相机: the longer wins
    ("数码相机/相机包", "camera_bag", "contains"),        # the match ending last (the deepest segment) wins
    ("全友家具/乳胶床垫", "mattress", "contains"),
    ("Cameras > Lenses > Wide", "camera_lens", "contains"),
    ("汽车用品/车载电器/车载充电器", "car_accessories", "contains"),
    ("Electronics > TV Stands", "furniture", "contains"),   # "tv" is a whole word only: "tv stands" wins
    ("Home > Bedding > Pillowcases", "bedding", "contains"),
    ("Laptps", "laptops", "fuzzy"),
    ("婴儿推车子", "stroller", "contains"),
])
def test_matching_order(raw, klass, how):
    got = _map(TAXONOMY, online=[raw])[raw]
    assert (got["class"], got["matched_by"]) == (klass, how)
    assert 0 < got["match_score"] <= 100


def test_latin_names_match_whole_words_only():
    got = _map(TAXONOMY, online=["Garbage Disposal Units", "TVS Motors Spare", "Bagels"])
    assert got["Garbage Disposal Units"]["class"] != "bags"
    assert got["Bagels"]["class"] != "bags"


def test_fuzzy_threshold_is_the_users(tmp_path: Path):
    strict = tmp_path / "strict.toml"
    strict.write_text('extends = "builtin"\n[matching]\nfuzzy_threshold = 100\n', encoding="utf-8")
    assert _map(load_taxonomy(strict), online=["Laptps"])["Laptps"]["mapped"] is False


def test_unmapped_names_and_codes_are_kept_and_counted():
    got = _map(TAXONOMY, online=["神秘商品", "家具/沙发"], mccs=["3012", "0000"])
    assert got["神秘商品"]["mapped"] is False and got["神秘商品"]["class"] is None
    assert got["神秘商品"]["matched_by"] is None and got["神秘商品"]["purchases"] == 1
    assert got["mcc:0000"]["mapped"] is False
    assert (got["mcc:3012"]["class"], got["mcc:3012"]["matched_by"]) == ("flights", "mcc_range")


def test_merchant_names_refine_an_ambiguous_code():
    got = _map(TAXONOMY, merchants=[("8299", "东方时尚驾校"), ("8299", "新东方")])
    assert got["东方时尚驾校"]["class"] == "driving_school"
    assert "新东方" not in got


def test_summary_shares_events_and_spend_by_method():
    con = duckdb.connect()
    con.execute("CREATE TABLE purchases AS SELECT * FROM (VALUES ('灯具', 30.0), ('灯具', 10.0), ('神秘', 60.0)) "
                "t(category, amount)")
    con.execute("CREATE TABLE browsing AS SELECT '数码相机/相机包' AS category")
    con.execute("CREATE TABLE transactions (mcc VARCHAR, amount DOUBLE, merchant VARCHAR)")
    register_taxonomy(con, TAXONOMY)
    build_categories(con, TAXONOMY)
    summary = {m: (names, events, spend, e, s) for m, names, events, spend, e, s in matching_summary(con)}
    assert summary == {"exact": (1, 2, 40.0, 0.5, 0.4), "contains": (1, 1, 0.0, 0.25, 0.0),
                       "unmapped": (1, 1, 60.0, 0.25, 0.6)}


@given(st.text(max_size=30))
def test_normalizing_twice_changes_nothing(text):
    once = normalize_names([text])
    assert normalize_names(once) == once
