"""Identity cards: the old CMND, the first 12-digit card and its renewal.

Expiry follows the renewal ages of the 2023 Identity Law: a card is valid until the
holder turns 14, 25, 40 or 60; one issued within two years before 25, 40 or 60 stays
valid until the next of those ages, and one issued at 58 or later never expires.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seed.dates import REFERENCE_DATE, Anniversaries, Dates, add_years

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

CMND, CCCD_BARCODE, CCCD_CHIP, CCCD_2024 = range(4)
KIND_VALUES = ("cmnd", "cccd_barcode", "cccd_chip", "cccd_2024")
CCCD_ISSUERS = (
    "",
    "Cục Cảnh sát ĐKQL cư trú và DLQG về dân cư",
    "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "Bộ Công an",
)
NEVER = np.datetime64("9999-12-31", "D")

CMND_LAST_ISSUE = np.datetime64("2020-12-31", "D")
BARCODE_FROM = np.datetime64("2016-01-01", "D")
CHIP_FROM = np.datetime64("2021-01-15", "D")
# Cards under the 2023 Identity Law are issued from 1 July 2024.
IDENTITY_LAW_FROM = np.datetime64("2024-07-01", "D")


def expiry_dates(birth: Dates, issued: Dates) -> Dates:
    """Expiry by the 14/25/40/60 rule; ``NEVER`` for cards issued at 58 or later."""
    birthday = Anniversaries(birth)
    at_14 = birthday.after(14)
    expiry = np.full(len(birth), NEVER)
    for age in (60, 40, 25):
        expiry = np.where(issued < birthday.after(age - 2), birthday.after(age), expiry)
    result: Dates = np.where(issued < at_14, at_14, expiry)
    return result


def _uniform_dates(
    rng: np.random.Generator, start: Dates | np.datetime64, end: Dates | np.datetime64, n: int
) -> Dates:
    span = np.maximum((np.asarray(end) - np.asarray(start)).astype(np.int64), 0)
    return np.asarray(start) + (rng.random(n) * (span + 1)).astype("timedelta64[D]")  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class CardPlan:
    """Up to three cards per record: the CMND, the first 12-digit card, its renewal."""

    has_cmnd: BoolArray
    cmnd_issued: Dates
    has_first: BoolArray
    first_kind: IntArray
    first_issued: Dates
    has_renewal: BoolArray
    renewal_kind: IntArray
    renewal_issued: Dates
    birth: Dates

    @property
    def cards_per_record(self) -> IntArray:
        return self.has_cmnd.astype(np.int64) + self.has_first + self.has_renewal


def plan_cards(
    rng: np.random.Generator,
    birth: Dates,
    last_day: Dates,
    *,
    cmnd_share: npt.NDArray[np.float64],
    no_cccd: BoolArray | None = None,
    no_renewal: BoolArray | None = None,
    child_card: BoolArray | None = None,
    first_card_on: Dates | None = None,
) -> CardPlan:
    """Draw the card history of each record; nothing is issued after ``last_day``."""
    n = len(birth)
    u = rng.random((n, 6))
    at_14 = add_years(birth, 14)

    # The last CMND: issued in youth, or re-issued between 1996 and mid-2016 (older
    # people's first cards had long expired by then).
    youth = birth + (rng.uniform(14.5, 20.0, n) * 365.25).astype("timedelta64[D]")
    reissue = _uniform_dates(
        rng, np.datetime64("1996-01-01", "D"), np.datetime64("2016-06-30", "D"), n
    )
    cmnd_issued = np.where(
        youth < np.datetime64("1996-01-01", "D"),
        reissue,
        np.where(u[:, 0] < 0.5, np.maximum(youth, reissue), youth),
    )
    has_cmnd = (u[:, 1] < cmnd_share) & (cmnd_issued <= np.minimum(CMND_LAST_ISSUE, last_day))

    # First 12-digit card.
    adult_by_2021 = at_14 < CHIP_FROM
    wave = u[:, 2]
    campaign = np.select(
        [wave < 0.08, wave < 0.90, wave < 0.97],
        [
            _uniform_dates(
                rng, np.maximum(BARCODE_FROM, at_14), np.datetime64("2020-12-31", "D"), n
            ),
            _uniform_dates(rng, CHIP_FROM, np.datetime64("2022-12-31", "D"), n),
            _uniform_dates(rng, np.datetime64("2023-01-01", "D"), IDENTITY_LAW_FROM - 1, n),
        ],
        default=_uniform_dates(rng, IDENTITY_LAW_FROM, REFERENCE_DATE, n),
    )
    after_14 = at_14 + (rng.random(n) * 400).astype("timedelta64[D]")
    young_child = _uniform_dates(rng, np.maximum(IDENTITY_LAW_FROM, birth + 30), REFERENCE_DATE, n)
    wants_child_card = (u[:, 3] < 0.04) if child_card is None else child_card
    first_issued = np.where(
        adult_by_2021, campaign, np.where(at_14 <= REFERENCE_DATE, after_14, young_child)
    )
    if first_card_on is not None:
        fixed = ~np.isnat(first_card_on)
        first_issued[fixed] = first_card_on[fixed]
    eligible = np.where(at_14 <= REFERENCE_DATE, u[:, 4] < 0.985, wants_child_card)
    if no_cccd is not None:
        eligible &= ~no_cccd
    has_first = eligible & (first_issued <= last_day) & (first_issued <= REFERENCE_DATE)
    first_kind = _kind_on(first_issued)
    first_kind = np.where(adult_by_2021 & (wave < 0.08), CCCD_BARCODE, first_kind)

    # Renewal at the next milestone, or a barcode card swapped for a chip card.
    first_expiry = expiry_dates(birth, first_issued)
    renewal_issued = first_expiry + (rng.uniform(-20, 120, n)).astype("timedelta64[D]")
    swap = (first_kind == CCCD_BARCODE) & (u[:, 5] < 0.6)
    renewal_issued = np.where(
        swap, _uniform_dates(rng, CHIP_FROM, np.datetime64("2022-12-31", "D"), n), renewal_issued
    )
    renewal_issued = np.maximum(renewal_issued, first_issued + 30)
    renews = (first_expiry <= REFERENCE_DATE) | swap
    has_renewal = (
        has_first
        & renews
        & (rng.random(n) < 0.92)
        & (renewal_issued <= last_day)
        & (renewal_issued <= REFERENCE_DATE)
    )
    if no_renewal is not None:
        has_renewal &= ~no_renewal
    return CardPlan(
        has_cmnd=has_cmnd,
        cmnd_issued=cmnd_issued,
        has_first=has_first,
        first_kind=first_kind.astype(np.int64),
        first_issued=first_issued,
        has_renewal=has_renewal,
        renewal_kind=_kind_on(renewal_issued),
        renewal_issued=renewal_issued,
        birth=birth,
    )


def _kind_on(issued: Dates) -> IntArray:
    return np.where(issued >= IDENTITY_LAW_FROM, CCCD_2024, CCCD_CHIP).astype(np.int64)


@dataclass(frozen=True, slots=True)
class CardRows:
    """Card records, in citizen order then issue order; arrays of equal length."""

    record: IntArray  # index of the citizen record in the batch
    slot: IntArray  # 0 CMND, 1 first 12-digit card, 2 renewal
    kind: IntArray
    issued: Dates
    expires: Dates  # NEVER when the card does not expire


def card_rows(plan: CardPlan) -> CardRows:
    n = len(plan.birth)
    present = np.stack([plan.has_cmnd, plan.has_first, plan.has_renewal], axis=1)
    kind = np.stack([np.full(n, CMND), plan.first_kind, plan.renewal_kind], axis=1)
    issued = np.stack([plan.cmnd_issued, plan.first_issued, plan.renewal_issued], axis=1)
    record = np.broadcast_to(np.arange(n)[:, None], (n, 3))[present]
    slot = np.broadcast_to(np.arange(3)[None, :], (n, 3))[present]
    issued_flat = issued[present]
    kind_flat = kind[present]
    expires = np.where(
        kind_flat == CMND,
        add_years(issued_flat, 15),
        expiry_dates(plan.birth[record], issued_flat),
    )
    return CardRows(
        record=record.astype(np.int64),
        slot=slot.astype(np.int64),
        kind=kind_flat,
        issued=issued_flat,
        expires=expires,
    )
