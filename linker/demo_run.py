"""``linker demo``: generate a small realistic data set, write its config, and run the pipeline on it."""

from __future__ import annotations

from pathlib import Path

from linker.config import load_config
from linker.demo import DemoSpec, generate_demo
from linker.demo.configs import CARELESS_CONFIG, config_files, config_text, write_configs
from linker.errors import ConfigError, ConfigExistsError
from linker.pipeline import RunResult, StageHook, run


def write_demo(folder: Path, *, customers: int = 2_000, accounts: int = 6_000, events: int = 40_000,
               seed: int = 42, file_format: str = "csv", profile: str = "default", overwrite: bool = False) -> Path:
    """Generate the demo data into ``folder/data`` and its config into ``folder/linker.toml``; return the config path.

    Ground truth (true account owners, planted needs or interests, traps) goes to ``folder/data/truth`` and is
    never read by the pipeline. Profiles whose customers carry verification dates also get
    ``folder/linker-careless.toml`` (see :mod:`linker.demo.profiles`).

    Raises
    ------
    ConfigError
        When a size, the format or the profile is not one the generator accepts.
    ConfigExistsError
        When ``folder`` holds a config file other than the one this demo writes (the user's own, or edited),
        unless ``overwrite``. Nothing is written then.
    """
    try:
        spec = DemoSpec(customers=customers, accounts=accounts, events=events, seed=seed, file_format=file_format,
                        profile=profile)
    except ValueError as e:
        raise ConfigError(str(e).removeprefix("invalid DemoSpec: "), source="the demo settings") from None
    if not overwrite:
        _check_configs(folder, spec, file_format)
    folder.mkdir(parents=True, exist_ok=True)
    generate_demo(folder / "data", spec)
    return write_configs(folder, spec.conventions, "data", file_format, spec.text_encoding)[0]


def _check_configs(folder: Path, spec: DemoSpec, file_format: str) -> None:
    """Refuse to replace a config in ``folder`` that differs from what this demo writes (a rerun of the same demo
    replaces its own config silently)."""
    ours = {name: config_text(spec.conventions, "data", file_format, spec.text_encoding, careless)
            for name, careless in config_files(spec.conventions).items()}
    theirs = [folder / name for name in ("linker.toml", CARELESS_CONFIG)
              if (folder / name).is_file() and (folder / name).read_text(encoding="utf-8") != ours.get(name)]
    if theirs:
        raise ConfigExistsError(f"{', '.join(map(str, theirs))} exists and is not the config this demo writes: "
                                "choose another --output, or pass --force to replace it", theirs)


def run_demo(folder: Path, *, customers: int = 2_000, accounts: int = 6_000, events: int = 40_000, seed: int = 42,
             profile: str = "default", stage_hook: StageHook | None = None, overwrite: bool = False) -> RunResult:
    """Generate the demo data set and run the whole pipeline on it (outputs in ``folder/out``).

    Raises
    ------
    ConfigExistsError
        See :func:`write_demo`.
    """
    config_path = write_demo(folder, customers=customers, accounts=accounts, events=events, seed=seed,
                             profile=profile, overwrite=overwrite)
    return run(load_config(config_path), stage_hook=stage_hook)
