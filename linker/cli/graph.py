"""Graph commands: ``cypher``, ``queries list|run|show``, ``export neo4j``, ``load neo4j``, ``show``, ``graphml``.

Each command is a few lines over a public function of :mod:`linker.graph`; they register on ``linker.cli.app``
when this module is imported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text

from linker.cli.app import RunDirOption, UnmaskOption, app, out, run_folder, say
from linker.errors import ConfigError

if TYPE_CHECKING:
    from linker.graph.cypher import QueryResult

ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", metavar="NAME=VALUE", help="A parameter: name=value, or name:TYPE=value (str, int, float, bool, date, timestamp, "
                          "list, json). Repeat for several.")]
FormatOption = Annotated[Literal["table", "csv", "json"], typer.Option("--format", "-f",
                                                                      help="Output: table, csv or json.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Interrupt the query after this many seconds.")]
RunIdOption = Annotated[str | None, typer.Option("--run-id", help="Run id to stamp (default: the run's own).")]


def _print(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _print_result(result: QueryResult, query: str, fmt: str, *, unmask: bool, max_rows: int | None = None) -> None:
    """Print a query's result, personal data masked unless ``unmask``; say on stderr when rows were left unread."""
    from linker.graph.cypher import format_result
    from linker.masking import mask_result

    _print(format_result(result if unmask else mask_result(result, query), fmt))
    if result.truncated and fmt != "table":
        say("truncated", "yellow", f"the first {max_rows} rows; the query has more (--max-rows)")


@app.command()
def cypher(query: Annotated[str, typer.Argument(help="One Cypher statement (LadybugDB dialect).")],
           param: ParamOption = None, fmt: FormatOption = "table", run_dir: RunDirOption = None,
           allow_write: Annotated[bool, typer.Option(
               "--allow-write", help="Let the query change this run's graph store (off: read-only).")] = False,
           timeout: TimeoutOption = 60.0,
           max_rows: Annotated[int | None, typer.Option(min=1, help="Read at most this many rows.")] = None,
           unmask: UnmaskOption = False) -> None:
    """Run a Cypher query on a run's graph store (read-only unless --allow-write).

    Names, phones, emails, device IDs and birth dates are masked unless --unmask. `linker schema` lists the
    labels, relationship types and properties."""
    from linker.graph.cypher import parse_params, run_cypher

    result = run_cypher(run_folder(run_dir), query, parse_params(param or []), allow_write=allow_write,
                        timeout_seconds=timeout or None, max_rows=max_rows)
    _print_result(result, query, fmt, unmask=unmask, max_rows=max_rows)


# ---------------------------------------------------------------------------------------------- queries
queries_app = typer.Typer(no_args_is_help=True, help="The investigators' query library (graph_schema/queries).")
app.add_typer(queries_app, name="queries")


@queries_app.command("list")
def queries_list(fmt: FormatOption = "table") -> None:
    """List the library's queries with their parameters."""
    from linker.graph.library import load_library

    library = load_library()
    if fmt == "json":
        _print(json.dumps([{"name": q.name, "description": q.description,
                            "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                                            "description": p.description} for p in q.params]}
                           for q in library.values()], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="Query library", title_justify="left", show_lines=True)
    for column in ("name", "parameters", "description"):
        table.add_column(column, overflow="fold")
    for q in library.values():
        params = "\n".join(f"{p.name} {p.type}" + (f" = {p.default}" if p.default is not None else "")
                           for p in q.params)
        table.add_row(Text(q.name), Text(params), Text(q.description))
    out.print(table)


@queries_app.command("run")
def queries_run(name: Annotated[str, typer.Argument(help="Query name (see `linker queries list`).")],
                param: ParamOption = None, fmt: FormatOption = "table", run_dir: RunDirOption = None,
                timeout: TimeoutOption = 60.0, unmask: UnmaskOption = False) -> None:
    """Run a library query on a run's graph store (personal data masked unless --unmask)."""
    from linker.graph.library import get_query, run_library_query

    result = run_library_query(run_folder(run_dir), name, param or [], timeout_seconds=timeout or None)
    _print_result(result, get_query(name).render("ladybug"), fmt, unmask=unmask)


@queries_app.command("show")
def queries_show(name: Annotated[str, typer.Argument(help="Query name.")],
                 dialect: Annotated[str, typer.Option(help="ladybug (as written) or neo4j.")] = "ladybug") -> None:
    """Print a library query's text, for the embedded store or for Neo4j."""
    from linker.graph.library import get_query

    _print(get_query(name).render(dialect) + "\n")


# ---------------------------------------------------------------------------------------------- Neo4j
export_app = typer.Typer(no_args_is_help=True, help="Export the graph for other tools.")
app.add_typer(export_app, name="export")
load_app = typer.Typer(no_args_is_help=True, help="Load the graph into a running database.")
app.add_typer(load_app, name="load")


@export_app.command("neo4j")
def export_neo4j(run_dir: RunDirOption = None,
                 output: Annotated[Path | None, typer.Option(
                     "--output", "-o", help="Bundle folder (default: <run-dir>/neo4j-import).")] = None,
                 database: Annotated[str, typer.Option(help="Database name in the import command.")] = "neo4j",
                 run_id: RunIdOption = None,
                 overwrite: Annotated[bool, typer.Option(help="Replace an existing bundle.")] = False) -> None:
    """Write a bundle for `neo4j-admin database import full`: typed-header CSVs and the exact command."""
    from linker.graph.neo4j_bundle import export_neo4j_bundle

    bundle = export_neo4j_bundle(run_folder(run_dir), output, run_id=run_id, database=database,
                                 overwrite=overwrite)
    say("ok", "green", f"{sum(bundle.counts.values()):,} rows in {len(bundle.counts)} files, run {bundle.run_id}, "
                       f"in {bundle.folder}\nImport with {bundle.folder}/import.sh, i.e. (from that folder):")
    _print(bundle.command + "\n")


@load_app.command("neo4j")
def load_neo4j(uri: Annotated[str, typer.Option(help="Neo4j URI, e.g. neo4j://host:7687 or neo4j+s://...")],
               user: Annotated[str, typer.Option(help="Neo4j user.")],
               password_env: Annotated[str, typer.Option(
                   help="Environment variable holding the password (never given on the command line).")]
               = "NEO4J_PASSWORD",
               database: Annotated[str, typer.Option(help="Neo4j database.")] = "neo4j",
               batch_size: Annotated[int, typer.Option(help="Rows per transaction.")] = 5_000,
               retry_seconds: Annotated[float, typer.Option(
                   help="How long the driver retries a failing transaction.")] = 30.0,
               run_dir: RunDirOption = None, run_id: RunIdOption = None,
               changes: Annotated[bool, typer.Option(
                   help="Send only what `linker update` changed (its graph_changes/) to a database holding the "
                        "previous run's graph.")] = False) -> None:
    """Load a run's graph into Neo4j in idempotent batches (constraints and indexes first)."""
    from linker.graph.neo4j_load import load_neo4j as load

    password = os.environ.get(password_env)
    if not password:
        raise ConfigError(f"set the environment variable {password_env} to the Neo4j password of {user!r}")
    totals = load(run_folder(run_dir), uri=uri, user=user, password=password, database=database,
                  batch_size=batch_size, run_id=run_id, retry_seconds=retry_seconds, changes=changes)
    say("ok", "green", f"{totals['rows']:,} rows in {totals['transactions']:,} transactions to {uri} "
                       f"(database {database}), run {totals['run_id']}, {totals['seconds']:.1f} s; created "
                       f"{totals['nodes_created']:,} nodes and {totals['relationships_created']:,} relationships")


# ---------------------------------------------------------------------------------------------- pictures
@app.command()
def show(customer_id: Annotated[str, typer.Argument(help="The bank customer ID.")],
         html: Annotated[Path | None, typer.Option(help="Write an interactive page here.")] = None,
         hops: Annotated[int, typer.Option(min=1, max=10, help="Relationships away from the customer.")] = 3,
         max_nodes: Annotated[int, typer.Option(min=1, help="Draw at most this many nodes.")] = 300,
         run_dir: RunDirOption = None, unmask: UnmaskOption = False) -> None:
    """Show a customer's identity neighbourhood: identifiers, accounts, other customers, hubs marked
    (personal data masked unless --unmask)."""
    from linker.graph.show import add_candidates, write_html
    from linker.graph.views import customer_neighbourhood
    from linker.masking import mask_graph

    graph = customer_neighbourhood(run_folder(run_dir), customer_id, hops=hops, max_nodes=max_nodes)
    add_candidates(graph, run_folder(run_dir))
    if not unmask:
        graph = mask_graph(graph)
    if html is not None:
        write_html(graph, html, title=f"Identity neighbourhood of customer {customer_id}")
        say("ok", "green", f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} relationships in {html}")
        return
    table = Table(title=Text(f"Neighbourhood of {customer_id} ({hops} hops)"), title_justify="left")
    for column in ("node", "type", "relationships", "hub"):
        table.add_column(column)
    for nid, data in sorted(graph.nodes(data=True), key=lambda item: (item[1]["type"], str(item[1]["key"]))):
        table.add_row(Text(str(data["label"])), Text(str(data["type"])), str(graph.degree(nid)),
                      "hub" if data.get("is_hub") else "")
    out.print(table)
    if graph.graph.get("truncated"):
        say("truncated", "yellow", f"at {max_nodes} nodes: raise --max-nodes or lower --hops to see all")


@app.command()
def graphml(cluster_id: Annotated[str | None, typer.Argument(help="The cluster ID (CL...).")] = None,
            output: Annotated[Path, typer.Option("--output", "-o", help="GraphML file to write.")]
            = Path("cluster.graphml"),
            customer: Annotated[str | None, typer.Option(help="Take the cluster of this customer.")] = None,
            run_dir: RunDirOption = None) -> None:
    """Export an identity cluster as GraphML (for Gephi)."""
    from linker.graph.views import run_cluster_graph, write_graphml

    if (cluster_id is None) == (customer is None):
        raise typer.BadParameter("name a cluster ID or --customer (one of the two)")
    graph = run_cluster_graph(run_folder(run_dir), cluster_id=cluster_id, customer_id=customer)
    write_graphml(graph, output)
    say("ok", "green", f"cluster {graph.graph['cluster_id']}: {graph.number_of_nodes()} nodes, "
                       f"{graph.number_of_edges()} relationships in {output}")


# ---------------------------------------------------------------------------------------------- schema
@app.command()
def schema(run_dir: RunDirOption = None,
           fmt: Annotated[Literal["table", "json"], typer.Option("--format", "-f", help="table or json.")]
           = "table") -> None:
    """List the graph store's labels and relationship types: their properties, keys, directions and counts."""
    from linker.graph.catalog import run_catalog

    entries = run_catalog(run_folder(run_dir))
    if fmt == "json":
        _print(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2) + "\n")
        return
    for kind, title in (("node", "Node labels"), ("relationship", "Relationship types")):
        table = Table(title=title, title_justify="left", show_lines=True)
        for column in ("label" if kind == "node" else "type", "count",
                       "key" if kind == "node" else "from -> to, followed", "properties"):
            table.add_column(column, overflow="fold", justify="right" if column == "count" else "left")
        for e in (e for e in entries if e.kind == kind):
            where = e.key if kind == "node" else f"{e.joins}\n{e.directions}"
            props = ", ".join(f"{p} {t}" + (" (personal)" if p in e.personal else "")
                              for p, t in e.properties.items())
            table.add_row(Text(e.name), f"{e.count:,}", Text(str(where)), Text(props))
        out.print(table)
    say("note", "cyan", "relationship types followed forward only take a direction in a pattern: "
                        "(a)-[r:PURCHASED]->(c), not (a)-[r:PURCHASED]-(c). Personal properties are masked in "
                        "cypher's output unless --unmask.")
