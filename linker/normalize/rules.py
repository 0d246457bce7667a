"""User rules that block or allow identifier values, each with the reason the user gave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from linker.errors import RulesError
from linker.normalize.junk import ID_TYPES

BLOCK: Final = "block"
ALLOW: Final = "allow"
NO_REASON: Final = "(no reason given)"

RuleValues = Mapping[str, Mapping[str, str | None]] | Mapping[str, Iterable[str]]


class Rule(NamedTuple):
    """One user rule: ``action`` ('block' or 'allow') of ``value`` for ``id_type``, and why."""

    action: str
    id_type: str
    value: str
    reason: str


def _freeze(values: RuleValues, what: str) -> Mapping[str, Mapping[str, str]]:
    """Return ``{id_type: {value: reason}}`` read-only; sets of values get :data:`NO_REASON`."""
    unknown = sorted(set(values) - set(ID_TYPES))
    if unknown:
        raise RulesError(f"IdentifierRules.{what}: unknown id_type {unknown}; "
                         f"expected one of {list(ID_TYPES)}")
    frozen: dict[str, Mapping[str, str]] = {}
    for id_type, entries in values.items():
        pairs = entries.items() if isinstance(entries, Mapping) else ((v, None) for v in entries)
        frozen[id_type] = MappingProxyType({str(v).strip(): (r or NO_REASON) for v, r in pairs})
    return MappingProxyType(frozen)


@dataclass(frozen=True, eq=False)
class IdentifierRules:
    """Values the user blocks (always junk) or allows (skip the built-in junk lists), with reasons.

    Values are matched on the normalized value and on the trimmed raw text; a rule value is itself
    normalized before matching, so ``13800000000`` blocks every spelling of ``+8613800000000``.
    Allowed values still have to be valid syntax. When a value is both blocked and allowed, the
    block wins.

    Parameters
    ----------
    blocked, allowed : mapping
        ``{id_type: {value: reason}}``, or ``{id_type: {value, ...}}`` without reasons.

    Examples
    --------
    >>> rules = IdentifierRules(blocked={"phone": {"+8613800000000": "call centre"}})
    >>> rules.reason_for("block", "phone", "+8613800000000")
    'call centre'
    """

    blocked: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    allowed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocked", _freeze(self.blocked, "blocked"))
        object.__setattr__(self, "allowed", _freeze(self.allowed, "allowed"))

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> IdentifierRules:
        """Build rules from the ``[identifiers]`` table of a TOML rules file.

        Parameters
        ----------
        table : mapping
            ``{"block": [{"type": ..., "value": ..., "reason": ...}, ...], "allow": [...]}``; a whole
            document with an ``identifiers`` key is accepted too. ``reason`` is optional.

        Returns
        -------
        IdentifierRules

        Raises
        ------
        linker.errors.RulesError
            (a ``ValueError``) listing every malformed entry at once (unknown key, type, missing value).

        Examples
        --------
        >>> rules = IdentifierRules.from_dict(
        ...     {"block": [{"type": "phone", "value": "+8613800000000", "reason": "call centre"}]})
        >>> rules.rows()
        [Rule(action='block', id_type='phone', value='+8613800000000', reason='call centre')]
        """
        if not isinstance(table, Mapping):
            raise RulesError("invalid [identifiers] rules: expected a table with 'block' and 'allow' lists")
        if "identifiers" in table and not {"block", "allow"} & set(table):
            table = table["identifiers"]
        problems = [f"unknown key {key!r} (expected 'block' or 'allow')"
                    for key in table if key not in ("block", "allow")]
        parsed: dict[str, dict[str, dict[str, str | None]]] = {"block": {}, "allow": {}}
        for action in ("block", "allow"):
            entries = table.get(action, [])
            if not isinstance(entries, list):
                problems.append(f"identifiers.{action}: expected a list of tables ([[identifiers.{action}]])")
                continue
            for i, entry in enumerate(entries):
                where = f"identifiers.{action}[{i}]"
                if not isinstance(entry, Mapping):
                    problems.append(f"{where}: expected a table with type, value and reason")
                    continue
                extra = sorted(set(entry) - {"type", "value", "reason"})
                if extra:
                    problems.append(f"{where}: unknown keys {extra}")
                if entry.get("type") not in ID_TYPES:
                    problems.append(f"{where}: type {entry.get('type')!r} is not one of {list(ID_TYPES)}")
                if not isinstance(entry.get("value"), str) or not entry["value"].strip():
                    problems.append(f"{where}: value must be a non-empty string")
                if not isinstance(entry.get("reason", ""), str):
                    problems.append(f"{where}: reason must be a string")
                if not problems:
                    parsed[action].setdefault(entry["type"], {})[entry["value"]] = entry.get("reason")
        if problems:
            raise RulesError("invalid [identifiers] rules:\n  " + "\n  ".join(problems))
        return cls(blocked=parsed["block"], allowed=parsed["allow"])

    def rows(self) -> list[Rule]:
        """Return every rule as a :class:`Rule`, blocks first, for tables and explanations."""
        return [Rule(action, id_type, value, reason)
                for action, values in ((BLOCK, self.blocked), (ALLOW, self.allowed))
                for id_type, entries in sorted(values.items())
                for value, reason in entries.items()]

    def reason_for(self, action: str, id_type: str, value: str) -> str | None:
        """Return the reason of the ``action`` rule for ``value`` as written in the rules, or None."""
        values = self.blocked if action == BLOCK else self.allowed
        return values.get(id_type, {}).get(value)

    def __bool__(self) -> bool:
        return any(self.blocked.values()) or any(self.allowed.values())
