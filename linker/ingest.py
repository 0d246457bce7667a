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
from linker.engine import compress_scratch, scratch_table
from linker.errors import ReconciliationError
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
    """Counts of one ingested table: ``rows_read`` is the number of records the source holds, counted from the
    file (not by a parser); ingest stops with :class:`~linker.errors.ReconciliationError` unless it equals
    ``accepted + quarantined``."""

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
        raw.drop(con)
    return report


def _validate(con: duckdb.DuckDBPyConnection, contract: TableContract, source: SourceConfig,
              raw: RawTable) -> TableReport:
    """Type, check and split one raw table into its accepted table and quarantine rows.

    Three nested projections, so that every value is trimmed and parsed once: text (``t_<role>``), parsed
    values (``<role>``), a ``_bad`` flag; the problem list is built for bad rows only. Duplicate keys and
    unknown references are joins.
    """
    name = contract.name
    mapping = {f.role: [c for c in source.columns_for(f.role) if c in raw.columns] for f in contract.fields}
    formats = list(DATE_FORMATS) + list(source.date_formats)
    separator = "[" + re.escape(source.list_separator) + "]"

    texts = ["_row", "_source"] + [f"{_text_expr(f, mapping[f.role])} AS {_t(f.role)}" for f in contract.fields]
    if contract.keeps_attributes:
        used = {c for cols in mapping.values() for c in cols}
        extra = [c for c in raw.columns if c not in used] if source.keep_other_columns else []
        texts.append(f"{_attributes_expr(extra)} AS attributes")
    parsed = [f"{_typed_expr(f, _t(f.role), formats, separator, contract)} AS {quote_ident(f.role)}"
              for f in contract.fields]
    checks = [c for f in contract.fields for c in _row_checks(f, mapping[f.role], contract)]
    if contract.one_of:
        present = " OR ".join(f"{_t(r)} IS NOT NULL" for r in contract.one_of)
        checks.append(Check(f"NOT ({present})", Reason.NO_KEY, "/".join(contract.one_of),
                            f"none of {', '.join(contract.one_of)} is given"))
    bad = " OR ".join(f"coalesce({c.condition}, false)" for c in checks) or "false"

    # The accepted table is built in one pass with a _bad flag; the few bad rows are then quarantined (their
    # problems recomputed from the raw rows) and deleted. No second copy of a table of millions of rows.
    def typed(rows: str) -> str:
        return f"SELECT *, {', '.join(parsed)} FROM (SELECT {', '.join(texts)} FROM {rows})"

    kept = ", ".join(["_row", "_source", *map(quote_ident, contract.roles)]
                     + (["attributes"] if contract.keeps_attributes else []))
    target = f"TABLE {name}" if contract.entity else scratch_table(con, name)
    con.execute(f"CREATE OR REPLACE {target} AS SELECT {kept}, {bad} AS _bad FROM ({typed(raw.table)})")
    _set_problems(con, name, contract)
    flagged = f"(SELECT r.* FROM {raw.table} r SEMI JOIN " \
              f"(SELECT _row FROM {name} WHERE _bad UNION SELECT _row FROM set_problems) b USING (_row))"
    _quarantine_rows(con, typed(flagged), raw, checks)
    con.execute(f"DELETE FROM {name} WHERE _bad OR _row IN (SELECT _row FROM set_problems)")
    con.execute(f"ALTER TABLE {name} DROP COLUMN _bad; DROP TABLE set_problems")
    if not contract.entity:
        compress_scratch(con)

    accepted = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    reasons = dict(con.execute(
        "SELECT reason, count(*) FROM quarantine WHERE table_name = ? GROUP BY reason ORDER BY reason",
        [name]).fetchall())
    report = TableReport(name, raw.source, raw.records, accepted, sum(reasons.values()), reasons)
    if not report.reconciles:
        raise ReconciliationError(
            f"{name}: the file holds {raw.records:,} records but {accepted:,} were accepted and "
            f"{report.quarantined:,} quarantined; no output was written. Please report this file's shape",
            path=raw.source)
    return report


def _t(role: str) -> str:
    """Name of the trimmed-text column of a role."""
    return quote_ident(f"t_{role}")


# ---------------------------------------------------------------------------------------------- expressions
def _text_expr(f: Field, columns: list[str]) -> str:
    """The trimmed text of a role, NULL when empty or absent.

    A date, time or number that already casts as it is (the common case) is its own text: the cast ignores
    surrounding spaces, so only values that fail it need trimming (and the slow parsers).
    """
    if not columns:
        return "CAST(NULL AS VARCHAR)"
    if f.type in (FieldType.LIST, FieldType.DATE_LIST) and len(columns) > 1:
        return _trimmed("concat_ws(';', " + ", ".join(quote_ident(c) for c in columns) + ")")
    column = quote_ident(columns[0])
    cast = {FieldType.DATE: "TIMESTAMP", FieldType.TIMESTAMP: "TIMESTAMP", FieldType.NUMBER: "DOUBLE",
            FieldType.INTEGER: "DOUBLE"}.get(f.type)
    if cast:
        return f"CASE WHEN try_cast({column} AS {cast}) IS NOT NULL THEN {column} ELSE {_trimmed(column)} END"
    return _trimmed(column)


def _trimmed(expr: str) -> str:
    # trim() with a character list is slow and most values need no trimming: one regex finds those that do
    # (\s covers every blank of _BLANKS but the ideographic space)
    blanks = quote_literal(_BLANKS)
    return (f"NULLIF(CASE WHEN NOT regexp_matches({expr}, '^[\\s\u3000]|[\\s\u3000]$') "
            f"THEN {expr} ELSE trim({expr}, {blanks}) END, '')")


def _split(text: str, separator: str) -> str:
    blanks = quote_literal(_BLANKS)
    return (f"list_filter(list_transform(string_split_regex(coalesce({text}, ''), {quote_literal(separator)}), "
            f"lambda v: trim(v, {blanks})), lambda v: v <> '')")


def _split_list(text: str, separator: str, single: str, transform: str | None = None) -> str:
    """The list of a multi-valued text; ``single`` is the only element when there is no separator (most rows:
    the text is trimmed and not empty already), which skips the lambdas."""
    split = _split(text, separator)
    if transform:
        split = f"list_transform({split}, {transform})"
    return (f"CASE WHEN {text} IS NULL THEN [] WHEN NOT regexp_matches({text}, {quote_literal(separator)}) "
            f"THEN [{single}] ELSE {split} END")


def _parse_time(text: str, formats: list[str]) -> str:
    fmts = "[" + ", ".join(quote_literal(f) for f in formats) + "]"
    fast = f"try_cast({text} AS TIMESTAMP)"
    parsed = f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE try_strptime({text}, {fmts}) END"
    return f"CASE WHEN year({parsed}) BETWEEN 1900 AND 2200 THEN {parsed} END"


def _parse_date(text: str, formats: list[str]) -> str:
    return f"CAST({_parse_time(text, formats)} AS DATE)"


def _parse_number(text: str) -> str:
    fast = f"try_cast({text} AS DOUBLE)"
    cleaned = f"try_cast(regexp_replace({text}, {quote_literal(_NUMBER_NOISE)}, '', 'g') AS DOUBLE)"
    value = f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {cleaned} END"
    return f"CASE WHEN isfinite({value}) THEN {value} END"


def _typed_expr(f: Field, text: str, formats: list[str], separator: str, contract: TableContract) -> str:
    if f.type is FieldType.LIST:
        return _split_list(text, separator, text)
    if f.type is FieldType.DATE_LIST:
        date = _parse_date(text, formats)
        return _split_list(text, separator, date, f"lambda d: {_parse_date('d', formats)}")
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


@dataclass(frozen=True)
class Check:
    """A row check: when ``condition`` holds, the row is quarantined with ``reason``."""

    condition: str
    reason: Reason
    column: str
    detail: str

    def problem(self) -> str:
        """SQL: the problem struct when the condition holds, else NULL."""
        return _problem(self.condition, self.reason, self.column, self.detail)


def _problem(condition: str, reason: Reason, column: str, detail: str) -> str:
    return (f"CASE WHEN {condition} THEN {{'reason': {quote_literal(reason.value)}, "
            f"'column_name': {quote_literal(column)}, 'detail': {quote_literal(detail)}}} END")


def _row_checks(f: Field, columns: list[str], contract: TableContract) -> list[Check]:
    """Problems of one role, as expressions over its text ``t_<role>`` and parsed value ``<role>``."""
    column = ", ".join(columns) or f.role
    label = f.role if columns == [f.role] else f"{f.role} (column {column})"
    text, value = _t(f.role), quote_ident(f.role)
    checks = []
    if f.required:
        reason = Reason.MISSING_ID if f.role == contract.key else Reason.MISSING_VALUE
        checks.append(Check(f"{text} IS NULL", reason, column, f"{label} is empty"))
    if f.type in (FieldType.DATE, FieldType.TIMESTAMP):
        kind = "date" if f.type is FieldType.DATE else "date/time"
        checks.append(Check(f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_DATE, column,
                            f"{label} is not a {kind}"))
    if f.type is FieldType.DATE_LIST:
        checks.append(Check(f"{text} IS NOT NULL AND len(list_filter({value}, lambda d: d IS NULL)) > 0",
                            Reason.BAD_DATE, column, f"{label} holds a value that is not a date"))
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        whole = "number" if f.type is FieldType.NUMBER else "whole number"
        checks.append(Check(f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_NUMBER, column,
                            f"{label} is not a {whole}"))
        if f.non_negative:
            checks.append(Check(f"{value} < 0", Reason.NEGATIVE_NUMBER, column, f"{label} is negative"))
    return checks


def _attributes_expr(columns: list[str]) -> str:
    if not columns:
        return "CAST(map() AS MAP(VARCHAR, VARCHAR))"
    entries = ", ".join(
        f"{{'k': {quote_literal(c)}, 'v': NULLIF(trim({quote_ident(c)}), '')}}" for c in columns)
    return f"map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL))"


# ---------------------------------------------------------------------------------------------- set checks
def _set_problems(con: duckdb.DuckDBPyConnection, checked: str, contract: TableContract) -> None:
    """Create ``set_problems(_row, problems)``: duplicate keys and unknown references, by join.

    Only rows otherwise valid take part, so a broken first copy of a key does not cost the good second one.
    """
    parts = []
    if contract.key:
        key = quote_ident(contract.key)
        dup = _problem("TRUE", Reason.DUPLICATE_ID, contract.key, f"{contract.key} already seen in an earlier row")
        parts.append(f"""
            SELECT c._row, 1 AS n, {dup} AS problem FROM {checked} c
            JOIN (SELECT {key} AS k, min(_row) AS first FROM {checked}
                  WHERE NOT _bad AND {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1) d
              ON c.{key} = d.k AND c._row > d.first
            WHERE NOT c._bad""")
    for i, (role, referenced) in enumerate(contract.references, 2):
        ref_key = quote_ident(TABLES[referenced].key)
        problem = _problem("TRUE", REFERENCE_REASON[referenced], role, f"{role} is not in {referenced}")
        parts.append(f"""
            SELECT c._row, {i} AS n, {problem} AS problem FROM {checked} c
            ANTI JOIN {referenced} r ON c.{quote_ident(role)} = r.{ref_key}
            WHERE NOT c._bad AND c.{quote_ident(role)} IS NOT NULL""")
    body = " UNION ALL ".join(parts) if parts else \
        "SELECT CAST(NULL AS BIGINT) AS _row, 0 AS n, NULL AS problem WHERE false"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE set_problems AS
        SELECT _row, list(problem ORDER BY n) AS problems FROM ({body}) GROUP BY _row
    """)


def _quarantine_rows(con: duckdb.DuckDBPyConnection, flagged: str, raw: RawTable, checks: list[Check]) -> None:
    """Insert the ``flagged`` rows (typed again from their raw rows) into quarantine with all their problems."""
    record = "to_json({" + ", ".join(f"{quote_literal(c)}: r.{quote_ident(c)}" for c in raw.columns) + "})" \
        if raw.columns else "'{}'"
    row_problems = ("list_filter([" + ", ".join(c.problem() for c in checks) + "], lambda p: p IS NOT NULL)"
                    if checks else "[]")
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {quote_literal(raw.name)}, q._source, q._row, r._line, q.problems[1].reason,
               q.problems[1].column_name, array_to_string(list_transform(q.problems, lambda p: p.detail), '; '),
               {record}
        FROM (SELECT c._row, c._source, {row_problems} || coalesce(s.problems, []) AS problems
              FROM ({flagged}) c LEFT JOIN set_problems s USING (_row)) q
        JOIN {raw.table} r ON r._row = q._row
    """)
    con.execute(f"""
        INSERT INTO quarantine
        SELECT {quote_literal(raw.name)}, {quote_literal(raw.source)}, _row, _line,
               {quote_literal(Reason.MALFORMED_ROW.value)}, NULL, detail, record
        FROM {raw.malformed}
    """)


def _create_empty(con: duckdb.DuckDBPyConnection, contract: TableContract) -> None:
    """An absent optional table is an empty table of the right shape, so later stages need no special case."""
    types = {FieldType.ID: "VARCHAR", FieldType.TEXT: "VARCHAR", FieldType.LIST: "VARCHAR[]",
             FieldType.DATE_LIST: "DATE[]", FieldType.DATE: "DATE", FieldType.TIMESTAMP: "TIMESTAMP",
             FieldType.NUMBER: "DOUBLE", FieldType.INTEGER: "BIGINT"}
    columns = ["_row BIGINT", "_source VARCHAR"] + [f"{quote_ident(f.role)} {types[f.type]}" for f in contract.fields]
    if contract.keeps_attributes:
        columns.append("attributes MAP(VARCHAR, VARCHAR)")
    target = f"TABLE {contract.name}" if contract.entity else scratch_table(con, contract.name)
    con.execute(f"CREATE OR REPLACE {target} ({', '.join(columns)})")
