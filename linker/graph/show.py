"""An interactive page of a customer's identity neighbourhood: one self-contained HTML file.

The layout is computed here (networkx spring layout, seeded, so the same graph draws the same way); the page
draws it as SVG with a few lines of inlined JavaScript: drag nodes, pan and zoom, hover for properties,
click to highlight a node's neighbours. Link decisions are drawn by kind (linked, ambiguous, and the rejected
candidates of the accounts drawn, from the run database) with their owner probability; identifier labels show
when zoomed in or around the node clicked, so that dense places stay readable. No script or font is fetched: the page works offline and on networks
that block CDNs, and opening it tells no third party which customer is being looked at. Data reach the page
as JSON inside the file and are put into the page as text, never as HTML.

``linker show`` masks names and identifier values unless ``--unmask`` (:func:`linker.masking.mask_graph`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import networkx as nx

from linker.errors import RunNotFoundError
from linker.export.files import write_text
from linker.graph.views import customer_neighbourhood, node_id

COLOURS = {"Customer": "#1f77b4", "OnlineAccount": "#ff7f0e", "Phone": "#2ca02c", "Email": "#9467bd",
           "Device": "#8c564b", "Category": "#7f7f7f", "Need": "#e377c2"}


def add_candidates(graph: nx.MultiDiGraph, run_dir: Path) -> int:
    """Add the rejected candidate pairs between the accounts and customers drawn (the graph store keeps linked
    and ambiguous decisions only), and the owner probability of every decision drawn, from the run database.
    Returns the number of rejected candidates added."""
    from linker.explain import open_run

    accounts = [d["key"] for _, d in graph.nodes(data=True) if d.get("type") == "OnlineAccount"]
    if not accounts:
        return 0
    added = 0
    try:
        con = open_run(run_dir)
    except RunNotFoundError:   # a graph store without its run database: the store's decisions only
        return 0
    with con:
        columns = {c for (c, *_) in con.execute("DESCRIBE links").fetchall()}
        owner_column = "owner_probability" if "owner_probability" in columns else "NULL"
        rows = con.execute(f"""SELECT account_id, customer_id, decision, reason, probability, {owner_column},
                                      match_weight FROM links WHERE list_contains(?, account_id)""",
                           [accounts]).fetchall()
    for account, customer, decision, reason, probability, owner_probability, weight in rows:
        a, c = node_id("OnlineAccount", account), node_id("Customer", customer)
        if c not in graph:
            continue
        owner = None if owner_probability is None else round(float(owner_probability), 4)
        if graph.has_edge(a, c, key="LINKED_TO"):
            graph.edges[a, c, "LINKED_TO"].update(owner_probability=owner, reason=reason)
        elif decision == "rejected":
            graph.add_edge(a, c, key="LINKED_TO", type="LINKED_TO", decision="rejected", reason=reason,
                           probability=None if probability is None else float(probability),
                           owner_probability=owner, match_weight=None if weight is None else float(weight))
            added += 1
    return added


def page_data(graph: nx.MultiDiGraph, *, seed: int = 42) -> dict[str, Any]:
    """Nodes with positions and edges, as the page reads them."""
    simple = nx.Graph(graph)
    positions = nx.spring_layout(simple, seed=seed, k=2.0 / max(len(simple), 1) ** 0.5, iterations=100) \
        if len(simple) else {}
    focus = graph.graph.get("focus")
    nodes = []
    for nid, data in graph.nodes(data=True):
        x, y = positions.get(nid, (0.0, 0.0))
        props = {k: v for k, v in data.items() if k not in ("type", "label") and v is not None}
        nodes.append({"id": nid, "type": data["type"], "label": data.get("label", nid), "x": float(x),
                      "y": float(y), "hub": bool(data.get("is_hub")), "focus": nid == focus, "props": props})
    edges = [{"source": u, "target": v, "type": d["type"], "decision": d.get("decision"),
              "p": d.get("owner_probability", d.get("probability")),
              "props": {k: val for k, val in d.items() if k != "type" and val is not None}}
             for u, v, d in graph.edges(data=True)]
    return {"nodes": nodes, "edges": edges, "truncated": bool(graph.graph.get("truncated")),
            "colours": COLOURS}


def render_html(graph: nx.MultiDiGraph, *, title: str, seed: int = 42) -> str:
    """The page as text."""
    data = json.dumps(page_data(graph, seed=seed), ensure_ascii=False, default=str)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _TEMPLATE.replace("__TITLE__", html.escape(title)).replace("__DATA__", data)


def write_html(graph: nx.MultiDiGraph, path: Path, *, title: str, seed: int = 42) -> Path:
    """Write the page of a view, atomically."""
    return write_text(Path(path), render_html(graph, title=title, seed=seed))


def show_customer(run_dir: Path, customer_id: str, path: Path, *, hops: int = 3, max_nodes: int = 300) -> Path:
    """Draw a customer's identity neighbourhood into an HTML file.

    Raises
    ------
    NotFoundError
        If the customer is not in the run's graph store.
    RunNotFoundError
        If the run has no graph store.
    """
    graph = customer_neighbourhood(run_dir, customer_id, hops=hops, max_nodes=max_nodes)
    add_candidates(graph, run_dir)
    return write_html(graph, path, title=f"Identity neighbourhood of customer {customer_id}")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  body { margin: 0; font: 13px system-ui, sans-serif; color: #222; overflow: hidden; }
  header { padding: 8px 12px; border-bottom: 1px solid #ddd; display: flex; gap: 16px; align-items: center;
           flex-wrap: wrap; }
  header h1 { font-size: 15px; margin: 0; }
  .legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; }
  .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
  #warn { color: #b00; }
  svg { width: 100%; height: calc(100vh - 48px); display: block; cursor: grab; background: #fcfcfc; }
  .edge { stroke: #aaa; stroke-width: 1.2; }
  .edge.LINKED_TO.linked { stroke: #2a9d2a; stroke-width: 3; }
  .edge.LINKED_TO.ambiguous { stroke: #e69500; stroke-width: 2.5; stroke-dasharray: 6 4; }
  .edge.LINKED_TO.rejected { stroke: #c44e52; stroke-width: 1.5; stroke-dasharray: 2 3; }
  .elabel { font-size: 10px; fill: #444; pointer-events: none; paint-order: stroke; stroke: #fcfcfc;
            stroke-width: 3px; }
  .minor text { display: none; }
  .zoomed .minor text, .minor.near text { display: inline; }
  .legend svg { width: 26px; height: 12px; cursor: default; background: none; }
  .node circle { stroke: #fff; stroke-width: 1.5; cursor: pointer; }
  .node.hub circle { stroke: #d62728; stroke-width: 4; }
  .node.focus circle { stroke: #000; stroke-width: 3; }
  .node text { pointer-events: none; font-size: 11px; }
  .dim { opacity: 0.15; }
  #tip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #999; padding: 6px 8px;
         max-width: 420px; font: 12px ui-monospace, monospace; white-space: pre-wrap; display: none;
         box-shadow: 0 2px 6px rgba(0,0,0,.2); }
</style>
</head>
<body>
<header><h1>__TITLE__</h1><div class="legend" id="legend"></div><div id="warn"></div></header>
<svg id="view"><g id="world"><g id="edges"></g><g id="elabels"></g><g id="nodes"></g></g></svg>
<div id="tip"></div>
<script id="graph-data" type="application/json">__DATA__</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("graph-data").textContent);
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("view"), world = document.getElementById("world");
const tip = document.getElementById("tip");
const W = () => svg.clientWidth, H = () => svg.clientHeight;
const scale = 0.42 * Math.min(window.innerWidth, window.innerHeight - 48);
const byId = new Map();
data.nodes.forEach(n => { n.px = n.x * scale; n.py = n.y * scale; byId.set(n.id, n); });
const legend = document.getElementById("legend");
new Set(data.nodes.map(n => n.type)).forEach(t => {
  const s = document.createElement("span"), d = document.createElement("span");
  d.className = "dot"; d.style.background = data.colours[t] || "#999"; s.append(d, t); legend.append(s);
});
{ const s = document.createElement("span"), d = document.createElement("span");
  d.className = "dot"; d.style.border = "2px solid #d62728"; s.append(d, "hub (never expanded)"); legend.append(s); }
[["linked", "LINKED_TO linked"], ["ambiguous", "LINKED_TO ambiguous"], ["rejected candidate", "LINKED_TO rejected"],
 ["shares an identifier", "HAS_PHONE"]].forEach(([t, cls]) => {
  const s = document.createElement("span"), k = document.createElementNS(NS, "svg"), l = document.createElementNS(NS, "line");
  l.setAttribute("class", "edge " + cls); l.setAttribute("x1", 1); l.setAttribute("y1", 6); l.setAttribute("x2", 25);
  l.setAttribute("y2", 6); k.append(l); s.className = "edge-key"; s.append(k, t); legend.append(s);
});
if (data.truncated) document.getElementById("warn").textContent = "truncated: more nodes exist than drawn";
const neighbours = new Map(data.nodes.map(n => [n.id, new Set([n.id])]));
const edgeEls = data.edges.map(e => {
  neighbours.get(e.source).add(e.target); neighbours.get(e.target).add(e.source);
  const l = document.createElementNS(NS, "line");
  l.setAttribute("class", "edge " + e.type + (e.decision ? " " + e.decision : ""));
  l.addEventListener("mousemove", ev => showTip(ev, e.type, e.props));
  l.addEventListener("mouseleave", hideTip);
  document.getElementById("edges").append(l);
  let label = null;
  if (e.type === "LINKED_TO" && e.p !== null && e.p !== undefined) {
    label = document.createElementNS(NS, "text"); label.setAttribute("class", "elabel");
    label.textContent = "p=" + Number(e.p).toFixed(2);
    document.getElementById("elabels").append(label);
  }
  return [e, l, label];
});
const MAJOR = new Set(["Customer", "OnlineAccount"]);
const nodeEls = data.nodes.map(n => {
  const g = document.createElementNS(NS, "g"), c = document.createElementNS(NS, "circle");
  const t = document.createElementNS(NS, "text");
  g.setAttribute("class", "node" + (n.hub ? " hub" : "") + (n.focus ? " focus" : "") + (MAJOR.has(n.type) || n.focus ? "" : " minor"));
  const r = n.focus ? 12 : n.type === "Customer" || n.type === "OnlineAccount" ? 9 : 7;
  c.setAttribute("r", r);
  c.setAttribute("fill", data.colours[n.type] || "#999");
  t.setAttribute("x", r + 4); t.setAttribute("y", 4);
  t.textContent = n.label + (n.hub ? " (hub)" : "");
  g.append(c, t);
  g.addEventListener("mousemove", ev => showTip(ev, n.type + " " + n.label, n.props));
  g.addEventListener("mouseleave", hideTip);
  g.addEventListener("mousedown", ev => startDrag(ev, n));
  g.addEventListener("click", ev => { ev.stopPropagation(); highlight(n.id); });
  document.getElementById("nodes").append(g);
  return [n, g];
});
function draw() {
  edgeEls.forEach(([e, l, label]) => {
    const a = byId.get(e.source), b = byId.get(e.target);
    l.setAttribute("x1", a.px); l.setAttribute("y1", a.py); l.setAttribute("x2", b.px); l.setAttribute("y2", b.py);
    if (label) { label.setAttribute("x", (a.px + b.px) / 2 + 3); label.setAttribute("y", (a.py + b.py) / 2 - 3); }
  });
  nodeEls.forEach(([n, g]) => g.setAttribute("transform", "translate(" + n.px + "," + n.py + ")"));
}
let view = {x: 0, y: 0, k: 1};
function applyView() {
  world.setAttribute("transform", "translate(" + (W() / 2 + view.x) + "," + (H() / 2 + view.y) + ") scale(" + view.k + ")");
  svg.classList.toggle("zoomed", view.k >= 1.6);
}
function showTip(ev, title, props) {
  tip.textContent = title + "\\n" + Object.entries(props).map(([k, v]) =>
    k + ": " + (typeof v === "object" ? JSON.stringify(v) : v)).join("\\n");
  tip.style.display = "block"; tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 14) + "px";
}
function hideTip() { tip.style.display = "none"; }
let selected = null;
function highlight(id) {
  selected = selected === id ? null : id;
  const keep = selected ? neighbours.get(selected) : null;
  nodeEls.forEach(([n, g]) => { g.classList.toggle("dim", !!keep && !keep.has(n.id));
                                g.classList.toggle("near", !!keep && keep.has(n.id)); });
  edgeEls.forEach(([e, l, label]) => { const off = !!keep && e.source !== selected && e.target !== selected;
                                        l.classList.toggle("dim", off); if (label) label.classList.toggle("dim", off); });
}
let drag = null;
function startDrag(ev, n) { ev.stopPropagation(); drag = {node: n, x: ev.clientX, y: ev.clientY}; }
svg.addEventListener("mousedown", ev => { drag = {node: null, x: ev.clientX, y: ev.clientY}; });
window.addEventListener("mousemove", ev => {
  if (!drag) return;
  const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
  drag.x = ev.clientX; drag.y = ev.clientY;
  if (drag.node) { drag.node.px += dx / view.k; drag.node.py += dy / view.k; draw(); }
  else { view.x += dx; view.y += dy; applyView(); }
});
window.addEventListener("mouseup", () => { drag = null; });
svg.addEventListener("click", () => { if (selected) highlight(selected); });
svg.addEventListener("wheel", ev => {
  ev.preventDefault();
  const f = Math.exp(-ev.deltaY * 0.0015), cx = ev.clientX - svg.getBoundingClientRect().left - W() / 2;
  const cy = ev.clientY - svg.getBoundingClientRect().top - H() / 2;
  view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f; view.k *= f; applyView();
}, {passive: false});
window.addEventListener("resize", applyView);
draw(); applyView();
</script>
</body>
</html>
"""
