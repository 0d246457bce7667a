"""``linker demo``: generate a small realistic data set, write its config, and run the pipeline on it."""

from __future__ import annotations

from pathlib import Path

from linker.config import load_config
from linker.demo import DemoSpec, generate_demo
from linker.outputs import write_text
from linker.pipeline import RunResult, StageHook, run

DEMO_CONFIG = """# linker configuration of the demo data set (written by `linker demo`).
region = "CN"

[sources.customers]
path = "data/customers.{ext}"

[sources.transactions]
path = "data/transactions.{ext}"

[sources.accounts]
path = "data/accounts.{ext}"

[sources.purchases]
path = "data/purchases.{ext}"

[sources.browsing]
path = "data/browsing.{ext}"

[output]
dir = "out"
"""


def write_demo(folder: Path, *, customers: int = 2_000, accounts: int = 6_000, events: int = 40_000,
               seed: int = 42, file_format: str = "csv") -> Path:
    """Generate the demo data into ``folder/data`` and its config into ``folder/linker.toml``; return the config path.

    Ground truth (true account owners, planted needs, traps) goes to ``folder/data/truth`` and is never read by
    the pipeline.
    """
    folder.mkdir(parents=True, exist_ok=True)
    generate_demo(folder / "data", DemoSpec(customers=customers, accounts=accounts, events=events, seed=seed,
                                            file_format=file_format))
    ext = "csv" if file_format == "csv" else "parquet"
    return write_text(folder / "linker.toml", DEMO_CONFIG.format(ext=ext))


def run_demo(folder: Path, *, customers: int = 2_000, accounts: int = 6_000, events: int = 40_000, seed: int = 42,
             stage_hook: StageHook | None = None) -> RunResult:
    """Generate the demo data set and run the whole pipeline on it (outputs in ``folder/out``)."""
    config_path = write_demo(folder, customers=customers, accounts=accounts, events=events, seed=seed)
    return run(load_config(config_path), stage_hook=stage_hook)
