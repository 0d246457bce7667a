"""linker: graph-based identity resolution and need enrichment.

Link a bank's customers to external online accounts through shared phones, emails and device IDs, then
aggregate the linked behaviour back onto each customer to find what they need.

The public names are imported on first use (PEP 562), so that ``import linker`` and the command line's
``--help`` do not load DuckDB, pandas and the pipeline.

>>> import linker
>>> sorted(linker.__all__)[:3]
['Config', 'ConfigError', 'InputError']
>>> linker.run.__module__
'linker.pipeline'
>>> sorted(linker.__all__) == sorted(linker._PUBLIC)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Config": "linker.config",
    "load_config": "linker.config",
    "ConfigError": "linker.errors",
    "InputError": "linker.errors",
    "LinkerError": "linker.errors",
    "NotFoundError": "linker.errors",
    "QueryError": "linker.errors",
    "RulesError": "linker.errors",
    "RunNotFoundError": "linker.errors",
    "evaluate_links": "linker.evaluation",
    "explain_account": "linker.explain",
    "explain_customer": "linker.explain",
    "RunResult": "linker.pipeline",
    "run": "linker.pipeline",
}
"""Public name -> the module defining it."""

__all__ = [
    "Config",
    "ConfigError",
    "InputError",
    "LinkerError",
    "NotFoundError",
    "QueryError",
    "RulesError",
    "RunNotFoundError",
    "RunResult",
    "evaluate_links",
    "explain_account",
    "explain_customer",
    "load_config",
    "run",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from linker.config import Config as Config
    from linker.config import load_config as load_config
    from linker.errors import ConfigError as ConfigError
    from linker.errors import InputError as InputError
    from linker.errors import LinkerError as LinkerError
    from linker.errors import NotFoundError as NotFoundError
    from linker.errors import QueryError as QueryError
    from linker.errors import RulesError as RulesError
    from linker.errors import RunNotFoundError as RunNotFoundError
    from linker.evaluation import evaluate_links as evaluate_links
    from linker.explain import explain_account as explain_account
    from linker.explain import explain_customer as explain_customer
    from linker.pipeline import RunResult as RunResult
    from linker.pipeline import run as run


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'linker' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
