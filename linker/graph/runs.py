"""What graph commands need from a run folder: its graph as tables DuckDB can read, and its run id."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from linker.errors import RunNotFoundError
from linker.graph.build import GraphQueries, file_queries
from linker.graph.store import extract_parquet, opened
from linker.run_folder import MANIFEST, STORE_NAME
from linker.schema import GraphSchema, load_schema


@contextmanager
def graph_tables(run_dir: Path, *, schema: GraphSchema | None = None
                 ) -> Iterator[tuple[duckdb.DuckDBPyConnection, GraphQueries]]:
    """The graph of a run's store as typed DuckDB queries (over Parquet files in a temporary folder).

    Exports read the store, not ``work.duckdb``: they carry exactly the graph investigators query, and do not
    depend on which run tables a run keeps.

    Raises
    ------
    RunNotFoundError
        If the run has no graph store.
    """
    schema = schema or load_schema()
    with tempfile.TemporaryDirectory(prefix="linker-graph-") as tmp:
        with opened(run_dir) as store:
            files = extract_parquet(store, Path(tmp), schema=schema)
        con = duckdb.connect()
        try:
            yield con, file_queries(files, schema)
        finally:
            con.close()


def resolve_run_id(run_dir: Path, override: str | None = None) -> str:
    """The id of the run in ``run_dir``: ``override``, else ``run_id`` of its manifest, else the one stamped on
    its graph store's ``LINKED_TO`` relationships.

    Raises
    ------
    RunNotFoundError
        If none of these gives one (pass ``--run-id``).
    """
    if override:
        return override
    manifest = Path(run_dir) / MANIFEST
    if manifest.is_file():
        run_id = json.loads(manifest.read_text(encoding="utf-8")).get("run_id")
        if run_id:
            return str(run_id)
    if (Path(run_dir) / STORE_NAME).exists():
        with opened(run_dir) as store:
            rows = store.rows("MATCH ()-[l:LINKED_TO]->() RETURN l.run_id LIMIT 1")
        if rows and rows[0][0]:
            return str(rows[0][0])
    raise RunNotFoundError(f"cannot tell the run id of {run_dir} (no run_id in {MANIFEST}, no linked pairs in "
                           "its graph store): pass --run-id")
