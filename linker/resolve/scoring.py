"""Score every candidate pair with the match model, each weight kept as evidence.

A pair's match weight is the model's prior plus the weight of each of its levels (``log2(m / u)``); its
probability is ``2**w / (1 + 2**w)``. The evidence list of a pair holds, per comparison made, the level, its
weight, the value it rests on and a note; ``explain`` shows it with the model's description of each level.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from linker.engine import Engine, as_engine
from linker.resolve.model import Comparison, MatchModel
from linker.sql import quote_literal, sql_double

EVIDENCE_MEMBERS = ("comparison", "level", "id_type", "value", "account_value", "weight", "note")
"""The members of each item of a pair's evidence (``scored_pairs.evidence``, ``links.evidence``), in order."""


def score_pairs(engine: Engine | duckdb.DuckDBPyConnection, model: MatchModel, identifiers: Sequence[str]) -> int:
    """Create ``scored_pairs(customer_id, account_id, match_weight, evidence)`` from ``pair_levels``.
    Returns the pair count."""
    engine = as_engine(engine)
    weights, items = [], []
    for c in model.comparisons:
        cases = [(i, lv.name, w) for cc, i, lv, w in model.weights() if cc.name == c.name]
        weight = f"CASE {c.column} {' '.join(f'WHEN {i} THEN {sql_double(w)}' for i, _, w in cases)} ELSE 0e0 END"
        level = f"CASE {c.column} {' '.join(f'WHEN {i} THEN {quote_literal(n)}' for i, n, _ in cases)} END"
        weights.append(weight)
        items.append(_evidence_item(c, level, weight, c.name in identifiers))
    engine.create_table("scored_pairs", f"""
        SELECT customer_id, account_id, {sql_double(model.prior)} + {' + '.join(weights)} AS match_weight,
               list_filter([{', '.join(items)}], lambda e: e.level IS NOT NULL) AS evidence
        FROM pair_levels
    """)
    return engine.scalar("SELECT count(*) FROM scored_pairs")


def _evidence_item(c: Comparison, level: str, weight: str, is_identifier: bool) -> str:
    """SQL struct of one comparison's evidence: level, weight, the value it rests on and a note."""
    value, account_value, note = "NULL", "NULL", "NULL"
    if is_identifier:
        value, account_value = f"value_{c.name}", f"account_value_{c.name}"
        note = (f"'held by ' || holders_{c.name}.customers || ' customer(s) and ' || holders_{c.name}.accounts "
                f"|| ' account(s)'")
    elif c.name == "name":
        value = "value_name"
    elif c.name == "timing":
        note = "note_timing"
    members = {"comparison": quote_literal(c.name), "level": level,
               "id_type": quote_literal(c.name) if is_identifier else "NULL",
               "value": f"CAST({value} AS VARCHAR)", "account_value": f"CAST({account_value} AS VARCHAR)",
               "weight": f"round({weight}, 2)", "note": f"CAST({note} AS VARCHAR)"}
    return "{" + ", ".join(f"{quote_literal(m)}: {members[m]}" for m in EVIDENCE_MEMBERS) + "}"
