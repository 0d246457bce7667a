"""What changed between two runs: links made and withdrawn, clusters merged and split, needs fired and expired.

Both runs are read from their run databases (``work.duckdb``), attached read-only side by side; the comparison is
joins, so it costs a few seconds at millions of links. Customers and accounts are matched by their ids, clusters
through their members: a cluster's id is the hash of its smallest customer key (its smallest account key when it
holds no customer; :mod:`linker.resolve.clusters`), so a cluster that only gains or loses members other than
that one keeps its id; when clusters merge, the merged one takes the id of the smallest customer key among them;
when one splits, the part holding that customer keeps the id.

One row per change, in ``changes.parquet``:

================== ===========================================================================================
change             meaning
================== ===========================================================================================
link_added         the account is now linked to the customer (it was not: ambiguous, rejected or no candidate)
link_withdrawn     the account was linked to the customer and no longer is (``new_decision`` says what it is; a
                   pair that is no candidate any more has none, and its reason says whether the customer or the
                   account is gone from the source, or they share no identifier any more)
ambiguous_added    the pair is newly ambiguous (for review), without having been linked
ambiguous_removed  the pair was ambiguous and is now neither ambiguous nor linked
cluster_merged     members of several earlier clusters are now in one (``other_clusters``: the earlier ids)
cluster_split      members of one earlier cluster are now in several (``other_clusters``: the new ids)
need_fired         a need signal fired that had not
need_expired       a need signal that had fired no longer does
================== ===========================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from linker.run_folder import WORK_DB, readable_run
from linker.sql import quote_literal

CHANGES = ("link_added", "link_withdrawn", "ambiguous_added", "ambiguous_removed", "cluster_merged",
           "cluster_split", "need_fired", "need_expired")
"""Every kind of change, in the order they are listed."""

_LINKS = """
    WITH o AS (SELECT customer_id, account_id, decision, probability FROM {old}.links
               WHERE decision IN ('linked', 'ambiguous')),
    n AS (SELECT customer_id, account_id, decision, probability, reason FROM {new}.links),
    pairs AS (
        SELECT customer_id, account_id, o.decision AS old_decision, n.decision AS new_decision,
               o.probability AS old_probability, n.probability AS new_probability,
               coalesce(n.reason, CASE
                   WHEN customer_id NOT IN (SELECT customer_id FROM {new}.customers)
                       THEN 'the customer is gone from the source'
                   WHEN account_id NOT IN (SELECT account_id FROM {new}.accounts)
                       THEN 'the account is gone from the source'
                   ELSE 'no longer a candidate: they share no identifier any more' END) AS reason
        FROM o LEFT JOIN n USING (customer_id, account_id)
        UNION ALL
        SELECT customer_id, account_id, NULL, decision, NULL, probability, reason
        FROM n ANTI JOIN o USING (customer_id, account_id) WHERE decision IN ('linked', 'ambiguous'))
    SELECT CASE WHEN new_decision = 'linked' THEN 'link_added'
                WHEN old_decision = 'linked' THEN 'link_withdrawn'
                WHEN new_decision = 'ambiguous' THEN 'ambiguous_added'
                ELSE 'ambiguous_removed' END AS change,
           customer_id, account_id, NULL AS cluster_id, NULL AS other_clusters, NULL AS need,
           old_decision, new_decision, old_probability, new_probability, reason
    FROM pairs
    WHERE coalesce(old_decision, '-') <> CASE WHEN new_decision IN ('linked', 'ambiguous') THEN new_decision ELSE '-' END
"""

_CLUSTERS = """
    WITH moved AS (SELECT o.cluster_id AS old_id, n.cluster_id AS new_id
                   FROM {old}.clusters o JOIN {new}.clusters n USING (member_kind, member_id)
                   GROUP BY ALL),
    merged AS (SELECT new_id, list(old_id ORDER BY old_id) AS ids FROM moved GROUP BY new_id HAVING count(*) > 1),
    split AS (SELECT old_id, list(new_id ORDER BY new_id) AS ids FROM moved GROUP BY old_id HAVING count(*) > 1)
    SELECT 'cluster_merged' AS change, NULL AS customer_id, NULL AS account_id, new_id AS cluster_id,
           ids AS other_clusters, NULL AS need, NULL AS old_decision, NULL AS new_decision,
           NULL AS old_probability, NULL AS new_probability,
           'members of ' || len(ids) || ' earlier clusters are together' AS reason
    FROM merged
    UNION ALL
    SELECT 'cluster_split', NULL, NULL, old_id, ids, NULL, NULL, NULL, NULL, NULL,
           'the members of this cluster are now in ' || len(ids) || ' clusters'
    FROM split
"""

_NEEDS = """
    WITH o AS (SELECT DISTINCT customer_id, need FROM {old}.signals),
    n AS (SELECT customer_id, need, any_value(action) AS action FROM {new}.signals GROUP BY ALL)
    SELECT 'need_fired' AS change, customer_id, NULL AS account_id, NULL AS cluster_id, NULL AS other_clusters,
           need, NULL AS old_decision, NULL AS new_decision, NULL AS old_probability, NULL AS new_probability,
           'now: ' || coalesce(action, 'no action') AS reason
    FROM n ANTI JOIN o USING (customer_id, need)
    UNION ALL
    SELECT 'need_expired', customer_id, NULL, NULL, NULL, need, NULL, NULL, NULL, NULL,
           'the evidence no longer holds, or the customer left'
    FROM o ANTI JOIN n USING (customer_id, need)
"""


@dataclass(frozen=True)
class ChangeLog:
    """The changes between two runs (columns of :data:`CHANGES` rows) and their counts by kind."""

    table: pa.Table
    counts: dict[str, int]


def diff_runs(old_run: Path, new_run: Path) -> ChangeLog:
    """Compare two finished runs.

    Parameters
    ----------
    old_run, new_run
        Output folders of two runs (their ``work.duckdb`` are opened read-only).

    Returns
    -------
    ChangeLog

    Raises
    ------
    RunNotFoundError, RunIncompleteError
        If a folder holds no finished run (:func:`linker.run_folder.readable_run`).
    """
    con = duckdb.connect()
    try:
        for alias, folder in (("old", old_run), ("new", new_run)):
            db = readable_run(Path(folder), WORK_DB)
            con.execute(f"ATTACH {quote_literal(str(db))} AS {alias} (READ_ONLY)")
        return change_log(con, "old", "new")
    finally:
        con.close()


def change_log(con: duckdb.DuckDBPyConnection, old: str, new: str) -> ChangeLog:
    """The changes from the run database attached as catalog ``old`` to the one attached as ``new`` (``linker
    update`` compares the run it writes, its connection's own database, with the previous one)."""
    parts = [_LINKS, _CLUSTERS]
    if all(_has(con, catalog, "signals") for catalog in (old, new)):
        parts.append(_NEEDS)
    order = "CASE change " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CHANGES)) + " END"
    union = " UNION ALL ".join(f"({p.format(old=old, new=new)})" for p in parts)
    table = con.sql(f"""
        SELECT change, customer_id, account_id, cluster_id, CAST(other_clusters AS VARCHAR[]) AS other_clusters,
               need, old_decision, new_decision, CAST(old_probability AS DOUBLE) AS old_probability,
               CAST(new_probability AS DOUBLE) AS new_probability, reason
        FROM ({union})
        ORDER BY {order}, customer_id, account_id, cluster_id, need
    """).to_arrow_table()
    counts = {c: 0 for c in CHANGES}
    for value in table.column("change").to_pylist():
        counts[value] += 1
    return ChangeLog(table, counts)


def _has(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> bool:
    # tables and views: a Spark run's database holds views over its Parquet state
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND table_name = ?",
                       [catalog, table]).fetchall()[0][0] > 0


def write_changes(log: ChangeLog, path: Path) -> Path:
    """Write the change log as Parquet (atomically)."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(log.table, partial)
    partial.replace(path)
    return path
