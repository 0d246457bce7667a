"""Identity clusters: connected components computed in SQL, with IDs that stay stable across runs.

A cluster holds a customer, the accounts linked to it, and — through ambiguous links — the other customers
competing for those accounts (a household sharing a device ends up in one cluster). Cluster IDs are a hash
of the smallest customer key among the members (of the smallest account key when there is no customer), so the
same input always gives the same IDs, and a customer's cluster keeps its ID when accounts join or leave it.
"""

from __future__ import annotations

import duckdb

from linker.engine import Engine, as_engine


def connected_components(engine: Engine | duckdb.DuckDBPyConnection, edges: str, nodes: str, target: str) -> int:
    """Label every node with the smallest node key of its component.

    Parameters
    ----------
    engine
        DuckDB connection.
    edges
        Relation with VARCHAR columns ``src, dst`` (undirected).
    nodes
        Relation with a VARCHAR column ``node`` (isolated nodes become singleton components).
    target
        Table to create, with columns ``node, component``.

    Returns
    -------
    int
        The number of propagation rounds it took.

    Notes
    -----
    Min-label propagation with pointer jumping: each round every node takes the smallest label among its
    neighbours, then the label of its label. Rounds are O(log diameter) in practice; each is a hash join,
    O(V + E).
    """
    engine = as_engine(engine)
    engine.create_table("cc_nodes", f"""
        SELECT node, row_number() OVER (ORDER BY node) AS id
        FROM (SELECT node FROM {nodes} UNION SELECT src FROM {edges} UNION SELECT dst FROM {edges})
    """)
    engine.create_table("cc_edges", f"""
        SELECT a.id AS src, b.id AS dst FROM {edges} e JOIN cc_nodes a ON a.node = e.src JOIN cc_nodes b ON b.node = e.dst
        UNION SELECT b.id, a.id FROM {edges} e JOIN cc_nodes a ON a.node = e.src JOIN cc_nodes b ON b.node = e.dst
    """)
    engine.create_table("cc_labels", "SELECT id, id AS label FROM cc_nodes")
    rounds = 0
    while True:
        rounds += 1
        engine.create_table("cc_next", """
            WITH spread AS (
                SELECT l.id, least(l.label, coalesce(min(n.label), l.label)) AS label
                FROM cc_labels l LEFT JOIN cc_edges e ON e.src = l.id LEFT JOIN cc_labels n ON n.id = e.dst
                GROUP BY l.id, l.label)
            SELECT s.id, least(s.label, j.label) AS label FROM spread s JOIN spread j ON j.id = s.label
        """)
        changed = engine.scalar("""
            SELECT count(*) FROM cc_next n JOIN cc_labels l USING (id) WHERE n.label <> l.label
        """)
        engine.rename("cc_next", "cc_labels")
        if changed == 0:
            break
    engine.create_table(target, """
        SELECT n.node, c.node AS component
        FROM cc_labels l JOIN cc_nodes n ON n.id = l.id JOIN cc_nodes c ON c.id = l.label
    """, kind="table")
    engine.drop("cc_labels", "cc_edges", "cc_nodes")
    return rounds


def build_clusters(engine: Engine | duckdb.DuckDBPyConnection) -> int:
    """Create ``clusters`` (member_kind, member_id, cluster_id, cluster_size, customers, accounts) from
    ``links``. Every customer and account is in exactly one cluster. Returns the number of clusters.

    Notes
    -----
    Links join customers to accounts, and most clusters are one customer with its accounts. Only accounts that
    link (or nearly link) to several customers join customers together, so the components are computed on that
    small customer graph (:func:`connected_components`); every account then takes its customers' cluster. A
    cluster is labelled by its smallest customer key ('C:<customer_id>'), a cluster without a customer (an account
    linked to none) by its account ('A:<account_id>'). O(customers + accounts + links).
    """
    engine = as_engine(engine)
    engine.create_table("cluster_edges", """
        SELECT DISTINCT customer_id, account_id FROM links WHERE decision IN ('linked', 'ambiguous')
    """)
    # a table, not a view: the components read it five times, and it is small (accounts with several customers)
    engine.create_table("customer_edges", """
        SELECT b.first AS src, e.customer_id AS dst
        FROM cluster_edges e
        JOIN (SELECT account_id, min(customer_id) AS first FROM cluster_edges
              GROUP BY account_id HAVING count(*) > 1) b USING (account_id)
        WHERE e.customer_id <> b.first
    """)
    connected_components(engine, "customer_edges", "(SELECT src AS node FROM customer_edges)", "customer_groups")
    # A cluster's customers are one customer group, its accounts those linked to them; an account linked to no
    # customer is a cluster of its own, and needs no grouping.
    engine.create_table("cluster_members", """
        WITH customer_group AS (
            SELECT c.customer_id, coalesce(g.component, c.customer_id) AS grp
            FROM customers c LEFT JOIN customer_groups g ON g.node = c.customer_id),
        account_group AS (
            SELECT e.account_id, any_value(g.grp) AS grp
            FROM cluster_edges e JOIN customer_group g USING (customer_id) GROUP BY e.account_id),
        grouped AS (
            SELECT 'customer' AS member_kind, customer_id AS member_id, grp FROM customer_group
            UNION ALL
            SELECT 'account', account_id, grp FROM account_group),
        sized AS (
            SELECT grp, 'CL' || left(md5('C:' || min(member_id) FILTER (WHERE member_kind = 'customer')), 12)
                       AS cluster_id,
                   count(*) AS cluster_size, count(*) FILTER (WHERE member_kind = 'customer') AS customers,
                   count(*) FILTER (WHERE member_kind = 'account') AS accounts
            FROM grouped GROUP BY grp)
        SELECT g.member_kind, g.member_id, s.cluster_id, s.cluster_size, s.customers, s.accounts
        FROM grouped g JOIN sized s USING (grp)
        UNION ALL
        SELECT 'account', a.account_id, 'CL' || left(md5('A:' || a.account_id), 12), 1, 0, 1
        FROM accounts a ANTI JOIN cluster_edges e USING (account_id)
    """)
    engine.create_table("clusters", """
        SELECT member_kind, member_id, cluster_id, cluster_size, customers, accounts FROM cluster_members
        ORDER BY cluster_id, member_kind DESC, member_id
    """, kind="table")
    engine.drop("cluster_members", "customer_groups", "customer_edges", "cluster_edges")
    return engine.scalar("SELECT count(DISTINCT cluster_id) FROM clusters")
