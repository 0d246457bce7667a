"""Splink on a Febrl4 sample: near-perfect links, like Splink's own Febrl4 example."""

from __future__ import annotations

import pytest

pytest.importorskip("splink")
from splink_febrl4 import splink_febrl4


def test_febrl4_sample_is_linked_almost_perfectly() -> None:
    result = splink_febrl4(sample=400, u_max_pairs=1e5)
    assert result["records"] == result["true_links"] == 400
    assert result["linked"] <= 400 and result["true_positives"] <= result["linked"]
    # Febrl4's duplicates keep most attributes: Splink's own example finds nearly every link without errors
    assert result["precision"] >= 0.98 and result["recall"] >= 0.95
    assert result["pairwise"]["recall"] >= result["recall"] - 0.01
    assert result["pairs"] >= result["linked"]
    assert result["training_seconds"] > 0 and result["prediction_seconds"] > 0


def test_the_sample_is_seeded_and_whole_entities() -> None:
    from splink_febrl4 import _frames

    originals, duplicates = _frames(50, seed=3)
    again, _ = _frames(50, seed=3)
    assert list(originals["unique_id"]) == list(again["unique_id"])
    assert _entities(originals["unique_id"]) == _entities(duplicates["unique_id"]) and len(originals) == 50


def _entities(ids) -> set[str]:
    """``rec-N-org`` and ``rec-N-dup-0`` are entity N."""
    return set(ids.str.split("-").str[1])
