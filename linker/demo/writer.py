"""Writing text tables as CSV (any encoding) or Parquet, in chunks.

Every column is text. CSV is written by our own small serializer (quotes only where a value needs them, an
empty field for null) so the bytes are fully determined by the data; encodings other than UTF-8 (gb18030)
are transcoded chunk by chunk. Parquet files hold the same text (string columns, ``;``-joined lists), so
one reader path handles both formats.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")
#: Rows serialized at a time when a whole table is written (bounds the memory of the CSV text).
WRITE_BATCH = 250_000
_NEEDS_QUOTES = r'[,"\r\n]'


def csv_bytes(table: pa.Table, header: bool) -> bytes:
    """Serialize a text table as UTF-8 CSV (``\\n`` line ends, minimal quoting, null as empty).

    Parameters
    ----------
    table : pyarrow.Table
    header : bool
        Start with a header line.

    Returns
    -------
    bytes

    Examples
    --------
    >>> csv_bytes(pa.table({"a": ["x", None], "b": ['a"b', "1,2"]}), True)
    b'a,b\\nx,"a""b"\\n,"1,2"\\n'
    """
    cols = []
    for col in table.columns:
        c = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        c = c.cast(pa.string())
        quote = pc.fill_null(pc.match_substring_regex(c, _NEEDS_QUOTES), False)
        if pc.any(quote).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(c, '"', '""'), '"', "")
            c = pc.if_else(quote, quoted, c)
        cols.append(pc.fill_null(c, ""))
    lines = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
    body = pc.binary_join_element_wise(lines, "", "\n") if len(lines) else pa.array([], pa.string())
    out = [(",".join(table.column_names) + "\n").encode()] if header else []
    if len(body):
        out.append(_data_bytes(body))
    return b"".join(out)


def _data_bytes(arr: pa.Array) -> bytes:
    """The concatenated values of a string array without nulls."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    start, end = int(offsets[0]), int(offsets[-1])
    return arr.buffers()[2].slice(start, end - start).to_pybytes()


class TableWriter:
    """Writes one table file in chunks.

    Parameters
    ----------
    path : pathlib.Path
        Without suffix; ``.csv`` or ``.parquet`` is added.
    columns : sequence of str
    file_format : str
        ``"csv"`` or ``"parquet"``.
    encoding : str
        CSV text encoding.
    transform : callable, optional
        Applied to every table written (the profile's layout: its columns, formats and headers); ``columns``
        are then the transformed table's.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with TableWriter(d / "t", ["a"], "csv", "gb18030") as w:
    ...     w.write(pa.table({"a": ["张伟"]}))
    >>> (d / "t.csv").read_bytes().decode("gb18030")
    'a\\n张伟\\n'
    """

    def __init__(
        self,
        path: Path,
        columns: list[str],
        file_format: str,
        encoding: str = "utf-8",
        transform: Callable[[pa.Table], pa.Table] | None = None,
    ) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"file_format must be one of {FORMATS}, not {file_format!r}")
        self.path = path.with_name(f"{path.name}.{file_format}")
        self.columns = list(columns)
        self.file_format = file_format
        self.encoding = encoding
        self.transform = transform
        self.rows = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([(c, pa.string()) for c in self.columns])
        if file_format == "parquet":
            self._pq: pq.ParquetWriter | None = pq.ParquetWriter(self.path, schema, compression="zstd")
            self._fh = None
        else:
            self._pq = None
            self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write(self._encode(",".join(self.columns) + "\n"))

    def _encode(self, text: str) -> bytes:
        return text.encode(self.encoding)

    def write(self, table: pa.Table) -> None:
        """Append rows (columns in the writer's order, all text)."""
        if self.transform is not None:
            table = self.transform(table)
        table = table.select(self.columns)
        table = pa.table({c: table.column(c).cast(pa.string()) for c in self.columns})
        self.rows += table.num_rows
        if self._pq is not None:
            self._pq.write_table(table, row_group_size=1 << 20)
            return
        data = csv_bytes(table, header=False)
        if self.encoding.replace("-", "").replace("_", "").lower() != "utf8":
            data = data.decode("utf-8").encode(self.encoding)
        assert self._fh is not None
        self._fh.write(data)

    def close(self) -> None:
        """Finish the file."""
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_table(path: Path, table: pa.Table, file_format: str, encoding: str = "utf-8") -> Path:
    """Write a whole text table at once; returns the file path (with suffix)."""
    with TableWriter(path, table.column_names, file_format, encoding) as w:
        for start in range(0, max(table.num_rows, 1), WRITE_BATCH):
            w.write(table.slice(start, WRITE_BATCH))
    return w.path
