"""Records found from a file's bytes: broken quotes cost their own record, every line is accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from linker.errors import InputError
from linker.ingest.framing import Framing, frame_records

CASES = [
    # name, file bytes, [(line, record text, problem)], (header, lines, records, blank)
    ("unbalanced quote", b'a,b,c\n1,x,y\n2,"bad,z\n3,x,y\n4,x,y\n',
     [(2, "1,x,y", None), (3, '2,"bad,z', "a quoted value is not closed"), (4, "3,x,y", None), (5, "4,x,y", None)],
     ("a,b,c", 5, 4, 0)),
    ("value over lines", b'a,b,c\n1,"ab\ncd",y\n\n2,x\n', [(2, '1,"ab\ncd",y', None), (5, "2,x", None)],
     ("a,b,c", 5, 2, 1)),
    ("a later quote closes it", b'a,b,c\n1,"x,y\n2,x,y\n3,x,"z\n4,x,y\n',
     [(2, '1,"x,y', "text follows the closing quote of a value"), (3, "2,x,y", None),
      (4, '3,x,"z', "a quoted value is not closed"), (5, "4,x,y", None)], ("a,b,c", 5, 4, 0)),
    ("too many fields over lines", b'a,b,c\n3,"p\nq\nr",y,extra\n4,x,y\n',
     [(2, '3,"p', "a quoted value runs over several lines and leaves 4 fields where the header has 3"),
      (3, "q", None), (4, 'r",y,extra', None), (5, "4,x,y", None)], ("a,b,c", 5, 4, 0)),
    ("literal quotes", b'a,b\n5\'11",y\nx"y,z\n', [(2, "5'11\",y", None), (3, 'x"y,z', None)], ("a,b", 3, 2, 0)),
    ("lone CR is data", b"a,b,c\n1,x\ry,z\n", [(2, "1,x\ry,z", None)], ("a,b,c", 2, 1, 0)),
    ("CR line breaks", b"a,b\r1,x\r2,y\r", [(2, "1,x", None), (3, "2,y", None)], ("a,b", 3, 2, 0)),
    ("CRLF and blank lines", b"\r\na,b\r\n1,x\r\n\r\n2,y", [(3, "1,x", None), (5, "2,y", None)], ("a,b", 5, 2, 2)),
    ("byte order mark", b"\xef\xbb\xbfa,b\n1,x\n", [(2, "1,x", None)], ("a,b", 2, 1, 0)),
    ("quote open at the end", b'a,b\n1,"x', [(2, '1,"x', "a quoted value is not closed")], ("a,b", 2, 1, 0)),
    ("header over lines", b'a,"b\nb"\n1,x\n', [(3, "1,x", None)], ('a,"b\nb"', 3, 1, 0)),
]


def frame(tmp_path: Path, data: bytes, chunk: int = 1 << 20, quotes: bool = True) -> tuple[Framing, list]:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    framing = Framing(quotes=quotes)
    rows = [(r["_line"], r["record"].rstrip("\r\n"), r["problem"])
            for batch in frame_records(path, framing, chunk_bytes=chunk) for r in batch.to_pylist()]
    framing.check(path)
    return framing, rows


@pytest.mark.parametrize(("name", "data", "records", "counts"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("chunk", [1 << 20, 5, 1])
def test_records_lines_and_problems(tmp_path: Path, name: str, data: bytes, records: list, counts: tuple,
                                    chunk: int) -> None:
    framing, rows = frame(tmp_path, data, chunk)
    assert rows == records
    assert (framing.header, framing.lines, framing.records, framing.blank) == counts


def test_bytes_that_are_not_utf8_break_their_record_only(tmp_path: Path) -> None:
    data = b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(20)) + b"99,caf\xe9\n"
    framing, rows = frame(tmp_path, data)
    assert rows[-1] == (22, "99,caf?", "holds bytes that are not UTF-8 (b'\\xe9', shown as ?)")
    assert framing.records == 21


def test_a_file_in_another_encoding_is_refused_with_its_first_bad_line(tmp_path: Path) -> None:
    data = "a,b\n1,x\n2,张伟\n3,李娜\n".encode("gb18030")
    with pytest.raises(InputError, match=r"set `encoding`.*line 3"):
        frame(tmp_path, data)


def test_a_record_longer_than_the_limit_is_broken(tmp_path: Path) -> None:
    _, rows = frame(tmp_path, b"a\n" + b"x" * (1 << 20 | 1) + b"\n2\n")
    assert rows[0][2] == "the record is 1,048,577 bytes long, more than the limit of 1,048,576"
    assert rows[1] == (3, "2", None)


def test_json_lines_have_no_quotes(tmp_path: Path) -> None:
    framing, rows = frame(tmp_path, b'{"a": "x\n{"a": 1}\n\n', quotes=False)
    assert rows == [(1, '{"a": "x', None), (2, '{"a": 1}', None)]
    assert (framing.header, framing.lines, framing.records, framing.blank) == (None, 3, 2, 1)


ALPHABET = st.sampled_from([b"a", b"1", b",", b'"', b"\n", b"\r", b"\r\n", b" ", "张".encode(), b"\x00"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(ALPHABET, max_size=60), chunk=st.integers(1, 40))
@example(parts=[b"\r", b"a", b"\n", b'"', b"\n", b'"', b"a"], chunk=1)   # a first line starting with \r
@example(parts=[b'"', b'"', b'"', b"\n", b'"'], chunk=1)   # a chunk ending after """ inside a quoted header
@example(parts=[b'"', b"\n", b'"', b"\r\n"], chunk=1)   # a chunk ending between a closing quote's \r and \n
def test_any_bytes_frame_the_same_in_any_chunks_and_lose_no_line(tmp_path: Path, parts: list[bytes],
                                                                  chunk: int) -> None:
    data = b"".join(parts)

    def outcome(size: int) -> object:
        try:
            return frame(tmp_path, data, size)   # framing.check: every line in a record, blank or the header
        except InputError as e:                  # a header that does not read refuses the file
            assert "cannot read the header" in str(e)
            return str(e)

    assert outcome(chunk) == outcome(1 << 20)
