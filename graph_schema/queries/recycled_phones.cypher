// Suspected recycled phone numbers: a customer has held the number only since after an online account that
// also holds it was last seen, so the number probably changed hands (resolution gives such a match no weight).
//
// @param limit INT64 = 1000  At most this many (phone, customer, account) rows.
MATCH (c:Customer)-[h:HAS_PHONE]->(p:Phone)<-[:HAS_PHONE]-(a:OnlineAccount)
WHERE h.since IS NOT NULL AND a.last_seen_at IS NOT NULL AND h.since > CAST(a.last_seen_at AS DATE)
RETURN p.value AS phone, c.customer_id AS customer_id, h.since AS customer_since, a.account_id AS account_id,
       a.platform AS platform, a.last_seen_at AS account_last_seen
ORDER BY phone, customer_id, account_id
LIMIT $limit
