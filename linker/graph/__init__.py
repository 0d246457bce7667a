"""The property graph: the embedded Cypher store, the query library, Neo4j export and load, and views.

The graph is declared in ``graph_schema/schema.toml``; :mod:`linker.graph.build` turns the run tables into it,
:mod:`linker.graph.store` keeps it in LadybugDB at ``<output_dir>/graph.lbug``.

Public front:

- :func:`load_graph_store` — the pipeline's graph stage;
- :func:`open_store`, :func:`run_cypher`, :func:`run_library_query`, :func:`load_library` — querying;
- :func:`export_neo4j_bundle`, :func:`load_neo4j` — Neo4j;
- :func:`neighbourhood`, :func:`cluster_graph`, :func:`customer_neighbourhood`, :func:`run_cluster_graph`,
  :func:`write_graphml`, :func:`show_customer` — networkx views and pictures.
"""

from linker.graph.cypher import QueryResult, run_cypher
from linker.graph.library import load_library, run_library_query
from linker.graph.neo4j_bundle import export_neo4j_bundle
from linker.graph.neo4j_load import load_neo4j
from linker.graph.show import show_customer
from linker.graph.store import GraphStore, load_graph_store, open_store
from linker.graph.views import (
    cluster_graph,
    customer_neighbourhood,
    neighbourhood,
    run_cluster_graph,
    write_graphml,
)

__all__ = [
    "GraphStore",
    "QueryResult",
    "cluster_graph",
    "customer_neighbourhood",
    "export_neo4j_bundle",
    "load_graph_store",
    "load_library",
    "load_neo4j",
    "neighbourhood",
    "open_store",
    "run_cluster_graph",
    "run_cypher",
    "run_library_query",
    "show_customer",
    "write_graphml",
]
