"""Statistical disclosure control of count tables: pure functions over numpy arrays, no I/O.

A table of n dimensions (1 to 3) with m_d categories on axis d is handled *with its
margins*: the extended array has m_d + 1 positions on axis d, the last one holding the
total over that axis, so ``extended[-1, -1]`` of a two-way table is the grand total,
``extended[i, -1]`` the total of row i. Every line of the extended array (all positions
along one axis, the others fixed) satisfies "the interior positions add up to the last".

1. **Primary suppression**: every position (cell or margin) with 0 < n < k.
2. **Complementary suppression** by hypercubes: each primary position is made a corner of
   a fully suppressed hypercube (a rectangle in two dimensions, a pair of cells in one).
   Moving its corners by ±d in the pattern below keeps every line's sum, so an attacker
   who knows the published cells and margins cannot tell d = 0 from a small d ≠ 0: each
   corner's value is not derivable. A cube is only taken when that move is possible for
   every corner within what the attacker knows of it (non-negative; a primary cell lies in
   1..k-1; a secondary one, being neither zero nor primary, is at least k). Where no cube
   can (tables of nothing but tiny counts), the flags are withheld instead.
3. **Rounding** of what is published to a base (5 by default), margins rounded on their
   own from exact values, and never to below k.

Zeros are published as zeros and never used as complements (see docs/statistics.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StatusArray = npt.NDArray[np.int8]

PUBLISHED = 0
PRIMARY = 1
SECONDARY = 2
STATUS_NAMES = {PRIMARY: "primary", SECONDARY: "secondary"}

Position = tuple[int, ...]


def with_margins(cells: npt.ArrayLike) -> IntArray:
    """The table extended with its totals: position m_d on axis d is the sum over the axis."""
    extended = np.asarray(cells, dtype=np.int64)
    if extended.ndim == 0:
        raise ValueError("a table needs at least one dimension")
    for axis in range(extended.ndim):
        extended = np.concatenate([extended, extended.sum(axis=axis, keepdims=True)], axis=axis)
    return extended


def primary_suppression(extended: IntArray, k: int) -> BoolArray:
    """Positions the threshold rule suppresses: more than zero and fewer than ``k``."""
    primary: BoolArray = (extended > 0) & (extended < k)
    return primary


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Whether each position could be a little higher / lower within what an attacker knows."""

    up: BoolArray
    down: BoolArray


def _flag_bounds(extended: IntArray, k: int) -> _Bounds:
    """A primary position lies in 1..k-1; a secondary one, like any other non-zero, is ≥ k."""
    primary = primary_suppression(extended, k)
    return _Bounds(
        up=np.where(primary, extended < k - 1, extended > 0),
        down=np.where(primary, extended > 1, extended > k),
    )


def _positive_bounds(extended: IntArray) -> _Bounds:
    """A suppressed position is at least 1 (zeros are published); nothing more is known."""
    return _Bounds(up=extended > 0, down=extended > 1)


def _axis_vector(vector: npt.NDArray[np.generic], axis: int, ndim: int) -> npt.NDArray[np.generic]:
    shape = [1] * ndim
    shape[axis] = vector.shape[0]
    return vector.reshape(shape)


def _best_hypercube(
    extended: IntArray, status: StatusArray, corner: Position, bounds: _Bounds
) -> list[Position] | None:
    """The cheapest hypercube with ``corner`` as a corner that can be moved within ``bounds``.

    Every choice of an opposite corner ``b`` (b_d ≠ a_d on every axis) spans a cube of 2^n
    positions; all ``b`` are evaluated at once, one broadcast array per corner. A cube's
    cost is the sum of the values it newly suppresses. Moving it by +d flips the sign along
    axis d between two interior positions and keeps it between an interior position and
    the margin; the move must be possible for every corner, in one of the two directions.
    """
    ndim = extended.ndim
    shape = extended.shape
    new_value = np.where(status == PUBLISHED, extended, 0).astype(np.float64)
    cost = np.zeros(shape, dtype=np.float64)
    valid = np.ones(shape, dtype=np.bool_)
    plus = np.ones(shape, dtype=np.bool_)
    minus = np.ones(shape, dtype=np.bool_)
    flips = []
    for axis in range(ndim):
        positions = np.arange(shape[axis])
        valid &= _axis_vector(positions != corner[axis], axis, ndim).astype(np.bool_)
        total = shape[axis] - 1
        flip = (positions != total) & (corner[axis] != total)
        flips.append(_axis_vector(np.where(flip, -1, 1).astype(np.int64), axis, ndim))
    for chosen in itertools.product((False, True), repeat=ndim):
        index = tuple(slice(None) if take else corner[axis] for axis, take in enumerate(chosen))
        view_shape = tuple(shape[axis] if take else 1 for axis, take in enumerate(chosen))
        sign: npt.NDArray[np.int64] = np.ones(view_shape, dtype=np.int64)
        for axis, take in enumerate(chosen):
            if take:
                sign = np.multiply(sign, flips[axis])
        positive = sign > 0
        valid &= extended[index].reshape(view_shape) > 0
        cost += new_value[index].reshape(view_shape)
        up = bounds.up[index].reshape(view_shape)
        down = bounds.down[index].reshape(view_shape)
        plus &= np.where(positive, up, down)
        minus &= np.where(positive, down, up)
    feasible = valid & (plus | minus)
    if not feasible.any():
        return None
    best = np.unravel_index(int(np.argmin(np.where(feasible, cost, np.inf))), shape)
    opposite = tuple(int(i) for i in best)
    return [
        tuple(opposite[axis] if take else corner[axis] for axis, take in enumerate(chosen))
        for chosen in itertools.product((False, True), repeat=ndim)
    ]


@dataclass(frozen=True, slots=True)
class Suppression:
    status: StatusArray  # PUBLISHED, PRIMARY or SECONDARY per position of the extended table
    relaxed: int  # primaries no cube protects against an attacker who knows the flags


def complementary_suppression(extended: IntArray, primary: BoolArray, k: int) -> Suppression:
    """Add secondary suppressions until every suppressed position is a corner of a safe cube.

    Primaries are taken interior cells first, smallest first; one already a corner of a
    cube chosen earlier is protected by it. Cubes reuse suppressed positions at no cost.
    A cube must be movable within the bounds the primary/secondary flags reveal; when none
    is (tables of nothing but tiny counts), within "at least 1" only, which always has a
    cube (every margin of a non-zero cell is non-zero), and the primary is ``relaxed``:
    the table must then be published without the flags.
    """
    if k < 3:
        raise ValueError("k must be at least 3: with k = 2 every primary cell is a 1")
    status: StatusArray = np.where(primary, PRIMARY, PUBLISHED).astype(np.int8)
    flags, positive = _flag_bounds(extended, k), _positive_bounds(extended)
    totals = tuple(size - 1 for size in extended.shape)
    protected = np.zeros(extended.shape, dtype=np.bool_)
    positions = [tuple(int(i) for i in p) for p in np.argwhere(primary)]
    positions.sort(
        key=lambda p: (sum(i == t for i, t in zip(p, totals, strict=True)), extended[p], p)
    )
    relaxed = 0
    for position in positions:
        if protected[position]:
            continue
        cube = _best_hypercube(extended, status, position, flags)
        if cube is None:
            relaxed += 1
            cube = _best_hypercube(extended, status, position, positive)
            assert cube is not None
        for corner in cube:
            if status[corner] == PUBLISHED:
                status[corner] = SECONDARY
            protected[corner] = True
    return Suppression(status, relaxed)


def round_to_base(values: IntArray, base: int, *, k: int | None = None) -> IntArray:
    """Each value to the nearest multiple of ``base`` (a remainder of half or more rounds up).

    With ``k``, a count of k or more never reads below k: one that would is rounded up to
    the first multiple of ``base`` from k (k = 12, base 5: 12 is published as 15).
    """
    if base < 1:
        raise ValueError("the rounding base must be at least 1")
    rounded: IntArray = (values + base // 2) // base * base
    if k is not None:
        floor = -(-k // base) * base
        rounded = np.where((values >= k) & (rounded < k), floor, rounded)
    return rounded


def single_suppression_lines(status: StatusArray) -> int:
    """How many lines hold exactly one suppressed position (each of them gives it away)."""
    suppressed = status != PUBLISHED
    return sum(int((suppressed.sum(axis=axis) == 1).sum()) for axis in range(status.ndim))


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A count table with its margins, what is suppressed and what is published."""

    counts: IntArray  # exact, with margins (see ``with_margins``)
    status: StatusArray
    published: IntArray  # rounded counts; not meaningful where suppressed
    k: int | None  # None: no disclosure control
    rounding_base: int
    relaxed: int = 0

    @property
    def flags_shown(self) -> bool:
        """Whether suppressed positions say ``primary`` / ``secondary`` (else ``suppressed``)."""
        return self.relaxed == 0

    @property
    def primary(self) -> int:
        return int((self.status == PRIMARY).sum())

    @property
    def secondary(self) -> int:
        return int((self.status == SECONDARY).sum())

    def value(self, position: Position) -> int | None:
        """The published count at ``position``, None when suppressed."""
        if self.status[position] != PUBLISHED:
            return None
        return int(self.published[position])

    def flag(self, position: Position) -> str | None:
        """None for a published position, else why it is suppressed (when that is safe)."""
        status = int(self.status[position])
        if status == PUBLISHED:
            return None
        return STATUS_NAMES[status] if self.flags_shown else "suppressed"


def protect(cells: npt.ArrayLike, *, k: int, rounding_base: int) -> ProtectedTable:
    """Suppress (primary, then complementary) and round a table of counts."""
    extended = with_margins(cells)
    suppression = complementary_suppression(extended, primary_suppression(extended, k), k)
    return ProtectedTable(
        counts=extended,
        status=suppression.status,
        published=round_to_base(extended, rounding_base, k=k),
        k=k,
        rounding_base=rounding_base,
        relaxed=suppression.relaxed,
    )


def unprotected(cells: npt.ArrayLike) -> ProtectedTable:
    """Exact counts, nothing suppressed or rounded (the admin's demonstration only)."""
    extended = with_margins(cells)
    return ProtectedTable(
        counts=extended,
        status=np.zeros(extended.shape, dtype=np.int8),
        published=extended,
        k=None,
        rounding_base=1,
    )
