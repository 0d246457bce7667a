// One customer's spend by category over a date range: purchases of the online accounts linked to the customer,
// and the customer's own card spend by merchant category (mcc:NNNN). A summary (per account or customer and
// category) counts when all of it lies in [from, to): first_at >= from and last_at < to.
// Rows are ordered by amount within each channel (the two channels may come in either order).
//
// @param customer_id STRING  The bank customer ID.
// @param from TIMESTAMP      Start of the range (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss), included.
// @param to TIMESTAMP        End of the range, excluded.
MATCH (:Customer {customer_id: $customer_id})<-[l:LINKED_TO]-(a:OnlineAccount)-[s:PURCHASED]->(k:Category)
WHERE l.decision = 'linked' AND s.first_at >= $from AND s.last_at < $to
RETURN 'online' AS channel, k.name AS category, k.domain AS domain, count(*) AS accounts, sum(s.orders) AS events,
       sum(s.amount) AS amount, min(s.first_at) AS first_at, max(s.last_at) AS last_at
ORDER BY amount DESC, category
UNION ALL
MATCH (:Customer {customer_id: $customer_id})-[s:CARD_SPEND]->(k:Category)
WHERE s.first_at >= $from AND s.last_at < $to
RETURN 'card' AS channel, k.name AS category, k.domain AS domain, 0 AS accounts, sum(s.transactions) AS events,
       sum(s.amount) AS amount, min(s.first_at) AS first_at, max(s.last_at) AS last_at
ORDER BY amount DESC, category
