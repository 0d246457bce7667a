// The shortest identity path between two customers: through shared phones, emails, devices and link
// decisions, never through a hub identifier. No row when there is none within max 8 hops.
//
// @param from_customer STRING  One bank customer ID.
// @param to_customer STRING    The other.
MATCH p = (a:Customer {customer_id: $from_customer})-[:HAS_PHONE|HAS_EMAIL|HAS_DEVICE|LINKED_TO* SHORTEST 1..8 (r, n | WHERE coalesce(n.is_hub, false) = false)]-(b:Customer {customer_id: $to_customer})
RETURN length(p) AS hops, nodes(p) AS path, relationships(p) AS steps
