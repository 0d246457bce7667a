"""Customer parts: the enrichment built one customer range at a time gives the same tables as in one go."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from tests.enrich.enrich_run import AS_OF, RunBuilder, busy_run

from linker.config import EnrichmentConfig
from linker.enrich import enrich, profiles
from linker.enrich.parts import (
    PARTITION_FLUSH_ROWS,
    WHOLE,
    CustomerPart,
    customer_parts,
    merge_parts,
    part_number,
    read_parts,
    write_parts,
)

def _table(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """The rows, JSON text parsed (the keys of a JSON object come in any order)."""
    def value(v: object) -> object:
        return json.loads(v) if isinstance(v, str) and v[:1] in ("{", "[") else v

    return [tuple(value(v) for v in row) for row in con.execute(f"SELECT * FROM {table}").fetchall()]


def _four_parts_of_100_customers() -> tuple[duckdb.DuckDBPyConnection, list[CustomerPart]]:
    """A connection holding customers C000..C099, and those split into four parts."""
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT 'C' || lpad(CAST(i AS VARCHAR), 3, '0') AS customer_id "
                "FROM range(100) t(i)")
    return con, customer_parts(con, events=1000, events_per_part=300)


def test_parts_cover_every_id_once() -> None:
    con, parts = _four_parts_of_100_customers()
    assert len(parts) == 4
    assert parts[0].low is None and parts[-1].high is None
    assert all(a.high == b.low for a, b in zip(parts, parts[1:]))
    for customer_id in ("A", "C000", "C050", "C099", "Z"):   # ids outside the customers table too
        assert sum(con.execute(f"SELECT {p.where(repr(customer_id))}").fetchall()[0][0] for p in parts) == 1


def test_one_part_when_the_events_fit() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT 'C1' AS customer_id")
    assert customer_parts(con, events=10, events_per_part=100) == [WHOLE]
    assert customer_parts(con, events=0, events_per_part=100) == [WHOLE]


def test_where_quotes_the_bounds() -> None:
    assert CustomerPart("it's", None).where() == "customer_id >= 'it''s'"


@pytest.mark.parametrize(("events_per_part", "in_folder"), [(1, True), (25, True), (25, False)])
def test_parts_give_the_same_tables_in_customer_order(events_per_part: int, in_folder: bool, tmp_path: Path
                                                      ) -> None:
    whole = busy_run(RunBuilder(duckdb.connect()))
    counts_whole = enrich(whole, EnrichmentConfig(as_of=AS_OF), workdir=tmp_path / "whole")
    parted = busy_run(RunBuilder(duckdb.connect()))
    counts_parted = enrich(parted, EnrichmentConfig(as_of=AS_OF, events_per_part=events_per_part),
                           workdir=tmp_path / "parted" if in_folder else None)

    assert counts_whole["customer parts"] == 1 and counts_parted["customer parts"] > 1
    assert counts_parted["customer events"] == counts_whole["customer events"] > 0
    for table in ("customer_events", "aggregates", "profiles", "signals", "signal_events"):
        assert sorted(_table(parted, table), key=repr) == sorted(_table(whole, table), key=repr), table
    # written part after part, each sorted: sorted as a whole (the export relies on it)
    ids = [r[0] for r in parted.execute("SELECT customer_id FROM profiles").fetchall()]
    assert ids == sorted(ids) and ids
    keys = parted.execute("SELECT customer_id, need FROM signals").fetchall()
    assert keys == sorted(keys) and keys
    keys = parted.execute("SELECT customer_id, need FROM signal_events").fetchall()
    assert keys == sorted(keys) and keys


def test_merged_parts_cover_every_id_once_in_the_ranges_given() -> None:
    con, parts = _four_parts_of_100_customers()
    for count in (1, 2, 3, 4, 9):
        merged = merge_parts(parts, count)
        assert len(merged) == min(count, len(parts))
        assert merged[0].low is None and merged[-1].high is None
        assert all(a.high == b.low for a, b in zip(merged, merged[1:]))
        assert {p.low for p in merged} <= {p.low for p in parts}   # boundaries of the parts given
        for customer_id in ("A", "C000", "C050", "C099", "Z"):
            assert sum(con.execute(f"SELECT {p.where(repr(customer_id))}").fetchall()[0][0] for p in merged) == 1


def test_profiles_in_parts_of_fewer_customers_give_the_same_table(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    """Profiles join the enrichment's parts into parts of CUSTOMERS_PER_PART customers: with a small one, the
    profiles are built in several parts, and they are the profiles built in one go."""
    whole = busy_run(RunBuilder(duckdb.connect()))
    enrich(whole, EnrichmentConfig(as_of=AS_OF), workdir=tmp_path / "whole")
    merged: list[list[CustomerPart]] = []
    merge = profiles.merge_parts
    monkeypatch.setattr(profiles, "merge_parts", lambda parts, count: merged.append(merge(parts, count)) or merged[-1])
    monkeypatch.setattr(profiles, "CUSTOMERS_PER_PART", 2)
    parted = busy_run(RunBuilder(duckdb.connect()))
    counts = enrich(parted, EnrichmentConfig(as_of=AS_OF, events_per_part=1), workdir=tmp_path / "parted")

    assert 1 < len(merged[0]) < counts["customer parts"]
    assert sorted(_table(parted, "profiles"), key=repr) == sorted(_table(whole, "profiles"), key=repr)
    ids = [r[0] for r in parted.execute("SELECT customer_id FROM profiles").fetchall()]
    assert ids == sorted(ids) and ids


def test_each_part_is_written_to_its_own_folder(tmp_path: Path) -> None:
    """A part's range filter then reads its own files only (the Parquet reader skips the others' row groups)."""
    con, parts = _four_parts_of_100_customers()
    query = "SELECT customer_id, i AS n FROM customers, range(3) t(i)"
    assert write_parts(con, query, parts, tmp_path / "events") == 300
    assert sorted(p.name for p in (tmp_path / "events").iterdir()) == [f"_part={i}" for i in range(len(parts))]
    for i, part in enumerate(parts):
        files = (tmp_path / "events" / f"_part={i}").as_posix() + "/*.parquet"
        outside = con.execute(f"SELECT count(*) FROM read_parquet('{files}') WHERE NOT ({part.where()})")
        assert outside.fetchall()[0][0] == 0
    assert con.execute(f"SELECT count(*), count(DISTINCT customer_id) FROM {read_parts(tmp_path / 'events')}"
                       ).fetchall()[0] == (300, 100)
    # written again: the folder is emptied first, not added to
    write_parts(con, query, parts, tmp_path / "events")
    assert con.execute(f"SELECT count(*) FROM {read_parts(tmp_path / 'events')}").fetchall()[0][0] == 300


def test_the_parts_are_written_holding_fewer_rows_in_memory_and_the_setting_is_restored(tmp_path: Path) -> None:
    con, parts = _four_parts_of_100_customers()
    setting = "current_setting('partitioned_write_flush_threshold')"
    before = con.execute(f"SELECT {setting}").fetchall()[0][0]
    assert before != PARTITION_FLUSH_ROWS
    write_parts(con, f"SELECT customer_id, {setting} AS during FROM customers", parts, tmp_path / "events")
    assert con.execute(f"SELECT DISTINCT during FROM {read_parts(tmp_path / 'events')}").fetchall() == [
        (PARTITION_FLUSH_ROWS,)]
    assert con.execute(f"SELECT {setting}").fetchall()[0][0] == before
    with pytest.raises(duckdb.Error):   # restored after a failed write too
        write_parts(con, "SELECT customer_id, 1 / 0 AS x FROM customers WHERE error('bad row') IS NULL", parts,
                    tmp_path / "failed")
    assert con.execute(f"SELECT {setting}").fetchall()[0][0] == before


def test_part_number_agrees_with_the_ranges() -> None:
    con, parts = _four_parts_of_100_customers()
    for customer_id in ("A", "C000", "C025", "C050", "C099", "Z"):
        number = con.execute(f"SELECT {part_number(parts, repr(customer_id))}").fetchall()[0][0]
        assert con.execute(f"SELECT {parts[number].where(repr(customer_id))}").fetchall()[0][0]
    assert part_number([WHOLE]) == "0"


def test_parts_with_no_attributed_event(tmp_path: Path) -> None:
    """Events exist but none reaches a customer (the accounts are not linked): empty tables, not an error."""
    run = RunBuilder(duckdb.connect())
    for c in range(4):
        run.customer(f"C{c}").account(f"A{c}", None)
        for _ in range(3):
            run.purchase(f"A{c}", "建材", 100, days=3)
    con = run.done()
    counts = enrich(con, EnrichmentConfig(as_of=AS_OF, events_per_part=2), workdir=tmp_path)
    assert counts["customer parts"] > 1 and counts["customer events"] == 0
    assert con.execute("SELECT count(*) FROM profiles").fetchall()[0][0] == 4
    assert con.execute("SELECT count(*) FROM customer_events").fetchall()[0][0] == 0
