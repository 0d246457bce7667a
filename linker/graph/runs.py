"""Finding what a graph command needs in a run folder: the run database and the run id."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from linker.errors import GraphStoreError, RunNotFoundError

WORK_DB = "work.duckdb"
MANIFEST = "manifest.json"


def open_run_database(run_dir: Path) -> duckdb.DuckDBPyConnection:
    """The run database of a run folder, opened read-only.

    Raises
    ------
    RunNotFoundError
        If the folder has no ``work.duckdb``.
    GraphStoreError
        If DuckDB cannot open it (for instance, a run is writing it right now).
    """
    path = Path(run_dir) / WORK_DB
    if not path.is_file():
        raise RunNotFoundError(f"{run_dir} has no run database ({WORK_DB}): run `linker run` first, "
                               "or pass --run-dir")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise GraphStoreError(f"DuckDB cannot open {path} read-only (is a run still writing it?): {e}") from e


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
    from linker.graph.store import STORE_NAME, opened

    if (Path(run_dir) / STORE_NAME).exists():
        with opened(run_dir) as store:
            rows = store.rows("MATCH ()-[l:LINKED_TO]->() RETURN l.run_id LIMIT 1")
        if rows and rows[0][0]:
            return str(rows[0][0])
    raise RunNotFoundError(f"cannot tell the run id of {run_dir} (no run_id in {MANIFEST}, no linked pairs in "
                           "its graph store): pass --run-id")
