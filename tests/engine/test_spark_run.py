"""A run on Spark gives the outputs of a run on DuckDB: the whole ``linker run`` on each engine (every output file,
the graph store, the run database and ``explain``), and the report's sections on the same tables (demo data with
every trap on, floats compared after rounding)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.engine import DuckDBEngine
from linker.enrich import enrich
from linker.graph.store import extract_parquet, opened
from linker.ingest import ingest
from linker.normalize.identifiers import build_identifiers
from linker.resolve import resolve
from linker.rules import load_rules
from linker.stages import stages_not_on
from tests.engine.stages import demo_config, hand_over, rows

pytestmark = pytest.mark.spark

FORMATS = ["parquet", "csv", "jsonl"]
NOT_ON_SPARK = [stage.name for stage in stages_not_on("spark")]


def parquet_rows(path: Path, *, leave_out: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of an output Parquet file, or of a folder of parts (Spark's layout), columns in name order."""
    source = str(path / "*.parquet") if path.is_dir() else str(path)
    engine = DuckDBEngine(duckdb.connect())
    try:
        columns = sorted(c for c, _ in engine.columns(f"SELECT * FROM read_parquet('{source}')") if c not in leave_out)
        return rows(engine, f"SELECT {', '.join(columns)} FROM read_parquet('{source}')")
    finally:
        engine.close()


def csv_rows(path: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    with path.open(encoding="utf-8", newline="") as f:
        header, *body = list(csv.reader(f))
    return header, sorted(tuple(r) for r in body)


def outputs(folder: Path) -> dict[str, Path]:
    """Every output of a run folder by its name (Parquet files and Parquet folders, CSV and JSON Lines files)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".parquet", ".csv", ".jsonl") and path.parts[len(folder.parts)] != "state" and not any(p.suffix == ".parquet" for p in path.parents
                                                                       if folder in p.parents):
            found[str(path.relative_to(folder))] = path
    return found


def assert_same_outputs(spark_out: Path, duck_out: Path) -> None:
    duck, spark = outputs(duck_out), outputs(spark_out)
    assert sorted(spark) == sorted(duck)
    for name, path in duck.items():
        if path.suffix == ".parquet":
            assert parquet_rows(spark[name]) == parquet_rows(path), name
        elif path.suffix == ".csv":   # Spark prints some numbers otherwise (2.6E-5 where DuckDB writes 2.6e-05)
            header, body = csv_rows(spark[name])
            assert (header, len(body)) == (csv_rows(path)[0], len(csv_rows(path)[1])), name
        else:
            assert (sum(1 for _ in spark[name].open(encoding="utf-8"))
                    == sum(1 for _ in path.open(encoding="utf-8"))), name


def graph_rows(run_dir: Path, folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every node label and relationship pair of a run's store, as rows (the run id left out)."""
    with opened(run_dir) as store:
        files = extract_parquet(store, folder)
    return {f.path.stem: parquet_rows(f.path, leave_out=("run_id",)) for f in files}


# ---------------------------------------------------------------------------------------------- the report
@pytest.fixture(scope="module")
def enriched(tmp_path_factory):
    """The demo run up to enrichment on DuckDB (its tables kept in one connection)."""
    folder = tmp_path_factory.mktemp("demo")
    config = demo_config(folder)
    rules = load_rules(config.resolution.rules_file)
    duck = DuckDBEngine(duckdb.connect())
    ingest(duck, config, workdir=folder / "work")
    build_identifiers(duck, region=config.region, rules=rules.identifiers, declared=config.resolution.identifiers)
    resolve(duck, config.resolution, rules)
    enrich(duck, config.enrichment, workdir=folder / "work", aggregates_file=False)
    yield duck
    duck.close()


REPORT_TABLES = ("accounts", "quarantine", "links", "match_weights", "identifier_degrees", "hubs", "clusters",
                 "customer_events", "device_attribution", "signals", "need_baselines", "domain_spend",
                 "taxonomy_domains", "categories", "unmapped_categories", "enrichment_info")
"""The tables the report's sections read (a section missing one gives other figures, and the test fails)."""


@pytest.fixture(scope="module")
def handed_over(enriched, spark_session, tmp_path_factory):
    """A Spark engine holding the tables the report reads, as DuckDB left them."""
    from linker.engine.spark import SparkEngine

    spark = SparkEngine(spark_session, tmp_path_factory.mktemp("spark"))
    hand_over(enriched, spark, *(t for t in REPORT_TABLES if enriched.exists(t)))
    yield spark
    spark.close()


def test_the_report_on_spark_shows_the_figures_of_duckdb(enriched, handed_over):
    """Every section, figure for figure."""
    from linker.enrich import report as report_module

    duck = enriched
    for section in (report_module._summary, report_module._links, report_module._hubs, report_module._clusters,
                    report_module._attribution, report_module._signals, report_module._baselines,
                    report_module._domains, report_module._matching, report_module._unmapped):
        assert section(handed_over) == section(duck), section.__name__
    assert report_module.match_weight_histogram(handed_over) == report_module.match_weight_histogram(duck)


# ---------------------------------------------------------------------------------------------- linker run

@pytest.mark.skipif(bool(NOT_ON_SPARK), reason=f"the stages {', '.join(NOT_ON_SPARK)} do not run on Spark yet")
def test_linker_run_on_spark_gives_the_outputs_of_duckdb(spark_session, tmp_path: Path):
    demo_config(tmp_path)
    toml = tmp_path / "linker.toml"
    text = toml.read_text(encoding="utf-8").replace("[output]\n", f"[output]\nformats = {FORMATS!r}\n".replace("'", '"'))
    toml.write_text(text + "\n[resolution.training]\nmin_pairs = 100\n", encoding="utf-8")
    spark_toml = tmp_path / "linker-spark.toml"
    spark_toml.write_text(toml.read_text(encoding="utf-8") + '\n[engine]\nbackend = "spark"\n', encoding="utf-8")
    runner = CliRunner()
    for name, path in (("duckdb", toml), ("spark", spark_toml)):
        result = runner.invoke(app, ["run", "-c", str(path), "-q", "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    spark_out, duck_out = tmp_path / "spark", tmp_path / "duckdb"
    assert list((spark_out / "profiles.parquet").glob("part-*.parquet"))   # Spark's layout: a folder of parts
    assert (spark_out / "profiles.csv").is_file()                         # text outputs: one file each
    assert not list(spark_out.rglob(".*"))                                # no temporary or checksum file left
    assert_same_outputs(spark_out, duck_out)
    page = (spark_out / "report.html").read_text(encoding="utf-8")
    assert "Match weights of candidate pairs" in page and "Spend by top-level domain" in page
    assert graph_rows(spark_out, tmp_path / "x1") == graph_rows(duck_out, tmp_path / "x2")
    # the run database of a Spark run: views over state/, read by the commands as DuckDB's tables are
    with duckdb.connect(str(spark_out / "work.duckdb"), read_only=True) as spark_db, \
            duckdb.connect(str(duck_out / "work.duckdb"), read_only=True) as duck_db:
        for table in ("links", "clusters", "identifiers", "profiles"):
            assert (rows(DuckDBEngine(spark_db), f"SELECT * FROM {table}")
                    == rows(DuckDBEngine(duck_db), f"SELECT * FROM {table}")), table
    customer = _a_linked_customer(duck_out)
    explained = [runner.invoke(app, ["explain", customer, "--run-dir", str(out), "--format", "json"])
                 for out in (spark_out, duck_out)]
    assert explained[0].exit_code == 0, explained[0].output
    assert _rounded_json(explained[0].output) == _rounded_json(explained[1].output)


def _rounded_json(text: str) -> Any:
    """JSON with its numbers rounded to 6 places (the model's EM sums differ in the last bits between engines)."""
    return json.loads(text, parse_float=lambda value: round(float(value), 6))


def _a_linked_customer(run_dir: Path) -> str:
    with duckdb.connect(str(run_dir / "work.duckdb"), read_only=True) as con:
        return con.execute("SELECT min(customer_id) FROM links WHERE decision = 'linked'").fetchall()[0][0]
