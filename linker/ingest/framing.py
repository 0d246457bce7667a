"""Find the records of a text file (CSV, JSON Lines) from its bytes, independently of any parser.

A parser that meets an unbalanced quote reads the rest of the file as one value: the rows after it are lost
and its own count of rows says nothing. Here records are found first, and each is then parsed alone (in SQL,
:mod:`linker.ingest.readers`), so that a broken record costs itself only and the count of records comes from the file.

Rules (CSV; JSON Lines has no quotes: each line is a record):

* A record ends at a line break (``\\n``, or ``\\r`` in a file with no ``\\n``) outside a quoted value; a
  ``\\r`` before the ``\\n`` is not part of it. A lone ``\\r`` inside a line is data.
* A line with an even number of quotes is a whole record (numpy finds them, in bulk). A line with an odd number
  is read field by field (in Python: these are rare): a quoted value may run over several lines if it closes,
  is followed by a delimiter or the end of a line, and leaves the record with the header's number of fields;
  otherwise the line alone is a broken record, with the reason, and the next line starts a new record.
* Empty lines are not records (they are counted); the first record is the header; a UTF-8 byte order mark
  is dropped.
* Bytes that are not UTF-8 make their record broken (they are shown as ``?``); a file where more than a tenth
  of the records are so is refused: it is in another encoding.

Every line of the file belongs to exactly one record, blank line or the header; :class:`Framing` counts them,
and :meth:`Framing.check` checks that they add up to the lines of the file.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
>>> _ = path.write_bytes(b'id,name\\n1,"two\\nlines"\\n2,"open\\n3,x\\n\\n')
>>> framing = Framing(quotes=True)
>>> [(b["_line"], b["problem"]) for batch in frame_records(path, framing) for b in batch.to_pylist()]
[(2, None), (4, 'a quoted value is not closed'), (5, None)]
>>> framing.header, framing.records, framing.blank, framing.lines
('id,name', 3, 1, 6)
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from linker.errors import InputError

CHUNK_BYTES = 1 << 26
"""Bytes read at a time (the memory a file costs while it is framed, plus the record a chunk ends inside)."""
MAX_RECORD_BYTES = 1 << 20
"""A quoted value that has not closed after this many bytes is not a value running over lines: its line is a
broken record. Longer records are read whole, and refused by the readers."""
BATCH_ROWS = 1 << 16

SCHEMA = pa.schema([("record", pa.large_string()), ("_row", pa.int64()), ("_line", pa.int64()),
                    ("problem", pa.string()), ("quoted", pa.bool_())])
"""One row per record: its text (with the line break that ends it, and any blank lines after it), its number
among the records (1-based), the line where it starts (1-based, the header is line 1), why it is broken (or
null: a record longer than :data:`MAX_RECORD_BYTES` is broken too), whether it holds a quote."""

_BOM = b"\xef\xbb\xbf"
_QUOTE = 34
# Possessive: never give back a doubled quote, so that at a chunk's end """ is an open value, not "" and a quote.
_QUOTED = re.compile(rb'"[^"]*+(?:""[^"]*+)*+"')


@dataclass
class Framing:
    """How a file is framed (``quotes``, ``delimiter``), and what framing it found (filled while reading)."""

    quotes: bool
    delimiter: bytes = b","
    header: str | None = None
    """The first record (CSV), as text."""
    header_fields: int | None = None
    records: int = 0
    blank: int = 0
    lines: int = 0
    broken: int = 0

    extra_lines: int = 0
    """Lines inside records beyond their first (a quoted value over several lines)."""

    @property
    def has_header(self) -> bool:
        return self.quotes

    def check(self, path: Path) -> None:
        """Check, once every record is read, that the records, blank lines and header hold every line.

        Raises
        ------
        InputError
            If they do not (a bug in the framing: nothing may be lost unseen).
        """
        spans = self.records + self.blank + (1 if self.header is not None else 0) + self.extra_lines
        if spans != self.lines:
            raise InputError(f"linker framed {spans} lines into records but the file has {self.lines}: "
                             "please report this file's shape", path=str(path))


def frame_records(path: Path, framing: Framing, *, chunk_bytes: int = CHUNK_BYTES,
                  open_file: Callable[[], BinaryIO] | None = None) -> Iterator[pa.RecordBatch]:
    """Yield the records of ``path`` as Arrow batches of :data:`SCHEMA`, counting them in ``framing``.

    ``open_file`` opens the bytes to read (a file of a remote file system, read by a Spark executor); by default
    ``path`` itself, which messages name either way.

    Raises
    ------
    InputError
        If the file is not UTF-8 (more than a tenth of its records, or the header, hold other bytes).
    """
    yield from _Reader(path, framing, chunk_bytes, open_file or (lambda: path.open("rb"))).batches()


class _Reader:
    """One pass over a file in chunks; a record that a chunk ends inside is carried to the next."""

    def __init__(self, path: Path, framing: Framing, chunk_bytes: int, open_file: Callable[[], BinaryIO]) -> None:
        self.path, self.framing, self.chunk_bytes, self.open_file = path, framing, chunk_bytes, open_file
        self.newline = 10
        self.line = 1          # line number of the first byte of the carried bytes

    def batches(self) -> Iterator[pa.RecordBatch]:
        carry = b""
        with self.open_file() as f:
            head = f.read(1 << 16)
            if b"\n" not in head and b"\r" in head:
                self.newline = 13
            f.seek(len(_BOM) if head.startswith(_BOM) else 0)
            while True:
                data = f.read(self.chunk_bytes)
                final = not data
                buf = carry + data if carry else data
                batch, carry = self._chunk(buf, final) if buf else (None, b"")
                if batch is not None:
                    for start in range(0, batch.num_rows, BATCH_ROWS):
                        yield batch.slice(start, BATCH_ROWS)
                if final:
                    break

    # ------------------------------------------------------------------------------------------ one chunk
    def _chunk(self, buf: bytes, final: bool) -> tuple[pa.RecordBatch | None, bytes]:
        """Frame the records ending in ``buf``; return them and the bytes to carry to the next chunk."""
        arr = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(arr == self.newline)
        unterminated = final and buf[-1] != self.newline
        ends = np.append(newlines, len(buf)) if unterminated else newlines
        at = np.arange(len(ends))                    # each record end's index among the line ends
        problems: dict[int, str] = {}
        cut = None                                   # where a record the chunk ends inside starts (carried)
        quotes = np.flatnonzero(arr == _QUOTE) if self.framing.quotes else np.zeros(0, dtype=np.int64)
        if len(quotes) and len(ends):
            inside = np.zeros(len(ends), dtype=bool)  # line breaks inside a quoted value
            cut = self._quoted(buf, quotes, ends, inside, problems, final)
            at = at[~inside]
        if cut is not None:
            at = at[ends[at] < cut]
        ends = ends[at]
        next_start = cut if cut is not None else (int(ends[-1]) + 1 if len(ends) else 0)
        carry = b"" if final else buf[next_start:]
        consumed = len(newlines) + int(unterminated) if final else int(np.searchsorted(newlines, next_start))
        self.framing.lines += consumed
        line = self.line
        self.line += consumed
        if not len(ends):
            return None, carry
        starts = np.concatenate(([0], ends[:-1] + 1))
        strip_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13) & (self.newline == 10)
        blank = (ends - strip_cr) == starts
        first_line = np.concatenate(([0], at[:-1] + 1))    # line breaks before each record, in this chunk
        self.framing.extra_lines += int((at - first_line)[~blank].sum())
        self.framing.blank += int(blank.sum())
        index = np.flatnonzero(~blank)
        if self.framing.has_header and self.framing.header is None and len(index):
            head = int(index[0])
            self.framing.header = self._header(buf[starts[head]:ends[head] - int(strip_cr[head])])
            index = index[1:]
        if not len(index):
            return None, carry
        return self._batch(buf, starts, ends, index, line + first_line, problems, quotes), carry

    def _batch(self, buf: bytes, starts: np.ndarray, ends: np.ndarray, index: np.ndarray,
               line_of_start: np.ndarray, problems: dict[int, str], quotes: np.ndarray) -> pa.RecordBatch:
        """The records ``index`` as a batch; each string runs to the next record (strip it in SQL)."""
        offsets = np.append(starts[index], min(int(ends[index[-1]]) + 1, len(buf))).astype(np.int64)
        lengths = ends[index] - starts[index]
        for i in np.flatnonzero(lengths > MAX_RECORD_BYTES):
            problems.setdefault(int(starts[index[i]]), f"the record is {int(lengths[i]):,} bytes long, more "
                                                       f"than the limit of {MAX_RECORD_BYTES:,}")
        quoted = (np.searchsorted(quotes, ends[index]) > np.searchsorted(quotes, starts[index])) if len(quotes) \
            else np.zeros(len(index), dtype=bool)
        data = buf
        if not _valid_utf8(buf, offsets):
            data = self._mark_invalid(buf, offsets, starts[index], line_of_start[index], problems)
        records = pa.LargeStringArray.from_buffers(len(index), pa.py_buffer(offsets), pa.py_buffer(data))
        first_row = self.framing.records + 1
        self.framing.records += len(index)
        reasons = [problems.get(int(s)) for s in starts[index]] if problems else None
        self.framing.broken += sum(r is not None for r in reasons) if reasons else 0
        return pa.RecordBatch.from_arrays(
            [records, pa.array(np.arange(first_row, first_row + len(index), dtype=np.int64)),
             pa.array(line_of_start[index].astype(np.int64)),
             pa.array(reasons, pa.string()) if reasons else pa.nulls(len(index), pa.string()),
             pa.array(quoted)], schema=SCHEMA)

    def _header(self, raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("cannot decode the header as UTF-8; set `encoding` for this source",
                             path=str(self.path), line=self.line) from None
        self.framing.header_fields = len(_fields(text, self.framing.delimiter, self.path))
        return text

    # ------------------------------------------------------------------------------------------ quotes
    def _quoted(self, buf: bytes, quotes: np.ndarray, ends: np.ndarray, inside: np.ndarray,
                problems: dict[int, str], final: bool) -> int | None:
        """Read the lines with an odd number of quotes field by field; mark line breaks inside quoted values
        (``inside``) and broken records (``problems``). Returns where a record the chunk ends inside starts."""
        starts = np.concatenate(([0], ends[:-1] + 1))
        per_line = np.diff(np.searchsorted(quotes, np.append(0, ends)))
        odd = np.flatnonzero(per_line & 1)
        if not len(odd):
            return None
        if self.framing.header is None and self.framing.header_fields is None:
            self._first_record_fields(buf, starts, ends, final)
        resume = 0
        for i in odd:
            start = int(starts[i])
            if start < resume:
                continue
            end, why = self._scan(buf, start, final)
            if end is None:                    # runs past the chunk: carried, read again with the next one
                return start
            if why is not None:
                problems[start] = why
                resume = int(ends[i]) + 1
                continue
            last = int(np.searchsorted(ends, end))
            inside[i:last] = True
            resume = end + 1
        return None

    def _first_record_fields(self, buf: bytes, starts: np.ndarray, ends: np.ndarray, final: bool) -> None:
        """Count the header's fields before any record is checked against them."""
        for start, end in zip(starts, ends):
            if buf[start:end] not in (b"", b"\r"):   # the first line that is not blank
                end, _ = self._scan(buf, int(start), final)
                if end is not None:
                    text = buf[start:end].rstrip(b"\r").decode("utf-8", errors="replace")
                    self.framing.header_fields = len(_fields(text, self.framing.delimiter, self.path))
                return

    def _scan(self, buf: bytes, start: int, final: bool) -> tuple[int | None, str | None]:
        """Read one record from ``start``: (where it ends, None), or (end of its first line, why it is broken),
        or (None, None) when the chunk ends before the record does."""
        delimiter, newline = self.framing.delimiter[0], self.newline
        unquoted = _unquoted(delimiter, newline)
        limit = min(len(buf), start + MAX_RECORD_BYTES)
        line_end = buf.find(bytes([newline]), start)
        line_end = len(buf) if line_end < 0 else line_end
        pos, fields = start, 1
        while True:
            if pos < len(buf) and buf[pos] == _QUOTE:
                m = _QUOTED.match(buf, pos, limit)
                if m is None:
                    if not final and limit == len(buf):
                        return None, None
                    return line_end, "a quoted value is not closed"
                pos = m.end()
                after = buf[pos] if pos < len(buf) else None
                if after == 13 and newline == 10 and pos + 1 == len(buf) and not final:
                    return None, None          # a \r the chunk ends after: \r\n, or text after the quote
                if after == 13 and newline == 10 and pos + 1 < len(buf) and buf[pos + 1] == newline:
                    pos, after = pos + 1, newline
                if after not in (delimiter, newline, None):
                    return line_end, "text follows the closing quote of a value"
            else:
                pos = unquoted.match(buf, pos).end()  # type: ignore[union-attr]  # matches the empty string
                after = buf[pos] if pos < len(buf) else None
            if after == delimiter:
                pos, fields = pos + 1, fields + 1
                continue
            if after is None and not final:
                return None, None
            if pos > line_end and self.framing.header_fields not in (None, fields):
                return line_end, (f"a quoted value runs over several lines and leaves {fields} fields where the "
                                  f"header has {self.framing.header_fields}")
            return pos, None

    # ------------------------------------------------------------------------------------------ UTF-8
    def _mark_invalid(self, buf: bytes, offsets: np.ndarray, starts: np.ndarray, lines: np.ndarray,
                      problems: dict[int, str]) -> bytes:
        """Replace bytes that are not UTF-8 by ``?`` and mark their records; refuse a file in another encoding."""
        first, last = int(offsets[0]), int(offsets[-1])
        found: list[tuple[int, bytes]] = []
        allowed = max(1, len(starts) // 10)

        def line_of(position: int) -> int:
            return int(lines[int(np.searchsorted(offsets, position, side="right")) - 1])

        def mark(error: UnicodeError) -> tuple[str, int]:
            assert isinstance(error, UnicodeDecodeError)
            found.append((first + error.start, error.object[error.start:error.end]))
            if len(found) > 4 * allowed + 100:   # another encoding: stop before marking the whole chunk
                raise InputError(f"cannot decode the file as UTF-8: many records hold other bytes "
                                 f"({found[0][1]!r} ...); set `encoding` for this source (Chinese exports are "
                                 "often gb18030)", path=str(self.path), line=line_of(found[0][0]))
            return "?", error.end

        codecs.register_error("linker-mark-invalid", mark)
        buf[first:last].decode("utf-8", errors="linker-mark-invalid")
        data = bytearray(buf)
        by_row: dict[int, list[bytes]] = {}
        for position, raw in found:
            data[position:position + len(raw)] = b"?" * len(raw)
            row = int(np.searchsorted(offsets, position, side="right")) - 1
            by_row.setdefault(row, []).append(raw)
        if len(by_row) > allowed:
            raise InputError(f"cannot decode the file as UTF-8: {len(by_row)} of {len(starts)} records hold "
                             f"other bytes ({found[0][1]!r} ...); set `encoding` for this source (Chinese exports "
                             "are often gb18030)", path=str(self.path), line=line_of(found[0][0]))
        for row, raws in by_row.items():
            shown = ", ".join(repr(r) for r in raws[:5])
            problems.setdefault(int(starts[row]), f"holds bytes that are not UTF-8 ({shown}, shown as ?)")
        return bytes(data)


def split_record(text: str, delimiter: str) -> list[str] | None:
    """The fields of one record, unquoted, as the readers split records in SQL; None when a quoted value does
    not close or text follows its closing quote.

    >>> split_record('a,"b ""c"", d",,e', ",")
    ['a', 'b "c", d', '', 'e']
    >>> split_record('a,"b"c', ",") is None
    True
    """
    d = re.escape(delimiter)
    pieces = re.findall(f'{d}("[^"]*(?:""[^"]*)*"|[^"{d}][^{d}]*|)', delimiter + text)
    if delimiter.join(pieces) != text:
        return None
    return [p[1:-1].replace('""', '"') if p.startswith('"') else p for p in pieces]


def _fields(text: str, delimiter: bytes, path: Path) -> list[str]:
    fields = split_record(text, delimiter.decode("utf-8"))
    if fields is None:
        raise InputError("cannot read the header: a quoted name is not closed, or text follows its closing quote",
                         path=str(path), line=1)
    return fields


@functools.cache
def _unquoted(delimiter: int, newline: int) -> re.Pattern[bytes]:
    """An unquoted value: up to the next delimiter or line break."""
    return re.compile(b"[^" + re.escape(bytes([delimiter, newline])) + b"]*")


def _valid_utf8(buf: bytes, offsets: np.ndarray) -> bool:
    """Whether the bytes the records span are UTF-8 (Arrow's validation, at memory speed)."""
    span = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([offsets[0], offsets[-1]], np.int64)),
                                            pa.py_buffer(buf))
    try:
        span.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
