"""Ingest: read every source, type and validate every row in SQL, quarantine the bad ones with a reason.

Every row read ends up either in the accepted table (``customers``, ``accounts`` ...) or in ``quarantine`` with a
reason code from :class:`linker.contract.Reason`; :class:`IngestReport` reconciles the counts per table. A bad
row never stops the run.

The stage runs on any :class:`~linker.engine.Engine`: the readers (:mod:`linker.ingest.readers`, and
:mod:`linker.ingest.spark_readers` on Spark) make raw tables of text, and the typing, checks and quarantine are the same
SQL on every engine, so DuckDB and Spark give the same rows, reasons and record numbers.

Modules (the input contract they check against is :mod:`linker.contract`):
:mod:`~linker.ingest.framing` (records from a text file's bytes), :mod:`~linker.ingest.readers` and
:mod:`~linker.ingest.spark_readers` (raw tables of text), :mod:`~linker.ingest.values` (typing in SQL),
:mod:`~linker.ingest.stage` (the stage).
"""

from linker.ingest.stage import MAX_BYTES, IngestReport, TableReport, ingest

__all__ = ["MAX_BYTES", "IngestReport", "TableReport", "ingest"]
