"""The match model: comparisons, their levels, and the m and u probabilities of every level.

A pair of a customer and an account is described by one *level* per comparison (phone, email, device, name, ...),
or by none when the comparison cannot be made (a side lacks the value). In the Fellegi-Sunter model each level has
two probabilities: ``m``, of seeing it when the pair is the same person, and ``u``, when it is not. A level weighs
``log2(m / u)`` bits; a pair weighs the prior ``log2(λ / (1 - λ))``, where ``λ`` is the share of all
customer-account pairs that are matches, plus the weights of its levels; its probability of being a match is
``2**w / (1 + 2**w)``.

The probabilities are estimated from the data being linked (:mod:`linker.resolve.em`). The values below are only
where the estimation starts (as a weak prior), and the model used when the data is too small to estimate one:
they are written as ``m`` and a weight in bits, for a nominal population of 100,000 customers and 300,000
accounts. A model is saved as JSON in the run folder and can be reused by a later run.

Examples
--------
>>> model = MatchModel.starting(comparisons_for())
>>> round(model.weight("name", "exact"), 2) > 0 > round(model.weight("name", "different_name"), 2)
True
>>> MatchModel.from_dict(model.to_dict()).to_dict() == model.to_dict()
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from linker.errors import ConfigError

MODEL_FORMAT = 1
"""Version of the model file layout; a file of another version is refused with a clear message."""


@dataclass(frozen=True)
class Level:
    """One outcome of a comparison, with the m probability and the weight (bits) estimation starts from."""

    name: str
    description: str
    m: float
    bits: float

    @property
    def u(self) -> float:
        return self.m * 2.0 ** -self.bits


@dataclass(frozen=True)
class Comparison:
    """One comparison of a candidate pair and its levels, best first. ``column`` is its column in
    ``pair_levels`` (the level's position in ``levels``, NULL when the comparison cannot be made)."""

    name: str
    description: str
    levels: tuple[Level, ...]

    @property
    def column(self) -> str:
        return f"lvl_{self.name}"

    def level_names(self) -> list[str]:
        return [lv.name for lv in self.levels]


def identifier_comparison(id_type: str, *, near: bool = True, near_by_surname: bool = False, sole_m: float = 0.8,
                          sole_bits: float = 22.7) -> Comparison:
    """The levels of an identifier type: exact agreement by how many customers hold the value; an exact agreement
    the dates rule out; one edit apart (with ``near_by_surname``, also a level for the near misses found through
    a shared surname only, whose names are weighed apart); both sides holding values of the type with none in
    common."""
    levels = [
        Level("exact_sole", f"the same {id_type}, held by this customer only", sole_m, sole_bits),
        Level("exact_sole_busy", f"the same {id_type}, held by this customer only and by 5 or more accounts",
              0.03, sole_bits - 3),
        Level("exact_few", f"the same {id_type}, held by 2 or 3 customers", 0.05, sole_bits - 4),
        Level("exact_many", f"the same {id_type}, held by 4 or more customers", 0.01, sole_bits - 9),
        Level("exact_stale", f"the same {id_type}, but the account was last active before the customer came to hold "
              f"it (a recycled number?)", 0.01, 8.0),
    ]
    if near:
        levels.append(Level("near", f"a {id_type} one edit apart (typo, transposed characters), names spelling "
                            f"the same letters", 0.03, 22.5))
    if near and id_type == "email":
        levels.append(Level("near_digits", "an email one edit apart in a digit or separator only (liuming82, "
                            "liuming83), names spelling the same letters: namesakes' addresses look like this",
                            0.005, 17.0))
    if near and near_by_surname:
        levels.append(Level("near_surname", f"a {id_type} one edit apart, names sharing only a Chinese surname "
                            "(卢*海, 卢金海): the name comparison says the rest", 0.01, 16.0))
    levels.append(Level("differ", f"both hold {id_type} values and none agree", 0.08, -3.3))
    return Comparison(id_type, f"{id_type} values of the customer and of the account", tuple(levels))


NAME = Comparison("name", "the best agreement between any name of the customer and any name of the account", (
    Level("exact", "the same name", 0.40, 9.0),
    Level("masked", "a masked name (吴*琪) that fits the customer's name", 0.03, 6.0),
    Level("pinyin", "the same name in pinyin (Zhang Wei, zhangwei88, a homophone)", 0.15, 7.0),
    Level("contains_full", "a name or handle that contains the whole name (iamwuzhiqi, 吴志琪的店)", 0.08, 7.0),
    Level("close", "one character or letter off", 0.05, 5.0),
    Level("given_name", "the given name without the surname (志琪, zhiqi)", 0.03, 4.0),
    Level("diminutive", "a diminutive of the name (小敏, 阿敏, 老吴)", 0.03, 4.0),
    Level("initials", "the initials (wzq1990, wuzq)", 0.03, 3.0),
    Level("surname_only", "another person's name with the same surname (a relative?)", 0.03, -1.0),
    Level("different_name", "another person's name", 0.02, -4.5),
    Level("unrelated_nickname", "a nickname that does not relate to the customer's name", 0.15, -1.0),
))

TIMING = Comparison("timing", "the dates of the shared identifiers against the account's activity", (
    Level("consistent", "the dates of a shared identifier fit the account's activity", 0.90, 0.2),
    Level("confirmed_2y_before", "the account started 2-5 years after the customer last confirmed the shared "
          "identifier", 0.05, -0.8),
    Level("ended_before_confirmed", "the account was last active before the customer confirmed the shared "
          "identifier (the customer's old account, or the previous holder's?)", 0.05, -0.5),
    Level("confirmed_5y_before", "the account started more than 5 years after the customer last confirmed the "
          "shared identifier", 0.04, -1.5),
    Level("after_closure", "the account started after the customer relationship ended", 0.01, -3.0),
))

CITY = Comparison("city", "the customer's and the account's city", (
    Level("same", "the same city", 0.80, 2.0),
    Level("differ", "another city", 0.20, -2.0),
))

BIRTH_DATE = Comparison("birth_date", "the customer's and the account's birth date", (
    Level("same", "the same birth date", 0.85, 8.0),
    Level("close", "one digit off, or day and month swapped", 0.05, 3.0),
    Level("differ", "another birth date", 0.10, -3.2),
))

GENDER = Comparison("gender", "the customer's and the account's gender", (
    Level("same", "the same gender", 0.97, 0.95),
    Level("differ", "another gender", 0.03, -4.0),
))

SPLIT_U: dict[str, frozenset[str]] = {
    "name": frozenset({"exact", "masked", "pinyin", "contains_full", "close", "given_name", "diminutive", "initials"}),
    "city": frozenset(),
    "birth_date": frozenset({"same", "close"}),
    "gender": frozenset(),
}
"""Comparisons whose u among candidate pairs is estimated apart from their u among the pairs that share nothing,
with the levels that keep the latter (:func:`linker.resolve.em.estimate`): a customer's relatives, neighbours and
the next holder of their number share an identifier with them and are not them; they share the surname and the
city far more often than strangers do, not the full name or the birth date."""
STARTING_MATCH_SHARE = 5e-6
"""Share of customer-account pairs that are matches in the nominal population of the starting values."""
BUILTIN_IDENTIFIERS = ("phone", "email", "device")


def comparisons_for(identifiers: Sequence[Comparison] = (), attributes: Sequence[Comparison] = ()
                    ) -> tuple[Comparison, ...]:
    """The comparisons of a run: the built-in identifiers, then declared ones (``identifiers``), timing, name,
    the built-in attributes, then declared ones (``attributes``)."""
    builtin_ids = (
        identifier_comparison("phone", near_by_surname=True),
        identifier_comparison("email", near_by_surname=True),
        identifier_comparison("device", near=False, sole_m=0.75, sole_bits=21.0),
    )
    return builtin_ids + tuple(identifiers) + (TIMING, NAME, CITY, BIRTH_DATE, GENDER) + tuple(attributes)


@dataclass(frozen=True)
class MatchModel:
    """m and u probabilities per comparison level and the share of matches among candidate pairs.

    ``training`` says how the values were obtained: ``{"method": "em", ...}`` with the iterations and pair
    count, ``{"method": "starting values", "reason": ...}`` when the data could not train a model, or
    ``{"method": "loaded", "file": ...}``.
    """

    comparisons: tuple[Comparison, ...]
    m: dict[str, tuple[float, ...]]
    u: dict[str, tuple[float, ...]]
    match_share: float
    training: dict[str, Any] = field(default_factory=dict, compare=False)
    u_random: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False)
    """For comparisons whose ``u`` among candidate pairs (``u``, what scoring uses) was estimated apart, their
    ``u`` among the pairs that share nothing: relatives and neighbours share a surname and a city far more often
    than strangers."""

    @classmethod
    def starting(cls, comparisons: Sequence[Comparison], *, reason: str | None = None) -> MatchModel:
        """The model of the starting values."""
        training: dict[str, Any] = {"method": "starting values"}
        if reason:
            training["reason"] = reason

        def normalized(values: list[float]) -> tuple[float, ...]:
            return tuple(v / sum(values) for v in values)

        return cls(tuple(comparisons),
                   {c.name: normalized([lv.m for lv in c.levels]) for c in comparisons},
                   {c.name: normalized([lv.u for lv in c.levels]) for c in comparisons},
                   STARTING_MATCH_SHARE, training)

    def with_training(self, **training: Any) -> MatchModel:
        return replace(self, training=training)

    @property
    def prior(self) -> float:
        """Weight in bits of a candidate pair before any comparison."""
        return math.log2(self.match_share / (1 - self.match_share))

    def weight(self, comparison: str, level: str) -> float:
        """Weight in bits of one level."""
        i = self._comparison(comparison).level_names().index(level)
        return math.log2(self.m[comparison][i] / self.u[comparison][i])

    def weights(self) -> Iterable[tuple[Comparison, int, Level, float]]:
        """Every (comparison, level index, level, weight in bits)."""
        for c in self.comparisons:
            for i, lv in enumerate(c.levels):
                yield c, i, lv, math.log2(self.m[c.name][i] / self.u[c.name][i])

    def _comparison(self, name: str) -> Comparison:
        for c in self.comparisons:
            if c.name == name:
                return c
        raise KeyError(name)

    def weights_table(self) -> list[tuple[str, str, str, float, float, float]]:
        """Rows (comparison, level, description, m, u, weight in bits), the prior first as comparison 'prior'."""
        rows = [("prior", "prior", "the share of matches among all customer-account pairs", self.match_share,
                 1 - self.match_share, self.prior)]
        rows += [(c.name, lv.name, lv.description, self.m[c.name][i], self.u[c.name][i], w)
                 for c, i, lv, w in self.weights()]
        return rows

    # ------------------------------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "linker_model_format": MODEL_FORMAT,
            "match_share": self.match_share,
            "prior_bits": round(self.prior, 4),
            "training": self.training,
            "comparisons": [
                {"name": c.name, "description": c.description,
                 "levels": [{"name": lv.name, "description": lv.description, "m": self.m[c.name][i],
                             "u": self.u[c.name][i], "weight_bits": round(w, 4),
                             **({"u_random": self.u_random[c.name][i]} if c.name in self.u_random else {})}
                            for i, lv in enumerate(c.levels)
                            for w in [math.log2(self.m[c.name][i] / self.u[c.name][i])]]}
                for c in self.comparisons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "model") -> MatchModel:
        """Read a model written by :meth:`to_dict`.

        Raises
        ------
        ConfigError
            If the layout version or a value is wrong.
        """
        if data.get("linker_model_format") != MODEL_FORMAT:
            raise ConfigError(f"{source} is not a linker match model of format {MODEL_FORMAT} (found "
                              f"{data.get('linker_model_format')!r}); train a new one with `linker run`")
        try:
            comparisons, m, u, u_random = [], {}, {}, {}
            for c in data["comparisons"]:
                ms = tuple(float(lv["m"]) for lv in c["levels"])
                us = tuple(float(lv["u"]) for lv in c["levels"])
                if c["levels"] and all("u_random" in lv for lv in c["levels"]):
                    u_random[c["name"]] = tuple(float(lv["u_random"]) for lv in c["levels"])
                levels = tuple(Level(lv["name"], lv.get("description", ""), mi, math.log2(mi / ui))
                               for lv, mi, ui in zip(c["levels"], ms, us, strict=True))
                comparisons.append(Comparison(c["name"], c.get("description", ""), levels))
                m[c["name"]], u[c["name"]] = ms, us
            share = float(data["match_share"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            raise ConfigError(f"{source} is not a valid match model: missing or bad {e}") from None
        bad = [f"{c.name}.{lv.name}" for c in comparisons for i, lv in enumerate(c.levels)
               if not (0 < m[c.name][i] <= 1 and 0 < u[c.name][i] <= 1)]
        if bad or not 0 < share < 1:
            raise ConfigError(f"{source}: probabilities must lie in (0, 1]; check {', '.join(bad) or 'match_share'}")
        return cls(tuple(comparisons), m, u, share, dict(data.get("training") or {}), u_random)

    def save(self, path: Path) -> Path:
        from linker.export.files import write_json

        return write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: Path, *, reuse: bool = True) -> MatchModel:
        """Read a model file; with ``reuse`` its training says it was loaded from ``path``, else it keeps the
        training the file records.

        Raises
        ------
        ConfigError
            If the file is missing, not JSON, or not a model.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"model file {path} not found") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"model file {path} is not JSON: {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"model file {path} is not a linker match model")
        model = cls.from_dict(data, source=f"model file {path}")
        return model.with_training(method="loaded", file=str(path)) if reuse else model

    def check_fits(self, comparisons: Sequence[Comparison], *, source: str) -> None:
        """Raise :class:`ConfigError` unless this model has exactly the comparisons and levels of this run."""
        mine = {c.name: c.level_names() for c in self.comparisons}
        run = {c.name: c.level_names() for c in comparisons}
        if mine == run:
            return
        problems = [f"the run compares {name} but the model does not" for name in run if name not in mine]
        problems += [f"the model has a comparison {name} this run does not make" for name in mine if name not in run]
        problems += [f"{name}: the model's levels {mine[name]} differ from this run's {run[name]}"
                     for name in run if name in mine and mine[name] != run[name]]
        raise ConfigError([f"{source} was trained for another schema: {p}" for p in problems]
                          + ["train a model on this configuration (run without --model) or use the matching one"])
