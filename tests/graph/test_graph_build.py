import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linker.errors import GraphStoreError
from linker.engine import as_engine
from linker.graph.build import (
    DUCKDB_TYPES,
    ENDS,
    PRESORTED,
    ROW_GROUP_BYTES,
    graph_queries,
    load_order,
    write_graph_file,
    write_parquet,
)
from linker.schema import load_schema
from tests.graph.graph_run import RUN_ID, make_run_tables

SCHEMA = load_schema()


def test_every_label_and_relationship_pair_of_the_schema_has_a_query(run_con) -> None:
    queries = graph_queries(run_con, run_id=RUN_ID)
    assert set(queries.nodes) == set(SCHEMA.nodes)
    assert set(queries.relationships) == {(n, f, t) for n, r in SCHEMA.relationships.items() for f, t in r.pairs}


def test_columns_are_exactly_the_schema_properties_with_their_types(run_con) -> None:
    queries = graph_queries(run_con, run_id=RUN_ID)
    for label, sql in queries.nodes.items():
        described = run_con.execute(f"DESCRIBE {sql}").fetchall()
        assert [(c, t) for c, t, *_ in described] == \
            [(p, DUCKDB_TYPES[t]) for p, t in SCHEMA.nodes[label].properties.items()], label
    for (rel, _, _), sql in queries.relationships.items():
        described = run_con.execute(f"DESCRIBE {sql}").fetchall()
        expected = [(e, "VARCHAR") for e in ENDS] + \
            [(p, DUCKDB_TYPES[t]) for p, t in SCHEMA.relationships[rel].properties.items()]
        assert [(c, t) for c, t, *_ in described] == expected, rel


def test_one_relationship_per_pair_and_every_end_exists(run_con) -> None:
    queries = graph_queries(run_con, run_id=RUN_ID)
    for (rel, f, to), sql in queries.relationships.items():
        dupes = run_con.execute(f"SELECT count(*) FROM (SELECT src, dst FROM ({sql}) GROUP BY ALL HAVING count(*) > 1)"
                                ).fetchall()[0][0]
        assert dupes == 0, rel
        for end, label in (("src", f), ("dst", to)):
            key = SCHEMA.nodes[label].key
            missing = run_con.execute(f"SELECT count(*) FROM ({sql}) r WHERE {end} NOT IN "
                                      f"(SELECT {key} FROM ({queries.nodes[label]}))").fetchall()[0][0]
            assert missing == 0, (rel, end)


def _rows(con, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_identity_edges_keep_provenance_and_skip_unusable_values(run_con) -> None:
    q = graph_queries(run_con, run_id=RUN_ID).relationships
    assert _rows(run_con, f"SELECT * FROM ({q[('HAS_PHONE', 'Customer', 'Phone')]})") == sorted([
        ("C1", "+8613800000001", "customers", 1, date(2020, 1, 1)),
        ("C2", "+8613800000002", "customers", 2, date(2024, 6, 1)),
        ("C3", "+8613800000009", "customers", 3, date(2018, 1, 1)),
        ("C4", "+8613800000009", "customers", 4, None),
    ], key=repr)


def test_identifier_nodes_are_the_values_a_customer_holds_or_two_owners_share(run_con) -> None:
    q = graph_queries(run_con, run_id=RUN_ID)
    emails = _rows(run_con, f"SELECT value, customers, accounts FROM ({q.nodes['Email']})")
    assert emails == sorted([("zhangwei@example.com", 1, 1), ("wangfang@example.com", 1, 1),
                             ("chenjing@example.com", 1, 0)], key=repr)  # not A4's own lina.private@example.com
    held = _rows(run_con, f"SELECT src, dst FROM ({q.relationships[('HAS_EMAIL', 'OnlineAccount', 'Email')]})")
    assert held == sorted([("A1", "zhangwei@example.com"), ("A3", "wangfang@example.com")], key=repr)


def test_link_decisions_carry_evidence_json_and_the_run_id(run_con) -> None:
    sql = graph_queries(run_con, run_id=RUN_ID).relationships[("LINKED_TO", "OnlineAccount", "Customer")]
    rows = run_con.execute(f"SELECT src, dst, decision, evidence, run_id FROM ({sql}) ORDER BY src, dst").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("A1", "C1", "linked"), ("A2", "C1", "ambiguous"),
                                                  ("A2", "C2", "ambiguous"), ("A3", "C3", "linked")]
    assert all(r[4] == RUN_ID for r in rows)
    assert json.loads(rows[0][3]) == [{"comparison": "phone", "level": "exact_sole", "id_type": "phone",
                                       "value": "+8613800000001", "weight": 6.0},
                                      {"comparison": "email", "level": "exact_sole", "id_type": "email",
                                       "value": "zhangwei@example.com", "weight": 5.0}]  # no null members


def test_link_evidence_leaves_out_nulls_and_the_holder_counts_the_identifier_node_has(run_con) -> None:
    run_con.execute("""UPDATE links SET evidence = [
        {'comparison': 'phone', 'level': 'exact_sole', 'id_type': 'phone', 'value': '+8613800000001',
         'account_value': NULL, 'weight': 6.0, 'note': 'held by 1 customer(s) and 1 account(s)'},
        {'comparison': 'name', 'level': 'close', 'id_type': NULL, 'value': NULL, 'account_value': NULL,
         'weight': 1.0, 'note': 'name similarity 0.9'},
        {'comparison': 'email', 'level': 'near', 'id_type': 'email', 'value': 'x","note":null@example.com',
         'account_value': 'y@example.com', 'weight': 5.0, 'note': 'held since 2024-06-01'}]
        WHERE account_id = 'A1'""")
    sql = graph_queries(run_con, run_id=RUN_ID).relationships[("LINKED_TO", "OnlineAccount", "Customer")]
    [(evidence,)] = run_con.execute(f"SELECT evidence FROM ({sql}) WHERE src = 'A1'").fetchall()
    assert json.loads(evidence) == [
        {"comparison": "phone", "level": "exact_sole", "id_type": "phone", "value": "+8613800000001", "weight": 6.0},
        {"comparison": "name", "level": "close", "weight": 1.0, "note": "name similarity 0.9"},
        {"comparison": "email", "level": "near", "id_type": "email", "value": 'x","note":null@example.com',
         "account_value": "y@example.com", "weight": 5.0, "note": "held since 2024-06-01"}]


def test_behaviour_is_summarized_per_account_and_category(run_con) -> None:
    # A5 buys a mattress too, but is linked or ambiguous to no customer: its behaviour is not in the graph
    q = graph_queries(run_con, run_id=RUN_ID).relationships
    purchased = run_con.execute(f"SELECT src, dst, orders, quantity, amount FROM "
                                f"({q[('PURCHASED', 'OnlineAccount', 'Category')]}) ORDER BY src, dst").fetchall()
    assert purchased == [("A1", "家具/沙发", 2, 2, 4999.0), ("A1", "床垫", 1, 2, 899.0), ("A3", "家具/沙发", 1, 1, 500.0)]
    card = run_con.execute(f"SELECT src, dst, transactions, amount FROM ({q[('CARD_SPEND', 'Customer', 'Category')]})"
                           " ORDER BY src").fetchall()
    assert card == [("C1", "mcc:5712", 2, 2800.0), ("C3", "mcc:5411", 1, 88.0)]
    browsed = run_con.execute(f"SELECT src, dst, events FROM ({q[('BROWSED', 'OnlineAccount', 'Category')]})"
                              ).fetchall()
    assert browsed == [("A1", "家具/沙发", 2)]  # the device-only event has no account


def test_summed_amounts_and_dwell_are_rounded_so_that_the_order_of_a_sum_does_not_show(run_con) -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floating point, 0.2 + 0.1 too, but 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1
    # differ in their last bit: a parallel sum may add in either order
    run_con.execute("UPDATE purchases SET amount = 0.1 WHERE account_id = 'A3'")
    run_con.execute("INSERT INTO purchases BY NAME SELECT * REPLACE (amount + 0.1 AS amount, order_id || 'b' AS order_id)"
                    " FROM purchases WHERE account_id = 'A3'")
    run_con.execute("INSERT INTO purchases BY NAME SELECT * REPLACE (0.3 AS amount, order_id || 'c' AS order_id)"
                    " FROM purchases WHERE account_id = 'A3' AND amount = 0.1")
    q = graph_queries(run_con, run_id=RUN_ID).relationships
    [(amount,)] = run_con.execute(f"SELECT amount FROM ({q[('PURCHASED', 'OnlineAccount', 'Category')]}) "
                                  "WHERE src = 'A3'").fetchall()
    assert amount == 0.6
    for rel, column in (("BROWSED", "dwell_seconds"), ("CARD_SPEND", "amount")):
        sql = q[(rel, "OnlineAccount" if rel == "BROWSED" else "Customer", "Category")]
        assert "round(sum(" in sql and f") AS {column}" in sql


def test_relationships_are_sorted_by_their_ends_but_those_already_in_that_order(run_con) -> None:
    # (enrichment writes signals in customer and need order: tests/enrich/test_enrich_parts.py)
    order = dict(load_order(graph_queries(run_con, run_id=RUN_ID)))
    assert PRESORTED and PRESORTED <= set(order)
    for key, sql in order.items():
        assert sql.endswith(f"ORDER BY {', '.join(ENDS)}") == (not isinstance(key, str) and key not in PRESORTED), key


def test_a_file_of_long_rows_is_written_in_row_groups_of_bounded_size(tmp_path: Path) -> None:
    # DuckDB's writer holds a row group per thread: 40,000 rows of 2 KB of evidence are one row group of 80 MB by
    # default, which is what ran the engine out of memory for HAS_NEED at five million customers
    con = duckdb.connect()
    key = ("HAS_NEED", "Customer", "Need")
    file = write_graph_file(as_engine(con), key, "SELECT 'C' || i AS src, 'n' AS dst, repeat(md5(i::VARCHAR), 64) "
                                                 "AS evidence FROM range(40000) t(i)", tmp_path)
    groups = pq.ParquetFile(file.path).metadata
    assert file.rows == 40_000
    limit = int(ROW_GROUP_BYTES.removesuffix("MB")) * 1_000_000
    assert groups.num_row_groups >= 80_000_000 // limit
    assert all(groups.row_group(i).total_byte_size <= 1.25 * limit for i in range(groups.num_row_groups))


def test_need_evidence_is_the_signal_evidence(run_con) -> None:
    from tests.graph.graph_run import SIGNAL_EVIDENCE

    sql = graph_queries(run_con, run_id=RUN_ID).relationships[("HAS_NEED", "Customer", "Need")]
    [(evidence,)] = run_con.execute(f"SELECT evidence FROM ({sql})").fetchall()
    assert json.loads(evidence) == SIGNAL_EVIDENCE


def test_without_enrichment_tables_categories_have_no_domain_and_there_are_no_needs(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    make_run_tables(con, enrichment=False)
    q = graph_queries(con, run_id=RUN_ID)
    assert con.execute(f"SELECT count(*) FROM ({q.nodes['Need']})").fetchall()[0][0] == 0
    assert con.execute(f"SELECT count(*) FROM ({q.nodes['Category']}) WHERE domain IS NOT NULL").fetchall()[0][0] == 0
    assert con.execute(f"SELECT DISTINCT needs FROM ({q.nodes['Customer']})").fetchall() == [([],)]


def test_node_properties_come_from_resolution(run_con) -> None:
    q = graph_queries(run_con, run_id=RUN_ID).nodes
    accounts = dict(run_con.execute(f"SELECT account_id, link_decision FROM ({q['OnlineAccount']})").fetchall())
    assert accounts == {"A1": "linked", "A2": "ambiguous", "A3": "linked", "A4": "rejected", "A5": "no_candidate",
                        "A6": "no_candidate"}
    c1 = run_con.execute(f"SELECT linked_accounts, needs FROM ({q['Customer']}) WHERE customer_id = 'C1'").fetchall()
    assert c1 == [(1, ["home_furnishing"])]


def test_write_parquet_writes_one_file_per_label_and_pair(run_con, tmp_path: Path) -> None:
    files = write_parquet(run_con, tmp_path / "g", run_id=RUN_ID)
    assert files.nodes["Customer"][1] == 5
    assert pq.read_schema(files.nodes["Customer"][0]).names == list(SCHEMA.nodes["Customer"].properties)
    path, rows = files.relationships[("HAS_DEVICE", "OnlineAccount", "Device")]
    assert rows == 1 and path.name == "HAS_DEVICE.OnlineAccount.Device.parquet"


def test_a_schema_property_without_sql_is_an_error(run_con, tmp_path: Path) -> None:
    from linker.graph.build import check_queries
    from linker.schema import schema_dir

    text = (schema_dir() / "schema.toml").read_text(encoding="utf-8")
    changed = tmp_path / "schema.toml"
    changed.write_text(text.replace('name = "STRING"\naction = "STRING"', 'name = "STRING"\naction = "STRING"\n'
                                    'urgency = "INT64"'), encoding="utf-8")
    with pytest.raises(GraphStoreError, match="node Need.*urgency"):
        check_queries(run_con, graph_queries(run_con, run_id=RUN_ID, schema=load_schema(changed)))


def test_a_missing_run_table_is_named(tmp_path: Path) -> None:
    from linker.graph.build import check_queries

    con = duckdb.connect()
    con.execute("CREATE TABLE customers (customer_id VARCHAR)")
    with pytest.raises(GraphStoreError, match="node Customer"):
        check_queries(con, graph_queries(con, run_id=RUN_ID))
