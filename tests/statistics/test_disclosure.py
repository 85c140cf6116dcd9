"""Disclosure control as pure functions, and the attacker who tries to undo it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.statistics.disclosure import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    ProtectedTable,
    primary_suppression,
    protect,
    round_to_base,
    single_suppression_lines,
    unprotected,
    with_margins,
)
from tests.statistics.attacker import Knowledge, attack, derived

K = 10


def _primary_only(cells: list[object], k: int = K) -> tuple[np.ndarray, np.ndarray]:
    extended = with_margins(cells)
    status = np.where(primary_suppression(extended, k), PRIMARY, PUBLISHED).astype(np.int8)
    return extended, status


def _strongest(table: ProtectedTable) -> Knowledge:
    """What the published table lets an attacker assume of every suppressed count."""
    return Knowledge.FLAGS if table.flags_shown else Knowledge.POSITIVE


def test_margins_are_the_sums_along_each_axis() -> None:
    cells = np.arange(24).reshape(2, 3, 4)
    extended = with_margins(cells)
    assert extended.shape == (3, 4, 5)
    assert extended[-1, -1, -1] == cells.sum()
    assert (extended[:2, :3, -1] == cells.sum(axis=2)).all()
    assert (extended[-1, :3, :4] == cells.sum(axis=0)).all()
    assert (extended[:2, -1, -1] == cells.sum(axis=(1, 2))).all()
    assert with_margins([4, 0, 7]).tolist() == [4, 0, 7, 11]


def test_primary_suppression_takes_counts_from_1_to_k_minus_1_and_never_zeros() -> None:
    extended = np.array([0, 1, 9, 10, 11])
    assert primary_suppression(extended, 10).tolist() == [False, True, True, False, False]


@pytest.mark.parametrize(
    ("base", "values", "rounded"),
    [
        (5, [0, 10, 12, 13, 22, 25, 27, 1003], [0, 10, 10, 15, 20, 25, 25, 1005]),
        (10, [0, 14, 15, 25, 104], [0, 10, 20, 30, 100]),
    ],
)
def test_rounding_to_the_nearest_multiple_half_up(
    base: int, values: list[int], rounded: list[int]
) -> None:
    assert round_to_base(np.array(values), base).tolist() == rounded


def test_rounding_never_takes_a_count_of_k_or_more_below_k() -> None:
    values = np.array([0, 12, 13, 14, 17, 18])
    assert round_to_base(values, 5, k=12).tolist() == [0, 15, 15, 15, 15, 20]
    assert round_to_base(values, 5, k=10).tolist() == [0, 10, 15, 15, 15, 20]
    table = protect([12, 40], k=12, rounding_base=5)
    assert [table.value((i,)) for i in range(3)] == [15, 40, 50]


def test_one_dimension_a_small_cell_gets_the_smallest_non_zero_complement() -> None:
    table = protect([3, 50, 20, 0], k=K, rounding_base=5)
    assert table.status.tolist() == [PRIMARY, PUBLISHED, SECONDARY, PUBLISHED, PUBLISHED]
    assert [table.value((i,)) for i in range(5)] == [None, 50, None, 0, 75]
    assert [table.flag((i,)) for i in range(5)] == ["primary", None, "secondary", None, None]


def test_two_dimensions_the_cheapest_rectangle_is_suppressed() -> None:
    cells = [[2, 30, 40], [25, 35, 45], [15, 12, 50]]
    table = protect(cells, k=K, rounding_base=5)
    suppressed = {tuple(int(i) for i in p) for p in np.argwhere(table.status != PUBLISHED)}
    assert suppressed == {(0, 0), (0, 1), (2, 0), (2, 1)}
    assert table.primary == 1
    assert table.secondary == 3
    assert table.value((0, 3)) == 70  # row total 72, published rounded
    assert table.value((3, 3)) == 255  # grand total 254


def test_small_margins_are_suppressed_too() -> None:
    table = protect([[3, 4], [40, 50]], k=K, rounding_base=5)
    assert table.status[0, 2] == PRIMARY  # row total 7
    assert table.status[2, 2] == PUBLISHED
    assert not derived(table.counts, table.status, k=K, knowledge=Knowledge.FLAGS)


def test_a_table_without_small_counts_is_published_whole() -> None:
    table = protect([[10, 25], [0, 40]], k=K, rounding_base=5)
    assert (table.status == PUBLISHED).all()
    assert table.value((1, 0)) == 0
    assert table.value((0, 0)) == 10


def test_k_below_3_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        protect([1, 5], k=2, rounding_base=5)


def test_unprotected_tables_are_exact() -> None:
    table = unprotected([[1, 2], [3, 4]])
    assert table.value((0, 0)) == 1
    assert table.value((2, 2)) == 10
    assert table.k is None


@pytest.mark.parametrize(
    ("cells", "secret"),
    [
        ([3, 50, 20, 0], (0,)),
        ([[2, 30, 40], [25, 35, 45], [15, 12, 50]], (0, 0)),
        ([[[1, 20], [30, 40]], [[50, 60], [70, 80]]], (0, 0, 0)),
    ],
    ids=["1-D", "2-D", "3-D"],
)
def test_the_attacker_recovers_a_cell_when_only_primary_suppression_is_applied(
    cells: list[object], secret: tuple[int, ...]
) -> None:
    extended, status = _primary_only(cells)
    recovered = derived(extended, status)
    assert recovered == {secret: pytest.approx(float(extended[secret]))}


@pytest.mark.parametrize(
    "cells",
    [
        [3, 50, 20, 0],
        [[2, 30, 40], [25, 35, 45], [15, 12, 50]],
        [[[1, 20], [30, 40]], [[50, 60], [70, 80]]],
        [[1, 1, 0], [0, 2, 30], [40, 0, 3]],
    ],
    ids=["1-D", "2-D", "3-D", "2-D tiny"],
)
def test_the_same_attacker_cannot_derive_any_suppressed_cell_of_the_published_table(
    cells: list[object],
) -> None:
    table = protect(cells, k=K, rounding_base=5)
    assert table.primary > 0
    for knowledge in (Knowledge.NON_NEGATIVE, Knowledge.POSITIVE, _strongest(table)):
        intervals = attack(table.counts, table.status, k=K, knowledge=knowledge)
        assert set(intervals) == {
            tuple(int(i) for i in p) for p in np.argwhere(table.status != PUBLISHED)
        }
        for position, interval in intervals.items():
            assert interval.low < interval.high, (knowledge, position, interval)
            assert interval.low <= table.counts[position] <= interval.high


def test_two_suppressions_in_every_line_are_not_enough() -> None:
    """Why cubes: the line rule holds here, yet the cell joining two rectangles is derived."""
    cells = np.full((4, 4), 50)
    status = np.zeros((5, 5), dtype=np.int8)
    for row, column in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        status[row, column] = SECONDARY
    assert single_suppression_lines(status) == 0
    assert derived(with_margins(cells), status) == {(0, 2): pytest.approx(50.0)}


tables = st.integers(min_value=1, max_value=3).flatmap(
    lambda ndim: hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=2, max_side=4),
        elements=st.sampled_from([0, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 15, 30, 120]),
    )
)


@settings(database=None, deadline=None, max_examples=200)
@given(cells=tables, k=st.sampled_from([5, 10]))
def test_random_tables_publish_nothing_below_k_and_give_no_suppressed_cell_away(
    cells: np.ndarray, k: int
) -> None:
    table = protect(cells, k=k, rounding_base=5)
    published = table.counts[table.status == PUBLISHED]
    assert ((published == 0) | (published >= k)).all()
    shown = table.published[table.status == PUBLISHED]
    assert ((shown == 0) | (shown >= k)).all()
    assert (np.abs(shown - published) <= 5).all()
    assert (table.status[(table.counts > 0) & (table.counts < k)] == PRIMARY).all()
    assert (table.counts[table.status != PUBLISHED] > 0).all()  # zeros are never suppressed
    assert single_suppression_lines(table.status) == 0
    # The strongest attacker the table allows; weaker ones know less and derive less.
    assert derived(table.counts, table.status, k=k, knowledge=_strongest(table)) == {}
