"""Fuzzing the readers with hypothesis: any bytes read as records that reconcile, or one InputError."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linker.config import SourceConfig
from linker.errors import InputError
from linker.ingest.readers import load_raw

PIECES = st.sampled_from([b"id", b"name", b"1", b"x", b",", b";", b'"', b'""', b"\n", b"\r", b"\r\n", b" ", b"{",
                          b"}", b"[", b"]", b":", b'"k"', "张".encode(), b"\x00", b"\x1f", b"\xff", b"\xef\xbb\xbf"])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=st.sampled_from([b"id,name\n", b'{"id": "1", "name": "a"}\n', b""]), parts=st.lists(PIECES, max_size=40))
def test_any_bytes_reconcile_or_are_refused_in_one_message(tmp_path: Path, suffix: str, head: bytes,
                                                           parts: list[bytes]) -> None:
    path = tmp_path / f"f{suffix}"
    path.write_bytes(head + b"".join(parts))
    con = duckdb.connect()
    try:
        raw = load_raw(con, "accounts", SourceConfig(path=path), workdir=tmp_path / "work")
    except InputError:
        return
    rows = con.execute(f"SELECT count(*) FROM {raw.table}").fetchall()[0][0]
    malformed = con.execute(f"SELECT count(*) FROM {raw.malformed}").fetchall()[0][0]
    assert rows + malformed == raw.records
