"""The ingest stage: every source read, typed and checked in SQL; bad rows quarantined; counts reconciled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from linker.config import Config, SourceConfig
from linker.contract import (
    INGEST_ORDER,
    REFERENCE_REASON,
    TABLES,
    Field,
    FieldType,
    Reason,
    TableContract,
)
from linker.engine import Engine, as_engine
from linker.errors import ReconciliationError
from linker.ingest.readers import RawTable, load_raw
from linker.ingest.values import (
    MAX_ABS_NUMBER,
    fast_cast,
    has_offset,
    number_expr,
    parse_expr,
    text_expr,
    typed_expr,
)
from linker.sql import quote_ident, quote_literal

MAX_BYTES = {FieldType.ID: 512, FieldType.TEXT: 2_000, FieldType.LIST: 4_000, FieldType.DATE_LIST: 4_000}
"""Longest text a role that resolution compares may hold, in bytes (a name of 100,000 characters made resolution
spill 13-17 GB): a row beyond is quarantined as ``too_long``, so that the cost of comparing values stays bounded.
It applies to the roles of customers and accounts, and to the identifiers of events (browsing's device_id)."""

QUARANTINE_COLUMNS = (("table_name", "VARCHAR"), ("_source", "VARCHAR"), ("_row", "BIGINT"), ("line", "BIGINT"),
                      ("reason", "VARCHAR"), ("column_name", "VARCHAR"), ("detail", "VARCHAR"), ("record", "VARCHAR"))


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
    notes: dict[str, int] = field(default_factory=dict)
    """What was changed in accepted values, with the number of values (times converted from an offset)."""

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined


@dataclass
class IngestReport:
    """What ingest did, per table, in ingest order."""

    tables: dict[str, TableReport] = field(default_factory=dict)


def ingest(engine: Engine | duckdb.DuckDBPyConnection, config: Config, *,
           frames: dict[str, pd.DataFrame] | None = None, workdir: Path) -> IngestReport:
    """Load, type and validate every configured table into ``engine``.

    Parameters
    ----------
    engine
        The run's engine (or a DuckDB connection); accepted tables and ``quarantine`` are created in it.
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
    engine = as_engine(engine)
    frames = frames or {}
    engine.create_empty("quarantine", QUARANTINE_COLUMNS, kind="table")
    report = IngestReport()
    for name in INGEST_ORDER:
        contract = TABLES[name]
        if name not in config.sources and name not in frames:
            _create_empty(engine, contract)
            continue
        source = config.sources.get(name) or SourceConfig()
        raw = load_raw(engine, name, source, frame=frames.get(name), workdir=workdir)
        report.tables[name] = _validate(engine, contract, source, raw, config.timezone)
        raw.drop(engine)
    return report


def _validate(engine: Engine, contract: TableContract, source: SourceConfig, raw: RawTable,
              timezone: str) -> TableReport:
    """Type, check and split one raw table into its accepted table and quarantine rows.

    Three nested projections, so that every value is trimmed and parsed once: text (``t_<role>``), parsed
    values (``<role>``), a ``_bad`` flag; the problem list is built for bad rows only. Duplicate keys and
    unknown references are joins.
    """
    name = contract.name
    mapping = {f.role: [c for c in source.columns_for(f.role) if c in raw.columns] for f in contract.fields}
    separator = "[" + re.escape(source.list_separator) + "]"

    casts = {f.role: cast for f in contract.fields if (cast := fast_cast(f, mapping[f.role]))}
    texts = ["_row", "_source"] + [
        f"{text_expr(f, mapping[f.role], _c(f.role) if f.role in casts else None)} AS {_t(f.role)}"
        for f in contract.fields] + [_c(role) for role in casts]
    if contract.keeps_attributes:
        used = {c for cols in mapping.values() for c in cols}
        extra = [c for c in raw.columns if c not in used] if source.keep_other_columns else []
        texts.append(f"{_attributes_expr(extra)} AS attributes")
    options = {"formats": source.date_formats, "decimal_separator": source.decimal_separator, "timezone": timezone}
    parses = {f.role: parse for f in contract.fields
              if (parse := parse_expr(f, _t(f.role), _c(f.role) if f.role in casts else None, **options))}

    def typed_value(f: Field) -> str:
        return typed_expr(f, _t(f.role), contract, list_separator=separator, **options,
                          parsed=_p(f.role) if f.role in parses else None)

    parsed = [f"{typed_value(f)} AS {quote_ident(f.role)}" for f in contract.fields]
    checks = [c for f in contract.fields for c in _row_checks(f, mapping[f.role], contract, source)]
    if contract.one_of:
        present = " OR ".join(f"{_t(r)} IS NOT NULL" for r in contract.one_of)
        checks.append(Check(f"NOT ({present})", Reason.NO_KEY, "/".join(contract.one_of),
                            f"none of {', '.join(contract.one_of)} is given"))
    bad = " OR ".join(dict.fromkeys(f"coalesce({c.flag or c.condition}, false)" for c in checks)) or "false"

    # The accepted table is built in one pass with a _bad flag; the few bad rows are then quarantined (their
    # problems recomputed from the raw rows) and deleted. No second copy of a table of millions of rows. The
    # fast casts, texts, parses and range checks are nested projections, each value computed once.
    def typed(rows: str) -> str:
        fast = f"SELECT *{''.join(f', {cast} AS {_c(role)}' for role, cast in casts.items())} FROM {rows}"
        parsing = f"SELECT *{''.join(f', {parse} AS {_p(role)}' for role, parse in parses.items())} " \
                  f"FROM (SELECT {', '.join(texts)} FROM ({fast}))"
        return f"SELECT *, {', '.join(parsed)} FROM ({parsing})"

    kept = ", ".join(["_row", "_source", *map(quote_ident, contract.roles)]
                     + (["attributes"] if contract.keeps_attributes else []))
    # date-times written with an offset are counted in the same pass (the report's note), not by reading the
    # file again
    times = [f.role for f in contract.fields if f.type in (FieldType.DATE, FieldType.TIMESTAMP) and mapping[f.role]]
    offsets = " + ".join(f"CAST(coalesce({has_offset(_t(role))}, false) AS INTEGER)" for role in times)
    flags = ["_bad", "_offsets"] if times else ["_bad"]
    engine.create_table(name, f"SELECT {kept}, {bad} AS _bad{f', {offsets} AS _offsets' if times else ''} "
                              f"FROM ({typed(raw.table)})", kind="table" if contract.entity else "scratch")
    converted = int(engine.scalar(f"SELECT coalesce(sum(_offsets), 0) FROM {name}")) if times else 0
    _set_problems(engine, name, contract)
    # the raw rows of the bad rows, read once: their problems are recomputed from them and they are the record
    engine.create_table("flagged_raw", f"""
        SELECT r.* FROM {raw.table} r
        SEMI JOIN (SELECT _row FROM {name} WHERE _bad UNION SELECT _row FROM set_problems) b USING (_row)
    """)
    _quarantine_rows(engine, typed("flagged_raw"), "flagged_raw", raw, checks)
    engine.delete_where(name, "_bad OR _row IN (SELECT _row FROM set_problems)")
    engine.drop_columns(name, flags)
    engine.drop("set_problems", "flagged_raw")
    if not contract.entity:
        engine.compact()

    accepted = engine.count(name)
    reasons = {reason: int(n) for reason, n in engine.rows(
        f"SELECT reason, count(*) FROM quarantine WHERE table_name = {quote_literal(name)} "
        "GROUP BY reason ORDER BY reason")}
    notes = {f"date-times with an offset, converted to {timezone}": converted} if converted else {}
    report = TableReport(name, raw.source, raw.records, accepted, sum(reasons.values()), reasons, notes)
    if not report.reconciles:
        raise ReconciliationError(
            f"{name}: the file holds {raw.records:,} records but {accepted:,} were accepted and "
            f"{report.quarantined:,} quarantined; no output was written. Please report this file's shape",
            path=raw.source)
    return report


def _t(role: str) -> str:
    """Name of the trimmed-text column of a role."""
    return quote_ident(f"t_{role}")


def _c(role: str) -> str:
    """Name of the column of a role's raw value cast as it is (:func:`~linker.ingest.values.fast_cast`)."""
    return quote_ident(f"c_{role}")


def _p(role: str) -> str:
    """Name of the column of a role's parsed value, before its range checks."""
    return quote_ident(f"p_{role}")


@dataclass(frozen=True)
class Check:
    """A row check: when ``condition`` holds, the row is quarantined with ``reason``.

    ``flag``, when given, is a cheaper condition that holds whenever ``condition`` does: it marks the bad rows in
    the pass over every row, and ``condition`` tells their problem, on the bad rows only.
    """

    condition: str
    reason: Reason
    column: str
    detail: str
    flag: str | None = None

    def problem(self) -> str:
        """SQL: the problem struct when the condition holds, else NULL."""
        return _problem(self.condition, self.reason, self.column, self.detail)


def _problem(condition: str, reason: Reason, column: str, detail: str) -> str:
    return (f"CASE WHEN {condition} THEN {{'reason': {quote_literal(reason.value)}, "
            f"'column_name': {quote_literal(column)}, 'detail': {quote_literal(detail)}}} END")


def _row_checks(f: Field, columns: list[str], contract: TableContract, source: SourceConfig) -> list[Check]:
    """Problems of one role, as expressions over its text ``t_<role>`` and parsed value ``<role>``."""
    column = ", ".join(columns) or f.role
    label = f.role if columns == [f.role] else f"{f.role} (column {column})"
    text, value = _t(f.role), quote_ident(f.role)
    checks = []
    if f.required:
        reason = Reason.MISSING_ID if f.role == contract.key else Reason.MISSING_VALUE
        checks.append(Check(f"{text} IS NULL", reason, column, f"{label} is empty"))
    if f.type in MAX_BYTES and (contract.entity or f.type is FieldType.LIST or f.role == "device_id"):
        checks.append(Check(f"strlen({text}) > {MAX_BYTES[f.type]}", Reason.TOO_LONG, column,
                            f"{label} is longer than {MAX_BYTES[f.type]:,} bytes"))
    if f.type in (FieldType.DATE, FieldType.TIMESTAMP):
        kind = "date" if f.type is FieldType.DATE else "date/time"
        checks.append(Check(f"{text} IS NOT NULL AND {value} IS NULL", Reason.BAD_DATE, column,
                            f"{label} is not a {kind}"))
    if f.type is FieldType.DATE_LIST:
        checks.append(Check(f"{text} IS NOT NULL AND len(list_filter({value}, lambda d: d IS NULL)) > 0",
                            Reason.BAD_DATE, column, f"{label} holds a value that is not a date"))
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        whole = "number" if f.type is FieldType.NUMBER else "whole number"
        d = source.decimal_separator
        other = "," if d == "." else "."
        failed = f"{text} IS NOT NULL AND {value} IS NULL"
        number = number_expr(text, d)
        beyond = f"abs({number}) >= {MAX_ABS_NUMBER:.0f} AND NOT isnan({number})"
        checks.append(Check(f"{failed} AND {beyond}", Reason.BAD_NUMBER, column,
                            f"{label} is out of range (the limit is {MAX_ABS_NUMBER:.0e} in absolute value)",
                            flag=failed))
        unread = f"{failed} AND NOT coalesce({beyond}, false)"
        checks.append(Check(f"{unread} AND contains({text}, '{other}')", Reason.BAD_NUMBER, column,
                            f"{label} is not a {whole} with decimal separator '{d}' (a '{other}' is taken only "
                            f"between groups of three digits; set decimal_separator for this source if it "
                            f"writes 1{other}5)", flag=failed))
        checks.append(Check(f"{unread} AND NOT contains({text}, '{other}')", Reason.BAD_NUMBER, column,
                            f"{label} is not a {whole}", flag=failed))
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
def _set_problems(engine: Engine, checked: str, contract: TableContract) -> None:
    """Create ``set_problems(_row, problems)``: duplicate keys and unknown references, by join.

    Only rows otherwise valid take part, so a broken first copy of a key does not cost the good second one.
    Every copy of a key but the first (by row) is a duplicate. The keys are grouped by their hash, a number,
    which is cheaper to group than the text; only the rows whose hash repeats (the duplicates, and the rare
    keys that share a hash with another) are then ranked by their key itself.
    """
    parts = []
    if contract.key:
        key = quote_ident(contract.key)
        dup = _problem("TRUE", Reason.DUPLICATE_ID, contract.key, f"{contract.key} already seen in an earlier row")
        valid = f"NOT _bad AND {key} IS NOT NULL"
        parts.append(f"""
            SELECT _row, 1 AS n, {dup} AS problem
            FROM (SELECT _row, row_number() OVER (PARTITION BY {key} ORDER BY _row) AS copy FROM {checked}
                  WHERE {valid} AND hash({key}) IN (SELECT hash({key}) FROM {checked} WHERE {valid}
                                                   GROUP BY hash({key}) HAVING count(*) > 1))
            WHERE copy > 1""")
    for i, (role, referenced) in enumerate(contract.references, 2):
        ref_key = quote_ident(TABLES[referenced].key)
        problem = _problem("TRUE", REFERENCE_REASON[referenced], role, f"{role} is not in {referenced}")
        parts.append(f"""
            SELECT c._row, {i} AS n, {problem} AS problem FROM {checked} c
            ANTI JOIN {referenced} r ON c.{quote_ident(role)} = r.{ref_key}
            WHERE NOT c._bad AND c.{quote_ident(role)} IS NOT NULL""")
    body = " UNION ALL ".join(parts) if parts else \
        "SELECT CAST(NULL AS BIGINT) AS _row, 0 AS n, NULL AS problem WHERE false"
    engine.create_table("set_problems", f"""
        SELECT _row, list(problem ORDER BY n) AS problems FROM ({body}) GROUP BY _row
    """)


def _quarantine_rows(engine: Engine, flagged: str, raw_rows: str, raw: RawTable, checks: list[Check]) -> None:
    """Insert the ``flagged`` rows (typed again from their raw rows, the table ``raw_rows``) into quarantine with
    all their problems and their raw record."""
    record = "to_json({" + ", ".join(f"{quote_literal(c)}: r.{quote_ident(c)}" for c in raw.columns) + "})" \
        if raw.columns else "'{}'"
    row_problems = ("list_filter([" + ", ".join(c.problem() for c in checks) + "], lambda p: p IS NOT NULL)"
                    if checks else "[]")
    engine.insert("quarantine", f"""
        SELECT {quote_literal(raw.name)}, q._source, q._row, r._line, q.problems[1].reason,
               q.problems[1].column_name, array_to_string(list_transform(q.problems, lambda p: p.detail), '; '),
               {record}
        FROM (SELECT c._row, c._source, {row_problems} || coalesce(s.problems, []) AS problems
              FROM ({flagged}) c LEFT JOIN set_problems s USING (_row)) q
        JOIN {raw_rows} r ON r._row = q._row
    """)
    engine.insert("quarantine", f"""
        SELECT {quote_literal(raw.name)}, {quote_literal(raw.source)}, _row, _line,
               {quote_literal(Reason.MALFORMED_ROW.value)}, NULL, detail, record
        FROM {raw.malformed}
    """)


def _create_empty(engine: Engine, contract: TableContract) -> None:
    """An absent optional table is an empty table of the right shape, so later stages need no special case."""
    types = {FieldType.ID: "VARCHAR", FieldType.TEXT: "VARCHAR", FieldType.LIST: "VARCHAR[]",
             FieldType.DATE_LIST: "DATE[]", FieldType.DATE: "DATE", FieldType.TIMESTAMP: "TIMESTAMP",
             FieldType.NUMBER: "DOUBLE", FieldType.INTEGER: "BIGINT"}
    columns = [("_row", "BIGINT"), ("_source", "VARCHAR")] + [(f.role, types[f.type]) for f in contract.fields]
    if contract.keeps_attributes:
        columns.append(("attributes", "MAP(VARCHAR, VARCHAR)"))
    engine.create_empty(contract.name, columns, kind="table" if contract.entity else "scratch")
