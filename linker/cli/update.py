"""``linker update``: today's run built on a previous one, with its change log (see :mod:`linker.update`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from linker.cli.app import (
    ConfigOption,
    JsonOption,
    OutputOption,
    QuietOption,
    app,
    err,
    out,
    print_summary,
    stage_progress,
)
from linker.cli.changes import changes_table


@app.command()
def update(since: Annotated[Path, typer.Option(
               "--since", help="The previous run's output folder: its model is reused and its decisions kept "
                               "where nothing they read changed.")],
           config: ConfigOption = Path("linker.toml"), output: OutputOption = None, quiet: QuietOption = False,
           json_summary: JsonOption = False,
           as_of: Annotated[Optional[str], typer.Option(help="Reference date YYYY-MM-DD (overrides config).")] = None,
           force: Annotated[bool, typer.Option(
               "--force", help="Write into an output folder that holds files linker did not write.")] = False,
           ) -> None:
    """Run on today's files, rescoring only what changed since an earlier run; write changes.parquet.

    The files are today's whole tables: rows are matched with the earlier run's by key and content, and a row
    gone from a file is a deletion."""
    from linker.config import load_config
    from linker.update import CHANGES_FILE
    from linker.update import update as run_update

    cfg = load_config(config, {"output.dir": str(output) if output else None, "enrichment.as_of": as_of})
    with stage_progress(quiet) as hook:
        result = run_update(cfg, since, stage_hook=hook, force=force)
    print_summary(result.summary(), quiet=quiet, as_json=json_summary)
    if quiet:
        return
    console = err if json_summary else out
    console.print(changes_table(f"Changes since {since}", result.changes))
    console.print(f"Every change: {result.output_dir / CHANGES_FILE}", markup=False, highlight=False)
