"""normalize_identifiers on tables: same answers as the helpers, Python only on distinct leftovers, rules."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from linker.normalize import (
    IdentifierRules, NormalizedValue, Rule, normalize_identifiers, normalize_values, phones,
)

ROWS = [
    ("phone", "138 1234 5678"), ("phone", "+86 138-1234-5678"), ("phone", "13800138000"),
    ("phone", "010-12345678"), ("phone", "+44 20 7946 0000"), ("phone", "+44 20 7946 0000"),
    ("phone", "0044 20 7946 0000"), ("phone", "未知"), ("phone", None), ("phone", "12345"),
    ("phone", "+86 400 820 8820"), ("phone", "+8613800000000"), ("phone", "13900139000"),
    ("email", "Zhang.Wei+x@GoogleMail.com"), ("email", "test@163.com"), ("email", "bad@@x"),
    ("email", "service@shop.cn"),
    ("device", "IMEI: 86-753001-234567-2"), ("device", "00000000-0000-0000-0000-000000000000"),
    ("device", "iPhone"), ("fax", "010-12345678"), (None, "13812345678"),
]
SOURCE_COLUMNS = ["owner_kind", "owner_id", "id_type", "raw", "since", "_row", "_source"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """A connection with table ``source`` holding :data:`ROWS` in the identifier source layout."""
    con = duckdb.connect()
    con.execute("CREATE TABLE source (owner_kind VARCHAR, owner_id VARCHAR, id_type VARCHAR, raw VARCHAR, "
                "since DATE, _row BIGINT, _source VARCHAR)")
    con.executemany("INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [("customer", f"C{i}", t, raw, dt.date(2020, 1, 1), i, "customers.csv")
                     for i, (t, raw) in enumerate(ROWS, start=1)])
    return con


def _results(con: duckdb.DuckDBPyConnection, table: str = "identifiers") -> list[NormalizedValue]:
    rows = con.execute(f"SELECT value, kind, status, reason, rule_reason FROM {table} ORDER BY _row").fetchall()
    return [NormalizedValue(*row) for row in rows]


def test_table_gives_the_same_as_the_single_value_helpers(con: duckdb.DuckDBPyConnection) -> None:
    normalize_identifiers(con, "source", "identifiers")
    expected = [normalize_values(t, [raw])[0] if t is not None else normalize_values("?", [raw])[0]
                for t, raw in ROWS]
    assert _results(con) == expected


def test_output_columns_and_types(con: duckdb.DuckDBPyConnection) -> None:
    normalize_identifiers(con, "source", "identifiers")
    described = con.execute("DESCRIBE identifiers").fetchall()
    assert [(c[0], c[1]) for c in described] == [
        ("owner_kind", "VARCHAR"), ("owner_id", "VARCHAR"), ("id_type", "VARCHAR"), ("raw", "VARCHAR"),
        ("since", "DATE"), ("_row", "BIGINT"), ("_source", "VARCHAR"), ("value", "VARCHAR"),
        ("kind", "VARCHAR"), ("status", "VARCHAR"), ("reason", "VARCHAR"), ("rule_reason", "VARCHAR")]
    assert con.execute("SELECT count(*) FROM identifiers").fetchone() == (len(ROWS),)
    statuses = con.execute("SELECT DISTINCT status FROM identifiers").fetchall()
    assert {s for (s,) in statuses} == {"usable", "junk", "invalid"}
    assert con.execute("SELECT count(*) FROM identifiers WHERE (value IS NULL) <> (status <> 'usable') "
                       "OR (reason IS NULL) <> (status = 'usable')").fetchone() == (0,)


def test_any_source_column_name_passes_through(con: duckdb.DuckDBPyConnection) -> None:
    con.execute('CREATE TABLE odd AS SELECT id_type, raw, 1 AS "note ""x"" 2" FROM source')
    normalize_identifiers(con, "odd", "out")
    assert [c[0] for c in con.execute("DESCRIBE out").fetchall()][:3] == ["id_type", "raw", 'note "x" 2']


def test_unknown_id_type_is_invalid(con: duckdb.DuckDBPyConnection) -> None:
    normalize_identifiers(con, "source", "identifiers")
    got = con.execute("SELECT status, reason FROM identifiers WHERE id_type = 'fax' OR id_type IS NULL").fetchall()
    assert got == [("invalid", "unknown_id_type")] * 2


def test_only_distinct_leftovers_go_through_python(con: duckdb.DuckDBPyConnection,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = phones.parse_leftover

    def counting(text: str, region: str) -> phones.PhoneParse:
        calls.append(text)
        return original(text, region)

    monkeypatch.setattr(phones, "parse_leftover", counting)
    con.execute("INSERT INTO source SELECT owner_kind, owner_id || '-' || i, id_type, raw, since, _row + 100 * i, "
                "_source FROM source, range(1, 50) t(i)")
    normalize_identifiers(con, "source", "identifiers")
    # Chinese mobiles and landlines in any spelling are decided in SQL; only the foreign number and
    # the too-short Chinese number reach phonenumbers, once per distinct cleaned spelling.
    assert sorted(calls) == ["+442079460000", "00442079460000", "12345"]
    assert con.execute("SELECT count(*) FROM identifiers WHERE value = '+442079460000'").fetchone() == (150,)


def test_views_and_schema_qualified_names(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA work")
    con.execute("CREATE TEMP VIEW phones_only AS SELECT * FROM source WHERE id_type = 'phone'")
    normalize_identifiers(con, "phones_only", "work.identifiers")
    normalize_identifiers(con, "phones_only", "work.identifiers")  # replaced, not appended
    assert con.execute("SELECT count(*) FROM work.identifiers").fetchone() == (13,)
    assert not [n for (n,) in con.execute("SELECT view_name FROM duckdb_views() WHERE view_name LIKE '_linker%'")
                .fetchall()]


@pytest.mark.parametrize(("source", "target", "region", "message"), [
    ("source; DROP TABLE x", "out", "CN", "not a plain table name"),
    ("source", 'out"', "CN", "not a plain table name"),
    ("source", "out", "ZZ", "unknown phone region"),
    ("no_raw", "out", "CN", r"missing columns \['raw'\]"),
    ("has_value", "out", "CN", r"columns \['value'\] clash"),
])
def test_bad_arguments(con: duckdb.DuckDBPyConnection, source: str, target: str, region: str,
                       message: str) -> None:
    con.execute("CREATE TABLE no_raw AS SELECT id_type FROM source")
    con.execute("CREATE TABLE has_value AS SELECT *, raw AS value FROM source")
    with pytest.raises(ValueError, match=message):
        normalize_identifiers(con, source, target, region=region)


def test_rules_block_allow_and_keep_their_reason(con: duckdb.DuckDBPyConnection) -> None:
    rules = IdentifierRules.from_dict({
        "block": [{"type": "phone", "value": "138-0000-0000", "reason": "call centre"},
                  {"type": "email", "value": "service@shop.cn", "reason": "shop mailbox"},
                  {"type": "phone", "value": "  010-12345678 ", "reason": "switchboard"}],
        "allow": [{"type": "phone", "value": "13800138000", "reason": "really hers"},
                  {"type": "phone", "value": "12345", "reason": "allowed but invalid"},
                  {"type": "phone", "value": "010-12345678", "reason": "blocked wins"}],
    })
    normalize_identifiers(con, "source", "identifiers", rules=rules)
    got = {raw: r for (id_type, raw), r in zip(ROWS, _results(con)) if id_type in ("phone", "email")}
    assert got["+8613800000000"] == NormalizedValue(None, "mobile", "junk", "blocked_by_rule", "call centre")
    assert got["service@shop.cn"] == NormalizedValue(None, "email", "junk", "blocked_by_rule", "shop mailbox")
    assert got["010-12345678"] == NormalizedValue(None, "landline", "junk", "blocked_by_rule", "switchboard")
    assert got["13800138000"] == NormalizedValue("+8613800138000", "mobile", "usable", None, "really hers")
    assert got["12345"] == NormalizedValue(None, None, "invalid", "invalid_number", "allowed but invalid")
    assert got["138 1234 5678"].rule_reason is None
    fax = con.execute("SELECT status, rule_reason FROM identifiers WHERE id_type = 'fax'").fetchone()
    assert fax == ("invalid", None)


def test_rule_matches_the_raw_text_too(con: duckdb.DuckDBPyConnection) -> None:
    rules = IdentifierRules(blocked={"device": {"iPhone": "model name, not an ID"}})
    normalize_identifiers(con, "source", "identifiers", rules=rules)
    assert con.execute("SELECT status, reason, rule_reason FROM identifiers WHERE raw = 'iPhone'").fetchone() == (
        "junk", "blocked_by_rule", "model name, not an ID")


def test_rules_table_for_explanations() -> None:
    rules = IdentifierRules(blocked={"phone": {"+8613800000000": "call centre"}}, allowed={"email": {"a@b.cn"}})
    assert rules.rows() == [Rule("block", "phone", "+8613800000000", "call centre"),
                            Rule("allow", "email", "a@b.cn", "(no reason given)")]
    assert rules.reason_for("block", "phone", "+8613800000000") == "call centre"
    assert rules.reason_for("allow", "phone", "+8613800000000") is None
    assert bool(rules) and not IdentifierRules()


@pytest.mark.parametrize(("table", "problems"), [
    ({"block": [{"type": "fax", "value": "1"}]}, ["type 'fax' is not one of"]),
    ({"block": [{"type": "phone"}]}, ["value must be a non-empty string"]),
    ({"allow": [{"type": "email", "value": "a@b.cn", "why": "x"}]}, ["unknown keys ['why']"]),
    ({"deny": []}, ["unknown key 'deny'"]),
    ({"block": ["13800138000"]}, ["expected a table"]),
    ({"block": {"type": "phone"}}, ["expected a list of tables"]),
    ({"allow": [{"type": "phone", "value": "1", "reason": 7}]}, ["reason must be a string"]),
    ({"block": [{"type": "fax", "value": ""}], "allow": [{"value": "x"}]},
     ["block[0]: type 'fax'", "block[0]: value must", "allow[0]: type None"]),
])
def test_from_dict_reports_every_problem(table: dict, problems: list[str]) -> None:
    with pytest.raises(ValueError) as error:
        IdentifierRules.from_dict(table)
    for problem in problems:
        assert problem in str(error.value)


def test_from_dict_accepts_the_whole_document() -> None:
    doc = {"identifiers": {"block": [{"type": "phone", "value": "+8613800000000", "reason": "call centre"}]}}
    assert IdentifierRules.from_dict(doc).blocked == {"phone": {"+8613800000000": "call centre"}}


def test_rules_reject_unknown_id_types() -> None:
    with pytest.raises(ValueError, match="unknown id_type"):
        IdentifierRules(blocked={"fax": {"1"}})
