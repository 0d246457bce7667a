"""Need-signal rules as data: read ``signals.toml``, check it against the taxonomy, hand typed rules to SQL.

The file format is described at the top of the shipped ``linker/data/signals.toml``. Every problem of a file
is reported at once, each naming the file and the entry (``signals[2] 'camera_follow_up', evidence
'camera_bought': unknown class 'camrea'``).

Examples
--------
>>> from linker.enrich.taxonomy import load_taxonomy
>>> rules = load_signal_rules(None, load_taxonomy(None))
>>> camera = rules.rule("camera_follow_up")
>>> camera.recommend, camera.suppress
(('camera_lens', 'camera_bag'), ('camera',))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from linker.enrich.affordability import METRICS, Affordability
from linker.enrich.taxonomy import BUILTIN, Taxonomy, read_toml
from linker.errors import RulesError

KINDS = ("purchase", "card", "spend", "browse", "any")
ACTIONS = ("view", "search", "cart", "favorite")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NEED_KEYS = {"domains", "label", "label_zh", "action", "recommend", "suppress", "window_days", "min_score",
              "min_events"}
_ENGAGEMENT_KEYS = {"window_days", "half_life_days", "min_score", "min_events", "lift_cap", "weights"}
MEASURES = ("events", "spend", "active_days", "breadth")
"""The parts of an engagement score: recency-weighted events, spend, active days, distinct classes."""
_RULE_KEYS = {"name", "need", "description", "action", "recommend", "suppress", "min_score", "enabled",
              "evidence", "sequence", "condition"}
_EVIDENCE_KEYS = {"id", "kind", "classes", "domains", "window_days", "actions", "min_count", "min_amount",
                  "min_dwell_seconds", "min_days", "absent", "required", "weight"}
_SEQUENCE_KEYS = {"id", "first", "then", "min_gap_days", "max_gap_days", "required", "weight"}
_CONDITION_KEYS = {"id", "metric", "min", "max", "required", "weight"}


@dataclass(frozen=True)
class Engagement:
    """How engagement scores are computed (``[engagement]``); each need may override the window and thresholds.

    An event counts ``0.5 ** (age_days / half_life_days)``; each measure of :data:`MEASURES` is divided by its
    mean over the customers active in the window (the population's baseline, learned from the run's data), the
    lifts capped at ``lift_cap``, and the score is their weighted mean: 1.0 is an average customer."""

    window_days: int = 90
    half_life_days: float = 45.0
    min_score: float = 1.5
    min_events: int = 2
    lift_cap: float = 10.0
    weights: tuple[tuple[str, float], ...] = tuple((m, 1.0) for m in MEASURES)


@dataclass(frozen=True)
class Need:
    """A need: the taxonomy domains whose behaviour reveals it, its default action and recommendations, and
    its engagement window and thresholds."""

    name: str
    domains: tuple[str, ...]
    classes: tuple[str, ...]          # every class of those domains and their sub-domains
    label: str = ""
    label_zh: str = ""
    action: str = ""
    recommend: tuple[str, ...] = ()
    suppress: tuple[str, ...] = ()
    window_days: int = 90
    min_score: float = 1.5
    min_events: int = 2


@dataclass(frozen=True)
class Evidence:
    """Events of one kind in some classes within ``window_days`` before as_of, meeting every threshold."""

    id: str
    kind: str
    classes: tuple[str, ...]   # domains already expanded to their classes
    window_days: int = 90
    actions: tuple[str, ...] = ()
    min_count: int = 1
    min_amount: float = 0.0
    min_dwell_seconds: float = 0.0
    min_days: int = 1
    absent: bool = False
    required: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Sequence:
    """An event of evidence ``first`` followed by one of ``then`` within [min_gap_days, max_gap_days]."""

    id: str
    first: str
    then: str
    min_gap_days: float = 0.0
    max_gap_days: float = 90.0
    required: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Condition:
    """A customer metric (see :data:`linker.enrich.affordability.METRICS`) within [min, max]."""

    id: str
    metric: str
    min: float | None = None
    max: float | None = None
    required: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class SignalRule:
    """One need signal: its evidence, sequences and conditions, score threshold, action and recommendations."""

    name: str
    need: str
    action: str
    description: str = ""
    recommend: tuple[str, ...] = ()
    suppress: tuple[str, ...] = ()
    min_score: float = 0.5
    evidence: tuple[Evidence, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    conditions: tuple[Condition, ...] = ()
    enabled: bool = True

    @property
    def horizon_days(self) -> int:
        """The longest evidence window: how far back the rule looks (recommendations already bought within it
        are dropped)."""
        return max(e.window_days for e in self.evidence)


@dataclass(frozen=True)
class SignalRules:
    """All enabled rules of a run, with the affordability parameters and the file they came from."""

    source: str
    rules: tuple[SignalRule, ...]
    affordability: Affordability = field(default_factory=Affordability)
    needs: tuple[Need, ...] = ()
    engagement: Engagement = field(default_factory=Engagement)

    def need(self, name: str) -> Need:
        """The need called ``name``."""
        for n in self.needs:
            if n.name == name:
                return n
        raise KeyError(name)

    def rule(self, name: str) -> SignalRule:
        """The rule called ``name``."""
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)


def builtin_path() -> Path:
    """Path of the shipped ``signals.toml``."""
    return Path(str(resources.files("linker").joinpath("data/signals.toml")))


def load_signal_rules(path: Path | None, taxonomy: Taxonomy) -> SignalRules:
    """Load the shipped rules, a user file, or a user file laid over the shipped rules.

    Parameters
    ----------
    path
        ``enrichment.signals_file``; ``None`` for the shipped rules.
    taxonomy
        Classes and domains the rules may name.

    Returns
    -------
    SignalRules
        Enabled rules only.

    Raises
    ------
    RulesError
        Listing every problem, each naming the file and the entry.
    """
    builtin = read_toml(builtin_path(), "signals")
    if path is None:
        return _build(builtin, taxonomy, BUILTIN)
    data = read_toml(path, "signals")
    extends = data.pop("extends", None)
    if extends not in (None, BUILTIN):
        raise RulesError(f"signals file {path}: extends = {extends!r}; the only value is \"builtin\"")
    if extends is None:
        return _build(data, taxonomy, str(path))
    own = {r.get("name") for r in data.get("signals", []) if isinstance(r, dict)}
    merged = {
        "version": data.get("version", builtin.get("version")),
        "affordability": {**builtin.get("affordability", {}), **data.get("affordability", {})},
        "engagement": {**builtin.get("engagement", {}), **data.get("engagement", {})},
        "needs": {**builtin.get("needs", {}), **data.get("needs", {})},
        "signals": [r for r in builtin.get("signals", []) if r.get("name") not in own] + data.get("signals", []),
    }
    return _build(merged, taxonomy, str(path))


def _build(data: dict[str, Any], taxonomy: Taxonomy, source: str) -> SignalRules:
    problems: list[str] = []
    unknown = sorted(set(data) - {"version", "affordability", "engagement", "needs", "signals"})
    if unknown:
        problems.append(f"unknown section(s) {unknown}; use version, extends, affordability, engagement, needs, "
                        f"signals")
    affordability = Affordability()
    raw_aff = data.get("affordability", {})
    known = {f.name for f in fields(Affordability)}
    for key, value in raw_aff.items():
        if key not in known:
            problems.append(f"affordability: unknown key {key!r} (keys: {', '.join(sorted(known))})")
        elif not _number(value) or value < 0:
            problems.append(f"affordability.{key}: must be a non-negative number")
        else:
            affordability = replace(affordability, **{key: float(value)})
    entries = data.get("signals", [])
    if not isinstance(entries, list):
        problems.append("signals must be an array of tables ([[signals]])")
        entries = []
    engagement = _engagement(data.get("engagement", {}), problems)
    needs = _needs(data.get("needs", {}), engagement, taxonomy, problems)
    declared = {n.name for n in needs}
    rules, names = [], set()
    for i, entry in enumerate(entries, 1):
        where = f"signals[{i}]" + (f" {entry.get('name')!r}" if isinstance(entry, dict) and entry.get("name") else "")
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        rule, rule_problems = _rule(entry, taxonomy)
        problems += [f"{where}: {p}" for p in rule_problems]
        if rule is not None and rule.need not in declared:   # a need found by its rules only
            declared.add(rule.need)
            needs.append(Need(rule.need, (), (), window_days=engagement.window_days, min_score=engagement.min_score,
                              min_events=engagement.min_events))
        if rule is not None:
            if rule.name in names:
                problems.append(f"{where}: the name {rule.name!r} is used by an earlier rule")
            names.add(rule.name)
            if rule.enabled:
                rules.append(rule)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise RulesError(f"signals file {source}: {len(problems)} problem(s):\n{listed}")
    return SignalRules(source, tuple(rules), affordability, tuple(needs), engagement)


def _engagement(raw: Any, problems: list[str]) -> Engagement:
    if not isinstance(raw, dict):
        problems.append("engagement must be a table ([engagement])")
        return Engagement()
    problems += [f"engagement: unknown key {k!r} (keys: {', '.join(sorted(_ENGAGEMENT_KEYS))})"
                 for k in raw if k not in _ENGAGEMENT_KEYS]
    base = Engagement()
    values: dict[str, Any] = {}
    for key, low, high, integer in (("window_days", 1, 3650, True), ("half_life_days", 1, 3650, False),
                                    ("min_score", 0, 100, False), ("min_events", 1, 1000, True),
                                    ("lift_cap", 1, 1000, False)):
        value = raw.get(key, getattr(base, key))
        if not _number(value) or not low <= value <= high or (integer and not float(value).is_integer()):
            problems.append(f"engagement.{key}: {value!r} is out of range; give a{' whole' if integer else ''} "
                            f"number from {low} to {high}")
            value = getattr(base, key)
        values[key] = int(value) if integer else float(value)
    weights = dict(base.weights)
    given = raw.get("weights", {})
    if not isinstance(given, dict):
        problems.append("engagement.weights must be a table {events = 1, spend = 1, ...}")
        given = {}
    for key, value in given.items():
        if key not in MEASURES:
            problems.append(f"engagement.weights: unknown measure {key!r} (measures: {', '.join(MEASURES)})")
        elif not _number(value) or value < 0:
            problems.append(f"engagement.weights.{key}: must be a non-negative number")
        else:
            weights[key] = float(value)
    if sum(weights.values()) <= 0:
        problems.append("engagement.weights add up to zero; give some measure a positive weight")
    return Engagement(**values, weights=tuple(weights.items()))


def _needs(raw: Any, engagement: Engagement, taxonomy: Taxonomy, problems: list[str]) -> list[Need]:
    if not isinstance(raw, dict):
        problems.append("needs must be tables ([needs.<name>])")
        return []
    needs = []
    for name, entry in raw.items():
        where = f"needs.{name}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table ([{where}])")
            continue
        local = [f"unknown key {k!r} (keys: {', '.join(sorted(_NEED_KEYS))})" for k in entry if k not in _NEED_KEYS]
        if not _ID.match(name):
            local.append("the name must be a word (letters, digits, _)")
        domains = entry.get("domains", [])
        if not isinstance(domains, list) or not domains or not all(isinstance(d, str) for d in domains):
            local.append("domains must be a non-empty list of taxonomy domains")
            domains = []
        local += [f"unknown domain {d!r} (domains: {', '.join(taxonomy.domains)})" for d in domains
                  if d not in taxonomy.domains]
        lists = {}
        for key in ("recommend", "suppress"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                local.append(f"{key} must be a list of class names")
                value = []
            local += [f"{key}: unknown class {v!r}" for v in value if v not in taxonomy.classes]
            lists[key] = tuple(value)
        numbers: dict[str, Any] = {}
        for key, low, high, integer in (("window_days", 1, 3650, True), ("min_score", 0, 100, False),
                                        ("min_events", 1, 1000, True)):
            value = entry.get(key, getattr(engagement, key))
            if not _number(value) or not low <= value <= high or (integer and not float(value).is_integer()):
                local.append(f"{key}: {value!r} is out of range; give a{' whole' if integer else ''} number from "
                             f"{low} to {high}")
                value = getattr(engagement, key)
            numbers[key] = int(value) if integer else float(value)
        problems += [f"{where}: {p}" for p in local]
        if local:
            continue
        classes = sorted({c for d in domains for c in taxonomy.classes_under(d)})
        needs.append(Need(name, tuple(domains), tuple(classes), str(entry.get("label", "")),
                          str(entry.get("label_zh", "")), str(entry.get("action", "")).strip(), lists["recommend"],
                          lists["suppress"], **numbers))
    return needs


def _rule(entry: dict[str, Any], taxonomy: Taxonomy) -> tuple[SignalRule | None, list[str]]:
    problems = [f"unknown key {k!r} (keys: {', '.join(sorted(_RULE_KEYS))})" for k in entry if k not in _RULE_KEYS]
    for key in ("name", "need", "action"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.append(f"lacks {key} (a non-empty string)")
    for key in ("name", "need"):
        if isinstance(entry.get(key), str) and not _ID.match(entry[key]):
            problems.append(f"{key} {entry[key]!r} must be a word (letters, digits, _)")
    lists = {}
    for key in ("recommend", "suppress"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{key} must be a list of class names")
            value = []
        problems += [f"{key}: unknown class {v!r}" for v in value if v not in taxonomy.classes]
        lists[key] = tuple(value)
    min_score = entry.get("min_score", 0.5)
    if not _number(min_score) or not 0 <= min_score <= 1:
        problems.append("min_score must be a number between 0 and 1")
        min_score = 0.5
    evidence, ev_problems = _parts(entry, "evidence", _EVIDENCE_KEYS, lambda e: _evidence(e, taxonomy))
    sequences, seq_problems = _parts(entry, "sequence", _SEQUENCE_KEYS, _sequence)
    conditions, cond_problems = _parts(entry, "condition", _CONDITION_KEYS, _condition)
    problems += ev_problems + seq_problems + cond_problems
    ids = [p.id for p in (*evidence, *sequences, *conditions)]
    problems += [f"the id {x!r} is used twice" for x in sorted({x for x in ids if ids.count(x) > 1})]
    by_id = {e.id: e for e in evidence}
    for s in sequences:
        for end in (s.first, s.then):
            if end not in by_id:
                problems.append(f"sequence {s.id!r}: {end!r} is not the id of an evidence of this rule")
            elif by_id[end].absent:
                problems.append(f"sequence {s.id!r}: {end!r} is an absent evidence; a sequence needs events")
    if not (ev_problems or seq_problems or cond_problems):   # else these would only echo the parts' problems
        if not any(not e.absent for e in evidence):
            problems.append("needs at least one evidence that is not `absent` (it selects the customers to score)")
        if sum(p.weight for p in (*evidence, *sequences, *conditions)) <= 0:
            problems.append("the weights add up to zero; give some part a positive weight")
    if problems:
        return None, problems
    return SignalRule(entry["name"], entry["need"], entry["action"].strip(), str(entry.get("description", "")),
                      lists["recommend"], lists["suppress"], float(min_score), tuple(evidence), tuple(sequences),
                      tuple(conditions), bool(entry.get("enabled", True))), []


def _parts(entry: dict[str, Any], key: str, allowed: set[str], make: Any) -> tuple[list[Any], list[str]]:
    items = entry.get(key, [])
    if not isinstance(items, list):
        return [], [f"{key} must be an array of tables ([[signals.{key}]])"]
    parts, problems = [], []
    for j, item in enumerate(items, 1):
        where = f"{key} {item.get('id')!r}" if isinstance(item, dict) and item.get("id") else f"{key}[{j}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        local = [f"unknown key {k!r} (keys: {', '.join(sorted(allowed))})" for k in item if k not in allowed]
        if not isinstance(item.get("id"), str) or not _ID.match(item["id"]):
            local.append("lacks id (a word: letters, digits, _)")
        for flag in ("required", "absent"):
            if flag in item and not isinstance(item[flag], bool):
                local.append(f"{flag} must be true or false")
        weight = item.get("weight", 1.0)
        if not _number(weight) or weight < 0:
            local.append("weight must be a non-negative number")
        part, more = make(item) if not local else (None, [])
        local += more
        problems += [f"{where}: {p}" for p in local]
        if part is not None and not local:
            parts.append(part)
    return parts, problems


def _evidence(item: dict[str, Any], taxonomy: Taxonomy) -> tuple[Evidence | None, list[str]]:
    problems = []
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    classes, domains = item.get("classes", []), item.get("domains", [])
    if not isinstance(classes, list) or not isinstance(domains, list):
        return None, ["classes and domains must be lists of names"]
    problems += [f"unknown class {c!r}" for c in classes if c not in taxonomy.classes]
    problems += [f"unknown domain {d!r}" for d in domains if d not in taxonomy.domains]
    if not classes and not domains:
        problems.append("names no classes or domains")
    actions = item.get("actions", [])
    if not isinstance(actions, list) or any(a not in ACTIONS for a in actions):
        problems.append(f"actions must be a list of {', '.join(ACTIONS)}")
    numbers = {}
    for key, default, low in (("window_days", 90, 1), ("min_count", 1, 0), ("min_amount", 0, 0),
                              ("min_dwell_seconds", 0, 0), ("min_days", 1, 0)):
        value = item.get(key, default)
        if not _number(value) or value < low or (key in ("window_days", "min_count", "min_days")
                                                 and not float(value).is_integer()):
            problems.append(f"{key} must be a{'n integer' if key != 'min_amount' else ' number'} >= {low}")
        numbers[key] = value
    if problems:
        return None, problems
    expanded = list(classes)
    for d in domains:
        expanded += sorted(taxonomy.classes_under(d) - set(expanded))
    return Evidence(item["id"], kind, tuple(expanded), int(numbers["window_days"]), tuple(actions),
                    int(numbers["min_count"]), float(numbers["min_amount"]), float(numbers["min_dwell_seconds"]),
                    int(numbers["min_days"]), bool(item.get("absent", False)), bool(item.get("required", False)),
                    float(item.get("weight", 1.0))), []


def _sequence(item: dict[str, Any]) -> tuple[Sequence | None, list[str]]:
    problems = [f"lacks {k} (the id of an evidence)" for k in ("first", "then") if not isinstance(item.get(k), str)]
    lo, hi = item.get("min_gap_days", 0), item.get("max_gap_days", 90)
    if not _number(lo) or not _number(hi) or lo > hi:
        problems.append("min_gap_days and max_gap_days must be numbers with min_gap_days <= max_gap_days")
    if problems:
        return None, problems
    return Sequence(item["id"], item["first"], item["then"], float(lo), float(hi),
                    bool(item.get("required", False)), float(item.get("weight", 1.0))), []


def _condition(item: dict[str, Any]) -> tuple[Condition | None, list[str]]:
    problems = []
    if item.get("metric") not in METRICS:
        problems.append(f"metric {item.get('metric')!r} is not one of {', '.join(METRICS)}")
    lo, hi = item.get("min"), item.get("max")
    if lo is None and hi is None:
        problems.append("needs min and/or max")
    if any(v is not None and not _number(v) for v in (lo, hi)):
        problems.append("min and max must be numbers")
    elif lo is not None and hi is not None and lo > hi:
        problems.append("min must not exceed max")
    if problems:
        return None, problems
    return Condition(item["id"], item["metric"], None if lo is None else float(lo), None if hi is None else float(hi),
                     bool(item.get("required", False)), float(item.get("weight", 1.0))), []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
