"""``linker update``: today's run built on a previous one, with the change log between them.

The configuration names today's source files whole (yesterday's rows, changed rows and new ones; a row gone from
a file is a deletion). The update

- checks the previous run (:func:`~linker.update.previous.open_previous`): same state version, same resolution
  settings, not pseudonymized; its match model is reused, not retrained (retraining is a full ``linker run``);
- ingests and normalizes today's files (in full), and finds the owners added, changed or removed by key and
  content hash (:mod:`linker.update.batch`);
- finds, compares and scores the candidate pairs of all owners with that model, and decides again only the
  accounts whose scored pairs differ from the previous run's; the others keep their previous rows of ``links``
  (:mod:`linker.update.scope`);
- rebuilds the clusters from the links, which keeps identities stable: a cluster's id is the hash of its smallest
  customer key (account key without customers; :mod:`linker.resolve.clusters`), so it survives every change that
  does not touch that customer; when clusters merge, the merged one keeps the id of the cluster holding the
  smallest customer key of all; when one splits, the part holding that customer keeps its id, the others take
  the ids of theirs;
- recomputes the enrichment (aggregates, signals, profiles) in full from today's files, measuring engagement
  against the previous run's need baselines (:mod:`linker.enrich.baselines`), as it scores with its model: a
  customer's needs then change only with the customer's own events and the passing days;
- compares the graph of today's tables with the previous run's graph store (:mod:`linker.graph.changes`) and
  writes what changed into ``graph_changes/`` for the Neo4j loader (``linker load neo4j --changes``); its own
  store is built from today's rows, each link that did not change keeping the run id it had;
- writes ``changes.parquet`` (:mod:`linker.changes`; a link withdrawn because the value it rested on crossed the
  hub degree says so, :mod:`linker.update.reasons`) and its counts in the summary (``changes``).

Like every run it is written into the output folder's staging folder and switched in at the end: the previous
run is only read (attached read-only), even when the output folder is the previous run's own.
Applying batches one after another gives the same links, clusters, aggregates and needs as one full run over
the last files with the same model and need baselines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from linker.changes import change_log, write_changes
from linker.config import Config
from linker.graph import load_graph_store
from linker.graph.changes import GRAPH_CHANGES_DIR, update_graph_store
from linker.pipeline import RunResult, StageHook, check_update_engine, run
from linker.resolve import Resolution, resolve
from linker.rules import Rules
from linker.run_folder import STORE_NAME, WORK_DIR
from linker.sql import quote_literal
from linker.update.batch import detect_changes
from linker.update.previous import PreviousRun, open_previous
from linker.update.reasons import explain_hub_withdrawals
from linker.update.scope import IncrementalScope

__all__ = ["CHANGES_FILE", "update"]

CHANGES_FILE = "changes.parquet"
"""The change log an update writes into its run folder."""


def update(config: Config, since: Path, *, frames: dict[str, pd.DataFrame] | None = None,
           stage_hook: StageHook | None = None, force: bool = False) -> RunResult:
    """Run the pipeline on today's data, building on the run in ``since``.

    Parameters
    ----------
    config
        Today's configuration; its resolution settings must be those of the previous run.
    since
        The previous run's output folder (it may be ``config.output.dir`` itself).
    frames, stage_hook, force
        As for :func:`linker.run`.

    Returns
    -------
    RunResult
        With ``changes`` (counts by kind) and, in ``counts``, the values changed and the accounts decided again.

    Raises
    ------
    RunNotFoundError
        If ``since`` holds no finished run.
    RunFolderError
        If that run cannot be built on (another state version, other settings, pseudonymized).
    EngineError
        If ``engine.backend`` is not DuckDB (checked first).
    """
    check_update_engine(config)
    previous = open_previous(since, config)
    return run(previous.configure(config), frames=frames, stage_hook=stage_hook, force=force,
               hooks=_UpdateHooks(previous))


class _UpdateHooks:
    """The update's part in the run's stages (:class:`linker.pipeline.RunHooks`)."""

    def __init__(self, previous: PreviousRun) -> None:
        self.previous = previous
        self.batch: dict[str, dict[str, int]] = {}
        self.graph_files: list[Path] = []
        self.graph_changes: dict[str, int] | None = None

    def resolve(self, con: duckdb.DuckDBPyConnection, config: Config, rules: Rules) -> Resolution:
        con.execute(f"ATTACH {quote_literal(str(self.previous.database))} AS prev (READ_ONLY)")
        self.batch = detect_changes(con)
        scope = IncrementalScope(rules)
        resolution = resolve(con, config.resolution, rules, model=self.previous.model, scope=scope)
        resolution.counts.update(scope.counts)
        con.execute("DROP TABLE changed_owners; DROP TABLE changed_values; DROP TABLE decided_accounts; "
                    "DROP TABLE IF EXISTS touched_accounts")
        return resolution

    def graph(self, con: duckdb.DuckDBPyConnection, staging: Path, run_id: str, config: Config) -> dict[str, int]:
        previous_store = self.previous.folder / STORE_NAME
        memory_limit, workdir = config.engine.memory_limit, staging / WORK_DIR / "graph"
        if not previous_store.is_file():
            return load_graph_store(con, staging, run_id=run_id, workdir=workdir, memory_limit=memory_limit)
        changes, counts = update_graph_store(con, staging, previous_store, run_id=run_id, workdir=workdir,
                                             memory_limit=memory_limit)
        self.graph_files = [p.relative_to(staging) for p in changes.write(staging / GRAPH_CHANGES_DIR)]
        self.graph_changes = changes.counts()
        return counts

    def finish(self, con: duckdb.DuckDBPyConnection, staging: Path, result: RunResult) -> dict[str, Any]:
        log = change_log(con, "prev", con.execute("SELECT current_database()").fetchall()[0][0])
        log = explain_hub_withdrawals(con, log)
        con.execute("DETACH prev")
        write_changes(log, staging / CHANGES_FILE)
        result.files.append(result.output_dir / CHANGES_FILE)
        result.changes = dict(log.counts)
        if self.graph_changes is not None:
            result.files += [result.output_dir / p for p in self.graph_files]
            result.counts.update({f"graph {k}": v for k, v in self.graph_changes.items()})
        return {"update": {"since": str(self.previous.folder.resolve()),
                           "since_run_id": self.previous.manifest.get("run_id"), "batch": self.batch}}
