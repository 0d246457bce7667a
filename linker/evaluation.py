"""Accuracy of a run's links against ground truth (the demo generator's ``truth/account_owner``).

Precision and recall of linked pairs, for linker and, for contrast, for the naive rule "link any customer and
account that share an exactly-equal normalized identifier". Recall is reported over the true links whose
customer and account share at least one usable identifier exactly or one edit apart (the links an identifier
linker can find), and over all true links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from linker.errors import RunNotFoundError
from linker.run_folder import WORK_DB, readable_run
from linker.sql import quote_literal


@dataclass(frozen=True)
class Accuracy:
    """Confusion counts and rates of one linking rule."""

    rule: str
    predicted: int
    true_positives: int
    findable: int
    findable_found: int
    all_true: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Recall over the findable true links (sharing an identifier, typos included)."""
        return self.findable_found / self.findable if self.findable else 1.0

    @property
    def recall_all(self) -> float:
        return self.true_positives / self.all_true if self.all_true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {**asdict(self), "precision": round(self.precision, 5), "recall": round(self.recall, 5),
                "recall_all": round(self.recall_all, 5), "f1": round(self.f1, 5)}


def evaluate_links(run_dir: Path, truth_dir: Path, *, others: Mapping[str, pd.DataFrame] | None = None
                   ) -> list[Accuracy]:
    """Compare a finished run's links (and the naive rule, and other linkers' links) with the true account owners.

    Parameters
    ----------
    run_dir
        Output folder of ``linker run`` (its ``work.duckdb`` is read).
    truth_dir
        Folder holding ``account_owner.csv`` or ``account_owner.parquet`` (account_id, customer_id).
    others
        Links made by other means on the same run (a baseline such as Splink), by rule name: frames with
        ``customer_id`` and ``account_id`` columns, every row a link. Scored with the same definitions.

    Returns
    -------
    list of Accuracy
        ``linker``, ``naive exact match``, then one per entry of ``others``.
    """
    db = readable_run(Path(run_dir), WORK_DB)
    truth_files = sorted(Path(truth_dir).glob("account_owner.*"))
    if not truth_files:
        raise RunNotFoundError(f"no account_owner.csv/.parquet in {truth_dir}")
    con = duckdb.connect(str(db), read_only=True)
    try:
        reader = "read_parquet" if truth_files[0].suffix == ".parquet" else "read_csv_auto"
        con.execute(f"""
            CREATE TEMP TABLE truth AS
            SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(customer_id AS VARCHAR) AS customer_id
            FROM {reader}({quote_literal(str(truth_files[0]))})
            WHERE customer_id IS NOT NULL
              AND account_id IN (SELECT account_id FROM accounts)
              AND customer_id IN (SELECT customer_id FROM customers)
        """)
        con.execute("""
            CREATE TEMP TABLE usable AS
            SELECT DISTINCT owner_kind, owner_id, id_type, value FROM identifiers
            WHERE status = 'usable' AND owner_kind IN ('customer', 'account')
        """)
        con.execute("""
            CREATE TEMP TABLE findable AS
            SELECT DISTINCT t.account_id, t.customer_id FROM truth t
            JOIN usable c ON c.owner_kind = 'customer' AND c.owner_id = t.customer_id
            JOIN usable a ON a.owner_kind = 'account' AND a.owner_id = t.account_id AND a.id_type = c.id_type
            WHERE a.value = c.value
               OR (c.id_type IN ('phone', 'email') AND damerau_levenshtein(a.value, c.value) = 1)
        """)
        linked = "SELECT DISTINCT customer_id, account_id FROM links WHERE decision = 'linked'"
        naive = """SELECT DISTINCT c.owner_id AS customer_id, a.owner_id AS account_id
                   FROM usable c JOIN usable a USING (id_type, value)
                   WHERE c.owner_kind = 'customer' AND a.owner_kind = 'account'"""
        results = [_score(con, "linker", linked), _score(con, "naive exact match", naive)]
        for rule, links in (others or {}).items():
            con.register("other_links", links[["customer_id", "account_id"]])
            results.append(_score(con, rule, "SELECT DISTINCT CAST(customer_id AS VARCHAR) AS customer_id, "
                                             "CAST(account_id AS VARCHAR) AS account_id FROM other_links"))
            con.unregister("other_links")
        return results
    finally:
        con.close()


def _score(con: duckdb.DuckDBPyConnection, rule: str, predicted_sql: str) -> Accuracy:
    predicted, tp, findable, findable_found, all_true = con.execute(f"""
        WITH p AS ({predicted_sql})
        SELECT (SELECT count(*) FROM p),
               (SELECT count(*) FROM p JOIN truth USING (customer_id, account_id)),
               (SELECT count(*) FROM findable),
               (SELECT count(*) FROM p JOIN findable USING (customer_id, account_id)),
               (SELECT count(*) FROM truth)
    """).fetchall()[0]
    return Accuracy(rule, predicted, tp, findable, findable_found, all_true)


def error_breakdown(run_dir: Path, truth_dir: Path, *, limit: int = 20) -> dict[str, list[tuple]]:
    """Examples of false links and missed findable links, with their decision and reason, for tuning."""
    db = readable_run(Path(run_dir), WORK_DB)
    truth = sorted(Path(truth_dir).glob("account_owner.*"))[0]
    reader = "read_parquet" if truth.suffix == ".parquet" else "read_csv_auto"
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"CREATE TEMP TABLE truth AS SELECT CAST(account_id AS VARCHAR) account_id, "
                    f"CAST(customer_id AS VARCHAR) customer_id FROM {reader}({quote_literal(str(truth))})")
        false_links = con.execute(f"""
            SELECT l.customer_id, l.account_id, t.customer_id AS true_owner, l.probability, l.reason,
                   list_transform(l.evidence, lambda e: e.comparison || coalesce('.' || e.level, '') || ' ' || coalesce(CAST(e.weight AS VARCHAR), ''))
            FROM links l LEFT JOIN truth t USING (account_id)
            WHERE l.decision = 'linked' AND t.customer_id IS DISTINCT FROM l.customer_id LIMIT {limit}
        """).fetchall()
        missed = con.execute(f"""
            SELECT t.customer_id, t.account_id, coalesce(l.decision, 'no candidate'), l.probability, l.reason,
                   list_transform(l.evidence, lambda e: e.comparison || coalesce('.' || e.level, '') || ' ' || coalesce(CAST(e.weight AS VARCHAR), ''))
            FROM truth t LEFT JOIN links l USING (customer_id, account_id)
            WHERE t.customer_id IS NOT NULL AND coalesce(l.decision, '') <> 'linked' LIMIT {limit}
        """).fetchall()
        return {"false_links": false_links, "missed": missed}
    finally:
        con.close()
