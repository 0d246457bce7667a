// Hub identifiers: phone numbers, emails and devices held by more owners than the hub threshold allows
// (call centres, shared family devices, placeholder emails). They prove nothing and link nobody.
//
// @param limit INT64 = 100  At most this many, busiest first.
MATCH (i:Phone|Email|Device)
WHERE i.is_hub
RETURN label(i) AS type, i.value AS value, i.kind AS kind, i.customers AS customers, i.accounts AS accounts,
       i.customers + i.accounts AS degree
ORDER BY degree DESC, value
LIMIT $limit
