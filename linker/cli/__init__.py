"""The ``linker`` command line: thin commands over the public functions of :mod:`linker`.

Errors are caught in one place (:class:`_LinkerGroup`): a :class:`linker.errors.LinkerError` or a file system
error is printed as one message, as plain text (no markup: a path or a setting in brackets is shown as written),
with exit status 1; usage errors (an unknown option, a bad option value) exit with status 2; anything else is a
bug, reported in one line without its message (it could quote a value of the input) and exit status 70. No
traceback unless ``linker --debug`` asks for one, and never local variables (a password could be one).

Heavy libraries (DuckDB, pandas, the pipeline) are imported inside the commands that use them, so that
``linker --help`` and a usage error answer at once.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Optional

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.exceptions import Abort, Exit, TyperException

from linker import __version__
from linker.errors import LinkerError
from linker.run_folder import DEFAULT_DIR

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


EXIT_ERROR = 1
"""Exit status of a problem the user can fix (config, input, run folder, query)."""
EXIT_USAGE = 2
"""Exit status of a usage error (unknown option, bad option value), as every click program."""
EXIT_BUG = 70
"""Exit status of an unexpected error: a bug in linker (EX_SOFTWARE)."""
EXIT_INTERRUPTED = 130


def say(prefix: str, style: str, message: str, *, console: Console | None = None) -> None:
    """Print ``prefix: message`` on stderr; only the prefix is styled, the message is printed as it is."""
    (console or err).print(Text.assemble((f"{prefix}:", style), " ", message), highlight=False, soft_wrap=True)


class _LinkerGroup(TyperGroup):
    """Turns every error into one message and an exit status, for every command (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_help(self)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except LinkerError as e:
            self._fail(ctx, e, str(e), EXIT_ERROR)
        except KeyboardInterrupt as e:
            self._fail(ctx, e, "interrupted", EXIT_INTERRUPTED)
        except OSError as e:
            where = f" ({e.filename})" if e.filename else ""
            self._fail(ctx, e, f"{e.strerror or type(e).__name__}{where}: check the path and its permissions, "
                               f"and the free disk space", EXIT_ERROR)
        except Exception as e:  # noqa: BLE001 - the one place where any error becomes a message and a status
            origin = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
            at = f" at {Path(origin.filename).name}:{origin.lineno}" if origin else ""
            self._fail(ctx, e, f"internal error ({type(e).__module__}.{type(e).__name__}{at}): this is a bug in "
                               "linker, not a problem of your input. Run again with `linker --debug ...` to see the "
                               "traceback, and report it", EXIT_BUG)

    @staticmethod
    def _fail(ctx: typer.Context, error: BaseException, message: str, status: int) -> None:
        if _debug(ctx):
            raise error
        say("error", "bold red", message)
        raise Exit(status) from None


def _plain_help(group: TyperGroup) -> None:
    """Help without a type placeholder on flags (``--quiet <bool>`` reads as if it took a value), and arguments
    in capitals, for every command of ``group`` and its sub-groups."""
    for command in [group, *group.commands.values()]:
        if isinstance(command, TyperGroup) and command is not group:
            _plain_help(command)
        command.get_help_option = _flag_help(command.get_help_option)  # type: ignore[method-assign]
        for param in command.params:
            if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
                param.metavar = ""
            elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
                param.metavar = param.name.upper()


def _flag_help(get_help_option: Any) -> Any:
    def plain(ctx: typer.Context) -> Any:
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option
    return plain


def _debug(ctx: typer.Context) -> bool:
    return bool(ctx.meta.get("linker.debug")) or os.environ.get("LINKER_DEBUG", "") not in ("", "0")


HELP = {"help_option_names": ["-h", "--help"]}
"""Context settings of every command: ``-h`` is ``--help``."""

app = typer.Typer(cls=_LinkerGroup, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  add_completion=False, context_settings=HELP,
                  help="Link bank customers to online accounts and find their needs.")


def _version(value: bool) -> None:
    if value:
        out.print(f"linker {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(ctx: typer.Context, debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an error (it may quote input values).")] = False,
          version: Annotated[bool, typer.Option(
              "--version", callback=_version, is_eager=True, help="Print linker's version and exit.")] = False,
          ) -> None:
    ctx.meta["linker.debug"] = debug


ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Path of linker.toml.")]
OutputOption = Annotated[Optional[Path], typer.Option("--output", "-o", help="Output folder (overrides config).")]
RunDirOption = Annotated[Optional[Path], typer.Option(
    "--run-dir", "-r", help=f"The run's output folder (default: output.dir of ./linker.toml, else {DEFAULT_DIR}).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display, no summary table.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the machine-readable summary (JSON) on stdout.")]
UnmaskOption = Annotated[bool, typer.Option(
    "--unmask", help="Show names, phones, emails, device IDs and birth dates as they are (masked by default).")]


@app.command()
def run(config: ConfigOption = Path("linker.toml"), output: OutputOption = None, quiet: QuietOption = False,
        json_summary: JsonOption = False,
        as_of: Annotated[Optional[str], typer.Option(help="Reference date YYYY-MM-DD (overrides config).")] = None,
        no_graph: Annotated[bool, typer.Option("--no-graph", help="Skip the embedded graph store.")] = False,
        model: Annotated[Optional[Path], typer.Option(
            "--model", help="Score with the match model of an earlier run (its model.json) instead of estimating "
                            "one from this run's data.")] = None,
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
                 "resolution.model_file": str(model.resolve()) if model else None}
    cfg = load_config(config, overrides)
    with _progress(quiet) as hook:
        result = linker.run(cfg, stage_hook=hook, force=force)
    _report(result.summary(), quiet=quiet, as_json=json_summary)


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
        with _progress(quiet) as hook:
            result = run_demo(output, customers=customers, accounts=accounts, events=events, seed=seed,
                              profile=profile, stage_hook=hook, overwrite=force)
    except ConfigExistsError as e:
        if not sys.stdin.isatty() or not typer.confirm(f"{', '.join(map(str, e.paths))} exists and is not the "
                                                       "config this demo writes. Replace it?", err=True):
            raise
        with _progress(quiet) as hook:
            result = run_demo(output, customers=customers, accounts=accounts, events=events, seed=seed,
                              profile=profile, stage_hook=hook, overwrite=True)
    _report(result.summary(), quiet=quiet, as_json=json_summary)
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


def run_folder(run_dir: Path | None) -> Path:
    """The run folder a reading command reads: ``--run-dir``, else the one ``./linker.toml`` writes to."""
    from linker.run_folder import default_run_dir

    return run_dir if run_dir is not None else default_run_dir()


# ---------------------------------------------------------------------------------------------- display
@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A stage hook showing one spinner line per stage on stderr (none when quiet)."""
    if quiet:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err)

    @contextmanager
    def hook(name: str) -> Iterator[None]:
        task = progress.add_task(name, total=None)
        yield
        progress.update(task, total=1, completed=1, description=f"{name} [green]done[/]")

    with progress:
        yield hook


def _report(summary: dict[str, Any], *, quiet: bool, as_json: bool) -> None:
    from rich.table import Table

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
        tables.add_row(Text(name), f"{t['rows_read']:,}", f"{t['accepted']:,}", f"{t['quarantined']:,}",
                       Text(reasons))
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
            counts.add_row(Text(k), f"{v:,}")
        console.print(counts)
    console.print(stages)
    if model.get("method") == "em":
        console.print(f"Match model estimated from this data by EM: {model['candidate_pairs']:,} candidate pairs and "
                      f"{model['random_pairs']:,} random ones, {model['iterations']} iterations (model.json).",
                      markup=False, highlight=False)
    elif model.get("method") == "loaded":
        console.print(f"Match model loaded from {model.get('file')}.", markup=False, highlight=False)
    console.print(f"Total {summary['total_seconds']:.2f} s. Outputs in {summary['output_dir']}", markup=False,
                  highlight=False)


# Command groups and commands living in their own modules register themselves on ``app`` when imported.
# (imports at the bottom: they need ``app`` defined above)
from linker.cli import changes, graph  # noqa: E402,F401

def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
