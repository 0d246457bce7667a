"""The items of a Cypher query's final ``RETURN``: their expressions as written, and their aliases.

LadybugDB names an unaliased column after its internal form of the expression (``length(p)`` comes back as
``1`` or ``+(0,._LENGTH)``); :func:`column_names` names it from the expression as the query writes it. The
expressions also tell which columns hold a personal property (:mod:`linker.masking`).

Examples
--------
>>> return_items("MATCH p = (a)-[r]->(b) RETURN length(p), a.name AS who, count(*) ORDER BY who LIMIT 3")
[('length(p)', None), ('a.name', 'who'), ('count(*)', None)]
>>> column_names("MATCH (a) RETURN DISTINCT a.x, 'a, b' AS t", ["1", "t"])
['a.x', 't']
"""

from __future__ import annotations

import re

_LITERAL = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""", re.DOTALL)
_COMMENT = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/""", re.DOTALL)
_RETURN = re.compile(r"\bRETURN\b", re.IGNORECASE)
_END = re.compile(r"\b(ORDER\s+BY|SKIP|LIMIT|UNION)\b", re.IGNORECASE)
_ALIAS = re.compile(r"\s+AS\s+(`[^`]+`|\w+)\s*$", re.IGNORECASE)
_DISTINCT = re.compile(r"\s*DISTINCT\b", re.IGNORECASE)


def _blanked(text: str) -> str:
    """``text`` with the inside of literals and comments replaced by ``_``, keeping every position."""
    return _LITERAL.sub(lambda m: m.group(0)[0] + "_" * (len(m.group(0)) - 2) + m.group(0)[-1]
                        if len(m.group(0)) >= 2 else m.group(0), text)


def return_items(query: str) -> list[tuple[str, str | None]] | None:
    """``(expression, alias or None)`` of each item of the last ``RETURN``, or None when there is none or it
    returns ``*``."""
    query = _COMMENT.sub(lambda m: " " * len(m.group(0)) if m.group(0).startswith("/") else m.group(0), query)
    bare = _blanked(query)
    found = list(_RETURN.finditer(bare))
    if not found:
        return None
    start = found[-1].end()
    end_match = _END.search(bare, start)
    end = end_match.start() if end_match else len(bare)
    distinct = _DISTINCT.match(bare, start)
    if distinct:
        start = distinct.end()
    items, depth, begin = [], 0, start
    for i in range(start, end):
        ch = bare[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append((begin, i))
            begin = i + 1
    items.append((begin, end))
    out: list[tuple[str, str | None]] = []
    for a, b in items:
        alias = _ALIAS.search(bare[a:b])
        expression = query[a:a + alias.start()] if alias else query[a:b]
        name = query[a + alias.start(1):a + alias.end(1)].strip("`") if alias else None
        out.append((" ".join(expression.split()), name))
    if any(e == "*" for e, _ in out):
        return None
    return out


def column_names(query: str, columns: list[str]) -> list[str]:
    """The result's column names, each unaliased one named from its expression as written."""
    items = return_items(query)
    if items is None or len(items) != len(columns):
        return columns
    return [column if alias else expression for column, (expression, alias) in zip(columns, items)]
