"""Manual overrides from a rules file: force a link, keep a pair apart, block or allow identifier values.

Every rule carries the reason its author gave; the reason appears in explanations and in the links output.

Example ``rules.toml``::

    [[force_link]]
    customer_id = "C000123"
    account_id = "jd-99812"
    reason = "confirmed by the customer on a call, ticket 4411"

    [[force_apart]]
    customer_id = "C000456"
    account_id = "tb-1200"
    reason = "different person: fraud team ticket 88"

    [[identifiers.block]]
    type = "phone"
    value = "400-820-8820"
    reason = "our own call centre"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from linker.errors import RulesError
from linker.normalize import IdentifierRules


@dataclass(frozen=True)
class PairRule:
    """A manual decision on one (customer, account) pair."""

    customer_id: str
    account_id: str
    reason: str


@dataclass(frozen=True)
class Rules:
    """All manual overrides of a run."""

    force_link: tuple[PairRule, ...] = ()
    force_apart: tuple[PairRule, ...] = ()
    identifiers: IdentifierRules = field(default_factory=IdentifierRules)


def load_rules(path: Path | None) -> Rules:
    """Read a rules file; no file means no rules.

    Raises
    ------
    RulesError
        If the file is missing, not TOML, or an entry lacks a field; the message names the file and entry.
    """
    if path is None:
        return Rules()
    if not path.is_file():
        raise RulesError(f"rules file {path} not found (resolution.rules_file)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RulesError(f"rules file {path} is not valid UTF-8 TOML: {e}") from None
    unknown = sorted(set(data) - {"force_link", "force_apart", "identifiers"})
    if unknown:
        raise RulesError(f"rules file {path}: unknown section(s) {unknown}; "
                         f"use force_link, force_apart, identifiers")
    try:
        identifiers = IdentifierRules.from_dict(data.get("identifiers", {}))
    except (ValueError, KeyError, TypeError) as e:
        raise RulesError(f"rules file {path}, [identifiers]: {e}") from None
    return Rules(_pairs(data, "force_link", path), _pairs(data, "force_apart", path), identifiers)


def _pairs(data: dict, section: str, path: Path) -> tuple[PairRule, ...]:
    entries = data.get(section, [])
    if not isinstance(entries, list):
        raise RulesError(f"rules file {path}: {section} must be an array of tables ([[{section}]])")
    rules = []
    for i, entry in enumerate(entries, 1):
        missing = [k for k in ("customer_id", "account_id", "reason") if not str(entry.get(k, "")).strip()]
        if missing:
            raise RulesError(f"rules file {path}: {section} entry {i} lacks {', '.join(missing)}")
        rules.append(PairRule(str(entry["customer_id"]).strip(), str(entry["account_id"]).strip(),
                              str(entry["reason"]).strip()))
    return tuple(rules)
