"""Which accounts an update scores again, and the previous decisions it keeps for the others.

An account's decision reads only its own candidate pairs (:mod:`linker.resolve.decide` ranks per account), and a
pair's score only the two owners' rows and identifiers and the degrees of the values they share. So an account is
*rescored* when any of these may have moved:

1. the account itself was added or changed (``changed_owners``);
2. a value it holds, today or in the previous run, changed degree or hub status (``changed_values``: a value that
   crosses the hub degree withdraws the links it made, and one that falls back under it makes them again);
3. a customer it is or was a candidate of was added, changed or removed, or holds such a value;
4. a manual rule names it.

Every other account keeps the previous run's rows of ``links`` as they are. The candidate search itself
(:func:`linker.resolve.candidates.find_candidates`) runs over all owners, so a new pair of an unchanged account
with a changed customer is found (rule 3); only the comparisons, scores and decisions are cut to the rescored
accounts.
"""

from __future__ import annotations

import duckdb

from linker.rules import Rules


class IncrementalScope:
    """A :class:`~linker.resolve.ResolutionScope` over the previous run attached as catalog ``prev``.

    Reads ``changed_owners`` (:func:`linker.update.batch.detect_changes`); leaves ``rescored_accounts``.
    """

    def __init__(self, rules: Rules) -> None:
        self._rule_accounts = sorted({r.account_id for r in (*rules.force_link, *rules.force_apart)})
        self.rescored = 0
        self.changed_values = 0

    def restrict_candidates(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create ``changed_values`` and ``rescored_accounts``; delete the other accounts' candidate pairs."""
        con.execute("""
            CREATE OR REPLACE TEMP TABLE changed_values AS
            SELECT id_type, value
            FROM identifier_degrees n FULL JOIN prev.identifier_degrees o USING (id_type, value)
            WHERE (n.customers, n.accounts, n.is_hub, n.kind)
                  IS DISTINCT FROM (o.customers, o.accounts, o.is_hub, o.kind)
        """)
        con.register("rule_accounts", _one_column("account_id", self._rule_accounts))
        con.execute("""
            CREATE OR REPLACE TEMP TABLE rescored_accounts AS
            WITH holders AS (
                SELECT owner_kind, owner_id FROM identifiers SEMI JOIN changed_values USING (id_type, value)
                WHERE status = 'usable'
                UNION
                SELECT owner_kind, owner_id FROM prev.identifiers SEMI JOIN changed_values USING (id_type, value)
                WHERE status = 'usable'),
            touched AS (
                SELECT owner_kind, owner_id FROM changed_owners UNION SELECT owner_kind, owner_id FROM holders),
            touched_customers AS (SELECT owner_id AS customer_id FROM touched WHERE owner_kind = 'customer')
            SELECT owner_id AS account_id FROM touched WHERE owner_kind = 'account'
            UNION SELECT account_id FROM pair_evidence SEMI JOIN touched_customers USING (customer_id)
            UNION SELECT account_id FROM blocked_pairs SEMI JOIN touched_customers USING (customer_id)
            UNION SELECT account_id FROM prev.links SEMI JOIN touched_customers USING (customer_id)
            UNION SELECT account_id FROM rule_accounts
        """)
        con.unregister("rule_accounts")
        con.execute("DELETE FROM pair_evidence WHERE account_id NOT IN (SELECT account_id FROM rescored_accounts)")
        con.execute("DELETE FROM blocked_pairs WHERE account_id NOT IN (SELECT account_id FROM rescored_accounts)")
        self.changed_values = _count(con, "changed_values")
        self.rescored = _count(con, "rescored_accounts")

    def complete_links(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Keep today's decisions of the rescored accounts and the previous ones of every other account."""
        con.execute("""
            CREATE OR REPLACE TABLE links AS
            SELECT * FROM (
                SELECT * FROM links SEMI JOIN rescored_accounts USING (account_id)
                UNION ALL BY NAME
                SELECT * FROM prev.links p
                WHERE account_id NOT IN (SELECT account_id FROM rescored_accounts)
                  AND account_id IN (SELECT account_id FROM accounts)
                  AND customer_id IN (SELECT customer_id FROM customers))
            ORDER BY account_id, rank
        """)
        return dict(con.execute("SELECT decision, count(*) FROM links GROUP BY decision").fetchall())


def _one_column(name: str, values: list[str]) -> object:
    import pyarrow as pa

    return pa.table({name: pa.array(values, pa.string())})


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])
