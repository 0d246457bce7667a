from pathlib import Path

import duckdb
import pandas as pd
import pytest

from linker.config import load_config
from linker.errors import ReconciliationError
from linker.ingest import ingest
from linker.ingest.readers import load_raw
from tests.tiny import ACCOUNTS, CUSTOMERS, PURCHASES


def run_ingest(config: dict, tmp_path: Path, frames: dict | None = None):
    con = duckdb.connect()
    report = ingest(con, load_config(config), frames=frames, workdir=tmp_path / "work")
    return con, report


def quarantined(con, table: str) -> list[tuple]:
    return con.execute("SELECT _row, reason, column_name FROM quarantine WHERE table_name = ? ORDER BY _row",
                       [table]).fetchall()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_clean_data_is_accepted_and_typed(dataset, tmp_path: Path, fmt: str) -> None:
    con, report = run_ingest(dataset(fmt), tmp_path)
    assert {t: (r.rows_read, r.accepted, r.quarantined) for t, r in report.tables.items()} == {
        "customers": (3, 3, 0), "accounts": (3, 3, 0), "purchases": (2, 2, 0)}
    row = con.execute("SELECT phones, emails, birth_date::VARCHAR, income FROM customers WHERE customer_id = 'C2'"
                      ).fetchall()[0]
    assert row == (["13912345678", "021-87654321"], [], "1990-05-06", 12000.0)
    assert con.execute("SELECT amount, quantity FROM purchases ORDER BY _row").fetchall() == [(3999.0, 1), (899.0, 2)]


def test_absent_optional_tables_are_empty_tables(dataset, tmp_path: Path) -> None:
    con, report = run_ingest(dataset(), tmp_path)
    assert "browsing" not in report.tables
    assert con.execute("SELECT count(*) FROM browsing").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM transactions").fetchall()[0][0] == 0


# one bad row per reason; each case: table, bad row values, expected reason and column
BAD_ROWS = [
    ("customers", {"customer_id": ""}, "missing_id", "customer_id"),
    ("customers", {"customer_id": "C1"}, "duplicate_id", "customer_id"),
    ("customers", {"birth_date": "13/45/2020"}, "bad_date", "birth_date"),
    ("customers", {"income": "lots"}, "bad_number", "income"),
    ("customers", {"income": "-5"}, "negative_number", "income"),
    ("accounts", {"account_id": "A1"}, "duplicate_id", "account_id"),
    ("accounts", {"last_seen_at": "yesterday"}, "bad_date", "last_seen_at"),
    ("purchases", {"account_id": "A404"}, "unknown_account", "account_id"),
    ("purchases", {"account_id": ""}, "missing_value", "account_id"),
    ("purchases", {"order_time": "2024-02-30"}, "bad_date", "order_time"),
    ("purchases", {"amount": "12abc"}, "bad_number", "amount"),
    ("purchases", {"quantity": "1.5"}, "bad_number", "quantity"),
    ("purchases", {"order_id": "O1"}, "duplicate_id", "order_id"),
]
FRAMES = {"customers": CUSTOMERS, "accounts": ACCOUNTS, "purchases": PURCHASES}


@pytest.mark.parametrize(("table", "changes", "reason", "column"), BAD_ROWS)
def test_each_bad_row_is_quarantined_with_its_reason(dataset, tmp_path: Path, table: str, changes: dict,
                                                     reason: str, column: str) -> None:
    good = FRAMES[table]
    bad = {**good.iloc[-1].to_dict(), "customer_id": "C9", "account_id": "A9", "order_id": "O9"}
    bad = {k: v for k, v in bad.items() if k in good.columns}
    bad.update(changes)
    frame = pd.concat([good, pd.DataFrame([bad])], ignore_index=True)
    con, report = run_ingest(dataset("csv", **{table: frame}), tmp_path)
    assert quarantined(con, table) == [(len(frame), reason, column)]
    t = report.tables[table]
    assert (t.rows_read, t.accepted, t.quarantined) == (len(frame), len(good), 1)
    assert t.reasons == {reason: 1}


def test_a_duplicate_of_a_bad_row_is_kept(dataset, tmp_path: Path) -> None:
    # the first C1 is unusable (bad date); the later C1 is then the only valid one and must be accepted
    frame = pd.concat([CUSTOMERS.assign(birth_date=["bad", "1990-01-01", "1990-01-01"]), CUSTOMERS.head(1)])
    con, report = run_ingest(dataset("csv", customers=frame), tmp_path)
    assert quarantined(con, "customers") == [(1, "bad_date", "birth_date")]
    assert con.execute("SELECT _row FROM customers WHERE customer_id = 'C1'").fetchall() == [(4,)]


def test_quarantine_keeps_the_original_record_and_every_problem(dataset, tmp_path: Path) -> None:
    frame = PURCHASES.assign(order_time=["bad", "2024-01-01"], amount=["x", "1"])
    con, _ = run_ingest(dataset("csv", purchases=frame), tmp_path)
    reason, detail, record = con.execute(
        "SELECT reason, detail, record FROM quarantine WHERE table_name = 'purchases'").fetchall()[0]
    assert reason == "bad_date"
    assert detail == "order_time is not a date/time; amount is not a number"
    assert '"order_time":"bad"' in record


def test_column_mapping_renames_and_merges_columns(tmp_path: Path, dataset) -> None:
    frame = pd.DataFrame({"客户号": ["C1"], "姓名": ["张伟"], "mobile": ["13800138001"], "home": ["010-12345678"],
                          "vip": ["gold"]})
    config = dataset()
    config["sources"]["customers"] = {
        "path": str(tmp_path / "c.csv"),
        "columns": {"customer_id": "客户号", "name": "姓名", "phones": ["mobile", "home"]}}
    frame.to_csv(tmp_path / "c.csv", index=False)
    con, _ = run_ingest(config, tmp_path)
    assert con.execute("SELECT customer_id, name, phones, attributes FROM customers").fetchall()[0] == (
        "C1", "张伟", ["13800138001", "010-12345678"], {"vip": "gold"})


def test_browsing_needs_an_account_or_a_device(dataset, tmp_path: Path) -> None:
    browsing = pd.DataFrame({"account_id": ["A1", "", ""], "device_id": ["", "867530012345670", ""],
                             "event_time": ["2024-05-01"] * 3, "category": ["床垫"] * 3})
    con, report = run_ingest(dataset("csv", browsing=browsing), tmp_path)
    assert quarantined(con, "browsing") == [(3, "no_key", "account_id/device_id")]
    assert con.execute("SELECT event_id FROM browsing ORDER BY _row").fetchall() == [("browsing:1",), ("browsing:2",)]


def test_dataframes_replace_files(dataset, tmp_path: Path) -> None:
    config = dataset()
    con, report = run_ingest(config, tmp_path, frames={"customers": CUSTOMERS.head(2)})
    assert report.tables["customers"].rows_read == 2
    assert report.tables["customers"].source == "<dataframe>"


def test_rows_read_are_counted_from_the_file_and_a_broken_record_costs_itself(dataset, tmp_path: Path) -> None:
    config = dataset()
    path = Path(config["sources"]["purchases"]["path"])
    lines = path.read_text(encoding="utf-8").splitlines()
    # a quote opened at the start of a field and never closed: the rest of the file used to be one value
    path.write_text("\n".join([lines[0], 'O0,A1,"2024-05-01', *lines[1:]]) + "\n", encoding="utf-8")
    con, report = run_ingest(config, tmp_path)
    t = report.tables["purchases"]
    assert (t.rows_read, t.accepted, t.quarantined, t.reconciles) == (3, 2, 1, True)
    assert con.execute("SELECT _row, line, reason, record FROM quarantine WHERE table_name = 'purchases'"
                       ).fetchall() == [(1, 2, "malformed_row", 'O0,A1,"2024-05-01')]


def test_quarantined_rows_carry_their_line(dataset, tmp_path: Path) -> None:
    frame = pd.concat([PURCHASES, PURCHASES.head(1).assign(order_id="O3", amount="x")])
    con, _ = run_ingest(dataset("csv", purchases=frame), tmp_path)
    assert con.execute("SELECT _row, line FROM quarantine WHERE table_name = 'purchases'").fetchall() == [(3, 4)]


def test_records_not_all_accepted_or_quarantined_stop_the_run(dataset, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import linker.ingest.stage

    def one_more(*args, **kwargs):
        raw = load_raw(*args, **kwargs)
        raw.records += 1        # a record the reading lost: the count from the file says so
        return raw

    monkeypatch.setattr(linker.ingest.stage, "load_raw", one_more)
    with pytest.raises(ReconciliationError, match="the file holds 4 records but 3 were accepted and 0 quarantined"):
        run_ingest(dataset(), tmp_path)


@pytest.mark.parametrize(("changes", "detail"), [
    ({"quantity": "9223372036854775808"}, "quantity is out of range"),     # 2^63 crashed the run
    ({"amount": "1e300"}, "amount is out of range"),                       # its sums overflowed to Infinity
    ({"amount": "1,5"}, "amount is not a number with decimal separator '.'"),   # was read as 15
    ({"amount": "1.234,50"}, "amount is not a number with decimal separator '.'"),   # was read as 1.2345
])
def test_numbers_that_do_not_fit_are_quarantined_not_guessed(dataset, tmp_path: Path, changes: dict,
                                                             detail: str) -> None:
    frame = pd.concat([PURCHASES, PURCHASES.head(1).assign(order_id="O3", **changes)])
    con, report = run_ingest(dataset("csv", purchases=frame), tmp_path)
    assert report.tables["purchases"].reasons == {"bad_number": 1}
    assert detail in con.execute("SELECT detail FROM quarantine WHERE table_name = 'purchases'").fetchall()[0][0]


def test_a_source_can_write_decimal_commas(dataset, tmp_path: Path) -> None:
    config = dataset("csv", purchases=PURCHASES.assign(amount=["3.999,00", "899,5"]))
    config["sources"]["purchases"]["decimal_separator"] = ","
    con, _ = run_ingest(config, tmp_path)
    assert con.execute("SELECT amount FROM purchases ORDER BY _row").fetchall() == [(3999.0,), (899.5,)]


@pytest.mark.parametrize("written", ["2024-05-01T02:00:00Z", "2024-05-01T02:00:00Z\u3000"])
def test_date_times_with_an_offset_are_converted_and_counted(written: str, dataset, tmp_path: Path) -> None:
    """Blanks around a value with an offset hide nothing: it is converted and counted as converted."""
    frame = PURCHASES.assign(order_time=[written, "2024-05-02 10:00:00"])
    con, report = run_ingest(dataset("csv", purchases=frame), tmp_path)
    assert con.execute("SELECT CAST(order_time AS VARCHAR) FROM purchases ORDER BY _row").fetchall() == [
        ("2024-05-01 10:00:00",), ("2024-05-02 10:00:00",)]
    assert report.tables["purchases"].notes == {"date-times with an offset, converted to Asia/Shanghai": 1}
    assert "_offsets" not in [c for c, *_ in con.execute("DESCRIBE purchases").fetchall()]


def test_a_value_too_long_to_compare_is_quarantined(dataset, tmp_path: Path) -> None:
    frame = pd.concat([CUSTOMERS, CUSTOMERS.head(1).assign(customer_id="C9", name="张" * 100_000)])
    con, report = run_ingest(dataset("csv", customers=frame), tmp_path)
    assert report.tables["customers"].reasons == {"too_long": 1}
    assert con.execute("SELECT detail FROM quarantine WHERE table_name = 'customers'").fetchall() == [
        ("name is longer than 2,000 bytes",)]
