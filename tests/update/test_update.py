"""linker update: batches applied one by one give what one full run over the last data gives with the same model
and need baselines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import linker
from linker.config import Config, load_config
from linker.demo.profiles import PROFILES
from linker.demo_run import write_demo
from linker.enrich.baselines import FORMAT, load_baselines
from linker.run_folder import BASELINES_FILE
from linker.update import CHANGES_FILE, update
from tests.update.batches import DemoFiles

COMPARED = {
    "links": "SELECT customer_id, account_id, decision, reason, probability, owner_probability, match_weight, rank, "
             "margin_bits, competitors, CAST(evidence AS VARCHAR) FROM {db}.links",
    "clusters": "SELECT * FROM {db}.clusters",
    "aggregates": "SELECT * FROM read_parquet('{folder}/aggregates.parquet')",   # written beside, not kept
    "signals": "SELECT * FROM {db}.signals",
    "signal_events": "SELECT * FROM {db}.signal_events",
    "profiles": "SELECT * FROM {db}.profiles",
}
"""The tables that must be equal, row for row, between the updated run and the full one."""


def _config(folder: Path, out: str, **overrides: object) -> Config:
    return load_config(folder / "linker.toml", {"output.dir": str(folder / out), "output.graph_store": False,
                                                 "output.formats": ["parquet"], "output.aggregates": True,
                                                 **overrides})


def _demo(folder: Path, profile: str, seed: int) -> DemoFiles:
    config_path = write_demo(folder, customers=120, accounts=360, events=2_000, seed=seed, profile=profile,
                             file_format="parquet", overwrite=True)
    files = DemoFiles(load_config(config_path))
    files.hold_back(seed)
    return files


def _differences(updated: Path, full: Path) -> dict[str, int]:
    """Rows in one run's table and not in the other's, per compared table."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{updated / 'work.duckdb'}' AS u (READ_ONLY)")
        con.execute(f"ATTACH '{full / 'work.duckdb'}' AS f (READ_ONLY)")
        queries = {t: (q.format(db="u", folder=updated), q.format(db="f", folder=full)) for t, q in COMPARED.items()}
        return {t: con.execute(f"SELECT count(*) FROM (({u} EXCEPT ALL {f}) UNION ALL ({f} EXCEPT ALL {u}))"
                               ).fetchall()[0][0]
                for t, (u, f) in queries.items()}
    finally:
        con.close()


@pytest.mark.parametrize("profile", list(PROFILES))
@settings(max_examples=1, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), batches=st.lists(st.integers(0, 2**31), min_size=1, max_size=3))
def test_batches_one_by_one_equal_a_full_run_with_the_same_model_and_baselines(tmp_path_factory: pytest.TempPathFactory,
                                                                 profile: str, seed: int, batches: list[int]) -> None:
    folder = tmp_path_factory.mktemp(f"update-{profile}")
    files = _demo(folder, profile, seed)
    linker.run(_config(folder, "run0"))
    for i, batch in enumerate(batches, start=1):
        files.apply_batch(batch)
        update(_config(folder, f"run{i}"), folder / f"run{i - 1}")
    last = folder / f"run{len(batches)}"
    linker.run(_config(folder, "full", **{"resolution.model_file": str(folder / "run0" / "model.json"),
                                          "enrichment.baselines_file": str(folder / "run0" / "baselines.json")}))
    assert _differences(last, folder / "full") == {t: 0 for t in COMPARED}
    assert (last / CHANGES_FILE).is_file()


def test_an_update_measures_needs_against_the_previous_runs_baselines(tmp_path: Path) -> None:
    files = _demo(tmp_path, "default", seed=3)
    linker.run(_config(tmp_path, "run0"))
    files.apply_batch(7)
    update(_config(tmp_path, "run1"), tmp_path / "run0")
    before = load_baselines(tmp_path / "run0" / BASELINES_FILE)
    assert load_baselines(tmp_path / "run1" / BASELINES_FILE).equals(before)   # carried to the next update
    manifest = json.loads((tmp_path / "run1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["enrichment"]["baselines"] == str((tmp_path / "run0" / BASELINES_FILE).resolve())
    # baselines the configuration names win over the previous run's
    mine = [{**b, "spend": 1.0, "learned_as_of": "2020-01-01"} for b in before.to_pylist()]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"format": FORMAT, "baselines": mine}, default=str), encoding="utf-8")
    update(_config(tmp_path, "run2", **{"enrichment.baselines_file": str(path)}), tmp_path / "run1")
    assert {b["learned_as_of"] for b in load_baselines(tmp_path / "run2" / BASELINES_FILE).to_pylist()} == {
        date(2020, 1, 1)}
