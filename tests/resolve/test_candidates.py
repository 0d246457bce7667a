"""Candidate pairs agree with a brute-force search: exact shared values, and near misses one edit apart between
owners whose names spell the same letters or who already share a value."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.resolve.candidates import find_candidates
from linker.resolve.hubs import find_hubs

NAMES = st.sampled_from([None, "li na", "na li", "lina88", "wang fang"])
PHONES = st.lists(st.text("0123", min_size=2, max_size=5), max_size=3)
EMAILS = st.lists(st.tuples(st.text("ab", min_size=1, max_size=4), st.sampled_from(["x.cn", "y.cn"])), max_size=2)
OWNERS = st.lists(st.tuples(NAMES, PHONES, EMAILS), max_size=6)

Owner = tuple[str, str | None, list[tuple[str, str]]]
"""An owner id, its name, and its (id_type, value) pairs."""


def one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def near(id_type: str, a: str, b: str) -> bool:
    if id_type == "phone":
        return one_edit_apart(a, b)
    (a_local, a_domain), (b_local, b_domain) = a.split("@"), b.split("@")
    return a_domain == b_domain and one_edit_apart(a_local, b_local)


def name_letters(name: str | None) -> str | None:
    letters = "".join(sorted(c for c in (name or "") if c.isalpha()))
    return letters or None


def expected_pairs(customers: list[Owner], accounts: list[Owner]) -> set[tuple]:
    """(customer, account, id_type, match) by brute force over every customer and account value."""
    held_by_customers = {(t, v) for _, _, values in customers for t, v in values}
    exact = {(c, a, t, "exact") for c, _, c_values in customers for a, _, a_values in accounts
             for t, v in c_values if (t, v) in a_values}
    sharing = {(c, a) for c, a, _, _ in exact}
    pairs = set(exact)
    for c_id, c_name, c_values in customers:
        for a_id, a_name, a_values in accounts:
            same_letters = name_letters(c_name) is not None and name_letters(c_name) == name_letters(a_name)
            if not (same_letters or (c_id, a_id) in sharing):
                continue  # a near miss needs the names' letters or a value shared exactly
            for c_type, c_value in c_values:
                for a_type, a_value in a_values:
                    # an account value some customer holds exactly is not searched for near misses
                    if c_type == a_type and (a_type, a_value) not in held_by_customers \
                            and near(c_type, c_value, a_value):
                        pairs.add((c_id, a_id, c_type, "near"))
    return pairs


def candidate_pairs(customers: list[Owner], accounts: list[Owner]) -> set[tuple]:
    con = duckdb.connect()
    con.execute("""CREATE TABLE identifiers (owner_kind VARCHAR, owner_id VARCHAR, id_type VARCHAR, raw VARCHAR,
                   value VARCHAR, kind VARCHAR, status VARCHAR, since DATE, confirmed DATE, _row BIGINT)""")
    con.execute("CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, names VARCHAR[])")
    con.execute("CREATE TABLE accounts (account_id VARCHAR, name VARCHAR, names VARCHAR[])")
    for kind, table, owners in (("customer", "customers", customers), ("account", "accounts", accounts)):
        for owner, name, values in owners:
            con.execute(f"INSERT INTO {table} VALUES (?, ?, [])", [owner, name])
            for id_type, value in values:
                con.execute("INSERT INTO identifiers VALUES (?, ?, ?, ?, ?, 'x', 'usable', NULL, NULL, 1)",
                            [kind, owner, id_type, value, value])
    find_hubs(con, {"phone": 1000, "email": 1000, "device": 1000})
    find_candidates(con, near_miss=True)
    found = set(con.execute("SELECT customer_id, account_id, id_type, match FROM pair_evidence").fetchall())
    con.close()
    return found


def _owners(prefix: str, drawn: list[tuple]) -> list[Owner]:
    return [(f"{prefix}{i}", name, sorted({("phone", p) for p in phones}
                                          | {("email", f"{local}@{domain}") for local, domain in emails}))
            for i, (name, phones, emails) in enumerate(drawn)]


@settings(max_examples=80, deadline=None)
@given(OWNERS, OWNERS)
def test_candidates_are_the_shared_values_and_the_values_one_edit_apart(drawn_customers, drawn_accounts) -> None:
    customers, accounts = _owners("C", drawn_customers), _owners("A", drawn_accounts)
    assert candidate_pairs(customers, accounts) == expected_pairs(customers, accounts)


def test_name_letters_block_the_near_miss_search_in_any_script() -> None:
    # 张伟 and its homophone 张玮 spell "zhang wei": the same letters as the pinyin spellings, in any order
    # (C2 holds C1's number under another name: the number's neighbours are not C2's for it)
    found = candidate_pairs(
        [("C1", "张伟", [("phone", "13800138001")]), ("C2", "李娜", [("phone", "13800138001")])],
        [("A1", "Zhang Wei", [("phone", "13800138010")]), ("A2", "zhangwei88", [("phone", "13800138011")]),
         ("A3", "张玮", [("phone", "13800138021")]), ("A4", "李娜", [("phone", "13800138002")]),
         ("A5", None, [("phone", "13800138003")])])
    assert {(c, a) for c, a, _, _ in found} == {("C1", "A1"), ("C1", "A2"), ("C1", "A3"), ("C2", "A4")}
