"""The previous run an update builds on: checked before any work, read only, never written.

An update reuses the previous run's match model, its need baselines (unless the configuration names others) and
its decisions for the accounts whose evidence did not change, so the previous run must have been made by the same
state version, with the same resolution settings and region, and must not be pseudonymized (its tables then hold
pseudonyms, not the values today's rows carry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.config import Config
from linker.errors import ConfigError, RunFolderError
from linker.pipeline import RUN_STATE_VERSION
from linker.resolve import MatchModel
from linker.run_folder import BASELINES_FILE, MANIFEST, MODEL_FILE, WORK_DB, readable_run

COMPARED_SETTINGS = ("region", "timezone", "resolution")
"""Settings that must be the same as the previous run's: they decide the identifiers, candidates and scores that
the update keeps (``resolution.model_file`` aside: the update always scores with the previous run's model)."""


@dataclass(frozen=True)
class PreviousRun:
    """A finished run that an update starts from."""

    folder: Path
    database: Path
    manifest: dict[str, Any]
    model: MatchModel
    baselines: Path | None
    """Its need baselines (None for a run made before they were saved: the update learns them from its data)."""

    def configure(self, config: Config) -> Config:
        """``config`` measuring engagement against this run's need baselines, unless it names a file of its own."""
        if config.enrichment.baselines_file is not None or self.baselines is None:
            return config
        enrichment = config.enrichment.model_copy(update={"baselines_file": self.baselines.resolve()})
        return config.model_copy(update={"enrichment": enrichment})


def open_previous(since: Path, config: Config) -> PreviousRun:
    """Check that ``since`` holds a run an update under ``config`` can build on, and read its model.

    Raises
    ------
    RunNotFoundError, RunIncompleteError
        If ``since`` holds no finished run.
    RunFolderError
        If the run is of another state version, pseudonymized, or made with other resolution settings.
    ConfigError
        If its model file is missing or of another format.
    """
    database = readable_run(Path(since), WORK_DB)
    manifest = json.loads((Path(since) / MANIFEST).read_text(encoding="utf-8"))
    version = manifest.get("state_version")
    if version != RUN_STATE_VERSION:
        made = f"state version {version}" if version is not None else "a linker without incremental updates"
        raise RunFolderError(f"the run in {since} was made by {made} (linker {manifest.get('linker_version')}); "
                             f"this linker updates runs of state version {RUN_STATE_VERSION}: run `linker run` "
                             "for a full run first")
    if manifest.get("pseudonymized"):
        raise RunFolderError(f"the run in {since} is pseudonymized: its tables hold pseudonyms, which an update "
                             "cannot compare with today's rows; run `linker run` instead")
    differ = _changed_settings(manifest.get("config") or {}, json.loads(config.model_dump_json()))
    if differ:
        raise RunFolderError(f"the settings {', '.join(differ)} differ from those of the run in {since}: an update "
                             "keeps that run's decisions, so they must be the same; run `linker run` for a full run")
    try:
        model = MatchModel.load(Path(since) / MODEL_FILE)
    except ConfigError as e:
        raise ConfigError(f"the run in {since} has no usable match model ({e}); run `linker run` first") from None
    baselines = Path(since) / BASELINES_FILE
    return PreviousRun(Path(since), database, manifest, model, baselines if baselines.is_file() else None)


def _changed_settings(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The dotted names of the :data:`COMPARED_SETTINGS` whose values differ (the model file aside)."""
    changed = []
    for name in COMPARED_SETTINGS:
        old, new = before.get(name), now.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = sorted((set(old) | set(new)) - {"model_file"})
            changed += [f"{name}.{k}" for k in keys if old.get(k) != new.get(k)]
        elif old != new:
            changed.append(name)
    return changed
