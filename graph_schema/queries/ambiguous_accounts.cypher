// Online accounts ambiguous between customers: several customers score within the margin of each other,
// so the account is linked to none of them (and none of its behaviour is aggregated).
//
// @param min_customers INT64 = 2   Fewest competing customers.
// @param limit INT64 = 100         At most this many accounts.
MATCH (a:OnlineAccount)-[l:LINKED_TO]->(c:Customer)
WHERE l.decision = 'ambiguous'
WITH a, count(c) AS customers, collect(c.customer_id) AS customer_ids, max(l.probability) AS best_probability
WHERE customers >= $min_customers
RETURN a.account_id AS account_id, a.platform AS platform, a.name AS account_name, customers, customer_ids,
       best_probability
ORDER BY customers DESC, account_id
LIMIT $limit
