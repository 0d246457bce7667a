"""Decide every scored pair: linked, ambiguous or rejected, with the reason, honouring manual overrides.

An account links to at most one customer. The best-scoring customer takes it only when its probability
reaches the link threshold *and* it beats the runner-up by ``margin_bits``; otherwise the competitors within
the margin are all ``ambiguous`` (reported, never aggregated). Customers that tie on the same evidence (three
relatives on one family tablet) are ambiguous when together they make the account likely to be one of theirs,
even if none of them alone reaches the review threshold.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from linker.config import ResolutionConfig
from linker.rules import Rules


def decide_links(con: duckdb.DuckDBPyConnection, config: ResolutionConfig, rules: Rules) -> dict[str, int]:
    """Create ``links`` from ``scored_pairs``; return the number of pairs per decision.

    The ranking windows run over narrow rows; the evidence lists are joined back at the end.
    """
    rows = [(r.customer_id, r.account_id, "force_link", r.reason) for r in rules.force_link] + \
           [(r.customer_id, r.account_id, "force_apart", r.reason) for r in rules.force_apart]
    con.register("pair_rules_arrow", pa.table(
        {name: [r[i] for r in rows] for i, name in enumerate(("customer_id", "account_id", "action", "reason"))},
        schema=pa.schema([(n, pa.string()) for n in ("customer_id", "account_id", "action", "reason")])))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pair_rules AS
        SELECT r.* FROM pair_rules_arrow r
        WHERE r.customer_id IN (SELECT customer_id FROM customers) AND r.account_id IN (SELECT account_id FROM accounts)
    """)
    con.unregister("pair_rules_arrow")
    link_w, review_w = _bits(config.link_threshold), _bits(config.review_threshold)
    margin = config.margin_bits
    con.execute(f"""
        CREATE OR REPLACE TABLE links AS
        WITH base AS (
            SELECT coalesce(s.customer_id, r.customer_id) AS customer_id,
                   coalesce(s.account_id, r.account_id) AS account_id,
                   s.match_weight, r.action AS rule, r.reason AS rule_reason
            FROM scored_pairs s FULL JOIN pair_rules r USING (customer_id, account_id)),
        ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY account_id ORDER BY rule = 'force_apart' NULLS FIRST,
                                      match_weight DESC NULLS LAST, customer_id) AS rank,
                   max(match_weight) FILTER (WHERE rule IS DISTINCT FROM 'force_apart')
                       OVER (PARTITION BY account_id) AS best_weight,
                   count(*) FILTER (WHERE rule IS DISTINCT FROM 'force_apart' AND match_weight >= {review_w})
                       OVER (PARTITION BY account_id) AS plausible,
                   sum(pow(2, least(match_weight, 1000))) FILTER (WHERE rule IS DISTINCT FROM 'force_apart')
                       OVER (PARTITION BY account_id) AS any_odds,
                   bool_or(rule = 'force_link') OVER (PARTITION BY account_id) AS account_forced
            FROM base),
        with_margin AS (
            SELECT *,
                   CASE WHEN rank = 1 THEN best_weight - coalesce(
                            max(match_weight) FILTER (WHERE rank > 1 AND rule IS DISTINCT FROM 'force_apart')
                                OVER (PARTITION BY account_id), -1e9)
                        ELSE best_weight - match_weight END AS margin_bits,
                   arg_min(customer_id, rank) OVER (PARTITION BY account_id) AS best_customer
            FROM ranked),
        tied AS (
            SELECT *, count(*) FILTER (WHERE margin_bits < {margin} AND rule IS DISTINCT FROM 'force_apart')
                          OVER (PARTITION BY account_id) AS tied,
                      any_odds / (1 + any_odds) >= {config.review_threshold} AS account_plausible
            FROM with_margin)
        SELECT customer_id, account_id,
               CASE WHEN rule = 'force_link' THEN 'linked'
                    WHEN rule = 'force_apart' OR account_forced THEN 'rejected'
                    WHEN rank = 1 AND match_weight >= {link_w} AND margin_bits >= {margin} THEN 'linked'
                    WHEN match_weight >= {review_w} AND (rank = 1 OR margin_bits < {margin}) THEN 'ambiguous'
                    WHEN account_plausible AND tied > 1 AND margin_bits < {margin} THEN 'ambiguous'
                    ELSE 'rejected' END AS decision,
               CASE WHEN rule IS NOT NULL THEN rule || ': ' || rule_reason
                    WHEN account_forced THEN 'the account is force-linked to another customer'
                    WHEN rank = 1 AND match_weight >= {link_w} AND margin_bits >= {margin}
                        THEN 'probability at or above the link threshold, clear of any competitor'
                    WHEN match_weight >= {link_w} AND (rank = 1 OR margin_bits < {margin})
                        THEN 'another customer scores within ' || {margin} || ' bits'
                    WHEN (match_weight >= {review_w} OR account_plausible) AND tied > 1 AND margin_bits < {margin}
                        THEN CAST(tied AS VARCHAR) || ' customers score within ' || {margin} || ' bits of each other on the same '
                             || 'evidence (a shared device or phone?): none stands out'
                    WHEN match_weight >= {review_w} AND rank = 1
                        THEN 'probability between the review and link thresholds'
                    WHEN match_weight >= {review_w} THEN 'customer ' || best_customer || ' scores clearly higher'
                    ELSE 'probability below the review threshold' END AS reason,
               round(1 / (1 + pow(2, -match_weight)), 6) AS probability,
               round(match_weight, 3) AS match_weight, rank,
               CASE WHEN margin_bits > 1e8 THEN NULL ELSE round(margin_bits, 3) END AS margin_bits,
               plausible AS competitors,
               coalesce(s.evidence, []) || CASE WHEN rule IS NULL THEN [] ELSE
                   [{{'comparison': rule, 'level': NULL, 'id_type': NULL, 'value': NULL, 'account_value': NULL,
                      'weight': NULL, 'note': rule_reason}}] END AS evidence
        FROM tied LEFT JOIN (SELECT customer_id, account_id, evidence FROM scored_pairs) s
            USING (customer_id, account_id)
        ORDER BY account_id, rank
    """)
    con.execute("DROP TABLE pair_rules")
    return dict(con.execute("SELECT decision, count(*) FROM links GROUP BY decision").fetchall())


def _bits(probability: float) -> float:
    """The match weight (bits) at which a pair reaches ``probability``."""
    import math

    return math.log2(probability / (1 - probability))
