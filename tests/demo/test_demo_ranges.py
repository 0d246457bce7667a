"""The ``ranges`` profile: a fifth of mobiles in blocks phonenumbers calls unallocated, spelled every way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest

from linker.demo import DemoSpec, generate_demo
from linker.demo.phones import PLACEHOLDER_PHONES
from linker.demo.ranges import sample_unallocated, unallocated_blocks
from tests.demo.test_demo_generate import norm_phone, read

SIZE = {"customers": 400, "accounts": 1200, "events": 2000, "seed": 5}


@pytest.fixture(scope="module")
def ranges(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ranges")
    generate_demo(out, DemoSpec(**SIZE, profile="ranges"))
    return out


def valid(number: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))


def mobiles(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(raw spelling, national number) of every mobile-shaped phone in a table."""
    out = []
    for cell in table.phones.dropna():
        for raw in cell.split(";"):
            number = norm_phone(raw)
            if number and len(number) == 11 and number[0] == "1" and number not in PLACEHOLDER_PHONES:
                out.append((raw, number))
    return out


def test_every_block_is_unallocated_and_mobile_shaped() -> None:
    numbers = sample_unallocated(np.random.default_rng(1), 2000, np.empty(0, np.int64))
    assert not any(valid(str(n)) for n in numbers)
    assert {len(str(n)) for n in numbers} == {11} and {str(n)[0] for n in numbers} == {"1"}
    assert len(unallocated_blocks()) >= 100


def test_every_planted_number_is_invalid_for_phonenumbers(ranges: Path) -> None:
    traps = read(ranges, "truth/traps").query("trap == 'unallocated_range'")
    assert set(traps.table) == {"customers", "accounts"}
    assert not any(valid(v) for v in traps.value.unique())


def test_about_a_fifth_of_mobiles_are_unallocated_on_both_sides(ranges: Path) -> None:
    for table in ("customers", "accounts"):
        found = mobiles(read(ranges, table))
        share = np.mean([not valid(n) for _, n in found])
        assert 0.15 < share < 0.25, (table, share)


def test_unallocated_numbers_come_in_every_spelling(ranges: Path) -> None:
    raws = [raw for raw, n in mobiles(read(ranges, "accounts")) if not valid(n)]
    assert any(r.startswith("+86 ") for r in raws)
    assert any(r.startswith("0086-") for r in raws)
    assert any("-" in r and not r.startswith(("0086", "+86")) for r in raws)
    assert any(not r.isascii() for r in raws)  # full-width digits
    assert any(r.isdigit() and len(r) == 11 for r in raws)


def test_the_traps_list_every_record_with_an_unallocated_number(ranges: Path) -> None:
    traps = read(ranges, "truth/traps")
    for table in ("customers", "accounts"):
        bad = set(traps.query("trap == 'bad_row' and table == @table").row.astype(int))
        carrying = set()
        for row, phones in enumerate(read(ranges, table).phones, start=1):
            numbers = {norm_phone(raw) for raw in phones.split(";")} if isinstance(phones, str) else set()
            if row not in bad and any(
                n and len(n) == 11 and n[0] == "1" and n not in PLACEHOLDER_PHONES and not valid(n) for n in numbers
            ):
                carrying.add(row)
        listed = set(traps.query("trap == 'unallocated_range' and table == @table").row.astype(int))
        assert carrying == listed, table


def test_the_default_profile_keeps_every_mobile_in_known_ranges(tmp_path: Path) -> None:
    generate_demo(tmp_path, DemoSpec(**SIZE))
    for table in ("customers", "accounts"):
        assert all(valid(n) for _, n in mobiles(read(tmp_path, table))), table
