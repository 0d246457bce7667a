"""linker: graph-based identity resolution and need enrichment.

Link a bank's customers to external online accounts through shared phones, emails and device IDs, then
aggregate the linked behaviour back onto each customer to find what they need.

>>> import linker
>>> sorted(linker.__all__)[:3]
['Config', 'ConfigError', 'InputError']
"""

__version__ = "0.1.0"

from linker.config import Config, load_config  # noqa: E402
from linker.errors import (  # noqa: E402
    ConfigError,
    InputError,
    LinkerError,
    NotFoundError,
    QueryError,
    RulesError,
    RunNotFoundError,
)
from linker.evaluation import evaluate_links  # noqa: E402
from linker.explain import explain_account, explain_customer  # noqa: E402
from linker.pipeline import RunResult, run  # noqa: E402

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
