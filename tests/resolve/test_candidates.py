"""Candidate pairs agree with a brute-force search: exact shared values, and near misses one edit apart."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.resolve.candidates import find_candidates
from linker.resolve.hubs import find_hubs

PHONES = st.lists(st.text("0123", min_size=2, max_size=5), max_size=10)
LOCAL_PARTS = st.lists(st.tuples(st.text("ab", min_size=1, max_size=4), st.sampled_from(["x.cn", "y.cn"])),
                       max_size=10)


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


def expected_pairs(customers: list[tuple[str, str, str]], accounts: list[tuple[str, str, str]]) -> set[tuple]:
    """(customer, account, id_type, match) by brute force over every customer and account value."""
    pairs = set()
    for c_id, c_type, c_value in customers:
        for a_id, a_type, a_value in accounts:
            if c_type != a_type:
                continue
            if c_value == a_value:
                pairs.add((c_id, a_id, c_type, "exact"))
            elif any(v == a_value for _, t, v in customers if t == a_type):
                continue  # an account value some customer holds exactly is not searched for near misses
            elif c_type == "phone" and one_edit_apart(c_value, a_value):
                pairs.add((c_id, a_id, c_type, "near"))
            elif c_type == "email":
                (c_local, c_domain), (a_local, a_domain) = c_value.split("@"), a_value.split("@")
                if c_domain == a_domain and one_edit_apart(c_local, a_local):
                    pairs.add((c_id, a_id, c_type, "near"))
    return pairs


def candidate_pairs(customers: list[tuple[str, str, str]], accounts: list[tuple[str, str, str]]) -> set[tuple]:
    con = duckdb.connect()
    con.execute("""CREATE TABLE identifiers (owner_kind VARCHAR, owner_id VARCHAR, id_type VARCHAR, raw VARCHAR,
                   value VARCHAR, kind VARCHAR, status VARCHAR, since DATE, _row BIGINT)""")
    rows = [("customer", *c) for c in customers] + [("account", *a) for a in accounts]
    if rows:
        con.executemany("INSERT INTO identifiers VALUES (?, ?, ?, ?, ?, 'x', 'usable', NULL, 1)",
                        [(kind, owner, id_type, value, value) for kind, owner, id_type, value in rows])
    find_hubs(con, {"phone": 1000, "email": 1000, "device": 1000})
    find_candidates(con, near_miss=True)
    found = set(con.execute("SELECT customer_id, account_id, id_type, match FROM pair_evidence").fetchall())
    con.close()
    return found


def _owners(prefix: str, phones: list[str], emails: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    values = [("phone", p) for p in phones] + [("email", f"{local}@{domain}") for local, domain in emails]
    return [(f"{prefix}{i}", id_type, value) for i, (id_type, value) in enumerate(values)]


@settings(max_examples=60, deadline=None)
@given(PHONES, LOCAL_PARTS, PHONES, LOCAL_PARTS)
def test_candidates_are_the_shared_values_and_the_values_one_edit_apart(customer_phones, customer_emails,
                                                                         account_phones, account_emails) -> None:
    customers = _owners("C", customer_phones, customer_emails)
    accounts = _owners("A", account_phones, account_emails)
    assert candidate_pairs(customers, accounts) == expected_pairs(customers, accounts)
