"""Benchmark the whole pipeline on a generated data set, stage by stage, and compare its linking with Splink's.

:func:`run_benchmark` generates the demo data set of a size (or reuses it), runs the pipeline — ingest,
normalize, resolve, enrich, export, graph store — in a fresh process and returns, per stage, the wall time, rows,
rows per second, cost per row and the process's peak memory so far; then the totals and the cost per input row.
With Splink installed (it comes with ``pip install -e '.[test]'``) it also times, in another fresh process on
the run's own ``identifiers`` table, Splink's deterministic linking against our candidate generation on the same
values. ``scripts/bench.py --splink-model`` adds Splink's probabilistic linkage (its own training and
prediction, ``scripts/splink_baseline.py``) as ``splink_model``, which :func:`format_report` prints.
``scripts/bench.py`` is the command line; :func:`format_report` prints a result.

Each measured step runs in its own process, so that one step's memory (or a data generation before it) never
counts in another's peak.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path("/tmp/linker-bench")


@dataclass(frozen=True)
class Size:
    """A data set size: bank customers, platform accounts, and purchase plus browsing events (card transactions
    come on top, about one per customer per month)."""

    name: str
    customers: int
    accounts: int
    events: int

    def __str__(self) -> str:
        return f"{self.name} ({self.customers:,} customers / {self.accounts:,} accounts / {self.events:,} events)"


SIZES: dict[str, Size] = {s.name: s for s in (
    Size("10k", 10_000, 30_000, 300_000),
    Size("100k", 100_000, 300_000, 2_000_000),
    Size("1m", 1_000_000, 3_000_000, 20_000_000),
    Size("5m", 5_000_000, 15_000_000, 100_000_000),
)}
"""The benchmark sizes, by name."""

def prepare(size: Size, root: Path = DEFAULT_ROOT, *, seed: int = 42) -> Path:
    """Generate the demo data set of ``size`` into ``root/<name>`` unless it is there; return its config path.

    The data (Parquet) and its ``linker.toml`` are written by :func:`linker.demo_run.write_demo` in a child
    process; the config is written last, so a folder with a config holds a complete data set.
    """
    folder = Path(root) / size.name
    config = folder / "linker.toml"
    if not config.exists():
        _in_child(_generate, folder, size, seed)
    return config


def run_benchmark(size: str | Size, *, root: Path = DEFAULT_ROOT, graph: bool = True, splink: bool = True,
                  floor: bool = True, threads: int | None = None, memory_limit: str | None = None,
                  formats: list[str] | None = None, seed: int = 42, aggregates: bool = False) -> dict[str, Any]:
    """Run the pipeline on the data set of ``size`` and return its figures (see the module docstring).

    Parameters
    ----------
    size
        A name of :data:`SIZES` or a :class:`Size`.
    root
        Folder holding one sub-folder per size (data, config, and the run's output in ``out``).
    graph
        Also load the embedded graph store (the pipeline's last stage).
    splink
        Also compare linking with Splink (skipped, with a note, when Splink is not installed).
    floor
        Also time :func:`read_floor`: DuckDB only reading the inputs into a database file, what no ingest
        on this machine can go below; and, with ``graph``, :func:`graph_floor`: LadybugDB's bare COPY of the
        run's graph from Parquet files.
    threads, memory_limit
        DuckDB settings for the run (the config's ``engine`` section; the machine's cores and 3GB by default).
    formats
        Export formats (the config's ``output.formats``: Parquet only by default); adding ``"csv"`` and
        ``"jsonl"`` times the text copies too, which at the largest sizes need more disk than the data.
    seed
        Seed of the generated data.
    aggregates
        Also write the aggregates (``output.aggregates``: off by default).

    Returns
    -------
    dict
        ``size``, ``input_rows``, ``stages`` (name, seconds, cpu_seconds: every thread's, rows, rows_per_second,
        us_per_row, peak_rss_mb), ``pipeline`` (seconds, cpu_seconds, peak_rss_mb and us_per_input_row, without
        the graph store), ``graph`` (seconds, or None), ``counts`` of the run, ``model_seconds`` (the resolve
        stage's steps: candidates, comparisons, training ...), ``floor`` (see :func:`read_floor`) and
        ``graph_floor`` (see :func:`graph_floor`) unless ``floor`` is false, and ``linking`` (see
        :func:`compare_linking`) unless ``splink`` is false.
    """
    size = SIZES[size] if isinstance(size, str) else size
    config = prepare(size, root, seed=seed)
    out = config.parent / "out"
    overrides: dict[str, Any] = {"output.dir": str(out), "output.graph_store": graph, "output.aggregates": aggregates}
    if threads:
        overrides["engine.threads"] = threads
    if memory_limit:
        overrides["engine.memory_limit"] = memory_limit
    if formats:
        overrides["output.formats"] = formats
    run = _in_child(_run_pipeline, config, overrides)
    input_rows = run["input_rows"]
    stages = [{**s, "us_per_row": round(s["seconds"] / s["rows"] * 1e6, 3) if s["rows"] else None}
              for s in run["stages"]]
    before_graph = [s for s in stages if s["name"] != "graph"]
    seconds = round(sum(s["seconds"] for s in before_graph), 3)
    cpu_seconds = round(sum(s["cpu_seconds"] or 0 for s in before_graph), 3)
    graph_stage = next((s for s in stages if s["name"] == "graph"), None)
    result: dict[str, Any] = {
        "size": {"name": size.name, "customers": size.customers, "accounts": size.accounts, "events": size.events},
        "input_rows": input_rows,
        "stages": stages,
        "pipeline": {"seconds": seconds, "cpu_seconds": cpu_seconds,
                     "peak_rss_mb": max(s["peak_rss_mb"] for s in before_graph),
                     "us_per_input_row": round(seconds / input_rows * 1e6, 3)},
        "graph": {"seconds": graph_stage["seconds"], "peak_rss_mb": graph_stage["peak_rss_mb"]} if graph_stage
        else None,
        "counts": run["counts"],
        "model_seconds": run["model_seconds"],
    }
    if floor:
        result["floor"] = _in_child(read_floor, config, overrides, config.parent / "floor.duckdb")
        if graph_stage:
            result["graph_floor"] = _in_child(graph_floor, out)
    if splink:
        hub_degree = run["hub_degree"]
        result["linking"] = _in_child(compare_linking, out / "work.duckdb", hub_degree, threads)
        resolve = next(s for s in stages if s["name"] == "resolve")
        result["linking"]["resolve_seconds"] = resolve["seconds"]
    return result


def read_floor(config_path: Path, overrides: dict[str, Any], db: Path) -> dict[str, Any]:
    """Time DuckDB reading every input file of a config into a new database file ``db``, and nothing else.

    Each file is read with DuckDB's own reader for its format (typed as the reader guesses, no row numbers, no
    checks, no quarantine) into a table of the same name, with the run's engine settings, then checkpointed
    so that the rows are in the file as the run's are. This is the floor of the ingest stage on this machine:
    any ingest reads and stores at least this much. ``db`` is deleted afterwards.

    Returns
    -------
    dict
        ``seconds`` (reading, storing and the checkpoint), ``checkpoint_seconds``, ``rows`` (read).
    """
    from linker.config import load_config
    from linker.engine import open_database
    from linker.sql import quote_ident, quote_literal

    readers = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}
    config = load_config(config_path, overrides)
    files = [db, db.with_name(db.name + ".wal"), db.parent / ".spill"]
    _remove(files)
    con = open_database(db, config.engine)
    try:
        started, rows = time.perf_counter(), 0
        for name, source in config.sources.items():
            reader = readers[source.file_format]
            con.execute(f"CREATE TABLE {quote_ident(name)} AS "
                        f"SELECT * FROM {reader}({quote_literal(str(source.path))})")
            rows += con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0]
        checkpoint_started = time.perf_counter()
        con.execute("CHECKPOINT")
        finished = time.perf_counter()
    finally:
        con.close()
        _remove(files)
    return {"seconds": round(finished - started, 3), "checkpoint_seconds": round(finished - checkpoint_started, 3),
            "rows": int(rows)}


def graph_floor(run_dir: Path) -> dict[str, Any]:
    """Time LadybugDB's own COPY of the run's graph from Parquet files into a new store, outside linker's load.

    The run's store is written back out as one Parquet file per label and relationship pair
    (:func:`~linker.graph.store.extract_parquet`), each sorted as linker's load sorts its tables (nodes by key,
    relationships by their ends), untimed. Timed: the schema's DDL, one ``COPY <table> FROM '<file>'`` per file,
    nodes first, and a checkpoint: what loading the same tables costs with nothing of linker around it (no
    DuckDB queries, no Arrow hand-over). The files and the new store are deleted afterwards.

    Returns
    -------
    dict
        ``seconds``, ``nodes``, ``relationships`` and ``seconds_per_million_relationships``.
    """
    import duckdb

    from linker.engine.duckdb import disable_huge_pages
    from linker.graph.build import ENDS, relationship_file_stem
    from linker.graph.store import _ladybug, ddl, extract_parquet, open_store
    from linker.schema import load_schema
    from linker.sql import quote_ident, quote_literal

    schema = load_schema()
    disable_huge_pages()   # as in the run whose load it is compared with (engine.huge_pages is off by default)
    folder, store = run_dir / ".graph-floor", run_dir / ".graph-floor.lbug"
    _remove([folder, store])
    try:
        with open_store(run_dir) as opened:
            files = extract_parquet(opened, folder / "raw", schema=schema)
        con = duckdb.connect()
        sorted_files = []
        for file in files:
            if isinstance(file.key, str):
                name, order = file.key, quote_ident(schema.nodes[file.key].key)
            else:
                name, order = relationship_file_stem(*file.key), ", ".join(ENDS)
            path = folder / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM read_parquet({quote_literal(str(file.path))}) ORDER BY {order}) "
                        f"TO {quote_literal(str(path))} (FORMAT parquet)")
            sorted_files.append((file, path))
        con.close()
        lb = _ladybug()
        started = time.perf_counter()
        db = lb.Database(str(store), auto_checkpoint=False)
        conn = lb.Connection(db)
        for statement in ddl(schema):
            conn.execute(statement)
        for file, path in sorted_files:
            if not file.rows:
                continue
            if isinstance(file.key, str):
                conn.execute(f"COPY {file.key} FROM '{path}'")
            else:
                rel, f, to = file.key
                conn.execute(f"COPY {rel} FROM '{path}' (from='{f}', to='{to}')")
        conn.execute("CHECKPOINT")
        conn.close()
        db.close()
        seconds = time.perf_counter() - started
    finally:
        _remove([folder, store, store.with_name(store.name + ".wal")])
    relationships = sum(f.rows for f, _ in sorted_files if not isinstance(f.key, str))
    return {"seconds": round(seconds, 3), "nodes": sum(f.rows for f, _ in sorted_files if isinstance(f.key, str)),
            "relationships": relationships,
            "seconds_per_million_relationships": round(seconds / max(relationships, 1) * 1e6, 3)}


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def compare_linking(db: Path, hub_degree: dict[str, int], threads: int | None = None) -> dict[str, Any]:
    """Time Splink's deterministic linking and our candidate generation on a run's ``identifiers``.

    Both read the same usable, normalized phone, email and device values of customers and accounts, copied
    (untimed, with the names that block our near-miss search) into a fresh in-memory DuckDB database with the same
    thread count. Ours: hub detection plus exact candidate pairs (:func:`~linker.resolve.hubs.find_hubs`,
    :func:`~linker.resolve.candidates.find_candidates` without near misses), then the same with one-edit near
    misses. Splink's: ``link_only`` between customers and accounts, one exploding blocking rule per identifier
    type (a pair shares a phone, an email or a device) on lists of each owner's values with the hubs left out,
    ``deterministic_link()`` and counting its pairs. Splink has no notion of hubs (a call centre's number would
    pair one customer with hundreds of accounts), so it is given ours, and our hub detection time counts on both
    sides; building its input lists from the identifiers counts on its side, as finding the shared values does on
    ours. Neither side scores or decides anything here; the run's whole ``resolve`` stage (names, scores,
    decisions, clusters) is reported beside them.

    Returns
    -------
    dict
        ``splink_seconds`` (the sum of ``hubs_seconds``, ``splink_prepare_seconds`` and ``splink_link_seconds``),
        ``splink_pairs``, ``candidates_seconds`` / ``candidates_pairs`` (exact, hub detection included),
        ``candidates_near_seconds`` / ``candidates_near_pairs`` (with near misses), ``splink_version``; only
        ``skipped`` (the reason) when Splink is not installed.
    """
    try:
        import splink
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError:
        return {"skipped": "splink is not installed (pip install -e '.[test]')"}
    import duckdb

    from linker.resolve.candidates import find_candidates
    from linker.resolve.hubs import find_hubs

    logging.disable(logging.INFO)  # Splink logs every step (this runs in its own process)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"ATTACH '{Path(db).as_posix()}' AS run (READ_ONLY)")
    con.execute("""
        CREATE TABLE identifiers AS
        SELECT owner_kind, owner_id, id_type, raw, value, kind, status, since, confirmed, _row FROM run.identifiers
        WHERE owner_kind IN ('customer', 'account')
    """)
    # the names block the near-miss search
    con.execute("CREATE TABLE customers AS SELECT customer_id, name, names FROM run.customers")
    con.execute("CREATE TABLE accounts AS SELECT account_id, name, names FROM run.accounts")
    con.execute("DETACH run")
    figures: dict[str, Any] = {"splink_version": splink.__version__}
    for label, near in (("candidates", False), ("candidates_near", True)):
        started = time.perf_counter()
        find_hubs(con, hub_degree)
        hubs_seconds = time.perf_counter() - started
        pairs = find_candidates(con, near_miss=near)
        figures[f"{label}_seconds"] = round(time.perf_counter() - started, 3)
        figures[f"{label}_pairs"] = pairs
        if not near:
            figures["hubs_seconds"] = round(hubs_seconds, 3)
    started = time.perf_counter()
    for kind in ("customer", "account"):
        con.execute(f"""
            CREATE TABLE splink_{kind}s AS   -- distinct values first: list(DISTINCT ...) takes twice as long
            SELECT owner_id AS unique_id,
                   list(value) FILTER (WHERE id_type = 'phone') AS phones,
                   list(value) FILTER (WHERE id_type = 'email') AS emails,
                   list(value) FILTER (WHERE id_type = 'device') AS devices
            FROM (SELECT DISTINCT owner_id, id_type, value FROM identifiers i
                  WHERE status = 'usable' AND owner_kind = '{kind}'
                    AND NOT EXISTS (SELECT 1 FROM hubs h WHERE h.id_type = i.id_type AND h.value = i.value))
            GROUP BY owner_id
        """)
    figures["splink_prepare_seconds"] = round(time.perf_counter() - started, 3)
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=[block_on(c, arrays_to_explode=[c])
                                                for c in ("phones", "emails", "devices")],
        retain_intermediate_calculation_columns=False, retain_matching_columns=False)
    started = time.perf_counter()
    db_api = DuckDBAPI(con)
    linker = Linker([db_api.register("splink_customers", dataset_display_name="customers"),
                     db_api.register("splink_accounts", dataset_display_name="accounts")], settings)
    found = linker.inference.deterministic_link()
    figures["splink_pairs"] = int(found.as_duckdbpyrelation().count("*").fetchall()[0][0])
    figures["splink_link_seconds"] = round(time.perf_counter() - started, 3)
    figures["splink_seconds"] = round(figures["hubs_seconds"] + figures["splink_prepare_seconds"]
                                      + figures["splink_link_seconds"], 3)
    con.close()
    return figures


def format_report(result: dict[str, Any]) -> str:
    """The figures of :func:`run_benchmark` as a plain-text table.

    Examples
    --------
    >>> stage = {"name": "ingest", "seconds": 2.0, "rows": 1000, "rows_per_second": 500.0, "us_per_row": 2000.0,
    ...          "peak_rss_mb": 300.0}
    >>> print(format_report({"size": {"name": "x", "customers": 1, "accounts": 2, "events": 3}, "input_rows": 1000,
    ...     "stages": [stage], "pipeline": {"seconds": 2.0, "peak_rss_mb": 300.0, "us_per_input_row": 2000.0},
    ...     "graph": None}).splitlines()[3])
    ingest            2.0        -        1,000          500      2000.000          300
    """
    size = result["size"]
    lines = [f"size {size['name']}: {size['customers']:,} customers / {size['accounts']:,} accounts / "
             f"{size['events']:,} events; {result['input_rows']:,} input rows (card transactions included)",
             "",
             f"{'stage':<12}{'seconds':>9}{'cpu s':>9}{'rows':>13}{'rows/s':>13}{'us/row':>14}{'peak MB':>13}"]
    for s in result["stages"]:
        per_row = f"{s['us_per_row']:.3f}" if s["us_per_row"] is not None else "-"
        cpu = f"{s['cpu_seconds']:.1f}" if s.get("cpu_seconds") is not None else "-"
        lines.append(f"{s['name']:<12}{s['seconds']:>9.1f}{cpu:>9}{s['rows']:>13,}{s['rows_per_second']:>13,.0f}"
                     f"{per_row:>14}{s['peak_rss_mb']:>13,.0f}")
    p = result["pipeline"]
    cpu_total = f" (cpu {p['cpu_seconds']:.1f} s)" if p.get("cpu_seconds") is not None else ""
    lines += ["", f"pipeline without the graph store: {p['seconds']:.1f} s{cpu_total}, "
                  f"peak {p['peak_rss_mb'] / 1024:.2f} GiB, "
                  f"{p['us_per_input_row']:.2f} us per input row"]
    floor = result.get("floor")
    if floor:
        ingest = next(s for s in result["stages"] if s["name"] == "ingest")
        lines.append(f"floor: DuckDB only reading the inputs into a database file (no checks): {floor['seconds']:.1f} s "
                     f"for {floor['rows']:,} rows (checkpoint {floor['checkpoint_seconds']:.1f} s); "
                     f"ingest {ingest['seconds']:.1f} s")
    if result["graph"]:
        rels = result["counts"].get("graph relationships", 0)
        per_million = f" ({result['graph']['seconds'] / rels * 1e6:.2f} s per million relationships)" if rels else ""
        lines.append(f"graph store load: {result['graph']['seconds']:.1f} s for {rels:,} relationships{per_million}")
        bare = result.get("graph_floor")
        if bare:
            lines.append(f"  LadybugDB's bare COPY of the same tables from sorted Parquet files: {bare['seconds']:.1f} s "
                         f"({bare['seconds_per_million_relationships']:.2f} s per million relationships); "
                         f"load / COPY = {result['graph']['seconds'] / max(bare['seconds'], 1e-9):.2f}")
    link = result.get("linking")
    if link and "skipped" in link:
        lines.append(f"linking vs Splink: skipped, {link['skipped']}")
    elif link:
        ratio = link["splink_seconds"] / link["candidates_seconds"]
        lines += ["", f"linking, same identifiers, same threads (Splink {link['splink_version']}):",
                  f"  Splink (exact shared phone/email/device):                   {link['splink_seconds']:8.2f} s "
                  f"{link['splink_pairs']:>12,} pairs",
                  f"    = our hubs {link['hubs_seconds']:.2f} s + input lists {link['splink_prepare_seconds']:.2f} s "
                  f"+ deterministic_link {link['splink_link_seconds']:.2f} s",
                  f"  ours, hubs + exact candidates (like for like):              {link['candidates_seconds']:8.2f} s "
                  f"{link['candidates_pairs']:>12,} pairs   Splink / ours = {ratio:.2f}",
                  f"  ours, hubs + candidates with one-edit near misses:         "
                  f"{link['candidates_near_seconds']:8.2f} s {link['candidates_near_pairs']:>12,} pairs   "
                  f"Splink / ours = {link['splink_seconds'] / link['candidates_near_seconds']:.2f}",
                  f"  ours, whole resolve stage (+ names, scores, decisions, clusters): "
                  f"{link['resolve_seconds']:.2f} s   Splink / ours = "
                  f"{link['splink_seconds'] / link['resolve_seconds']:.2f}"]
    model = result.get("splink_model")
    if model:
        splink_seconds = model["training_seconds"] + model["prediction_seconds"]
        lines += ["", f"Splink {model['splink_version']} probabilistic linkage, the run's tables "
                      f"(scripts/splink_baseline.py, u from {model['u_max_pairs']:,.0f} sampled pairs):",
                  f"  training {model['training_seconds']:.2f} s (u sampling {model['u_seconds']:.2f} s, prior and "
                  f"EM {model['em_seconds']:.2f} s) + prediction "
                  f"({model['pairs']:,} pairs, one customer per account) {model['prediction_seconds']:.2f} s "
                  f"= {splink_seconds:.2f} s; inputs {model['prepare_seconds']:.2f} s; {model['linked']:,} linked",
                  f"  ours, whole resolve stage: {model['resolve_seconds']:.2f} s   Splink / ours = "
                  f"{splink_seconds / model['resolve_seconds']:.2f}"]
        if model.get("linker_training_seconds") is not None:
            ours = model["linker_training_seconds"] + model["linker_scoring_seconds"]
            lines.append(f"  ours, training (EM on the candidate and sampled pairs) "
                         f"{model['linker_training_seconds']:.2f} s + scoring {model['linker_scoring_seconds']:.2f} s = {ours:.2f} s   Splink / ours = "
                         f"{splink_seconds / max(ours, 1e-9):.2f}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- child processes
def _in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in a fresh (spawned) process and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _generate(folder: Path, size: Size, seed: int) -> None:
    from linker.demo_run import write_demo

    write_demo(folder, customers=size.customers, accounts=size.accounts, events=size.events, seed=seed,
               file_format="parquet")


_CPU_SECONDS: dict[str, float] = {}
"""CPU seconds of each stage of the pipeline run in this (child) process: every thread's, DuckDB's included."""


@contextmanager
def _stage_done(name: str) -> Iterator[None]:
    """Say on stderr when each stage ends (a large run's table comes only at the end); keep its CPU seconds in
    :data:`_CPU_SECONDS`."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    _CPU_SECONDS[name] = round(time.process_time() - cpu, 3)
    print(f"bench: {name} done in {time.perf_counter() - started:.1f} s (cpu {_CPU_SECONDS[name]:.1f} s)",
          file=sys.stderr, flush=True)


def _run_pipeline(config_path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    from linker.config import load_config
    from linker.pipeline import run

    config = load_config(config_path, overrides)
    _CPU_SECONDS.clear()
    result = run(config, stage_hook=_stage_done)
    summary = result.summary()
    return {"stages": [{**s, "cpu_seconds": _CPU_SECONDS.get(s["name"])} for s in summary["stages"]],
            "counts": summary["counts"], "model_seconds": summary["model"].get("seconds", {}),
            "input_rows": sum(t.rows_read for t in result.ingest.tables.values()),
            "hub_degree": dict(config.resolution.hub_degree)}
