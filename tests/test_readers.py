import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from linker.config import SourceConfig
from linker.errors import InputError
from linker.ingest.readers import load_raw, source_columns
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
    good = con.execute(f"SELECT id, name, _row, _line FROM {raw.table} ORDER BY _row").fetchall()
    assert good == [("1", "a", 1, 2), ("4", "multi\nline", 4, 5)]
    # one row per record, with the line it starts on and its whole text; the open quote breaks its own record
    assert con.execute(f"SELECT _row, _line, record, detail FROM {raw.malformed} ORDER BY _row").fetchall() == [
        (2, 3, "2,b,extra", "the record has 3 fields, the header has 2"),
        (3, 4, "3", "the record has 1 fields, the header has 2"),
        (5, 7, '5,"open', "a quoted value is not closed")]
    assert raw.records == 5


def test_jsonl_bad_lines_and_arrays(con, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "phones": ["1", "2"]}\n\n[1,2]\nnot json\n{"id": 2, "extra": {"k": 1}}\n',
                    encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == ["id", "phones", "extra"]
    rows = con.execute(f"SELECT id, phones, extra, _row FROM {raw.table} ORDER BY _row").fetchall()
    assert rows == [("1", "1;2", None, 1), ("2", None, '{"k":1}', 5)]
    assert con.execute(f"SELECT _line, record FROM {raw.malformed} ORDER BY _row").fetchall() == [
        (3, "[1,2]"), (4, "not json")]
    assert raw.records == 4


def test_any_json_key_is_read_the_empty_one_too(con, tmp_path: Path) -> None:
    keys = ["", "a/b", "~1", 'a"b', "a\\b", "a.b", "$", "[0]", "*", "王"]
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({k: f"v{i}" for i, k in enumerate(keys)}) + "\n", encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == ["column1", *keys[1:]]
    assert con.execute(f"SELECT * EXCLUDE (_row, _line, _source) FROM {raw.table}").fetchall() == [
        tuple(f"v{i}" for i in range(len(keys)))]


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


def test_an_unbalanced_quote_breaks_its_own_record_only(con, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,name\n1,a\n2,"bad\n' + "".join(f"{i},x\n" for i in range(3, 2001)), encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT count(*) FROM {raw.table}").fetchall()[0][0] == 1999
    assert con.execute(f"SELECT _row, _line, record FROM {raw.malformed}").fetchall() == [(2, 3, '2,"bad')]
    assert raw.records == 2000


def test_a_record_missing_fields_is_one_malformed_row_kept_whole(con, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    long = "x" * 5000
    path.write_text(f"a,b,c,d,e\n1\n2,{long}\n", encoding="utf-8")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT _row, record, detail FROM {raw.malformed} ORDER BY _row").fetchall() == [
        (1, "1", "the record has 1 fields, the header has 5"), (2, f"2,{long}", "the record has 2 fields, the header has 5")]


@pytest.mark.parametrize(("content", "line", "detail"), [
    (b'{"id": "1\x1f"}', 2, "not a JSON object"),                           # a control byte: read, refused
    (b'{"id": "' + b"x" * (17 << 20) + b'"}', 2, "more than the limit"),   # 17 MB
])
def test_a_bad_json_line_is_quarantined_and_the_others_read(con, tmp_path: Path, content: bytes, line: int,
                                                            detail: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "0"}\n' + content + b'\n{"id": "2"}\n')
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT id FROM {raw.table} ORDER BY _row").fetchall() == [("0",), ("2",)]
    (got_line, got_detail, size), = con.execute(f"SELECT _line, detail, strlen(record) FROM {raw.malformed}").fetchall()
    assert (got_line, size) == (line, len(content)) and detail in got_detail


def test_a_lone_carriage_return_is_data(con, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,name\n1,a\rb\n2,c\r\n")    # DuckDB's own reader stopped at the lone \r
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT id, name FROM {raw.table} ORDER BY _row").fetchall() == [("1", "a\rb"), ("2", "c")]


def test_utf16_without_byte_order_mark_is_one_clear_message(con, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("id,name\n1,a\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="utf-16-le or utf-16-be"):
        load_raw(con, "accounts", SourceConfig(path=path, encoding="utf-16"), workdir=tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_column_names_that_clash_are_made_unique(con, tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame([["a", "A", "r", "s"]], columns=["name", "NAME", "_row", "_source"])
    path = tmp_path / f"a.{fmt}"
    if fmt == "jsonl":
        path.write_text('{"name": "a", "NAME": "A", "_row": "r", "_source": "s"}\n', encoding="utf-8")
    else:
        write_table(frame, path)
    expected = ["name", "NAME_2", "_row_2", "_source_2"]
    assert source_columns(SourceConfig(path=path)) == expected
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert raw.columns == expected
    assert con.execute(f"SELECT name, NAME_2, _row_2, _source_2, _row FROM {raw.table}").fetchall() == [
        ("a", "A", "r", "s", 1)]


def test_parquet_binary_text_is_decoded_and_bytes_that_are_not_utf8_are_malformed(con, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "name": pa.array(["李娜".encode(), b"\xff"], pa.binary())}), path)
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    assert con.execute(f"SELECT id, name FROM {raw.table}").fetchall() == [("1", "李娜")]
    assert con.execute(f"SELECT _row, detail FROM {raw.malformed}").fetchall() == [
        (2, "column name holds bytes that are not UTF-8")]
    assert raw.records == 2


CELL = st.text(alphabet=st.sampled_from(list('ab,"\n\r 张;') + ["\t"]), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8))
def test_any_table_written_by_the_csv_module_reads_back_the_same(con, tmp_path: Path, rows: list[list[str]]) -> None:
    import csv
    import io

    # the csv module leaves a value ending in \r unquoted at the end of a row: read as a \r\n line break
    assume(not any(row[-1].endswith("\r") for row in rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    path = tmp_path / "t.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path)
    got = con.execute(f"SELECT a, b, c FROM {raw.table} ORDER BY _row").fetchall()
    assert got == [tuple(v or None for v in row) for row in rows]     # an empty value is null
    assert raw.records == len(rows)
    assert con.execute(f"SELECT count(*) FROM {raw.malformed}").fetchall()[0][0] == 0
