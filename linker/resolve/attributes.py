"""Attribute comparisons: city, birth date, gender, and those declared in ``resolution.comparisons``.

Each attribute has a normalized value on each side (SQL over ``customers c`` and ``accounts a``) and levels by
kind. The same normalized values are the keys of the blocking rules (``resolution.blocking``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from linker.config import ComparisonConfig
from linker.normalize.identifiers import column_sql
from linker.resolve.model import BIRTH_DATE, CITY, GENDER, Comparison, Level

KIND_LEVELS: dict[str, tuple[Level, ...]] = {
    "exact": (Level("same", "the same value", 0.9, 3.0), Level("differ", "another value", 0.1, -3.0)),
    "name": (Level("same", "the same name", 0.85, 6.0), Level("close", "Jaro-Winkler similarity 0.92 or more", 0.07, 3.0),
             Level("similar", "Jaro-Winkler similarity 0.8 or more", 0.03, 0.0),
             Level("differ", "another name", 0.05, -4.0)),
    "text": (Level("same", "the same text", 0.7, 6.0), Level("close", "Jaro-Winkler similarity 0.9 or more", 0.15, 3.0),
             Level("similar", "Jaro-Winkler similarity 0.7 or more", 0.08, 0.0),
             Level("differ", "another text", 0.07, -3.0)),
    "date": (Level("same", "the same date", 0.85, 8.0), Level("close", "one digit off, or day and month swapped",
                                                              0.07, 4.0),
             Level("same_year", "the same year", 0.03, 1.0), Level("differ", "another date", 0.05, -4.0)),
    "number": (Level("same", "the same number", 0.85, 5.0), Level("close", "within 1%", 0.05, 2.0),
               Level("differ", "another number", 0.1, -3.0)),
}


@dataclass(frozen=True)
class Attribute:
    """An attribute comparison: its levels, and the SQL of its normalized value on each side."""

    comparison: Comparison
    kind: str
    customer_sql: str
    account_sql: str


def _normalized(kind: str, expr: str) -> str:
    if kind == "date":
        return f"nullif(regexp_replace({expr}, '[^0-9]', '', 'g'), '')"
    if kind == "number":
        return f"try_cast(regexp_replace({expr}, '[^0-9.+-]', '', 'g') AS DOUBLE)"
    return f"nullif(lower(regexp_replace(trim({expr}), '\\s+', ' ', 'g')), '')"


def declared_attribute(spec: ComparisonConfig) -> Attribute:
    levels = KIND_LEVELS[spec.kind]
    comparison = Comparison(spec.name, f"{spec.kind} comparison of {spec.customers} (customers) and "
                                       f"{spec.accounts} (accounts)", levels)
    return Attribute(comparison, spec.kind, _normalized(spec.kind, column_sql("customers", spec.customers, "c")),
                     _normalized(spec.kind, column_sql("accounts", spec.accounts, "a")))


_CITY = "nullif(lower(regexp_replace(trim({}.city), '(市|地区|省)$', '')), '')"
_GENDER = ("CASE WHEN lower(trim({0}.gender)) IN ('m', 'male', 'man', '男', '男性') THEN 'm' "
           "WHEN lower(trim({0}.gender)) IN ('f', 'female', 'woman', '女', '女性') THEN 'f' END")
BUILTIN_ATTRIBUTES = (
    Attribute(CITY, "exact", _CITY.format("c"), _CITY.format("a")),
    Attribute(BIRTH_DATE, "date", "strftime(c.birth_date, '%Y%m%d')", "strftime(a.birth_date, '%Y%m%d')"),
    Attribute(GENDER, "exact", _GENDER.format("c"), _GENDER.format("a")),
)


def attributes_for(declared: Sequence[ComparisonConfig]) -> tuple[Attribute, ...]:
    return BUILTIN_ATTRIBUTES + tuple(declared_attribute(spec) for spec in declared)


def level_sql(attribute: Attribute, c: str, a: str) -> str:
    """SQL: the level index of ``attribute`` from the normalized values ``c`` (customer side, the result of its
    ``customer_sql``) and ``a`` (account side), NULL when a side lacks the value."""
    index = attribute.comparison.level_names().index
    cases = [f"WHEN {c} IS NULL OR {a} IS NULL THEN NULL", f"WHEN {c} = {a} THEN {index('same')}"]
    if attribute.kind == "name":
        cases += [f"WHEN jaro_winkler_similarity({c}, {a}) >= 0.92 THEN {index('close')}",
                  f"WHEN jaro_winkler_similarity({c}, {a}) >= 0.8 THEN {index('similar')}"]
    elif attribute.kind == "text":
        cases += [f"WHEN jaro_winkler_similarity({c}, {a}) >= 0.9 THEN {index('close')}",
                  f"WHEN jaro_winkler_similarity({c}, {a}) >= 0.7 THEN {index('similar')}"]
    elif attribute.kind == "date":
        swapped = (f"(length({c}) = 8 AND length({a}) = 8 AND left({c}, 4) = left({a}, 4) "
                   f"AND substr({c}, 5, 2) = substr({a}, 7, 2) AND substr({c}, 7, 2) = substr({a}, 5, 2))")
        cases += [f"WHEN damerau_levenshtein({c}, {a}) = 1 OR {swapped} THEN {index('close')}"]
        if "same_year" in attribute.comparison.level_names():
            cases += [f"WHEN length({c}) >= 4 AND left({c}, 4) = left({a}, 4) THEN {index('same_year')}"]
    elif attribute.kind == "number":
        cases += [f"WHEN abs({c} - {a}) <= 0.01 * greatest(abs({c}), abs({a})) THEN {index('close')}"]
    return f"CASE {' '.join(cases)} ELSE {index('differ')} END"
