"""Generator profiles: which conventions a demo data set follows.

Linkage rules tuned on one generator's data learn that generator's habits. A profile changes the habits a rule
can silently rely on (which number ranges exist, how accounts name their owners, what a date column means, how
often identifiers are shared, which columns exist, what a category is called, how behaviour unfolds), so that
a model fitted on one profile can be scored on the others. Every profile keeps the same ground truth
(``truth/account_owner``, ``truth/traps``; ``truth/interests`` where behaviour comes from interests) and writes
its own ``linker.toml``.

=============  ====================================================================================================
profile        what changes
=============  ====================================================================================================
default        Today's demo: contract headers, UTF-8, one display name per account, ownership dates
               (``phone_since``), need stories, traps at base rates.
ranges         A fifth of mobiles in 11-digit ranges that phonenumbers' metadata calls unallocated.
names          Several names per account: real name (often blank or masked), delivery recipients, nickname.
bank_export    Chinese headers, gb18030, the bank's own formats; phones carry verification dates.
hostile        Traps at several times the base rates, and the traps real data adds.
sparse         Few emails, no city, many blank account names.
interests      Behaviour drawn from interests with noise, categories from a broad vocabulary.
mixed          ranges, names, bank_export, hostile and interests together.
=============  ====================================================================================================

:data:`PROFILES` holds the full description of each; :func:`profiles_markdown` renders it for the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NameStyle = Literal["single", "multi"]
PhoneDates = Literal["since", "confirmed"]
Layout = Literal["contract", "bank_export"]
Behaviour = Literal["stories", "interests"]


@dataclass(frozen=True)
class Profile:
    """The conventions of one demo data set.

    Attributes
    ----------
    name : str
    description : str
        What the profile changes, for people (one paragraph of Markdown).
    unallocated_share : float
        Share of mobiles drawn from 11-digit ranges that phonenumbers' metadata calls unallocated.
    names : {"single", "multi"}
        ``single``: one display name per account. ``multi``: real name, recipients and nickname columns on
        accounts, an English-name column on customers, compound surnames and Latin-script customers.
    phone_dates : {"since", "confirmed"}
        ``since``: customers' phone dates are ownership starts. ``confirmed``: they are the days the bank
        verified each number (ownership began earlier, by an unknown time).
    hostile : bool
        Traps at higher rates plus reassigned numbers, relatives, offices, small shops and namesakes.
    sparse : bool
        Few emails, no city, many blank account names, fewer identifiers per account.
    layout : {"contract", "bank_export"}
        ``contract``: column names are linker's roles, UTF-8, ISO dates. ``bank_export``: Chinese headers,
        gb18030, the bank's own date, amount, gender and status formats.
    behaviour : {"stories", "interests"}
        ``stories``: everyday background plus scripted need stories (``truth/needs``). ``interests``:
        behaviour drawn from each person's interests with noise, categories from a broad vocabulary
        (``truth/interests``).
    """

    name: str
    description: str
    unallocated_share: float = 0.0
    names: NameStyle = "single"
    phone_dates: PhoneDates = "since"
    hostile: bool = False
    sparse: bool = False
    layout: Layout = "contract"
    behaviour: Behaviour = "stories"

    @property
    def encoding(self) -> str:
        """The CSV encoding the profile writes unless another is asked for."""
        return "gb18030" if self.layout == "bank_export" else "utf-8"

    @property
    def careless_config(self) -> bool:
        """Whether a second config maps the verification dates to ``phone_since`` (as a careless user would)."""
        return self.phone_dates == "confirmed"


_PROFILES = (
    Profile(
        "default",
        "Today's demo data: column names are linker's roles, UTF-8, ISO dates; one display name per account "
        "(real, one character off, pinyin, nickname or blank); `phone_since` is when the customer got the "
        "number; need stories (`truth/needs`); every trap at its base rate.",
    ),
    Profile(
        "ranges",
        "As `default`, but about a fifth of all mobiles (customers', non-customers', on records and accounts) "
        "are 11-digit numbers starting with 1 in blocks that phonenumbers' metadata calls unallocated "
        "(`is_valid_number` is false), written in every spelling the default uses. `truth/traps` lists them "
        "as `unallocated_range`.",
        unallocated_share=0.2,
    ),
    Profile(
        "names",
        "Accounts carry `real_name` (often blank, sometimes masked: `吴*琪`), `recipients` (delivery names: the "
        "owner, `吴先生`, a relative with the same surname, a spouse, a colleague) and `nickname` (pinyin "
        "handles `wuzhiqi_860`, `zhiqi.wu`, initials `wzq1990`, diminutives `小琪在路上`, `阿琪`, `老吴`, "
        "English names, platform defaults `用户619025`, `jd_8273645`, random nicknames, blank), all mapped to "
        "`names`; no `name` column. Accounts may state `gender` and `birth_date` (some fake: `1990-01-01`). "
        "Customers include compound surnames (欧阳, 司马), names of 2 to 4 characters, some in Latin script "
        "(passport pinyin or foreign names), and a `name_en` column mapped to `names`.",
        names="multi",
    ),
    Profile(
        "bank_export",
        "The bank's and the platforms' own exports: Chinese headers (客户号, 客户姓名, 手机号码 ...), gb18030 "
        "CSV, dates as `19850312`, times as `2024/03/05 14:22:10`, amounts with thousands separators, gender "
        "男/女, status 正常/休眠/销户 with `closed_at` (销户日期). Customers' phones carry 手机验证日期, the day "
        "the bank verified each number, unrelated to when the customer got it (often after their accounts "
        "were opened): `linker.toml` maps it to `phone_confirmed`, `linker-careless.toml` to `phone_since` "
        "(what a careless user would do).",
        phone_dates="confirmed",
        layout="bank_export",
    ),
    Profile(
        "hostile",
        "Default traps at higher rates (households and recycled numbers x4, typos on 8% of customers' "
        "accounts, placeholders x2.7 with four more numbers and emails, customers own at most 35% of the "
        "accounts) plus the traps real data adds: a customer's former number reassigned to someone else "
        "(customer or not, with another name) whose accounts carry it while the stale bank record still does; "
        "relatives (same city, mostly the same surname, customers or not) using the customer's phone or "
        "device, or holding the consecutive number; office switchboards on 3-15 colleagues' accounts and "
        "records and small shops' phones on 8-25 accounts (under the default hub degree); namesakes in the "
        "same city whose email is one digit off. Customers carry `closed_at`. `truth/traps` names each.",
        hostile=True,
    ),
    Profile(
        "sparse",
        "Little to link with: emails on few records and accounts, no city column anywhere, half the accounts "
        "without a name, fewer second identifiers per account (every customer's account still shares one "
        "identifier with the bank record).",
        sparse=True,
    ),
    Profile(
        "interests",
        "No scripted stories: every person has two everyday interests and up to three episodes (10-400 days, "
        "anywhere in the period: furnishing a home, a camera, a baby, a computer, a car, travel ...); events "
        "come from the interests active on their day, with noise over every category. Category names come "
        "from a vocabulary of about 1,200 spellings in 15 domains: deep paths "
        "(`家居/灯具/吸顶灯`), other platforms' trees (`家居日用>灯具>吸顶灯`, `家装建材-灯饰照明-吸顶灯`), "
        "bare leaves, synonyms and English trees. `truth/interests` gives per customer and domain the events "
        "on the customer's own accounts in the last 90 days and in all, by the generator's own vocabulary.",
        behaviour="interests",
    ),
    Profile(
        "mixed",
        "`ranges`, `names`, `bank_export` (with its careless twin config), `hostile` and `interests` at once: "
        "the closest to independent data written by other hands.",
        unallocated_share=0.2,
        names="multi",
        phone_dates="confirmed",
        hostile=True,
        layout="bank_export",
        behaviour="interests",
    ),
)

#: Every profile by name, ``default`` first.
PROFILES: dict[str, Profile] = {p.name: p for p in _PROFILES}


def get_profile(name: str) -> Profile:
    """The profile called ``name``.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> get_profile("ranges").unallocated_share
    0.2
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown demo profile {name!r}; profiles: {', '.join(PROFILES)}") from None


def profiles_markdown() -> str:
    """The profiles as a Markdown table (the README's demo section).

    Examples
    --------
    >>> profiles_markdown().splitlines()[0]
    '| profile | what changes | configs |'
    """
    rows = ["| profile | what changes | configs |", "|---|---|---|"]
    for p in PROFILES.values():
        configs = "`linker.toml`" + (", `linker-careless.toml`" if p.careless_config else "")
        rows.append(f"| `{p.name}` | {p.description} | {configs} |")
    return "\n".join(rows) + "\n"
