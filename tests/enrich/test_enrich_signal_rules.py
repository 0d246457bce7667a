"""Reading signal rules: the shipped defaults, user files (replacing or extending), and every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder, rows

from linker.config import EnrichmentConfig
from linker.enrich import enrich
from linker.enrich.signal_rules import load_signal_rules
from linker.enrich.taxonomy import load_taxonomy
from linker.errors import RulesError

TAXONOMY = load_taxonomy(None)

MINIMAL = '''
[[signals]]
name = "sofa"
need = "sofa_lover"
action = "Offer a sofa cover."
recommend = ["bedding"]
min_score = 0.5
  [[signals.evidence]]
  id = "sofa_bought"
  kind = "purchase"
  domains = ["home_furnishing"]
  window_days = 30
'''


def test_shipped_rules_cover_the_needs_a_bank_wants():
    rules = load_signal_rules(None, TAXONOMY)
    assert {r.need for r in rules.rules} == {"home_furnishing", "computer", "photography", "travel",
                                            "education", "baby", "car"}
    assert {n.name for n in rules.needs} == {r.need for r in rules.rules}
    assert rules.need("baby").domains == ("baby",) and "toys" in rules.need("baby").classes
    camera = rules.rule("camera_follow_up")
    assert "camera" in camera.suppress and {"camera_lens", "camera_bag"} <= set(camera.recommend)
    assert rules.affordability.debt_service_rate == 0.03


def test_domains_expand_to_their_classes(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    (rule,) = load_signal_rules(path, TAXONOMY).rules
    assert set(rule.evidence[0].classes) == TAXONOMY.classes_under("home_furnishing")
    assert {"building_materials", "furniture", "mattress", "lighting"} <= set(rule.evidence[0].classes)


def test_a_user_file_replaces_and_runs(tmp_path: Path, run: RunBuilder):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    run.customer("C1").account("A1", "C1").purchase("A1", "家具/沙发", 100, days=3)
    con = run.done()
    counts = enrich(con, EnrichmentConfig(as_of=AS_OF, signals_file=path))
    assert counts["signals"] == 1
    assert rows(con, "SELECT need, found_by, rule_score, recommend FROM signals") == [
        {"need": "sofa_lover", "found_by": "rule", "rule_score": 1.0, "recommend": ["bedding"]}]
    assert rows(con, "SELECT value FROM enrichment_info WHERE key = 'signals_file'")[0]["value"] == str(path)


def test_extending_the_shipped_rules(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text('extends = "builtin"\n[affordability]\nmax_debt_service_ratio = 0.4\n'
                    '[[signals]]\nname = "new_baby"\nneed = "new_baby"\naction = "x"\nenabled = false\n'
                    '  [[signals.evidence]]\n  id = "e"\n  kind = "any"\n  classes = ["diapers"]\n' + MINIMAL,
                    encoding="utf-8")
    rules = load_signal_rules(path, TAXONOMY)
    names = [r.name for r in rules.rules]
    assert "new_baby" not in names and "sofa" in names and "camera_follow_up" in names
    assert rules.affordability.max_debt_service_ratio == 0.4 and rules.affordability.debt_service_rate == 0.03


def _rule(extra: str = "", evidence: str = 'id = "e"\nkind = "spend"\nclasses = ["furniture"]') -> str:
    return f'[[signals]]\nname = "r"\nneed = "n"\naction = "a"\n{extra}\n[[signals.evidence]]\n{evidence}\n'


@pytest.mark.parametrize(("text", "message"), [
    ("[[signals]]\nneed = 'n'\naction = 'a'", "signals[1]: lacks name"),
    (_rule(evidence='id = "e"\nkind = "spend"\nclasses = ["furnture"]'), "signals[1] 'r': evidence 'e': unknown class 'furnture'"),
    (_rule(evidence='id = "e"\nkind = "spend"\ndomains = ["hom"]'), "evidence 'e': unknown domain 'hom'"),
    (_rule(evidence='id = "e"\nkind = "bought"\nclasses = ["furniture"]'), "evidence 'e': kind 'bought' is not one of"),
    (_rule(evidence='id = "e"\nkind = "spend"\nclasses = ["furniture"]\nwindow_days = 0'), "window_days must be"),
    (_rule(evidence='id = "e"\nkind = "browse"\nclasses = ["furniture"]\nactions = ["buy"]'), "actions must be a list"),
    (_rule(evidence='id = "e"\nkind = "spend"\nclasses = ["furniture"]\ncolour = 1'), "evidence 'e': unknown key 'colour'"),
    (_rule(evidence='id = "e"\nkind = "spend"\nclasses = ["furniture"]\nabsent = true'), "needs at least one evidence"),
    (_rule(evidence='id = "e"\nkind = "spend"\nclasses = ["furniture"]\nweight = -1'), "weight must be"),
    (_rule(evidence='kind = "spend"\nclasses = ["furniture"]'), "evidence[1]: lacks id"),
    (_rule("recommend = ['sofa']"), "recommend: unknown class 'sofa'"),
    (_rule("min_score = 2"), "min_score must be a number between 0 and 1"),
    (_rule("[[signals.sequence]]\nid = 's'\nfirst = 'e'\nthen = 'x'"), "sequence 's': 'x' is not the id of an evidence"),
    (_rule("[[signals.condition]]\nid = 'c'\nmetric = 'salary'\nmin = 1"), "condition 'c': metric 'salary' is not one of"),
    (_rule("[[signals.condition]]\nid = 'c'\nmetric = 'income'"), "condition 'c': needs min and/or max"),
    (_rule("[[signals.condition]]\nid = 'e'\nmetric = 'income'\nmin = 1"), "the id 'e' is used twice"),
    (_rule() + _rule(), "signals[2] 'r': the name 'r' is used by an earlier rule"),
    ("[needs.n]\ndomains = ['hom']", "needs.n: unknown domain 'hom'"),
    ("[needs.n]\ndomains = ['baby']\nmin_score = -1", "needs.n: min_score: -1 is out of range"),
    ("[needs.n]\ndomains = ['baby']\nrecommend = ['pram']", "needs.n: recommend: unknown class 'pram'"),
    ("[needs.n]\nlabel = 'x'", "needs.n: domains must be a non-empty list"),
    ("[engagement]\nmin_score = 500", "engagement.min_score: 500 is out of range"),
    ("[engagement]\nhalf_life_days = 0", "engagement.half_life_days: 0 is out of range"),
    ("[engagement]\nweights = { clicks = 1 }", "engagement.weights: unknown measure 'clicks'"),
    ("[engagement]\nweights = { events = 0, spend = 0, active_days = 0, breadth = 0 }", "weights add up to zero"),
    ("[affordability]\nrate = 1", "affordability: unknown key 'rate'"),
    ("[affordability]\ndebt_service_rate = -1", "affordability.debt_service_rate: must be a non-negative number"),
    ("[rules]", "unknown section(s) ['rules']"),
    ("extends = 'mine'", "extends = 'mine'"),
    ("[[signals]\n", "not valid UTF-8 TOML"),
])
def test_mistakes_name_the_file_and_the_entry(tmp_path: Path, text: str, message: str):
    path = tmp_path / "signals.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as e:
        load_signal_rules(path, TAXONOMY)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_every_problem_is_reported_at_once(tmp_path: Path):
    path = tmp_path / "signals.toml"
    path.write_text(_rule("recommend = ['sofa']", 'id = "e"\nkind = "x"\nclasses = ["y"]'), encoding="utf-8")
    with pytest.raises(RulesError) as e:
        load_signal_rules(path, TAXONOMY)
    assert "3 problem(s)" in str(e.value)
