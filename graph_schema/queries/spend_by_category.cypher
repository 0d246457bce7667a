// Spend by category over a date range, across all customers: purchases of online accounts linked to a
// customer, and the customers' own card spend by merchant category (mcc:NNNN). Behaviour is summarized per
// account (or customer) and category, so a summary counts when all of it lies in [from, to): first_at >= from
// and last_at < to. buyers: linked accounts (online) or customers (card) with such a summary.
// Rows are ordered by amount within each channel (the two channels may come in either order).
//
// @param from TIMESTAMP  Start of the range (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss), included.
// @param to TIMESTAMP    End of the range, excluded.
MATCH (:Customer)<-[l:LINKED_TO]-(:OnlineAccount)-[s:PURCHASED]->(k:Category)
WHERE l.decision = 'linked' AND s.first_at >= $from AND s.last_at < $to
RETURN 'online' AS channel, k.name AS category, k.domain AS domain, count(*) AS buyers, sum(s.orders) AS events,
       sum(s.amount) AS amount
ORDER BY amount DESC, category
UNION ALL
MATCH (:Customer)-[s:CARD_SPEND]->(k:Category)
WHERE s.first_at >= $from AND s.last_at < $to
RETURN 'card' AS channel, k.name AS category, k.domain AS domain, count(*) AS buyers, sum(s.transactions) AS events,
       sum(s.amount) AS amount
ORDER BY amount DESC, category
