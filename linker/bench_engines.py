"""Benchmark the whole pipeline on DuckDB and on Spark, side by side, on the same generated data set.

:func:`run_engine_benchmark` runs ``linker run`` (:func:`linker.pipeline.run`: ingest, normalize, resolve,
enrich, export and, unless told otherwise, the graph store) on the data set of a size twice, each time in a
fresh process: once with ``engine.backend = "duckdb"``, once with ``engine.backend = "spark"`` on a Spark master
(``local[2]`` by default). Each run writes its own output folder; the output formats are the config's unless
given. Per stage it keeps the wall seconds, the CPU seconds and the peak resident memory of the run's process
tree (the Python process and, on Spark, the JVM and Python workers it starts), and resolve's own steps; then it
reads both output folders and compares what they hold: the run's counts, links by decision, clusters, profiles
and the rows of every Parquet output (a file on DuckDB, a folder of part files on Spark).
``scripts/bench.py --engine spark`` is the command line; :func:`format_engine_report` prints a result.

The memory of a process tree is sampled (its processes' resident memory summed, every half second and at each
stage's end), so a peak shorter than that can be missed; the Python process's own peak (``ru_maxrss``, as the
pipeline reports it) is kept beside it.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from linker.bench import DEFAULT_ROOT, SIZES, Size, _in_child, prepare

ENGINES = ("duckdb", "spark")
"""The engines compared, in the order they run."""
HOW_COUNTS = ("customer parts",)
"""Counts of a run that say how the engine worked, not what the run found, left out of the comparison (enrichment
works in customer parts on DuckDB, in one on Spark)."""


def run_engine_benchmark(size: str | Size, *, root: Path = DEFAULT_ROOT, master: str = "local[2]",
                         graph: bool = True, formats: list[str] | None = None, threads: int | None = None,
                         memory_limit: str | None = None, spark_config: dict[str, str] | None = None,
                         seed: int = 42) -> dict[str, Any]:
    """Run the whole pipeline on DuckDB, then on Spark (``master``), on the data set of ``size``.

    Parameters
    ----------
    size
        A name of :data:`linker.bench.SIZES` or a :class:`~linker.bench.Size`.
    root
        Folder holding one sub-folder per size; the runs write into ``<size>/engines/duckdb`` and ``/spark``.
    master
        The Spark master (``engine.spark.master``).
    graph
        Also load the graph store (the pipeline's last stage) on both engines.
    formats
        Export formats (the config's ``output.formats`` when not given).
    threads, memory_limit
        DuckDB settings (``engine.threads``, ``engine.memory_limit``) of the DuckDB run.
    spark_config
        Spark settings of the Spark run (``engine.spark.config``), none by default.

    Returns
    -------
    dict
        ``size``, ``master``, per engine (``engines``: ``duckdb``, ``spark``) the ``stages`` (name, seconds,
        cpu_seconds, rows, peak_mb of the process tree during the stage, peak_rss_mb of the Python process so
        far), ``seconds`` (the stages' sum), ``run_seconds`` (the whole call, engine start and run files
        included), ``peak_mb`` and ``python_peak_mb``, ``resolve_steps`` (seconds), ``counts`` (the run's) and
        ``outputs`` (see :func:`output_figures`); ``differences`` lists what the two runs disagree on and
        ``same_outputs`` says whether that list is empty.
    """
    size = SIZES[size] if isinstance(size, str) else size
    config = prepare(size, root, seed=seed)
    common: dict[str, Any] = {"output.graph_store": graph, **({"output.formats": formats} if formats else {})}
    engine_settings: dict[str, dict[str, Any]] = {
        "duckdb": {**({"engine.threads": threads} if threads else {}),
                   **({"engine.memory_limit": memory_limit} if memory_limit else {})},
        "spark": {"engine.backend": "spark", "engine.spark.master": master,
                  **({"engine.spark.config": spark_config} if spark_config else {})},
    }
    engines = {}
    for name in ENGINES:
        out = config.parent / "engines" / name
        print(f"bench: linker run on {name} into {out} ...", file=sys.stderr, flush=True)
        engines[name] = _in_child(_run_on, name, config, {**common, **engine_settings[name], "output.dir": str(out)})
        if "error" not in engines[name]:
            engines[name]["outputs"] = output_figures(out)
    failed = [f"the {name} run failed in {r['error']}" for name, r in engines.items() if "error" in r]
    differences = failed or compare_runs(engines["duckdb"], engines["spark"])
    return {"size": {"name": size.name, "customers": size.customers, "accounts": size.accounts,
                     "events": size.events}, "master": master, "engines": engines,
            "spark_config": spark_config or {}, "differences": differences, "same_outputs": not differences}


def output_figures(run_dir: Path) -> dict[str, Any]:
    """What a run folder holds, in figures both engines must agree on.

    Returns
    -------
    dict
        ``parquet_rows`` (rows of every Parquet output by its path in the folder, the run's ``state/`` left
        out), ``links_by_decision``, ``clusters`` (distinct cluster ids) and ``cluster_members``, ``profiles``.
    """
    import duckdb

    from linker.sql import quote_literal

    def source(path: Path) -> str:   # a Parquet file, or a folder of part files (Spark's layout)
        return f"read_parquet({quote_literal(str(path / '*.parquet') if path.is_dir() else str(path))})"

    outputs = {}
    for path in sorted(run_dir.rglob("*.parquet")):
        relative = path.relative_to(run_dir)
        if relative.parts[0] == "state" or any(part.startswith(".") for part in relative.parts) \
                or any(parent.suffix == ".parquet" for parent in relative.parents):
            continue
        outputs[relative.as_posix()] = path
    con = duckdb.connect()
    try:
        rows = {name: con.execute(f"SELECT count(*) FROM {source(path)}").fetchall()[0][0]
                for name, path in outputs.items()}
        figures: dict[str, Any] = {"parquet_rows": rows}
        if "links.parquet" in outputs:
            figures["links_by_decision"] = dict(con.execute(
                f"SELECT decision, count(*) FROM {source(outputs['links.parquet'])} GROUP BY 1 ORDER BY 1").fetchall())
        if "clusters.parquet" in outputs:
            clusters, members = con.execute(f"SELECT count(DISTINCT cluster_id), count(*) "
                                            f"FROM {source(outputs['clusters.parquet'])}").fetchall()[0]
            figures.update(clusters=clusters, cluster_members=members)
        if "profiles.parquet" in outputs:
            figures["profiles"] = rows["profiles.parquet"]
    finally:
        con.close()
    return figures


def compare_runs(duck: dict[str, Any], spark: dict[str, Any]) -> list[str]:
    """What the runs of the two engines disagree on: one line per count (but :data:`HOW_COUNTS`) or output figure
    that differs.

    Examples
    --------
    >>> run = lambda links, rows: {"counts": {"linked pairs": links},
    ...     "outputs": {"parquet_rows": {"links.parquet": rows}, "links_by_decision": {"linked": links}}}
    >>> compare_runs(run(5, 9), run(5, 9))
    []
    >>> compare_runs(run(5, 9), run(4, 9))
    ['count linked pairs: duckdb 5, spark 4', 'links_by_decision linked: duckdb 5, spark 4']
    >>> compare_runs(run(5, 9), {**run(5, 9), "counts": {"linked pairs": 5, "customer parts": 1}})
    []
    """
    differences = []
    pairs = [("count", {k: v for k, v in duck["counts"].items() if k not in HOW_COUNTS},
              {k: v for k, v in spark["counts"].items() if k not in HOW_COUNTS})]
    for key, value in duck["outputs"].items():
        if isinstance(value, dict):
            pairs.append((key, value, spark["outputs"].get(key, {})))
        elif value != spark["outputs"].get(key):
            differences.append(f"{key}: duckdb {value}, spark {spark['outputs'].get(key)}")
    for label, a, b in pairs:
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                differences.append(f"{label} {name}: duckdb {a.get(name)}, spark {b.get(name)}")
    return differences


def format_engine_report(result: dict[str, Any]) -> str:
    """The figures of :func:`run_engine_benchmark` as a plain-text table, the engines side by side (a run that
    failed shows the stages it finished, the failed one timed up to its failure, and why).

    Examples
    --------
    >>> stage = lambda name, s: {"name": name, "seconds": s, "cpu_seconds": s, "rows": 10, "peak_mb": 100.0}
    >>> run = lambda s: {"stages": [stage("ingest", s), stage("resolve", 2 * s)], "seconds": 3 * s,
    ...     "run_seconds": 3 * s + 1, "peak_mb": 100.0, "python_peak_mb": 90.0, "resolve_steps": {"training": s},
    ...     "counts": {}, "outputs": {"links_by_decision": {"linked": 3}, "clusters": 2, "cluster_members": 5,
    ...                               "profiles": 1, "parquet_rows": {}}}
    >>> report = format_engine_report({"size": {"name": "x", "customers": 1, "accounts": 2, "events": 3},
    ...     "master": "local[2]", "engines": {"duckdb": run(1.0), "spark": run(4.0)}, "differences": [],
    ...     "same_outputs": True})
    >>> print(report.splitlines()[4])
    ingest              1.0        4.0    4.00         1.0         4.0            10        100        100
    """
    size, duck, spark = result["size"], result["engines"]["duckdb"], result["engines"]["spark"]
    lines = [(f"size {size['name']}: {size['customers']:,} customers / {size['accounts']:,} accounts / "
              f"{size['events']:,} events; whole pipeline (linker run) on DuckDB and on Spark {result['master']}"),
             *([f"Spark settings: {', '.join(f'{k}={v}' for k, v in result['spark_config'].items())}"]
               if result.get("spark_config") else []),
             "",
             f"{'':<15}{'wall seconds':^27}{'cpu seconds':^24}{'':>14}{'peak MB':^22}",
             (f"{'stage':<15}{'duckdb':>8}{'spark':>11}{'ratio':>8}{'duckdb':>12}{'spark':>12}{'rows':>14}"
              f"{'duckdb':>11}{'spark':>11}")]
    duck_stages = {s["name"]: s for s in duck["stages"]}
    spark_stages = {s["name"]: s for s in spark["stages"]}
    for name in [*duck_stages, *(n for n in spark_stages if n not in duck_stages)]:
        d, s = duck_stages.get(name, {}), spark_stages.get(name, {})
        rows = d.get("rows") if d.get("rows") is not None else s.get("rows")
        lines.append(f"{name:<15}{_num(d.get('seconds')):>8}{_num(s.get('seconds')):>11}"
                     f"{_ratio(s.get('seconds'), d.get('seconds')):>8}{_num(d.get('cpu_seconds')):>12}"
                     f"{_num(s.get('cpu_seconds')):>12}{_num(rows):>14}{_num(d.get('peak_mb'), 0):>11}"
                     f"{_num(s.get('peak_mb'), 0):>11}{'  FAILED' if d.get('failed') or s.get('failed') else ''}")
        if name == "resolve":
            steps = spark.get("resolve_steps", {})
            for step, seconds in duck.get("resolve_steps", {}).items():
                lines.append(f"  {step:<13}{seconds:>8.1f}{_num(steps.get(step)):>11}"
                             f"{_ratio(steps.get(step), seconds):>8}")
    lines += [(f"{'total':<15}{_num(duck.get('seconds')):>8}{_num(spark.get('seconds')):>11}"
               f"{_ratio(spark.get('seconds'), duck.get('seconds')):>8}{_cpu_total(duck):>12}{_cpu_total(spark):>12}"),
              (f"{'linker run':<15}{duck['run_seconds']:>8.1f}{spark['run_seconds']:>11.1f}"
               f"{_ratio(spark['run_seconds'], duck['run_seconds']):>8}"),
              ("total: the stages before the graph store; linker run: the whole call (engine start, graph store and "
               "run files included)"),
              "",
              (f"peak memory of the process tree: DuckDB {duck['peak_mb'] / 1024:.2f} GiB, Spark "
               f"{spark['peak_mb'] / 1024:.2f} GiB (JVM and Python workers included);"),
              (f"  of the Python process alone: DuckDB {duck['python_peak_mb'] / 1024:.2f} GiB, Spark "
               f"{spark['python_peak_mb'] / 1024:.2f} GiB"),
              ""]
    if "outputs" in duck and "outputs" in spark:
        lines += _output_lines(duck["outputs"], spark["outputs"])
    if result["same_outputs"]:
        lines.append("same counts and outputs on both engines: yes")
    else:
        lines.append(f"same counts and outputs on both engines: NO ({len(result['differences'])} differences)")
        lines += [f"  {d}" for d in result["differences"]]
    return "\n".join(lines)


def _output_lines(d_out: dict[str, Any], s_out: dict[str, Any]) -> list[str]:
    lines = [f"{'output':<32}{'duckdb':>14}{'spark':>14}"]
    decisions = sorted(set(d_out.get("links_by_decision", {})) | set(s_out.get("links_by_decision", {})))
    for decision in decisions:
        lines.append(f"{'links ' + str(decision):<32}{_num(d_out.get('links_by_decision', {}).get(decision)):>14}"
                     f"{_num(s_out.get('links_by_decision', {}).get(decision)):>14}")
    for key in ("clusters", "cluster_members", "profiles"):
        if key in d_out or key in s_out:
            lines.append(f"{key.replace('_', ' '):<32}{_num(d_out.get(key)):>14}{_num(s_out.get(key)):>14}")
    for name in sorted(set(d_out["parquet_rows"]) | set(s_out["parquet_rows"])):
        lines.append(f"{name + ' rows':<32}{_num(d_out['parquet_rows'].get(name)):>14}"
                     f"{_num(s_out['parquet_rows'].get(name)):>14}")
    return lines


def _ratio(spark: float | None, duck: float | None) -> str:
    return f"{spark / duck:.2f}" if spark is not None and duck else "-"


def _num(value: Any, places: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{places}f}" if isinstance(value, float) else f"{value:,}"


def _cpu_total(run: dict[str, Any]) -> str:
    cpu = [s.get("cpu_seconds") for s in run["stages"] if s["name"] != "graph"]
    return f"{sum(cpu):.1f}" if cpu and None not in cpu and "error" not in run else "-"


# ---------------------------------------------------------------------------------------------- child process
def _run_on(engine: str, config_path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """``linker run`` with ``overrides``, its stages timed and its process tree's memory sampled."""
    from linker.config import load_config
    from linker.pipeline import run

    config = load_config(config_path, overrides)
    with _TreeSampler(engine) as sampler:
        started = time.perf_counter()
        try:
            result = run(config, stage_hook=sampler.stage)
        except Exception as e:  # noqa: BLE001 - a failed run is a figure too: the stages up to it, and why
            failed = next((s["name"] for s in sampler.stages.values() if s["failed"]), "before the first stage")
            return {"error": f"{failed}: {type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:300]}",
                    "stages": [{**s, "rows": None} for s in sampler.stages.values()],
                    "run_seconds": round(time.perf_counter() - started, 3),
                    "peak_mb": round(max(sampler.peak_mb, _own_peak_mb()), 1),
                    "python_peak_mb": round(_own_peak_mb(), 1)}
        run_seconds = time.perf_counter() - started
    summary = result.summary()
    stages = [{**s, **sampler.stages.get(s["name"], {})} for s in summary["stages"]]
    before_graph = [s for s in stages if s["name"] != "graph"]
    return {"stages": stages, "seconds": round(sum(s["seconds"] for s in before_graph), 3),
            "graph_seconds": next((s["seconds"] for s in stages if s["name"] == "graph"), None),
            "run_seconds": round(run_seconds, 3), "peak_mb": round(max(sampler.peak_mb, _own_peak_mb()), 1),
            "python_peak_mb": round(_own_peak_mb(), 1), "counts": summary["counts"],
            "resolve_steps": summary["model"].get("seconds", {})}


def _own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _TreeSampler:
    """Samples the resident memory of this process and its descendants (the Spark JVM and its Python workers)
    every :attr:`INTERVAL` seconds; :meth:`stage` times a stage (wall, the tree's CPU, its peak memory)."""

    INTERVAL = 0.5
    RESCAN = 4
    """The descendants are looked for every RESCAN samples (scanning /proc costs more than sampling)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.stages: dict[str, dict[str, Any]] = {}
        self.peak_mb = 0.0
        self._stage_peak = 0.0
        self._pids = [os.getpid()]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        self._tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._sample(rescan=True)
        with self._lock:
            self._stage_peak = 0.0
        started, cpu = time.perf_counter(), self._cpu_seconds()
        failed = True
        try:
            yield
            failed = False
        finally:   # a stage that fails is timed up to its failure
            self._sample(rescan=True)
            seconds, cpu_seconds = time.perf_counter() - started, self._cpu_seconds() - cpu
            with self._lock:
                self.stages[name] = {"name": name, "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
                                     "peak_mb": round(self._stage_peak, 1), "failed": failed}
            print(f"bench: {self.engine} {name} {'FAILED after' if failed else 'done in'} {seconds:.1f} s "
                  f"(cpu {cpu_seconds:.1f} s, peak {self._stage_peak:,.0f} MB)", file=sys.stderr, flush=True)

    def _loop(self) -> None:
        count = 0
        while not self._stop.wait(self.INTERVAL):
            count += 1
            self._sample(rescan=count % self.RESCAN == 0)

    def _sample(self, *, rescan: bool) -> None:
        if rescan:
            self._pids = _descendants(os.getpid())
        mb = sum(_read_int(f"/proc/{pid}/statm", 1) for pid in self._pids) * self._page_mb
        with self._lock:
            self._stage_peak = max(self._stage_peak, mb)
            self.peak_mb = max(self.peak_mb, mb)

    def _cpu_seconds(self) -> float:
        """User and system CPU of the tree: each live process's own and its reaped children's (this process's
        alone where there is no /proc)."""
        if not os.path.isdir("/proc"):
            return time.process_time()
        ticks = 0
        for pid in _descendants(os.getpid()):
            fields = _stat_fields(pid)
            if fields:   # utime, stime, cutime, cstime: fields 14-17 of /proc/<pid>/stat
                ticks += sum(int(f) for f in fields[11:15])
        return ticks / self._tick


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (the state first), or [] when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read()
    except OSError:
        return []
    return text[text.rindex(b")") + 2:].decode().split()


def _read_int(path: str, index: int) -> int:
    try:
        with open(path, "rb") as f:
            return int(f.read().split()[index])
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc; just ``root`` where there is no /proc)."""
    if not os.path.isdir("/proc"):
        return [root]
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found
