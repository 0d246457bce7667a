"""The ``linker`` command line: thin commands over the public functions of :mod:`linker`.

Every :class:`linker.errors.LinkerError` is caught in one place (:class:`_LinkerGroup`), printed as one message
and turned into exit status 1; no traceback, and never local variables (a password could be one).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from linker.config import load_config
from linker.errors import LinkerError

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class _LinkerGroup(TyperGroup):
    """Catches linker's own errors for every command: one message on stderr, exit status 1."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LinkerError as e:
            err.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_LinkerGroup, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  add_completion=False, help="Link bank customers to online accounts and find their needs.")

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path of linker.toml.")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Output folder (overrides config).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display, no summary table.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the machine-readable summary (JSON) on stdout.")]


@app.command()
def run(config: ConfigOption = Path("linker.toml"), output: OutputOption = None, quiet: QuietOption = False,
        json_summary: JsonOption = False,
        as_of: Annotated[Optional[str], typer.Option(help="Reference date YYYY-MM-DD (overrides config).")] = None,
        no_graph: Annotated[bool, typer.Option("--no-graph", help="Skip the embedded graph store.")] = False,
        model: Annotated[Optional[Path], typer.Option(
            "--model", help="Score with the match model of an earlier run (its model.json) instead of estimating "
                            "one from this run's data.")] = None,
        formats: Annotated[Optional[list[str]], typer.Option(
            "--format", help="Export format, repeatable: parquet, csv, jsonl (overrides output.formats; Parquet "
                             "only by default).")] = None,
        ) -> None:
    """Run the main job: ingest, resolve, enrich and export, as configured in linker.toml."""
    import linker

    overrides = {"output.dir": str(output) if output else None, "enrichment.as_of": as_of,
                 "output.graph_store": False if no_graph else None,
                 "resolution.model_file": str(model.resolve()) if model else None,
                 "output.formats": formats or None}
    cfg = load_config(config, overrides)
    with _progress(quiet) as hook:
        result = linker.run(cfg, stage_hook=hook)
    _report(result.summary(), quiet=quiet, as_json=json_summary)


@app.command()
def validate(config: ConfigOption = Path("linker.toml")) -> None:
    """Check the config and that every input file has the columns it maps, without running anything."""
    from linker.preflight import check_inputs

    cfg = load_config(config)
    check_inputs(cfg)
    err.print(f"[green]ok[/]: {config} is valid and its {len(cfg.sources)} sources have the mapped columns")


@app.command()
def demo(output: Annotated[Path, typer.Option("--output", "-o", help="Folder for demo data and results.")]
         = Path("linker-demo"),
         customers: Annotated[int, typer.Option(help="Number of customers to generate.")] = 2_000,
         accounts: Annotated[int, typer.Option(help="Number of online accounts.")] = 6_000,
         events: Annotated[int, typer.Option(help="Number of purchase and browsing events.")] = 40_000,
         seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
         profile: Annotated[str, typer.Option(
             help="Conventions of the data: number ranges, names, headers, date meanings, traps, behaviour "
                  "(the profiles are listed in the README's demo section).")] = "default",
         quiet: QuietOption = False, json_summary: JsonOption = False) -> None:
    """Generate a small realistic data set, run the whole pipeline on it and print a summary."""
    from linker.demo_run import run_demo

    with _progress(quiet) as hook:
        result = run_demo(output, customers=customers, accounts=accounts, events=events, seed=seed,
                          profile=profile, stage_hook=hook)
    _report(result.summary(), quiet=quiet, as_json=json_summary)
    if not quiet:
        err.print(f"Config and data: {output}/linker.toml, {output}/data/  Results: {result.output_dir}")


@app.command()
def explain(
    identifier: Annotated[str, typer.Argument(help="Customer ID (or account ID with --account).")],
    account: Annotated[bool, typer.Option("--account", help="IDENTIFIER is an account ID.")] = False,
    run_dir: Annotated[Path, typer.Option(help="Folder of a finished run.")] = Path("linker-out"),
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show why accounts were linked to a customer or not: every candidate with its evidence (values masked)."""
    from linker.explain import explain_account, explain_customer, render_text

    explanation = (explain_account if account else explain_customer)(run_dir, identifier)
    if fmt == "json":
        sys.stdout.write(json.dumps(explanation, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        out.print(render_text(explanation), markup=False, highlight=False)


# ---------------------------------------------------------------------------------------------- display
@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A stage hook showing one spinner line per stage on stderr (none when quiet)."""
    if quiet:
        yield None
        return
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err)

    @contextmanager
    def hook(name: str) -> Iterator[None]:
        task = progress.add_task(name, total=None)
        yield
        progress.update(task, total=1, completed=1, description=f"{name} [green]done[/]")

    with progress:
        yield hook


def _report(summary: dict[str, Any], *, quiet: bool, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    model = summary.get("model") or {}
    if model.get("method") == "starting values":  # said even when quiet: the weights were not learned
        err.print(f"warning: the match model was not estimated from this data ({model.get('reason')}); links were "
                  f"scored with the starting values", markup=False, highlight=False)
    if quiet:
        return
    tables = Table(title="Input tables", title_justify="left")
    for column in ("table", "rows in", "accepted", "quarantined", "reasons"):
        tables.add_column(column, justify="right" if column not in ("table", "reasons") else "left")
    for name, t in summary["tables"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in t["reasons"].items())
        tables.add_row(name, f"{t['rows_read']:,}", f"{t['accepted']:,}", f"{t['quarantined']:,}", reasons)
    stages = Table(title="Stages", title_justify="left")
    for column in ("stage", "seconds", "rows", "rows/s", "peak MB"):
        stages.add_column(column, justify="right" if column != "stage" else "left")
    for s in summary["stages"]:
        stages.add_row(s["name"], f"{s['seconds']:.2f}", f"{s['rows']:,}", f"{s['rows_per_second']:,.0f}",
                       f"{s['peak_rss_mb']:,.0f}")
    console = err if as_json else out
    console.print(tables)
    if summary["counts"]:
        counts = Table(title="Results", title_justify="left")
        counts.add_column("what")
        counts.add_column("count", justify="right")
        for k, v in summary["counts"].items():
            counts.add_row(k, f"{v:,}")
        console.print(counts)
    console.print(stages)
    if model.get("method") == "em":
        console.print(f"Match model estimated from this data by EM: {model['candidate_pairs']:,} candidate pairs and "
                      f"{model['random_pairs']:,} random ones, {model['iterations']} iterations (model.json).",
                      markup=False, highlight=False)
    elif model.get("method") == "loaded":
        console.print(f"Match model loaded from {model.get('file')}.", markup=False, highlight=False)
    console.print(f"Total {summary['total_seconds']:.2f} s. Outputs in {summary['output_dir']}")


# Command groups and commands living in their own modules register themselves on ``app`` when imported.
# (imports at the bottom: they need ``app`` defined above)
from linker.cli import graph  # noqa: E402,F401

def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
