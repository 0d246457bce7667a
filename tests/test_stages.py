"""The stage contracts: a stage runs alone on an engine holding only the tables it declares it reads, and leaves
the tables it declares it writes, with their columns; an engine some stage lacks is refused before any work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.config import load_config
from linker.engine import DuckDBEngine
from linker.errors import EngineError
from linker.ingest import ingest
from linker.normalize.identifiers import build_identifiers
from linker.resolve import resolve
from linker.rules import load_rules
from linker.stages import STAGE, STAGES, check_backend, stages_not_on
from tests.engine.stages import hand_over
from tests.test_cli import write_toml


def test_every_table_a_stage_reads_is_an_input_or_written_by_an_earlier_stage():
    written: set[str] = set()
    for stage in STAGES:
        assert set(stage.reads) <= written, stage.name
        written |= {t.name for t in stage.writes}


def test_the_duckdb_engine_runs_every_stage():
    assert stages_not_on("duckdb") == []
    check_backend("duckdb")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The tiny data set ingested into a DuckDB database."""
    from tests.tiny import TABLES, write_table

    folder = tmp_path_factory.mktemp("tiny")
    sources = {name: {"path": str(write_table(frame, folder / f"{name}.csv"))} for name, frame in TABLES.items()}
    config = load_config(write_toml(folder / "linker.toml", {"sources": sources, "output": {"dir": str(folder / "out")}}))
    con = duckdb.connect()
    ingest(con, config, workdir=folder / "work")
    yield config, DuckDBEngine(con)
    con.close()


def _alone(source: DuckDBEngine, stage: str) -> DuckDBEngine:
    """A fresh engine holding only the tables ``stage`` declares it reads (absent optional inputs stay absent)."""
    engine = DuckDBEngine(duckdb.connect())
    hand_over(source, engine, *[t for t in STAGE[stage].reads if source.exists(t)])
    return engine


def _assert_writes(engine: DuckDBEngine, stage: str) -> None:
    for table in STAGE[stage].writes:
        assert engine.columns(table.name) == list(table.columns), (stage, table.name)


def test_normalize_and_resolve_run_alone_on_the_tables_they_declare(ingested):
    config, source = ingested
    rules = load_rules(config.resolution.rules_file)
    normalize = _alone(source, "normalize")
    build_identifiers(normalize, region=config.region, rules=rules.identifiers,
                      declared=config.resolution.identifiers)
    _assert_writes(normalize, "normalize")
    hand_over(normalize, source, "identifiers")
    resolving = _alone(source, "resolve")
    resolve(resolving, config.resolution, rules)
    _assert_writes(resolving, "resolve")
    assert resolving.count("links WHERE decision = 'linked'") > 0


def test_every_stage_runs_on_spark():
    assert stages_not_on("spark") == []
    check_backend("spark")


def test_a_backend_without_every_stage_is_refused_naming_the_stages_missing():
    with pytest.raises(EngineError) as caught:
        check_backend("flink")
    message = str(caught.value)
    assert 'engine.backend = "flink"' in message
    assert "the stages ingest, normalize, resolve, enrich, export and graph do not run on Flink yet (none does)" \
        in message


def test_linker_update_on_spark_is_refused_before_any_work(dataset, tmp_path: Path):
    toml = write_toml(tmp_path / "linker.toml", dataset())
    toml.write_text(toml.read_text(encoding="utf-8") + '[engine]\nbackend = "spark"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["update", "-c", str(toml), "-q", "--since", str(tmp_path / "no-run")])
    assert result.exit_code == 1
    assert "linker update changes the previous run's tables in place" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()