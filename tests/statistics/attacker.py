"""The attacker of a published table: linear programming over what the table gives away.

Unknowns are the suppressed positions (cells and margins); every line of the table
with its margins says its interior positions add up to its total, with the published
positions as constants (their exact values: the strictest case, rounding ignored).
For each unknown, the smallest and largest value the constraints allow; equal bounds
mean the value is derived.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from app.statistics.disclosure import PRIMARY, PUBLISHED, StatusArray

Position = tuple[int, ...]
TOLERANCE = 1e-6


class Knowledge(Enum):
    """What the attacker assumes of a suppressed value besides the table's sums."""

    NON_NEGATIVE = "non_negative"  # counts are ≥ 0
    POSITIVE = "positive"  # a suppressed count is ≥ 1, zeros being published
    FLAGS = "flags"  # also: a primary cell lies in 1..k-1, a secondary one is ≥ k


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def derived(self) -> bool:
        return self.high - self.low < TOLERANCE


def _lines(shape: tuple[int, ...]) -> list[list[Position]]:
    """Each line as its positions, the margin last."""
    lines = []
    for axis, size in enumerate(shape):
        others = [range(n) for a, n in enumerate(shape) if a != axis]
        for fixed in itertools.product(*others):
            line = []
            for i in range(size):
                position = list(fixed)
                position.insert(axis, i)
                line.append(tuple(position))
            lines.append(line)
    return lines


def _components(rows: list[tuple[list[tuple[int, float]], float]], size: int) -> list[list[int]]:
    """Row indexes of each group of constraints that share unknowns (solved separately)."""
    parent = list(range(size))

    def find(j: int) -> int:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for terms, _ in rows:
        first = find(terms[0][0])
        for j, _ in terms[1:]:
            parent[find(j)] = first
    groups: dict[int, list[int]] = {}
    for r, (terms, _) in enumerate(rows):
        groups.setdefault(find(terms[0][0]), []).append(r)
    return list(groups.values())


def attack(
    counts: np.ndarray,
    status: StatusArray,
    *,
    k: int | None = None,
    knowledge: Knowledge = Knowledge.NON_NEGATIVE,
) -> dict[Position, Interval]:
    """The interval an attacker can narrow each suppressed position down to."""
    unknowns = [tuple(int(i) for i in p) for p in np.argwhere(status != PUBLISHED)]
    column = {p: j for j, p in enumerate(unknowns)}
    rows: list[tuple[list[tuple[int, float]], float]] = []
    for line in _lines(counts.shape):
        terms: list[tuple[int, float]] = []
        constant = 0.0
        for i, position in enumerate(line):
            coefficient = -1.0 if i == len(line) - 1 else 1.0
            if position in column:
                terms.append((column[position], coefficient))
            else:
                constant -= coefficient * float(counts[position])
        if terms:
            rows.append((terms, constant))
    if knowledge is Knowledge.FLAGS:
        assert k is not None
        bounds = [(1, k - 1) if status[p] == PRIMARY else (k, None) for p in unknowns]
    elif knowledge is Knowledge.POSITIVE:
        bounds = [(1, None)] * len(unknowns)
    else:
        bounds = [(0, None)] * len(unknowns)
    result = {}
    for group in _components(rows, len(unknowns)):
        members = sorted({j for r in group for j, _ in rows[r][0]})
        local = {j: i for i, j in enumerate(members)}
        matrix = lil_matrix((len(group), len(members)))
        for r, row in enumerate(group):
            for j, coefficient in rows[row][0]:
                matrix[r, local[j]] = coefficient
        a_eq = matrix.tocsr()
        b_eq = np.array([rows[row][1] for row in group])
        local_bounds = [bounds[j] for j in members]
        for j in members:
            objective = np.zeros(len(members))
            objective[local[j]] = 1.0
            low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=local_bounds, method="highs")
            high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=local_bounds, method="highs")
            assert low.status == 0, low.message  # the true table is always a solution
            assert high.status in (0, 3), high.message  # 3: unbounded above
            high_value = float("inf") if high.status == 3 else -high.fun
            result[unknowns[j]] = Interval(float(low.fun), high_value)
    return result


def derived(
    counts: np.ndarray,
    status: StatusArray,
    *,
    k: int | None = None,
    knowledge: Knowledge = Knowledge.NON_NEGATIVE,
) -> dict[Position, float]:
    """The suppressed positions the attacker recovers, with the value recovered."""
    return {
        position: interval.low
        for position, interval in attack(counts, status, k=k, knowledge=knowledge).items()
        if interval.derived
    }
