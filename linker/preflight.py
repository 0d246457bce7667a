"""Check a configuration against the actual inputs before any work, reporting every problem at once."""

from __future__ import annotations

import pandas as pd

from linker.config import Config, SourceConfig
from linker.errors import ConfigError, InputError
from linker.contract import TABLES, FieldType
from linker.ingest.readers import source_columns

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
    headers: dict[str, set[str]] = {}
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
        headers[name] = columns
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
    problems += _declared_column_problems(config, headers)
    if problems:
        raise ConfigError(problems)


def _declared_column_problems(config: Config, headers: dict[str, set[str]]) -> list[str]:
    """Every column named by ``resolution.identifiers`` and ``resolution.comparisons`` must be a role of its table
    or a column of its file that no role maps (kept in ``attributes``)."""
    problems = []
    uses = [(f"resolution.identifiers.{t}.{side}", side, column)
            for t, spec in config.resolution.identifiers.items() for side in ("customers", "accounts")
            for column in spec.columns(side)]
    uses += [(f"resolution.comparisons[{spec.name}].{side}", side, getattr(spec, side))
             for spec in config.resolution.comparisons for side in ("customers", "accounts")]
    for setting, table, column in uses:
        if column in TABLES[table].roles or table not in headers:
            continue
        source = config.sources.get(table) or SourceConfig()
        mapped = {c for f in TABLES[table].fields for c in source.columns_for(f.role)}
        if column not in headers[table]:
            problems.append(f"{setting}: the {table} file has no column {column!r} (it has {sorted(headers[table])})")
        elif column in mapped:
            role = next(f.role for f in TABLES[table].fields if column in source.columns_for(f.role))
            problems.append(f"{setting}: column {column!r} is mapped to the role {role!r}; name the role instead")
        elif not source.keep_other_columns:
            problems.append(f"{setting}: column {column!r} is dropped because sources.{table}.keep_other_columns "
                            f"is false; set it to true")
    return problems
