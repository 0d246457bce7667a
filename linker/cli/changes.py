"""``linker diff``: what changed between two runs (see :mod:`linker.changes`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from linker.cli.app import app, out


def changes_table(title: str, counts: dict[str, int]) -> Table:
    """The count of each kind of change, as ``linker diff`` and ``linker update`` print it."""
    table = Table(title=title, title_justify="left")
    table.add_column("change")
    table.add_column("count", justify="right")
    for change, count in counts.items():
        table.add_row(change, f"{count:,}")
    return table


@app.command()
def diff(old_run: Annotated[Path, typer.Argument(help="The earlier run's output folder.")],
         new_run: Annotated[Path, typer.Argument(help="The later run's output folder.")],
         output: Annotated[Optional[Path], typer.Option(
             "--output", "-o", help="Write every change to this Parquet file (changes.parquet).")] = None,
         json_summary: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
         ) -> None:
    """Links made and withdrawn, clusters merged and split, needs fired and expired between two runs."""
    from linker.changes import diff_runs, write_changes

    log = diff_runs(old_run, new_run)
    if output is not None:
        write_changes(log, output)
    if json_summary:
        sys.stdout.write(json.dumps(log.counts) + "\n")
        return
    out.print(changes_table(f"Changes from {old_run} to {new_run}", log.counts))
    if output is not None:
        out.print(f"Every change: {output}", markup=False, highlight=False)
