"""The levels of a candidate pair: identifier agreement by holders and dates, timing, every name of an account."""

from __future__ import annotations


def _levels(run, account_id: str) -> dict[str, str]:
    return dict(run.rows("SELECT e.comparison, e.level FROM (SELECT unnest(evidence) AS e FROM links "
                         "WHERE account_id = ?)", [account_id]))


def test_exact_agreement_is_split_by_how_many_customers_and_accounts_hold_the_value(resolve_run) -> None:
    family_phone, shop_phone = "13711112222", "13522223333"
    customers = [{"customer_id": "C1", "name": "陈建国", "phones": family_phone},
                 {"customer_id": "C2", "name": "陈丽", "phones": family_phone},
                 {"customer_id": "C3", "name": "王芳", "phones": shop_phone},
                 {"customer_id": "C4", "name": "李娜", "phones": "13633334444"}]
    accounts = [{"account_id": "A1", "name": "陈建国", "phones": family_phone},
                *({"account_id": f"S{i}", "name": "王芳", "phones": shop_phone} for i in range(5)),
                {"account_id": "A4", "name": "李娜", "phones": "13633334444"}]
    run = resolve_run(customers, accounts)
    assert _levels(run, "A1")["phone"] == "exact_few"
    assert _levels(run, "S0")["phone"] == "exact_sole_busy"
    assert _levels(run, "A4")["phone"] == "exact_sole"


def test_a_value_held_only_since_after_the_account_ended_is_stale(resolve_run) -> None:
    run = resolve_run(
        [{"customer_id": "C1", "name": "孙丽", "phones": "13899990000;13899991111",
          "phone_since": "2023-03-01;2015-01-01"}],
        [{"account_id": "A1", "name": "马强", "phones": "13899990000", "last_seen_at": "2021-06-30"},
         {"account_id": "A2", "name": "孙丽", "phones": "13899990000;13899991111", "last_seen_at": "2021-06-30"}])
    assert _levels(run, "A1")["phone"] == "exact_stale"
    assert _levels(run, "A2")["phone"] == "exact_sole"   # the best of its shared values counts


def test_a_confirmation_date_is_not_an_ownership_start(resolve_run) -> None:
    # verified in 2024; the account is older: activity before a confirmation is normal
    phone = "13899990000"
    run = resolve_run(
        [{"customer_id": "C1", "name": "孙丽", "phones": phone, "phone_confirmed": "2024-05-01"},
         {"customer_id": "C2", "name": "赵敏", "phones": "13600001111", "phone_confirmed": "2012-05-01"},
         {"customer_id": "C3", "name": "钱进", "phones": "13600002222", "closed_at": "2019-01-01"}],
        [{"account_id": "A1", "name": "孙丽", "phones": phone, "registered_at": "2016-01-01",
          "last_seen_at": "2021-06-30"},
         {"account_id": "A2", "name": "马强", "phones": "13600001111", "registered_at": "2020-01-01"},
         {"account_id": "A3", "name": "周红", "phones": "13600002222", "registered_at": "2021-01-01"}])
    assert _levels(run, "A1") == {"phone": "exact_sole", "timing": "ended_before_confirmed", "name": "exact"}
    assert run.decision("C1", "A1") == "linked"   # weighed with the rest, never a veto
    assert _levels(run, "A2")["timing"] == "confirmed_5y_before"
    assert _levels(run, "A3")["timing"] == "after_closure"


def test_every_name_of_the_account_is_compared(resolve_run) -> None:
    run = resolve_run([{"customer_id": "C1", "name": "吴志琪", "phones": "13899990000"}],
                      [{"account_id": "A1", "name": "用户619025", "names": "王芳;wuzhiqi_860", "phones": "13899990000"}])
    assert _levels(run, "A1")["name"] == "pinyin"
    value = run.rows("SELECT e.value FROM (SELECT unnest(evidence) AS e FROM links) WHERE e.comparison = 'name'")
    assert value == [("wuzhiqi_860",)]
