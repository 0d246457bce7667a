"""linker update keeps the graph store by applying the change set: the store it leaves holds and answers what a
store built from nothing by a full run over the same data (same model and baselines) holds and answers."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

import linker
from linker.graph.changes import GRAPH_CHANGES_DIR, read_graph_changes
from linker.graph.store import opened
from linker.update import update
from tests.graph.stores import library_answers, store_contents
from tests.update.test_update import _config, _demo


def test_an_updated_store_answers_as_a_store_built_from_a_full_run(tmp_path: Path) -> None:
    files = _demo(tmp_path, "default", seed=5)
    linker.run(_config(tmp_path, "run0", **{"output.graph_store": True}))
    files.apply_batch(11)
    result = update(_config(tmp_path, "run1", **{"output.graph_store": True}), tmp_path / "run0")
    linker.run(_config(tmp_path, "full", **{"output.graph_store": True,
                                             "resolution.model_file": str(tmp_path / "run0" / "model.json"),
                                             "enrichment.baselines_file": str(tmp_path / "run0" / "baselines.json")}))
    with opened(tmp_path / "run1") as updated, opened(tmp_path / "full") as full:
        assert store_contents(updated) == store_contents(full)
        pairs = updated.rows("MATCH (a:OnlineAccount)-[:LINKED_TO]->(c:Customer) RETURN c.customer_id "
                             "ORDER BY c.customer_id LIMIT 2")
        customer, other = pairs[0][0], pairs[-1][0]
        answers = library_answers(updated, customer, other)
        assert answers == library_answers(full, customer, other)
        assert any(answers.values())
    changes = read_graph_changes(tmp_path / "run1" / GRAPH_CHANGES_DIR)
    assert changes.run_id == json.loads((tmp_path / "run1" / "manifest.json").read_text())["run_id"]
    assert sum(changes.counts().values()) > 0
    assert {f"graph {k}" for k in changes.counts()} <= set(result.counts)
    # only what changed: fewer rows than the graph holds
    changed = sum(pq.read_metadata(p).num_rows for p in (tmp_path / "run1" / GRAPH_CHANGES_DIR).glob("*.parquet"))
    assert changed < result.counts["graph nodes"] + result.counts["graph relationships"]
