// Identity clusters above a size: customers and accounts joined by linked or ambiguous decisions. A large
// cluster is a household, a shared device, or a resolution problem worth a look.
//
// @param min_size INT64 = 3   Smallest number of members (customers plus accounts).
// @param limit INT64 = 100    At most this many clusters, largest first.
MATCH (n:Customer|OnlineAccount)
WITH n.cluster_id AS cluster_id, count(*) AS size, count(n.customer_id) AS customers
WHERE size >= $min_size
RETURN cluster_id, size, customers, size - customers AS accounts
ORDER BY size DESC, cluster_id
LIMIT $limit
