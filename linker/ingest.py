"""Ingest: read every source, type and validate every row in SQL, quarantine the bad ones with a reason.

Every row read ends up either in the accepted table (``customers``, ``accounts`` ...) or in ``quarantine`` with a
reason code from :class:`linker.contract.Reason`; :class:`IngestReport` reconciles the counts per table. A bad
row never stops the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from linker.config import Config, SourceConfig
from linker.contract import INGEST_ORDER, REFERENCE_REASON, TABLES, Field, FieldType, Reason, TableContract
from linker.readers import RawTable, load_raw
from linker.sql import quote_ident, quote_literal

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d",
    "%Y%m%d", "%Y%m%d%H%M%S", "%Y年%m月%d日", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
)
_BLANKS = " \t\r\n\u3000"
_NUMBER_NOISE = r"[\s,¥￥$元]|RMB|CNY"

QUARANTINE_COLUMNS = "table_name VARCHAR, _source VARCHAR, _row BIGINT, line BIGINT, reason VARCHAR, " \
                     "column_name VARCHAR, detail VARCHAR, record VARCHAR"


@dataclass
class TableReport:
    """Counts of one ingested table; ``rows_read == accepted + quarantined`` always holds."""

    table: str
    source: str
    rows_read: int
    accepted: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined


@dataclass
class IngestReport:
    """What ingest did, per table, in ingest order."""

    tables: dict[str, TableReport] = field(default_factory=dict)


def ingest(con: duckdb.DuckDBPyConnection, config: Config, *, frames: dict[str, pd.DataFrame] | None = None,
           workdir: Path) -> IngestReport:
    """Load, type and validate every configured table into ``con``.

    Parameters
    ----------
    con
        The run's DuckDB connection; accepted tables and ``quarantine`` are created in it.
    config
        The run configuration (sources and their column mappings).
    frames
        Tables given as pandas DataFrames instead of files, by table name.
    workdir
        Folder for temporary files (UTF-8 copies of files in other encodings).

    Returns
    -------
    IngestReport
        Rows read, accepted and quarantined per table, with counts per reason.

    Raises
    ------
    InputError
        A whole file is unusable (missing, undecodable, not the declared format).
    """
    frames = frames or {}
    con.execute(f"CREATE OR REPLACE TABLE quarantine ({QUARANTINE_COLUMNS})")
    report = IngestReport()
    for name in INGEST_ORDER:
        contract = TABLES[name]
        if name not in config.sources and name not in frames:
            _create_empty(con, contract)
            continue
        source = config.sources.get(name) or SourceConfig()
        raw = load_raw(con, name, source, frame=frames.get(name), workdir=workdir)
        report.tables[name] = _validate(con, contract, source, raw)
        con.execute(f"DROP TABLE {raw.table}")
    return report


def _validate(con: duckdb.DuckDBPyConnection, contract: TableContract, source: SourceConfig,
              raw: RawTable) -> TableReport:
    name = contract.name
    mapping = {f.role: [c for c in source.columns_for(f.role) if c in raw.columns] for f in contract.fields}
    formats = list(DATE_FORMATS) + list(source.date_formats)
    separator = "[" + re.escape(source.list_separator) + "]"

    typed = [f"_row", "_source"]
    problems = []
    for f in contract.fields:
        text = _text_expr(f, mapping[f.role])
        typed.append(f"{_typed_expr(f, text, formats, separator, contract)} AS {quote_ident(f.role)}")
        problems += _row_problems(f, text, mapping[f.role], contract, formats, separator)
    if contract.one_of:
        present = " OR ".join(f"{_text_expr(contract.field(r), mapping[r])} IS NOT NULL" for r in contract.one_of)
        problems.append(_problem(f"NOT ({present})", Reason.NO_KEY, "/".join(contract.one_of),
                                 f"none of {', '.join(contract.one_of)} is given"))
    if contract.keeps_attributes:
        used = {c for cols in mapping.values() for c in cols}
        extra = [c for c in raw.columns if c not in used] if source.keep_other_columns else []
        typed.append(f"{_attributes_expr(extra)} AS attributes")
    problem_list = "list_filter([" + ", ".join(problems) + "], lambda p: p IS NOT NULL)"

    checked = f"checked_{name}"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {checked} AS
        SELECT {", ".join(typed)}, {problem_list} AS _problems FROM {raw.table}
    """)
    _check_keys_and_references(con, checked, contract)

    columns = ", ".join(["_row", "_source", *map(quote_ident, contract.roles)]
                        + (["attributes"] if contract.keeps_attributes else []))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {columns} FROM {checked} "
                f"WHERE len(_problems) = 0 ORDER BY _row")
    _quarantine_rows(con, checked, raw)
    con.execute(f"DROP TABLE {checked}")

    accepted = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    reasons = dict(con.execute(
        "SELECT reason, count(*) FROM quarantine WHERE table_name = ? GROUP BY reason ORDER BY reason",
        [name]).fetchall())
    quarantined = sum(reasons.values())
    rows_read = con.execute(f"SELECT count(*) FROM {raw.table}").fetchall()[0][0] + len(raw.malformed)
    return TableReport(name, raw.source, rows_read, accepted, quarantined, reasons)


# ---------------------------------------------------------------------------------------------- expressions
def _text_expr(f: Field, columns: list[str]) -> str:
    """The trimmed text of a role, NULL when empty or absent."""
    if not columns:
        return "CAST(NULL AS VARCHAR)"
    blanks = quote_literal(_BLANKS)
    if f.type in (FieldType.LIST, FieldType.DATE_LIST) and len(columns) > 1:
        joined = "concat_ws(';', " + ", ".join(quote_ident(c) for c in columns) + ")"
        return f"NULLIF(trim({joined}, {blanks}), '')"
    return f"NULLIF(trim({quote_ident(columns[0])}, {blanks}), '')"


def _split(text: str, separator: str) -> str:
    blanks = quote_literal(_BLANKS)
    return (f"list_filter(list_transform(string_split_regex(coalesce({text}, ''), {quote_literal(separator)}), "
            f"lambda v: trim(v, {blanks})), lambda v: v <> '')")


def _parse_time(text: str, formats: list[str]) -> str:
    fmts = "[" + ", ".join(quote_literal(f) for f in formats) + "]"
    return f"coalesce(try_cast({text} AS TIMESTAMP), try_strptime({text}, {fmts}))"


def _parse_date(text: str, formats: list[str]) -> str:
    return f"CAST({_parse_time(text, formats)} AS DATE)"


def _parse_number(text: str) -> str:
    cleaned = f"regexp_replace({text}, {quote_literal(_NUMBER_NOISE)}, '', 'g')"
    return f"CASE WHEN isfinite(try_cast({cleaned} AS DOUBLE)) THEN try_cast({cleaned} AS DOUBLE) END"


def _typed_expr(f: Field, text: str, formats: list[str], separator: str, contract: TableContract) -> str:
    if f.type is FieldType.LIST:
        return _split(text, separator)
    if f.type is FieldType.DATE_LIST:
        return f"list_transform({_split(text, separator)}, lambda d: {_parse_date('d', formats)})"
    if f.type is FieldType.DATE:
        return _parse_date(text, formats)
    if f.type is FieldType.TIMESTAMP:
        return _parse_time(text, formats)
    if f.type is FieldType.NUMBER:
        return _parse_number(text)
    if f.type is FieldType.INTEGER:
        number = _parse_number(text)
        return f"CASE WHEN {number} = floor({number}) THEN CAST({number} AS BIGINT) END"
    if f.role == contract.key and not f.required:
        # optional event keys: generated from the row number when absent
        return f"coalesce({text}, {quote_literal(contract.name + ':')} || CAST(_row AS VARCHAR))"
    return text


def _problem(condition: str, reason: Reason, column: str, detail: str) -> str:
    return (f"CASE WHEN {condition} THEN {{'reason': {quote_literal(reason.value)}, "
            f"'column_name': {quote_literal(column)}, 'detail': {quote_literal(detail)}}} END")


def _row_problems(f: Field, text: str, columns: list[str], contract: TableContract, formats: list[str],
                  separator: str) -> list[str]:
    column = ", ".join(columns) or f.role
    label = f.role if columns == [f.role] else f"{f.role} (column {column})"
    problems = []
    if f.required:
        reason = Reason.MISSING_ID if f.role == contract.key else Reason.MISSING_VALUE
        problems.append(_problem(f"{text} IS NULL", reason, column, f"{label} is empty"))
    if f.type in (FieldType.DATE, FieldType.TIMESTAMP):
        kind = "date" if f.type is FieldType.DATE else "date/time"
        parsed = _parse_time(text, formats)
        problems.append(_problem(
            f"{text} IS NOT NULL AND ({parsed} IS NULL OR year({parsed}) NOT BETWEEN 1900 AND 2200)",
            Reason.BAD_DATE, column, f"{label} is not a {kind}"))
    if f.type is FieldType.DATE_LIST:
        dates = f"list_transform({_split(text, separator)}, lambda d: {_parse_time('d', formats)})"
        problems.append(_problem(f"len(list_filter({dates}, lambda d: d IS NULL)) > 0",
                                 Reason.BAD_DATE, column, f"{label} holds a value that is not a date"))
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        number = _parse_number(text)
        whole = "" if f.type is FieldType.NUMBER else f" OR {number} <> floor({number})"
        problems.append(_problem(f"{text} IS NOT NULL AND ({number} IS NULL{whole})", Reason.BAD_NUMBER,
                                 column, f"{label} is not a {'number' if whole == '' else 'whole number'}"))
        if f.non_negative:
            problems.append(_problem(f"{number} < 0", Reason.NEGATIVE_NUMBER, column, f"{label} is negative"))
    return problems


def _attributes_expr(columns: list[str]) -> str:
    if not columns:
        return "CAST(map() AS MAP(VARCHAR, VARCHAR))"
    entries = ", ".join(
        f"{{'k': {quote_literal(c)}, 'v': NULLIF(trim({quote_ident(c)}), '')}}" for c in columns)
    return f"map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL))"


# ---------------------------------------------------------------------------------------------- set checks
def _check_keys_and_references(con: duckdb.DuckDBPyConnection, checked: str, contract: TableContract) -> None:
    """Add duplicate-key and unknown-reference problems; only rows otherwise valid take part."""
    if contract.key:
        key = quote_ident(contract.key)
        dup = _problem("TRUE", Reason.DUPLICATE_ID, contract.key,
                       f"{contract.key} already seen in an earlier row")
        con.execute(f"""
            UPDATE {checked} SET _problems = list_append(_problems, {dup})
            FROM (SELECT _row AS r FROM (
                    SELECT _row, row_number() OVER (PARTITION BY {key} ORDER BY _row) AS n
                    FROM {checked} WHERE len(_problems) = 0 AND {key} IS NOT NULL) WHERE n > 1) AS d
            WHERE {checked}._row = d.r
        """)
    for role, referenced in contract.references:
        ref_key = TABLES[referenced].key
        reason = REFERENCE_REASON[referenced]
        problem = _problem("TRUE", reason, role, f"{role} is not in {referenced}")
        con.execute(f"""
            UPDATE {checked} SET _problems = list_append(_problems, {problem})
            WHERE len(_problems) = 0 AND {quote_ident(role)} IS NOT NULL
              AND {quote_ident(role)} NOT IN (SELECT {quote_ident(ref_key)} FROM {referenced})
        """)


def _quarantine_rows(con: duckdb.DuckDBPyConnection, checked: str, raw: RawTable) -> None:
    record = "to_json({" + ", ".join(f"{quote_literal(c)}: r.{quote_ident(c)}" for c in raw.columns) + "})" \
        if raw.columns else "'{}'"
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {quote_literal(raw.name)}, c._source, c._row, NULL, c._problems[1].reason,
               c._problems[1].column_name, array_to_string(list_transform(c._problems, lambda p: p.detail), '; '),
               {record}
        FROM {checked} c JOIN {raw.table} r ON r._row = c._row
        WHERE len(c._problems) > 0
    """)
    if raw.malformed:
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, NULL, ?, ?, NULL, ?, ?)",
            [(raw.name, raw.source, m.line, Reason.MALFORMED_ROW.value, m.message, m.text) for m in raw.malformed])


def _create_empty(con: duckdb.DuckDBPyConnection, contract: TableContract) -> None:
    """An absent optional table is an empty table of the right shape, so later stages need no special case."""
    types = {FieldType.ID: "VARCHAR", FieldType.TEXT: "VARCHAR", FieldType.LIST: "VARCHAR[]",
             FieldType.DATE_LIST: "DATE[]", FieldType.DATE: "DATE", FieldType.TIMESTAMP: "TIMESTAMP",
             FieldType.NUMBER: "DOUBLE", FieldType.INTEGER: "BIGINT"}
    columns = ["_row BIGINT", "_source VARCHAR"] + [f"{quote_ident(f.role)} {types[f.type]}" for f in contract.fields]
    if contract.keeps_attributes:
        columns.append("attributes MAP(VARCHAR, VARCHAR)")
    con.execute(f"CREATE OR REPLACE TABLE {contract.name} ({', '.join(columns)})")
