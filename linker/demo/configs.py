"""The ``linker.toml`` files of a demo data set: each profile maps its own columns to linker's roles.

A profile whose customers carry verification dates also gets ``linker-careless.toml``, the same mapping but
with those dates read as ownership starts (``phone_since``): what a user who trusts the column's name does.
"""

from __future__ import annotations

import json
from pathlib import Path

from linker.demo.layout import TableLayout
from linker.demo.profiles import Profile

#: Source tables in the order the config lists them.
TABLES = ("customers", "transactions", "accounts", "purchases", "browsing")
MAIN_CONFIG = "linker.toml"
CARELESS_CONFIG = "linker-careless.toml"


def config_text(profile: Profile, data_dir: str, file_format: str, encoding: str, careless: bool = False) -> str:
    """The TOML text of one config of a demo data set.

    Parameters
    ----------
    profile : Profile
    data_dir : str
        Folder of the data files relative to the config (``"data"``), or ``""`` when they are beside it.
    file_format : str
        ``"csv"`` or ``"parquet"``.
    encoding : str
        The CSV encoding the data was written in.
    careless : bool
        Map the verification dates to ``phone_since``.

    Returns
    -------
    str

    Examples
    --------
    >>> from linker.demo.profiles import PROFILES
    >>> print(config_text(PROFILES["default"], "data", "csv", "utf-8").splitlines()[3])
    path = "data/customers.csv"
    """
    layout = TableLayout(profile)
    ext = "csv" if file_format == "csv" else "parquet"
    prefix = f"{data_dir}/" if data_dir else ""
    head = "# linker configuration of the demo data set (written by `linker demo`).\n"
    if profile.name != "default":
        head += f"# Profile {profile.name!r}: see the README's demo section.\n"
    if careless:
        head += ("# Careless twin of linker.toml: the bank's verification dates are read as the day each customer "
                 "got the number.\n")
    parts = [head + 'region = "CN"\n']
    for table in TABLES:
        lines = [f"[sources.{table}]", f"path = {_q(f'{prefix}{table}.{ext}')}"]
        if file_format == "csv" and encoding.replace("-", "").lower() != "utf8":
            lines.append(f"encoding = {_q(encoding)}")
        formats = layout.date_formats(table)
        if formats:
            lines.append("date_formats = [" + ", ".join(_q(f) for f in formats) + "]")
        roles = layout.roles(table, careless=careless)
        if roles:
            lines.append(f"[sources.{table}.columns]")
            for role, headers in roles.items():
                value = _q(headers[0]) if len(headers) == 1 else "[" + ", ".join(_q(h) for h in headers) + "]"
                lines.append(f"{role} = {value}")
        parts.append("\n".join(lines) + "\n")
    parts.append('[output]\ndir = "out"\n')
    return "\n".join(parts)


def config_files(profile: Profile) -> dict[str, bool]:
    """The config files a profile gets: file name -> careless."""
    files = {MAIN_CONFIG: False}
    if profile.careless_config:
        files[CARELESS_CONFIG] = True
    return files


def write_configs(folder: Path, profile: Profile, data_dir: str, file_format: str, encoding: str) -> list[Path]:
    """Write the profile's config files into ``folder``; returns their paths (``linker.toml`` first).

    A careless twin left in ``folder`` by another profile is removed.
    """
    paths = []
    if not profile.careless_config:
        (Path(folder) / CARELESS_CONFIG).unlink(missing_ok=True)
    for name, careless in config_files(profile).items():
        path = Path(folder) / name
        path.write_text(config_text(profile, data_dir, file_format, encoding, careless), encoding="utf-8")
        paths.append(path)
    return paths


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)
