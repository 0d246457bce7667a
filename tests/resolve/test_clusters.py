"""Connected components in SQL agree with networkx; cluster IDs are stable."""

from __future__ import annotations

import duckdb
import networkx as nx
import pandas as pd
import pytest

from linker.resolve.clusters import connected_components


def sql_components(graph: nx.Graph) -> set[frozenset[str]]:
    con = duckdb.connect()
    edges = pd.DataFrame([(str(a), str(b)) for a, b in graph.edges()], columns=["src", "dst"], dtype="string")
    nodes = pd.DataFrame({"node": [str(n) for n in graph.nodes()]}, dtype="string")
    con.register("edges_df", edges)
    con.register("nodes_df", nodes)
    con.execute("CREATE TABLE e AS SELECT CAST(src AS VARCHAR) src, CAST(dst AS VARCHAR) dst FROM edges_df")
    con.execute("CREATE TABLE n AS SELECT CAST(node AS VARCHAR) node FROM nodes_df")
    connected_components(con, "e", "n", "labels")
    groups: dict[str, set[str]] = {}
    for node, component in con.execute("SELECT node, component FROM labels").fetchall():
        groups.setdefault(component, set()).add(node)
    labels_are_members = all(c in members for c, members in groups.items())
    con.close()
    assert labels_are_members, "a component must be labelled by one of its own nodes"
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("n", "p"), [(60, 0.01), (200, 0.006), (300, 0.003)])
def test_components_match_networkx_on_random_graphs(seed: int, n: int, p: float) -> None:
    graph = nx.gnp_random_graph(n, p, seed=seed)
    expected = {frozenset(str(x) for x in c) for c in nx.connected_components(graph)}
    assert sql_components(graph) == expected


def test_long_chain_needs_few_rounds() -> None:
    graph = nx.path_graph(500)
    con = duckdb.connect()
    con.execute("CREATE TABLE e AS SELECT CAST(i AS VARCHAR) src, CAST(i + 1 AS VARCHAR) dst FROM range(499) t(i)")
    con.execute("CREATE TABLE n AS SELECT CAST(i AS VARCHAR) node FROM range(500) t(i)")
    rounds = connected_components(con, "e", "n", "labels")
    assert con.execute("SELECT count(DISTINCT component) FROM labels").fetchall()[0][0] == 1
    assert rounds < 20   # pointer jumping: logarithmic in the diameter, not 500 rounds
    assert sql_components(graph) == {frozenset(str(i) for i in range(500))}


def test_cluster_ids_are_stable_across_runs(resolve_run) -> None:
    customers = [{"customer_id": "C1", "phones": "13800138001"}, {"customer_id": "C2", "phones": "13900139002"}]
    accounts = [{"account_id": "A1", "phones": "13800138001"}, {"account_id": "A2", "phones": "13900139002"}]
    first = resolve_run(customers, accounts).rows("SELECT member_id, cluster_id FROM clusters ORDER BY 1")
    second = resolve_run(list(reversed(customers)), accounts).rows("SELECT member_id, cluster_id FROM clusters ORDER BY 1")
    assert first == second
    assert dict(first)["C1"] == dict(first)["A1"] != dict(first)["C2"]
