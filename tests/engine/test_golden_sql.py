"""Golden SQL per stage: the statements ingest, normalize, resolve and enrich send to their engine on the tiny data
set, in DuckDB's spelling and as the Spark dialect rewrites them, kept in ``tests/engine/golden/``. A change to
the generated SQL (a stage's query, a rewrite of the dialect, a sqlglot upgrade) shows in review as a diff of
those files.

After a change that is meant, write the files again and review their diff::

    LINKER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/engine/test_golden_sql.py
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import duckdb
import pytest

from linker.config import load_config
from linker.engine import DuckDBEngine
from linker.engine.dialect import SparkDialect
from linker.enrich import enrich
from linker.ingest import ingest
from linker.normalize.identifiers import build_identifiers
from linker.resolve import resolve
from linker.rules import load_rules
from linker.sql import quote_ident
from tests.test_cli import write_toml
from tests.tiny import TABLES, write_table

GOLDEN = Path(__file__).parent / "golden"
_CALL_NAMES = re.compile(r"_linker_(\w+?)_\d+_\d+")
"""Names of one call's intermediate tables carry a counter of calls: the same in every snapshot once masked."""
_BATCH_VIEWS = re.compile(r"_linker_batches_\d+")
"""The DuckDB engine's views of a Python step's batches are numbered in the order of the steps."""


class RecordingEngine(DuckDBEngine):
    """The DuckDB engine, noting each statement a stage sends (operation, table, query)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.statements: list[tuple[str, str, str]] = []

    def _note(self, operation: str, name: str, query: str) -> None:
        def masked(text: str) -> str:
            return _BATCH_VIEWS.sub("_linker_batches_N", _CALL_NAMES.sub(r"_linker_\1_N", text))

        self.statements.append((operation, masked(name), masked(textwrap.dedent(query).strip())))

    def create_table(self, name, query, *, kind="temp"):
        self._note("create table" if kind == "table" else f"create {kind} table", name, query)
        super().create_table(name, query, kind=kind)

    def create_view(self, name, query):
        self._note("create view", name, query)
        super().create_view(name, query)

    def create_empty(self, name, columns, *, kind="temp"):
        self._note("create empty table" if kind == "table" else f"create empty {kind} table", name,
                   f"CREATE TABLE {name} ({', '.join(f'{quote_ident(c)} {t}' for c, t in columns)})")
        super().create_empty(name, columns, kind=kind)

    def insert(self, name, query, *, by_name=False):
        self._note("insert by name" if by_name else "insert", name, query)
        super().insert(name, query, by_name=by_name)

    def delete_where(self, name, condition, *, alias=None):
        self._note("delete", name, f"SELECT * FROM {name} {alias or ''} WHERE {condition}")
        super().delete_where(name, condition, alias=alias)

    def map_batches(self, name, query, function, schema, *, kind="temp"):
        self._note("map batches", name, query)
        super().map_batches(name, query, function, schema, kind=kind)

    def rows(self, query, params=None):
        self._note("rows", "", query)
        return super().rows(query, params)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    sources = {name: {"path": str(write_table(frame, folder / f"{name}.csv"))} for name, frame in TABLES.items()}
    config = load_config(write_toml(folder / "linker.toml", {"sources": sources, "output": {"dir": str(folder)}}))
    engine = RecordingEngine(duckdb.connect())
    ingest_sql = _stage_sql(engine, lambda: ingest(engine, config, workdir=folder / "work"))
    yield config, engine, ingest_sql
    engine.close()


def test_ingest_sends_the_golden_sql(tiny):
    """The CSV reader's statements and the typing, checks and quarantine of every table (the tiny data set's
    files are CSV; the Parquet and JSON readers' statements are not in the snapshot)."""
    _, _, ingest_sql = tiny
    _check("ingest", ingest_sql)


def _stage_sql(engine: RecordingEngine, run, *, portable: bool = False) -> dict[str, str]:
    """The statements of ``run`` as DuckDB runs them, and as Spark gets them. With ``portable``, Spark's come
    from a second run on an engine of another name: a stage that picks DuckDB-only constructs by engine name
    sends it the portable ones."""
    statements = {}
    for name in ("duckdb", "portable") if portable else ("duckdb",):
        engine.statements.clear()
        engine.name = name
        try:
            run()
        finally:
            engine.name = "duckdb"
        statements[name] = list(engine.statements)
    spark = SparkDialect()

    def text(translate, recorded) -> str:
        return "\n".join(f"{f'-- {operation} {table}'.rstrip()}\n{translate(query)};\n"
                         for operation, table, query in recorded)

    return {"duckdb": text(str, statements["duckdb"]),
            "spark": text(spark.translate, statements["portable" if portable else "duckdb"])}


def _check(stage: str, texts: dict[str, str]) -> None:
    stale = []
    for engine, text in texts.items():   # as bytes: string literals hold carriage returns
        path = GOLDEN / f"{stage}.{engine}.sql"
        if os.environ.get("LINKER_UPDATE_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        elif not path.exists() or path.read_bytes() != text.encode("utf-8"):
            stale.append(path.name)
    assert not stale, (f"the SQL of stage {stage} changed ({', '.join(stale)}): if that is meant, run "
                       "LINKER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/engine/test_golden_sql.py "
                       "and review the diff of tests/engine/golden/")


def test_normalize_sends_the_golden_sql(tiny):
    config, engine, _ = tiny
    rules = load_rules(config.resolution.rules_file)
    _check("normalize", _stage_sql(engine, lambda: build_identifiers(
        engine, region=config.region, rules=rules.identifiers, declared=config.resolution.identifiers)))


def test_resolve_sends_the_golden_sql(tiny):
    config, engine, _ = tiny
    rules = load_rules(config.resolution.rules_file)
    if not engine.exists("identifiers"):
        build_identifiers(engine, region=config.region, rules=rules.identifiers,
                          declared=config.resolution.identifiers)
    _check("resolve", _stage_sql(engine, lambda: resolve(engine, config.resolution, rules)))


def test_enrich_sends_the_golden_sql(tiny):
    config, engine, _ = tiny
    rules = load_rules(config.resolution.rules_file)
    if not engine.exists("links"):
        build_identifiers(engine, region=config.region, rules=rules.identifiers,
                          declared=config.resolution.identifiers)
        resolve(engine, config.resolution, rules)
    _check("enrich", _stage_sql(engine, lambda: enrich(engine, config.enrichment), portable=True))
