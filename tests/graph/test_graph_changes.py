"""The graph change set, and the update's store: it holds what a store built from the changed run tables holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.graph import changes as changes_module
from linker.graph.build import ENDS
from linker.graph.changes import (
    GRAPH_CHANGES_DIR,
    GraphChanges,
    graph_changes,
    read_graph_changes,
    update_graph_store,
)
from linker.graph.store import GraphStore, load_graph_store
from linker.resolve.clusters import build_clusters
from linker.resolve.hubs import find_hubs
from linker.run_folder import STORE_NAME
from tests.graph.graph_run import RUN_ID
from tests.graph.stores import library_answers, store_contents

DAY_TWO = """
    -- C5 leaves the bank; A6 gets C4's device and a link to C4; A2's ambiguity with C2 is resolved
    DELETE FROM customers WHERE customer_id = 'C5';
    DELETE FROM identifiers WHERE owner_id = 'C5';
    INSERT INTO identifiers (owner_kind, owner_id, id_type, raw, value, kind, _row, source_table, status)
        VALUES ('account', 'A6', 'device', 'imei:4444', 'imei:4444', 'imei', 6, 'accounts', 'usable');
    UPDATE customers SET name = '王芳芳', income = 9500 WHERE customer_id = 'C3';
    DELETE FROM links WHERE account_id = 'A2' AND customer_id = 'C2';
    UPDATE links SET decision = 'linked', probability = 0.9 WHERE account_id = 'A2';
    INSERT INTO links SELECT 'C4', 'A6', 'linked', 'test', 0.97, 3.0, 1, NULL, 1, evidence
        FROM links WHERE account_id = 'A3';
    -- a new account with an order in a new category; one order of A1 withdrawn
    INSERT INTO accounts (account_id, platform, name, _row, _source) VALUES ('A7', 'jd', 'wang', 7, 'a.csv');
    INSERT INTO identifiers (owner_kind, owner_id, id_type, raw, value, kind, _row, source_table, status)
        VALUES ('account', 'A7', 'email', 'wangfang@example.com', 'wangfang@example.com', 'email', 7, 'accounts',
                'usable');
    INSERT INTO links SELECT 'C3', 'A7', 'ambiguous', 'test', 0.6, 0.5, 2, NULL, 1, evidence
        FROM links WHERE account_id = 'A3';
    INSERT INTO purchases (order_id, account_id, order_time, category, amount, quantity)
        VALUES ('O9', 'A7', '2024-08-01 10:00:00', '台灯', 99.0, 1);
    DELETE FROM purchases WHERE order_id = 'O2';
    -- C1's need expires, C3's fires
    DELETE FROM signals;
    INSERT INTO signals VALUES ('C3', 'home_furnishing', 0.7, 'offer_home_loan', '{}', '2024-08-02');
"""


def _day_two(con) -> None:
    con.execute(DAY_TWO)
    find_hubs(con, {"phone": 2, "email": 5, "device": 5})
    build_clusters(con)


@pytest.fixture(params=["read whole", "read in parts"])
def updated(request, run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, GraphChanges]:
    """Yesterday's store, today's store updated from it (yesterday's store read at once, or a row at a time),
    and today's store built from the tables."""
    monkeypatch.setattr(changes_module, "SCAN_PART_ROWS", 10**9 if request.param == "read whole" else 1)
    yesterday, today, scratch = tmp_path / "yesterday", tmp_path / "today", tmp_path / "scratch"
    for folder in (yesterday, today, scratch):
        folder.mkdir()
    load_graph_store(run_con, yesterday, run_id=RUN_ID)
    _day_two(run_con)
    changes, _ = update_graph_store(run_con, today, yesterday / STORE_NAME, run_id="day-two")
    load_graph_store(run_con, scratch, run_id="day-two")
    return today / STORE_NAME, scratch / STORE_NAME, changes


def test_an_updated_store_holds_what_a_store_built_from_the_tables_holds(updated) -> None:
    today, scratch, _ = updated
    with GraphStore(today) as a, GraphStore(scratch) as b:
        assert store_contents(a) == store_contents(b)
        assert library_answers(a, "C3", "C4") == library_answers(b, "C3", "C4")


def test_the_change_set_holds_only_what_changed(updated) -> None:
    _, _, changes = updated
    by_key = {d.key: d for d in changes.deltas}
    customers = by_key["Customer"]
    assert customers.of("removed")["customer_id"].to_pylist() == ["C5"]
    # C3 renamed and their need fired; C1's need expired; C4 has a linked account now; C2 is in its own cluster
    assert sorted(customers.of("changed")["customer_id"].to_pylist()) == ["C1", "C2", "C3", "C4"]
    assert customers.of("added").num_rows == 0
    accounts = by_key["OnlineAccount"]
    assert accounts.of("added")["account_id"].to_pylist() == ["A7"]
    linked = by_key[("LINKED_TO", "OnlineAccount", "Customer")]
    assert sorted(zip(*(linked.of("added")[e].to_pylist() for e in ENDS))) == [("A6", "C4"), ("A7", "C3")]
    assert list(zip(*(linked.of("removed")[e].to_pylist() for e in ENDS))) == [("A2", "C2")]
    assert list(zip(*(linked.of("changed")[e].to_pylist() for e in ENDS))) == [("A2", "C1")]
    assert set(linked.of("added")["run_id"].to_pylist()) == {"day-two"}
    assert "Phone" not in by_key   # no phone changed
    assert ("HAS_PHONE", "Customer", "Phone") not in by_key


def test_unchanged_links_keep_the_run_that_made_them(updated) -> None:
    today, _, _ = updated
    with GraphStore(today) as store:
        stamps = {(a, c): r for a, c, r in store.rows(
            "MATCH (a:OnlineAccount)-[l:LINKED_TO]->(c:Customer) RETURN a.account_id, c.customer_id, l.run_id")}
    assert stamps[("A1", "C1")] == RUN_ID and stamps[("A3", "C3")] == RUN_ID
    assert stamps[("A2", "C1")] == "day-two"


def test_the_same_tables_change_nothing(run_con, tmp_path: Path) -> None:
    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    with GraphStore(tmp_path / STORE_NAME) as store:
        assert graph_changes(run_con, store, run_id="again").deltas == []


def test_a_change_set_reads_back_as_written(run_con, tmp_path: Path) -> None:
    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    _day_two(run_con)
    with GraphStore(tmp_path / STORE_NAME) as store:
        changes = graph_changes(run_con, store, run_id="day-two")
    changes.write(tmp_path / GRAPH_CHANGES_DIR)
    back = read_graph_changes(tmp_path / GRAPH_CHANGES_DIR)
    assert back.run_id == "day-two" and back.counts() == changes.counts()
    assert [d.key for d in back.deltas] == [d.key for d in changes.deltas]
    assert all(b.rows.equals(d.rows) for b, d in zip(back.deltas, changes.deltas, strict=True))


def test_the_update_reads_the_previous_store_and_builds_its_own_within_duckdb_s_share(
        run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ladybug

    opened, real = [], ladybug.Database

    def recording(*args, **kwargs):   # the real database; DuckDB's limit and the store's pool as it opens
        opened.append((run_con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0],
                       kwargs.get("buffer_pool_size")))
        return real(*args, **kwargs)

    (tmp_path / "yesterday").mkdir()
    (tmp_path / "today").mkdir()
    load_graph_store(run_con, tmp_path / "yesterday", run_id=RUN_ID)
    _day_two(run_con)
    monkeypatch.setattr(ladybug, "Database", recording)
    run_con.execute("SET memory_limit = '3GB'")
    update_graph_store(run_con, tmp_path / "today", tmp_path / "yesterday" / STORE_NAME, run_id="day-two",
                       memory_limit="3GB")
    # the previous store, read within a third of 3GB beside DuckDB's two thirds; then the new store, built
    # beside DuckDB's third
    assert opened == [("1.8 GiB", 1_000_000_000), ("953.6 MiB", None)]
    assert run_con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "2.7 GiB"
    assert sorted(p.name for p in (tmp_path / "today").iterdir()) == [STORE_NAME]   # no work files left


def test_a_folder_without_a_change_set_is_refused(tmp_path: Path) -> None:
    from linker.errors import GraphStoreError

    with pytest.raises(GraphStoreError, match="linker update"):
        read_graph_changes(tmp_path)


def test_a_part_the_store_s_buffer_pool_cannot_hold_is_read_again_in_halves(tmp_path: Path) -> None:
    import datetime

    import duckdb
    import pyarrow as pa

    from linker.graph.store import GraphTable, build_store
    from linker.schema import load_schema

    schema, n = load_schema(), 1000
    customers = pa.table({p: pa.nulls(n, pa.list_(pa.string()) if t == "STRING[]" else
                                      {"DATE": pa.date32(), "DOUBLE": pa.float64(), "INT64": pa.int64()}.get(t, pa.string()))
                          for p, t in schema.nodes["Customer"].properties.items()})
    customers = customers.set_column(0, "customer_id", pa.array([f"C{i:04d}" for i in range(n)]))
    needs = pa.table({"src": customers["customer_id"], "dst": ["home"] * n, "score": [0.5] * n, "action": ["a"] * n,
                      "evidence": [f"{i:04d}" + "x" * 20_000 for i in range(n)],   # 20 MB of text in all
                      "as_of": [datetime.date(2024, 1, 1)] * n})
    key = ("HAS_NEED", "Customer", "Need")
    build_store([GraphTable("Customer", customers, n), GraphTable("Need", pa.table({"name": ["home"], "action": ["a"]}), 1),
                 GraphTable(key, needs, n)], tmp_path / STORE_NAME, schema=schema)
    with GraphStore(tmp_path / STORE_NAME, buffer_pool_size=16 * 2**20) as store:   # too small for the whole pair
        parts = changes_module._store_rows(store, key, schema, tmp_path / "work")
    assert len(list(parts.iterdir())) > 1
    read = duckdb.sql(f"SELECT src, evidence FROM read_parquet('{parts}/*.parquet') ORDER BY src").fetchall()
    assert read == list(zip(needs["src"].to_pylist(), needs["evidence"].to_pylist(), strict=True))
