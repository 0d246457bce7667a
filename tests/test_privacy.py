from pathlib import Path

import duckdb
import pytest

import linker
from linker.config import load_config
from linker.errors import ConfigError
from linker.explain import explain_customer
from linker.privacy import mask_name, mask_value, pseudonym
from tests.tiny import TABLES

KEY = "a-key-of-sixteen-chars-or-more"


@pytest.mark.parametrize(("id_type", "value", "masked"), [
    ("phone", "+8613812345678", "+86 138****5678"),
    ("phone", "+861012345678", "+86 10****5678"),
    ("email", "ab@qq.com", "a*@qq.com"),
    ("device", "aid:9774d56d682e549c", "aid:************549c"),
    ("device", None, ""),
])
def test_masks_keep_only_what_an_owner_recognises(id_type: str, value: str | None, masked: str) -> None:
    assert mask_value(id_type, value) == masked


def test_names_are_masked() -> None:
    assert mask_name("李娜") == "李*"
    assert mask_name("欧阳小明") == "欧**明"


def test_pseudonyms_are_keyed_and_stable() -> None:
    assert pseudonym("C1", key=b"k" * 16) == pseudonym("C1", key=b"k" * 16)
    assert pseudonym("C1", key=b"k" * 16) != pseudonym("C1", key=b"j" * 16)


def pseudonymized_run(tmp_path: Path) -> Path:
    config = load_config({"sources": {"customers": {}, "accounts": {}, "purchases": {}},
                          "output": {"dir": str(tmp_path / "out"), "graph_store": False, "pseudonymize": True,
                                     "formats": ["parquet", "csv"]}})
    linker.run(config, frames=TABLES)
    return tmp_path / "out"


def test_pseudonymized_run_exports_no_real_id_or_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LINKER_PSEUDONYM_KEY", KEY)
    out = pseudonymized_run(tmp_path)
    for export in ("links.csv", "profiles.csv", "clusters.csv", "signals.csv", "signal_events.csv"):
        text = (out / export).read_text(encoding="utf-8")
        assert "C1" not in text and "A1" not in text and "张伟" not in text, export
    con = duckdb.connect(str(out / "work.duckdb"), read_only=True)
    expected = pseudonym("C1", key=KEY.encode())
    assert con.execute("SELECT count(*) FROM links WHERE customer_id = ?", [expected]).fetchall()[0][0] == 1
    con.close()
    # whoever holds the key can still ask about a real id
    assert explain_customer(out, "C1")["customer"]["customer_id"] == expected


def test_pseudonymizing_without_a_key_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LINKER_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="LINKER_PSEUDONYM_KEY"):
        pseudonymized_run(tmp_path)


# Raw personal values of one small input: ids, names, phones, emails, devices and birth dates, as written and as
# normalized. None may appear in any file of a pseudonymized run.
RAW = {
    "ids": ["CUST-7731", "CUST-7732", "CUST-7733", "ACCT-5501", "ACCT-5502", "ACCT-5503"],
    "names": ["欧阳娜娜", "司马相如", "Ouyang Nana", "Sima Xiangru", "上官婉儿"],
    "phones": ["139 1234 5678", "13912345678", "+8613912345678", "18800001111", "+8618800001111"],
    "emails": ["Ouyang.Nana@163.com", "ouyang.nana@163.com", "sima.xr@qq.com"],
    "devices": ["356938035643809", "aid:3f9a6c0d2b7e4151", "3f9a6c0d2b7e4151", "imei:356938035643809"],
    "birth dates": ["1983-07-19", "1983/07/19", "1991-02-03"],
}


def personal_inputs(folder: Path) -> dict:
    """A run config over CSV files holding the values of RAW (a linked pair, a shared device, device-only
    browsing, a malformed record and a bad date among them)."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    customers = pd.DataFrame({
        "customer_id": ["CUST-7731", "CUST-7732", "CUST-7733"],
        "name": ["欧阳娜娜", "司马相如", "上官婉儿"],
        "phones": ["139 1234 5678", "18800001111", ""], "emails": ["Ouyang.Nana@163.com", "sima.xr@qq.com", ""],
        "device_ids": ["356938035643809", "aid:3f9a6c0d2b7e4151", ""],
        "birth_date": ["1983-07-19", "1991-02-03", "1983/07/19x"],   # the last: a bad date, quarantined
    })
    accounts = pd.DataFrame({
        "account_id": ["ACCT-5501", "ACCT-5502", "ACCT-5503"], "platform": ["jd", "taobao", "jd"],
        "name": ["Ouyang Nana", "Sima Xiangru", "欧阳娜娜"], "phones": ["+8613912345678", "", ""],
        "emails": ["ouyang.nana@163.com", "", ""], "device_ids": ["", "3f9a6c0d2b7e4151", "356938035643809"],
        "birth_date": ["1983/07/19", "", ""], "registered_at": ["2021-01-01"] * 3, "last_seen_at": ["2024-05-01"] * 3,
    })
    browsing = pd.DataFrame({"account_id": ["", "ACCT-5501"], "device_id": ["aid:3f9a6c0d2b7e4151", ""],
                             "event_time": ["2024-05-01 10:00:00", "2024-05-02 10:00:00"], "category": ["床垫"] * 2})
    purchases = pd.DataFrame({"order_id": ["O1"], "account_id": ["ACCT-5501"], "order_time": ["2024-05-01"],
                              "category": ["家具/沙发"], "amount": ["3999"], "quantity": ["1"]})
    sources = {}
    for name, frame in (("customers", customers), ("accounts", accounts), ("browsing", browsing),
                        ("purchases", purchases)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        sources[name] = {"path": str(path)}
    with (folder / "customers.csv").open("a", encoding="utf-8") as f:
        f.write("CUST-7734,司马相如,18800001111\n")     # too few fields: a malformed record
    return {"sources": sources, "enrichment": {"as_of": "2024-06-30"},
            "output": {"dir": str(folder / "out"), "pseudonymize": True}}


def file_texts(out: Path) -> dict[str, str]:
    """Every file of a run as text: its bytes, and what Parquet files, the run database and the graph store
    hold (their compression would hide a value from a byte search)."""
    import json

    import pyarrow.parquet as pq

    from linker.graph.store import extract_parquet, opened

    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        texts[name] = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            texts[name + " (rows)"] = json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
    with duckdb.connect(str(out / "work.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            rows = con.execute(f'SELECT CAST(to_json(t) AS VARCHAR) FROM "{table}" t').fetchall()
            texts[f"work.duckdb {table}"] = "\n".join(r for (r,) in rows)
    with opened(out) as store:
        files = extract_parquet(store, out.parent / "graph-dump")
    for path in sorted((out.parent / "graph-dump").glob("*.parquet")):
        texts[f"graph.lbug {path.stem}"] = json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False,
                                                      default=str)
    assert files
    return texts


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_a_pseudonymized_run_holds_no_raw_personal_value_in_any_file(backend: str, tmp_path: Path, monkeypatch,
                                                                     request) -> None:
    monkeypatch.setenv("LINKER_PSEUDONYM_KEY", KEY)
    config = personal_inputs(tmp_path)
    if backend == "spark":   # the session of the test run (a run on Spark takes the active session)
        request.getfixturevalue("spark_session")
        config["engine"] = {"backend": "spark"}
    result = linker.run(load_config(config))
    assert result.counts["graph nodes"] > 0 and result.ingest.tables["customers"].quarantined == 2
    leaks = [(value, name) for name, text in file_texts(result.output_dir).items()
             for values in RAW.values() for value in values if value in text]
    assert leaks == []
    # the run still links and attributes: pseudonyms keep equal values equal
    with duckdb.connect(str(result.output_dir / "work.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM links WHERE decision = 'linked'").fetchall()[0][0] >= 1
        counts = con.execute("SELECT count(*) FILTER (WHERE value LIKE 'p\\_%' ESCAPE '\\' OR value LIKE '%:p\\_%' "
                             "ESCAPE '\\'), count(*) FILTER (WHERE value IS NOT NULL) FROM identifiers").fetchall()[0]
        assert counts[0] == counts[1] >= 6
        assert con.execute("SELECT count(*) FROM device_attribution WHERE customer_id IS NOT NULL").fetchall()[0][0]


def _toml(config: dict) -> str:
    """The config of :func:`personal_inputs` as TOML (tables of strings and booleans only)."""
    def value(v: object) -> str:
        return "true" if v is True else "false" if v is False else '"' + str(v).replace("\\", "\\\\") + '"'
    lines = []
    for section, body in config.items():
        if section == "sources":
            for table, source in body.items():
                lines += [f"[sources.{table}]"] + [f"{k} = {value(v)}" for k, v in source.items()]
        else:
            lines += [f"[{section}]"] + [f"{k} = {value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_a_run_prints_no_personal_value(tmp_path: Path, flags: list[str]) -> None:
    """The console (progress, summary tables, the JSON summary, warnings) gives counts, never values: a
    pseudonymized run's logs can be kept where its files can."""
    import os
    import subprocess
    import sys

    config = tmp_path / "linker.toml"
    config.write_text(_toml(personal_inputs(tmp_path)), encoding="utf-8")
    env = {**os.environ, "LINKER_PSEUDONYM_KEY": KEY, "COLUMNS": "200"}
    command = ["run", "-c", str(config), "--no-graph", *flags]
    done = subprocess.run([sys.executable, "-c", f"from linker.cli import app; app({command!r})"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout + done.stderr
    assert "quarantined" in printed or '"quarantined"' in printed
    assert [value for values in RAW.values() for value in values if value in printed] == []


@pytest.mark.spark
def test_pseudonymization_gives_the_same_tables_on_spark(spark_engine, dataset, tmp_path: Path) -> None:
    from linker.engine import DuckDBEngine
    from linker.ingest import ingest
    from linker.normalize.identifiers import build_identifiers
    from linker.privacy import erase_personal, pseudonymize_ids, pseudonymize_values
    from linker.rules import load_rules
    from tests.engine.stages import table_rows

    config = load_config(dataset())
    rules = load_rules(config.resolution.rules_file)
    duck = DuckDBEngine(duckdb.connect())
    for engine in (duck, spark_engine):
        ingest(engine, config, workdir=tmp_path / f"work-{engine.name}")
        assert pseudonymize_ids(engine, KEY.encode()) == 6
        build_identifiers(engine, region=config.region, rules=rules.identifiers,
                          declared=config.resolution.identifiers)
        engine.create_table("evidence", """
            SELECT customer_id, [{'id_type': 'device', 'value': 'imei:' || customer_id, 'name': name, 'weight': 1.5},
                                 {'id_type': 'phone', 'value': customer_id, 'name': NULL, 'weight': 0.5}] AS evidence
            FROM customers""", kind="table")
        pseudonymize_values(engine, KEY.encode())
        erase_personal(engine)
    for table in ("customers", "accounts", "purchases", "identifiers", "evidence", "quarantine"):
        assert table_rows(spark_engine, table) == table_rows(duck, table), table
    c1 = pseudonym("C1", key=KEY.encode())
    assert duck.rows(f"SELECT evidence[1].name, evidence[1].value, evidence[2].value FROM evidence WHERE customer_id = '{c1}'") \
        == [(None, "imei:" + pseudonym("imei:" + c1, key=KEY.encode()), pseudonym(c1, key=KEY.encode()))]
    assert duck.count("identifiers WHERE NOT starts_with(value, 'p_') AND NOT contains(value, ':p_')") == 0
    duck.close()
