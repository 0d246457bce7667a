from pathlib import Path

import networkx as nx
import pytest

from linker.errors import NotFoundError
from linker.graph.store import open_store
from linker.graph.views import (
    cluster_graph,
    customer_cluster,
    customer_neighbourhood,
    neighbourhood,
    run_cluster_graph,
    write_graphml,
)


def test_a_neighbourhood_reaches_accounts_identifiers_and_other_customers(run_dir: Path) -> None:
    graph = customer_neighbourhood(run_dir, "C1")
    assert graph.graph["focus"] == "Customer:C1" and not graph.graph["truncated"]
    assert set(graph) == {"Customer:C1", "Customer:C2", "OnlineAccount:A1", "OnlineAccount:A2",
                          "Phone:+8613800000001", "Phone:+8613800000002", "Email:zhangwei@example.com",
                          "Device:imei:1111"}
    assert graph.has_edge("OnlineAccount:A2", "Customer:C2", key="LINKED_TO")
    assert graph.edges["OnlineAccount:A2", "Customer:C2", "LINKED_TO"]["decision"] == "ambiguous"
    assert graph.nodes["Customer:C1"]["label"] == "张伟 (C1)" and graph.nodes["Customer:C1"]["type"] == "Customer"
    assert graph.edges["Customer:C1", "Phone:+8613800000001", "HAS_PHONE"]["source_row"] == 1


def test_hubs_are_shown_but_never_expanded(run_dir: Path) -> None:
    graph = customer_neighbourhood(run_dir, "C3", hops=4)
    assert graph.nodes["Phone:+8613800000009"]["is_hub"] is True
    assert "Customer:C4" not in graph and "OnlineAccount:A5" not in graph


def test_hops_and_the_node_limit_bound_the_view(run_dir: Path) -> None:
    assert set(customer_neighbourhood(run_dir, "C1", hops=1)) == {
        "Customer:C1", "OnlineAccount:A1", "OnlineAccount:A2", "Phone:+8613800000001",
        "Email:zhangwei@example.com", "Device:imei:1111"}
    small = customer_neighbourhood(run_dir, "C1", max_nodes=3)
    assert len(small) == 3 and small.graph["truncated"]
    assert customer_neighbourhood(run_dir, "C1", hops=10).number_of_nodes() == 9  # + A4 via the recycled phone


def test_a_cluster_holds_its_members_their_decisions_and_identifiers(run_dir: Path) -> None:
    with open_store(run_dir) as store:
        cluster_id = customer_cluster(store, "C1")
        graph = cluster_graph(store, cluster_id)
    members = {n for n, d in graph.nodes(data=True) if d["type"] in ("Customer", "OnlineAccount")}
    assert members == {"Customer:C1", "Customer:C2", "OnlineAccount:A1", "OnlineAccount:A2"}
    assert sum(1 for *_, k in graph.edges(keys=True) if k == "LINKED_TO") == 3
    assert graph.has_edge("Customer:C2", "Device:imei:1111", key="HAS_DEVICE")
    assert set(run_cluster_graph(run_dir, customer_id="C1")) == set(graph)


def test_unknown_customers_and_clusters_are_not_found(run_dir: Path) -> None:
    with open_store(run_dir) as store:
        with pytest.raises(NotFoundError, match="no customer 'C9'"):
            neighbourhood(store, "C9")
        with pytest.raises(NotFoundError, match="no cluster"):
            cluster_graph(store, "CLnope")


def test_graphml_round_trips_for_gephi(run_dir: Path, tmp_path: Path) -> None:
    graph = run_cluster_graph(run_dir, customer_id="C1")
    path = write_graphml(graph, tmp_path / "c.graphml")
    back = nx.read_graphml(path)
    assert set(back) == set(graph) and back.number_of_edges() == graph.number_of_edges()
    assert back.nodes["Customer:C1"]["label"] == "张伟 (C1)"
    assert back.nodes["Customer:C1"]["needs"] == '["home_furnishing"]'  # lists as JSON text
    assert back.nodes["Phone:+8613800000001"]["customers"] == 1
