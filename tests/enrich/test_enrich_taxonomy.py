"""The category taxonomy: the shipped coverage, overrides and file errors (matching: test_enrich_category_match)."""

from __future__ import annotations

from pathlib import Path

import iso18245
import pytest

from linker.enrich.taxonomy import load_taxonomy
from linker.errors import RulesError


def test_shipped_taxonomy_covers_real_catalogues():
    tax = load_taxonomy(None)
    assert len(tax.leaves) >= 1000
    assert all(leaf.name_zh and leaf.name_en for leaf in tax.leaves)
    # every class hangs from a domain path, every domain has both labels
    assert all(tax.domains[c.domain] for c in tax.classes.values())
    assert all(d.label and d.label_zh for d in tax.domains.values())
    assert tax.domain_path("photography") == ("electronics", "photography")


def test_every_iso_18245_code_has_a_class():
    tax = load_taxonomy(None)
    ranges = [r for c in tax.classes.values() for r in c.mcc]
    missing = [m.mcc for m in iso18245.get_all_mccs() if not any(lo <= int(m.mcc) <= hi for lo, hi in ranges)]
    assert missing == []


def test_user_file_replaces_or_extends(tmp_path: Path):
    own = tmp_path / "own.toml"
    own.write_text('[domains.misc]\n[classes.mystery]\ndomain = "misc"\nnames = ["神秘商品", "家具/沙发"]\n',
                   encoding="utf-8")
    replaced = load_taxonomy(own)
    assert set(replaced.classes) == {"mystery"} and replaced.leaves == ()
    own.write_text('extends = "builtin"\n' + own.read_text(encoding="utf-8"), encoding="utf-8")
    extended = load_taxonomy(own)
    assert extended.source == str(own)
    assert "家具/沙发" not in extended.classes["furniture"].names     # the user's name wins
    assert "沙发" in extended.classes["furniture"].names


def test_user_classes_add_to_the_shipped_class_and_its_categories_file(tmp_path: Path):
    (tmp_path / "mine.csv").write_text("domain,class,name_zh,name_en,synonyms\n"
                                       "home_furnishing,lighting,磁悬浮灯,Levitating Lamps,\n"
                                       "hobby,kites,风筝,Kites,纸鸢\n", encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text('extends = "builtin"\ncategories = "mine.csv"\n[domains.hobby]\nlabel = "Hobby"\n'
                   '[classes.lighting]\nnames = ["氛围吊灯"]\n[matching]\nfuzzy_threshold = 90\n', encoding="utf-8")
    tax = load_taxonomy(own)
    lighting = tax.classes["lighting"].names
    assert {"磁悬浮灯", "氛围吊灯", "灯具"} <= set(lighting)
    assert tax.classes["kites"].domain == "hobby"
    assert tax.matching.fuzzy_threshold == 90
    assert len(tax.leaves) == len(load_taxonomy(None).leaves) + 2


@pytest.mark.parametrize(("text", "csv", "message"), [
    ('[classes.x]\ndomain = "nowhere"', None, "unknown domain 'nowhere'"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\nmcc = ["57x2"]', None, "classes.x.mcc: '57x2' is not a merchant"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\npatterns = ["(unclosed"]', None, "classes.x.patterns: '(unclosed'"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\nnames = ["a"]\n[classes.y]\ndomain = "d"\nnames = ["A"]', None,
     "classes.y.names: 'A' is already a name of classes.x"),
    ('[domains.a]\nparent = "b"\n[domains.b]\nparent = "c"\n[domains.c]\nparent = "a"', None,
     "domains.a: the parent chain is a cycle: a -> b -> c -> a"),
    ('categories = "c.csv"\n[domains.d]\n[domains.e]\n[classes.x]\ndomain = "e"',
     "domain,class,name_zh,name_en,synonyms\nd,x,甲,A,\n",
     "classes.x: the class is in two domains: 'e' here and 'd' (c.csv row 2)"),
    ('categories = "c.csv"\n[domains.d]\n[domains.e]', "domain,class,name_zh,name_en,synonyms\nd,x,甲,A,\ne,x,乙,B,\n",
     "c.csv row 3: class 'x' is in two domains: 'e' here and 'd' (c.csv row 2)"),
    ('categories = "c.csv"\n[domains.d]', "domain,class,name\nd,x,甲\n", "c.csv: the header must be"),
    ('categories = "gone.csv"\n[domains.d]', None, "categories: file"),
    ('[domains.d]\n[classes.x]\ndomain = "d"\ncolour = "red"', None, "classes.x: unknown key 'colour'"),
    ('[domains.d]\n[classes.d]\ndomain = "d"', None, "class 'd': names are lower-case"),
    ('[classes.x]\nnames = ["a"]', None, "classes.x: lacks domain"),
    ('[matching]\nfuzzy_threshold = 120', None, "matching.fuzzy_threshold: 120 is out of range"),
    ('[matching]\ncontains_min_chars = 0', None, "matching.contains_min_chars: 0 is out of range"),
    ('extends = "other"', None, "extends = 'other'"),
    ("[classes", None, "not valid UTF-8 TOML"),
])
def test_file_errors_name_the_file_and_entry(tmp_path: Path, text: str, csv: str | None, message: str):
    path = tmp_path / "tax.toml"
    path.write_text(text, encoding="utf-8")
    if csv is not None:
        (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(RulesError) as e:
        load_taxonomy(path)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(RulesError, match="not found"):
        load_taxonomy(tmp_path / "nope.toml")
