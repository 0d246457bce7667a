// Online accounts with an ambiguous link: no customer reached the link threshold alone (several customers
// share the account's probability, as on a family device, or the one candidate is not likely enough), so the
// account feeds none of them. Every ambiguous account by default; min_customers = 2 keeps those shared.
//
// @param min_customers INT64 = 1   Fewest customers the account is ambiguous with.
// @param limit INT64 = 100         At most this many accounts.
MATCH (a:OnlineAccount)-[l:LINKED_TO]->(c:Customer)
WHERE l.decision = 'ambiguous'
WITH a, count(c) AS customers, collect(c.customer_id) AS customer_ids, max(l.probability) AS best_probability
WHERE customers >= $min_customers
RETURN a.account_id AS account_id, a.platform AS platform, a.name AS account_name, customers, customer_ids,
       best_probability
ORDER BY customers DESC, account_id
LIMIT $limit
