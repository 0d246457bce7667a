// Spend by category over a date range: purchases of online accounts linked to customers, and the customers'
// own card spend by merchant category (mcc:NNNN). Behaviour is summarized per account (or customer) and
// category, so a summary counts when all of it lies in [from, to): first_at >= from and last_at < to.
//
// @param from TIMESTAMP             Start of the range (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss), included.
// @param to TIMESTAMP               End of the range, excluded.
// @param customer_id STRING = *     One bank customer ID, or * for every customer.
MATCH (c:Customer)<-[:LINKED_TO {decision: 'linked'}]-(:OnlineAccount)-[s:PURCHASED]->(k:Category)
WHERE ($customer_id = '*' OR c.customer_id = $customer_id) AND s.first_at >= $from AND s.last_at < $to
RETURN 'online' AS channel, k.name AS category, k.domain AS domain, count(DISTINCT c) AS customers,
       sum(s.orders) AS events, sum(s.amount) AS amount
ORDER BY amount DESC, category
UNION ALL
MATCH (c:Customer)-[s:CARD_SPEND]->(k:Category)
WHERE ($customer_id = '*' OR c.customer_id = $customer_id) AND s.first_at >= $from AND s.last_at < $to
RETURN 'card' AS channel, k.name AS category, k.domain AS domain, count(DISTINCT c) AS customers,
       sum(s.transactions) AS events, sum(s.amount) AS amount
ORDER BY amount DESC, category
