"""The ``linker`` command line: thin commands over the public functions of :mod:`linker`.

Errors are caught in one place (:class:`_LinkerGroup`): a :class:`linker.errors.LinkerError` or a file system
error is printed as one message, as plain text (no markup: a path or a setting in brackets is shown as written),
with exit status 1; usage errors (an unknown option, a bad option value) exit with status 2; anything else is a
bug, reported in one line without its message (it could quote a value of the input) and exit status 70. No
traceback unless ``linker --debug`` asks for one, and never local variables (a password could be one).

Heavy libraries (DuckDB, pandas, the pipeline) are imported inside the commands that use them, so that
``linker --help`` and a usage error answer at once.
"""

from linker.cli import commands  # noqa: F401, I001  (registers run, validate, init, demo, explain; first in --help)
from linker.cli import changes, graph, update  # noqa: F401  (register their commands and groups)
from linker.cli.app import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
