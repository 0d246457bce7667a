// Customers sharing a device with a given customer, with the shared devices and how many of them are hubs.
//
// @param customer_id STRING  The bank customer ID.
MATCH (c:Customer {customer_id: $customer_id})-[:HAS_DEVICE]->(d:Device)<-[:HAS_DEVICE]-(o:Customer)
WHERE o.customer_id <> c.customer_id
RETURN o.customer_id AS customer_id, o.name AS name, count(d) AS shared_devices, collect(d.value) AS devices,
       sum(CASE WHEN d.is_hub THEN 1 ELSE 0 END) AS hub_devices
ORDER BY shared_devices DESC, customer_id
