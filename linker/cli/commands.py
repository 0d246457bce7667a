"""The pipeline's commands: ``run``, ``validate``, ``init``, ``demo`` and ``explain``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from linker.cli.app import (
    ConfigOption,
    JsonOption,
    OutputOption,
    QuietOption,
    RunDirOption,
    UnmaskOption,
    app,
    err,
    out,
    print_summary,
    run_folder,
    say,
    stage_progress,
)


@app.command()
def run(config: ConfigOption = Path("linker.toml"), output: OutputOption = None, quiet: QuietOption = False,
        json_summary: JsonOption = False,
        as_of: Annotated[Optional[str], typer.Option(help="Reference date YYYY-MM-DD (overrides config).")] = None,
        no_graph: Annotated[bool, typer.Option("--no-graph", help="Skip the embedded graph store.")] = False,
        aggregates: Annotated[bool, typer.Option(
            "--aggregates", help="Also write aggregates.parquet, every measure per customer, class and need domain "
                                 "(sets output.aggregates; about half the enrichment's time).")] = False,
        model: Annotated[Optional[Path], typer.Option(
            "--model", help="Score with the match model of an earlier run (its model.json) instead of estimating "
                            "one from this run's data.")] = None,
        baselines: Annotated[Optional[Path], typer.Option(
            "--baselines", help="Measure engagement against the need baselines of an earlier run (its "
                                "baselines.json) instead of this run's population.")] = None,
        formats: Annotated[Optional[list[str]], typer.Option(
            "--format", help="Export format, repeatable: parquet, csv, jsonl (overrides output.formats; Parquet "
                             "only by default).")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="Write into an output folder that holds files linker did not write (they are kept; "
                            "linker deletes only its own).")] = False,
        ) -> None:
    """Run the main job: ingest, resolve, enrich and export, as configured in linker.toml.

    The run is written beside the previous one in the output folder and replaces it only once finished."""
    import linker
    from linker.config import load_config

    overrides = {"output.dir": str(output) if output else None, "enrichment.as_of": as_of,
                 "output.graph_store": False if no_graph else None,
                 "output.aggregates": True if aggregates else None,
                 "resolution.model_file": str(model.resolve()) if model else None,
                 "enrichment.baselines_file": str(baselines.resolve()) if baselines else None,
                 "output.formats": formats or None}
    cfg = load_config(config, overrides)
    with stage_progress(quiet) as hook:
        result = linker.run(cfg, stage_hook=hook, force=force)
    print_summary(result.summary(), quiet=quiet, as_json=json_summary)


@app.command()
def validate(config: ConfigOption = Path("linker.toml")) -> None:
    """Check the config and that every input file has the columns it maps, without running anything."""
    from linker.config import load_config
    from linker.preflight import check_inputs

    cfg = load_config(config)
    check_inputs(cfg)
    say("ok", "green", f"{config} is valid and its {len(cfg.sources)} sources have the mapped columns")


@app.command()
def init(files: Annotated[list[Path], typer.Argument(help="Your input files (CSV, Parquet or JSON Lines), any order.")],
         output: Annotated[Path, typer.Option("--output", "-o", help="The config file to write.")]
         = Path("linker.toml"),
         force: Annotated[bool, typer.Option("--force", help="Replace an existing config file.")] = False) -> None:
    """Write a commented linker.toml from the headers of your files: each file's table and the column of each
    role are guessed (English or Chinese headers), for you to check before `linker validate`."""
    from linker.init_config import write_init_config

    guesses = write_init_config(files, output, overwrite=force)
    for g in guesses:
        mapped = ", ".join(f"{role}={'+'.join(columns)}" for role, columns in g.columns.items())
        say("guessed", "cyan", f"{g.path}: {g.table} ({mapped})")
    say("ok", "green", f"wrote {output}: check it, then run `linker validate -c {output}`")


@app.command()
def demo(output: Annotated[Path, typer.Option("--output", "-o", help="Folder for demo data and results.")]
         = Path("linker-demo"),
         customers: Annotated[int, typer.Option(min=1, help="Number of customers to generate.")] = 2_000,
         accounts: Annotated[int, typer.Option(min=1, help="Number of online accounts.")] = 6_000,
         events: Annotated[int, typer.Option(min=1, help="Number of purchase and browsing events.")] = 40_000,
         seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
         profile: Annotated[str, typer.Option(
             help="Conventions of the data: number ranges, names, headers, date meanings, traps, behaviour "
                  "(the profiles are listed in the README's demo section).")] = "default",
         quiet: QuietOption = False, json_summary: JsonOption = False,
         force: Annotated[bool, typer.Option(
             "--force", help="Replace a linker.toml in the folder that is not the demo's own without asking.")]
         = False) -> None:
    """Generate a small realistic data set, run the whole pipeline on it and print a summary.

    A linker.toml in the folder that is not the one this demo writes is replaced only after asking (or with
    --force); without a terminal to ask on, it is refused."""
    from linker.demo_run import run_demo
    from linker.errors import ConfigExistsError

    try:
        with stage_progress(quiet) as hook:
            result = run_demo(output, customers=customers, accounts=accounts, events=events, seed=seed,
                              profile=profile, stage_hook=hook, overwrite=force)
    except ConfigExistsError as e:
        if not sys.stdin.isatty() or not typer.confirm(f"{', '.join(map(str, e.paths))} exists and is not the "
                                                       "config this demo writes. Replace it?", err=True):
            raise
        with stage_progress(quiet) as hook:
            result = run_demo(output, customers=customers, accounts=accounts, events=events, seed=seed,
                              profile=profile, stage_hook=hook, overwrite=True)
    print_summary(result.summary(), quiet=quiet, as_json=json_summary)
    if not quiet:
        err.print(f"Config and data: {output}/linker.toml, {output}/data/  Results: {result.output_dir}",
                  markup=False, highlight=False)


@app.command()
def explain(
    identifier: Annotated[str, typer.Argument(help="Customer ID (or account ID with --account).")],
    account: Annotated[bool, typer.Option("--account", help="IDENTIFIER is an account ID.")] = False,
    run_dir: RunDirOption = None,
    fmt: Annotated[Literal["text", "json"], typer.Option("--format", "-f", help="text or json.")] = "text",
    unmask: UnmaskOption = False,
) -> None:
    """Show why accounts were linked to a customer or not: every candidate with its evidence, the prior and each
    comparison's weight adding up to the match weight, and the owner probability."""
    from linker.explain import explain_account, explain_customer, render_text

    explanation = (explain_account if account else explain_customer)(run_folder(run_dir), identifier,
                                                                      unmask=unmask)
    if fmt == "json":
        sys.stdout.write(json.dumps(explanation, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        out.print(render_text(explanation), markup=False, highlight=False)
