"""Enrichment: linked behaviour back onto each customer — categories, aggregates, need signals, profiles.

Stage order (all SQL on the run's engine, DuckDB or Spark, :mod:`linker.engine`):

1. :func:`~linker.enrich.category_match.build_categories` maps every distinct category name seen (and card
   merchant category codes as ``mcc:NNNN``) to a class and a domain: exact, pattern, contains, fuzzy; unmapped
   names are counted, never dropped.
2. :mod:`~linker.enrich.attribution` attributes events to customers: card transactions, purchases and browsing of
   *linked* accounts, and device-only browsing through a device held by exactly one customer.
3. :func:`~linker.enrich.aggregate.build_aggregates` aggregates per class, domain and in total over the windows
   (the per-customer totals the profiles read, the spend per domain the report draws, and ``aggregates`` when
   asked for).
4. :func:`~linker.enrich.signals.fire_signals` scores every customer's engagement with each need's domains
   against the population (:mod:`~linker.enrich.engagement`), refines needs with the rules (data, not code)
   and keeps the evidence.
5. :func:`~linker.enrich.profiles.build_profiles` writes one row per customer.

:func:`export_enrichment` writes profiles, signals, signal events, aggregates and unmapped categories
(atomically, CSV made spreadsheet-safe) and ``report.html``.

Tables left in the run database: ``taxonomy_domains``, ``categories``, ``merchant_classes``, ``linked_accounts``,
``device_attribution``, ``customer_metrics``, ``need_scores``, ``need_baselines``, ``signal_scores``, ``signals``,
``signal_events``, ``profiles``, ``unmapped_categories``, ``domain_spend``, ``enrichment_info``, and ``aggregates``
when they are built and not written to a file (a run that exports Parquet writes them to ``aggregates.parquet``
only); ``customer_events`` is temporary, like the event tables.

The statements are written once, in DuckDB's spelling (the Spark dialect rewrites them). Where DuckDB has a
faster construct that Spark lacks, the stage asks the engine's name and uses the portable one elsewhere: active
days as bit strings (:data:`~linker.enrich.aggregate.DAY_SETS`), the next spend after a browsing event by an
ASOF join (:data:`~linker.enrich.aggregate.NEXT_SPEND`), customer parts written as partitioned Parquet
(:mod:`~linker.enrich.parts`), aggregates streamed into their Parquet file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linker.config import EnrichmentConfig
from linker.engine import DuckDBEngine, Engine, as_engine
from linker.enrich.aggregate import build_aggregates
from linker.enrich.attribution import (
    build_customer_events,
    build_device_attribution,
    build_linked_accounts,
    latest_event_date,
)
from linker.enrich.baselines import load_baselines
from linker.enrich.category_match import (
    build_categories,
    build_merchant_classes,
    matching_summary,
    register_taxonomy,
)
from linker.enrich.parts import customer_parts
from linker.enrich.profiles import build_profiles, build_unmapped_categories
from linker.enrich.signal_rules import SignalRules, load_signal_rules
from linker.enrich.signals import fire_signals
from linker.enrich.taxonomy import Taxonomy, load_taxonomy
from linker.export.files import export_table, file_checksum, write_text
from linker.sql import quote_literal

__all__ = ["EnrichmentRules", "enrich", "enrichment_manifest", "export_enrichment", "load_enrichment_rules"]

AGGREGATES_FILE = "aggregates.parquet"
"""The aggregates' Parquet file: written by :func:`enrich` into its ``workdir`` as they are computed, moved into
the run's output folder by :func:`export_enrichment`."""

EXPORTS = {
    # profiles, signals and signal events are built in customer order (then need), part after part, and the
    # run database preserves insertion order: no sort per format. aggregates (about twenty rows per customer) is
    # not sorted: a sort costs about as much as building the table, and its readers filter by customer.
    # Its rows are in no particular order, so it is written without keeping any (when enrich has not written
    # its file already).
    "profiles": ("SELECT * FROM profiles", ("parquet", "csv", "jsonl"), True),
    "signals": ("SELECT * FROM signals", ("parquet", "csv", "jsonl"), True),
    "signal_events": ("SELECT * FROM signal_events", ("parquet", "csv", "jsonl"), True),
    "aggregates": ("SELECT * FROM aggregates", ("parquet",), False),
    "unmapped_categories": ("SELECT * FROM unmapped_categories ORDER BY events DESC, name", ("parquet", "csv"), True),
}
"""Exported tables: file stem -> (query, formats it may be written in, whether its rows keep their order)."""


@dataclass(frozen=True)
class EnrichmentRules:
    """The taxonomy and the need rules of a run, loaded and checked before any work."""

    taxonomy: Taxonomy
    signals: SignalRules
    baselines: pa.Table | None = None
    """Need baselines saved by an earlier run (``enrichment.baselines_file``), or None: learned from the data."""


def load_enrichment_rules(config: EnrichmentConfig) -> EnrichmentRules:
    """Load and check the taxonomy and signal files a configuration names (the shipped ones by default), and the
    saved need baselines it names.

    Raises
    ------
    RulesError
        Naming the file and every bad entry.
    ConfigError
        The baselines file is missing or malformed.

    Examples
    --------
    >>> rules = load_enrichment_rules(EnrichmentConfig())
    >>> rules.taxonomy.source, [r.need for r in rules.signals.rules][:3]
    ('builtin', ['home_furnishing', 'computer', 'photography'])
    """
    taxonomy = load_taxonomy(config.taxonomy_file)
    baselines = load_baselines(config.baselines_file) if config.baselines_file is not None else None
    return EnrichmentRules(taxonomy, load_signal_rules(config.signals_file, taxonomy), baselines)


def enrich(engine: Engine | duckdb.DuckDBPyConnection, config: EnrichmentConfig, *,
           rules: EnrichmentRules | None = None,
           workdir: Path | None = None, aggregates: bool = True, aggregates_file: bool = True) -> dict[str, int]:
    """Run the enrichment stage on a resolved run database.

    Parameters
    ----------
    engine
        The run's engine (or its DuckDB connection), holding ``customers``, ``transactions``, ``accounts``, ``purchases``, ``browsing``,
        ``identifiers``, ``identifier_degrees``, ``links`` and ``clusters``.
    config
        ``as_of`` (default: the latest event date in the data), ``windows_days``, taxonomy and signal files.
    rules
        Rules loaded beforehand with :func:`load_enrichment_rules` (to fail before ingest); loaded here if
        omitted.
    workdir
        A folder for the attributed events, written there one customer part per folder when there are several
        parts (the pipeline gives the run's ``.work``; its caller deletes it after closing ``con``). Without
        it they stay in one table, which each part scans whole: the same results, slower at scale.
    aggregates
        Build ``aggregates`` (per customer and class, domain and total, every measure per window; about half
        the stage's time). Without it the profiles and the report are the same: they read the per-customer
        totals and the spend per domain, which are built either way.
    aggregates_file
        With a ``workdir``: write the aggregates as they are computed into ``<workdir>/aggregates.parquet``
        (``aggregates`` is then a view of it, which :func:`export_enrichment` moves into the output folder);
        without one, when false (a run that exports no Parquet), or on Spark, they are a table of the run.

    Returns
    -------
    dict
        Counts for the run summary: categories, unmapped categories, linked accounts, attributed devices,
        customer events (by attribution), aggregates, signals (by need), profiles.

    Raises
    ------
    RulesError
        A taxonomy or signals file is malformed.
    """
    engine = as_engine(engine)
    rules = rules or load_enrichment_rules(config)
    as_of = config.as_of or latest_event_date(engine) or datetime.now(UTC).date()
    counts: dict[str, int] = {}
    register_taxonomy(engine, rules.taxonomy)
    counts["unmapped categories"] = build_categories(engine, rules.taxonomy)
    counts["categories"] = engine.count("categories")
    for method, _, events, _, _, _ in matching_summary(engine):
        counts[f"category events {method}"] = events
    counts["merchants refined"] = build_merchant_classes(engine)
    counts["linked accounts"] = build_linked_accounts(engine)
    counts["attributed devices"] = build_device_attribution(engine)
    # parts sized by the events that can be attributed: they are decided before the events are written
    parts = customer_parts(engine, sum(engine.count(t) for t in ("purchases", "browsing", "transactions")),
                           config.events_per_part)
    counts["customer parts"] = len(parts)
    counts["customer events"] = build_customer_events(
        engine, as_of, parts=parts, folder=workdir / "customer_events" if workdir else None)
    for attribution, n in engine.rows(
            "SELECT attribution, count(*) FROM customer_events GROUP BY 1 ORDER BY 1"):
        counts[f"customer events {attribution}"] = int(n)
    counts["unmapped events"] = build_unmapped_categories(engine)
    counts["aggregates"] = build_aggregates(engine, config.windows_days, as_of, parts=parts, rows=aggregates,
                                            target=workdir / AGGREGATES_FILE if workdir and aggregates_file else None)
    counts.update(fire_signals(engine, rules.signals, as_of, config.windows_days, parts=parts,
                               baselines=rules.baselines))
    counts["profiles"] = build_profiles(engine, config.windows_days, as_of, parts=parts,
                                        needs=[n.name for n in rules.signals.needs])
    _record_info(engine, config, rules, as_of)
    engine.drop("taxonomy_classes", "taxonomy_names", "taxonomy_patterns", "taxonomy_merchants", "taxonomy_mcc",
                "taxonomy_priorities")
    return counts


def _aggregates_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The Parquet file the ``aggregates`` view reads (None when ``aggregates`` is a table)."""
    found = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'aggregates' AND schema_name = 'main'"
                        ).fetchall()
    if not found:
        return None
    match = re.search(r"read_parquet\('((?:[^']|'')*)'\)", found[0][0])
    return Path(match.group(1).replace("''", "'")) if match else None


def _move_aggregates(con: duckdb.DuckDBPyConnection, written: Path, target: Path) -> Path:
    """Move the aggregates file into the output folder (a rename: atomic) and point the view at it."""
    if written != target:
        os.replace(written, target)
        con.execute(f"CREATE OR REPLACE VIEW aggregates AS SELECT * FROM read_parquet({quote_literal(str(target))})")
    return target


def _record_info(engine: Engine, config: EnrichmentConfig, rules: EnrichmentRules,
                 as_of: date) -> None:
    """``enrichment_info`` (key, value): what the stage ran with, for the manifest and the report."""
    info = {
        "as_of": as_of.isoformat(),
        "as_of_source": "config" if config.as_of else "latest event",
        "windows_days": ",".join(str(w) for w in config.windows_days),
        "taxonomy_file": rules.taxonomy.source,
        "signals_file": rules.signals.source,
        "rules": ",".join(r.name for r in rules.signals.rules),
        "baselines": str(config.baselines_file) if config.baselines_file is not None else "learned from this run's data",
    }
    from linker.enrich import signal_rules, taxonomy

    for key, path in (("taxonomy", config.taxonomy_file or taxonomy.builtin_path()),
                      ("signals", config.signals_file or signal_rules.builtin_path())):
        info[f"{key}_sha256"] = file_checksum(path)
    engine.register_arrow("enrichment_info_arrow", pa.table({"key": pa.array(list(info), pa.string()),
                                                             "value": pa.array(list(info.values()), pa.string())}))
    engine.create_table("enrichment_info", "SELECT * FROM enrichment_info_arrow", kind="table")
    engine.drop("enrichment_info_arrow")


def enrichment_manifest(engine: Engine | duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What the enrichment stage ran with (as_of, windows, taxonomy and signals files with checksums), for
    the run manifest."""
    return dict(as_engine(engine).rows("SELECT key, value FROM enrichment_info ORDER BY key"))


def export_enrichment(engine: Engine | duckdb.DuckDBPyConnection, out_dir: Path, formats: list[str], *,
                      report: bool = True, report_context: Any = None) -> list[Path]:
    """Write ``profiles``, ``signals``, ``signal_events`` (Parquet, CSV, JSON Lines), ``unmapped_categories``
    (Parquet, CSV) and ``aggregates`` (Parquet only: about fifty rows per customer) in the requested formats, and
    ``report.html``; every file atomically, by the engine (:func:`linker.export.files.export_table`: on Spark, each
    Parquet output is a folder of part files).

    Aggregates that :func:`enrich` wrote into a file are moved here (renamed) into ``out_dir``, and their view is
    dropped from the run database once the report has read it: the file is the aggregates' one copy, and a view
    would name the folder it was written in, which the run's switch moves.

    Parameters
    ----------
    engine
        The engine (or DuckDB run database) after :func:`enrich`.
    out_dir
        The run's output folder.
    formats
        Any of 'parquet', 'csv', 'jsonl'.
    report
        Also write ``report.html`` (its figures are small summaries computed by the engine).
    report_context
        A :class:`linker.enrich.report.ReportContext`: the thresholds drawn and the currency of amounts.

    Returns
    -------
    list of Path
        Files (and, on Spark, Parquet folders) written.
    """
    engine = as_engine(engine)
    files: list[Path] = []
    con = engine.con if isinstance(engine, DuckDBEngine) else None
    written = _aggregates_file(con) if con is not None else None
    for stem, (query, allowed, ordered) in EXPORTS.items():
        if stem == "aggregates" and con is not None and written is not None and "parquet" in formats:
            files.append(_move_aggregates(con, written, out_dir / AGGREGATES_FILE))
            continue
        if stem == "aggregates" and not engine.exists("aggregates"):   # not asked for (output.aggregates)
            continue
        files += export_table(engine, query, out_dir / stem, [f for f in formats if f in allowed], ordered=ordered)
    if report:
        from linker.enrich.report import render_report

        files.append(write_text(out_dir / "report.html", render_report(engine, report_context)))
    if written is not None:   # the view names the file where it is now; the run's switch moves it
        engine.drop("aggregates")
    return files
