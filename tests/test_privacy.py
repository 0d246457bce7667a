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
    for export in ("links.csv", "profiles.csv", "clusters.csv", "signals.csv"):
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
