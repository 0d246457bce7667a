"""Functions DuckDB has and Spark SQL lacks, written over Arrow arrays with rapidfuzz.

The Spark engine registers them under DuckDB's names (:data:`SPARK_FUNCTIONS`), so a statement calls
``damerau_levenshtein(a, b)`` on either engine. They give DuckDB's results: Damerau-Levenshtein is the
unrestricted distance (a transposition may be edited again: ``ca`` -> ``abc`` is 2), Jaro-Winkler the
similarity with DuckDB's prefix scale (0.1, up to 4 characters), and 0 for two empty texts.

Examples
--------
>>> import pyarrow as pa
>>> damerau_levenshtein(pa.array(["ca", "abc", None]), pa.array(["abc", "abc", "x"])).to_pylist()
[2, 0, None]
>>> [round(v, 4) for v in jaro_winkler_similarity(pa.array(["martha"]), pa.array(["marhta"])).to_pylist()]
[0.9611]
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

from linker.engine.base import ArrowFunction


def _pairs(a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray) -> tuple[list[str], list[str], np.ndarray]:
    """The two columns as lists with NULLs blanked, and where either side is NULL."""
    missing = pc.or_(pc.is_null(a), pc.is_null(b)).to_numpy(zero_copy_only=False)
    left = pc.fill_null(a, "").to_pylist()
    right = pc.fill_null(b, "").to_pylist()
    return left, right, missing


def damerau_levenshtein(a: pa.Array, b: pa.Array) -> pa.Array:
    """Unrestricted Damerau-Levenshtein distance of each pair (NULL when a side is NULL)."""
    left, right, missing = _pairs(a, b)
    if not left:
        return pa.array([], pa.int64())
    distances = cpdist(left, right, scorer=DamerauLevenshtein.distance, workers=1).astype(np.int64)
    return pa.array(distances, pa.int64(), mask=missing)


def jaro_winkler_similarity(a: pa.Array, b: pa.Array) -> pa.Array:
    """Jaro-Winkler similarity of each pair, 0 to 1 (NULL when a side is NULL)."""
    left, right, missing = _pairs(a, b)
    if not left:
        return pa.array([], pa.float64())
    scores = cpdist(left, right, scorer=JaroWinkler.similarity, workers=1, dtype=np.float64)
    scores[[not x and not y for x, y in zip(left, right, strict=True)]] = 0.0   # DuckDB: two empty texts are 0
    return pa.array(scores, pa.float64(), mask=missing)


SPARK_FUNCTIONS = (
    ArrowFunction("damerau_levenshtein", damerau_levenshtein, ("VARCHAR", "VARCHAR"), "BIGINT"),
    ArrowFunction("jaro_winkler_similarity", jaro_winkler_similarity, ("VARCHAR", "VARCHAR"), "DOUBLE"),
)
"""DuckDB functions the Spark engine provides as Python functions over Arrow batches."""
