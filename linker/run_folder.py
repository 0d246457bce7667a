"""The run folder: where a run writes, how it is locked, switched in whole, and checked by the commands that read it.

A run never writes into the folder it reports in. It writes everything (the run database, exports, the graph
store, the manifest last) into a staging folder inside it, then switches its entries in: the previous run stays
as it was until then. Layout of ``output.dir``::

    .linker.lock        held (flock) by the run writing into this folder, removed at its end; says its pid,
                        host and start
    .linker-staging/    the run being written (its temporary files too: .work/, .spill/); removed when done,
                        and at the next start if a run was killed
    INCOMPLETE          present only while a finished run's entries are switched in (milliseconds); it lists
                        what to remove and what to move, so the next start completes a switch a kill cut short
    manifest.json ...   the last finished run: its ``run_folder.entries`` names every entry it owns

Reading commands (``explain``, ``cypher``, ``queries``, ``show``, ``graphml``, ``export``, ``load``) call
:func:`readable_run` first: a missing folder, an interrupted switch or a folder where no run has finished yet
gives a message saying what to do, never a traceback.

linker deletes only entries it owns: those a linker manifest names, and linker's own file names. A folder holding
other files is refused unless ``force`` (they are then kept, and a name linker must write is still refused), and
a folder that holds an input, or lies inside one, is always refused.

Examples
--------
>>> folder = RunFolder(Path("linker-out"))
>>> folder.staging.name
'.linker-staging'
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linker.errors import RunFolderError, RunIncompleteError, RunLockedError, RunNotFoundError

DEFAULT_DIR = Path("linker-out")
"""The output folder when neither ``output.dir`` nor ``--run-dir`` names one."""
WORK_DB = "work.duckdb"
"""The run database (read by ``explain``)."""
STORE_NAME = "graph.lbug"
"""The embedded graph store."""
MANIFEST = "manifest.json"
SUMMARY = "summary.json"
MODEL_FILE = "model.json"
"""The match model the run scored with (estimated from its data, or loaded): reusable with ``--model``."""
BASELINES_FILE = "baselines.json"
"""The need baselines the run measured engagement against (learned from its data, or loaded): reusable with
``--baselines``, and taken by an update (:mod:`linker.enrich.baselines`)."""
QUARANTINE = "quarantine"
WORK_DIR = ".work"
"""The run's temporary files (transcoded inputs, attributed events, the scratch database), in the staging folder."""
SPILL_DIR = ".spill"
"""DuckDB's spill folder, beside the run database (see :func:`linker.engine.open_database`)."""
SCRATCH_DB = "scratch.duckdb"
"""The run's scratch database (the event tables), in :data:`WORK_DIR`."""
STATE_DIR = "state"
"""A Spark run's tables (what DuckDB keeps in the run database), one Parquet folder each; the run database of such
a run holds views over them."""
NEO4J_BUNDLE = "neo4j-import"
"""Default folder of ``linker export neo4j``: derived from a run, stale once another run is switched in."""

LOCK = ".linker.lock"
STAGING = ".linker-staging"
INCOMPLETE = "INCOMPLETE"

_TEMPORARY = (WORK_DIR, SPILL_DIR)
_OWN = (LOCK, STAGING, INCOMPLETE)
_RUN_NAMES = frozenset({WORK_DB, WORK_DB + ".wal", MANIFEST, SUMMARY, MODEL_FILE, BASELINES_FILE, QUARANTINE,
                        NEO4J_BUNDLE, "report.html", STATE_DIR,
                        *_TEMPORARY, STORE_NAME, *(STORE_NAME + s for s in (".wal", ".shadow", ".lock"))})
"""Entries only linker writes into a run folder (those of earlier versions included)."""
_TEMP_FILE = re.compile(r"\..+\.tmp-\d+")
"""A file being written atomically (:func:`linker.export.files.atomic_path`, the graph store), left by a kill."""


class RunFolder:
    """The output folder of runs: the lock, the staging folder, the switch, what linker owns in it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def staging(self) -> Path:
        """Where the run being written lives until it is switched in."""
        return self.path / STAGING

    # ------------------------------------------------------------------------------------------ checks
    def problems(self, inputs: Iterable[Path] = (), *, force: bool = False) -> list[str]:
        """What forbids running into this folder (empty when it can be used). Reads only; creates nothing.

        Parameters
        ----------
        inputs
            Every file the run reads (sources, rules, taxonomy, signals).
        force
            Accept a folder holding files linker did not write (they are kept, unless a run would have to
            write over one: that is refused still).
        """
        out = self.path.resolve()
        if out.exists() and not out.is_dir():
            return [f"output folder {self.path} is a file: set output.dir (or --output) to a folder"]
        problems = []
        for source in inputs:
            source = Path(source).resolve()
            if source == out or out in source.parents:
                problems.append(f"output folder {self.path} holds the input {source}: linker writes its results "
                                "beside it; choose another folder, such as a new linker-out")
            elif source in out.parents:
                problems.append(f"output folder {self.path} is inside the input {source}")
        foreign = sorted(self.foreign())
        if foreign and not force:
            shown = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8 else "")
            problems.append(f"output folder {self.path} holds files linker did not write ({shown}): choose an "
                            "empty or new folder, or pass --force to write beside them (linker then deletes "
                            "only its own files)")
        clash = [name for name in foreign if _written_by_runs(name)]
        if force and clash:
            problems.append(f"output folder {self.path} holds {', '.join(clash)}, which linker did not write and "
                            "would have to replace: move them, or choose another folder")
        return problems

    def owned(self) -> set[str]:
        """Names of the entries of the folder that linker wrote (and may therefore delete)."""
        if not self.path.is_dir():
            return set()
        present = {p.name for p in self.path.iterdir()}
        manifest = _read_json(self.path / MANIFEST)
        temporary = {n for n in present if _TEMP_FILE.fullmatch(n)}
        if manifest is not None and isinstance(manifest.get("run_folder"), dict):
            derived = {NEO4J_BUNDLE}   # written by `linker export neo4j` from this run: stale after the next
            return present & ({*manifest["run_folder"].get("entries", [])} | set(_OWN) | derived) | temporary
        if manifest is not None and "linker_version" in manifest:   # a run of an earlier version
            named = {Path(f).parts[0] for f in manifest.get("files", []) if Path(f).parts}
            return present & (named | _RUN_NAMES | set(_OWN)) | temporary
        # no manifest: a run of an earlier version killed before its end (it had opened its run database in
        # the folder), if every entry is one linker writes
        if present & {WORK_DB, WORK_DIR} and all(_linker_name(n) for n in present):
            return present
        return present & set(_OWN) | temporary

    def foreign(self) -> set[str]:
        """Names of the entries linker did not write."""
        if not self.path.is_dir():
            return set()
        return {p.name for p in self.path.iterdir()} - self.owned()

    # ------------------------------------------------------------------------------------------ writing
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock for the block (created with the folder when missing, removed after it).

        Raises
        ------
        RunLockedError
            If another process holds it; the message gives its pid, host and start.
        RunFolderError
            If the folder or its lock file cannot be created.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RunFolderError(f"cannot create the output folder {self.path}: {e.strerror}; check its "
                                 "permissions, or choose another folder") from None
        fd = self._take_lock()
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "started": _now()}).encode("utf-8"))
            yield
        finally:
            (self.path / LOCK).unlink(missing_ok=True)   # before the lock is released: see _take_lock
            os.close(fd)

    def _take_lock(self) -> int:
        """Open and flock the lock file; retried when the file was removed by its holder in between (the lock
        was then on a file no one else will open)."""
        lock = self.path / LOCK
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise RunFolderError(f"cannot create the lock file in {self.path}: {e.strerror}; check the "
                                     "folder's permissions, or choose another folder") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder_text(_read_fd(fd))
                os.close(fd)
                raise RunLockedError(f"another run is writing into {self.path} ({holder}): wait for it to "
                                     "finish, or choose another output folder") from None
            try:
                if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            os.close(fd)

    def running(self) -> dict[str, Any] | None:
        """The holder of the lock (pid, host, started) when a run is writing into the folder, else None."""
        try:
            fd = os.open(self.path / LOCK, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        except BlockingIOError:
            return _read_fd(fd) or {}
        finally:
            os.close(fd)

    def start(self) -> Path:
        """Prepare a new run (the lock held): finish an interrupted switch, clear what killed runs left, and
        return an empty staging folder."""
        self.recover()
        for name in self.owned():
            if name in _TEMPORARY or _TEMP_FILE.fullmatch(name):
                _remove(self.path / name)
        _remove(self.staging)
        self.staging.mkdir()
        return self.staging

    def recover(self) -> None:
        """Complete a switch that a kill cut short (the lock held); the staging folder then holds a whole run."""
        journal = _read_json(self.path / INCOMPLETE)
        if journal is not None:
            self._switch(journal)
        elif (self.path / INCOMPLETE).exists():   # cannot happen: the marker is written whole, then renamed
            raise RunFolderError(f"{self.path / INCOMPLETE} is unreadable: delete the folder and run again")

    def switch_in(self) -> list[str]:
        """Replace the folder's previous run by the staging folder's (the lock held); return the new entries.

        Every entry the previous run owned goes (stale files of earlier runs included), the staging folder's
        entries move in, and the markers go. A kill in between leaves :data:`INCOMPLETE`, which makes readers
        refuse the folder until the next start completes the switch.

        Raises
        ------
        RunFolderError
            If an entry to move in would replace a file linker did not write (nothing is changed then).
        """
        for name in _TEMPORARY:
            _remove(self.staging / name)
        move = sorted(p.name for p in self.staging.iterdir())
        clash = sorted(set(move) & self.foreign())
        if clash:
            raise RunFolderError(f"output folder {self.path} holds {', '.join(clash)}, which linker did not "
                                 "write: the run was not switched in; move them, or choose another folder")
        remove = sorted(self.owned() - set(_OWN))
        marker = self.path / INCOMPLETE
        tmp = self.path / f".{INCOMPLETE}.tmp-{os.getpid()}"
        tmp.write_text(json.dumps({"remove": remove, "move": move, "written": _now()}), encoding="utf-8")
        _sync(tmp)
        os.replace(tmp, marker)
        _sync(self.path)
        self._switch({"remove": remove, "move": move})
        return move

    def _switch(self, journal: dict[str, Any]) -> None:
        move = set(journal.get("move", []))
        for name in journal.get("remove", []):
            if name in _OWN or name in move and not (self.staging / name).exists():
                continue   # moved in already by the switch this one completes
            _remove(self.path / name)
        for name in sorted(move):
            if (self.staging / name).exists():
                _replace(self.staging / name, self.path / name)
        _sync(self.path)
        _remove(self.staging)
        (self.path / INCOMPLETE).unlink(missing_ok=True)
        _sync(self.path)

    def discard(self) -> None:
        """Remove the staging folder of a run that failed (the previous run stays as it was)."""
        _remove(self.staging)


def _replace(source: Path, target: Path) -> None:
    """Move one entry of the staging folder over its old version (a folder is removed first)."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(source, target)


# ---------------------------------------------------------------------------------------------- reading
def readable_run(run_dir: Path, needs: str, *, missing: str | None = None) -> Path:
    """Check that ``run_dir`` holds a finished run, with its entry ``needs``, before a command reads it; return
    the path of that entry. ``missing`` is the message when a finished run lacks it.

    Raises
    ------
    RunNotFoundError
        If the folder does not exist, no run has finished in it, or it lacks ``needs``.
    RunIncompleteError
        If a switch was interrupted (a kill while a run's results moved in).
    """
    folder = RunFolder(run_dir)
    if not folder.path.is_dir():
        raise RunNotFoundError(f"no run folder {run_dir}: run `linker run` first, or pass --run-dir")
    if (folder.path / INCOMPLETE).exists():
        raise RunIncompleteError(f"the run in {run_dir} is incomplete: it was interrupted while its results "
                                 "were switched in; run `linker run` again (it completes the switch first)")
    path = folder.path / needs
    if not path.exists():
        holder = folder.running()
        if holder is not None and not (folder.path / MANIFEST).exists():
            raise RunNotFoundError(f"no run has finished in {run_dir} yet: one is writing into it "
                                   f"({_holder_text(holder)}); wait for it to finish")
        if folder.staging.exists() and not (folder.path / MANIFEST).exists():
            raise RunNotFoundError(f"no run has finished in {run_dir}: the last one was interrupted before its "
                                   "end; run `linker run` again")
        raise RunNotFoundError(missing or f"{run_dir} has no {needs}: run `linker run` first, or pass --run-dir")
    return path


def default_run_dir(config: Path = Path("linker.toml")) -> Path:
    """The run folder a reading command uses without ``--run-dir``: ``output.dir`` of ``config`` when that file
    exists and sets it (relative to the file's folder), else :data:`DEFAULT_DIR`."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT_DIR
    folder = (data.get("output") or {}).get("dir") if isinstance(data.get("output"), dict) else None
    if not isinstance(folder, str) or not folder:
        return DEFAULT_DIR
    path = Path(folder).expanduser()
    return path if path.is_absolute() else config.parent / path


# ---------------------------------------------------------------------------------------------- helpers
def _written_by_runs(name: str) -> bool:
    """Whether a run writes an entry of this name into its folder."""
    return name in (WORK_DB, MANIFEST, SUMMARY, MODEL_FILE, BASELINES_FILE, QUARANTINE, "report.html", STORE_NAME,
                    STATE_DIR) or \
        name.split(".", 1)[0] in _EXPORT_STEMS


def _linker_name(name: str) -> bool:
    return name in _RUN_NAMES or name in _OWN or bool(_TEMP_FILE.fullmatch(name)) or \
        name.split(".", 1)[0] in _EXPORT_STEMS


_EXPORT_STEMS = frozenset({"links", "hubs", "clusters", "identifier_issues", "profiles", "signals", "signal_events",
                           "unmapped_categories", "aggregates"})
"""Stems of the tables a run exports (recognises a run of an earlier version that died before its manifest)."""


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk (best effort where the platform cannot)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_fd(fd: int) -> dict[str, Any] | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _holder_text(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "its pid is not recorded"
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
