"""Vectorized helpers of the demo generator: seeded streams, sampling, and building Arrow string arrays.

The generator never loops in Python over the bulk of its rows: numbers are drawn with numpy, strings are
assembled with Arrow compute kernels or, for fixed-width ASCII values, written straight into a byte matrix
that becomes the data buffer of an Arrow string array.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = date(1970, 1, 1)
DAY = 86_400


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """Return an independent generator for one named stream of one seed.

    Parameters
    ----------
    seed : int
        The demo seed.
    *keys : str or int
        Names of the stream (``"people"``, ``"events", 3``); strings are hashed with CRC-32, so the stream
        does not depend on ``PYTHONHASHSEED``.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> int(rng_for(1, "a").integers(100)) == int(rng_for(1, "a").integers(100))
    True
    """
    entropy = [int(seed) & 0xFFFFFFFF] + [
        zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys
    ]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def days(d: date) -> int:
    """Days since 1970-01-01.

    Examples
    --------
    >>> days(date(1970, 1, 2))
    1
    """
    return (d - EPOCH).days


def cdf(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Normalized cumulative weights for :func:`choose`."""
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return c


def choose(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` indices into ``weights`` with probability proportional to the weight.

    Parameters
    ----------
    rng : numpy.random.Generator
    weights : sequence of float
    size : int

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> choose(np.random.default_rng(0), [0, 1, 0], 3).tolist()
    [1, 1, 1]
    """
    return np.searchsorted(cdf(weights), rng.random(size), side="right").astype(np.int64)


def choose_rows(rng: np.random.Generator, cdfs: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw one index per element, each from the distribution ``cdfs[row[i]]``.

    Parameters
    ----------
    rng : numpy.random.Generator
    cdfs : numpy.ndarray
        ``(k, m)`` cumulative distributions (each row ends with 1).
    row : numpy.ndarray
        Which distribution each draw uses.

    Returns
    -------
    numpy.ndarray of int64
    """
    k, m = cdfs.shape
    u = rng.random(len(row))
    flat = (cdfs + np.arange(k)[:, None]).ravel()
    return (np.searchsorted(flat, u + row, side="right") - row * m).clip(0, m - 1).astype(np.int64)


def pick_slot(rng: np.random.Generator, available: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """Pick one available column per row, weighted; ``-1`` where a row has none.

    Parameters
    ----------
    rng : numpy.random.Generator
    available : numpy.ndarray of bool
        ``(n, k)``: which slots a row may pick.
    weights : sequence of float
        ``k`` slot weights.

    Returns
    -------
    numpy.ndarray of int64
    """
    n, k = available.shape
    keys = -np.log(rng.random((n, k)) + 1e-300) / np.asarray(weights, dtype=np.float64)
    keys[~available] = np.inf
    slot = keys.argmin(axis=1)
    slot[~available.any(axis=1)] = -1
    return slot


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative integers as a ``(n, width)`` uint8 matrix (zero padded).

    Examples
    --------
    >>> bytes(digits(np.array([42]), 4)[0])
    b'0042'
    """
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // powers) % 10 + 48).astype(np.uint8)


def fixed(matrix: np.ndarray) -> pa.StringArray:
    """Turn a ``(n, w)`` uint8 matrix of UTF-8 bytes into an Arrow string array of ``n`` values.

    Examples
    --------
    >>> fixed(np.frombuffer(b"abcd", dtype=np.uint8).reshape(2, 2)).to_pylist()
    ['ab', 'cd']
    """
    n, w = matrix.shape
    large = n * w >= 2**31
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64 if large else np.int32)[: n + 1]
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    kind = pa.large_string() if large else pa.string()
    arr = pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return arr.cast(pa.string()) if large else arr


def render(digit_matrix: np.ndarray, template: str) -> pa.StringArray:
    """Render digits into a template where each ``#`` takes the next digit.

    Parameters
    ----------
    digit_matrix : numpy.ndarray
        ``(n, d)`` ASCII digits, ``d`` equal to the number of ``#`` in ``template``.
    template : str
        ASCII template such as ``"+86 ### #### ####"``; the literal ``F`` is not allowed.

    Returns
    -------
    pyarrow.StringArray

    Examples
    --------
    >>> render(digits(np.array([13800138000]), 11), "###-####-####").to_pylist()
    ['138-0013-8000']
    """
    n = len(digit_matrix)
    out = np.empty((n, len(template)), dtype=np.uint8)
    k = 0
    for i, ch in enumerate(template):
        if ch == "#":
            out[:, i] = digit_matrix[:, k]
            k += 1
        else:
            out[:, i] = ord(ch)
    return fixed(out)


def fullwidth(digit_matrix: np.ndarray) -> pa.StringArray:
    """Render ASCII digits as full-width digits (U+FF10..U+FF19), e.g. ``１３８``."""
    n, d = digit_matrix.shape
    out = np.empty((n, d, 3), dtype=np.uint8)
    out[:, :, 0] = 0xEF
    out[:, :, 1] = 0xBC
    out[:, :, 2] = digit_matrix - 48 + 0x90
    return fixed(out.reshape(n, d * 3))


HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_matrix(values: np.ndarray, width: int = 16, upper: bool = False) -> np.ndarray:
    """Hex digits of uint64 values as a ``(n, width)`` uint8 matrix."""
    v = np.asarray(values, dtype=np.uint64)
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    nib = ((v[:, None] >> shifts) & np.uint64(15)).astype(np.int64)
    out = HEX[nib]
    return np.where(out >= ord("a"), out - 32, out).astype(np.uint8) if upper else out


def as_str(values: np.ndarray) -> pa.StringArray:
    """Decimal text of integers.

    Examples
    --------
    >>> as_str(np.array([7, 42])).to_pylist()
    ['7', '42']
    """
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def padded(values: np.ndarray, width: int, prefix: str = "") -> pa.StringArray:
    """Zero-padded decimal text with an optional prefix.

    Examples
    --------
    >>> padded(np.array([7]), 4, "C").to_pylist()
    ['C0007']
    """
    body = pc.utf8_lpad(as_str(values), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, body, "") if prefix else body


def money(cents: np.ndarray) -> pa.StringArray:
    """Amounts in cents as text with two decimals (``123456 -> "1234.56"``).

    Examples
    --------
    >>> money(np.array([123456, 5, -250])).to_pylist()
    ['1234.56', '0.05', '-2.50']
    """
    c = np.asarray(cents, dtype=np.int64)
    units = as_str(np.abs(c) // 100)
    frac = pc.utf8_lpad(as_str(np.abs(c) % 100), width=2, padding="0")
    text = pc.binary_join_element_wise(units, frac, ".")
    return pc.if_else(pa.array(c < 0), pc.binary_join_element_wise("-", text, ""), text)


def tenths(values: np.ndarray) -> pa.StringArray:
    """Non-negative tenths as text with one decimal (``125 -> "12.5"``)."""
    v = np.asarray(values, dtype=np.int64)
    return pc.binary_join_element_wise(as_str(v // 10), as_str(v % 10), ".")


def date_text(day_numbers: np.ndarray) -> pa.StringArray:
    """ISO dates (``2024-03-05``) from days since 1970-01-01."""
    return pc.cast(pa.array(np.asarray(day_numbers, dtype=np.int32), pa.date32()), pa.string())


def time_text(seconds: np.ndarray) -> pa.StringArray:
    """Timestamps (``2024-03-05 14:22:10``) from seconds since 1970-01-01."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())


def take(values: Sequence[str] | pa.Array, index: np.ndarray) -> pa.Array:
    """Look up strings by index (``-1`` gives null)."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(index, dtype=np.int64)
    return arr.take(pa.array(idx, mask=idx < 0))


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Concatenate element-wise with ``sep``; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, sep)


def scatter(n: int, parts: Sequence[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Assemble an array of ``n`` strings from parts, each written at its own positions.

    Parameters
    ----------
    n : int
        Length of the result; positions no part writes are null.
    parts : sequence of (positions, values)

    Returns
    -------
    pyarrow.StringArray

    Examples
    --------
    >>> scatter(3, [(np.array([2]), pa.array(["b"])), (np.array([0]), pa.array(["a"]))]).to_pylist()
    ['a', None, 'b']
    """
    parts = [(np.asarray(p, dtype=np.int64), v) for p, v in parts if len(p)]
    if not parts:
        return pa.nulls(n, pa.string())
    values = pa.concat_arrays([v.cast(pa.string()) for _, v in parts] + [pa.nulls(1, pa.string())])
    where = np.full(n, len(values) - 1, dtype=np.int64)
    start = 0
    for pos, v in parts:
        where[pos] = np.arange(start, start + len(v))
        start += len(v)
    return values.take(pa.array(where))


def replace_at(values: pa.Array, positions: np.ndarray, new: pa.Array | Sequence[str | None]) -> pa.Array:
    """Return ``values`` with the strings at ``positions`` replaced (``None`` gives null)."""
    if not len(positions):
        return values
    n = len(values)
    new_arr = new if isinstance(new, pa.Array) else pa.array(list(new), pa.string())
    combined = pa.concat_arrays([values.cast(pa.string()), new_arr.cast(pa.string())])
    where = np.arange(n, dtype=np.int64)
    where[np.asarray(positions, dtype=np.int64)] = n + np.arange(len(new_arr))
    return combined.take(pa.array(where))


def list_join(owner: np.ndarray, order: np.ndarray, values: pa.Array, n: int, sep: str = ";") -> pa.Array:
    """Join the values of each owner (in ``order``) into one ``sep``-separated string; null when none.

    Parameters
    ----------
    owner : numpy.ndarray
        Owner row (``0..n-1``) of every value.
    order : numpy.ndarray
        Sort key of the values inside one owner.
    values : pyarrow.Array
        The strings.
    n : int
        Number of owners.
    sep : str

    Returns
    -------
    pyarrow.StringArray

    Examples
    --------
    >>> list_join(np.array([1, 0, 1]), np.array([1, 0, 0]), pa.array(["b", "x", "a"]), 3).to_pylist()
    ['x', 'a;b', None]
    """
    owner = np.asarray(owner, dtype=np.int64)
    sort = np.lexsort((np.asarray(order), owner))
    counts = np.bincount(owner, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(sort)).cast(pa.string()))
    joined = pc.binary_join(lists, sep)
    return pc.if_else(pa.array(counts > 0), joined, pa.nulls(n, pa.string()))
