"""A tiny, readable data set shared by the tests, and a writer for every supported format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CUSTOMERS = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3"],
    "name": ["张伟", "李娜", "王芳"],
    "phones": ["+86 138 0013 8001", "13912345678;021-87654321", ""],
    "emails": ["ZhangWei@Gmail.com", "", "wangfang@qq.com"],
    "device_ids": ["867530012345670", "", ""],
    "birth_date": ["1985-03-02", "1990/05/06", "1979-12-01"],
    "city": ["北京", "上海", "广州"],
    "income": ["20000", "12,000", "9000"],
})

ACCOUNTS = pd.DataFrame({
    "account_id": ["A1", "A2", "A3"],
    "platform": ["taobao", "jd", "jd"],
    "name": ["zhang wei", "李娜", "王芳"],
    "phones": ["8613800138001", "", ""],
    "emails": ["zhangwei+shop@gmail.com", "", "wangfang@qq.com"],
    "device_ids": ["", "", ""],
    "registered_at": ["2021-01-01", "2021-02-01 10:00:00", "2022-03-01"],
    "last_seen_at": ["2024-05-01", "2024-05-01", "2024-05-01"],
})

PURCHASES = pd.DataFrame({
    "order_id": ["O1", "O2"],
    "account_id": ["A1", "A2"],
    "order_time": ["2024-05-01 10:00:00", "2024-05-02"],
    "category": ["家具/沙发", "床垫"],
    "amount": ["¥3,999.00", "899"],
    "quantity": ["1", "2"],
})

TABLES = {"customers": CUSTOMERS, "accounts": ACCOUNTS, "purchases": PURCHASES}


def write_table(frame: pd.DataFrame, path: Path, *, encoding: str = "utf-8") -> Path:
    """Write ``frame`` in the format its suffix names (csv, parquet, jsonl)."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding=encoding)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        raise ValueError(path.suffix)
    return path


# Three customers and their three accounts, one shared phone each: every account links to one customer.
PAIRED_CUSTOMERS = [{"customer_id": "C1", "name": "张伟", "phones": "13800138001"},
                    {"customer_id": "C2", "name": "李娜", "phones": "13912345678"},
                    {"customer_id": "C3", "name": "王芳", "phones": "13711112222"}]
PAIRED_ACCOUNTS = [{"account_id": "A1", "name": "张伟", "phones": "13800138001"},
                   {"account_id": "A2", "name": "李娜", "phones": "13912345678"},
                   {"account_id": "A3", "name": "王芳", "phones": "13711112222"}]
