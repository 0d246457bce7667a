"""The run report's charts are counted in SQL: the match-weight histogram agrees with numpy's."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.enrich.report import match_weight_histogram

DECISIONS = ("linked", "ambiguous", "rejected")


def _links(rows: list[tuple[str, float | None]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE links (decision VARCHAR, match_weight DOUBLE)")
    if rows:
        con.executemany("INSERT INTO links VALUES (?, ?)", rows)
    return con


weights = st.floats(min_value=-40, max_value=40, allow_nan=False) | st.integers(-40, 40).map(float)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(DECISIONS), weights | st.none()), max_size=60),
       st.integers(min_value=1, max_value=50))
def test_histogram_counts_every_weight_in_the_bin_numpy_puts_it(rows, bins):
    edges, counts = match_weight_histogram(_links(rows), bins)
    for decision in DECISIONS:
        values = [w for d, w in rows if d == decision and w is not None]
        if values:
            expected, _ = np.histogram(values, bins=np.array(edges))
            assert counts[decision] == expected.tolist()
        else:
            assert decision not in counts


def test_a_single_weight_gets_one_bin_around_it():
    edges, counts = match_weight_histogram(_links([("linked", 3.0), ("rejected", 3.0), ("linked", None)]))
    assert edges == [2.5, 3.5]
    assert counts == {"linked": [1], "rejected": [1]}


@pytest.mark.parametrize("rows", [[], [("rejected", None)]])
def test_no_weight_no_histogram(rows):
    assert match_weight_histogram(_links(rows)) == ([], {})


def test_a_weight_on_an_edge_counts_in_the_bin_to_its_right():
    # 0.3 / 0.1 is 2.9999999999999996 in floating point: the arithmetic alone would put 0.3 in the third bin
    edges, counts = match_weight_histogram(_links([("linked", 0.0), ("linked", 0.3), ("linked", 1.0)]), 10)
    assert edges[3] == 0.3
    assert counts["linked"] == [1, 0, 0, 1, 0, 0, 0, 0, 0, 1]


def test_the_report_opens_with_the_summary_and_ends_with_the_settings() -> None:
    from linker.enrich.report import ReportContext, render_report

    con = duckdb.connect()
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('A1'), ('A2'), ('A3'), ('A4')) t(account_id)")
    con.execute("""CREATE TABLE links AS SELECT * FROM (VALUES
        ('A1', 'C1', 'linked', 'the likeliest owner', 20.0),
        ('A1', 'C2', 'rejected', 'customer C1 is the likelier owner', -3.0),
        ('A2', 'C3', 'ambiguous', '3 customers share the account''s probability', -0.5),
        ('A3', 'C4', 'rejected', 'owner probability below the review threshold', -9.0))
        t(account_id, customer_id, decision, reason, match_weight)""")
    con.execute("CREATE TABLE quarantine AS SELECT 'customers' AS table_name, 'bad_date' AS reason")
    con.execute("CREATE TABLE enrichment_info AS SELECT 'as_of' AS key, '2024-06-30' AS value")
    page = render_report(con, ReportContext(0.5, 0.1, "¥"))
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Links</h2>") < page.index("<h2>Run settings</h2>")
    assert "<b>1</b><span>accounts linked to a customer (25.0% of 4)</span>" in page
    assert "another customer is the likelier owner" in page and "several customers share" in page
    assert "C1 is the likelier" not in page
    assert "bad_date" in page and "link and review thresholds" in page
