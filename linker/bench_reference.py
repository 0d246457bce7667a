"""linker beside a reference pipeline: plain hand-written DuckDB SQL doing less, on the same data, in the same run.

The reference (``reference_pipeline.py``, kept outside the repository) reads the benchmark's five Parquet
inputs, types them, normalizes identifiers, links accounts to customers, aggregates behaviour per customer and
writes Parquet and one CSV; it prints one JSON object with each step's wall and CPU seconds and its peak memory.
:func:`run_reference` runs it in a fresh process; :func:`compare` sets its steps against linker's stages and
:func:`format_comparison` prints the ratios and the targets they are held to (:data:`TARGETS`).

Stage for stage: ingest, normalize, resolve (the reference's ``link``; also without the model's training,
which a saved model skips), enrich, export (the reference's Parquet, CSV and other Parquet exports together),
and the whole pipeline without the graph store (every step of the reference, its CSV included).

Examples
--------
>>> ref = {"steps": {"ingest": {"seconds": 2.0, "cpu_seconds": 3.0}, "link": {"seconds": 1.0, "cpu_seconds": 1.0}},
...        "peak_rss_mb": 100.0}
>>> rows = compare([{"stages": [{"name": "ingest", "seconds": 3.0, "cpu_seconds": 4.5, "peak_rss_mb": 50.0}],
...                  "model_seconds": {}}], [ref])
>>> rows[0]["stage"], rows[0]["ratio"], rows[0]["cpu_ratio"]
('ingest', 1.5, 1.5)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REFERENCE_ENV = "LINKER_REFERENCE_PIPELINE"
"""Environment variable naming the reference pipeline script (overridden by ``scripts/bench.py --reference``)."""

DEFAULT_REFERENCES = (Path(__file__).resolve().parents[1].parent / "shared" / "perf" / "reference_pipeline.py",
                      Path("/work/shared/perf/reference_pipeline.py"))
"""Where the reference is looked for when neither ``--reference`` nor :data:`REFERENCE_ENV` names it: beside the
repository (``../shared/perf``), then the team's shared folder."""

STAGES: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest",),
    "normalize": ("normalize",),
    "resolve": ("link",),
    "enrich": ("enrich",),
    "export": ("export_parquet", "export_csv", "export_other_parquet"),
}
"""linker's stage -> the reference's steps it is compared with."""

TARGETS = {"whole": 1.0, "enrich": 1.0, "resolve without training": 5.0, "ingest": 1.3, "peak_gib": 4.0,
           "graph_seconds": 20.0, "graph_copy_ratio": 1.5}
"""Issue 24's targets at 1m: ratios to the reference (at most), peak memory of the run, graph store load (at most
``graph_seconds`` or ``graph_copy_ratio`` times LadybugDB's bare COPY of the same tables, whichever is larger)."""


def find_reference(given: Path | str | None = None) -> Path | None:
    """The reference pipeline script: ``given``, else :data:`REFERENCE_ENV`, else the first of
    :data:`DEFAULT_REFERENCES` that exists; None when the chosen path does not exist.

    >>> find_reference("/nonexistent/reference_pipeline.py") is None
    True
    """
    if given is None and os.environ.get(REFERENCE_ENV):
        given = os.environ[REFERENCE_ENV]
    if given is not None:
        path = Path(given)
        return path if path.is_file() else None
    return next((p for p in DEFAULT_REFERENCES if p.is_file()), None)


def reference_missing_message(given: Path | str | None) -> str:
    """What to tell the user when :func:`find_reference` found nothing."""
    where = given or os.environ.get(REFERENCE_ENV) or " or ".join(str(p) for p in DEFAULT_REFERENCES)
    return (f"reference pipeline: not found at {where}; linker runs alone, without ratios "
            f"(give its path with --reference PATH or {REFERENCE_ENV})")


def run_reference(script: Path, data: Path, out: Path, *, threads: int | None = None,
                  memory_limit: str | None = None) -> dict[str, Any]:
    """Run the reference pipeline on the Parquet inputs in ``data``, writing into ``out`` (which it empties),
    in a fresh Python process; return its JSON figures with ``wall_seconds`` (the whole process) added.

    Its statement log goes to ``out.parent / "reference.log"``.

    Raises
    ------
    RuntimeError
        The reference failed; the message gives the end of its log.
    """
    command = [sys.executable, str(script), "--data", str(data), "--out", str(out)]
    if threads:
        command += ["--threads", str(int(threads))]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    log = out.parent / "reference.log"
    started = time.perf_counter()
    with log.open("w") as err:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
    if done.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise RuntimeError(f"the reference pipeline {script} failed (exit {done.returncode}); end of {log}:\n{tail}")
    figures = json.loads(done.stdout)
    figures["wall_seconds"] = round(time.perf_counter() - started, 3)
    figures.pop("statements", None)   # kept in its log
    return figures


def compare(linker_runs: list[dict[str, Any]], reference_runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage, linker's and the reference's wall and CPU seconds in every run, and the ratios of the best
    (lowest) of each side.

    ``linker_runs`` are results of :func:`linker.bench.run_benchmark` (``stages`` with ``seconds`` and
    ``cpu_seconds``, ``model_seconds``: the resolve stage's steps); ``reference_runs`` what
    :func:`run_reference` returns. Rows: ``stage``, ``linker`` / ``linker_cpu`` / ``reference`` /
    ``reference_cpu`` (lists, one value per run), ``ratio`` and ``cpu_ratio`` (None when a side has no figure).
    """
    def stage(run: dict[str, Any], name: str, key: str) -> float | None:
        found = [s[key] for s in run["stages"] if s["name"] == name]
        return found[0] if found else None

    def ref(run: dict[str, Any], steps: tuple[str, ...], key: str) -> float | None:
        found = [run["steps"][s][key] for s in steps if s in run["steps"]]
        return round(sum(found), 3) if found else None

    rows = []
    for name, steps in STAGES.items():
        rows.append(_row(name, [stage(r, name, "seconds") for r in linker_runs],
                         [stage(r, name, "cpu_seconds") for r in linker_runs],
                         [ref(r, steps, "seconds") for r in reference_runs],
                         [ref(r, steps, "cpu_seconds") for r in reference_runs]))
        if name == "resolve":  # a saved model skips the training; the summary times it apart
            training = [r.get("model_seconds", {}).get("training") for r in linker_runs]
            rows.append(_row("resolve without training",
                             [_minus(stage(r, name, "seconds"), t) for r, t in zip(linker_runs, training)],
                             [None] * len(linker_runs), rows[-1]["reference"], rows[-1]["reference_cpu"]))
    everything = tuple(s for steps in STAGES.values() for s in steps)
    rows.append(_row("whole", [_total(r, "seconds") for r in linker_runs],
                     [_total(r, "cpu_seconds") for r in linker_runs],
                     [ref(r, everything, "seconds") for r in reference_runs],
                     [ref(r, everything, "cpu_seconds") for r in reference_runs]))
    return rows


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


def _total(run: dict[str, Any], key: str) -> float | None:
    values = [s.get(key) for s in run["stages"] if s["name"] != "graph"]
    return None if any(v is None for v in values) else round(sum(values), 3)


def _row(stage: str, linker: list[float | None], linker_cpu: list[float | None], reference: list[float | None],
         reference_cpu: list[float | None]) -> dict[str, Any]:
    def ratio(a: list[float | None], b: list[float | None]) -> float | None:
        a2, b2 = [x for x in a if x is not None], [x for x in b if x is not None]
        return round(min(a2) / min(b2), 2) if a2 and b2 and min(b2) > 0 else None

    return {"stage": stage, "linker": linker, "linker_cpu": linker_cpu, "reference": reference,
            "reference_cpu": reference_cpu, "ratio": ratio(linker, reference), "cpu_ratio": ratio(linker_cpu,
                                                                                                  reference_cpu)}


def format_comparison(comparison: dict[str, Any]) -> str:
    """The comparison of ``scripts/bench.py`` (rows of :func:`compare`, the peaks, the targets) as text.

    Examples
    --------
    >>> row = {"stage": "ingest", "linker": [3.0, 2.9], "linker_cpu": [4.5, 4.4], "reference": [2.0, 2.1],
    ...        "reference_cpu": [3.0, 3.0], "ratio": 1.45, "cpu_ratio": 1.47}
    >>> print(format_comparison({"script": "ref.py", "rows": [row], "linker_peak_mb": [900.0, 950.0],
    ...                          "reference_peak_mb": [800.0, 820.0], "size": "10k"}).splitlines()[3])
    ingest                           3.0 / 2.9       4.5 / 4.4       2.0 / 2.1       3.0 / 3.0     1.45     1.47
    """
    runs = max(len(comparison["rows"][0]["linker"]), 1)
    lines = [f"linker beside the reference pipeline ({comparison['script']}), same data, same invocation, "
             f"{runs} run{'s' if runs > 1 else ''} each{', alternating' if runs > 1 else ''}; "
             "ratio = best linker / best reference:", "",
             f"{'stage':<26}{'linker s':>16}{'cpu s':>16}{'reference s':>16}{'cpu s':>16}{'ratio':>9}{'cpu':>9}"]

    def values(xs: list[float | None]) -> str:
        return " / ".join("-" if x is None else f"{x:.1f}" for x in xs) or "-"

    def number(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    for r in comparison["rows"]:
        lines.append(f"{r['stage']:<26}{values(r['linker']):>16}{values(r['linker_cpu']):>16}"
                     f"{values(r['reference']):>16}{values(r['reference_cpu']):>16}{number(r['ratio']):>9}"
                     f"{number(r['cpu_ratio']):>9}")
    lines.append(f"{'peak memory GiB':<26}{values([m / 1024 for m in comparison['linker_peak_mb']]):>16}{'':>16}"
                 f"{values([m / 1024 for m in comparison['reference_peak_mb']]):>16}")
    if comparison.get("size") == "1m":
        ratios = {r["stage"]: r["ratio"] for r in comparison["rows"]}
        checks = [(f"{name} <= {limit}x the reference", ratios.get(name), limit)
                  for name, limit in TARGETS.items() if name in ratios]
        checks.append((f"peak <= {TARGETS['peak_gib']:.0f} GiB", max(comparison["linker_peak_mb"]) / 1024,
                       TARGETS["peak_gib"]))
        lines += ["", "targets at 1m (issue 24): " + "; ".join(
            f"{text}: {'-' if value is None else f'{value:.2f}'} "
            f"{'ok' if value is not None and value <= limit else 'MISSED'}" for text, value, limit in checks)]
    return "\n".join(lines)
