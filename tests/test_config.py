from pathlib import Path

import pytest

from linker.config import Config, load_config
from linker.errors import ConfigError

BASE = {"sources": {"customers": {"path": "c.csv"}, "accounts": {"path": "a.csv"}}}


def with_(path: str, value: object) -> dict:
    """BASE with one dotted key set."""
    import copy

    data = copy.deepcopy(BASE)
    node = data
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return data


@pytest.mark.parametrize(("data", "expected"), [
    ({"sources": {"customers": {"path": "c.csv"}}}, "table 'accounts' is required"),
    (with_("sources.orders", {"path": "o.csv"}), "unknown table 'orders'"),
    (with_("sources.customers.encoding", "klingon"), "unknown encoding 'klingon'"),
    (with_("sources.customers.delimiter", ";;"), "single character"),
    (with_("sources.customers.columns", {"phone_number": "tel"}), "unknown role 'phone_number'"),
    (with_("sources.customers.path", "c.xlsx"), "cannot tell the format of c.xlsx"),
    (with_("sources.customers.format", "xlsx"), "sources.customers.format"),
    (with_("resolution.link_threshold", 1.5), "resolution.link_threshold"),
    (with_("resolution.review_threshold", 0.99), "review_threshold must not exceed link_threshold"),
    (with_("resolution.hub_degree", {"fax": 3}), "unknown identifier type(s) ['fax']"),
    (with_("resolution.hub_degree", {"phone": 0}), "at least 1"),
    (with_("enrichment.windows_days", [30, -1]), "positive day counts"),
    (with_("enrichment.as_of", "yesterday"), "enrichment.as_of"),
    (with_("region", "XX"), "unknown phone region 'XX'"),
    (with_("output.formats", ["xlsx"]), "output.formats"),
    (with_("resolution.link_treshold", 0.9), "resolution.link_treshold: unknown setting"),
    # every value that reaches SQL, a codec or the environment is checked when the config is loaded
    (with_("engine.memory_limit", "lots"), "engine.memory_limit: 'lots' is not a size"),
    (with_("engine.memory_limit", "5GB'; COPY (SELECT 1) TO 'x.csv'; SET memory_limit='5GB"),
     "engine.memory_limit"),
    (with_("engine.memory_limit", "0GB"), "too little memory"),
    (with_("engine.threads", 100000), "engine.threads"),
    (with_("sources.customers.encoding", "rot13"), "'rot13' is not a text encoding"),
    (with_("sources.customers.delimiter", '"'), "the delimiter cannot be"),
    (with_("sources.customers.list_separator", ""), "sources.customers.list_separator: give at least one"),
    (with_("sources.customers.date_formats", ["%d/%m/%Y", "%Q"]), "sources.customers.date_formats: '%Q'"),
    (with_("sources.customers.date_formats", [""]), "an empty format"),
    (with_("output.pseudonym_key_env", "KEY; rm -rf /"), "not an environment variable name"),
])
def test_invalid_config_is_reported_with_its_location(data: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(data)
    assert expected in str(excinfo.value)


def test_every_problem_is_reported_at_once() -> None:
    data = with_("resolution.link_threshold", 2)
    data["engine"] = {"threads": 0}
    data["output"] = {"formats": ["xlsx"]}
    with pytest.raises(ConfigError) as excinfo:
        load_config(data)
    assert len(excinfo.value.problems) == 3


def test_defaults_and_inferred_formats() -> None:
    cfg = load_config(with_("sources.purchases", {"path": "p.parquet"}))
    assert cfg.sources["purchases"].file_format == "parquet"
    assert cfg.sources["customers"].columns_for("phones") == ["phones"]
    assert cfg.resolution.hub_degree == {"phone": 20, "email": 20, "device": 10}
    assert cfg.region == "CN"


def test_file_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "linker.toml").write_text(
        '[sources.customers]\npath = "data/c.csv"\n[sources.accounts]\npath = "/abs/a.csv"\n'
        '[sources.customers.columns]\nphones = ["mobile", "home"]\n[output]\ndir = "out"\n', encoding="utf-8")
    cfg = load_config(tmp_path / "linker.toml")
    assert cfg.sources["customers"].path == tmp_path / "data" / "c.csv"
    assert cfg.sources["accounts"].path == Path("/abs/a.csv")
    assert cfg.sources["customers"].columns_for("phones") == ["mobile", "home"]
    assert cfg.output.dir == tmp_path / "out"


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    cfg = load_config(with_("resolution.link_threshold", 0.9),
                      {"resolution.link_threshold": 0.97, "output.dir": str(tmp_path)})
    assert cfg.resolution.link_threshold == 0.97
    assert cfg.output.dir == tmp_path


def test_config_is_frozen() -> None:
    cfg = load_config(BASE)
    with pytest.raises(Exception):
        cfg.region = "US"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "expected"), [
    (None, "not found"),
    ("[sources\n", "not valid TOML"),
])
def test_unreadable_config_file(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "linker.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_config_model_accepts_a_dict_directly() -> None:
    assert isinstance(Config.model_validate(BASE), Config)


@pytest.mark.parametrize(("given", "kept"), [("5GB", "5GB"), (" 1.5 gib ", "1.5gib"), ("800MB", "800MB")])
def test_memory_limits_are_sizes(given: str, kept: str) -> None:
    assert load_config(with_("engine.memory_limit", given)).engine.memory_limit == kept


def test_a_missing_config_points_to_what_exists(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path / "linker.toml")
    assert "linker init FILE" in str(excinfo.value) and "linker demo" in str(excinfo.value)
