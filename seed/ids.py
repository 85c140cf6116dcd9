"""Unique, random-looking numbers: personal IDs, CMND, phones and sector numbers.

A number is ``prefix + tail``. Tails come from a keyed permutation of a per-prefix
counter, so they look random but can never collide, and the catalogue of personas
reserves the first counters of each prefix: a persona's numbers are the same in every
seeded database, whatever the seed and the size.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_ROUND_SALTS = tuple(np.uint64(((n + 1) * 0xD6E8FEB86659FD93) % 2**64) for n in range(4))


def _mix(values: U64) -> U64:
    """SplitMix64 finaliser: a cheap, well-spread hash of 64-bit integers."""
    z = values * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def permute(counter: IntArray, key: IntArray | int, low: int, high: int) -> IntArray:
    """A keyed bijection of ``[0, low * high)``: four alternating Feistel-style rounds.

    Each round adds a hash of one half to the other half modulo its own radix, which
    is invertible whatever the hash, so distinct counters give distinct results.
    """
    hi = (counter // low).astype(np.uint64)
    lo = (counter % low).astype(np.uint64)
    # 1-d arrays: numpy wraps integer overflow silently for arrays, but warns for scalars.
    keys = _mix(np.atleast_1d(np.asarray(key, dtype=np.int64)).astype(np.uint64))
    for round_number, round_salt in enumerate(_ROUND_SALTS):
        salt = keys ^ round_salt
        if round_number % 2 == 0:
            lo = (lo + _mix(hi ^ salt) % np.uint64(low)) % np.uint64(low)
        else:
            hi = (hi + _mix(lo ^ salt) % np.uint64(high)) % np.uint64(high)
    return (hi * np.uint64(low) + lo).astype(np.int64)


# Counters below this are the personas'; a prefix never holds more personas than this.
PERSONA_COUNTERS = 16


class CounterAllocator:
    """Counters per prefix that never collide between batches or with the personas.

    Batch ``b`` of ``stride`` batches gives the k-th element of a prefix the counter
    ``PERSONA_COUNTERS + k * stride + b``: batches need no knowledge of each other, so
    a batch's numbers depend only on the seed, its index and the number of batches.
    """

    def __init__(self, batch_index: int = 0, stride: int = 1) -> None:
        self.batch_index = batch_index
        self.stride = stride
        self._persona_next: dict[int, int] = {}

    def take(self, prefixes: IntArray) -> IntArray:
        """One counter per element: elements sharing a prefix get distinct counters."""
        if len(prefixes) == 0:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(prefixes, kind="stable")
        sorted_prefixes = prefixes[order]
        starts = np.flatnonzero(np.r_[True, sorted_prefixes[1:] != sorted_prefixes[:-1]])
        group_sizes = np.diff(np.r_[starts, len(order)])
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - np.repeat(starts, group_sizes)
        return PERSONA_COUNTERS + rank * self.stride + self.batch_index

    def reserve(self, prefix: int) -> int:
        """The next persona counter of ``prefix``."""
        counter = self._persona_next.get(prefix, 0)
        if counter >= PERSONA_COUNTERS:
            raise ValueError(f"more than {PERSONA_COUNTERS} personas share prefix {prefix}")
        self._persona_next[prefix] = counter + 1
        return counter


def digits(values: IntArray, width: int) -> list[str]:
    """Zero-padded decimal strings."""
    return [f"{value:0{width}d}" for value in values.tolist()]


# --- personal ID: PPP C YY TTTTTT ------------------------------------------------


def century_sex_digit(birth_year: IntArray, is_male: npt.NDArray[np.bool_]) -> IntArray:
    """0/1 for 1900s, 2/3 for 2000s …; even for men, odd for women."""
    century = (birth_year // 100) - 19
    return century * 2 + (~is_male).astype(np.int64)


def personal_id_prefix(
    province_code: IntArray, birth_year: IntArray, is_male: npt.NDArray[np.bool_]
) -> IntArray:
    """The first six digits as an integer: province, century/sex, two-digit year."""
    return province_code * 1000 + century_sex_digit(birth_year, is_male) * 100 + birth_year % 100


def personal_ids(prefix: IntArray, counter: IntArray) -> list[str]:
    tail = permute(counter, prefix, 1000, 1000)
    return digits(prefix * 1_000_000 + tail, 12)


# --- CMND: PP TTTTTTT -----------------------------------------------------------

# 271450001-271500000 were issued twice, by Bà Rịa-Vũng Tàu and by Đồng Nai.
DUPLICATED_CMND_FIRST = 271_450_001
DUPLICATED_CMND_COUNT = 50_000


def cmnd_numbers(prefix: IntArray, counter: IntArray) -> list[str]:
    """Ordinary CMND numbers; never inside the duplicated range."""
    tail = permute(counter, prefix + 7_000, 1000, 10_000)
    number = prefix * 10_000_000 + tail
    inside = _in_duplicated_range(number)
    # Cycle-walking: permuting again until outside keeps the mapping a bijection on
    # the numbers outside the range.
    while inside.any():
        tail[inside] = permute(tail[inside], prefix[inside] + 7_000, 1000, 10_000)
        number = prefix * 10_000_000 + tail
        inside = _in_duplicated_range(number)
    return digits(number, 9)


def _in_duplicated_range(number: IntArray) -> npt.NDArray[np.bool_]:
    offset = number - DUPLICATED_CMND_FIRST
    return (offset >= 0) & (offset < DUPLICATED_CMND_COUNT)


def duplicated_cmnd_numbers(counter: IntArray) -> list[str]:
    """The k-th number handed out in the duplicated range, the same in both provinces."""
    tail = permute(counter, 27, 200, 250)
    return digits(DUPLICATED_CMND_FIRST + tail, 9)


# --- phone: PPP TTTTTTT -----------------------------------------------------------


def phone_numbers(prefix: IntArray, counter: IntArray) -> list[str]:
    tail = permute(counter, prefix + 9_000, 1000, 10_000)
    return digits(prefix * 10_000_000 + tail, 10)


# --- numbers unique per record, keyed by the record id ---------------------------


def scrambled(ids: IntArray, key: int, low: int, high: int) -> IntArray:
    """A unique number in ``[0, low * high)`` per id (ids must stay below that)."""
    return permute(ids, key, low, high)


class PersonaCounters(CounterAllocator):
    """The counters of the persona catalogue: the first ones of each prefix, in order."""

    def take(self, prefixes: IntArray) -> IntArray:
        return np.array([self.reserve(int(p)) for p in prefixes.tolist()], dtype=np.int64)
