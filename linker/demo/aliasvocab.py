"""Vocabulary of the ``names`` profile: compound surnames, Latin-script names, nicknames and platform defaults.

Data only; :mod:`linker.demo.aliases` draws from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: ``(surname, pinyin syllables, weight)``; compound surnames are rare (a few per ten thousand each), the
#: profile raises their share to make them visible.
COMPOUND_SURNAMES: Final[tuple[tuple[str, str, float], ...]] = (
    ("欧阳", "ou yang", 30),
    ("司马", "si ma", 8),
    ("上官", "shang guan", 8),
    ("诸葛", "zhu ge", 6),
    ("司徒", "si tu", 6),
    ("东方", "dong fang", 5),
    ("皇甫", "huang fu", 5),
    ("慕容", "mu rong", 4),
    ("令狐", "ling hu", 3),
    ("夏侯", "xia hou", 3),
    ("公孙", "gong sun", 3),
    ("端木", "duan mu", 3),
    ("尉迟", "yu chi", 2),
    ("长孙", "zhang sun", 2),
    ("宇文", "yu wen", 2),
)

#: Given names of people whose name is not Chinese (foreign customers and platform users): male, female.
LATIN_FIRST: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "M": ("Michael", "David", "James", "John", "Robert", "Daniel", "Thomas", "Mark", "Paul", "Peter",
              "Andrew", "Alexander", "Lukas", "Pierre", "Hiroshi", "Min-jun", "Sergei", "Carlos", "Ahmed",
              "Raj", "Oliver", "William", "Benjamin", "Samuel", "Nguyen Van"),
        "F": ("Sarah", "Anna", "Maria", "Emma", "Laura", "Sophie", "Julia", "Olga", "Yuki", "Ji-woo", "Priya",
              "Fatima", "Elena", "Claire", "Emily", "Hannah", "Charlotte", "Isabella", "Natalia", "Chloe"),
    }
)
LATIN_LAST: Final[tuple[str, ...]] = (
    "Smith", "Brown", "Johnson", "Miller", "Wilson", "Taylor", "Anderson", "Martin", "Müller", "Schmidt",
    "Dubois", "Rossi", "Garcia", "Fernandez", "Ivanov", "Petrova", "Tanaka", "Suzuki", "Kim", "Park",
    "Nguyen", "Tran", "Singh", "Khan", "Cohen", "O'Brien", "Novak", "Kowalski", "Jensen", "Silva",
)

#: English names Chinese people use on platforms and at work: male, female.
ENGLISH_NAMES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "M": ("Kevin", "Jason", "Eric", "Leo", "Jack", "Tony", "Frank", "Allen", "Vincent", "Ken", "Ryan",
              "Steven", "Bruce", "Jerry", "Simon", "Alex", "Sam", "Terry", "Harry", "Louis"),
        "F": ("Vivian", "Amy", "Coco", "Cindy", "Grace", "Lily", "Sherry", "Tina", "Wendy", "Iris", "Joyce",
              "Stella", "Fiona", "Angela", "Cherry", "Kelly", "Nancy", "Summer", "Yoyo", "Zoe"),
    }
)

#: Tails of diminutive nicknames (``小敏`` + ``在路上``).
DIMINUTIVE_TAILS: Final[tuple[str, ...]] = (
    "在路上", "爱吃鱼", "的小窝", "同学", "酱", "宝宝", "呀", "不吃辣", "今天也要加油", "的日常", "在减肥",
    "要发财", "爱旅行", "是只猫", "的妈妈", "爸爸", "很忙", "",
)

#: Nicknames with nothing of the owner's name in them (on top of :data:`linker.demo.vocab.NICKNAMES`).
MORE_NICKNAMES: Final[tuple[str, ...]] = (
    "浅笑安然", "半夏微凉", "南风知我意", "一只咸鱼", "人间清醒", "佛系青年", "快乐星球", "星辰大海",
    "晚风", "柠檬不萌", "二狗子", "吃土少女", "干饭人", "睡不醒", "猫的鱼", "橘子汽水", "云淡风轻", "墨染",
    "夏至未至", "时光旧了", "北方的狼", "江湖小虾", "听雨", "微笑向暖", "陌上花开", "静待花开", "平凡之路",
    "momo酱", "Sunshine", "Lucky Dog", "Mr.Right", "happy每一天", "Forever", "Dreamer", "ikun", "Mia",
    "卖火柴的小男孩", "隔壁老王", "会飞的鱼", "熬夜冠军",
)

#: Recipient names that are not a person: parcels left at a desk or a locker.
DESK_RECIPIENTS: Final[tuple[str, ...]] = ("公司前台", "前台", "门卫室", "菜鸟驿站代收", "丰巢快递柜", "物业")

#: How people refer to themselves as recipients: ``吴先生``, ``吴女士``, ``吴小姐``.
HONORIFICS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({"M": ("先生",), "F": ("女士", "小姐")})

#: Placeholder birth dates platforms fill in (or users pick) when the real one is not given.
FAKE_BIRTH_DATES: Final[tuple[str, ...]] = ("1990-01-01", "2000-01-01", "1980-01-01", "1970-01-01",
                                            "1995-01-01", "1988-08-08")
