"""``linker init``: a commented ``linker.toml`` written from the headers of the user's files.

Each file's table (customers, accounts, transactions, purchases, browsing) and the column of each role are
guessed from its header names, in English or Chinese (``客户号`` is ``customer_id``, ``手机号码`` feeds
``phones``, ``手机验证日期`` is ``phone_confirmed``, not ``phone_since``). The guess is written for a person to
check: every mapping says which header it took, the headers no role took are listed, and the roles left unmapped
are there commented out. ``linker validate`` then checks it against the files.

Examples
--------
>>> guess_columns("customers", ["客户号", "客户姓名", "手机号码", "家庭电话", "出生日期", "备注"])
({'customer_id': ['客户号'], 'name': ['客户姓名'], 'phones': ['手机号码', '家庭电话'], 'birth_date': ['出生日期']}, ['备注'])
>>> guess_table("orders.csv", ["订单号", "账户ID", "下单时间", "实付金额"])
'purchases'
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from linker.errors import ConfigError, InputError
from linker.contract import TABLES, FieldType
from linker.run_folder import DEFAULT_DIR

SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customerid", "custid", "custno", "customerno", "clientid", "客户号", "客户编号", "客户id",
                    "客户代码", "客户号码"),
    "account_id": ("accountid", "userid", "uid", "memberid", "账号", "账户id", "账户号", "用户id", "会员id",
                   "用户编号", "账户"),
    "name": ("fullname", "customername", "姓名", "客户姓名", "客户名称", "名称", "用户名"),
    "names": ("nickname", "realname", "recipient", "recipients", "nameen", "englishname", "alias", "昵称",
              "实名", "实名认证姓名", "真实姓名", "收货人", "英文名", "曾用名", "别名"),
    "phones": ("phone", "mobile", "tel", "telephone", "phonenumber", "mobilephone", "cellphone", "手机",
               "手机号", "手机号码", "电话", "联系电话", "家庭电话", "绑定手机", "移动电话"),
    "emails": ("email", "mail", "emailaddress", "邮箱", "电子邮箱", "邮件", "电子邮件"),
    "device_ids": ("device", "deviceid", "imei", "idfa", "idfv", "androidid", "oaid", "设备", "设备号",
                   "设备id", "设备标识"),
    "device_id": ("device", "deviceid", "imei", "idfa", "设备", "设备号", "设备id"),
    "phone_since": ("phonesince", "手机号启用日期", "手机启用日期", "号码启用日期"),
    "phone_confirmed": ("phoneconfirmed", "phoneverified", "phoneverifiedat", "手机验证日期", "手机核实日期",
                        "验证日期"),
    "birth_date": ("birthdate", "birthday", "dob", "dateofbirth", "出生日期", "生日"),
    "gender": ("sex", "性别"),
    "city": ("城市", "所在城市", "常用城市", "居住城市"),
    "income": ("monthlyincome", "月收入", "收入"),
    "debt": ("负债", "负债余额", "欠款", "贷款余额"),
    "credit_limit": ("creditlimit", "授信额度", "信用额度"),
    "status": ("状态", "客户状态", "账户状态"),
    "closed_at": ("closedat", "closedate", "closeddate", "销户日期", "注销日期"),
    "platform": ("site", "平台", "来源平台"),
    "registered_at": ("registeredat", "registertime", "registrationdate", "signupdate", "createdat",
                      "注册时间", "注册日期"),
    "last_seen_at": ("lastseenat", "lastlogin", "lastloginat", "lastactive", "最近登录时间", "最后登录时间",
                     "最近活跃时间"),
    "txn_id": ("txnid", "transactionid", "tradeno", "交易流水号", "流水号", "交易编号"),
    "txn_time": ("txntime", "transactiontime", "tradetime", "交易时间", "交易日期"),
    "amount": ("amt", "金额", "交易金额", "订单金额", "实付金额", "支付金额"),
    "mcc": ("merchantcategorycode", "商户类别码", "mcc码"),
    "merchant": ("merchantname", "商户", "商户名称"),
    "order_id": ("orderid", "orderno", "订单号", "订单编号"),
    "order_time": ("ordertime", "orderdate", "下单时间", "订单时间"),
    "category": ("类目", "品类", "商品类目", "分类"),
    "quantity": ("qty", "数量", "购买数量"),
    "event_id": ("eventid", "事件id", "日志id"),
    "event_time": ("eventtime", "time", "timestamp", "浏览时间", "时间"),
    "action": ("event", "behaviour", "behavior", "行为", "行为类型"),
    "dwell_seconds": ("dwell", "dwelltime", "duration", "停留时长", "停留秒数", "停留时间"),
}
"""Header spellings of each role (normalized: lower case, no spaces, ``_`` or ``-``), besides the role's name."""

_KEYS = {"customers": "customer_id", "accounts": "account_id", "transactions": "txn_id", "purchases": "order_id",
         "browsing": "event_id"}
_EVENT_TIMES = {"transactions": "txn_time", "purchases": "order_time", "browsing": "event_time"}


def normalize_header(header: str) -> str:
    """``Phone Number`` and ``phone_number`` alike: lower case without spaces, ``_``, ``-`` or ``.``."""
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


def guess_columns(table: str, headers: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The headers each role of ``table`` takes (a multi-valued role may take several; another role one), and
    the headers no role took."""
    mapping: dict[str, list[str]] = {}
    taken: set[str] = set()
    for field in TABLES[table].fields:
        spellings = {normalize_header(field.role), *SYNONYMS.get(field.role, ())}
        found = [h for h in headers if normalize_header(h) in spellings and h not in taken]
        if not found:
            continue
        many = field.type in (FieldType.LIST, FieldType.DATE_LIST) and field.role.endswith("s")
        mapping[field.role] = found if many else found[:1]
        taken.update(mapping[field.role])
    return mapping, [h for h in headers if h not in taken]


def guess_table(path: str | Path, headers: list[str]) -> str | None:
    """The table a file is most likely, from the roles its headers match (its key first), then its name."""
    name = Path(path).stem.lower()
    scores = []
    for table in TABLES:
        mapping, _ = guess_columns(table, headers)
        keyed = _KEYS[table] in mapping or (table != "customers" and table != "accounts" and
                                            _EVENT_TIMES.get(table, "") in mapping)
        named = table in name or table.rstrip("s") in name
        scores.append((keyed, len(mapping) + (2 if named else 0), table))
    keyed, score, table = max(scores)
    return table if keyed and score >= 2 else None


@dataclass
class SourceGuess:
    """What was guessed of one file."""

    path: Path
    table: str
    encoding: str
    columns: dict[str, list[str]]
    unused: list[str]


def read_headers(path: Path) -> tuple[list[str], str]:
    """A file's column names and text encoding (utf-8, else gb18030), from its first line or schema.

    Raises
    ------
    InputError
        If the file cannot be read or has no header.
    """
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names), "utf-8"
        raw = path.open("rb").read(1 << 16)
    except OSError as e:
        raise InputError(f"{path}: cannot read it ({e.strerror or e})") from e
    except Exception as e:  # pyarrow's errors are not one class
        raise InputError(f"{path}: not a Parquet file ({type(e).__name__})") from e
    encoding = "utf-8"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start > len(raw) - 4:   # a character cut by the sample's end
            text = raw[:e.start].decode("utf-8-sig")
        else:
            encoding, text = "gb18030", raw.decode("gb18030", errors="replace")
    first = text.splitlines()[0] if text.strip() else ""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        try:
            record = json.loads(first)
        except ValueError as e:
            raise InputError(f"{path}: its first line is not a JSON object") from e
        return (list(record) if isinstance(record, dict) else []), encoding
    headers = next(csv.reader(io.StringIO(first)), [])
    if not headers:
        raise InputError(f"{path}: no header line")
    return [h.strip() for h in headers], encoding


def guess_sources(paths: list[Path]) -> list[SourceGuess]:
    """One guess per file.

    Raises
    ------
    ConfigError
        If a file's table cannot be guessed, or two files look like the same table.
    """
    guesses = []
    for path in paths:
        headers, encoding = read_headers(path)
        table = guess_table(path, headers)
        if table is None:
            raise ConfigError(f"{path}: its headers ({', '.join(headers[:8])}) name none of the tables' keys "
                              f"({', '.join(_KEYS.values())}); rename its id column, or write its "
                              "[sources.<table>] section by hand (see the README's configuration reference)")
        columns, unused = guess_columns(table, headers)
        guesses.append(SourceGuess(path, table, encoding, columns, unused))
    seen: dict[str, Path] = {}
    for g in guesses:
        if g.table in seen:
            raise ConfigError(f"{seen[g.table]} and {g.path} both look like the {g.table} table: give one "
                              "file per table")
        seen[g.table] = g.path
    return guesses


def config_text(guesses: list[SourceGuess], *, base: Path, output_dir: str = str(DEFAULT_DIR)) -> str:
    """The commented ``linker.toml`` of the guesses; paths relative to ``base`` (the config's folder)."""
    lines = ["# linker configuration written by `linker init` from the headers of your files.",
             "# Check every mapping below, then run: linker validate -c <this file>",
             "# Dates are read in ISO form, 2024/03/05, 20240305 and 2024年3月5日; add others to date_formats.",
             ""]
    missing = [t for t, c in TABLES.items() if not c.optional and t not in {g.table for g in guesses}]
    for table in missing:
        lines.append(f"# [sources.{table}] is required: give its file to `linker init` or write it here.")
    for g in sorted(guesses, key=lambda g: list(TABLES).index(g.table)):
        contract = TABLES[g.table]
        lines += [f"[sources.{g.table}]", f"# {contract.description}", f"path = {_q(_relative(g.path, base))}"]
        if g.encoding != "utf-8":
            lines.append(f"encoding = {_q(g.encoding)}   # the file is not UTF-8")
        lines.append(f"[sources.{g.table}.columns]")
        for field in contract.fields:
            columns = g.columns.get(field.role)
            note = f"   # {field.description}" if field.description else ""
            if columns:
                value = _q(columns[0]) if len(columns) == 1 else "[" + ", ".join(map(_q, columns)) + "]"
                lines.append(f"{field.role} = {value}{note}")
            else:
                required = " (required: map it)" if field.required else ""
                lines.append(f"# {field.role} = \"...\"{required}{note}")
        if g.unused:
            lines.append(f"# columns no role took: {', '.join(g.unused)}"
                         + (" (kept as properties)" if contract.keeps_attributes else ""))
        lines.append("")
    lines += ["[output]", f"dir = {_q(output_dir)}", ""]
    return "\n".join(lines)


def write_init_config(paths: list[Path], target: Path, *, overwrite: bool = False) -> list[SourceGuess]:
    """Guess the sources of ``paths`` and write their config to ``target``.

    Raises
    ------
    ConfigError
        If ``target`` exists (unless ``overwrite``), or a file's table cannot be guessed.
    InputError
        If a file cannot be read.
    """
    if target.exists() and not overwrite:
        raise ConfigError(f"{target} exists: choose another --output, or pass --force to replace it")
    guesses = guess_sources([Path(p) for p in paths])
    target.write_text(config_text(guesses, base=target.resolve().parent), encoding="utf-8")
    return guesses


def _relative(path: Path, base: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
