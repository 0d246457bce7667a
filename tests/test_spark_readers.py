"""The Spark readers: every hostile input (CSV, JSON Lines, Parquet) ingests on Spark local[2] as on DuckDB (same
accepted rows, same quarantine rows with reasons, record numbers and record text, same reconciliation), or is
refused alike."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from linker.config import SourceConfig, load_config
from linker.engine import DuckDBEngine
from linker.ingest import ingest
from linker.ingest.readers import load_raw
from tests.engine.stages import table_rows
from tests.hostile.corpus import Case, all_cases, write_inputs
from tests.tiny import CUSTOMERS

pytestmark = pytest.mark.spark

CASES = [c for c in all_cases() if c.table == "customers" or (
    c.table == "purchases" and c.fmt == "csv" and c.name in (
        "an overflowing number", "2^64", "a decimal comma", "NaN", "lone carriage return in a value",
        "formula cells"))]


IN_EVERY_RUN = {
    ("customers", "csv"): {"unbalanced quote at a field's start", "record missing fields", "a value over two lines",
                           "file cut inside its last record", "bytes that are not UTF-8",
                           "duplicate and case-clashing columns, a column named _row"},
    ("customers", "jsonl"): {"duplicate keys, escapes and numbers", "NaN and a trailing comma"},
    ("customers", "parquet"): {"binary that is not UTF-8", "case-clashing columns, a column named _row"},
    ("purchases", "csv"): {"NaN", "formula cells"},
}
"""The cases every test run (CI's too) gives Spark: one or more per reader path. The others, each a Spark ingest
of its own, run with ``pytest -m spark_corpus``; every case runs on DuckDB in tests/hostile."""


def _spark_case(case: Case) -> object:
    if case.name in IN_EVERY_RUN.get((case.table, case.fmt), set()):
        return case
    return pytest.param(case, marks=pytest.mark.spark_corpus)


@pytest.mark.parametrize("case", [_spark_case(c) for c in CASES], ids=[c.id for c in CASES])
def test_a_hostile_input_ingests_alike_on_both_engines(spark_session, tmp_path: Path, case: Case) -> None:
    from linker.engine.spark import SparkEngine

    config = load_config(write_inputs(tmp_path, case))
    duck = DuckDBEngine(duckdb.connect())
    spark = SparkEngine(spark_session, tmp_path / "spark")
    try:
        if case.error is not None:
            with pytest.raises(case.error) as on_duckdb:
                ingest(duck, config, workdir=tmp_path / "work-duckdb")
            with pytest.raises(case.error) as on_spark:
                ingest(spark, config, workdir=tmp_path / "work-spark")
            assert str(on_spark.value) == str(on_duckdb.value)
            return
        reports = [ingest(e, config, workdir=tmp_path / f"work-{e.name}") for e in (duck, spark)]
        assert reports[1] == reports[0]
        for table in (case.table, "quarantine"):
            assert table_rows(spark, table) == table_rows(duck, table), table
    finally:
        spark.close()
        duck.close()


HOSTILE_LINES = [
    b'{"id": "1", "phones": ["1", "2"], "n": 1e3, "m": 1.0, "big": 123456789012345678901234567890}',
    b"",
    b"[1, 2]",                                                  # an array: not an object
    b"not json",
    b'"a string"',
    b'{"id": 2, "extra": {"k": 1.50, "s": "\\u00e9\\t\\/", "l": []}, "n": -0.0, "id": 3}',   # duplicate key
    b"  \t ",
    b'{"a\\"b": null, "ID": "x", "_row": "r", "n": NaN, "m": -Infinity,}',   # case clash, reserved name
    b'{"id": "bad \xff bytes"}',                               # not UTF-8
    b'{"id": "x\x1fy"}',                                       # a control byte inside a string
    b'{"id": "\\ud800"}',                                       # a lone surrogate
    b'{"id": "4", "phones": [null, [1, {"k": null}], true, 2E2, ""], "a.b `c` d": false, "\\u738b": "k",'
    b' "": "the empty key", "a/b~1": 1}',
    b"{}",
    b'{"id": "5", "phones": [], "extra": null}',
    b'{"id": "6"} trailing text',
    b'{"id": "7", "late": "first seen last"}',
]


def _raw_rows(engine, raw) -> tuple:
    from linker.sql import quote_ident

    columns = "".join(f"{quote_ident(c)}, " for c in raw.columns)
    return (raw.columns, raw.records,
            engine.rows(f"SELECT {columns}_row, _line, _source FROM {raw.table} ORDER BY _row"),
            engine.rows(f"SELECT _row, _line, record, detail FROM {raw.malformed} ORDER BY _row"))


@pytest.mark.parametrize(("encoding", "newline"), [("utf-8", b"\n"), ("utf-8", b"\r\n"), ("gb18030", b"\n")])
def test_json_lines_read_alike_on_both_engines(spark_engine, tmp_path: Path, encoding: str, newline: bytes) -> None:
    """Every kind of line, read by DuckDB's reader and by the Spark executors: the same columns, rows (text of
    numbers, nested objects, arrays, escapes), quarantined lines with their numbers and reasons, record count."""
    lines = [line.decode("utf-8", errors="replace").encode(encoding) if encoding != "utf-8" else line
             for line in HOSTILE_LINES if encoding == "utf-8" or b"\xff" not in line]
    path = tmp_path / "accounts.jsonl"
    path.write_bytes(newline.join(lines))   # the last line has no line break
    source = SourceConfig(path=path, encoding=encoding)
    duck = DuckDBEngine(duckdb.connect())
    expected = _raw_rows(duck, load_raw(duck, "accounts", source, workdir=tmp_path / "work-duckdb"))
    duck.close()
    got = _raw_rows(spark_engine, load_raw(spark_engine, "accounts", source, workdir=tmp_path / "work-spark"))
    assert got == expected
    assert len(expected[3]) >= 5 and "late" in expected[0]   # the hostile lines were read as such


@pytest.mark.parametrize("content", [b"", b"\n \n\n", b"[1]\nnot json\n{}\n"],
                         ids=["empty", "blank lines", "no key"])
def test_json_lines_with_no_key_read_alike(spark_engine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "accounts.jsonl"
    path.write_bytes(content)
    duck = DuckDBEngine(duckdb.connect())
    expected = _raw_rows(duck, load_raw(duck, "accounts", SourceConfig(path=path), workdir=tmp_path / "w"))
    duck.close()
    assert _raw_rows(spark_engine, load_raw(spark_engine, "accounts", SourceConfig(path=path),
                                            workdir=tmp_path / "w")) == expected
    assert expected[0] == []


def test_json_lines_over_many_batches_keep_the_keys_in_first_seen_order(spark_engine, tmp_path: Path) -> None:
    """Lines parsed over several Arrow batches: the keys are ordered by the line that first holds them, the rows
    and the broken lines are those of DuckDB's reader."""
    path = tmp_path / "accounts.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(1, 30_001):
            f.write("not json\n" if i % 997 == 0 else
                    f'{{"id": "{i}", "k{i // 10_000}": {i}, "z": [{i}, null]}}\n' if i % 7 else "\n")
    duck = DuckDBEngine(duckdb.connect())
    expected = _raw_rows(duck, load_raw(duck, "accounts", SourceConfig(path=path), workdir=tmp_path / "w"))
    duck.close()
    assert _raw_rows(spark_engine, load_raw(spark_engine, "accounts", SourceConfig(path=path),
                                            workdir=tmp_path / "w")) == expected
    assert expected[0] == ["id", "k0", "z", "k1", "k2", "k3"]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_files_and_dataframes_ingest_alike(spark_engine, dataset, tmp_path: Path, fmt: str) -> None:
    config = load_config(dataset(fmt))
    frames = {"customers": CUSTOMERS}
    duck = DuckDBEngine(duckdb.connect())
    reports = [ingest(e, config, frames=frames, workdir=tmp_path / f"work-{e.name}") for e in (duck, spark_engine)]
    assert reports[1] == reports[0]
    assert reports[0].tables["customers"].source == "<dataframe>"
    for table in ("customers", "accounts", "purchases", "browsing", "quarantine"):
        assert table_rows(spark_engine, table) == table_rows(duck, table), table
    duck.close()
