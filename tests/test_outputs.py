"""Exported files: every format, atomic writes, spreadsheet-safe CSV, rows written in order or in any order."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linker.export.files import ParquetAppender, export_table
from linker.sql import quote_literal


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("CREATE TABLE t AS SELECT range AS n, '=' || range AS formula FROM range(300000)")
    yield con
    con.close()


def _setting(con) -> bool:
    return con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]


def test_every_format_in_query_order(con, tmp_path: Path):
    files = export_table(con, "SELECT * FROM t ORDER BY n DESC", tmp_path / "t", ["parquet", "csv", "jsonl"])
    assert [f.name for f in files] == ["t.parquet", "t.csv", "t.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.jsonl", "t.parquet"]   # nothing else left
    expected = list(range(299999, -1, -1))
    assert pq.read_table(tmp_path / "t.parquet").column("n").to_pylist() == expected
    with (tmp_path / "t.csv").open(encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [int(r["n"]) for r in written] == expected
    assert written[0] == {"n": "299999", "formula": "'=299999"}              # a formula is never run as one
    with (tmp_path / "t.jsonl").open(encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert [r["n"] for r in lines] == expected and lines[0] == {"n": 299999, "formula": "=299999"}


def test_unordered_export_writes_every_row_and_restores_the_setting(con, tmp_path: Path):
    export_table(con, "SELECT * FROM t", tmp_path / "t", ["parquet"], ordered=False)
    assert sorted(pq.read_table(tmp_path / "t.parquet").column("n").to_pylist()) == list(range(300000))
    assert _setting(con) is True


def test_a_failed_export_leaves_no_file_and_the_setting_as_it_was(con, tmp_path: Path):
    with pytest.raises(duckdb.Error):
        export_table(con, "SELECT * FROM no_such_table", tmp_path / "t", ["parquet"], ordered=False)
    assert list(tmp_path.iterdir()) == []
    assert _setting(con) is True


@pytest.mark.parametrize(("cell", "written"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("-2+3", "'-2+3"),
    ("+1-cmd|' /C calc'!A0", "'+1-cmd|' /C calc'!A0"), ("-x", "'-x"), ("+8613188271462", "+8613188271462"),
    ("+86 (21) 5555-0100", "+86 (21) 5555-0100"), ("-12.5", "-12.5"), ("+1", "+1"),
    ("a=b", "a=b"), (" =x", " =x"), ("", ""), ("a-b", "a-b")])
def test_csv_cells_that_would_run_as_formulas_are_quoted(tmp_path: Path, cell: str, written: str):
    con = duckdb.connect()
    export_table(con, f"SELECT {quote_literal(cell)} AS text, [{quote_literal(cell)}] AS list", tmp_path / "t", ["csv"])
    with (tmp_path / "t.csv").open(encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["text"] == written
    assert row["list"] == json.dumps([cell])      # nested values are JSON text, which starts with [ or {


def test_json_columns_are_written_as_their_json_text(tmp_path: Path):
    con = duckdb.connect()
    export_table(con, """SELECT json_object('k', [1, 2], 'name', '=x') AS object, CAST('-5' AS JSON) AS number""",
                 tmp_path / "t", ["csv"])
    with (tmp_path / "t.csv").open(encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert json.loads(row["object"]) == {"k": [1, 2], "name": "=x"}
    assert row["number"] == "-5"                   # JSON text is guarded like any other text: a number is not


def test_non_finite_numbers_are_written_as_null(tmp_path: Path) -> None:
    con = duckdb.connect()
    query = "SELECT * FROM (VALUES (1, 'inf'::DOUBLE), (2, 'nan'::DOUBLE), (3, 2.5)) t(n, x) ORDER BY n"
    files = export_table(con, query, tmp_path / "t", ["parquet", "csv", "jsonl"])
    lines = files[2].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["x"] for line in lines] == [None, None, 2.5]   # "Infinity" is not JSON
    assert pq.read_table(files[0]).column("x").to_pylist() == [None, None, 2.5]
    assert files[1].read_text(encoding="utf-8").splitlines() == ["n,x", "1,", "2,", "3,2.5"]



def test_the_appender_writes_every_query_in_order_while_it_fetches_the_next(con, tmp_path: Path) -> None:
    target = tmp_path / "a.parquet"
    with ParquetAppender(target) as out:   # many batches per query: more than the writer's queue holds
        counts = [out.append(con, f"SELECT n, formula FROM t WHERE n % 3 = {k} ORDER BY n") for k in range(3)]
    assert counts == [100000, 100000, 100000]
    written = pq.read_table(target)
    assert written.column("n").to_pylist() == [n for k in range(3) for n in range(k, 300000, 3)]
    assert pq.ParquetFile(target).metadata.row_group(0).num_rows <= ParquetAppender.BATCH_ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet"]


def test_an_appender_whose_writer_fails_raises_and_leaves_no_file(con, tmp_path: Path) -> None:
    target = tmp_path / "a.parquet"
    # the writer thread's error, raised in the caller's
    with pytest.raises(Exception, match="schema"), ParquetAppender(target) as out:
        out.append(con, "SELECT n FROM t")
        out.append(con, "SELECT formula AS n FROM t")   # other columns than the file's
    assert list(tmp_path.iterdir()) == []


def test_an_error_in_the_block_leaves_no_file(con, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="stop"), ParquetAppender(tmp_path / "a.parquet") as out:
        out.append(con, "SELECT n FROM t")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


SPARK_CASES = """SELECT * FROM (VALUES
    (1, '=SUM(A1)', 'a "quoted", comma', CAST('inf' AS DOUBLE), DATE '2024-02-29', ['x', '=y']),
    (2, '+8613188271462', 'two\nlines', CAST(2.5 AS DOUBLE), NULL, []),
    (3, '', NULL, CAST('nan' AS DOUBLE), DATE '2024-01-01', NULL)) t(n, text, note, x, day, list)
    ORDER BY n"""
"""Formulas, quotes, commas and newlines, an empty string beside a NULL, non-finite numbers, dates, lists."""


@pytest.mark.spark
def test_spark_writes_the_rows_duckdb_writes(spark_engine, tmp_path: Path) -> None:
    duck = export_table(duckdb.connect(), SPARK_CASES, tmp_path / "duckdb" / "t", ["parquet", "csv", "jsonl"])
    spark = export_table(spark_engine, SPARK_CASES, tmp_path / "by-spark" / "t", ["parquet", "csv", "jsonl"])
    assert [p.name for p in spark] == [p.name for p in duck]
    assert spark[0].is_dir() and list(spark[0].glob("part-*.parquet"))        # a folder of parts
    assert sorted(p.name for p in (tmp_path / "by-spark").iterdir()) == ["t.csv", "t.jsonl", "t.parquet"]
    assert [p.name for p in spark[0].iterdir() if not p.name.startswith("part-")] == []   # no marker, no checksum
    assert pq.read_table(spark[0]).to_pylist() == pq.read_table(duck[0]).to_pylist()
    with spark[1].open(encoding="utf-8", newline="") as s, duck[1].open(encoding="utf-8", newline="") as d:
        assert list(csv.reader(s)) == list(csv.reader(d))
    assert ([json.loads(line) for line in spark[2].read_text(encoding="utf-8").splitlines()]
            == [json.loads(line) for line in duck[2].read_text(encoding="utf-8").splitlines()])
