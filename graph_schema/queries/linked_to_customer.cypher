// Everything linked to a customer: each online account with a link decision (linked or ambiguous), its
// probability and evidence, and the identifier values the account and the customer both hold.
// Near-miss matches (one edit apart) are in the evidence, not among the shared values.
//
// @param customer_id STRING  The bank customer ID.
MATCH (c:Customer {customer_id: $customer_id})<-[l:LINKED_TO]-(a:OnlineAccount)
OPTIONAL MATCH (c)-[:HAS_PHONE|HAS_EMAIL|HAS_DEVICE]->(i:Phone|Email|Device)<-[:HAS_PHONE|HAS_EMAIL|HAS_DEVICE]-(a)
RETURN a.account_id AS account_id, a.platform AS platform, a.name AS account_name, l.decision AS decision,
       l.probability AS probability, count(i) AS shared, collect(i.value) AS shared_values,
       l.evidence AS evidence
ORDER BY probability DESC, account_id
