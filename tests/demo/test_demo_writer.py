"""The text writer (CSV quoting, encodings, Parquet) and the doctests of the demo modules."""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linker.demo.writer import TableWriter, csv_bytes

MODULES = ["arrays", "names", "phones", "emails", "devices", "writer", "vocab", "generate"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"linker.demo.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_csv_quotes_only_where_needed_and_round_trips() -> None:
    table = pa.table({"a": ["plain", "a,b", 'say "x"', None, "line\nbreak", " 空格 "], "b": ["1"] * 6})
    data = csv_bytes(table, header=True)
    assert data.startswith(b'a,b\nplain,1\n"a,b",1\n')
    back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert back.a.tolist() == ["plain", "a,b", 'say "x"', "", "line\nbreak", " 空格 "]


def test_chunks_append_and_count_rows(tmp_path: Path) -> None:
    with TableWriter(tmp_path / "t", ["x", "y"], "csv") as w:
        w.write(pa.table({"y": ["1", "2"], "x": ["a", "b"]}))
        w.write(pa.table({"x": ["c"], "y": [None]}))
    assert w.rows == 3
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "x,y\na,1\nb,2\nc,\n"


def test_parquet_is_text_in_row_groups(tmp_path: Path) -> None:
    with TableWriter(tmp_path / "t", ["x"], "parquet") as w:
        w.write(pa.table({"x": ["张伟", None]}))
        w.write(pa.table({"x": ["3"]}))
    f = pq.ParquetFile(tmp_path / "t.parquet")
    assert f.schema_arrow == pa.schema([("x", pa.string())])
    assert f.read().column("x").to_pylist() == ["张伟", None, "3"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file_format"):
        TableWriter(tmp_path / "t", ["x"], "xlsx")
