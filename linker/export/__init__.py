"""Export: the run tables users read as files (links, hubs, clusters, identifier issues, quarantine).

:mod:`~linker.export.files` writes any query as Parquet, CSV or JSON Lines, atomically, on either engine; the
enrichment's outputs (profiles, signals, aggregates) are written by :func:`linker.enrich.export_enrichment` with it.
"""

from __future__ import annotations

from pathlib import Path

from linker.engine import Engine
from linker.export.files import export_table
from linker.sql import quote_literal

EXPORTS = {
    "links": "SELECT * EXCLUDE (evidence), to_json(evidence) AS evidence FROM links ORDER BY account_id, rank",
    "hubs": "SELECT * FROM hubs",
    "clusters": "SELECT * FROM clusters",
    "identifier_issues": "SELECT owner_kind, owner_id, id_type, kind, status, reason, source_table, _row, _source "
                         "FROM identifiers WHERE status <> 'usable' ORDER BY source_table, _row",
}
"""Exported tables: output file stem -> query over the run database."""
QUARANTINE_CELL = 32_000
"""A quarantined record longer than this (in characters; spreadsheets hold 32,767 in a cell) is cut in
``quarantine/<table>.csv`` and written whole to ``quarantine/<table>-records.jsonl``."""


def export_tables(engine: Engine, out: Path, formats: list[str]) -> list[Path]:
    """Write the run tables of :data:`EXPORTS` in ``formats`` (JSON Lines aside) and the quarantine, one CSV per
    input table, into ``out``; return the files written."""
    files = []
    for stem, query in EXPORTS.items():
        files += export_table(engine, query, out / stem, [f for f in formats if f != "jsonl"])
    for (table,) in engine.rows("SELECT DISTINCT table_name FROM quarantine ORDER BY 1"):
        rows = f"FROM quarantine WHERE table_name = {quote_literal(table)}"
        side = f"{table}-records.jsonl"
        files += export_table(engine, f"""
            SELECT * EXCLUDE (record), CASE WHEN length(record) > {QUARANTINE_CELL}
                THEN left(record, 1000) || {quote_literal(f" ... (cut: the whole record is in quarantine/{side})")}
                ELSE record END AS record
            {rows} ORDER BY _row, line""", out / "quarantine" / table, ["csv"])
        if engine.count(f"quarantine WHERE table_name = {quote_literal(table)} AND length(record) > {QUARANTINE_CELL}"):
            files += export_table(engine, f"SELECT _row, line, record {rows} AND length(record) > {QUARANTINE_CELL} "
                                          "ORDER BY _row, line", out / "quarantine" / f"{table}-records", ["jsonl"])
    return files
