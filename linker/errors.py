"""The one exception tree of linker.

Every error a user can cause derives from :class:`LinkerError`; the CLI catches it in one place, prints its
message and exits with status 1. Messages say what is wrong, where (file, table, row, column) and what to do.
They never carry identifier values in clear: use :func:`linker.privacy.mask` when a value must be shown.
"""

from __future__ import annotations

from pathlib import Path


class LinkerError(Exception):
    """Base class of every error linker raises on purpose."""


class ConfigError(LinkerError, ValueError):
    """The configuration is invalid, or does not fit the data it names.

    Raised before any work starts. ``problems`` lists every problem found, so that all can be fixed at once.
    """

    def __init__(self, problems: list[str] | str, *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        if len(self.problems) == 1:
            message = f"Configuration problem{where}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} configuration problems{where}:\n{lines}"
        super().__init__(message)


class InputError(LinkerError):
    """An input file cannot be read at all (missing, undecodable, not the declared format).

    Bad *rows* never raise: they are quarantined. This is for problems that make a whole file unusable.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        self.path, self.line, self.column = path, line, column
        where = ", ".join(
            part for part in (
                f"file {path}" if path else "",
                f"line {line}" if line is not None else "",
                f"column {column!r}" if column else "",
            ) if part
        )
        super().__init__(f"{message} ({where})" if where else message)


class ReconciliationError(InputError):
    """The records a file holds are not all accepted or quarantined: a row would be lost unseen, so the run
    stops (a bug in linker's reading of that file: the message asks for its shape)."""


class RulesError(LinkerError, ValueError):
    """A rules, taxonomy or signals file is malformed; the message names the file and entry."""


class RunNotFoundError(LinkerError):
    """A command needs the outputs of an earlier run (``linker run``) and cannot find them."""


class RunIncompleteError(RunNotFoundError):
    """The run folder's last run was interrupted while its results were switched in (see
    :mod:`linker.run_folder`); the next ``linker run`` completes the switch."""


class RunFolderError(LinkerError):
    """The output folder cannot take a run: it is a file, holds an input, holds files linker did not write, or
    cannot be created."""


class RunLockedError(RunFolderError):
    """Another run is writing into the output folder; the message gives its pid."""


class ConfigExistsError(LinkerError):
    """``linker demo`` would replace a config file that is not the one it writes (the user's, or edited)."""

    def __init__(self, message: str, paths: list[Path]) -> None:
        super().__init__(message)
        self.paths = paths


class EngineError(LinkerError):
    """The engine cannot run as configured (pyspark or Java missing, the Spark master unreachable, the staging
    location not writable, a stage not yet on the chosen engine), or a step asked for an operation the engine
    does not have; the message names the engine, the setting and what to do."""


class GraphStoreError(LinkerError):
    """The graph store (embedded or Neo4j) refused an operation; the message names the engine and statement."""


class QueryError(LinkerError, ValueError):
    """A Cypher query or its parameters are invalid, or a query would write to a read-only store."""


class NotFoundError(LinkerError, KeyError):
    """A customer, account or named query asked for does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else ""
