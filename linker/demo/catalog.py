"""Integer codes for the vocabularies of :mod:`linker.demo.vocab`, and the event batches built from them.

Events are generated as integer codes (category, MCC, merchant) and only turned into text when written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from linker.demo.vocab import CHAIN_POOLS, MCC_CODES, MERCHANTS, RAW_CATEGORIES

CATEGORY_LIST: tuple[str, ...] = tuple(raw for raws in RAW_CATEGORIES.values() for raw in raws)
CATEGORY_TEXT = pa.array(list(CATEGORY_LIST), pa.string())
TOPIC_LIST: tuple[str, ...] = tuple(RAW_CATEGORIES)
#: Category codes of each topic.
TOPIC_CODES: dict[str, np.ndarray] = {}
_start = 0
for _topic, _raws in RAW_CATEGORIES.items():
    TOPIC_CODES[_topic] = np.arange(_start, _start + len(_raws))
    _start += len(_raws)
#: Topic index of each category code.
CATEGORY_TOPIC = np.concatenate([np.full(len(r), i) for i, r in enumerate(RAW_CATEGORIES.values())])

MCC_LIST: tuple[str, ...] = tuple(MCC_CODES)
MCC_TEXT = pa.array(list(MCC_LIST), pa.string())
MCC_INDEX = {m: i for i, m in enumerate(MCC_LIST)}

MERCHANT_LIST: tuple[str, ...] = tuple(m for ms in MERCHANTS.values() for m in ms)
MERCHANT_TEXT = pa.array(list(MERCHANT_LIST), pa.string())
#: Merchant codes of each pool.
POOL_CODES: dict[str, np.ndarray] = {}
_start = 0
for _pool, _ms in MERCHANTS.items():
    POOL_CODES[_pool] = np.arange(_start, _start + len(_ms))
    _start += len(_ms)
MERCHANT_CHAIN = np.concatenate([np.full(len(ms), pool in CHAIN_POOLS) for pool, ms in MERCHANTS.items()])

ACTIONS = ("view", "search", "cart", "favorite")
#: Browsing event keys: by account only, by device only, by both.
BY_ACCOUNT, BY_DEVICE, BY_BOTH = 0, 1, 2
#: For browsing on an account with a device: cumulative shares of the keys (account 80%, device 15%, both 5%),
#: which makes about 5% of all browsing keyed by a device only.
DEVICE_KEY_CDF = (0.80, 0.95)

#: Relative frequency of events by hour of day (evenings are busiest).
HOUR_WEIGHTS = np.array(
    [2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4, 5, 6, 5, 4, 4, 4, 5, 6, 7, 8, 9, 8, 5], dtype=np.float64
)


@dataclass
class Events:
    """A batch of events as codes; one class for purchases, browsing and card transactions.

    Attributes
    ----------
    who : numpy.ndarray
        Account row (purchases, browsing) or customer row (transactions).
    time : numpy.ndarray
        Seconds since 1970-01-01.
    code : numpy.ndarray
        Category code (purchases, browsing) or index into :data:`MCC_LIST` (transactions).
    merchant : numpy.ndarray
        Merchant code (transactions).
    amount : numpy.ndarray
        Cents (purchases, transactions) or tenths of a second of dwell time (browsing).
    quantity : numpy.ndarray
    action : numpy.ndarray
        Index into :data:`ACTIONS` (browsing).
    key : numpy.ndarray
        ``BY_ACCOUNT``, ``BY_DEVICE`` or ``BY_BOTH`` (browsing).
    story : numpy.ndarray of bool
        Part of a planted need story (never damaged into a bad row).
    """

    who: np.ndarray
    time: np.ndarray
    code: np.ndarray
    merchant: np.ndarray
    amount: np.ndarray
    quantity: np.ndarray
    action: np.ndarray
    key: np.ndarray
    story: np.ndarray

    def __len__(self) -> int:
        return len(self.who)

    @classmethod
    def empty(cls) -> Events:
        """A batch of no events."""
        return cls.build(0)

    @classmethod
    def build(cls, n: int, **columns: np.ndarray) -> Events:
        """A batch of ``n`` events; columns not given are zero."""
        values = {
            f.name: np.asarray(columns[f.name])
            if f.name in columns
            else np.zeros(n, dtype=bool if f.name == "story" else np.int64)
            for f in fields(cls)
        }
        return cls(**values)

    def take(self, index: np.ndarray) -> Events:
        """The events at ``index``."""
        return Events(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(batches: list[Events]) -> Events:
        """One batch of all events of ``batches``."""
        if not batches:
            return Events.empty()
        return Events(*(np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(Events)))


def sample_times(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Seconds since 1970 for events on the given days, at realistic hours."""
    hour = np.searchsorted(np.cumsum(HOUR_WEIGHTS / HOUR_WEIGHTS.sum()), rng.random(len(day)), side="right")
    return (
        np.asarray(day, dtype=np.int64) * 86_400
        + np.minimum(hour, 23) * 3600
        + rng.integers(0, 3600, len(day))
    )


def log_uniform_cents(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Amounts between ``low`` and ``high`` CNY (log-uniform), in cents; whole yuan above 1000."""
    yuan = np.exp(rng.uniform(np.log(low), np.log(high), n))
    return np.where(yuan >= 1000, np.round(yuan) * 100, np.round(yuan * 100)).astype(np.int64)
