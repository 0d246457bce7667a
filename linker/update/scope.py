"""Which accounts an update decides again, and the previous decisions it keeps for the others.

An account's decision reads only its own scored candidate pairs (:mod:`linker.resolve.decide` ranks per account)
and the manual rules that name it; a pair's match weight is the model's prior plus the weights of the levels in
its evidence list. With the model reused, an account whose pairs have today the same customers, match weights
and evidence (levels, values, holder counts) as in the previous run's ``links`` gets the same decisions, so it
keeps them; every other account is decided again:

- an account added or changed, or one whose customer changed, was added or was removed;
- an account holding a value whose holder count changed (the holder count is evidence), or that crossed the hub
  degree (its pairs through that value are gone: the links it made are withdrawn);
- an account whose name levels moved because the names of other candidates did (handle stems and surnames are
  counted over all candidate pairs, :mod:`linker.resolve.name_levels`);
- an account a manual rule names.

The comparisons are made for every candidate pair, not only for the changed owners: the name levels read
statistics over all candidate pairs, so levels computed on a part of them differ from a full run's.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from linker.rules import Rules

_SAME_PAIRS = """
    SELECT account_id, customer_id, round(match_weight, 3) AS match_weight, hash(evidence) AS evidence
"""
"""What two runs' scored pairs are compared on (the evidence by its 64-bit hash: the lists are long, and two
different lists of one pair hashing alike is a chance of about one in 10**19)."""


class IncrementalScope:
    """A :class:`~linker.resolve.ResolutionScope` over the previous run attached as catalog ``prev``.

    Leaves ``changed_values`` (values whose holder counts or hub status changed) and ``decided_accounts``.
    """

    def __init__(self, rules: Rules) -> None:
        self._rule_accounts = sorted({r.account_id for r in (*rules.force_link, *rules.force_apart)})
        self.counts: dict[str, int] = {}

    def restrict_scores(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create ``changed_values`` and ``decided_accounts``; delete the other accounts' ``scored_pairs``."""
        con.execute("""
            CREATE OR REPLACE TEMP TABLE changed_values AS
            SELECT id_type, value, coalesce(o.is_hub, FALSE) AS was_hub, coalesce(n.is_hub, FALSE) AS is_hub
            FROM identifier_degrees n FULL JOIN prev.identifier_degrees o USING (id_type, value)
            WHERE (n.customers, n.accounts, n.is_hub, n.kind)
                  IS DISTINCT FROM (o.customers, o.accounts, o.is_hub, o.kind)
        """)
        con.register("rule_accounts", pa.table({"account_id": pa.array(self._rule_accounts, pa.string())}))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE decided_accounts AS
            WITH today AS ({_SAME_PAIRS} FROM scored_pairs),
            before AS ({_SAME_PAIRS} FROM prev.links
                       WHERE account_id NOT IN (SELECT account_id FROM rule_accounts))
            SELECT DISTINCT account_id FROM ((FROM today EXCEPT ALL FROM before) UNION ALL
                                             (FROM before EXCEPT ALL FROM today))
            UNION SELECT account_id FROM rule_accounts
        """)
        con.unregister("rule_accounts")
        con.execute("DELETE FROM scored_pairs WHERE account_id NOT IN (SELECT account_id FROM decided_accounts)")
        self.counts = {
            "changed values": _count(con, "changed_values"),
            "values now hubs": _count(con, "changed_values WHERE is_hub AND NOT was_hub"),
            "values no longer hubs": _count(con, "changed_values WHERE was_hub AND NOT is_hub"),
            "accounts decided again": _count(con, "decided_accounts"),
        }

    def complete_links(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Keep today's decisions of the accounts decided again and the previous ones of every other account."""
        con.execute("""
            CREATE OR REPLACE TABLE links AS
            SELECT * FROM (
                SELECT * FROM links SEMI JOIN decided_accounts USING (account_id)
                UNION ALL BY NAME
                SELECT * FROM prev.links p
                WHERE account_id NOT IN (SELECT account_id FROM decided_accounts)
                  AND account_id IN (SELECT account_id FROM accounts)
                  AND customer_id IN (SELECT customer_id FROM customers))
            ORDER BY account_id, rank
        """)
        return dict(con.execute("SELECT decision, count(*) FROM links GROUP BY decision").fetchall())


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])
