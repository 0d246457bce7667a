"""The ``linker`` application and what its commands share: the consoles, messages, options, the run folder a
reading command reads, the stage progress display and the run summary."""

from __future__ import annotations

import json
import os
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

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



def run_folder(run_dir: Path | None) -> Path:
    """The run folder a reading command reads: ``--run-dir``, else the one ``./linker.toml`` writes to."""
    from linker.run_folder import default_run_dir

    return run_dir if run_dir is not None else default_run_dir()


# ---------------------------------------------------------------------------------------------- display
@contextmanager
def stage_progress(quiet: bool) -> Iterator[Any]:
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


def print_summary(summary: dict[str, Any], *, quiet: bool, as_json: bool) -> None:
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
