"""A generated corpus of hostile inputs: each case corrupts one table of a small, valid data set.

Every case knows, from how it was built, how many records its file holds and how many of them are corrupted,
so that the tests can check reconciliation against the file, not against linker's own counts. A case whose file
is unusable as a whole says which error it expects instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linker.errors import LinkerError

GOOD: dict[str, list[dict[str, str]]] = {
    "customers": [{"customer_id": f"C{i}", "name": n, "phones": f"1391234{i:04d}", "emails": f"user{i}@qq.com",
                   "birth_date": "1985-03-02", "city": "北京", "income": "12,000.50"}
                  for i, n in enumerate(["张伟", "李娜", "王芳", "刘洋", "陈静", "杨磊"], 1)],
    "accounts": [{"account_id": f"A{i}", "platform": "jd", "name": "zhang wei", "phones": f"861391234{i:04d}",
                  "registered_at": "2021-01-01 10:00:00", "last_seen_at": "2024-05-01"} for i in range(1, 7)],
    "transactions": [{"txn_id": f"T{i}", "customer_id": f"C{i}", "txn_time": "2024-05-01 12:00:00",
                      "amount": "99.50", "mcc": "5712", "merchant": "宜家"} for i in range(1, 7)],
    "purchases": [{"order_id": f"O{i}", "account_id": f"A{i}", "order_time": "2024-05-01 10:00:00",
                   "category": "家具/沙发", "amount": "¥3,999.00", "quantity": "1"} for i in range(1, 7)],
    "browsing": [{"event_id": f"E{i}", "account_id": f"A{i}", "event_time": "2024-05-01 10:00:00",
                  "category": "床垫", "action": "view", "dwell_seconds": "12"} for i in range(1, 7)],
}
TABLES = tuple(GOOD)
KEYS = {"customers": "customer_id", "accounts": "account_id", "transactions": "txn_id", "purchases": "order_id",
        "browsing": "event_id"}
TEXT_ROLE = {"customers": "name", "accounts": "name", "transactions": "merchant", "purchases": "category",
             "browsing": "category"}
NUMBER_ROLE = {"customers": "income", "accounts": None, "transactions": "amount", "purchases": "amount",
               "browsing": "dwell_seconds"}


@dataclass
class Case:
    """One hostile input: ``table`` in ``fmt`` written by ``write``; the file holds ``records`` records of which
    ``bad`` are to be quarantined (or the run is refused with ``error``)."""

    name: str
    table: str
    fmt: str
    write: Callable[[Path], None]
    records: int
    bad: int
    error: type[LinkerError] | None = None
    source: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.table}-{self.fmt}-{self.name}"


def csv_line(values: list[str]) -> str:
    out = []
    for v in values:
        out.append('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v)
    return ",".join(out)


def csv_bytes(header: list[str], lines: list[str], *, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([",".join(header), *lines]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _rows(table: str) -> tuple[list[str], list[list[str]]]:
    header = list(GOOD[table][0])
    return header, [[r[c] for c in header] for r in GOOD[table]]


def _write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def csv_cases(table: str) -> list[Case]:
    """Corruptions of the CSV text of ``table``: each breaks the third record (or the file)."""
    header, rows = _rows(table)
    good = [csv_line(r) for r in rows]
    n = len(good)
    text_col = header.index(TEXT_ROLE[table])
    cases: list[tuple[str, bytes, int, int]] = []

    def with_third(line: str) -> list[str]:
        return [*good[:2], line, *good[3:]]

    third = rows[2]
    cases.append(("unbalanced quote at a field's start", csv_bytes(header, with_third(
        csv_line(third[:1]) + ',"' + ",".join(third[1:]))), n, 1))
    cases.append(("two stray quotes on two lines", csv_bytes(header, [
        good[0], good[1], csv_line(third[:1]) + ',"' + ",".join(third[1:]), good[3],
        ",".join(rows[4][:-1]) + ',"x', good[5]]), n, 2))
    cases.append(("record missing fields", csv_bytes(header, with_third(csv_line(third[:2]))), n, 1))
    cases.append(("record with extra fields", csv_bytes(header, with_third(csv_line(third + ["x", "y"]))), n, 1))
    cases.append(("file cut inside its last record", csv_bytes(header, good)[:-8], n, 1))
    cases.append(("NUL and control bytes in a value", csv_bytes(header, with_third(csv_line(
        [*third[:text_col], "a\x00b\x1fc\x0bd", *third[text_col + 1:]]))), n, 0))
    cases.append(("lone carriage return in a value", csv_bytes(header, with_third(
        ",".join("a\rb" if i == text_col else csv_line([v]) for i, v in enumerate(third)))), n, 0))
    cases.append(("bytes that are not UTF-8", csv_bytes(header, good).replace(
        third[0].encode(), third[0].encode() + b"\xff\xfe", 1), n, 1))
    compared = table in ("customers", "accounts")   # the roles resolution compares are bounded: too_long
    cases.append(("a huge value", csv_bytes(header, with_third(csv_line(
        [*third[:text_col], "长" * 100_000, *third[text_col + 1:]]))), n, 1 if compared else 0))
    cases.append(("a record of 2 MB", csv_bytes(header, with_third(csv_line(
        [*third[:text_col], "x" * (2 << 20), *third[text_col + 1:]]))), n, 1))
    cases.append(("formula cells", csv_bytes(header, with_third(csv_line(
        [*third[:text_col], "=cmd|' /C calc'!A0", *third[text_col + 1:]]))), n, 0))
    cases.append(("CRLF, BOM and blank lines", csv_bytes(header, [*good[:3], "", *good[3:], ""], newline="\r\n",
                                                         bom=True), n, 0))
    cases.append(("a value over two lines", csv_bytes(header, with_third(csv_line(
        [*third[:text_col], "two\nlines", *third[text_col + 1:]]))), n, 0))
    cases.append(("duplicate and case-clashing columns, a column named _row",
                  csv_bytes([*header, header[0].upper(), header[1], "_row"], [g + ",x,y,z" for g in good]), n, 0))
    cases.append(("header only", csv_bytes(header, []), 0, 0))
    number = NUMBER_ROLE[table]
    if number:
        col = header.index(number)
        for label, value in (("an overflowing number", "1e400"), ("2^64", "18446744073709551616"),
                             ("a decimal comma", "1,5"), ("NaN", "nan")):
            cases.append((label, csv_bytes(header, with_third(csv_line([*third[:col], value, *third[col + 1:]]))),
                          n, 1))
    out = [Case(name, table, "csv", _write_bytes(data), records, bad) for name, data, records, bad in cases]
    out.append(Case("empty file", table, "csv", _write_bytes(b""), 0, 0, error=LinkerError))
    out.append(Case("random bytes", table, "csv", _write_bytes(bytes(range(256)) * 64), 0, 0, error=LinkerError))
    out.append(Case("GB18030 read as UTF-8", table, "csv", _write_bytes(
        "\n".join([",".join(header), *good]).encode("gb18030")), 0, 0,
        error=LinkerError if table in ("customers", "transactions", "purchases", "browsing") else None))
    return [c for c in out if not (c.name == "GB18030 read as UTF-8" and c.error is None)]


def jsonl_cases(table: str) -> list[Case]:
    good = [json.dumps(r, ensure_ascii=False) for r in GOOD[table]]
    n = len(good)
    third = GOOD[table][2]

    def with_third(line: str) -> bytes:
        return ("\n".join([*good[:2], line, *good[3:]]) + "\n").encode("utf-8")

    cases = [
        ("not JSON", with_third("{" + good[2]), 1),
        ("an array", with_third(json.dumps(list(third.values()))), 1),
        ("a control byte", with_third(good[2][:-1] + ', "x": "a\x1fb"}'), 1),
        ("a line of 2 MB", with_third(json.dumps({**third, "x": "y" * (2 << 20)})), 1),
        ("case-clashing keys, a key named _row", with_third(json.dumps({**third, KEYS[table].upper(): "Z",
                                                                         "_row": "r"})), 0),
        ("nested values and nulls", with_third(json.dumps({**third, TEXT_ROLE[table]: {"a": [1, None]},
                                                            "extra": None})), 0),
        ("bytes that are not UTF-8", with_third(good[2]).replace(third[KEYS[table]].encode(),
                                                                  third[KEYS[table]].encode() + b"\xff", 1), 1),
        ("blank lines", ("\n\n".join(good) + "\n\n").encode("utf-8"), 0),
        ("CRLF endings and a line of spaces", ("\r\n".join([*good[:3], " \t ", *good[3:]]) + "\r\n").encode("utf-8"),
         0),
        ("duplicate keys, escapes and numbers", with_third(_odd_object(table, third)), 0),
        ("NaN and a trailing comma", with_third(good[2][:-1] + ', "x": NaN, "y": -Infinity,}'), 0),
    ]
    return [Case(name, table, "jsonl", _write_bytes(data), n, bad) for name, data, bad in cases]


def _odd_object(table: str, record: dict[str, str]) -> str:
    """``record`` as a JSON object a parser may read otherwise: its key again (the first is read), its text role
    as \\u escapes, its number role as ``1e3``, a key needing quoting whose value is an array holding a null
    and an object, a number ``1.0`` and a nested object."""
    number = NUMBER_ROLE[table]
    parts = [f"{json.dumps(k)}: " + (json.dumps(v, ensure_ascii=True) if k == TEXT_ROLE[table] else
                                     "1e3" if k == number else json.dumps(v, ensure_ascii=False))
             for k, v in record.items()]
    parts += [f'{json.dumps(KEYS[table])}: "ignored"', '"a\\"b.c d": [1, null, {"k": 1.50}, "x"]', '"n": 1.0',
              '"o": {"k": [2E2, "\\u00e9"], "e": {}}']
    return "{" + ", ".join(parts) + "}"


def parquet_cases(table: str) -> list[Case]:
    header, rows = _rows(table)
    n = len(rows)

    def table_with(column: str, values: list, kind: pa.DataType, extra: dict | None = None) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            data = {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(header)}
            data[column] = pa.array(values, kind)
            for name, array in (extra or {}).items():
                data[name] = array
            pq.write_table(pa.table(data), path)
        return write

    text = TEXT_ROLE[table]
    names = [r[header.index(text)] for r in rows]
    cases = [
        Case("binary text", table, "parquet", table_with(text, [s.encode() for s in names], pa.binary()), n, 0),
        Case("binary that is not UTF-8", table, "parquet", table_with(
            text, [s.encode() if i != 2 else b"\xff\xfe" for i, s in enumerate(names)], pa.binary()), n, 1),
        Case("case-clashing columns, a column named _row", table, "parquet", table_with(
            text, names, pa.string(), {text.upper(): pa.array(["x"] * n), "_row": pa.array(["r"] * n)}), n, 0),
        Case("a truncated file", table, "parquet", lambda path: (table_with(text, names, pa.string())(path),
                                                                 path.write_bytes(path.read_bytes()[:-40])),
             0, 0, error=LinkerError),
    ]
    number = NUMBER_ROLE[table]
    if number:
        cases.append(Case("a uint64 beyond 2^63", table, "parquet", table_with(
            number, [1 if i != 2 else 2**64 - 1 for i in range(n)], pa.uint64()), n, 1))
    return cases


FULL = ("customers", "purchases")
"""Tables that get every corruption (an entity with free attributes; an event with an amount and a count)."""
STRUCTURAL = ("unbalanced quote at a field's start", "record missing fields", "bytes that are not UTF-8",
              "a record of 2 MB", "header only", "an overflowing number", "not JSON", "a line of 2 MB",
              "case-clashing keys, a key named _row", "empty file")
"""The corruptions the other tables get too (the whole corpus takes a minute on them all)."""


def all_cases() -> list[Case]:
    cases = [c for t in TABLES for c in (*csv_cases(t), *jsonl_cases(t), *parquet_cases(t))]
    return [c for c in cases if c.table in FULL or c.fmt == "parquet" or c.name in STRUCTURAL]


def write_inputs(folder: Path, case: Case) -> dict:
    """The tables of :data:`GOOD` that ``case``'s table needs (customers and accounts are always read), with
    ``case``'s table corrupted; returns the run config."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = {}
    for table in dict.fromkeys(("customers", "accounts", case.table)):
        if table == case.table:
            path = folder / f"{table}.{case.fmt}"
            case.write(path)
        else:
            header, rows = _rows(table)
            path = folder / f"{table}.csv"
            path.write_bytes(csv_bytes(header, [csv_line(r) for r in rows]))
        sources[table] = {"path": str(path), **(case.source if table == case.table else {})}
    return {"sources": sources, "output": {"dir": str(folder / "out"), "graph_store": False,
                                           "formats": ["parquet", "csv"]}}
