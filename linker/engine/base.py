"""The engine interface: what a stage may ask of the database that runs its SQL.

A stage's SQL is written once, in DuckDB's spelling; an engine runs it. :class:`Engine` names every operation a
stage needs (create a table from a query, insert, delete, update, drop, register Arrow data, fetch Arrow batches,
run a Python step over Arrow batches, read and write Parquet) and each engine decides how its tables live: DuckDB
materializes them in the run database (or its scratch database), Spark writes them to its staging location and
reads them back (:mod:`linker.engine.spark`). The differences between the engines' SQL are in one place, the
dialect (:mod:`linker.engine.dialect`).

Stages never call ``duckdb`` or ``pyspark`` themselves: code that needs a construct one engine lacks asks the
engine (``engine.name``) or raises :class:`EngineError` naming it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import pyarrow as pa

TableKind = Literal["table", "temp", "scratch"]
"""How long a table lives: ``table`` is a result of the run (kept in the run database), ``temp`` an intermediate
of a stage, ``scratch`` a big intermediate (DuckDB keeps those compressed in its scratch database)."""


@dataclass(frozen=True)
class ArrowFunction:
    """A scalar function written in Python over Arrow arrays, callable from SQL by ``name``.

    ``function`` takes one ``pyarrow.Array`` per argument (a batch of rows) and returns an array of the same
    length. Types are DuckDB's spelling (``VARCHAR``, ``BIGINT``, ``DOUBLE`` ...). DuckDB calls it on each vector
    of rows, Spark in its Python workers on each Arrow batch: no row is pulled to the driver.
    """

    name: str
    function: Callable[..., pa.Array]
    arguments: tuple[str, ...]
    returns: str


BatchFunction = Callable[[pa.RecordBatch], pa.RecordBatch | pa.Table | Iterator[pa.RecordBatch]]
"""A Python step over a batch of rows: one Arrow batch in, a batch, a table or an iterator of batches of the
output schema out (an iterator lets one input row, such as a file to read, give many rows without holding them
all)."""


class Engine(ABC):
    """Runs linker's SQL (DuckDB spelling) and holds the tables between the stages.

    Names are plain table names; an engine decides where each table lives. Queries handed to :meth:`create_table`,
    :meth:`insert`, :meth:`rows` ... are SELECT statements; the engine writes the DDL.
    """

    name: str = "engine"

    # ------------------------------------------------------------------------------------------ tables
    @abstractmethod
    def create_table(self, name: str, query: str, *, kind: TableKind = "temp") -> None:
        """Create (or replace) table ``name`` holding the rows of ``query``."""

    @abstractmethod
    def create_view(self, name: str, query: str) -> None:
        """Create (or replace) view ``name`` over ``query`` (computed again at each use)."""

    @abstractmethod
    def create_empty(self, name: str, columns: Sequence[tuple[str, str]], *, kind: TableKind = "temp") -> None:
        """Create (or replace) an empty table of ``columns`` (name, DuckDB type)."""

    @abstractmethod
    def insert(self, name: str, query: str, *, by_name: bool = False) -> None:
        """Append the rows of ``query`` to table ``name``: by position, or by column name with ``by_name``."""

    @abstractmethod
    def delete_where(self, name: str, condition: str, *, alias: str | None = None) -> None:
        """Remove the rows of ``name`` for which ``condition`` is true (``alias`` names the table in it)."""

    @abstractmethod
    def update(self, name: str, assignments: Mapping[str, str], *, where: str | None = None,
               source: str | None = None, on: Sequence[str] = ()) -> None:
        """Set ``column = expression`` on the rows of ``name`` (alias ``t``) that match ``where``.

        With ``source`` (a query, alias ``f``, unique on ``on``), only the rows with a row of ``source`` equal on
        the columns ``on`` change, and the expressions may read ``f``'s columns.
        """

    @abstractmethod
    def drop_columns(self, name: str, columns: Sequence[str]) -> None:
        """Remove ``columns`` from table ``name``."""

    @abstractmethod
    def rename(self, old: str, new: str) -> None:
        """Rename table ``old`` to ``new`` (replacing a table ``new``)."""

    @abstractmethod
    def drop(self, *names: str) -> None:
        """Drop the tables or views ``names``; absent ones are ignored."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether a table or view ``name`` exists."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The names of the tables and views the stages made (in the run database, or the engine's views)."""

    @abstractmethod
    def is_view(self, name: str) -> bool:
        """Whether ``name`` is a view (computed again at each read) rather than a stored table."""

    @abstractmethod
    def columns(self, name: str) -> list[tuple[str, str]]:
        """(column, DuckDB type) of table, view or query ``name``."""

    # ------------------------------------------------------------------------------------------ results
    @abstractmethod
    def rows(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of ``query`` on the driver: for small results only (counts, a few keys)."""

    def scalar(self, query: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row of ``query``."""
        return self.rows(query, params)[0][0]

    def count(self, relation: str) -> int:
        """The number of rows of ``relation`` (a table name, or ``table WHERE ...``)."""
        return int(self.scalar(f"SELECT count(*) FROM {relation}"))

    @abstractmethod
    def arrow(self, query: str) -> pa.Table:
        """The rows of ``query`` as an Arrow table on the driver."""

    @abstractmethod
    def batches(self, query: str, *, rows_per_batch: int = 1 << 17) -> Iterator[pa.RecordBatch]:
        """The rows of ``query`` as Arrow batches, streamed to the driver."""

    # ------------------------------------------------------------------------------------------ Python steps
    @abstractmethod
    def register_arrow(self, name: str, data: pa.Table) -> None:
        """Make the Arrow table ``data`` (a lookup built in Python) readable as table ``name``."""

    @abstractmethod
    def register_function(self, function: ArrowFunction) -> None:
        """Make ``function`` callable from SQL in this engine's statements."""

    @abstractmethod
    def map_batches(self, name: str, query: str, function: BatchFunction, schema: pa.Schema, *,
                    kind: TableKind = "temp") -> None:
        """Create table ``name`` from ``function`` applied to each Arrow batch of ``query`` (DuckDB: batches of
        its Arrow reader; Spark: ``mapInArrow``, in the executors)."""

    # ------------------------------------------------------------------------------------------ files
    @abstractmethod
    def write_parquet(self, query: str, path: Path | str) -> int:
        """Write the rows of ``query`` to the Parquet file (or, on Spark, folder) ``path``; return the row count."""

    @abstractmethod
    def read_parquet(self, name: str, path: Path | str, *, kind: TableKind = "temp") -> None:
        """Create table ``name`` from the Parquet file(s) at ``path``."""

    def write_output(self, query: str, path: Path | str, fmt: str, *, single_file: bool = False) -> None:
        """Write the rows of ``query`` as an output of the run: ``fmt`` is ``parquet``, ``csv`` (with a header)
        or ``jsonl``; a folder of part files at ``path``, or with ``single_file`` one file. Engines that write
        in parallel implement it (:func:`linker.export.files.export_table` writes DuckDB's files itself)."""
        from linker.errors import EngineError

        raise EngineError(f"the {self.name} engine writes no {fmt} output")

    # ------------------------------------------------------------------------------------------ life
    def compact(self) -> None:
        """Say that the big intermediates made so far are written: DuckDB compresses its scratch database."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources (the DuckDB connection; the Spark session the engine started)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
