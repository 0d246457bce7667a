from pathlib import Path

import duckdb
import pandas as pd
import pytest

from linker.config import SourceConfig
from linker.errors import InputError
from linker.readers import load_raw, source_columns

from tests.tiny import CUSTOMERS, write_table


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_every_format_reads_the_same_text(con, tmp_path: Path, fmt: str) -> None:
    path = write_table(CUSTOMERS, tmp_path / f"customers.{fmt}")
    raw = load_raw(con, "customers", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == list(CUSTOMERS.columns)
    rows = con.execute(f"SELECT customer_id, name, phones, _row, _source FROM {raw.table} ORDER BY _row").fetchall()
    assert [r[:2] for r in rows] == [("C1", "张伟"), ("C2", "李娜"), ("C3", "王芳")]
    assert rows[1][2] == "13912345678;021-87654321"
    assert [r[3] for r in rows] == [1, 2, 3]
    assert rows[0][4] == f"customers.{fmt}"


def test_dataframe_source(con, tmp_path: Path) -> None:
    raw = load_raw(con, "customers", SourceConfig(), frame=CUSTOMERS, workdir=tmp_path)
    assert raw.source == "<dataframe>"
    assert con.execute(f"SELECT count(*) FROM {raw.table}").fetchall()[0][0] == 3


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16"])
def test_chinese_encodings_are_transcoded(con, tmp_path: Path, encoding: str) -> None:
    path = write_table(CUSTOMERS, tmp_path / "customers.csv", encoding=encoding)
    raw = load_raw(con, "customers", SourceConfig(path=path, encoding=encoding), workdir=tmp_path / "work")
    names = [n for (n,) in con.execute(f"SELECT name FROM {raw.table} ORDER BY _row").fetchall()]
    assert names == ["张伟", "李娜", "王芳"]


def test_undecodable_file_names_file_and_line(con, tmp_path: Path) -> None:
    path = write_table(CUSTOMERS, tmp_path / "customers.csv", encoding="gb18030")
    with pytest.raises(InputError) as excinfo:
        load_raw(con, "customers", SourceConfig(path=path), workdir=tmp_path)
    message = str(excinfo.value)
    assert "customers.csv" in message and "line 2" in message and "gb18030" in message


def test_utf8_bom_is_not_part_of_the_first_column(con, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeffcustomer_id,name\nC1,张伟\n".encode("utf-8"))
    assert source_columns(SourceConfig(path=path))[0] == "customer_id"
    raw = load_raw(con, "customers", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == ["customer_id", "name"]


def test_malformed_csv_records_are_returned_with_their_line(con, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,name\n1,a\n2,b,extra\n3\n4,"multi\nline"\n5,"open\n', encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    good = con.execute(f"SELECT id, name FROM {raw.table} ORDER BY _row").fetchall()
    assert good == [("1", "a"), ("4", "multi\nline")]
    # the parser counts records: the two-line record before the open quote counts once
    assert [m.line for m in raw.malformed] == [3, 4, 6]


def test_jsonl_bad_lines_and_arrays(con, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "phones": ["1", "2"]}\n\n[1,2]\nnot json\n{"id": 2, "extra": {"k": 1}}\n',
                    encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == ["id", "phones", "extra"]
    rows = con.execute(f"SELECT id, phones, extra, _row FROM {raw.table} ORDER BY _row").fetchall()
    assert rows == [("1", "1;2", None, 1), ("2", None, '{"k":1}', 5)]
    assert [m.line for m in raw.malformed] == [3, 4]


def test_parquet_list_columns_become_separated_text(con, tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pd.DataFrame({"customer_id": ["C1"], "phones": [["138", "139"]]}).to_parquet(path)
    raw = load_raw(con, "customers", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT phones FROM {raw.table}").fetchall()[0][0] == "138;139"


@pytest.mark.parametrize(("content", "suffix", "expected"), [
    (None, ".csv", "file not found"),
    (b"", ".csv", "the file is empty"),
    (b"not parquet", ".parquet", "not a readable Parquet file"),
])
def test_unusable_files(tmp_path: Path, content: bytes | None, suffix: str, expected: str) -> None:
    path = tmp_path / f"c{suffix}"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        source_columns(SourceConfig(path=path))
