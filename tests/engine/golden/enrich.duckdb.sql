-- rows
SELECT CAST(greatest(
    (SELECT max(order_time) FROM purchases), (SELECT max(event_time) FROM browsing),
    (SELECT max(txn_time) FROM transactions)) AS DATE);

-- create temp table taxonomy_classes
SELECT * FROM taxonomy_classes_arrow;

-- create temp table taxonomy_priorities
SELECT * FROM taxonomy_priorities_arrow;

-- create temp table taxonomy_names
SELECT * FROM taxonomy_names_arrow;

-- create temp table taxonomy_patterns
SELECT * FROM taxonomy_patterns_arrow;

-- create temp table taxonomy_merchants
SELECT * FROM taxonomy_merchants_arrow;

-- create temp table taxonomy_mcc
SELECT * FROM taxonomy_mcc_arrow;

-- create table taxonomy_domains
SELECT * FROM taxonomy_domains_arrow;

-- create temp table taxonomy_names
SELECT name_key, class, length(name_key) AS chars, regexp_matches(name_key, '^[a-z0-9]') AS latin
FROM taxonomy_names WHERE name_key <> '' QUALIFY row_number() OVER (PARTITION BY name_key ORDER BY ord) = 1;

-- create temp table observed_categories
SELECT name, source, CAST(sum(purchases) AS BIGINT) AS purchases,
       CAST(sum(browse_events) AS BIGINT) AS browse_events, CAST(sum(card_txns) AS BIGINT) AS card_txns,
       sum(amount) AS amount
FROM (SELECT category AS name, 'online' AS source, count(*) AS purchases, 0 AS browse_events,
             0 AS card_txns, sum(amount) AS amount
      FROM purchases WHERE category IS NOT NULL GROUP BY category
      UNION ALL
      SELECT category, 'online', 0, count(*), 0, 0 FROM browsing WHERE category IS NOT NULL GROUP BY category
      UNION ALL
      SELECT 'mcc:' || mcc, 'card', 0, 0, count(*), sum(amount)
      FROM transactions WHERE mcc IS NOT NULL AND mcc <> '' GROUP BY mcc)
GROUP BY name, source;

-- map batches category_keys
SELECT name FROM observed_categories WHERE source = 'online';

-- create temp table category_keys
SELECT * FROM _linker_batches_N;

-- create empty temp table category_matches
CREATE TABLE category_matches ("name" VARCHAR, "class" VARCHAR, "matched_by" VARCHAR, "matched_rule" VARCHAR, "match_score" DOUBLE);

-- insert category_matches
SELECT k.name, n.class, 'exact', n.name_key, 100 FROM category_keys k JOIN taxonomy_names n USING (name_key);

-- insert category_matches
SELECT k.name, p.class, 'pattern', p.rule, 100
FROM category_keys k JOIN taxonomy_patterns p ON regexp_matches(k.name_key, p.pattern)
WHERE k.name NOT IN (SELECT name FROM category_matches)
QUALIFY row_number() OVER (PARTITION BY k.name ORDER BY p.priority, p.ord, p.rule) = 1;

-- insert category_matches
WITH names AS (
    SELECT name, ' ' || name_key || ' ' AS padded FROM category_keys
    WHERE name NOT IN (SELECT name FROM category_matches)),
needles AS (
    SELECT n.class, n.name_key, n.chars, c.priority,
           CASE WHEN NOT latin AND chars < 2 THEN name_key || ' '
                WHEN NOT latin THEN name_key
                WHEN chars < 4 THEN ' ' || name_key || ' '
                ELSE ' ' || name_key END AS needle,
           CASE WHEN (latin AND chars < 4) OR (NOT latin AND chars < 2)
                THEN 1 ELSE 0 END AS tail
    FROM taxonomy_names n JOIN taxonomy_priorities c USING (class)
    WHERE chars >= 2 OR NOT latin),
hits AS (
    SELECT n.name, x.class, x.name_key, x.chars, x.priority, length(n.padded) - 2 AS name_chars,
           length(n.padded) - instr(reverse(n.padded), reverse(x.needle)) + 1 - x.tail AS ends_at,
           x.chars < 2 AS short
    FROM names n JOIN needles x ON contains(n.padded, x.needle))
SELECT name, class, 'contains', name_key, round(100.0 * least(chars, name_chars) / name_chars, 1)
FROM hits WHERE NOT short OR ends_at = name_chars + 1
QUALIFY row_number() OVER (PARTITION BY name ORDER BY short, priority, ends_at DESC, chars DESC, name_key) = 1;

-- rows
SELECT name_key, class FROM taxonomy_names WHERE chars >= 2 ORDER BY name_key;

-- map batches category_fuzzy
SELECT name, name_key FROM category_keys
WHERE name NOT IN (SELECT name FROM category_matches) AND name_key <> '';

-- create temp table category_fuzzy
SELECT * FROM _linker_batches_N;

-- insert category_matches
SELECT * FROM category_fuzzy;

-- insert category_matches
SELECT o.name, m.class, CASE WHEN m.lo = m.hi THEN 'mcc' ELSE 'mcc_range' END,
       CASE WHEN m.lo = m.hi THEN lpad(CAST(m.lo AS VARCHAR), 4, '0')
            ELSE lpad(CAST(m.lo AS VARCHAR), 4, '0') || '-' || lpad(CAST(m.hi AS VARCHAR), 4, '0') END,
       100
FROM observed_categories o
JOIN taxonomy_mcc m ON TRY_CAST(trim(substr(o.name, 5)) AS INTEGER) BETWEEN m.lo AND m.hi
WHERE o.source = 'card'
QUALIFY row_number() OVER (PARTITION BY o.name ORDER BY m.hi - m.lo, m.class) = 1;

-- create temp table mcc_descriptions
SELECT o.name, d.description FROM observed_categories o
JOIN mcc_arrow d ON d.code = lpad(trim(substr(o.name, 5)), 4, '0') WHERE o.source = 'card';

-- create table categories
SELECT o.name, o.source, d.description, m.class, c.domain, c.top_domain, c.domain_path,
       m.class IS NOT NULL AS mapped, m.matched_by, m.matched_rule, m.match_score,
       o.purchases, o.browse_events, o.card_txns, o.amount
FROM observed_categories o LEFT JOIN category_matches m USING (name)
LEFT JOIN taxonomy_classes c USING (class)
LEFT JOIN mcc_descriptions d ON o.source = 'card' AND d.name = o.name
ORDER BY o.source DESC, o.name;

-- rows
SELECT count(*) FROM categories WHERE NOT mapped;

-- rows
SELECT count(*) FROM categories;

-- rows
WITH m AS (
    SELECT coalesce(matched_by, 'unmapped') AS method, count(*) AS names,
           CAST(sum(purchases + browse_events + card_txns) AS BIGINT) AS events,
           round(coalesce(sum(amount), 0), 2) AS spend
    FROM categories GROUP BY 1)
SELECT method, names, events, spend,
       round(events / nullif(sum(events) OVER (), 0), 3), round(spend / nullif(sum(spend) OVER (), 0), 3)
FROM m ORDER BY list_position(['exact', 'pattern', 'contains', 'fuzzy', 'mcc', 'mcc_range', 'unmapped'], method);

-- create table merchant_classes
SELECT merchant, class, rule AS matched_rule
FROM (SELECT DISTINCT merchant FROM transactions WHERE merchant IS NOT NULL) t
JOIN taxonomy_merchants p ON regexp_matches(trim(t.merchant), p.pattern)
QUALIFY row_number() OVER (PARTITION BY merchant ORDER BY p.priority, p.ord, p.rule) = 1
ORDER BY merchant;

-- rows
SELECT count(*) FROM merchant_classes;

-- create table linked_accounts
SELECT l.customer_id, l.account_id, a.platform, l.probability, l.match_weight
FROM links l JOIN accounts a USING (account_id)
WHERE l.decision = 'linked'
QUALIFY count(*) OVER (PARTITION BY l.account_id) = 1
ORDER BY l.customer_id, l.account_id   -- each customer part of the signals reads its own row groups;

-- rows
SELECT count(*) FROM linked_accounts;

-- create table device_attribution
WITH seen AS (
    SELECT value, count(*) AS events FROM identifiers i
    JOIN browsing b ON i.owner_kind = 'browsing' AND b.event_id = i.owner_id
    WHERE i.id_type = 'device' AND i.status = 'usable' AND b.account_id IS NULL
    GROUP BY value),
holders AS (
    SELECT i.value, i.owner_kind, i.owner_id,
           CASE WHEN i.owner_kind = 'customer' THEN i.owner_id ELSE la.customer_id END AS customer_id,
           CASE WHEN i.owner_kind = 'account' THEN i.owner_id END AS via_account,
           CASE WHEN i.owner_kind = 'customer' THEN 1.0 ELSE la.probability END AS probability,
           CASE WHEN i.owner_kind = 'account' THEN la.match_weight END AS match_weight
    FROM identifiers i
    LEFT JOIN linked_accounts la ON i.owner_kind = 'account' AND la.account_id = i.owner_id
    WHERE i.id_type = 'device' AND i.status = 'usable' AND i.owner_kind IN ('customer', 'account')
      AND i.value IN (SELECT value FROM seen)),
per_value AS (
    SELECT value, count(DISTINCT customer_id) AS customers,
           count(DISTINCT owner_id) FILTER (WHERE owner_kind = 'account' AND customer_id IS NULL)
               AS unlinked_accounts,
           min(customer_id) AS customer_id
    FROM holders GROUP BY value),
best_route AS (
    SELECT value, via_account, probability, match_weight FROM holders WHERE customer_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY value ORDER BY via_account IS NOT NULL, probability DESC,
                               via_account) = 1),
decided AS (
    SELECT s.value, s.events, coalesce(p.customers, 0) AS customers,
           coalesce(p.unlinked_accounts, 0) AS unlinked_accounts, coalesce(d.is_hub, false) AS is_hub,
           p.customer_id AS holder,
           CASE WHEN coalesce(d.is_hub, false) THEN 'hub'
                WHEN coalesce(p.customers, 0) = 0 THEN 'no holder'
                WHEN p.customers > 1 THEN 'several customers'
                WHEN p.unlinked_accounts > 0 THEN 'shared with an unlinked account'
                ELSE 'attributed' END AS status
    FROM seen s LEFT JOIN per_value p USING (value)
    LEFT JOIN identifier_degrees d ON d.id_type = 'device' AND d.value = s.value)
SELECT d.value, split_part(d.value, ':', 1) || ':' || repeat('*', greatest(length(split_part(d.value, ':', 2)) - 4, 0)) || right(split_part(d.value, ':', 2), 4) AS device, d.events, d.customers,
       d.unlinked_accounts, d.is_hub,
       CASE WHEN d.status = 'attributed' THEN d.holder END AS customer_id,
       CASE WHEN d.status = 'attributed' THEN r.via_account END AS via_account,
       CASE WHEN d.status = 'attributed' THEN r.probability END AS probability,
       CASE WHEN d.status = 'attributed' THEN r.match_weight END AS match_weight,
       d.status
FROM decided d LEFT JOIN best_route r USING (value)
ORDER BY d.value;

-- rows
SELECT count(*) FROM device_attribution WHERE status = 'attributed';

-- rows
SELECT count(*) FROM purchases;

-- rows
SELECT count(*) FROM browsing;

-- rows
SELECT count(*) FROM transactions;

-- create scratch table customer_events
WITH raw AS (
    SELECT la.customer_id, 'purchase' AS kind, p.order_id AS event_id, p.account_id, la.platform,
           p.order_time AS event_time, p.category, CAST(NULL AS VARCHAR) AS merchant, p.amount,
           p.quantity, CAST(NULL AS VARCHAR) AS action, CAST(NULL AS DOUBLE) AS dwell_seconds,
           'linked_account' AS attribution, la.probability, la.match_weight,
           CAST(NULL AS VARCHAR) AS device
    FROM purchases p JOIN linked_accounts la USING (account_id)
    UNION ALL
    SELECT la.customer_id, 'browse', b.event_id, b.account_id, la.platform, b.event_time, b.category,
           NULL, NULL, NULL, b.action, b.dwell_seconds, 'linked_account', la.probability,
           la.match_weight, NULL
    FROM browsing b JOIN linked_accounts la USING (account_id)
    UNION ALL
    SELECT d.customer_id, 'browse', b.event_id, d.via_account, la.platform, b.event_time, b.category,
           NULL, NULL, NULL, b.action, b.dwell_seconds, 'device', d.probability, d.match_weight, d.device
    FROM browsing b
    JOIN identifiers i ON i.owner_kind = 'browsing' AND i.owner_id = b.event_id AND i.id_type = 'device'
    JOIN device_attribution d ON d.value = i.value AND d.status = 'attributed'
    LEFT JOIN linked_accounts la ON la.account_id = d.via_account
    WHERE b.account_id IS NULL
    UNION ALL
    SELECT t.customer_id, 'card', t.txn_id, NULL, NULL, t.txn_time,
           CASE WHEN t.mcc <> '' THEN 'mcc:' || t.mcc END,
           t.merchant, t.amount, NULL, NULL, NULL, 'card', 1.0, NULL, NULL
    FROM transactions t WHERE t.customer_id IN (SELECT customer_id FROM customers)),
classed AS (
    SELECT r.*, coalesce(m.class, c.class) AS class
    FROM raw r
    LEFT JOIN categories c
        ON c.name = r.category AND c.source = CASE r.kind WHEN 'card' THEN 'card' ELSE 'online' END
    LEFT JOIN merchant_classes m ON r.kind = 'card' AND m.merchant = r.merchant
    WHERE r.event_time < DATE '2024-05-02' + INTERVAL 1 DAY)
SELECT customer_id, kind, event_id, account_id, platform, event_time, category, merchant, class, amount,
       quantity, action, dwell_seconds, attribution, probability, match_weight, device
FROM classed;

-- rows
SELECT count(*) FROM customer_events;

-- rows
SELECT attribution, count(*) FROM customer_events GROUP BY 1 ORDER BY 1;

-- create table unmapped_categories
WITH attributed AS (
    SELECT category, CASE kind WHEN 'card' THEN 'card' ELSE 'online' END AS source, count(*) AS n,
           count(DISTINCT customer_id) AS customers
    FROM customer_events WHERE class IS NULL GROUP BY ALL),
missing AS (
    SELECT CAST(NULL AS VARCHAR) AS name, 'online' AS source,
           (SELECT count(*) FROM purchases WHERE category IS NULL) AS purchases,
           (SELECT count(*) FROM browsing WHERE category IS NULL) AS browse_events, 0 AS card_txns,
           (SELECT coalesce(sum(amount), 0) FROM purchases WHERE category IS NULL) AS amount
    UNION ALL
    SELECT NULL, 'card', 0, 0, count(*), coalesce(sum(amount), 0) FROM transactions
    WHERE mcc IS NULL OR mcc = ''),
listed AS (
    SELECT name, source, purchases, browse_events, card_txns, amount FROM categories WHERE NOT mapped
    UNION ALL
    SELECT * FROM missing WHERE purchases + browse_events + card_txns > 0)
SELECT l.name, l.source, l.purchases + l.browse_events + l.card_txns AS events, l.purchases,
       l.browse_events, l.card_txns, l.amount, coalesce(a.n, 0) AS customer_events,
       coalesce(a.customers, 0) AS customers
FROM listed l LEFT JOIN attributed a ON a.category IS NOT DISTINCT FROM l.name AND a.source = l.source;

-- rows
SELECT count(*) FROM customer_events WHERE class IS NULL;

-- create temp table agg_classes
SELECT e.class, t.domain_path, row_number() OVER (ORDER BY e.class) AS class_id
FROM (SELECT DISTINCT class FROM customer_events) e LEFT JOIN taxonomy_classes t USING (class);

-- create temp table agg_members_named
SELECT class_id, 'total' AS level, 'all' AS key FROM agg_classes
UNION ALL SELECT class_id, 'class', coalesce(class, 'unmapped') FROM agg_classes
UNION ALL SELECT class_id, 'domain', unnest(coalesce(domain_path, ['unmapped'])) FROM agg_classes;

-- create temp table agg_keys
SELECT row_number() OVER (ORDER BY level, key) AS key_id, level, key
FROM (SELECT DISTINCT level, key FROM agg_members_named);

-- create temp table agg_members
SELECT DISTINCT m.class_id, k.key_id, k.level FROM agg_members_named m JOIN agg_keys k USING (level, key);

-- create view agg_all_events
SELECT e.customer_id, c.class_id, e.kind, e.event_time, e.age_days, e.amount, e.quantity, e.dwell_seconds,
       e.account_id, e.platform, e.attribution, e.probability
FROM (SELECT *, date_diff('day', CAST(event_time AS DATE), DATE '2024-05-02') AS age_days FROM customer_events) e
JOIN agg_classes c ON c.class IS NOT DISTINCT FROM e.class;

-- rows
SELECT coalesce(max(age_days), 0) FROM agg_all_events;

-- create temp table agg_events
SELECT * FROM agg_all_events WHERE TRUE;

-- create temp table agg_conversions
WITH keyed AS (
    SELECT e.customer_id, m.key_id, m.level, e.kind, e.event_time, e.age_days
    FROM agg_events e JOIN agg_members m USING (class_id)
    WHERE m.level <> 'total'),
browsed AS (SELECT * FROM keyed WHERE kind = 'browse'),
spend AS (   -- only where something was browsed, and the browsing only where something was bought
    SELECT customer_id, key_id, event_time FROM keyed
    WHERE kind IN ('purchase', 'card') AND (customer_id, key_id) IN (SELECT customer_id, key_id FROM browsed)),
browse AS (SELECT * FROM browsed WHERE (customer_id, key_id) IN (SELECT customer_id, key_id FROM spend)),
next_spend AS (
    SELECT b.customer_id, b.key_id, b.level, b.age_days, b.event_time, s.event_time AS spent_at
    FROM browse b ASOF JOIN spend s
      ON s.customer_id = b.customer_id AND s.key_id = b.key_id AND s.event_time >= b.event_time),
converted AS (
    SELECT customer_id, key_id, level, age_days FROM next_spend
    WHERE spent_at <= event_time + INTERVAL 30 DAY)
SELECT customer_id, key_id, count(*) FILTER (WHERE age_days < 30) AS converted_30d, count(*) FILTER (WHERE age_days < 90) AS converted_90d, count(*) FILTER (WHERE age_days < 365) AS converted_365d, count(*) FILTER (WHERE TRUE) AS converted_all FROM converted GROUP BY customer_id, key_id UNION ALL
SELECT customer_id, (SELECT key_id FROM agg_keys WHERE level = 'total') AS key_id, count(*) FILTER (WHERE age_days < 30) AS converted_30d, count(*) FILTER (WHERE age_days < 90) AS converted_90d, count(*) FILTER (WHERE age_days < 365) AS converted_365d, count(*) FILTER (WHERE TRUE) AS converted_all
FROM converted WHERE level = 'class' GROUP BY customer_id;

-- create temp table agg_class
SELECT customer_id, class_id, sum(amount) FILTER (WHERE kind = 'purchase' AND age_days < 30) AS purchase_amount_30d, sum(amount) FILTER (WHERE kind = 'purchase' AND age_days < 90) AS purchase_amount_90d, sum(amount) FILTER (WHERE kind = 'purchase' AND age_days < 365) AS purchase_amount_365d, sum(amount) FILTER (WHERE kind = 'purchase') AS purchase_amount_all, count(*) FILTER (WHERE kind = 'purchase' AND age_days < 30) AS orders_30d, count(*) FILTER (WHERE kind = 'purchase' AND age_days < 90) AS orders_90d, count(*) FILTER (WHERE kind = 'purchase' AND age_days < 365) AS orders_365d, count(*) FILTER (WHERE kind = 'purchase') AS orders_all, sum(quantity) FILTER (WHERE kind = 'purchase' AND age_days < 30) AS quantity_30d, sum(quantity) FILTER (WHERE kind = 'purchase' AND age_days < 90) AS quantity_90d, sum(quantity) FILTER (WHERE kind = 'purchase' AND age_days < 365) AS quantity_365d, sum(quantity) FILTER (WHERE kind = 'purchase') AS quantity_all, sum(amount) FILTER (WHERE kind = 'card' AND age_days < 30) AS card_amount_30d, sum(amount) FILTER (WHERE kind = 'card' AND age_days < 90) AS card_amount_90d, sum(amount) FILTER (WHERE kind = 'card' AND age_days < 365) AS card_amount_365d, sum(amount) FILTER (WHERE kind = 'card') AS card_amount_all, count(*) FILTER (WHERE kind = 'card' AND age_days < 30) AS card_txns_30d, count(*) FILTER (WHERE kind = 'card' AND age_days < 90) AS card_txns_90d, count(*) FILTER (WHERE kind = 'card' AND age_days < 365) AS card_txns_365d, count(*) FILTER (WHERE kind = 'card') AS card_txns_all, count(*) FILTER (WHERE kind = 'browse' AND age_days < 30) AS browse_events_30d, count(*) FILTER (WHERE kind = 'browse' AND age_days < 90) AS browse_events_90d, count(*) FILTER (WHERE kind = 'browse' AND age_days < 365) AS browse_events_365d, count(*) FILTER (WHERE kind = 'browse') AS browse_events_all, sum(dwell_seconds) FILTER (WHERE kind = 'browse' AND age_days < 30) AS dwell_seconds_30d, sum(dwell_seconds) FILTER (WHERE kind = 'browse' AND age_days < 90) AS dwell_seconds_90d, sum(dwell_seconds) FILTER (WHERE kind = 'browse' AND age_days < 365) AS dwell_seconds_365d, sum(dwell_seconds) FILTER (WHERE kind = 'browse') AS dwell_seconds_all, count(*) FILTER (WHERE attribution = 'device' AND age_days < 30) AS device_events_30d, count(*) FILTER (WHERE attribution = 'device' AND age_days < 90) AS device_events_90d, count(*) FILTER (WHERE attribution = 'device' AND age_days < 365) AS device_events_365d, count(*) FILTER (WHERE attribution = 'device') AS device_events_all, min(probability) FILTER (WHERE age_days < 30) AS min_link_probability_30d, min(probability) FILTER (WHERE age_days < 90) AS min_link_probability_90d, min(probability) FILTER (WHERE age_days < 365) AS min_link_probability_365d, min(probability) AS min_link_probability_all, min(event_time) FILTER (WHERE age_days < 30) AS first_at_30d, min(event_time) FILTER (WHERE age_days < 90) AS first_at_90d, min(event_time) FILTER (WHERE age_days < 365) AS first_at_365d, min(event_time) AS first_at_all, max(event_time) AS last_at, max(event_time) FILTER (WHERE kind IN ('purchase', 'card')) AS last_spend_at,
       bitstring_agg(age_days, 0, 1) AS days
FROM agg_events GROUP BY customer_id, class_id;

-- create temp table agg_rolled
SELECT c.customer_id, m.key_id, sum(purchase_amount_30d) AS purchase_amount_30d, sum(purchase_amount_90d) AS purchase_amount_90d, sum(purchase_amount_365d) AS purchase_amount_365d, sum(purchase_amount_all) AS purchase_amount_all, sum(orders_30d) AS orders_30d, sum(orders_90d) AS orders_90d, sum(orders_365d) AS orders_365d, sum(orders_all) AS orders_all, sum(quantity_30d) AS quantity_30d, sum(quantity_90d) AS quantity_90d, sum(quantity_365d) AS quantity_365d, sum(quantity_all) AS quantity_all, sum(card_amount_30d) AS card_amount_30d, sum(card_amount_90d) AS card_amount_90d, sum(card_amount_365d) AS card_amount_365d, sum(card_amount_all) AS card_amount_all, sum(card_txns_30d) AS card_txns_30d, sum(card_txns_90d) AS card_txns_90d, sum(card_txns_365d) AS card_txns_365d, sum(card_txns_all) AS card_txns_all, sum(browse_events_30d) AS browse_events_30d, sum(browse_events_90d) AS browse_events_90d, sum(browse_events_365d) AS browse_events_365d, sum(browse_events_all) AS browse_events_all, sum(dwell_seconds_30d) AS dwell_seconds_30d, sum(dwell_seconds_90d) AS dwell_seconds_90d, sum(dwell_seconds_365d) AS dwell_seconds_365d, sum(dwell_seconds_all) AS dwell_seconds_all, sum(device_events_30d) AS device_events_30d, sum(device_events_90d) AS device_events_90d, sum(device_events_365d) AS device_events_365d, sum(device_events_all) AS device_events_all, min(min_link_probability_30d) AS min_link_probability_30d, min(min_link_probability_90d) AS min_link_probability_90d, min(min_link_probability_365d) AS min_link_probability_365d, min(min_link_probability_all) AS min_link_probability_all, min(first_at_30d) AS first_at_30d, min(first_at_90d) AS first_at_90d, min(first_at_365d) AS first_at_365d, min(first_at_all) AS first_at_all, max(last_at) AS last_at, max(last_spend_at) AS last_spend_at, bit_or(days) AS days
FROM agg_class c JOIN agg_members m USING (class_id) WHERE m.level <> 'class'
GROUP BY c.customer_id, m.key_id;

-- create temp table agg_class_spend
SELECT class_id, sum(coalesce(purchase_amount_30d, 0) + coalesce(card_amount_30d, 0)) AS spend_30d, sum(coalesce(purchase_amount_90d, 0) + coalesce(card_amount_90d, 0)) AS spend_90d, sum(coalesce(purchase_amount_365d, 0) + coalesce(card_amount_365d, 0)) AS spend_365d, sum(coalesce(purchase_amount_all, 0) + coalesce(card_amount_all, 0)) AS spend_all FROM agg_class GROUP BY class_id;

-- create temp table agg_key_accounts
SELECT a.customer_id, m.key_id, a.account_id, any_value(a.platform) AS platform, min(a.age_days) AS age_days
FROM (SELECT customer_id, class_id, account_id, any_value(platform) AS platform, min(age_days) AS age_days
      FROM agg_events WHERE account_id IS NOT NULL GROUP BY customer_id, class_id, account_id) a
JOIN agg_members m USING (class_id)
GROUP BY a.customer_id, m.key_id, a.account_id;

-- create temp table agg_accounts
SELECT a.*, p.platforms_30d, p.platforms_90d, p.platforms_365d, p.platforms_all
FROM (SELECT customer_id, key_id,
             list_transform(list_sort(list({'age': age_days, 'id': account_id})), lambda x: x.id)
                 AS account_ids, count(*) FILTER (WHERE age_days < 30) AS accounts_30d, count(*) FILTER (WHERE age_days < 90) AS accounts_90d, count(*) FILTER (WHERE age_days < 365) AS accounts_365d, count(*) FILTER (WHERE TRUE) AS accounts_all
      FROM agg_key_accounts GROUP BY customer_id, key_id) a
LEFT JOIN (SELECT customer_id, key_id, count(*) FILTER (WHERE age_days < 30) AS platforms_30d, count(*) FILTER (WHERE age_days < 90) AS platforms_90d, count(*) FILTER (WHERE age_days < 365) AS platforms_365d, count(*) FILTER (WHERE TRUE) AS platforms_all
      FROM (SELECT customer_id, key_id, platform, min(age_days) AS age_days FROM agg_key_accounts
            WHERE platform IS NOT NULL GROUP BY customer_id, key_id, platform)
      GROUP BY customer_id, key_id) p USING (customer_id, key_id);

-- create table aggregates
WITH rolled AS (
    SELECT c.customer_id, m.key_id, purchase_amount_30d, purchase_amount_90d, purchase_amount_365d, purchase_amount_all, orders_30d, orders_90d, orders_365d, orders_all, quantity_30d, quantity_90d, quantity_365d, quantity_all, card_amount_30d, card_amount_90d, card_amount_365d, card_amount_all, card_txns_30d, card_txns_90d, card_txns_365d, card_txns_all, browse_events_30d, browse_events_90d, browse_events_365d, browse_events_all, dwell_seconds_30d, dwell_seconds_90d, dwell_seconds_365d, dwell_seconds_all, device_events_30d, device_events_90d, device_events_365d, device_events_all, min_link_probability_30d, min_link_probability_90d, min_link_probability_365d, min_link_probability_all, first_at_30d, first_at_90d, first_at_365d, first_at_all, last_at, last_spend_at, days
    FROM agg_class c JOIN agg_members m USING (class_id) WHERE m.level = 'class'
    UNION ALL
    SELECT * FROM agg_rolled)
SELECT customer_id, k.level, k.key, round(coalesce(purchase_amount_30d, 0) + coalesce(card_amount_30d, 0), 2) AS spend_30d, round(coalesce(purchase_amount_90d, 0) + coalesce(card_amount_90d, 0), 2) AS spend_90d, round(coalesce(purchase_amount_365d, 0) + coalesce(card_amount_365d, 0), 2) AS spend_365d, round(coalesce(purchase_amount_all, 0) + coalesce(card_amount_all, 0), 2) AS spend_all, round(coalesce(purchase_amount_30d, 0), 2) AS purchase_amount_30d, round(coalesce(purchase_amount_90d, 0), 2) AS purchase_amount_90d, round(coalesce(purchase_amount_365d, 0), 2) AS purchase_amount_365d, round(coalesce(purchase_amount_all, 0), 2) AS purchase_amount_all, CAST(coalesce(orders_30d, 0) AS BIGINT) AS orders_30d, CAST(coalesce(orders_90d, 0) AS BIGINT) AS orders_90d, CAST(coalesce(orders_365d, 0) AS BIGINT) AS orders_365d, CAST(coalesce(orders_all, 0) AS BIGINT) AS orders_all, CAST(coalesce(quantity_30d, 0) AS BIGINT) AS quantity_30d, CAST(coalesce(quantity_90d, 0) AS BIGINT) AS quantity_90d, CAST(coalesce(quantity_365d, 0) AS BIGINT) AS quantity_365d, CAST(coalesce(quantity_all, 0) AS BIGINT) AS quantity_all, round(coalesce(card_amount_30d, 0), 2) AS card_amount_30d, round(coalesce(card_amount_90d, 0), 2) AS card_amount_90d, round(coalesce(card_amount_365d, 0), 2) AS card_amount_365d, round(coalesce(card_amount_all, 0), 2) AS card_amount_all, CAST(coalesce(card_txns_30d, 0) AS BIGINT) AS card_txns_30d, CAST(coalesce(card_txns_90d, 0) AS BIGINT) AS card_txns_90d, CAST(coalesce(card_txns_365d, 0) AS BIGINT) AS card_txns_365d, CAST(coalesce(card_txns_all, 0) AS BIGINT) AS card_txns_all, CAST(coalesce(browse_events_30d, 0) AS BIGINT) AS browse_events_30d, CAST(coalesce(browse_events_90d, 0) AS BIGINT) AS browse_events_90d, CAST(coalesce(browse_events_365d, 0) AS BIGINT) AS browse_events_365d, CAST(coalesce(browse_events_all, 0) AS BIGINT) AS browse_events_all, round(coalesce(dwell_seconds_30d, 0), 3) AS dwell_seconds_30d, round(coalesce(dwell_seconds_90d, 0), 3) AS dwell_seconds_90d, round(coalesce(dwell_seconds_365d, 0), 3) AS dwell_seconds_365d, round(coalesce(dwell_seconds_all, 0), 3) AS dwell_seconds_all, CAST(coalesce(converted_30d, 0) AS BIGINT) AS converted_browse_events_30d, CAST(coalesce(converted_90d, 0) AS BIGINT) AS converted_browse_events_90d, CAST(coalesce(converted_365d, 0) AS BIGINT) AS converted_browse_events_365d, CAST(coalesce(converted_all, 0) AS BIGINT) AS converted_browse_events_all, CASE WHEN browse_events_30d > 0 THEN round(coalesce(converted_30d, 0) / browse_events_30d, 4) END AS conversion_30d, CASE WHEN browse_events_90d > 0 THEN round(coalesce(converted_90d, 0) / browse_events_90d, 4) END AS conversion_90d, CASE WHEN browse_events_365d > 0 THEN round(coalesce(converted_365d, 0) / browse_events_365d, 4) END AS conversion_365d, CASE WHEN browse_events_all > 0 THEN round(coalesce(converted_all, 0) / browse_events_all, 4) END AS conversion_all, CAST(coalesce(orders_30d, 0) + coalesce(card_txns_30d, 0) + coalesce(browse_events_30d, 0) AS BIGINT) AS events_30d, CAST(coalesce(orders_90d, 0) + coalesce(card_txns_90d, 0) + coalesce(browse_events_90d, 0) AS BIGINT) AS events_90d, CAST(coalesce(orders_365d, 0) + coalesce(card_txns_365d, 0) + coalesce(browse_events_365d, 0) AS BIGINT) AS events_365d, CAST(coalesce(orders_all, 0) + coalesce(card_txns_all, 0) + coalesce(browse_events_all, 0) AS BIGINT) AS events_all, CAST(bit_count(days) AS BIGINT) AS active_days_30d, CAST(bit_count(days) AS BIGINT) AS active_days_90d, CAST(bit_count(days) AS BIGINT) AS active_days_365d, CAST(bit_count(days) AS BIGINT) AS active_days_all, CAST(coalesce(device_events_30d, 0) AS BIGINT) AS device_events_30d, CAST(coalesce(device_events_90d, 0) AS BIGINT) AS device_events_90d, CAST(coalesce(device_events_365d, 0) AS BIGINT) AS device_events_365d, CAST(coalesce(device_events_all, 0) AS BIGINT) AS device_events_all, min_link_probability_30d AS min_link_probability_30d, min_link_probability_90d AS min_link_probability_90d, min_link_probability_365d AS min_link_probability_365d, min_link_probability_all AS min_link_probability_all, first_at_30d AS first_at_30d, first_at_90d AS first_at_90d, first_at_365d AS first_at_365d, first_at_all AS first_at_all, CAST(coalesce(platforms_30d, 0) AS BIGINT) AS platforms_30d, CAST(coalesce(platforms_90d, 0) AS BIGINT) AS platforms_90d, CAST(coalesce(platforms_365d, 0) AS BIGINT) AS platforms_365d, CAST(coalesce(platforms_all, 0) AS BIGINT) AS platforms_all, CAST(coalesce(accounts_30d, 0) AS BIGINT) AS accounts_30d, CAST(coalesce(accounts_90d, 0) AS BIGINT) AS accounts_90d, CAST(coalesce(accounts_365d, 0) AS BIGINT) AS accounts_365d, CAST(coalesce(accounts_all, 0) AS BIGINT) AS accounts_all, last_at,
       date_diff('day', CAST(last_at AS DATE), DATE '2024-05-02') AS recency_days,
       date_diff('day', CAST(last_spend_at AS DATE), DATE '2024-05-02') AS spend_recency_days,
       coalesce(a.account_ids, []) AS account_ids, DATE '2024-05-02' AS as_of
FROM rolled r
JOIN agg_keys k USING (key_id)
LEFT JOIN agg_conversions c USING (customer_id, key_id)
LEFT JOIN agg_accounts a USING (customer_id, key_id);

-- create table customer_totals
WITH tops AS (
    SELECT customer_id,
           (list(key ORDER BY spend DESC, key) FILTER (WHERE level = 'class' AND spend > 0))[1:3] AS top_classes,
           (list(key ORDER BY browse_events DESC, key) FILTER (WHERE level = 'class' AND browse_events > 0))[1:3]
               AS top_browsed_classes,
           (list(key ORDER BY spend DESC, key) FILTER (WHERE level = 'domain' AND spend > 0))[1:3] AS top_domains
    FROM (SELECT c.customer_id, k.level, k.key, round(coalesce(purchase_amount_365d, 0) + coalesce(card_amount_365d, 0), 2) AS spend,
                 browse_events_365d AS browse_events
          FROM agg_class c JOIN agg_members m USING (class_id) JOIN agg_keys k USING (key_id)
          WHERE m.level = 'class' AND k.key <> 'unmapped'
          UNION ALL
          SELECT r.customer_id, k.level, k.key, round(coalesce(purchase_amount_365d, 0) + coalesce(card_amount_365d, 0), 2), NULL
          FROM (SELECT c.customer_id, m.key_id, sum(purchase_amount_365d) AS purchase_amount_365d,
                       sum(card_amount_365d) AS card_amount_365d
                FROM agg_class c JOIN agg_members m USING (class_id)
                WHERE m.key_id IN (SELECT key_id FROM agg_keys
                                   WHERE level = 'domain' AND key IN (SELECT top_domain FROM taxonomy_classes))
                GROUP BY c.customer_id, m.key_id) r
          JOIN agg_keys k USING (key_id))
    GROUP BY customer_id)
SELECT r.customer_id, first_at_all AS first_seen, last_at AS last_seen,
       date_diff('day', CAST(last_at AS DATE), DATE '2024-05-02') AS recency_days,
       CAST(bit_count(days) AS BIGINT) AS active_days, CAST(coalesce(orders_all, 0) + coalesce(card_txns_all, 0) + coalesce(browse_events_all, 0) AS BIGINT) AS events,
       CAST(coalesce(device_events_all, 0) AS BIGINT) AS device_events, round(coalesce(purchase_amount_30d, 0) + coalesce(card_amount_30d, 0), 2) AS spend_30d, round(coalesce(purchase_amount_90d, 0) + coalesce(card_amount_90d, 0), 2) AS spend_90d, round(coalesce(purchase_amount_365d, 0) + coalesce(card_amount_365d, 0), 2) AS spend_365d, CAST(coalesce(orders_30d, 0) AS BIGINT) AS orders_30d, CAST(coalesce(orders_90d, 0) AS BIGINT) AS orders_90d, CAST(coalesce(orders_365d, 0) AS BIGINT) AS orders_365d, CAST(coalesce(card_txns_30d, 0) AS BIGINT) AS card_txns_30d, CAST(coalesce(card_txns_90d, 0) AS BIGINT) AS card_txns_90d, CAST(coalesce(card_txns_365d, 0) AS BIGINT) AS card_txns_365d, CAST(coalesce(browse_events_30d, 0) AS BIGINT) AS browse_events_30d, CAST(coalesce(browse_events_90d, 0) AS BIGINT) AS browse_events_90d, CAST(coalesce(browse_events_365d, 0) AS BIGINT) AS browse_events_365d, round(coalesce(dwell_seconds_30d, 0), 3) AS dwell_seconds_30d, round(coalesce(dwell_seconds_90d, 0), 3) AS dwell_seconds_90d, round(coalesce(dwell_seconds_365d, 0), 3) AS dwell_seconds_365d, CASE WHEN browse_events_30d > 0 THEN round(coalesce(converted_30d, 0) / browse_events_30d, 4) END AS conversion_30d, CASE WHEN browse_events_90d > 0 THEN round(coalesce(converted_90d, 0) / browse_events_90d, 4) END AS conversion_90d, CASE WHEN browse_events_365d > 0 THEN round(coalesce(converted_365d, 0) / browse_events_365d, 4) END AS conversion_365d,
       coalesce(t.top_classes, []) AS top_classes, coalesce(t.top_browsed_classes, []) AS top_browsed_classes,
       coalesce(t.top_domains, []) AS top_domains
FROM agg_rolled r
JOIN agg_keys k ON k.key_id = r.key_id AND k.level = 'total'
LEFT JOIN agg_conversions c ON c.customer_id = r.customer_id AND c.key_id = r.key_id
LEFT JOIN tops t ON t.customer_id = r.customer_id
ORDER BY r.customer_id;

-- rows
SELECT count(*) FROM aggregates;

-- create table domain_spend
SELECT k.key AS domain, round(sum(s.spend_30d), 2) AS spend_30d, round(sum(s.spend_90d), 2) AS spend_90d, round(sum(s.spend_365d), 2) AS spend_365d, round(sum(s.spend_all), 2) AS spend_all
FROM agg_class_spend s JOIN agg_members m USING (class_id) JOIN agg_keys k USING (key_id)
WHERE m.level = 'domain'
GROUP BY k.key
ORDER BY k.key;

-- create temp table signal_rules
SELECT * FROM signal_rules_arrow;

-- create temp table signal_evidence
SELECT * FROM signal_evidence_arrow;

-- create temp table signal_evidence_classes
SELECT * FROM signal_evidence_classes_arrow;

-- create temp table signal_sequences
SELECT * FROM signal_sequences_arrow;

-- create temp table signal_conditions
SELECT * FROM signal_conditions_arrow;

-- create temp table need_definitions
SELECT * FROM need_definitions_arrow;

-- create temp table need_classes
SELECT * FROM need_classes_arrow;

-- create table customer_metrics
WITH card AS (
    SELECT customer_id, sum(amount) AS card_spend_30d FROM customer_events
    WHERE kind = 'card' AND date_diff('day', CAST(event_time AS DATE), DATE '2024-05-02') < 30
    GROUP BY customer_id)
SELECT c.customer_id, c.income, c.debt, c.credit_limit,
       c.debt * 0.03 AS debt_service,
       c.income * 0.5 - c.debt * 0.03 AS instalment_room,
       CASE WHEN c.income > 0 THEN c.debt / (12 * c.income) END AS debt_to_income,
       coalesce(k.card_spend_30d, 0) AS card_spend_30d,
       c.credit_limit - coalesce(k.card_spend_30d, 0) AS credit_headroom,
       CAST(year(DATE '2024-05-02') - year(c.birth_date)
            - CASE WHEN strftime(c.birth_date, '%m%d') > strftime(DATE '2024-05-02', '%m%d') THEN 1 ELSE 0 END
            AS INTEGER) AS age
FROM customers c LEFT JOIN card k USING (customer_id)
ORDER BY c.customer_id   -- each customer part reads its own row groups;

-- rows
SELECT count(*) FROM customer_metrics;

-- create temp table need_measures
WITH e AS (
    SELECT e.customer_id, c.need, d.window_days, e.kind, e.class, e.amount, e.event_time,
           date_diff('day', CAST(e.event_time AS DATE), DATE '2024-05-02') AS age_days
    FROM customer_events e JOIN need_classes c ON c.class = e.class JOIN need_definitions d USING (need)
    WHERE TRUE)
SELECT customer_id, need, any_value(window_days) AS window_days,
       count(*) FILTER (WHERE age_days < window_days) AS events,
       coalesce(sum(pow(0.5, age_days / 45.0))
                FILTER (WHERE age_days < window_days), 0) AS weighted_events,
       coalesce(sum(amount) FILTER (WHERE age_days < window_days AND kind <> 'browse'), 0) AS spend,
       count(DISTINCT CAST(event_time AS DATE)) FILTER (WHERE age_days < window_days) AS active_days,
       count(DISTINCT class) FILTER (WHERE age_days < window_days) AS breadth,
       min(event_time) FILTER (WHERE age_days < window_days) AS first_at,
       max(event_time) FILTER (WHERE age_days < window_days) AS last_at,
       count(*) FILTER (WHERE age_days < 30) AS events_30d, count(*) FILTER (WHERE age_days < 90) AS events_90d, count(*) FILTER (WHERE age_days < 365) AS events_365d, round(coalesce(sum(amount) FILTER (WHERE age_days < 30 AND kind <> 'browse'), 0), 2) AS spend_30d, round(coalesce(sum(amount) FILTER (WHERE age_days < 90 AND kind <> 'browse'), 0), 2) AS spend_90d, round(coalesce(sum(amount) FILTER (WHERE age_days < 365 AND kind <> 'browse'), 0), 2) AS spend_365d
FROM e GROUP BY customer_id, need;

-- rows
SELECT DISTINCT window_days FROM need_definitions ORDER BY 1;

-- create table need_baselines
WITH p AS (SELECT count(DISTINCT customer_id) FILTER (WHERE age_days < 90) AS active_90
           FROM (SELECT customer_id, date_diff('day', CAST(event_time AS DATE), DATE '2024-05-02') AS age_days
                 FROM customer_events)),
sums AS (SELECT need, sum(weighted_events) AS weighted_events, sum(spend) AS spend,
                sum(active_days) AS active_days, sum(breadth) AS breadth
         FROM need_measures GROUP BY need),
pop AS (SELECT d.need, d.window_days, CASE d.window_days WHEN 90 THEN p.active_90 END AS population FROM need_definitions d CROSS JOIN p)
SELECT p.need, p.window_days, p.population,
       coalesce(s.weighted_events, 0) / nullif(p.population, 0) AS weighted_events,
       coalesce(s.spend, 0) / nullif(p.population, 0) AS spend,
       coalesce(s.active_days, 0) / nullif(p.population, 0) AS active_days,
       coalesce(s.breadth, 0) / nullif(p.population, 0) AS breadth, DATE '2024-05-02' AS learned_as_of
FROM pop p LEFT JOIN sums s USING (need) ORDER BY p.need;

-- create table need_scores
WITH lifted AS (
    SELECT m.customer_id, m.need, m.window_days, m.events, round(m.weighted_events, 4) AS weighted_events,
           round(m.spend, 2) AS spend, m.active_days, m.breadth, m.first_at, m.last_at, coalesce(round(m.weighted_events / nullif(b.weighted_events, 0), 4), 0) AS lift_events, coalesce(round(m.spend / nullif(b.spend, 0), 4), 0) AS lift_spend, coalesce(round(m.active_days / nullif(b.active_days, 0), 4), 0) AS lift_active_days, coalesce(round(m.breadth / nullif(b.breadth, 0), 4), 0) AS lift_breadth,
           coalesce(round((CASE WHEN b.weighted_events > 0 THEN 1.0 ELSE 0 END * least(coalesce(m.weighted_events / nullif(b.weighted_events, 0), 0), 10.0) + CASE WHEN b.spend > 0 THEN 1.0 ELSE 0 END * least(coalesce(m.spend / nullif(b.spend, 0), 0), 10.0) + CASE WHEN b.active_days > 0 THEN 1.0 ELSE 0 END * least(coalesce(m.active_days / nullif(b.active_days, 0), 0), 10.0) + CASE WHEN b.breadth > 0 THEN 1.0 ELSE 0 END * least(coalesce(m.breadth / nullif(b.breadth, 0), 0), 10.0)) / nullif(CASE WHEN b.weighted_events > 0 THEN 1.0 ELSE 0 END + CASE WHEN b.spend > 0 THEN 1.0 ELSE 0 END + CASE WHEN b.active_days > 0 THEN 1.0 ELSE 0 END + CASE WHEN b.breadth > 0 THEN 1.0 ELSE 0 END, 0), 4), 0) AS score,
           m.events_30d, m.events_90d, m.events_365d, m.spend_30d, m.spend_90d, m.spend_365d
    FROM need_measures m JOIN need_baselines b USING (need))
SELECT l.customer_id, l.need, l.window_days, l.events, l.weighted_events, l.spend, l.active_days, l.breadth,
       l.first_at, l.last_at, l.lift_events, l.lift_spend, l.lift_active_days, l.lift_breadth, l.score,
       l.score >= d.min_score AND l.events >= d.min_events AS fired, CAST(l.last_at AS DATE) AS act_on,
       l.events_30d, l.events_90d, l.events_365d, l.spend_30d, l.spend_90d, l.spend_365d
FROM lifted l JOIN need_definitions d USING (need)
ORDER BY l.customer_id, d.ord   -- each customer part of the signals and profiles reads its own row groups;

-- rows
SELECT count(*) FROM need_scores;

-- create temp table signal_matches
SELECT e.customer_id, x.rule, x.item, e.kind, e.event_id, e.account_id, e.platform, e.event_time,
       e.category, e.merchant, e.class, e.amount, e.quantity, e.action, e.dwell_seconds, e.attribution,
       e.probability, e.match_weight, e.device,
       CAST(row_number() OVER (PARTITION BY e.customer_id, x.rule, x.item
                               ORDER BY e.event_time DESC, e.event_id) AS INTEGER) AS latest
FROM customer_events e
JOIN signal_evidence_classes c ON c.class = e.class
JOIN signal_evidence x ON x.rule = c.rule AND x.item = c.item
WHERE (x.kind = 'any' OR x.kind = e.kind OR (x.kind = 'spend' AND e.kind IN ('purchase', 'card')))
  AND date_diff('day', CAST(e.event_time AS DATE), DATE '2024-05-02') < x.window_days
  AND (len(x.actions) = 0 OR list_contains(x.actions, e.action)) AND TRUE;

-- create temp table signal_item_stats
SELECT customer_id, rule, item, count(*) AS n, coalesce(sum(amount), 0) AS amount,
       coalesce(sum(dwell_seconds), 0) AS dwell_seconds, count(DISTINCT CAST(event_time AS DATE)) AS days,
       min(event_time) AS first_at, max(event_time) AS last_at, max(probability) AS confidence
FROM signal_matches
GROUP BY customer_id, rule, item;

-- create temp table signal_candidates
SELECT DISTINCT s.customer_id, s.rule FROM signal_item_stats s
JOIN signal_evidence x ON x.rule = s.rule AND x.item = s.item AND NOT x.absent;

-- create temp table signal_pairs
SELECT a.customer_id, q.rule, q.item, least(a.probability, b.probability) AS confidence,
       a.event_time AS first_time, b.event_time AS then_time,
       {'first': {'kind': a.kind, 'event_id': a.event_id, 'time': CAST(a.event_time AS VARCHAR),
                  'account_id': a.account_id},
        'then': {'kind': b.kind, 'event_id': b.event_id, 'time': CAST(b.event_time AS VARCHAR),
                 'account_id': b.account_id},
        'gap_days': round(date_diff('second', a.event_time, b.event_time) / 86400.0, 1)} AS pair
FROM signal_sequences q
JOIN signal_matches a ON a.rule = q.rule AND a.item = q.first_item
JOIN signal_matches b ON b.rule = q.rule AND b.item = q.then_item AND b.customer_id = a.customer_id
WHERE date_diff('second', a.event_time, b.event_time) BETWEEN q.min_gap_days * 86400 AND q.max_gap_days * 86400
  AND NOT (a.kind = b.kind AND a.event_id = b.event_id);

-- create temp table signal_parts
WITH evidence AS (
    SELECT c.customer_id, x.rule, x.item, x.required, x.weight, x.ord, x.absent,
           coalesce(s.n, 0) >= x.min_count AND coalesce(s.amount, 0) >= x.min_amount
               AND coalesce(s.dwell_seconds, 0) >= x.min_dwell_seconds AND coalesce(s.days, 0) >= x.min_days
               AND coalesce(s.n, 0) > 0 AS met,
           s.n, s.amount, s.dwell_seconds, s.days, s.first_at, s.last_at, s.confidence, x.kind,
           x.window_days
    FROM signal_candidates c JOIN signal_evidence x USING (rule)
    LEFT JOIN signal_item_stats s ON s.customer_id = c.customer_id AND s.rule = x.rule AND s.item = x.item),
sequences AS (
    SELECT c.customer_id, q.rule, q.item, q.required, q.weight, q.ord, q.first_item, q.then_item,
           q.min_gap_days, q.max_gap_days, p.confidence, p.pair
    FROM signal_candidates c JOIN signal_sequences q USING (rule)
    LEFT JOIN (SELECT customer_id, rule, item, confidence, pair FROM signal_pairs   -- the surest, earliest
               QUALIFY row_number() OVER (PARTITION BY customer_id, rule, item ORDER BY confidence DESC,
                   first_time, then_time, pair.first.event_id, pair.then.event_id) = 1) p
        ON p.customer_id = c.customer_id AND p.rule = q.rule AND p.item = q.item),
conditions AS (
    SELECT c.customer_id, k.rule, k.item, k.required, k.weight, k.ord, k.metric, k.min, k.max,
           CASE k.metric WHEN 'income' THEN CAST(m.income AS DOUBLE) WHEN 'debt' THEN CAST(m.debt AS DOUBLE) WHEN 'credit_limit' THEN CAST(m.credit_limit AS DOUBLE) WHEN 'debt_service' THEN CAST(m.debt_service AS DOUBLE) WHEN 'instalment_room' THEN CAST(m.instalment_room AS DOUBLE) WHEN 'debt_to_income' THEN CAST(m.debt_to_income AS DOUBLE) WHEN 'card_spend_30d' THEN CAST(m.card_spend_30d AS DOUBLE) WHEN 'credit_headroom' THEN CAST(m.credit_headroom AS DOUBLE) WHEN 'age' THEN CAST(m.age AS DOUBLE) END AS value
    FROM signal_candidates c JOIN signal_conditions k USING (rule)
    LEFT JOIN (SELECT * FROM customer_metrics WHERE TRUE) m ON m.customer_id = c.customer_id)
SELECT customer_id, rule, 0 AS part_ord, ord, required, weight,
       CASE WHEN absent THEN NOT met ELSE met END AS holds,
       CASE WHEN absent THEN 1.0 ELSE coalesce(confidence, 0) END AS confidence,
       to_json({'part': 'evidence', 'id': item, 'kind': kind, 'window_days': window_days,
                 'absent': absent, 'required': required, 'weight': weight,
                 'holds': CASE WHEN absent THEN NOT met ELSE met END, 'count': coalesce(n, 0),
                 'amount': round(coalesce(amount, 0), 2), 'dwell_seconds': round(coalesce(dwell_seconds, 0), 1),
                 'days': coalesce(days, 0), 'first_at': CAST(first_at AS VARCHAR),
                 'last_at': CAST(last_at AS VARCHAR), 'confidence': confidence}) AS detail
FROM evidence
UNION ALL
SELECT customer_id, rule, 1, ord, required, weight, pair IS NOT NULL, coalesce(confidence, 0),
       to_json({'part': 'sequence', 'id': item, 'first': first_item, 'then': then_item,
                 'min_gap_days': min_gap_days, 'max_gap_days': max_gap_days, 'required': required,
                 'weight': weight, 'holds': pair IS NOT NULL, 'confidence': confidence, 'example': pair})
FROM sequences
UNION ALL
SELECT customer_id, rule, 2, ord, required, weight,
       coalesce(value >= coalesce(min, value) AND value <= coalesce(max, value), false), 1.0,
       to_json({'part': 'condition', 'id': item, 'metric': metric, 'min': min, 'max': max,
                 'value': round(value, 2), 'required': required, 'weight': weight,
                 'holds': coalesce(value >= coalesce(min, value) AND value <= coalesce(max, value), false)})
FROM conditions;

-- create temp table signal_part_scores
SELECT *, gate AND score >= min_score AS fired
FROM (SELECT p.customer_id, p.rule, r.need,
             round(sum(p.weight * CASE WHEN p.holds THEN p.confidence ELSE 0 END) / sum(p.weight), 4)
                 AS score,
             bool_and(p.holds OR NOT p.required) AS gate, r.min_score, r.ord AS rule_ord,
             list(p.detail ORDER BY p.part_ord, p.ord) AS parts
      FROM signal_parts p JOIN signal_rules r USING (rule)
      GROUP BY p.customer_id, p.rule, r.need, r.min_score, r.ord);

-- create temp table signal_rule_best
WITH best AS (
    SELECT * FROM signal_part_scores WHERE fired
    QUALIFY row_number() OVER (PARTITION BY customer_id, need ORDER BY score DESC, rule_ord) = 1),
used AS (   -- events of the parts that hold (absent parts have none)
    SELECT m.* FROM signal_matches m JOIN best b USING (customer_id, rule)
    JOIN signal_evidence x ON x.rule = m.rule AND x.item = m.item AND NOT x.absent),
accounts AS (   -- every account behind the events, with the score of its link to the customer
    SELECT u.customer_id, u.rule,
           list({'account_id': u.account_id, 'platform': la.platform, 'probability': la.probability,
                  'match_weight': la.match_weight, 'events': u.n} ORDER BY u.account_id) AS accounts
    FROM (SELECT customer_id, rule, account_id, count(DISTINCT kind || ':' || event_id) AS n
          FROM used WHERE account_id IS NOT NULL GROUP BY customer_id, rule, account_id) u
    JOIN (SELECT * FROM linked_accounts WHERE TRUE) la
        ON la.account_id = u.account_id AND la.customer_id = u.customer_id
    GROUP BY u.customer_id, u.rule),
devices AS (
    SELECT customer_id, rule,
           list({'device': device, 'via_account': account_id, 'probability': probability,
                  'events': n} ORDER BY device) AS devices
    FROM (SELECT customer_id, rule, device, account_id, max(probability) AS probability,
                 count(DISTINCT event_id) AS n
          FROM used WHERE attribution = 'device' GROUP BY customer_id, rule, device, account_id)
    GROUP BY customer_id, rule),
cards AS (
    SELECT customer_id, rule, count(DISTINCT event_id) FILTER (WHERE kind = 'card') AS card_transactions,
           max(event_time) AS last_at
    FROM used GROUP BY customer_id, rule)
SELECT b.customer_id, b.need, b.rule, b.score AS rule_score, r.action, r.recommend, r.suppress,
       r.horizon_days, CAST(c.last_at AS DATE) AS act_on, b.parts, coalesce(a.accounts, []) AS accounts,
       coalesce(d.devices, []) AS devices, coalesce(c.card_transactions, 0) AS card_transactions,
       r.description, r.min_score
FROM best b JOIN signal_rules r USING (rule)
LEFT JOIN accounts a USING (customer_id, rule) LEFT JOIN devices d USING (customer_id, rule)
LEFT JOIN cards c USING (customer_id, rule);

-- create temp table signal_rows
SELECT coalesce(e.customer_id, r.customer_id) AS customer_id, coalesce(e.need, r.need) AS need,
       coalesce(e.fired, false) AS engaged, r.rule IS NOT NULL AS ruled, e.score, r.rule, r.rule_score,
       coalesce(r.action, d.action) AS action, coalesce(r.recommend, d.recommend) AS recommend,
       coalesce(r.suppress, d.suppress) AS suppress, coalesce(r.horizon_days, d.window_days) AS horizon_days,
       CASE WHEN coalesce(e.fired, false) THEN greatest(e.act_on, r.act_on) ELSE r.act_on END AS act_on,
       d.ord AS need_ord,
       {'score': e.score, 'min_score': d.min_score, 'min_events': d.min_events,
         'window_days': d.window_days, 'fired': coalesce(e.fired, false), 'events': e.events,
         'weighted_events': e.weighted_events, 'spend': e.spend, 'active_days': e.active_days,
         'breadth': e.breadth, 'first_at': CAST(e.first_at AS VARCHAR),
         'last_at': CAST(e.last_at AS VARCHAR),
         'lifts': {'events': e.lift_events, 'spend': e.lift_spend, 'active_days': e.lift_active_days,
                    'breadth': e.lift_breadth},
         'baseline': {'population': bl.population, 'weighted_events': round(bl.weighted_events, 4),
                       'spend': round(bl.spend, 2), 'active_days': round(bl.active_days, 4),
                       'breadth': round(bl.breadth, 4)}} AS engagement,
       r.description, r.min_score, r.parts, r.accounts, r.devices, r.card_transactions
FROM (SELECT * FROM need_scores WHERE TRUE) e
FULL JOIN signal_rule_best r USING (customer_id, need)
JOIN need_definitions d ON d.need = coalesce(e.need, r.need)
LEFT JOIN need_baselines bl ON bl.need = d.need
WHERE coalesce(e.fired, false) OR date_diff('day', r.act_on, DATE '2024-05-02') < d.window_days;

-- create table signals
WITH bought AS (
    SELECT s.customer_id, s.need, list_sort(list(DISTINCT e.class)) AS classes
    FROM signal_rows s
    JOIN customer_events e ON e.customer_id = s.customer_id AND list_contains(s.recommend, e.class)
    WHERE e.kind IN ('purchase', 'card') AND date_diff('day', CAST(e.event_time AS DATE), DATE '2024-05-02') < s.horizon_days
      AND TRUE
    GROUP BY s.customer_id, s.need),
found AS (
    SELECT s.customer_id, s.need, coalesce(s.score, 0) AS score,
           CASE WHEN s.engaged AND s.ruled THEN 'both' WHEN s.engaged THEN 'engagement' ELSE 'rule' END
               AS found_by,
           s.rule, s.rule_score, s.action,
           list_filter(s.recommend, lambda x: NOT list_contains(coalesce(bo.classes, []), x)) AS recommend,
           s.suppress, s.act_on,
           CAST(to_json({'need': s.need, 'engagement': s.engagement, 'rule': s.rule,
                         'description': s.description, 'score': s.rule_score, 'min_score': s.min_score})
                AS VARCHAR) AS head,
           coalesce('[' || array_to_string(s.parts, ',') || ']', 'null') AS parts,
           CAST(to_json({'accounts': coalesce(s.accounts, []), 'devices': coalesce(s.devices, []),
                         'card_transactions': coalesce(s.card_transactions, 0),
                         'already_bought': coalesce(bo.classes, [])}) AS VARCHAR) AS tail
    FROM signal_rows s LEFT JOIN bought bo USING (customer_id, need))
SELECT customer_id, need, score, found_by, rule, rule_score, action, recommend, suppress, act_on,
       substr(head, 1, length(head) - 1) || ',"parts":' || parts || ',' || substr(tail, 2) AS evidence,
       DATE '2024-05-02' AS as_of
FROM found
ORDER BY customer_id, need;

-- create table signal_events
SELECT s.customer_id, s.need, s.rule, m.item, m.latest, m.kind, m.event_id, m.event_time, m.category,
       m.class, m.merchant, m.amount, m.action, m.dwell_seconds, m.account_id, m.attribution, m.device,
       m.probability
FROM signal_rows s
JOIN signal_matches m ON m.customer_id = s.customer_id AND m.rule = s.rule AND m.latest <= 20
JOIN signal_evidence x ON x.rule = m.rule AND x.item = m.item
ORDER BY s.customer_id, s.need, x.ord, m.latest;

-- create table signal_scores
SELECT * EXCLUDE (parts) FROM signal_part_scores;

-- rows
SELECT count(*) FROM signals;

-- rows
SELECT need, count(*) FROM signals GROUP BY need ORDER BY need;

-- create temp table profile_accounts
SELECT customer_id,
       list(account_id ORDER BY account_id) FILTER (WHERE decision = 'linked') AS linked_accounts,
       list(account_id ORDER BY account_id) FILTER (WHERE decision = 'ambiguous') AS ambiguous_accounts
FROM links GROUP BY customer_id;

-- create temp table profile_platforms
SELECT customer_id, list(platform ORDER BY platform) AS platforms   -- a scan of every event
FROM (SELECT DISTINCT customer_id, platform FROM customer_events WHERE platform IS NOT NULL)
GROUP BY customer_id;

-- create temp table profile_base
SELECT c.customer_id, c.name, c.gender, c.birth_date, m.age, c.city, c.status, c.income, c.debt,
       c.credit_limit, round(m.instalment_room, 2) AS instalment_room,
       round(m.debt_to_income, 4) AS debt_to_income, round(m.credit_headroom, 2) AS credit_headroom,
       k.cluster_id
FROM customers c
LEFT JOIN customer_metrics m USING (customer_id)
LEFT JOIN (SELECT member_id AS customer_id, cluster_id FROM clusters WHERE member_kind = 'customer') k
    USING (customer_id);

-- create temp table profile_base
SELECT b.*, coalesce(a.linked_accounts, []) AS linked_accounts,
       coalesce(a.ambiguous_accounts, []) AS ambiguous_accounts, coalesce(p.platforms, []) AS platforms
FROM profile_base b
LEFT JOIN profile_accounts a USING (customer_id)
LEFT JOIN profile_platforms p USING (customer_id)
ORDER BY b.customer_id;

-- create temp table profile_needs
SELECT customer_id, list(need ORDER BY score DESC, need) AS needs,
       to_json(list({'need': need, 'score': score, 'action': action, 'recommend': recommend,
                      'suppress': suppress} ORDER BY score DESC, need)) AS signals
FROM signals WHERE TRUE GROUP BY customer_id;

-- create temp table profile_need_columns
SELECT customer_id, max(score) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_score, max(score) FILTER (WHERE need = 'computer') AS computer_score, max(score) FILTER (WHERE need = 'photography') AS photography_score, max(score) FILTER (WHERE need = 'baby') AS baby_score, max(score) FILTER (WHERE need = 'car') AS car_score, max(score) FILTER (WHERE need = 'travel') AS travel_score, max(score) FILTER (WHERE need = 'education') AS education_score, bool_or(signalled) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_fired, bool_or(signalled) FILTER (WHERE need = 'computer') AS computer_fired, bool_or(signalled) FILTER (WHERE need = 'photography') AS photography_fired, bool_or(signalled) FILTER (WHERE need = 'baby') AS baby_fired, bool_or(signalled) FILTER (WHERE need = 'car') AS car_fired, bool_or(signalled) FILTER (WHERE need = 'travel') AS travel_fired, bool_or(signalled) FILTER (WHERE need = 'education') AS education_fired, max(signal_action) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_action, max(signal_action) FILTER (WHERE need = 'computer') AS computer_action, max(signal_action) FILTER (WHERE need = 'photography') AS photography_action, max(signal_action) FILTER (WHERE need = 'baby') AS baby_action, max(signal_action) FILTER (WHERE need = 'car') AS car_action, max(signal_action) FILTER (WHERE need = 'travel') AS travel_action, max(signal_action) FILTER (WHERE need = 'education') AS education_action, max(signal_act_on) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_act_on, max(signal_act_on) FILTER (WHERE need = 'computer') AS computer_act_on, max(signal_act_on) FILTER (WHERE need = 'photography') AS photography_act_on, max(signal_act_on) FILTER (WHERE need = 'baby') AS baby_act_on, max(signal_act_on) FILTER (WHERE need = 'car') AS car_act_on, max(signal_act_on) FILTER (WHERE need = 'travel') AS travel_act_on, max(signal_act_on) FILTER (WHERE need = 'education') AS education_act_on, max(events_30d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_events_30d, max(events_30d) FILTER (WHERE need = 'computer') AS computer_events_30d, max(events_30d) FILTER (WHERE need = 'photography') AS photography_events_30d, max(events_30d) FILTER (WHERE need = 'baby') AS baby_events_30d, max(events_30d) FILTER (WHERE need = 'car') AS car_events_30d, max(events_30d) FILTER (WHERE need = 'travel') AS travel_events_30d, max(events_30d) FILTER (WHERE need = 'education') AS education_events_30d, max(events_90d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_events_90d, max(events_90d) FILTER (WHERE need = 'computer') AS computer_events_90d, max(events_90d) FILTER (WHERE need = 'photography') AS photography_events_90d, max(events_90d) FILTER (WHERE need = 'baby') AS baby_events_90d, max(events_90d) FILTER (WHERE need = 'car') AS car_events_90d, max(events_90d) FILTER (WHERE need = 'travel') AS travel_events_90d, max(events_90d) FILTER (WHERE need = 'education') AS education_events_90d, max(events_365d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_events_365d, max(events_365d) FILTER (WHERE need = 'computer') AS computer_events_365d, max(events_365d) FILTER (WHERE need = 'photography') AS photography_events_365d, max(events_365d) FILTER (WHERE need = 'baby') AS baby_events_365d, max(events_365d) FILTER (WHERE need = 'car') AS car_events_365d, max(events_365d) FILTER (WHERE need = 'travel') AS travel_events_365d, max(events_365d) FILTER (WHERE need = 'education') AS education_events_365d, max(spend_30d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_spend_30d, max(spend_30d) FILTER (WHERE need = 'computer') AS computer_spend_30d, max(spend_30d) FILTER (WHERE need = 'photography') AS photography_spend_30d, max(spend_30d) FILTER (WHERE need = 'baby') AS baby_spend_30d, max(spend_30d) FILTER (WHERE need = 'car') AS car_spend_30d, max(spend_30d) FILTER (WHERE need = 'travel') AS travel_spend_30d, max(spend_30d) FILTER (WHERE need = 'education') AS education_spend_30d, max(spend_90d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_spend_90d, max(spend_90d) FILTER (WHERE need = 'computer') AS computer_spend_90d, max(spend_90d) FILTER (WHERE need = 'photography') AS photography_spend_90d, max(spend_90d) FILTER (WHERE need = 'baby') AS baby_spend_90d, max(spend_90d) FILTER (WHERE need = 'car') AS car_spend_90d, max(spend_90d) FILTER (WHERE need = 'travel') AS travel_spend_90d, max(spend_90d) FILTER (WHERE need = 'education') AS education_spend_90d, max(spend_365d) FILTER (WHERE need = 'home_furnishing') AS home_furnishing_spend_365d, max(spend_365d) FILTER (WHERE need = 'computer') AS computer_spend_365d, max(spend_365d) FILTER (WHERE need = 'photography') AS photography_spend_365d, max(spend_365d) FILTER (WHERE need = 'baby') AS baby_spend_365d, max(spend_365d) FILTER (WHERE need = 'car') AS car_spend_365d, max(spend_365d) FILTER (WHERE need = 'travel') AS travel_spend_365d, max(spend_365d) FILTER (WHERE need = 'education') AS education_spend_365d
FROM (SELECT coalesce(n.customer_id, s.customer_id) AS customer_id, coalesce(n.need, s.need) AS need,
             n.* EXCLUDE (customer_id, need), s.need IS NOT NULL AS signalled, s.action AS signal_action,
             s.act_on AS signal_act_on
      FROM (SELECT * FROM need_scores WHERE TRUE) n
      FULL JOIN (SELECT customer_id, need, action, act_on FROM signals WHERE TRUE) s
          USING (customer_id, need))
GROUP BY customer_id;

-- create table profiles
SELECT 3 AS profile_schema_version, c.*,
       t.first_seen, t.last_seen, t.recency_days, coalesce(t.active_days, 0) AS active_days,
       coalesce(t.events, 0) AS events, coalesce(t.device_events, 0) AS device_events, coalesce(t.spend_30d, 0) AS spend_30d, coalesce(t.spend_90d, 0) AS spend_90d, coalesce(t.spend_365d, 0) AS spend_365d, coalesce(t.orders_30d, 0) AS orders_30d, coalesce(t.orders_90d, 0) AS orders_90d, coalesce(t.orders_365d, 0) AS orders_365d, coalesce(t.card_txns_30d, 0) AS card_txns_30d, coalesce(t.card_txns_90d, 0) AS card_txns_90d, coalesce(t.card_txns_365d, 0) AS card_txns_365d, coalesce(t.browse_events_30d, 0) AS browse_events_30d, coalesce(t.browse_events_90d, 0) AS browse_events_90d, coalesce(t.browse_events_365d, 0) AS browse_events_365d, coalesce(t.dwell_seconds_30d, 0) AS dwell_seconds_30d, coalesce(t.dwell_seconds_90d, 0) AS dwell_seconds_90d, coalesce(t.dwell_seconds_365d, 0) AS dwell_seconds_365d, t.conversion_30d, t.conversion_90d, t.conversion_365d,
       coalesce(t.top_classes, []) AS top_classes, coalesce(t.top_browsed_classes, []) AS top_browsed_classes,
       coalesce(t.top_domains, []) AS top_domains, coalesce(n.needs, []) AS needs, coalesce(nc.home_furnishing_score, 0) AS home_furnishing_score, coalesce(nc.home_furnishing_fired, false) AS home_furnishing_fired, nc.home_furnishing_action, nc.home_furnishing_act_on, coalesce(nc.home_furnishing_events_30d, 0) AS home_furnishing_events_30d, coalesce(nc.home_furnishing_events_90d, 0) AS home_furnishing_events_90d, coalesce(nc.home_furnishing_events_365d, 0) AS home_furnishing_events_365d, coalesce(nc.home_furnishing_spend_30d, 0) AS home_furnishing_spend_30d, coalesce(nc.home_furnishing_spend_90d, 0) AS home_furnishing_spend_90d, coalesce(nc.home_furnishing_spend_365d, 0) AS home_furnishing_spend_365d, coalesce(nc.computer_score, 0) AS computer_score, coalesce(nc.computer_fired, false) AS computer_fired, nc.computer_action, nc.computer_act_on, coalesce(nc.computer_events_30d, 0) AS computer_events_30d, coalesce(nc.computer_events_90d, 0) AS computer_events_90d, coalesce(nc.computer_events_365d, 0) AS computer_events_365d, coalesce(nc.computer_spend_30d, 0) AS computer_spend_30d, coalesce(nc.computer_spend_90d, 0) AS computer_spend_90d, coalesce(nc.computer_spend_365d, 0) AS computer_spend_365d, coalesce(nc.photography_score, 0) AS photography_score, coalesce(nc.photography_fired, false) AS photography_fired, nc.photography_action, nc.photography_act_on, coalesce(nc.photography_events_30d, 0) AS photography_events_30d, coalesce(nc.photography_events_90d, 0) AS photography_events_90d, coalesce(nc.photography_events_365d, 0) AS photography_events_365d, coalesce(nc.photography_spend_30d, 0) AS photography_spend_30d, coalesce(nc.photography_spend_90d, 0) AS photography_spend_90d, coalesce(nc.photography_spend_365d, 0) AS photography_spend_365d, coalesce(nc.baby_score, 0) AS baby_score, coalesce(nc.baby_fired, false) AS baby_fired, nc.baby_action, nc.baby_act_on, coalesce(nc.baby_events_30d, 0) AS baby_events_30d, coalesce(nc.baby_events_90d, 0) AS baby_events_90d, coalesce(nc.baby_events_365d, 0) AS baby_events_365d, coalesce(nc.baby_spend_30d, 0) AS baby_spend_30d, coalesce(nc.baby_spend_90d, 0) AS baby_spend_90d, coalesce(nc.baby_spend_365d, 0) AS baby_spend_365d, coalesce(nc.car_score, 0) AS car_score, coalesce(nc.car_fired, false) AS car_fired, nc.car_action, nc.car_act_on, coalesce(nc.car_events_30d, 0) AS car_events_30d, coalesce(nc.car_events_90d, 0) AS car_events_90d, coalesce(nc.car_events_365d, 0) AS car_events_365d, coalesce(nc.car_spend_30d, 0) AS car_spend_30d, coalesce(nc.car_spend_90d, 0) AS car_spend_90d, coalesce(nc.car_spend_365d, 0) AS car_spend_365d, coalesce(nc.travel_score, 0) AS travel_score, coalesce(nc.travel_fired, false) AS travel_fired, nc.travel_action, nc.travel_act_on, coalesce(nc.travel_events_30d, 0) AS travel_events_30d, coalesce(nc.travel_events_90d, 0) AS travel_events_90d, coalesce(nc.travel_events_365d, 0) AS travel_events_365d, coalesce(nc.travel_spend_30d, 0) AS travel_spend_30d, coalesce(nc.travel_spend_90d, 0) AS travel_spend_90d, coalesce(nc.travel_spend_365d, 0) AS travel_spend_365d, coalesce(nc.education_score, 0) AS education_score, coalesce(nc.education_fired, false) AS education_fired, nc.education_action, nc.education_act_on, coalesce(nc.education_events_30d, 0) AS education_events_30d, coalesce(nc.education_events_90d, 0) AS education_events_90d, coalesce(nc.education_events_365d, 0) AS education_events_365d, coalesce(nc.education_spend_30d, 0) AS education_spend_30d, coalesce(nc.education_spend_90d, 0) AS education_spend_90d, coalesce(nc.education_spend_365d, 0) AS education_spend_365d,
       coalesce(n.signals, json('[]')) AS signals, DATE '2024-05-02' AS as_of
FROM (SELECT * FROM profile_base WHERE TRUE) c
LEFT JOIN (SELECT * FROM customer_totals WHERE TRUE) t USING (customer_id)
LEFT JOIN profile_needs n USING (customer_id)
LEFT JOIN profile_need_columns nc USING (customer_id)
ORDER BY c.customer_id;

-- rows
SELECT count(*) FROM profiles;

-- create table enrichment_info
SELECT * FROM enrichment_info_arrow;
