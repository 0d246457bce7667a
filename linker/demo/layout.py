"""How a profile lays out its files: which columns each table has, their headers, and the formats of values.

The generator builds every table with its own column names (linker's roles, plus ``real_name``,
``recipients``, ``nickname`` and ``name_en`` for the extra name columns); a :class:`TableLayout` picks the
profile's columns, formats their values the way the profile's source system does, and names them. The same
object says which role every header feeds, for the profile's ``linker.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from linker.demo.events import BROWSING_COLUMNS, PURCHASE_COLUMNS, TRANSACTION_COLUMNS
from linker.demo.profiles import Profile

#: The columns of each table in the default layout (the generator's own names).
BASE_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "customers": (
            "customer_id", "name", "phones", "emails", "device_ids", "phone_since", "birth_date", "gender",
            "city", "income", "debt", "credit_limit", "status",
        ),
        "accounts": (
            "account_id", "platform", "name", "phones", "emails", "device_ids", "registered_at",
            "last_seen_at", "city",
        ),
        "purchases": tuple(PURCHASE_COLUMNS),
        "browsing": tuple(BROWSING_COLUMNS),
        "transactions": tuple(TRANSACTION_COLUMNS),
    }
)

#: Generator columns that feed another role than their name.
ROLE_OF: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "customers": {"name_en": "names"},
        "accounts": {"real_name": "names", "recipients": "names", "nickname": "names"},
    }
)

#: Chinese headers of the bank's and the platforms' exports.
BANK_EXPORT_HEADERS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "customers": {
            "customer_id": "客户号", "name": "客户姓名", "name_en": "英文名", "phones": "手机号码",
            "emails": "电子邮箱", "device_ids": "设备号", "phone_since": "手机号启用日期",
            "phone_confirmed": "手机验证日期", "birth_date": "出生日期", "gender": "性别", "city": "所在城市",
            "income": "月收入", "debt": "负债余额", "credit_limit": "授信额度", "status": "客户状态",
            "closed_at": "销户日期",
        },
        "accounts": {
            "account_id": "账户ID", "platform": "平台", "name": "昵称", "real_name": "实名认证姓名",
            "recipients": "收货人", "nickname": "昵称", "phones": "绑定手机", "emails": "邮箱",
            "device_ids": "设备ID", "registered_at": "注册时间", "last_seen_at": "最近登录时间",
            "city": "常用城市", "gender": "性别", "birth_date": "生日",
        },
        "purchases": {
            "order_id": "订单号", "account_id": "账户ID", "order_time": "下单时间", "category": "商品类目",
            "amount": "实付金额", "quantity": "数量",
        },
        "browsing": {
            "event_id": "事件ID", "account_id": "账户ID", "device_id": "设备ID", "event_time": "浏览时间",
            "category": "类目", "action": "行为", "dwell_seconds": "停留秒数",
        },
        "transactions": {
            "txn_id": "交易流水号", "customer_id": "客户号", "txn_time": "交易时间", "amount": "交易金额",
            "mcc": "商户类别码", "merchant": "商户名称",
        },
    }
)

#: strftime formats of date and time columns in the bank export (the rest stay ISO).
BANK_EXPORT_TIME_FORMATS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "customers": {"birth_date": "%Y%m%d", "phone_since": "%Y%m%d", "phone_confirmed": "%Y%m%d",
                      "closed_at": "%Y/%m/%d"},
        "accounts": {"registered_at": "%Y/%m/%d %H:%M:%S", "last_seen_at": "%Y/%m/%d %H:%M:%S",
                     "birth_date": "%Y年%m月%d日"},
        "purchases": {"order_time": "%Y/%m/%d %H:%M:%S"},
        "browsing": {"event_time": "%Y-%m-%dT%H:%M:%S"},
        "transactions": {"txn_time": "%Y.%m.%d %H:%M:%S"},
    }
)
#: Formats the bank export uses that linker does not try by itself (they go to ``date_formats``).
BANK_EXPORT_EXTRA_FORMATS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"transactions": ("%Y.%m.%d %H:%M:%S",)}
)
#: Values the bank export spells in Chinese.
BANK_EXPORT_VALUES: Mapping[str, Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "customers": {
            "gender": {"M": "男", "F": "女"},
            "status": {"active": "正常", "dormant": "休眠", "closed": "销户"},
        },
        "accounts": {
            "platform": {"taobao": "淘宝", "jd": "京东", "pinduoduo": "拼多多", "meituan": "美团",
                         "ctrip": "携程", "vipshop": "唯品会"},
            "gender": {"male": "男", "female": "女", "unknown": "保密"},
        },
        "browsing": {"action": {"view": "浏览", "search": "搜索", "cart": "加购", "favorite": "收藏"}},
    }
)
#: Amount columns the bank export writes with thousands separators.
BANK_EXPORT_GROUPED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"customers": ("income", "debt", "credit_limit"), "transactions": ("amount",)}
)
_ISO = {10: "%Y-%m-%d", 19: "%Y-%m-%d %H:%M:%S"}


@dataclass(frozen=True)
class TableLayout:
    """The files of one profile: columns, headers, value formats and the roles they feed.

    Examples
    --------
    >>> from linker.demo.profiles import PROFILES
    >>> TableLayout(PROFILES["default"]).headers("transactions")
    ['txn_id', 'customer_id', 'txn_time', 'amount', 'mcc', 'merchant']
    """

    profile: Profile

    def columns(self, table: str) -> list[str]:
        """The generator columns ``table`` has in this profile, in file order."""
        p = self.profile
        cols = list(BASE_COLUMNS[table])
        if table == "customers":
            if p.phone_dates == "confirmed":
                cols[cols.index("phone_since")] = "phone_confirmed"
            if p.names == "multi":
                cols.insert(cols.index("name") + 1, "name_en")
            if p.hostile or p.layout == "bank_export":
                cols.append("closed_at")
        if table == "accounts" and p.names == "multi":
            at = cols.index("name")
            cols[at : at + 1] = ["real_name", "recipients", "nickname"]
            cols += ["gender", "birth_date"]
        if p.sparse and "city" in cols:
            cols.remove("city")
        return cols

    def header(self, table: str, column: str) -> str:
        """The header of a generator column."""
        if self.profile.layout == "bank_export":
            return BANK_EXPORT_HEADERS[table][column]
        return column

    def headers(self, table: str) -> list[str]:
        """The headers of ``table``, in file order."""
        return [self.header(table, c) for c in self.columns(table)]

    def roles(self, table: str, careless: bool = False) -> dict[str, list[str]]:
        """Role -> headers feeding it, for every column whose header is not its role's name.

        ``careless`` maps the verification dates to ``phone_since``, as a user who reads 验证日期 as "since"
        would.
        """
        out: dict[str, list[str]] = {}
        for column in self.columns(table):
            role = ROLE_OF.get(table, {}).get(column, column)
            if careless and column == "phone_confirmed":
                role = "phone_since"
            out.setdefault(role, []).append(self.header(table, column))
        return {role: hs for role, hs in out.items() if hs != [role]}

    def date_formats(self, table: str) -> tuple[str, ...]:
        """strptime formats linker must be told about for ``table``."""
        if self.profile.layout == "bank_export":
            return BANK_EXPORT_EXTRA_FORMATS.get(table, ())
        return ()

    def apply(self, table: str, data: pa.Table) -> pa.Table:
        """``data`` (generator columns, all text) as this profile writes it: its columns, formats, headers."""
        cols = self.columns(table)
        if self.profile.layout != "bank_export":
            return data.select(cols)
        out = {}
        for c in cols:
            values = data.column(c).combine_chunks()
            if c in BANK_EXPORT_TIME_FORMATS.get(table, {}):
                values = _reformat_times(values, BANK_EXPORT_TIME_FORMATS[table][c])
            if c in BANK_EXPORT_VALUES.get(table, {}):
                values = _translate(values, BANK_EXPORT_VALUES[table][c])
            if c in BANK_EXPORT_GROUPED.get(table, ()):
                values = group_thousands(values)
            out[self.header(table, c)] = values
        return pa.table(out)


def _reformat_times(values: pa.Array, fmt: str) -> pa.Array:
    """ISO dates or times (also ``;``-joined lists of dates) in ``fmt``; text that does not parse is kept."""
    if not len(values):
        return values
    lists = pc.split_pattern(values, ";")
    flat = pc.list_flatten(lists)
    lengths = pc.utf8_length(flat)
    out = flat
    for length, iso in _ISO.items():
        parsed = pc.strptime(flat, format=iso, unit="s", error_is_null=True)
        ok = pc.fill_null(pc.and_(pc.is_valid(parsed), pc.equal(lengths, length)), False)
        out = pc.if_else(ok, pc.strftime(parsed, format=fmt), out)
    rebuilt = pa.ListArray.from_arrays(lists.offsets, out.cast(pa.string()))
    return pc.if_else(pc.is_valid(values), pc.binary_join(rebuilt, ";"), values)


def _translate(values: pa.Array, mapping: Mapping[str, str]) -> pa.Array:
    """Values found in ``mapping`` replaced by their translation, the others kept."""
    keys = pa.array(list(mapping), pa.string())
    index = pc.index_in(values, value_set=keys)
    translated = pa.array(list(mapping.values()), pa.string()).take(index)
    return pc.coalesce(translated, values)


def group_thousands(values: pa.Array) -> pa.Array:
    """Decimal amounts with a comma every three digits of the integer part.

    Examples
    --------
    >>> group_thousands(pa.array(["1234567.50", "-12345.00", "999.99", None])).to_pylist()
    ['1,234,567.50', '-12,345.00', '999.99', None]
    """
    out = values
    for _ in range(4):
        out = pc.replace_substring_regex(out, r"^(-?\d+)(\d{3})", r"\1,\2")
    return out
