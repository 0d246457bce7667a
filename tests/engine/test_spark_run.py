"""A run on Spark gives the outputs of a run on DuckDB: the whole ``linker run`` on each engine (every output file,
the graph store, the report, the run database and ``explain``; demo data with every trap on, floats compared after
rounding)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from linker.cli import app
from linker.engine import DuckDBEngine
from linker.graph.store import extract_parquet, opened
from linker.stages import stages_not_on
from tests.engine.stages import demo_config, rows

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
    # the report's sections, charts included, as DuckDB's; the match model's weights differ in their last bits
    # (its EM sums run in another order), which can reorder its table
    spark_report, duck_report = report_sections(spark_out), report_sections(duck_out)
    assert list(spark_report) == list(duck_report)
    for title in set(duck_report) - {"Match model"}:
        assert spark_report[title] == duck_report[title], title
    assert "Match weights of candidate pairs" in spark_report["Links"]
    assert "Spend by top-level domain" in spark_report["Spend by domain"]
    graph = graph_rows(spark_out, tmp_path / "x1")
    assert graph == graph_rows(duck_out, tmp_path / "x2") and all(graph.values())   # every label and pair has rows
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


def report_sections(run_dir: Path) -> dict[str, str]:
    """The HTML of each section of a run's ``report.html``, by its title, in page order."""
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"<h2>(.*?)</h2>(.*?)(?=<h2>|</body>)", page, re.DOTALL)}


def _rounded_json(text: str) -> Any:
    """JSON with its numbers rounded to 6 places (the model's EM sums differ in the last bits between engines)."""
    return json.loads(text, parse_float=lambda value: round(float(value), 6))


def _a_linked_customer(run_dir: Path) -> str:
    with duckdb.connect(str(run_dir / "work.duckdb"), read_only=True) as con:
        return con.execute("SELECT min(customer_id) FROM links WHERE decision = 'linked'").fetchall()[0][0]
