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

The candidate search runs over all owners; the comparisons and scores only for the candidate pairs of the
accounts an update may decide otherwise (:meth:`IncrementalScope.compared_pairs`): every pair of an account is
compared once one of them is, since a decision reads all the pairs of its account. The name levels read
statistics over all candidate pairs (handle stems, surnames, given-name characters), so the flags they give each
account name are counted over all of them (:func:`linker.resolve.name_levels.account_name_flags`, kept in the run
database as ``account_name_flags``), and an account whose name's flags moved is compared again.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from linker.resolve.names import names_of_owner_sql
from linker.rules import Rules

_SAME_PAIRS = """
    SELECT account_id, customer_id, round(match_weight, 3) AS match_weight, hash(evidence) AS evidence
"""
"""What two runs' scored pairs are compared on (the evidence by its 64-bit hash: the lists are long, and two
different lists of one pair hashing alike is a chance of about one in 10**19)."""


_TOUCHED = f"""
    CREATE OR REPLACE TEMP TABLE touched_accounts AS
    WITH today AS (SELECT customer_id, account_id FROM candidate_pairs),
    before AS (SELECT customer_id, account_id FROM prev.links),
    changed_customers AS (SELECT owner_id AS customer_id FROM changed_owners WHERE owner_kind = 'customer'),
    moved_names AS (SELECT name FROM ((FROM account_name_flags EXCEPT FROM prev.account_name_flags)
                                      UNION ALL (FROM prev.account_name_flags EXCEPT FROM account_name_flags))),
    named AS (SELECT account_id, unnest({names_of_owner_sql()}) AS name FROM accounts)
    SELECT owner_id AS account_id FROM changed_owners WHERE owner_kind = 'account'
    UNION SELECT account_id FROM today SEMI JOIN changed_customers USING (customer_id)
    UNION SELECT account_id FROM before SEMI JOIN changed_customers USING (customer_id)
    UNION SELECT account_id FROM ((FROM today EXCEPT FROM before) UNION ALL (FROM before EXCEPT FROM today))
    UNION SELECT account_id FROM pair_evidence e
          SEMI JOIN changed_values v ON v.id_type = e.id_type AND v.value = e.customer_value
    UNION SELECT owner_id FROM identifiers i
          SEMI JOIN changed_values v ON v.id_type = i.id_type AND v.value = i.value
          WHERE i.owner_kind = 'account' AND i.status = 'usable'
    UNION SELECT account_id FROM named SEMI JOIN moved_names USING (name)
    UNION SELECT account_id FROM rule_accounts
"""
"""The accounts an update may decide otherwise than the previous run: added or changed, or paired (today or
before) with a customer added, changed or removed; whose candidate customers changed; paired through a value or
holding one whose holder counts, kind or hub status changed; holding a name whose flags moved; named by a rule.
Any other account has today the pairs, levels and weights it had, so its decisions stay."""


class IncrementalScope:
    """A :class:`~linker.resolve.ResolutionScope` over the previous run attached as catalog ``prev``.

    Leaves ``changed_values`` (values whose holder counts or hub status changed) and ``decided_accounts``.
    """

    def __init__(self, rules: Rules) -> None:
        self._rule_accounts = sorted({r.account_id for r in (*rules.force_link, *rules.force_apart)})
        self.counts: dict[str, int] = {}
        self._scoped = False

    def compared_pairs(self, con: duckdb.DuckDBPyConnection, blocking: bool) -> str | None:
        """Create ``changed_values`` and ``touched_accounts``; the candidate pairs of those accounts.

        All pairs (None) when the previous run kept no name flags, or the run has blocking rules (whether a pair
        is blocked turns on the counts of a whole block, and no previous run keeps them).
        """
        con.execute("""
            CREATE OR REPLACE TEMP TABLE changed_values AS
            SELECT id_type, value, coalesce(o.is_hub, FALSE) AS was_hub, coalesce(n.is_hub, FALSE) AS is_hub
            FROM identifier_degrees n FULL JOIN prev.identifier_degrees o USING (id_type, value)
            WHERE (n.customers, n.accounts, n.is_hub, n.kind)
                  IS DISTINCT FROM (o.customers, o.accounts, o.is_hub, o.kind)
        """)
        con.register("rule_accounts", pa.table({"account_id": pa.array(self._rule_accounts, pa.string())}))
        self._scoped = not blocking and table_exists_in(con, "prev", "account_name_flags")
        if self._scoped:
            con.execute(_TOUCHED)
        con.unregister("rule_accounts")
        if not self._scoped:
            return None
        self.counts["accounts compared again"] = _count(con, "touched_accounts")
        return "SELECT * FROM candidate_pairs SEMI JOIN touched_accounts USING (account_id)"

    def restrict_scores(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create ``decided_accounts``; delete the other accounts' ``scored_pairs``."""
        con.register("rule_accounts", pa.table({"account_id": pa.array(self._rule_accounts, pa.string())}))
        compared = "AND account_id IN (SELECT account_id FROM touched_accounts)" if self._scoped else ""
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE decided_accounts AS
            WITH today AS ({_SAME_PAIRS} FROM scored_pairs),
            before AS ({_SAME_PAIRS} FROM prev.links
                       WHERE account_id NOT IN (SELECT account_id FROM rule_accounts) {compared})
            SELECT DISTINCT account_id FROM ((FROM today EXCEPT ALL FROM before) UNION ALL
                                             (FROM before EXCEPT ALL FROM today))
            UNION SELECT account_id FROM rule_accounts
        """)
        con.unregister("rule_accounts")
        con.execute("DELETE FROM scored_pairs WHERE account_id NOT IN (SELECT account_id FROM decided_accounts)")
        self.counts |= {
            "changed values": _count(con, "changed_values"),
            "values now hubs": _count(con, "changed_values WHERE is_hub AND NOT was_hub"),
            "values no longer hubs": _count(con, "changed_values WHERE was_hub AND NOT is_hub"),
            "accounts decided again": _count(con, "decided_accounts"),
        }

    def complete_links(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Keep today's decisions of the accounts decided again and the previous ones of every other account (in no
        order, as a full run's ``links``: readers that show them sort them)."""
        con.execute("""
            CREATE OR REPLACE TABLE links AS
            SELECT * FROM (
                SELECT * FROM links SEMI JOIN decided_accounts USING (account_id)
                UNION ALL BY NAME
                SELECT * FROM prev.links p
                WHERE account_id NOT IN (SELECT account_id FROM decided_accounts)
                  AND account_id IN (SELECT account_id FROM accounts)
                  AND customer_id IN (SELECT customer_id FROM customers))
        """)
        return dict(con.execute("SELECT decision, count(*) FROM links GROUP BY decision").fetchall())


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])


def table_exists_in(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> bool:
    """Whether the attached database ``catalog`` has table ``table``."""
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                       [catalog, table]).fetchall()[0][0] > 0
