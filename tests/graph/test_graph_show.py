import json
import re
from pathlib import Path

import networkx as nx

from linker.graph.show import page_data, render_html, show_customer


def _embedded(page: str) -> dict:
    m = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert m
    return json.loads(m.group(1))


def test_the_page_embeds_the_neighbourhood_and_marks_hubs(run_dir: Path, tmp_path: Path) -> None:
    path = show_customer(run_dir, "C3", tmp_path / "c3.html")
    data = _embedded(path.read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["Phone:+8613800000009"]["hub"] is True
    assert nodes["Customer:C3"]["focus"] is True
    assert {(e["source"], e["target"], e["type"]) for e in data["edges"]} >= {
        ("OnlineAccount:A3", "Customer:C3", "LINKED_TO")}


def test_the_page_is_self_contained() -> None:
    graph = nx.MultiDiGraph(focus="Customer:C1")
    graph.add_node("Customer:C1", type="Customer", key="C1", label="x")
    page = render_html(graph, title="t")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(" not in page


def test_data_cannot_break_out_of_the_page() -> None:
    graph = nx.MultiDiGraph(focus="Customer:C1")
    evil = "</script><script>alert(1)</script><!--"
    graph.add_node("Customer:C1", type="Customer", key="C1", label=evil, name=evil)
    page = render_html(graph, title="<b>C1</b>")
    assert evil not in page and "<b>C1</b>" not in page
    assert _embedded(page)["nodes"][0]["label"] == evil


def test_the_layout_is_reproducible(run_dir: Path) -> None:
    from linker.graph.views import customer_neighbourhood

    graph = customer_neighbourhood(run_dir, "C1")
    assert page_data(graph, seed=1) == page_data(graph, seed=1)
