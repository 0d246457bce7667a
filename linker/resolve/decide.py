"""Decide every scored pair: linked, ambiguous or rejected, with the reason, honouring manual overrides.

An account has at most one owner among its candidate customers, or none of them. With a pair's odds ``2**w``
(its match weight ``w``), the probability that customer ``i`` owns the account is its *owner probability*
``o_i / (1 + sum of the account's o_j)``: a customer that the evidence favours strongly but no more than a second
one (two relatives on one family tablet) gets about half each. The best customer takes the account when its owner
probability reaches ``link_threshold`` (and it leads the runner-up by ``margin_bits``, if set); the other candidates
whose owner probability reaches ``review_threshold`` are ``ambiguous``: reported, never aggregated.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from linker.config import ResolutionConfig
from linker.engine import Engine, as_engine
from linker.rules import Rules


def decide_links(engine: Engine | duckdb.DuckDBPyConnection, config: ResolutionConfig, rules: Rules) -> dict[str, int]:
    """Create ``links`` from ``scored_pairs``; return the number of pairs per decision.

    The ranking windows run only over the accounts with several candidates (or a rule and a candidate): most
    accounts have one candidate, whose rank, owner probability and margin need no window and whose row, evidence
    list included, is decided where it is read. The rows are in no order: readers that show them sort them (the
    export by account and rank).
    """
    engine = as_engine(engine)
    rows = [(r.customer_id, r.account_id, "force_link", r.reason) for r in rules.force_link] + \
           [(r.customer_id, r.account_id, "force_apart", r.reason) for r in rules.force_apart]
    engine.register_arrow("pair_rules_arrow", pa.table(
        {name: [r[i] for r in rows] for i, name in enumerate(("customer_id", "account_id", "action", "reason"))},
        schema=pa.schema([(n, pa.string()) for n in ("customer_id", "account_id", "action", "reason")])))
    engine.create_table("pair_rules", """
        SELECT r.* FROM pair_rules_arrow r
        WHERE r.customer_id IN (SELECT customer_id FROM customers) AND r.account_id IN (SELECT account_id FROM accounts)
    """)
    engine.drop("pair_rules_arrow")
    link, review, margin = config.link_threshold, config.review_threshold, config.margin_bits
    engine.create_table("links", f"""
        WITH base AS (
            SELECT coalesce(s.customer_id, r.customer_id) AS customer_id,
                   coalesce(s.account_id, r.account_id) AS account_id,
                   s.match_weight, r.action AS rule, r.reason AS rule_reason,
                   CASE WHEN r.action IS DISTINCT FROM 'force_apart' THEN pow(2, least(s.match_weight, 1000)) END
                       AS odds, s.evidence
            FROM scored_pairs s FULL JOIN pair_rules r USING (customer_id, account_id)),
        contested AS (SELECT account_id FROM base GROUP BY account_id HAVING count(*) > 1),
        ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY account_id ORDER BY rule = 'force_apart' NULLS FIRST,
                                      match_weight DESC NULLS LAST, customer_id) AS rank,
                   odds / (1 + sum(odds) OVER (PARTITION BY account_id)) AS owner_probability,
                   bool_or(rule = 'force_link') OVER (PARTITION BY account_id) AS account_forced
            FROM base SEMI JOIN contested USING (account_id)),
        compared AS (
            SELECT *,
                   CASE WHEN rank = 1 THEN match_weight - coalesce(
                            max(match_weight) FILTER (WHERE rank > 1 AND rule IS DISTINCT FROM 'force_apart')
                                OVER (PARTITION BY account_id), -1e9)
                        ELSE max(match_weight) FILTER (WHERE rule IS DISTINCT FROM 'force_apart')
                                 OVER (PARTITION BY account_id) - match_weight END AS margin_bits,
                   count(*) FILTER (WHERE owner_probability >= {review}) OVER (PARTITION BY account_id) AS plausible,
                   arg_min(customer_id, rank) OVER (PARTITION BY account_id) AS best_customer
            FROM ranked
            UNION ALL
            -- an account with one candidate: what the windows give over a partition of one row, same columns
            SELECT *, CAST(1 AS BIGINT) AS rank, odds / (1 + odds) AS owner_probability,
                   rule = 'force_link' AS account_forced, match_weight - -1e9 AS margin_bits,
                   CAST(coalesce(odds / (1 + odds) >= {review}, false) AS BIGINT) AS plausible,
                   customer_id AS best_customer
            FROM base ANTI JOIN contested USING (account_id)),
        decided AS (
            SELECT *, CASE WHEN rule = 'force_link' THEN 'linked'
                           WHEN rule = 'force_apart' OR account_forced THEN 'rejected'
                           WHEN rank = 1 AND owner_probability >= {link} AND margin_bits >= {margin} THEN 'linked'
                           WHEN owner_probability >= {review} THEN 'ambiguous'
                           ELSE 'rejected' END AS decision
            FROM compared)
        SELECT customer_id, account_id, decision,
               CASE WHEN rule IS NOT NULL THEN rule || ': ' || rule_reason
                    WHEN account_forced THEN 'the account is force-linked to another customer'
                    WHEN decision = 'linked' THEN 'the likeliest owner, at or above the link threshold'
                    WHEN decision = 'ambiguous' AND plausible > 1
                        THEN CAST(plausible AS VARCHAR) || ' customers share the account''s probability (a shared '
                             || 'device or phone?): none reaches the link threshold'
                    WHEN decision = 'ambiguous' AND rank = 1 AND owner_probability >= {link}
                        THEN 'another customer scores within ' || {margin} || ' bits'
                    WHEN decision = 'ambiguous' THEN 'owner probability between the review and link thresholds'
                    WHEN rank > 1 AND best_customer IS NOT NULL
                        THEN 'customer ' || best_customer || ' is the likelier owner'
                    ELSE 'owner probability below the review threshold' END AS reason,
               round(1 / (1 + pow(2, -match_weight)), 6) AS probability,
               round(owner_probability, 6) AS owner_probability,
               round(match_weight, 3) AS match_weight, rank,
               CASE WHEN margin_bits > 1e8 THEN NULL ELSE round(margin_bits, 3) END AS margin_bits,
               plausible AS competitors,
               CASE WHEN rule IS NULL THEN coalesce(evidence, []) ELSE coalesce(evidence, []) ||
                   [{{'comparison': rule, 'level': NULL, 'id_type': NULL, 'value': NULL, 'account_value': NULL,
                      'weight': NULL, 'note': rule_reason}}] END AS evidence
        FROM decided
    """, kind="table")
    engine.drop("pair_rules")
    return dict(engine.rows("SELECT decision, count(*) FROM links GROUP BY decision"))
