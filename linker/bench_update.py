"""Benchmark ``linker update`` against a full run: a day of new data on a benchmark data set.

The benchmark data set of a size (:func:`linker.bench.prepare`) is split into *yesterday* (every table without
1% of the accounts, chosen by a hash of their id, and without the events of the last day) and *today* (the whole
data set, its accounts file with yesterday's rows first and the new accounts after them, as a partner's daily
export appends them: a row's number, which the graph keeps as provenance, stays what it was). A full run on yesterday makes the previous run; then, on today's files, ``linker update --since`` it
and a full run with yesterday's model are timed side by side, stage by stage, and their links compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linker.bench import DEFAULT_ROOT, SIZES, Size, _in_child, _stage_done, prepare
from linker.sql import quote_literal

NEW_ACCOUNTS_PERCENT = 1
"""Share of the accounts that are new today (by a hash of the account id)."""
EVENT_TIMES = {"transactions": "txn_time", "purchases": "order_time", "browsing": "event_time"}
"""Event tables and the column of their time: the rows of the last day are today's."""


def run_update_benchmark(size: str | Size, *, root: Path = DEFAULT_ROOT, formats: list[str] | None = None,
                         graph: bool = False) -> dict[str, Any]:
    """Time an update with a day of data against a full run on the same data with the same model and need baselines.

    Returns
    -------
    dict
        ``size``, ``yesterday`` (the previous run's stages), ``update`` and ``full`` (stages, seconds, counts),
        ``ratio`` (update seconds / full seconds), ``same_links`` (the links of both are equal), ``changes``.
    """
    size = SIZES[size] if isinstance(size, str) else size
    config = prepare(size, root)
    folder = config.parent
    yesterday = _in_child(_write_yesterday, config, folder / "yesterday")
    overrides: dict[str, Any] = {"output.graph_store": graph, **({"output.formats": formats} if formats else {}),
                                 **_in_child(_write_today, config, folder / "today")}
    previous = _in_child(_timed, "run", config,
                         {**overrides, **yesterday, "output.dir": str(folder / "out-yesterday")}, None)
    update = _in_child(_timed, "update", config, {**overrides, "output.dir": str(folder / "out-update")},
                       folder / "out-yesterday")
    full = _in_child(_timed, "run", config, {**overrides, "output.dir": str(folder / "out-full"),
                                             "resolution.model_file": str(folder / "out-yesterday" / "model.json"),
                                             "enrichment.baselines_file": str(folder / "out-yesterday" / "baselines.json")},
                     None)
    return {"size": {"name": size.name, "customers": size.customers, "accounts": size.accounts},
            "yesterday": previous, "update": update, "full": full,
            "ratio": round(update["seconds"] / full["seconds"], 3),
            "same_links": _in_child(_same_links, folder / "out-update", folder / "out-full"),
            "changes": update["changes"]}


def format_update_report(result: dict[str, Any]) -> str:
    """The figures of :func:`run_update_benchmark`, stage by stage."""
    update, full = result["update"], result["full"]
    lines = [(f"update at {result['size']['name']}: {NEW_ACCOUNTS_PERCENT}% new accounts and the last day of "
              "events, against a full run with the same model and baselines"), "",
             f"{'stage':<12}{'update s':>10}{'full s':>10}"]
    full_stages = {s["name"]: s["seconds"] for s in full["stages"]}
    for s in update["stages"]:
        lines.append(f"{s['name']:<12}{s['seconds']:>10.1f}{full_stages.get(s['name'], 0.0):>10.1f}")
    lines += [f"{'total':<12}{update['seconds']:>10.1f}{full['seconds']:>10.1f}",
              f"update / full: {result['ratio']:.1%}; links equal: {result['same_links']}",
              (f"yesterday's full run (model trained; 1% fewer accounts, a day fewer events): "
               f"{result['yesterday']['seconds']:.1f} s, resolve steps {result['yesterday']['resolve_steps']}"),
              f"update's resolve steps: {update['resolve_steps']}",
              "changes: " + ", ".join(f"{k} {v:,}" for k, v in result["changes"].items()),
              (f"accounts compared again: {update['counts'].get('accounts compared again', 0):,}, decided again: "
               f"{update['counts'].get('accounts decided again', 0):,} "
               f"(candidate pairs: {update['counts'].get('candidate pairs', 0):,})")]
    lines.append(f"peak memory: update {update['peak_mb']:,.0f} MiB, full {full['peak_mb']:,.0f} MiB"
                 + (f" (before the graph stage: update {update['peak_before_graph_mb']:,.0f}, full "
                    f"{full['peak_before_graph_mb']:,.0f})" if update.get("graph") is not None else ""))
    if update.get("graph") is not None and full.get("graph") is not None:
        graph_rows = {k: v for k, v in update["counts"].items()
                      if k.startswith("graph ") and k.rsplit(" ", 1)[-1] in ("added", "changed", "removed")}
        lines.append(f"graph store (not in the totals): update {update['graph']:.1f} s, full {full['graph']:.1f} s; "
                     "change set: " + ", ".join(f"{k[6:]} {v:,}" for k, v in graph_rows.items()))
    return "\n".join(lines)


def _write_yesterday(config_path: Path, folder: Path) -> dict[str, str]:
    """Write yesterday's files into ``folder``; return the overrides pointing the sources at them.

    Yesterday lacks the events of the latest day in the data (the default ``as_of``), that day as ingest reads
    the times; an event whose time does not parse is in both days' files (both runs quarantine it)."""
    import duckdb

    from linker.config import load_config
    from linker.ingest.values import date_expr

    config = load_config(config_path)
    folder.mkdir(parents=True, exist_ok=True)
    days = {table: date_expr(f"trim(CAST({column} AS VARCHAR))", config.sources[table].date_formats,
                             config.timezone)
            for table, column in EVENT_TIMES.items() if table in config.sources}
    con = duckdb.connect()
    overrides = {}
    try:
        last_day = con.execute("SELECT greatest(" + ", ".join(
            f"(SELECT max({day}) FROM read_parquet({quote_literal(str(config.sources[table].path))}))"
            for table, day in days.items()) + ")").fetchall()[0][0]
        for table, source in config.sources.items():
            assert source.path is not None
            target = folder / source.path.name
            path = quote_literal(str(source.path))
            if table == "accounts":
                keep = f"hash(account_id) % 100 >= {NEW_ACCOUNTS_PERCENT}"
            elif table in days:
                keep = f"coalesce({days[table]} < DATE {quote_literal(str(last_day))}, TRUE)"
            else:
                keep = "TRUE"
            con.execute(f"COPY (SELECT * FROM read_parquet({path}) WHERE {keep}) TO {quote_literal(str(target))} "
                        "(FORMAT parquet)")
            overrides[f"sources.{table}.path"] = str(target)
    finally:
        con.close()
    return overrides


def _write_today(config_path: Path, folder: Path) -> dict[str, str]:
    """Write today's accounts into ``folder``, yesterday's rows first; return the override pointing at it."""
    import duckdb

    from linker.config import load_config

    source = load_config(config_path).sources["accounts"]
    assert source.path is not None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.path.name
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet({quote_literal(str(source.path))}, "
                    f"file_row_number = true) ORDER BY hash(account_id) % 100 < {NEW_ACCOUNTS_PERCENT}, "
                    f"file_row_number) TO {quote_literal(str(target))} (FORMAT parquet)")
    finally:
        con.close()
    return {"sources.accounts.path": str(target)}


def _timed(kind: str, config_path: Path, overrides: dict[str, Any], since: Path | None) -> dict[str, Any]:
    from linker.config import load_config
    from linker.pipeline import run
    from linker.update import update

    config = load_config(config_path, overrides)
    result = (update(config, since, stage_hook=_stage_done) if kind == "update" and since is not None
              else run(config, stage_hook=_stage_done))
    summary = result.summary()
    stages = [s for s in summary["stages"] if s["name"] != "graph"]
    graph = next((s["seconds"] for s in summary["stages"] if s["name"] == "graph"), None)
    return {"stages": stages, "graph": graph, "seconds": round(sum(s["seconds"] for s in stages), 3), "counts": summary["counts"],
            "changes": summary.get("changes", {}), "resolve_steps": summary["model"].get("seconds", {}),
            # each run is a process of its own, whose peak each stage's figure carries (ru_maxrss) so far
            "peak_mb": max(s["peak_rss_mb"] for s in summary["stages"]),
            "peak_before_graph_mb": max(s["peak_rss_mb"] for s in stages)}


def _same_links(a: Path, b: Path) -> bool:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {quote_literal(str(a / 'work.duckdb'))} AS a (READ_ONLY)")
        con.execute(f"ATTACH {quote_literal(str(b / 'work.duckdb'))} AS b (READ_ONLY)")
        query = "SELECT customer_id, account_id, decision, probability, owner_probability, rank FROM {}.links"
        return con.execute(f"SELECT count(*) FROM (({query.format('a')} EXCEPT ALL {query.format('b')}) UNION ALL "
                           f"({query.format('b')} EXCEPT ALL {query.format('a')}))").fetchall()[0][0] == 0
    finally:
        con.close()
