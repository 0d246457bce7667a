"""The ``interests`` profile: behaviour from interests, a broad category vocabulary, and truth counts that are
what the event files hold."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.interestvocab import DOMAINS, NEED_DOMAINS, category_domains, category_vocabulary
from tests.demo.test_demo_generate import read

SIZE = {"customers": 1500, "accounts": 4500, "events": 60_000, "seed": 8}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("interests")
    generate_demo(out, DemoSpec(**SIZE, profile="interests"))
    return out


@pytest.fixture(scope="module")
def events(folder: Path) -> pd.DataFrame:
    """Purchases and browsing with the domain of their category and the true owner of their account."""
    owner = read(folder, "truth/account_owner")
    both = pd.concat([read(folder, "purchases").rename(columns={"order_time": "time"}),
                      read(folder, "browsing").rename(columns={"event_time": "time"})])
    both["domain"] = both.category.map(category_domains())
    both["time"] = pd.to_datetime(both.time, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return both.merge(owner, on="account_id", how="left")


def test_the_vocabulary_is_broad_and_each_spelling_has_one_domain() -> None:
    vocabulary = category_vocabulary()
    assert len(vocabulary) >= 1000 and len({t for t, _, _ in vocabulary}) == len(vocabulary)
    for domain in NEED_DOMAINS:
        texts = [t for t, d, _ in vocabulary if d == domain]
        assert len(texts) >= 100, domain
        assert any(t.count("/") >= 2 for t in texts) and any(">" in t and " > " not in t for t in texts)
        assert any("-" in t and not t.isascii() for t in texts) and any(" > " in t for t in texts)
        assert any(t.isascii() and " > " not in t for t in texts)  # bare English
    assert set(NEED_DOMAINS) < set(DOMAINS)


def test_no_story_is_planted(folder: Path) -> None:
    assert read(folder, "truth/needs").empty
    assert (folder / "truth" / "interests.csv").is_file()


def test_every_category_comes_from_the_vocabulary(events: pd.DataFrame) -> None:
    assert events.category.dropna().map(category_domains()).notna().all()
    need = events[events.domain.isin(NEED_DOMAINS)]
    assert need.category.nunique() > 300


def test_interest_truth_counts_match_the_events_files(folder: Path, events: pd.DataFrame) -> None:
    as_of = pd.Timestamp(DemoSpec().as_of)
    mine = events[events.domain.isin(NEED_DOMAINS) & events.customer_id.notna() & events.time.notna()]
    mine = mine.assign(recent=mine.time.dt.normalize() > as_of - timedelta(days=90))
    counted = mine.groupby(["customer_id", "domain"]).agg(events_90d=("recent", "sum"),
                                                           events_all=("recent", "size")).reset_index()
    truth = read(folder, "truth/interests").astype({"events_90d": int, "events_all": int})
    merged = truth.merge(counted, on=["customer_id", "domain"], how="outer", suffixes=("", "_files"))
    assert len(merged) == len(truth) == len(counted)
    assert (merged.events_90d == merged.events_90d_files).all()
    assert (merged.events_all == merged.events_all_files).all()
    assert (truth.events_90d >= 3).sum() >= 5 * len(NEED_DOMAINS)


def test_need_events_are_spread_over_the_period_and_people(events: pd.DataFrame) -> None:
    need = events[events.domain.isin(NEED_DOMAINS)].dropna(subset=["time"])
    months = need.time.dt.to_period("M").value_counts(normalize=True)
    start, end = DemoSpec().start, DemoSpec().as_of
    assert len(months) >= (end.year - start.year) * 12 + end.month - start.month and months.max() < 0.12
    per_person = need.groupby(["account_id", "domain"]).size()
    assert per_person.max() >= 10 and (per_person == 1).mean() > 0.2  # episodes and stray noise


def test_browsing_names_its_account(folder: Path) -> None:
    browsing = read(folder, "browsing")
    traps = read(folder, "truth/traps")
    broken = set(traps[traps.table == "browsing"].row.astype(int))
    keyed = browsing.account_id.notna() | (browsing.index + 1).isin(broken)
    assert keyed.all()
