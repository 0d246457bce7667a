import os
import sys
from pathlib import Path

import duckdb
import pytest

import linker
from linker.config import load_config
from linker.engine import table_exists
from linker.errors import GraphStoreError, RulesError, RunNotFoundError
from linker.graph.build import file_queries, write_parquet
from linker.graph.store import (
    STORE_NAME,
    ddl,
    extract_parquet,
    load_graph_store,
    open_store,
    remove_store,
    replace_store,
)
from linker.schema import load_schema
from tests.graph.graph_run import RUN_ID, make_run_tables


def test_ddl_is_generated_from_the_schema() -> None:
    statements = ddl()
    schema = load_schema()
    assert len(statements) == len(schema.nodes) + len(schema.relationships)
    assert statements[0].startswith("CREATE NODE TABLE Customer(customer_id STRING, name STRING")
    assert statements[0].endswith("needs STRING[], PRIMARY KEY(customer_id))")
    has_phone = next(s for s in statements if s.startswith("CREATE REL TABLE HAS_PHONE"))
    assert has_phone == ("CREATE REL TABLE HAS_PHONE(FROM Customer TO Phone, FROM OnlineAccount TO Phone, "
                         "source_table STRING, source_row INT64, since DATE)")


def test_relationships_traversed_forward_are_stored_one_way(run_dir: Path, tmp_path: Path) -> None:
    statements = ddl()
    purchased = next(s for s in statements if s.startswith("CREATE REL TABLE PURCHASED"))
    linked = next(s for s in statements if s.startswith("CREATE REL TABLE LINKED_TO"))
    assert purchased.endswith(") WITH (storage_direction='fwd')") and linked.endswith("run_id STRING)")
    with open_store(run_dir) as store:  # backwards is still answered (by a scan); undirected is refused
        assert store.rows("MATCH (k:Category {name: '床垫'})<-[:PURCHASED]-(a) RETURN a.account_id") == [["A1"]]
        with pytest.raises(GraphStoreError, match="Undirected"):
            store.rows("MATCH (k:Category {name: '床垫'})-[:PURCHASED]-(a) RETURN a.account_id")
    from linker.schema import schema_dir

    changed = tmp_path / "schema.toml"
    changed.write_text((schema_dir() / "schema.toml").read_text(encoding="utf-8").replace(
        'to = ["Category"]\ntraversal = "forward"', 'to = ["Category"]\ntraversal = "backward"', 1), encoding="utf-8")
    with pytest.raises(RulesError, match="PURCHASED: traversal 'backward' is not one of both, forward"):
        load_schema(changed)


def test_load_counts_nodes_and_relationships(run_con, tmp_path: Path) -> None:
    counts = load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    assert counts["Customer"] == 5 and counts["OnlineAccount"] == 6 and counts["Phone"] == 3
    assert counts["HAS_PHONE"] == 7 and counts["LINKED_TO"] == 4 and counts["HAS_NEED"] == 1
    assert counts["graph nodes"] == 5 + 6 + 3 + 3 + 2 + 5 + 1
    with open_store(tmp_path) as store:
        assert store.rows("MATCH (n) RETURN count(*)") == [[counts["graph nodes"]]]
        assert store.rows("MATCH ()-[r]->() RETURN count(*)") == [[counts["graph relationships"]]]


@pytest.mark.parametrize("threads", [1, 2])
def test_the_load_copies_with_the_run_engines_threads(run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      threads: int) -> None:
    import ladybug

    opened, real = [], ladybug.Database

    def recording(*args, **kwargs):   # the real database; only its thread count is noted
        opened.append(kwargs.get("max_num_threads"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ladybug, "Database", recording)
    run_con.execute(f"SET threads = {threads}")     # engine.threads of the run
    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    assert opened == [threads]


def test_duckdb_works_within_a_third_of_its_memory_limit_while_the_store_loads(
        run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ladybug

    limits, real = [], ladybug.Database

    def limit() -> str:
        return run_con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    def recording(*args, **kwargs):   # the real database; DuckDB's limit as the store opens is noted
        limits.append(limit())
        return real(*args, **kwargs)

    monkeypatch.setattr(ladybug, "Database", recording)
    run_con.execute("SET memory_limit = '3GB'")      # engine.memory_limit of the run
    load_graph_store(run_con, tmp_path, run_id=RUN_ID, memory_limit="3GB")
    run_con.execute("INSERT INTO accounts (account_id) VALUES ('A1')")  # a duplicate key: the COPY fails
    with pytest.raises(GraphStoreError):
        load_graph_store(run_con, tmp_path, run_id="broken", memory_limit="3GB")
    assert limits == ["953.6 MiB"] * 2        # 1GB: DuckDB's way of writing a third of 3GB
    assert limit() == "2.7 GiB"               # 3GB again, after a load and after a failed one
    run_con.execute("DELETE FROM accounts WHERE account_id = 'A1' AND _row IS NULL")
    run_con.execute("SET memory_limit = '150MB'")
    load_graph_store(run_con, tmp_path, run_id=RUN_ID, memory_limit="150MB")
    assert limits[-1] == "95.3 MiB"           # 100MB, the least a run accepts, not a third of 150MB


def test_the_store_loads_beside_the_full_limit_when_duckdb_cannot_lower_it(run_con, tmp_path: Path) -> None:
    run_con.execute("SET memory_limit = '300MB'; SET temp_directory = ''")   # nowhere to spill to
    run_con.execute("CREATE TEMP TABLE held AS SELECT md5(CAST(range AS VARCHAR)) AS s FROM range(3000000)")
    with pytest.raises(duckdb.OutOfMemoryException):  # what the load meets: more held than a third of 300MB
        run_con.execute("SET memory_limit = '100MB'")
    counts = load_graph_store(run_con, tmp_path, run_id=RUN_ID, memory_limit="300MB")
    assert counts["graph nodes"] > 0
    assert run_con.execute("SELECT current_setting('memory_limit')").fetchall() == [("286.1 MiB",)]


def test_the_store_is_replaced_whole_and_nothing_is_left_beside_it(run_con, tmp_path: Path) -> None:
    load_graph_store(run_con, tmp_path, run_id="first")
    run_con.execute("DELETE FROM customers WHERE customer_id = 'C5'")
    run_con.execute("DELETE FROM identifiers WHERE owner_id = 'C5'")
    load_graph_store(run_con, tmp_path, run_id="second")
    assert [f for f in os.listdir(tmp_path) if not f.startswith("work.duckdb")] == [STORE_NAME]
    with open_store(tmp_path) as store:
        assert store.rows("MATCH (c:Customer) RETURN count(*)") == [[4]]
        assert store.rows("MATCH ()-[l:LINKED_TO]->() RETURN DISTINCT l.run_id") == [["second"]]


def test_a_failed_build_keeps_the_previous_store(run_con, tmp_path: Path) -> None:
    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    run_con.execute("INSERT INTO accounts (account_id) VALUES ('A1')")  # a duplicate key: COPY fails
    with pytest.raises(GraphStoreError, match="OnlineAccount"):
        load_graph_store(run_con, tmp_path, run_id="broken")
    assert [f for f in os.listdir(tmp_path) if not f.startswith("work.duckdb")] == [STORE_NAME]
    with open_store(tmp_path) as store:
        assert store.rows("MATCH (a:OnlineAccount) RETURN count(*)") == [[6]]


def test_a_failure_computing_the_tables_keeps_the_previous_store_and_frees_the_connection(
        run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linker.graph.store as store_module

    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    real = store_module.load_order
    monkeypatch.setattr(store_module, "load_order", lambda queries, schema: [  # the second query fails
        *real(queries, schema)[:1], ("Phone", "SELECT CAST('x' AS INTEGER) AS value")])
    with pytest.raises(GraphStoreError, match="DuckDB failed writing the graph's node Phone table: .*Conversion"):
        load_graph_store(run_con, tmp_path, run_id="broken")
    assert [f for f in os.listdir(tmp_path) if not f.startswith("work.duckdb")] == [STORE_NAME]
    assert run_con.execute("SELECT count(*) FROM customers").fetchall() == [(5,)]
    with open_store(tmp_path) as store:
        assert store.rows("MATCH ()-[l:LINKED_TO]->() RETURN DISTINCT l.run_id") == [[RUN_ID]]


def test_each_file_is_written_when_the_store_copies_it_and_removed_once_copied(
        run_con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linker.graph.store as store_module

    folder, on_disk, real = tmp_path / "files", [], store_module.write_graph_file

    def recording(engine, key, sql, where):   # the files in the folder as each one is written
        on_disk.append(sorted(p.name for p in where.iterdir()))
        return real(engine, key, sql, where)

    monkeypatch.setattr(store_module, "write_graph_file", recording)
    load_graph_store(run_con, tmp_path, run_id=RUN_ID, workdir=folder)
    assert len(on_disk) == len(load_schema().nodes) + sum(len(r.pairs) for r in load_schema().relationships.values())
    assert on_disk == [[]] * len(on_disk)
    assert not folder.exists()


def test_the_store_opens_read_only_and_refuses_writes(run_dir: Path) -> None:
    with open_store(run_dir) as store, pytest.raises(RuntimeError, match="read-only"):
        store.execute("CREATE (:Need {name: 'x', action: 'y'})")


def test_a_run_without_a_store_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no run folder"):
        open_store(tmp_path / "missing")
    with pytest.raises(RunNotFoundError, match="has no graph store"):
        open_store(tmp_path)


def test_kuzu_in_the_same_process_is_refused(monkeypatch: pytest.MonkeyPatch, run_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "kuzu", object())
    with pytest.raises(GraphStoreError, match="kuzu"):
        open_store(run_dir)


def test_the_store_of_a_real_pipeline_run_matches_its_tables(dataset, tmp_path: Path) -> None:
    config = load_config(dataset())
    result = linker.run(config)
    con = duckdb.connect(str(result.output_dir / "work.duckdb"))
    try:
        counts = load_graph_store(con, result.output_dir, run_id="pipeline")
        customers, accounts, usable = (con.execute(sql).fetchall()[0][0] for sql in (
            "SELECT count(*) FROM customers", "SELECT count(*) FROM accounts",
            ("SELECT count(DISTINCT (owner_id, i.value)) FROM identifiers i JOIN identifier_degrees d "
             "USING (id_type, value) WHERE i.status = 'usable' AND (i.owner_kind = 'customer' OR "
             "(i.owner_kind = 'account' AND d.customers + d.accounts > 1))")))
        linked = con.execute("SELECT count(*) FROM links WHERE decision IN ('linked', 'ambiguous')").fetchall()[0][0]
        purchased = con.execute("SELECT count(DISTINCT (account_id, category)) FROM purchases WHERE category IS NOT "
                                "NULL AND account_id IN (SELECT account_id FROM links WHERE decision IN "
                                "('linked', 'ambiguous'))").fetchall()[0][0] \
            if table_exists(con, "purchases") else 0
    finally:
        con.close()
    assert counts["Customer"] == customers and counts["OnlineAccount"] == accounts
    assert counts["HAS_PHONE"] + counts["HAS_EMAIL"] + counts["HAS_DEVICE"] == usable
    assert counts["LINKED_TO"] == linked
    assert counts["PURCHASED"] == purchased
    with open_store(result.output_dir) as store:
        assert store.rows("MATCH (c:Customer) RETURN count(*)") == [[customers]]


def test_an_empty_run_loads_an_empty_graph(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    make_run_tables(con, enrichment=False)
    for table in ("customers", "accounts", "identifiers", "identifier_degrees", "links", "clusters", "purchases",
                  "browsing", "transactions"):
        con.execute(f"DELETE FROM {table}")
    counts = load_graph_store(con, tmp_path, run_id=RUN_ID)
    assert counts["graph nodes"] == 0 and counts["graph relationships"] == 0
    with open_store(tmp_path) as store:
        assert store.rows("MATCH (n) RETURN count(*)") == [[0]]


def test_the_store_reads_back_exactly_the_graph_built_from_the_run(run_con, tmp_path: Path) -> None:
    built = write_parquet(run_con, tmp_path / "built", run_id=RUN_ID)
    load_graph_store(run_con, tmp_path, run_id=RUN_ID)
    with open_store(tmp_path) as store:
        extracted = extract_parquet(store, tmp_path / "extracted")
    built_q, extracted_q = file_queries(built), file_queries(extracted)
    con = duckdb.connect()
    for key in list(built_q.nodes) + list(built_q.relationships):
        a = built_q.nodes.get(key) or built_q.relationships[key]
        b = extracted_q.nodes.get(key) or extracted_q.relationships[key]
        assert sorted(con.execute(a).fetchall(), key=repr) == sorted(con.execute(b).fetchall(), key=repr), key


def test_a_built_store_replaces_the_old_one_in_one_rename_and_the_old_side_files_go(tmp_path):
    target, built = tmp_path / "graph.lbug", tmp_path / ".graph.lbug.tmp"
    target.write_text("old")
    (tmp_path / "graph.lbug.wal").write_text("old log")
    built.write_text("new")
    (tmp_path / ".graph.lbug.tmp.wal").write_text("new log")
    replace_store(built, target)
    assert target.read_text() == "new" and not built.exists()
    assert not (tmp_path / "graph.lbug.wal").exists()
    remove_store(built)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.lbug"]
