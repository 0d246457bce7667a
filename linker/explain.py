"""Why was an account linked to a customer, or not: every candidate, decision and piece of evidence.

Reads a finished run (``<run_dir>/work.duckdb``, opened read-only). Identifier values and names are masked
(:mod:`linker.masking`) unless ``unmask``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from linker.errors import NotFoundError
from linker.masking import mask
from linker.privacy import pseudonym, pseudonym_key
from linker.resolve.model import MatchModel
from linker.run_folder import MANIFEST, MODEL_FILE, WORK_DB, readable_run


def open_run(run_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open a finished run's database read-only.

    Raises
    ------
    RunNotFoundError
        If ``run_dir`` holds no run.
    """
    path = readable_run(run_dir, WORK_DB, missing=f"no run found in {run_dir} (expected {WORK_DB}); run "
                        "`linker run` first or pass --run-dir")
    return duckdb.connect(str(path), read_only=True)


def run_key(run_dir: Path, identifier: str) -> str:
    """The id as the run stores it: the keyed pseudonym when the run was pseudonymized, else ``identifier``.

    Raises
    ------
    ConfigError
        If the run was pseudonymized and the key is not in the environment.
    """
    manifest = Path(run_dir) / MANIFEST
    if not manifest.is_file():
        return identifier
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if not data.get("pseudonymized") or identifier.startswith("p_"):
        return identifier
    env = data.get("config", {}).get("output", {}).get("pseudonym_key_env", "LINKER_PSEUDONYM_KEY")
    return pseudonym(identifier, key=pseudonym_key(env))


def _masker(unmask: bool) -> Any:
    return (lambda kind, value: value or "") if unmask else mask


def explain_customer(run_dir: Path, customer_id: str, *, unmask: bool = False) -> dict[str, Any]:
    """Everything resolution decided about one customer (names and identifier values masked unless ``unmask``).

    Returns
    -------
    dict
        ``customer`` (masked name, cluster), ``identifiers`` (masked value, status, reason, holders, hub),
        ``candidates`` (one per account: decision, reason, probability, weight, margin, evidence).

    Raises
    ------
    NotFoundError
        If the customer is not in the run (quarantined rows are not in it either).
    """
    customer_id = run_key(run_dir, customer_id)
    m = _masker(unmask)
    with open_run(run_dir) as con:
        row = _rows(con, "SELECT customer_id, name, city FROM customers WHERE customer_id = ?", [customer_id])
        if not row:
            raise NotFoundError(f"customer {customer_id!r} is not in the run in {run_dir} "
                                f"(check quarantine/customers.csv if it was rejected at ingest)")
        return {
            "customer": {"customer_id": customer_id, "name": m("name", row[0]["name"]), "city": row[0]["city"],
                         "cluster_id": _cluster(con, "customer", customer_id)},
            "identifiers": _identifiers(con, "customer", customer_id, m),
            "candidates": _candidates(con, "customer_id", customer_id, run_model(run_dir), m),
            "model": _model_summary(run_dir),
        }


def explain_account(run_dir: Path, account_id: str, *, unmask: bool = False) -> dict[str, Any]:
    """Everything resolution decided about one account: its identifiers and every candidate customer (names and
    identifier values masked unless ``unmask``)."""
    account_id = run_key(run_dir, account_id)
    m = _masker(unmask)
    with open_run(run_dir) as con:
        row = _rows(con, "SELECT account_id, platform, name, last_seen_at FROM accounts WHERE account_id = ?",
                    [account_id])
        if not row:
            raise NotFoundError(f"account {account_id!r} is not in the run in {run_dir} "
                                f"(check quarantine/accounts.csv if it was rejected at ingest)")
        return {
            "account": {"account_id": account_id, "platform": row[0]["platform"], "name": m("name", row[0]["name"]),
                        "last_seen_at": str(row[0]["last_seen_at"]) if row[0]["last_seen_at"] else None,
                        "cluster_id": _cluster(con, "account", account_id)},
            "identifiers": _identifiers(con, "account", account_id, m),
            "candidates": _candidates(con, "account_id", account_id, run_model(run_dir), m),
            "model": _model_summary(run_dir),
        }


def _model_summary(run_dir: Path) -> dict[str, Any] | None:
    model = run_model(run_dir)
    if model is None:
        return None
    return {"prior_bits": round(model.prior, 3), "match_share": model.match_share, **model.training}


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(query, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def _cluster(con: duckdb.DuckDBPyConnection, kind: str, member_id: str) -> str | None:
    rows = con.execute("SELECT cluster_id FROM clusters WHERE member_kind = ? AND member_id = ?",
                       [kind, member_id]).fetchall()
    return rows[0][0] if rows else None


def _identifiers(con: duckdb.DuckDBPyConnection, kind: str, owner_id: str, m: Any) -> list[dict[str, Any]]:
    rows = _rows(con, """
        SELECT i.id_type, i.value, i.kind, i.status, i.reason, i.rule_reason, i.since, i.source_table, i._row,
               d.customers, d.accounts, coalesce(d.is_hub, false) AS is_hub
        FROM identifiers i LEFT JOIN identifier_degrees d USING (id_type, value)
        WHERE i.owner_kind = ? AND i.owner_id = ?
        ORDER BY i.id_type, i._row, i.value
    """, [kind, owner_id])
    out = []
    for r in rows:
        if r["status"] != "usable":
            used = f"not used: {r['status']} ({r['reason']}{': ' + r['rule_reason'] if r['rule_reason'] else ''})"
        elif r["is_hub"]:
            used = f"not used: hub held by {r['customers']} customer(s) and {r['accounts']} account(s)"
        else:
            used = "used"
        out.append({"id_type": r["id_type"], "value": m(r["id_type"], r["value"]), "kind": r["kind"],
                    "status": r["status"], "use": used, "since": str(r["since"]) if r["since"] else None,
                    "customers": r["customers"], "accounts": r["accounts"],
                    "source": f"{r['source_table']} row {r['_row']}"})
    return out


def run_model(run_dir: Path) -> MatchModel | None:
    """The match model the run scored with (its ``model.json``), or None for a run made before models."""
    path = Path(run_dir) / MODEL_FILE
    return MatchModel.load(path, reuse=False) if path.is_file() else None


def _candidates(con: duckdb.DuckDBPyConnection, column: str, key: str, model: MatchModel | None, m: Any
                ) -> list[dict[str, Any]]:
    rows = _rows(con, f"""
        SELECT customer_id, account_id, decision, reason, probability, owner_probability, match_weight, rank,
               margin_bits,
               competitors, to_json(evidence) AS evidence
        FROM links WHERE {column} = ? ORDER BY match_weight DESC NULLS LAST, customer_id, account_id
    """, [key])
    descriptions = {(c.name, lv.name): lv.description for c in model.comparisons for lv in c.levels} if model else {}
    for r in rows:
        evidence = sorted(json.loads(r.pop("evidence")), key=lambda e: -abs(e.get("weight") or 0))
        for item in evidence:
            item["value"] = (m("name", item.get("value")) if item.get("comparison") == "name"
                             else m(item.get("id_type") or "value", item.get("value")))
            if item.get("account_value"):
                item["account_value"] = m(item.get("id_type") or "value", item["account_value"])
            item["meaning"] = descriptions.get((item.get("comparison"), item.get("level")))
        r["evidence"] = evidence
        if model is not None and r["match_weight"] is not None:
            r["prior_bits"] = round(model.prior, 3)
    return rows


def render_text(explanation: dict[str, Any]) -> str:
    """A plain-text rendering of an explanation, for the terminal."""
    lines = []
    head = explanation.get("customer") or explanation.get("account")
    lines.append("  ".join(f"{k}: {v}" for k, v in head.items() if v is not None))
    lines.append("")
    lines.append("Identifiers:")
    for i in explanation["identifiers"]:
        lines.append(f"  {i['id_type']:<6} {i['value']:<28} {i['use']}  [{i['source']}]")
    if not explanation["identifiers"]:
        lines.append("  (none)")
    lines.append("")
    lines.append("Candidates:")
    if not explanation["candidates"]:
        lines.append("  (none: no usable identifier is shared with anyone exactly, nor one edit apart with a "
                     "namesake)")
    for c in explanation["candidates"]:
        p = "-" if c["probability"] is None else f"{c['probability']:.4f}"
        w = "-" if c["match_weight"] is None else f"{c['match_weight']:+.1f} bits"
        lines.append(f"  customer {c['customer_id']} <- account {c['account_id']}: {c['decision'].upper()} "
                     f"(p={p}, {w}) — {c['reason']}")
        if c.get("prior_bits") is not None:
            lines.append(f"      {c['prior_bits']:>+6.1f}  {'prior':<26} before any comparison: the share of "
                         f"matches among all customer-account pairs")
        for e in c["evidence"]:
            weight = "" if e.get("weight") is None else f"{e['weight']:+.1f}"
            label = ".".join(x for x in (e.get("comparison"), e.get("level")) if x)
            value = e.get("value") if not e.get("account_value") else f"{e['value']} ~ {e['account_value']}"
            what = "; ".join(str(x) for x in (e.get("meaning"), value, e.get("note")) if x)
            lines.append(f"      {weight:>6}  {label:<26} {what}")
        if c.get("prior_bits") is not None:
            lines.append(f"      {c['match_weight']:>+6.1f}  = match weight; probability 2^w / (1 + 2^w) = {p}")
        if c.get("owner_probability") is not None:
            lines.append(f"              owner probability {c['owner_probability']:.4f}: this customer against the "
                         f"account's other candidates and none of them")
    model = explanation.get("model")
    if model:
        how = {"em": "estimated from this run's data by EM", "loaded": f"loaded from {model.get('file')}",
               "starting values": f"the starting values ({model.get('reason', '')})"}.get(model.get("method"), "")
        lines += ["", f"Match model: {how}; prior {model['prior_bits']:+.1f} bits (model.json in the run folder)."]
    return "\n".join(lines)
