"""Seeded demo data: bank customers, their online accounts and behaviour, traps, and the ground truth.

>>> from linker.demo import DemoSpec, generate_demo  # doctest: +SKIP
>>> spec = DemoSpec(customers=500, accounts=1500, events=10_000)  # doctest: +SKIP
>>> files = generate_demo(Path("demo"), spec)  # doctest: +SKIP

See :mod:`linker.demo.profiles` for the profiles (the conventions a data set follows: number ranges, names,
headers, date meanings, trap rates, behaviour), :mod:`linker.demo.traps` and :mod:`linker.demo.hostile` for the
traps, :mod:`linker.demo.stories` for the need stories, :mod:`linker.demo.interests` for behaviour drawn from
interests, and :mod:`linker.demo.vocab` for every raw category, MCC code and merchant the default writes.
"""

from linker.demo.generate import DemoFiles, DemoSpec, generate_demo
from linker.demo.profiles import PROFILES, Profile
from linker.demo.vocab import MCC_CODES, NEED_TOPICS, NEEDS, RAW_CATEGORIES, category_topics, topic_needs

__all__ = [
    "DemoFiles",
    "DemoSpec",
    "PROFILES",
    "Profile",
    "generate_demo",
    "MCC_CODES",
    "NEED_TOPICS",
    "NEEDS",
    "RAW_CATEGORIES",
    "category_topics",
    "topic_needs",
]
