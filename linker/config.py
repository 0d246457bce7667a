"""One typed, validated configuration for a linkage run (``linker.toml``).

Precedence: CLI options override the file, the file overrides the defaults. The object is frozen once loaded.
Relative paths in a file are relative to that file's folder.

Examples
--------
>>> cfg = Config.model_validate({"sources": {"customers": {"path": "c.csv"}, "accounts": {"path": "a.csv"}}})
>>> cfg.resolution.link_threshold
0.5
>>> cfg.sources["customers"].file_format
'csv'
"""

from __future__ import annotations

import codecs
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linker.contract import TABLES
from linker.errors import ConfigError
from linker.run_folder import DEFAULT_DIR

FORMATS = ("csv", "parquet", "jsonl")
_SUFFIX_FORMAT = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
                  ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
ID_TYPES = ("phone", "email", "device")
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|K|M|G|T)\s*", re.IGNORECASE)
_MEMORY_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "k": 10**3, "m": 10**6, "g": 10**9,
                 "t": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_MEMORY = 100 * 10**6
"""The least ``engine.memory_limit`` DuckDB is given (bytes)."""


def _memory_parts(size: str) -> tuple[str, str]:
    """The number and the unit of a memory size; ValueError when ``size`` is not one."""
    match = _MEMORY.fullmatch(size)
    if not match:
        raise ValueError(f"{size!r} is not a size: write a number and a unit, e.g. 5GB, 800MB or 4GiB")
    number, unit = match.groups()
    return number, unit


def memory_bytes(size: str) -> int:
    """Bytes of a memory size as ``engine.memory_limit`` takes it.

    >>> memory_bytes("3GB"), memory_bytes("512MiB")
    (3000000000, 536870912)
    """
    number, unit = _memory_parts(size)
    return int(float(number) * _MEMORY_UNITS[unit.lower()])


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Model):
    """Where one input table comes from and how its columns map to linker's roles."""

    path: Path | None = Field(None, description="File to read. Omit when the table is given as a DataFrame.")
    format: Literal["csv", "parquet", "jsonl"] | None = Field(
        None, description="File format; inferred from the file suffix when omitted.")
    encoding: str = Field("utf-8", description="Text encoding of CSV/JSONL files, e.g. gb18030 or gbk.")
    delimiter: str = Field(",", description="CSV field delimiter.")
    list_separator: str = Field(
        ";|", description="Characters that separate values in a multi-valued cell (phones, emails ...).")
    columns: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Role -> source column (or several columns, for multi-valued roles). "
                    "Unmapped roles are read from the column of the same name when present.")
    date_formats: list[str] = Field(
        default_factory=list, description="Extra strptime formats tried after the built-in ones.")
    decimal_separator: Literal[".", ","] = Field(
        ".", description="Decimal separator of amounts: with '.', a ',' is taken only between groups of three "
                         "digits (1,234.50); with ',', a '.' only so (1.234,50). A value that fits neither "
                         "(1,5 under '.') is quarantined, not guessed.")
    keep_other_columns: bool = Field(
        True, description="Keep unmapped columns of customers/accounts as properties (attributes map).")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codec = codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r} (try utf-8, gb18030, gbk, utf-16)") from None
        if not getattr(codec, "_is_text_encoding", True):
            raise ValueError(f"{value!r} is not a text encoding (try utf-8, gb18030, gbk, utf-16)")
        return codec.name

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("the delimiter must be a single character")
        if value in '"\r\n\x00':
            raise ValueError(f"the delimiter cannot be {value!r} (a quote, a line break or NUL)")
        return value

    @field_validator("list_separator")
    @classmethod
    def _separator_chars(cls, value: str) -> str:
        if not value:
            raise ValueError("give at least one character that separates values, e.g. ';|'")
        if any(c in value for c in "\r\n\x00"):
            raise ValueError("the separators cannot include a line break or NUL")
        return value

    @field_validator("date_formats")
    @classmethod
    def _known_specifiers(cls, value: list[str]) -> list[str]:
        problems = [f"{f!r}: {why}" for f in value if (why := _date_format_problem(f))]
        if problems:
            raise ValueError("; ".join(problems) + " (strptime formats such as '%d/%m/%Y %H:%M')")
        return value

    @property
    def file_format(self) -> str | None:
        """The declared format, or the one the file suffix implies."""
        if self.format:
            return self.format
        if self.path is None:
            return None
        return _SUFFIX_FORMAT.get(self.path.suffix.lower())

    def columns_for(self, role: str) -> list[str]:
        """Source columns mapped to ``role`` (the role's own name when unmapped)."""
        mapped = self.columns.get(role, role)
        return [mapped] if isinstance(mapped, str) else list(mapped)


class TrainingConfig(_Model):
    """How the match model is estimated from the candidate pairs (expectation-maximisation)."""

    max_iterations: int = Field(5000, ge=1, description="EM stops after this many iterations; a model that has not "
                                "converged by then is not used (the starting values are, and the run says so).")
    tolerance: float = Field(1e-3, gt=0, lt=0.1, description="EM has converged when no probability moves by more "
                             "than this fraction of itself in an iteration (1e-3: a weight moves by less than "
                             "0.0015 bits).")
    random_pairs: int = Field(500_000, ge=1000, description="Customer-account pairs drawn at random to stand for "
                              "the pairs that share no identifier (they tell how often names, cities and birth "
                              "dates agree by chance).")
    min_pairs: int = Field(1000, ge=0, description="With fewer candidate pairs than this, no model is estimated: "
                           "the starting values are used (and the run says so).")


_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,30}$"
BUILTIN_COMPARISONS = ("phone", "email", "device", "timing", "name", "city", "birth_date", "gender")


class IdentifierTypeConfig(_Model):
    """An identifier type beyond phone, email and device: a national ID, a bank card, a WeChat ID ...

    Each side names its columns: a role of the table, or a source column no role maps (kept in ``attributes``).
    """

    customers: str | list[str] = Field(description="Column(s) of the customers table holding it.")
    accounts: str | list[str] = Field(description="Column(s) of the accounts table holding it.")
    normalize: Literal["digits", "alnum", "text", "phone", "email", "device"] = Field(
        "alnum", description="digits: keep the digits; alnum: keep letters and digits, upper-cased; text: trim, "
        "lower-case, one space between words; phone, email, device: the built-in normalizers.")
    pattern: str | None = Field(None, description="A regular expression the normalized value must match fully; "
                                "others are invalid (not used).")
    hub_degree: int = Field(10, ge=1, description="A value held by more owners than this is a hub.")
    near_miss: bool = Field(False, description="Also find values one edit apart (a typo in an ID number); "
                            "searched among all values, not only between namesakes.")

    def columns(self, side: str) -> list[str]:
        cols = self.customers if side == "customers" else self.accounts
        return [cols] if isinstance(cols, str) else list(cols)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        import re

        if value is not None:
            try:
                re.compile(value)
            except re.error as e:
                raise ValueError(f"pattern is not a regular expression: {e}") from None
        return value


class ComparisonConfig(_Model):
    """An attribute compared between a customer and an account (a surname, an address, a postcode ...)."""

    name: str = Field(pattern=_NAME_PATTERN, description="Name of the comparison (lower case, digits, _).")
    customers: str = Field(description="Column of the customers table (a role or a source column).")
    accounts: str = Field(description="Column of the accounts table (a role or a source column).")
    kind: Literal["exact", "name", "text", "date", "number"] = Field(
        "exact", description="exact: same or not; name: exact, Jaro-Winkler >= 0.92, >= 0.8; text (addresses): "
        "exact, Jaro-Winkler >= 0.9, >= 0.7; date: same, one digit off or day and month swapped, same year; "
        "number: same, within 1%.")


class BlockingConfig(_Model):
    """Candidate pairs found by agreeing exactly on attributes, besides sharing an identifier."""

    on: list[str] = Field(min_length=1, description="Names of comparisons (configured, or city, birth_date, "
                          "gender) whose values must all be equal.")
    max_pairs_per_value: int = Field(1000, ge=1, description="A value shared by more customer-account pairs than "
                                     "this makes no candidates (a common birth date among millions).")


class ResolutionConfig(_Model):
    """How candidate pairs are found, scored and decided."""

    link_threshold: float = Field(0.5, gt=0, lt=1, description="Owner probability at or above which the account's "
                                  "likeliest customer takes it (0.5: more likely than not; raise it to trade "
                                  "recall for precision).")
    review_threshold: float = Field(
        0.1, gt=0, lt=1, description="Owner probability at or above which an unlinked pair is reported as ambiguous.")
    margin_bits: float = Field(
        0.0, ge=0, description="If set, the likeliest customer must also beat the runner-up by this many bits.")
    hub_degree: dict[str, int] = Field(
        default_factory=lambda: {"phone": 20, "email": 20, "device": 10},
        description="Per identifier type: a value held by more owners than this is a hub and never links.")
    near_miss: bool = Field(True, description="Also find phones and emails one edit apart, between a customer "
                                          "and an account whose names spell the same letters or that share "
                                          "another value exactly.")
    identifiers: dict[str, IdentifierTypeConfig] = Field(
        default_factory=dict, description="Identifier types beyond phone, email and device, by name.")
    comparisons: list[ComparisonConfig] = Field(
        default_factory=list, description="Attribute comparisons beyond name, city, birth date and gender.")
    blocking: list[BlockingConfig] = Field(
        default_factory=list, description="Candidate pairs from exact agreement on attributes.")
    model_file: Path | None = Field(None, description="A match model saved by an earlier run (its model.json) to "
                                    "score with instead of estimating one from this run's data.")
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    rules_file: Path | None = Field(None, description="Manual overrides: force links, block identifier values.")

    @model_validator(mode="before")
    @classmethod
    def _no_hand_weights(cls, data: Any) -> Any:
        if isinstance(data, dict) and "weights" in data:
            raise ValueError("resolution.weights is gone: the weights are now estimated from the data being linked "
                             "(see the README, 'How links are decided'); remove the [resolution.weights] section, "
                             "or reuse a saved model with resolution.model_file")
        return data

    @field_validator("hub_degree")
    @classmethod
    def _hub_types(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(ID_TYPES))
        if unknown:
            raise ValueError(f"unknown identifier type(s) {unknown}; use {list(ID_TYPES)}")
        if any(v < 1 for v in value.values()):
            raise ValueError("hub degrees must be at least 1")
        return {"phone": 20, "email": 20, "device": 10, **value}

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> ResolutionConfig:
        if self.review_threshold > self.link_threshold:
            raise ValueError("review_threshold must not exceed link_threshold")
        return self

    @model_validator(mode="after")
    def _names_distinct(self) -> ResolutionConfig:
        import re

        problems = []
        names = [*self.identifiers, *(c.name for c in self.comparisons)]
        for name in self.identifiers:
            if not re.fullmatch(_NAME_PATTERN, name):
                problems.append(f"identifier type {name!r}: use lower case letters, digits and _")
        problems += [f"{name!r} is a built-in comparison; choose another name" for name in names
                     if name in BUILTIN_COMPARISONS]
        problems += [f"{name!r} is named twice (identifiers and comparisons share one namespace)"
                     for name in sorted({n for n in names if names.count(n) > 1})]
        known = {*(c.name for c in self.comparisons), "city", "birth_date", "gender"}
        problems += [f"blocking on {name!r}: not a comparison (comparisons: {sorted(known)})"
                     for rule in self.blocking for name in rule.on if name not in known]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class EnrichmentConfig(_Model):
    """Behaviour aggregation and need signals."""

    as_of: date | None = Field(None, description="Reference date; defaults to the latest event in the data.")
    windows_days: list[int] = Field(default_factory=lambda: [30, 90, 365],
                                    description="Aggregation windows, in days before as_of.")
    taxonomy_file: Path | None = Field(None, description="Category taxonomy overriding the shipped one.")
    signals_file: Path | None = Field(None, description="Need-signal rules overriding the shipped ones.")
    baselines_file: Path | None = Field(
        None, description="Need baselines saved by an earlier run (its baselines.json) to measure engagement "
        "against instead of this run's population; `linker update` takes the previous run's.")
    events_per_part: int = Field(
        3_000_000, ge=1, description="Aggregates and signals are built for one range of customers at a time, each "
        "with about this many events (purchases, browsing, card transactions), so that their tables fit in memory "
        "(lower it with a smaller engine.memory_limit); profiles for ranges of about 500,000 customers.")

    @field_validator("windows_days")
    @classmethod
    def _positive_windows(cls, value: list[int]) -> list[int]:
        if not value or any(v <= 0 for v in value):
            raise ValueError("windows_days must be a non-empty list of positive day counts")
        return sorted(set(value))


class OutputConfig(_Model):
    """Where and how results are written."""

    dir: Path = Field(DEFAULT_DIR, description="Output folder (created if missing).")
    formats: list[Literal["parquet", "csv", "jsonl"]] = Field(
        default_factory=lambda: ["parquet"], description="Formats of the exported tables: Parquet; add 'csv' and "
        "'jsonl' for text copies (profiles and signals in JSON Lines, the others in CSV).")
    graph_store: bool = Field(True, description="Load the embedded Cypher store (graph.lbug) after the run.")
    aggregates: bool = Field(False, description="Also write aggregates.parquet: every measure per window for "
                             "each customer and class, need domain and total, with the accounts behind each row. "
                             "About half the enrichment's time; the profiles carry each customer's totals, top "
                             "classes and domains, and the report the spend per domain, without it.")
    pseudonymize: bool = Field(
        False, description="Every file of the run holds keyed pseudonyms (HMAC-SHA256) or nothing for ids, "
        "names, phones, emails, devices and birth dates: ids and identifier values become pseudonyms once "
        "compared, names, birth dates, free attributes and quarantined records are left out.")
    pseudonym_key_env: str = Field("LINKER_PSEUDONYM_KEY",
                                   description="Environment variable holding the pseudonym key.")

    @field_validator("pseudonym_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an environment variable name (letters, digits and _)")
        return value


class SparkConfig(_Model):
    """Where the Spark engine runs (``engine.backend = "spark"``; ``pip install linker[spark]``)."""

    master: str | None = Field(None, description="Spark master URL: local[N] on this machine, spark://host:7077, "
                               "yarn, k8s://https://host:443. When omitted, the session spark-submit or a managed "
                               "Spark service started is used as it is, else local[*].")
    staging: str | None = Field(None, description="Folder (a path or a URI on any Hadoop-compatible file system: "
                                "hdfs://, s3a://, abfss:// ...) where the intermediate tables are written; every "
                                "executor must reach it. Default: the run's staging folder (fine for local[N]).")
    config: dict[str, str] = Field(default_factory=dict, description="Spark configuration set on the session "
                                   "(spark.executor.memory, spark.sql.shuffle.partitions ...).")
    app_name: str = Field("linker", description="Spark application name.")

    @field_validator("master")
    @classmethod
    def _master(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"local(\[(\d+|\*)(,\s*\d+)?\])?|(spark|mesos|k8s)://\S+|yarn", value.strip()):
            raise ValueError(f"{value!r} is not a Spark master URL: use local[2], local[*], spark://host:7077, "
                             "yarn or k8s://https://host:443")
        return value.strip() if value is not None else None


class EngineConfig(_Model):
    """Which engine runs the SQL, and its resources."""

    backend: Literal["duckdb", "spark"] = Field(
        "duckdb", description="duckdb: one machine (the default); spark: a Spark cluster, or local[N] "
        "(see engine.spark).")
    memory_limit: str = Field("3GB", description="DuckDB memory limit (a size such as 3GB, 800MB or 4GiB); "
                              "beyond it DuckDB spills to disk. Python, the Parquet writers and the graph store "
                              "load use memory beside it; while the graph store loads, DuckDB works within a "
                              "third of it.")
    threads: int | None = Field(None, ge=1, le=1024, description="Worker threads (DuckDB, and the graph store "
                                "load); all cores when omitted.")
    huge_pages: bool = Field(False, description="Let DuckDB's memory use transparent huge pages (Linux). Off by "
                             "default: a run turns them off for its process when its DuckDB engine opens. DuckDB "
                             "asks the kernel for huge pages on its buffers, and the kernel zeroes every 2 MB page "
                             "a buffer touches; short-lived buffers pay that again and again.")
    spark: SparkConfig = Field(default_factory=SparkConfig, description="The Spark engine's settings.")

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if memory_bytes(value) < MIN_MEMORY:
            raise ValueError(f"{value!r} is too little memory for DuckDB: give at least 100MB")
        return "".join(_memory_parts(value))


class Config(_Model):
    """The whole configuration of a run."""

    region: str = Field("CN", description="Default phone region (ISO 3166 code) for numbers without +prefix.")
    timezone: str = Field("Asia/Shanghai", description="Time zone of the run's local times: date-times written "
                          "with an offset (+08:00, Z) are converted to it; the others are taken as they are.")
    sources: dict[str, SourceConfig] = Field(description="Input tables by name.")
    resolution: ResolutionConfig = Field(default_factory=ResolutionConfig)
    enrichment: EnrichmentConfig = Field(default_factory=EnrichmentConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    @field_validator("sources")
    @classmethod
    def _known_tables(cls, value: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        problems = [f"unknown table {name!r} (tables: {', '.join(TABLES)})" for name in value if name not in TABLES]
        problems += [f"table {name!r} is required" for name, t in TABLES.items()
                     if not t.optional and name not in value]
        for name, source in value.items():
            if name not in TABLES:
                continue
            roles = set(TABLES[name].roles)
            problems += [f"{name}: unknown role {role!r} in columns (roles: {', '.join(TABLES[name].roles)})"
                         for role in source.columns if role not in roles]
            if source.path is not None and source.file_format is None:
                problems.append(f"{name}: cannot tell the format of {source.path.name}; set format = "
                                f"'csv', 'parquet' or 'jsonl'")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        import duckdb

        try:
            duckdb.connect().execute("SELECT timezone(?, TIMESTAMPTZ '2000-01-01 00:00:00+00')", [value]).fetchall()
        except duckdb.Error:
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai or UTC)") from None
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {value!r} (use an ISO 3166 code such as CN)")
        return value.upper()


def _date_format_problem(fmt: str) -> str | None:
    """Why DuckDB's strptime refuses ``fmt`` (None when it takes it); the formats are tried on every date."""
    if not fmt.strip():
        return "an empty format"
    import duckdb

    try:
        duckdb.connect().execute("SELECT try_strptime('2000-01-01', ?)", [fmt]).fetchall()
    except duckdb.Error as e:
        return str(e).split("\n")[0].split(": ", 1)[-1]
    return None


def load_config(source: Path | str | dict[str, Any], overrides: dict[str, Any] | None = None) -> Config:
    """Load, merge and validate a configuration.

    Parameters
    ----------
    source
        Path of a ``linker.toml`` file, or the same content as a dict (relative paths are then relative to the
        current directory).
    overrides
        Dotted keys overriding the file, e.g. ``{"output.dir": "out", "resolution.link_threshold": 0.9}``.

    Returns
    -------
    Config
        The frozen configuration, with relative paths made absolute.

    Raises
    ------
    ConfigError
        With every problem found (missing file, TOML syntax, unknown keys, bad values).
    """
    origin = None
    if isinstance(source, dict):
        data, base = _deep_copy(source), Path.cwd()
    else:
        path = Path(source)
        origin = str(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found: pass --config, or write one from your files' headers "
                              "with `linker init FILE...` (`linker demo` writes a complete one into its folder)",
                              source=origin)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"not valid TOML: {e}", source=origin) from None
        except UnicodeDecodeError:
            raise ConfigError("the config file must be UTF-8", source=origin) from None
        base = path.resolve().parent
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)
    _absolutize(data, base)
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_pydantic_problems(e), source=origin) from None


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "config"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling against the README's config reference)"
        problems.append(f"{where}: {message}")
    return problems


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _absolutize(data: dict[str, Any], base: Path) -> None:
    def fix(node: dict[str, Any], key: str) -> None:
        if isinstance(node, dict) and isinstance(node.get(key), str | Path):
            p = Path(node[key]).expanduser()
            node[key] = str(p if p.is_absolute() else base / p)

    for source in (data.get("sources") or {}).values():
        fix(source, "path")
    fix(data.get("resolution") or {}, "rules_file")
    fix(data.get("resolution") or {}, "model_file")
    fix(data.get("enrichment") or {}, "taxonomy_file")
    fix(data.get("enrichment") or {}, "signals_file")
    fix(data.get("enrichment") or {}, "baselines_file")
    fix(data.get("output") or {}, "dir")


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}
