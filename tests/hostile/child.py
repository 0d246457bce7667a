"""Run the pipeline in a child process that a test can kill (-9) at a chosen point, or hold at one.

``python -m tests.hostile.child CONFIG.json ACTION STAGE [ARG]`` runs ``linker.run`` on the config (a JSON dict):

- ``kill STAGE``: SIGKILL itself when stage STAGE ends (its files written, in the staging folder);
- ``kill-switch N``: SIGKILL itself after N entries of the staging folder moved into the run folder;
- ``hold STAGE FILE``: when stage STAGE starts, create FILE + ".held" and wait until FILE exists.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import linker
from linker import run_folder


def main(argv: list[str]) -> None:
    config = linker.load_config(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    action, point = argv[1], argv[2]

    @contextmanager
    def hook(name: str) -> Iterator[None]:
        if action == "hold" and name == point:
            release = Path(argv[3])
            Path(f"{release}.held").touch()
            while not release.exists():
                time.sleep(0.05)
        yield
        if action == "kill" and name == point:
            os.kill(os.getpid(), signal.SIGKILL)

    if action == "kill-switch":
        moves, replace = [0], run_folder._replace

        def replace_then_die(source: Path, target: Path) -> None:
            replace(source, target)
            moves[0] += 1
            if moves[0] == int(point):
                os.kill(os.getpid(), signal.SIGKILL)

        run_folder._replace = replace_then_die
    linker.run(config, stage_hook=hook)


if __name__ == "__main__":
    main(sys.argv[1:])
