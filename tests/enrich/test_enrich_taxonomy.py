"""The category taxonomy: shipped coverage, matching order, unmapped names, overrides and file errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.enrich.enrich_run import rows

from linker.demo.vocab import MCC_CODES, category_topics
from linker.enrich.taxonomy import build_categories, build_merchant_classes, load_taxonomy, register_taxonomy
from linker.errors import RulesError

# Topics of the demo vocabulary whose class in the shipped taxonomy has another name.
RENAMED = {"beauty": "cosmetics", "pets": "pet_supplies", "health": "health_products", "game_topup": "games",
           "movie": "movies"}


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


def test_every_generated_category_and_mcc_is_mapped():
    tax = load_taxonomy(None)
    topics = category_topics()
    mapped = _map(tax, online=list(topics), mccs=list(MCC_CODES))
    unmapped = [n for n, r in mapped.items() if not r["mapped"]]
    assert unmapped == []
    for raw, topic in topics.items():
        expected = "telecom" if raw == "虚拟商品/话费充值" else RENAMED.get(topic, topic)
        assert mapped[raw]["class"] == expected, raw
        assert mapped[raw]["matched_by"] == "name"
    assert mapped["mcc:5712"]["class"] == "furniture"
    assert mapped["mcc:5712"]["domain_path"] == ["home", "home_furnishing"]
    assert mapped["mcc:5946"]["domain"] == "photography"


def test_patterns_alone_recover_the_generated_categories():
    """Remove every exact name: the patterns still put each generated category in its class."""
    tax = load_taxonomy(None)
    bare = type(tax)(tax.source, tax.domains, {
        n: type(c)(c.name, c.domain, c.label, c.priority, (), c.patterns, c.mcc, c.merchants)
        for n, c in tax.classes.items()})
    topics = category_topics()
    mapped = _map(bare, online=list(topics))
    wrong = {raw: mapped[raw]["class"] for raw, t in topics.items() if mapped[raw]["class"] != RENAMED.get(t, t)}
    assert wrong == {"虚拟商品/话费充值": "telecom"}   # a phone top-up is telecom, not a game


@pytest.mark.parametrize(("raw", "klass", "how"), [
    ("家具/床垫", "mattress", "name"),              # exact name beats the furniture pattern
    ("  家具/床垫 ", "mattress", "name"),            # surrounding spaces ignored
    ("home > MATTRESSES", "mattress", "name"),      # case ignored
    ("家具/书架", "furniture", "pattern"),
    ("全友家具/乳胶床垫", "mattress", "pattern"),     # priority 10 beats furniture's 100
    ("Cameras > Lenses > Wide", "camera_lens", "pattern"),
    ("二手数码/台式电脑", "laptop_entry", "pattern"),
    ("笔记本电脑/游戏本", "laptops", "pattern"),
])
def test_matching_order(raw, klass, how):
    got = _map(load_taxonomy(None), online=[raw])[raw]
    assert (got["class"], got["matched_by"]) == (klass, how)


def test_unmapped_names_and_codes_are_kept_and_counted():
    got = _map(load_taxonomy(None), online=["神秘商品", "家具/沙发"], mccs=["7995", "3012"])
    assert got["神秘商品"]["mapped"] is False and got["神秘商品"]["class"] is None
    assert got["神秘商品"]["purchases"] == 1
    assert got["mcc:7995"]["mapped"] is False
    assert (got["mcc:3012"]["class"], got["mcc:3012"]["matched_by"]) == ("flights", "mcc_range")


def test_merchant_names_refine_an_ambiguous_code():
    got = _map(load_taxonomy(None), merchants=[("8299", "东方时尚驾校"), ("8299", "新东方")])
    assert got["东方时尚驾校"]["class"] == "driving_school"
    assert "新东方" not in got


def test_user_file_replaces_or_extends(tmp_path: Path):
    own = tmp_path / "own.toml"
    own.write_text('[domains.misc]\n[classes.mystery]\ndomain = "misc"\nnames = ["神秘商品", "家具/沙发"]\n',
                   encoding="utf-8")
    replaced = load_taxonomy(own)
    assert set(replaced.classes) == {"mystery"}
    own.write_text('extends = "builtin"\n' + own.read_text(encoding="utf-8"), encoding="utf-8")
    extended = load_taxonomy(own)
    got = _map(extended, online=["神秘商品", "家具/沙发", "家具/餐桌"])
    assert got["神秘商品"]["class"] == "mystery"
    assert got["家具/沙发"]["class"] == "mystery"      # the user's exact name wins over the shipped one
    assert got["家具/餐桌"]["class"] == "furniture"
    assert extended.source == str(own)


@pytest.mark.parametrize(("text", "message"), [
    ('[classes.x]\ndomain = "nowhere"', "classes.x: unknown domain 'nowhere'"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\nmcc = ["57x2"]', "classes.x.mcc: '57x2' is not a merchant category"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\npatterns = ["(unclosed"]', "classes.x.patterns: '(unclosed'"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\nnames = ["a"]\n[classes.y]\ndomain = "d"\nnames = ["A"]',
     "classes.y.names: 'A' is already a name of classes.x"),
    ('[domains.a]\nparent = "b"\n[domains.b]\nparent = "a"', "domains.a: the parent chain loops"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\ncolour = "red"', "classes.x: unknown key 'colour'"),
    ('[domains.d]\n[classes.d]\ndomain = "d"', "classes.d: names are lower-case"),
    ('[classes.x]\nnames = ["a"]', "classes.x: lacks domain"),
    ('extends = "other"', "extends = 'other'"),
    ("[classes", "not valid UTF-8 TOML"),
])
def test_file_errors_name_the_file_and_entry(tmp_path: Path, text: str, message: str):
    path = tmp_path / "tax.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as e:
        load_taxonomy(path)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(RulesError, match="not found"):
        load_taxonomy(tmp_path / "nope.toml")
