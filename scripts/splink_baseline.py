"""Splink 5 as a baseline for linker's links: the model a skilled Splink user builds on linker's normalized inputs.

linker's match model is measured against Splink given the same inputs: the customers, accounts and usable
normalized identifiers of a finished run (``<run_dir>/work.duckdb``), linked ``link_only`` (customers on one
side, accounts on the other) with Splink's own unsupervised training, then decided one customer per account as
linker decides. :func:`splink_febrl4` runs the standard Febrl4 task the same way. Splink is a test and benchmark
dependency (``pip install -e '.[test]'``); nothing in ``linker`` imports this module.

Model choices on linker's tables (:func:`splink_links`)
-----------------------------------------------------
Inputs, one row per customer and per account:

- ``names``: the ``name`` and every entry of the ``names`` list (when the run has one), trimmed, lower-cased,
  without spaces, digits, punctuation and symbols; names left empty are dropped.
- ``pinyin``: each name spelled in toneless pinyin with pypinyin (Latin names keep their letters), syllables
  run together, plus the same with the first syllable or word moved to the end: 张伟, "Zhang Wei", "zhangwei88"
  and "Wei Zhang" all give ``zhangwei`` / ``weizhang``. A Splink user linking Chinese names to online accounts
  needs this, as Splink compares strings only.
- ``phones``, ``emails``, ``devices``: the owner's distinct usable values (linker's normalized spelling),
  sorted. Values held by more than ``max_holders`` owners (customers and accounts together: a shop's delivery
  phone, a shared family tablet at scale) are left out. Splink's term-frequency adjustment, its usual answer to
  common values, does not apply to arrays; a user filters them, as they would filter placeholders.
- ``phone_heads`` and ``phone_tails``: each phone without its last four digits, and its last four digits (for
  blocking typed numbers, below).
- ``city`` without a trailing 市 (广州市 and 广州 are one city), ``birth_date``, ``gender``.

Comparisons (levels in order, each after a null level):

- name: any name equal; any pinyin equal; best pinyin Jaro-Winkler >= 0.92; any names one Damerau-Levenshtein
  edit apart; best pinyin Jaro-Winkler >= 0.8; else.
- phones and emails: share a value (``ArrayIntersectLevel``); two values one edit apart (the pairwise Damerau-
  Levenshtein level, for typed numbers and addresses); else. devices: share a value; else.
- city: exact, with term-frequency adjustment; birth date: Splink's ``DateOfBirthComparison``; gender: exact.

Blocking for prediction: one rule per identifier type, on the exploded arrays (a pair shares a phone, an email
or a device: the pairs linker's candidate generation finds without near misses), and two for mistyped phones: a
pinyin spelling and a phone's first digits, or a pinyin spelling and a phone's last four digits (one digit
changed leaves one of the two whole; without these rules the phones' one-edit level would never see a pair).

Training, in Splink's recommended order:

1. The prior (probability that two random records match) from deterministic rules: sharing a phone, an email
   or a device, taken to find 90% of true links.
2. u-probabilities by random sampling (``u_max_pairs`` pairs, seeded) of customer-account pairs, except the
   identifier levels'. Random sampling takes every sampled pair for a non-match; for a shared phone that is
   wrong here: a phone is so rarely shared by strangers that the true owners among random pairs are as many as
   the coincidences, its u comes out near the prior, and a shared phone would weigh no more than the prior
   weighs against it. The bank's customers are distinct people, so the identifier levels' u are sampled the
   same way among pairs of customers (a ``dedupe_only`` Splink model of the customers). Each comparison is
   sampled once, where its sampling holds; a level never seen in its sample gets one in the number of pairs
   sampled.
3. m-probabilities by EM, once blocked on each identifier type in turn (the first value of the sorted array on
   both sides: Splink's EM takes no exploding rule), without term frequencies; each session estimates every
   comparison but the one it blocks on, and Splink keeps the median of the estimates.

Comparisons whose column is empty on either side (the demo's accounts carry no birth date) are left out.

Decision: each account's best-scoring customer (by match weight) is linked when its match probability is at
least ``threshold`` and no other customer scores within ``margin_bits`` of it; otherwise the account stays
unlinked (``below threshold`` or ``ambiguous``), so that Splink, like linker, links an account to at most one
customer.

Febrl4
------
:func:`splink_febrl4` runs the standard Febrl4 task with the same steps and decision; its model is described in
``splink_febrl4.py``.

Run it: ``python scripts/accuracy.py --splink`` (demo data and Febrl4, beside linker) and
``python scripts/bench.py 10k --splink-model`` (training and prediction seconds beside linker's resolve stage).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from linker.errors import RunNotFoundError
from linker.evaluation import Accuracy, evaluate_links
from linker.sql import quote_literal

IDENTIFIERS = {"phone": "phones", "email": "emails", "device": "devices"}
"""linker's identifier types and the Splink input column holding each owner's values."""

LINK_COLUMNS = ["customer_id", "account_id", "match_probability", "match_weight", "margin_bits", "decision"]


@dataclass
class SplinkLinkage:
    """Splink's decisions and what they cost.

    ``links`` has one row per account with at least one scored pair: ``customer_id`` (its best customer),
    ``account_id``, ``match_probability``, ``match_weight``, ``margin_bits`` (over the runner-up; NULL when there
    is none) and ``decision`` (``linked``, ``ambiguous`` or ``below threshold``). Seconds are wall time:
    ``prepare`` builds Splink's input tables; training is ``u`` (the random sampling) plus ``em`` (the prior
    and the EM sessions); ``prediction`` is blocking, scoring every pair and the decision. ``model`` is Splink's
    trained settings (its JSON document as a dict).
    """

    links: pd.DataFrame
    pairs: int
    prepare_seconds: float
    u_seconds: float
    em_seconds: float
    prediction_seconds: float
    model: dict[str, Any] = field(repr=False)

    @property
    def training_seconds(self) -> float:
        return round(self.u_seconds + self.em_seconds, 3)

    def timings(self) -> dict[str, float | int]:
        """The figures without the tables, for reports."""
        return {"pairs": self.pairs, "prepare_seconds": self.prepare_seconds, "u_seconds": self.u_seconds,
                "em_seconds": self.em_seconds, "training_seconds": self.training_seconds,
                "prediction_seconds": self.prediction_seconds}


# ------------------------------------------------------------------------------------------------ linker runs
def splink_links(run_dir: Path | str, *, threshold: float = 0.5, margin_bits: float = 1.0, max_holders: int = 20,
                 u_max_pairs: float = 1e7, seed: int = 42, threads: int | None = None) -> pd.DataFrame:
    """Link a finished run's accounts to its customers with Splink (see the module docstring for the model).

    Parameters
    ----------
    run_dir
        Output folder of ``linker run`` (its ``work.duckdb`` is read, never written).
    threshold
        Least match probability of a link.
    margin_bits
        Least match-weight lead of the best customer over the runner-up for a link.
    max_holders
        Identifier values held by more owners than this are left out of the model.
    u_max_pairs
        Random pairs sampled for the u-probabilities.
    seed
        Seed of the u sampling.
    threads
        DuckDB threads (all cores by default).

    Returns
    -------
    pandas.DataFrame
        ``customer_id, account_id, match_probability, match_weight, margin_bits, decision``, one row per account
        Splink scored (see :class:`SplinkLinkage`); ``attrs["run_dir"]`` is ``run_dir`` (for :func:`evaluate`)
        and ``attrs["timings"]`` the figures of :meth:`SplinkLinkage.timings`.
    """
    linkage = link_run(run_dir, threshold=threshold, margin_bits=margin_bits, max_holders=max_holders,
                       u_max_pairs=u_max_pairs, seed=seed, threads=threads)
    links = linkage.links
    links.attrs.update(run_dir=str(run_dir), timings=linkage.timings())
    return links


def link_run(run_dir: Path | str, *, threshold: float = 0.5, margin_bits: float = 1.0, max_holders: int = 20,
             u_max_pairs: float = 1e7, seed: int = 42, threads: int | None = None) -> SplinkLinkage:
    """:func:`splink_links` with its timings and trained model (same parameters)."""
    db = Path(run_dir) / "work.duckdb"
    if not db.is_file():
        raise RunNotFoundError(f"no run in {run_dir}: {db.name} is missing (run `linker run` first)")
    con = connect(threads)
    try:
        started = time.perf_counter()
        _prepare_run_inputs(con, db, max_holders)
        prepared = time.perf_counter()
        settings = _run_model(con, u_max_pairs, seed)
        sampled = time.perf_counter()
        model = train(con, settings, inputs=("customers", "accounts"),
                      deterministic=[_explode(c) for c in IDENTIFIERS.values()], recall=0.9,
                      em_blocks=[f"l.{c}[1] = r.{c}[1]" for c in IDENTIFIERS.values()])
        trained = time.perf_counter()
        pairs = predict(model)
        links = decide(con, pairs.physical_name, "customers", threshold, margin_bits)
        finished = time.perf_counter()
        return SplinkLinkage(links, count_rows(con, pairs.physical_name), round(prepared - started, 3),
                             round(sampled - prepared, 3), round(trained - sampled, 3), round(finished - trained, 3),
                             model.misc.save_model_to_json())
    finally:
        con.close()


def bench_model(run_dir: Path | str, threads: int | None = None, u_max_pairs: float = 1e7) -> dict[str, Any]:
    """Time :func:`link_run` on a run for ``scripts/bench.py --splink-model``: :meth:`SplinkLinkage.timings`,
    ``linked`` (accounts linked), ``u_max_pairs`` and ``splink_version``."""
    import splink

    linkage = link_run(run_dir, threads=threads, u_max_pairs=u_max_pairs)
    return {**linkage.timings(), "linked": int((linkage.links["decision"] == "linked").sum()),
            "u_max_pairs": u_max_pairs, "splink_version": splink.__version__}


def evaluate(links_df: pd.DataFrame, truth_dir: Path | str, *, run_dir: Path | str | None = None) -> Accuracy:
    """Precision, recall and F1 of Splink's ``linked`` pairs, defined as for linker (:mod:`linker.evaluation`).

    Parameters
    ----------
    links_df
        :func:`splink_links`'s result (any frame with ``customer_id``, ``account_id`` and ``decision``).
    truth_dir
        Folder holding ``account_owner.csv`` or ``.parquet``.
    run_dir
        The run the links come from, whose identifiers define the findable links; by default
        ``links_df.attrs["run_dir"]``.

    Returns
    -------
    linker.evaluation.Accuracy
        Rule ``splink``: ``precision``, ``recall`` (over findable links), ``recall_all``, ``f1``.
    """
    run_dir = run_dir if run_dir is not None else links_df.attrs.get("run_dir")
    if run_dir is None:
        raise ValueError("evaluate needs run_dir: the links carry no attrs['run_dir']")
    linked = links_df.loc[links_df["decision"] == "linked", ["customer_id", "account_id"]]
    return evaluate_links(Path(run_dir), Path(truth_dir), others={"splink": linked})[-1]


def splink_febrl4(**options: Any) -> dict[str, Any]:
    """Febrl4 linked by Splink and scored: :func:`splink_febrl4.splink_febrl4` (same options and result)."""
    from splink_febrl4 import splink_febrl4 as link_febrl4

    return link_febrl4(**options)


def _prepare_run_inputs(con: duckdb.DuckDBPyConnection, db: Path, max_holders: int) -> None:
    """Create ``customers`` and ``accounts``, Splink's two inputs, from the run database ``db``."""
    con.execute(f"ATTACH {quote_literal(db.as_posix())} AS run (READ_ONLY)")
    con.execute(f"""
        CREATE TEMP TABLE values_kept AS
        SELECT owner_kind, owner_id, id_type, value
        FROM (SELECT DISTINCT owner_kind, owner_id, id_type, value FROM run.identifiers
              WHERE status = 'usable' AND owner_kind IN ('customer', 'account') AND value IS NOT NULL)
        QUALIFY count(*) OVER (PARTITION BY id_type, value) <= {int(max_holders)}
    """)
    for kind, table, key in (("customer", "customers", "customer_id"), ("account", "accounts", "account_id")):
        columns = {r[0] for r in con.execute(f"DESCRIBE run.{table}").fetchall()}
        other_names = "names" if "names" in columns else "[]::VARCHAR[]"
        optional = {c: c if c in columns else "NULL" for c in ("city", "birth_date", "gender")}
        con.execute(f"""
            CREATE TEMP TABLE {table}_names AS
            SELECT {key} AS unique_id, unnest(list_prepend(name, coalesce({other_names}, []))) AS raw_name
            FROM run.{table}
        """)
        con.execute(f"""
            CREATE TABLE {table} AS
            WITH ids AS (
                SELECT owner_id,
                       list_sort(list(value) FILTER (WHERE id_type = 'phone')) AS phones,
                       list_sort(list(value) FILTER (WHERE id_type = 'email')) AS emails,
                       list_sort(list(value) FILTER (WHERE id_type = 'device')) AS devices
                FROM values_kept WHERE owner_kind = '{kind}' GROUP BY owner_id)
            SELECT t.{key} AS unique_id,
                   coalesce(ids.phones, []) AS phones, coalesce(ids.emails, []) AS emails,
                   coalesce(ids.devices, []) AS devices,
                   list_transform(coalesce(ids.phones, []), lambda p: left(p, length(p) - 4)) AS phone_heads,
                   list_transform(coalesce(ids.phones, []), lambda p: right(p, 4)) AS phone_tails,
                   nullif(regexp_replace(trim({optional['city']}), '市$', ''), '') AS city,
                   CAST({optional['birth_date']} AS DATE) AS birth_date,
                   nullif(upper(trim({optional['gender']})), '') AS gender
            FROM run.{table} t LEFT JOIN ids ON ids.owner_id = t.{key}
        """)
    _add_names(con)
    con.execute("DETACH run")


_CLEAN_NAME = r"lower(regexp_replace(raw_name, '[\s\p{P}\p{S}0-9_]', '', 'g'))"


def _add_names(con: duckdb.DuckDBPyConnection) -> None:
    """Add ``names`` and ``pinyin`` lists to ``customers`` and ``accounts`` (pinyin once per distinct name)."""
    distinct = con.execute(f"""
        SELECT DISTINCT raw_name FROM (SELECT raw_name FROM customers_names UNION ALL
                                       SELECT raw_name FROM accounts_names)
        WHERE raw_name IS NOT NULL AND {_CLEAN_NAME} <> ''
    """).fetchnumpy()["raw_name"].tolist()
    con.register("spellings_arrow", pa.table({"raw_name": distinct,
                                              "spellings": [name_spellings(n) for n in distinct]}))
    for table in ("customers", "accounts"):
        con.execute(f"""
            CREATE TEMP TABLE {table}_name_lists AS
            SELECT unique_id,
                   list_sort(list(DISTINCT {_CLEAN_NAME}) FILTER (WHERE {_CLEAN_NAME} <> '')) AS names,
                   list_sort(list_distinct(flatten(list(s.spellings) FILTER (WHERE s.spellings IS NOT NULL))))
                       AS pinyin
            FROM {table}_names n LEFT JOIN spellings_arrow s USING (raw_name)
            GROUP BY unique_id
        """)
        con.execute(f"""
            CREATE OR REPLACE TABLE {table} AS
            SELECT t.*, coalesce(l.names, []) AS names, coalesce(l.pinyin, []) AS pinyin
            FROM {table} t LEFT JOIN {table}_name_lists l USING (unique_id)
        """)
    con.unregister("spellings_arrow")


def name_spellings(name: str) -> list[str]:
    """A name's Latin spellings: its pinyin (or letters) run together, and with the first part moved last.

    Examples
    --------
    >>> name_spellings("张伟"), name_spellings("Wei Zhang"), name_spellings("zhangwei_88")
    (['zhangwei', 'weizhang'], ['weizhang', 'zhangwei'], ['zhangwei'])
    >>> name_spellings("用户")
    ['yonghu', 'huyong']
    """
    from pypinyin import lazy_pinyin

    parts = [token for piece in lazy_pinyin(name) for token in re.findall("[a-z]+", piece.lower())]
    if not parts:
        return []
    spellings = ["".join(parts)]
    if len(parts) > 1:
        spellings.append("".join(parts[1:] + parts[:1]))
    return spellings


def _run_model(con: duckdb.DuckDBPyConnection, u_max_pairs: float, seed: int) -> dict[str, Any]:
    """The customer-account model's settings, every level's u-probability sampled (module docstring, step 2).

    The identifier comparisons' u come from random pairs of customers, the others' from random customer-account
    pairs; each comparison is sampled once, in the model it is sampled in.
    """
    from splink import SettingsCreator

    attributes = [c for c in ("city", "birth_date", "gender") if _on_both_sides(con, c)]
    sampled = {**_sampled_u(con, "link_only", ("customers", "accounts"),
                            [_name_comparison(), *[_attribute_comparison(c) for c in attributes]], u_max_pairs, seed),
               **_sampled_u(con, "dedupe_only", ("customers",),
                            [_identifier_comparison(c) for c in IDENTIFIERS.values()], u_max_pairs, seed)}
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[_name_comparison(), *[_identifier_comparison(c) for c in IDENTIFIERS.values()],
                     *[_attribute_comparison(c) for c in attributes]],
        blocking_rules_to_generate_predictions=_run_blocking(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    ).create_settings_dict("duckdb")
    settings["comparisons"] = [sampled[c["output_column_name"]] for c in settings["comparisons"]]
    return settings


def _sampled_u(con: duckdb.DuckDBPyConnection, link_type: str, tables: tuple[str, ...], comparisons: list[Any],
               max_pairs: float, seed: int) -> dict[str, dict[str, Any]]:
    """``comparisons`` as Splink settings, by output column, with u from Splink's random sampling of ``tables``.

    A level never seen in the sample gets one in the number of pairs sampled.
    """
    from splink import DuckDBAPI, Linker, SettingsCreator

    sizes = [count_rows(con, table) for table in tables]
    possible = sizes[0] * sizes[1] if len(sizes) == 2 else sizes[0] * (sizes[0] - 1) / 2
    floor = 1 / max(min(max_pairs, possible), 1)
    settings = SettingsCreator(link_type=link_type, unique_id_column_name="unique_id", comparisons=comparisons)
    with quiet_splink():
        db_api = DuckDBAPI(con)
        frames = [db_api.register(table, table_name=f"{table}_for_u_{link_type}") for table in tables]
        linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=None)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        model = linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and not (isinstance(level.get("u_probability"), float)
                                                       and level["u_probability"] > 0):
                level["u_probability"] = floor
    return {c["output_column_name"]: c for c in model["comparisons"]}


def _name_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(output_column_name="name", comparison_levels=[
        _either_empty("names"),
        cll.CustomLevel("list_has_any(names_l, names_r)", "a name equal"),
        cll.CustomLevel("list_has_any(pinyin_l, pinyin_r)", "a pinyin spelling equal"),
        cll.PairwiseStringDistanceFunctionLevel("pinyin", "jaro_winkler", 0.92),
        cll.PairwiseStringDistanceFunctionLevel("names", "damerau_levenshtein", 1),
        cll.PairwiseStringDistanceFunctionLevel("pinyin", "jaro_winkler", 0.8),
        cll.ElseLevel()])


def _attribute_comparison(column: str) -> Any:
    import splink.comparison_library as cl

    if column == "birth_date":
        return cl.DateOfBirthComparison("birth_date", input_is_string=False)
    if column == "city":
        return cl.ExactMatch("city").configure(term_frequency_adjustments=True)
    return cl.ExactMatch(column)


def _run_blocking() -> list[Any]:
    """Share a phone, an email or a device; or a pinyin spelling and a phone but for its last or first digits."""
    from splink import block_on

    return [*[_explode(c) for c in IDENTIFIERS.values()],
            *[block_on("pinyin", part, arrays_to_explode=["pinyin", part]) for part in ("phone_heads", "phone_tails")]]


NEAR_MISS = {"phones": True, "emails": True, "devices": False}
"""Whether an identifier comparison has a level for two values one edit apart (typed values only)."""


def _identifier_comparison(column: str) -> Any:
    """Null, share a value, (one edit apart,) else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    levels = [_either_empty(column), cll.ArrayIntersectLevel(column, 1)]
    if NEAR_MISS[column]:
        levels.append(cll.PairwiseStringDistanceFunctionLevel(column, "damerau_levenshtein", 1))
    return cl.CustomComparison(comparison_levels=[*levels, cll.ElseLevel()], output_column_name=column)


def _either_empty(column: str) -> Any:
    import splink.comparison_level_library as cll

    return cll.CustomLevel(f"len({column}_l) = 0 OR len({column}_r) = 0",
                           f"{column} missing on either side").configure(is_null_level=True)


def _on_both_sides(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    """Whether some customer and some account have ``column``: a comparison never observed is left out."""
    return bool(con.execute(f"SELECT (SELECT count({column}) FROM customers) > 0 "
                            f"AND (SELECT count({column}) FROM accounts) > 0").fetchall()[0][0])


def _explode(column: str) -> Any:
    from splink import block_on

    return block_on(column, arrays_to_explode=[column])


# -------------------------------------------------------------------------------------------- shared steps
def connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB database for one Splink linkage."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # Splink 5 writes array lambdas as `x -> ...`, which DuckDB 1.5+ refuses unless told to accept them
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


@contextmanager
def quiet_splink() -> Iterator[None]:
    """Splink logs every step at INFO; keep its warnings only."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        splink_logger.setLevel(level)


def train(con: duckdb.DuckDBPyConnection, settings: Any, *, inputs: tuple[str, str], deterministic: Sequence[Any],
          recall: float, em_blocks: Sequence[str], u_max_pairs: float | None = None, seed: int = 42) -> Any:
    """A Splink linker of the tables ``inputs`` of ``con``, trained in Splink's recommended order.

    The prior from the ``deterministic`` rules (taken to find ``recall`` of the true links), u-probabilities by
    random sampling of ``u_max_pairs`` pairs (unless None: ``settings`` holds them), then m-probabilities by EM
    blocked on each of ``em_blocks`` in turn.
    """
    from splink import DuckDBAPI, Linker

    with quiet_splink():
        db_api = DuckDBAPI(con)
        frames = [db_api.register(table, dataset_display_name=table) for table in inputs]
        linker = Linker(frames, settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match(list(deterministic), recall=recall)
        if u_max_pairs is not None:
            linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
        for block in em_blocks:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block, estimate_without_term_frequencies=True)
    return linker


def predict(linker: Any) -> Any:
    """Every blocked pair scored (a Splink data frame)."""
    with quiet_splink():
        return linker.inference.predict(warning_mode="never")


def decide(con: duckdb.DuckDBPyConnection, pairs: str, left: str, threshold: float, margin_bits: float
           ) -> pd.DataFrame:
    """One row per record of the other input than ``left`` in the scored ``pairs``: its best record of ``left``
    and whether they are linked (columns :data:`LINK_COLUMNS`, ``left``'s id as ``customer_id``)."""
    return con.execute(f"""
        WITH oriented AS (
            SELECT CASE WHEN source_dataset_l = '{left}' THEN unique_id_l ELSE unique_id_r END AS customer_id,
                   CASE WHEN source_dataset_l = '{left}' THEN unique_id_r ELSE unique_id_l END AS account_id,
                   match_probability, match_weight
            FROM {pairs}),
        ranked AS (
            SELECT *, row_number() OVER w AS rank, lead(match_weight) OVER w AS runner_up
            FROM oriented WINDOW w AS (PARTITION BY account_id ORDER BY match_weight DESC, customer_id))
        SELECT customer_id, account_id, match_probability, match_weight, match_weight - runner_up AS margin_bits,
               CASE WHEN match_probability < {float(threshold)} THEN 'below threshold'
                    WHEN match_weight - runner_up < {float(margin_bits)} THEN 'ambiguous'
                    ELSE 'linked' END AS decision
        FROM ranked WHERE rank = 1 ORDER BY account_id
    """).df()[LINK_COLUMNS]


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of ``table``."""
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def rates(predicted: int, true_positives: int, true_links: int) -> dict[str, float]:
    """Precision, recall and F1 from counts.

    >>> rates(10, 9, 12)
    {'precision': 0.9, 'recall': 0.75, 'f1': 0.81818}
    """
    precision = true_positives / predicted if predicted else 1.0
    recall = true_positives / true_links if true_links else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}
