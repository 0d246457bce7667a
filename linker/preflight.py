"""Check a configuration against the actual inputs before any work, reporting every problem at once."""

from __future__ import annotations

import pandas as pd

from linker.config import Config, SourceConfig
from linker.contract import TABLES, FieldType
from linker.errors import ConfigError, InputError
from linker.readers import source_columns

_MULTI = (FieldType.LIST, FieldType.DATE_LIST)


def check_inputs(config: Config, frames: dict[str, pd.DataFrame] | None = None) -> None:
    """Verify that every source exists and provides the columns the config maps.

    Reads only file headers (Parquet schemas, the first lines of JSON Lines), so it is cheap on big inputs.

    Parameters
    ----------
    config
        The run configuration.
    frames
        Tables passed as DataFrames, by table name; they replace the file of that table.

    Raises
    ------
    ConfigError
        Listing every problem, each naming its table, file and column.
    """
    frames = frames or {}
    problems: list[str] = []
    for name, contract in TABLES.items():
        source = config.sources.get(name)
        if source is None and name not in frames:
            continue
        label = f"{name} ({source.path.name})" if source and source.path and name not in frames else name
        source = source or SourceConfig()
        try:
            columns = set(source_columns(source, frames.get(name)))
        except InputError as e:
            problems.append(f"{name}: {e}")
            continue
        for f in contract.fields:
            explicit = f.role in source.columns
            mapped = source.columns_for(f.role)
            missing = [c for c in mapped if c not in columns]
            if explicit and missing:
                problems.append(f"{label}: column(s) {missing} mapped to {f.role!r} not found; "
                                f"the file has {sorted(columns)}")
            elif explicit and len(mapped) > 1 and f.type not in _MULTI:
                problems.append(f"{label}: {f.role!r} takes one column, not {mapped}")
            elif f.required and missing:
                problems.append(f"{label}: required column for {f.role!r} not found; map it in "
                                f"[sources.{name}.columns] (the file has {sorted(columns)})")
        if contract.one_of and not any(
                all(c in columns for c in source.columns_for(r)) for r in contract.one_of):
            problems.append(f"{label}: needs a column for at least one of {list(contract.one_of)}")
    if problems:
        raise ConfigError(problems)
