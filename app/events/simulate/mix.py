"""The mix of operations a simulation draws, and the ``--rate`` and ``--duration`` it runs at.

The mix follows Vietnam's yearly volumes (approximations, about 100 M people; a
marriage or a divorce is one operation and two events, one per spouse):

=================  ========  =======  =================================================
operation          per year  share    basis
=================  ========  =======  =================================================
card re-issue      5.0 M     46.3 %   identity cards renewed at 25, 40 and 60 (about
                                      1.4 M people per age cohort) plus lost and
                                      damaged cards; an estimate, not a published figure
residence change   3.0 M     27.8 %   registrations of a new permanent or temporary
                                      residence; estimate from GSO internal-migration
                                      rates (about 3 % of the population a year)
birth              1.4 M     13.0 %   crude birth rate about 14 per 1,000 (GSO,
                                      Population Change and Family Planning Survey)
marriage           0.65 M     6.0 %   marriage registrations, Ministry of Justice
                                      civil-status statistics (rounded)
death              0.62 M     5.7 %   crude death rate about 6.2 per 1,000 (GSO);
                                      births / deaths = 2.26
divorce            0.06 M     0.6 %   divorces settled by the courts a year (Supreme
                                      People's Court reports, rounded)
name change        0.05 M     0.5 %   changes of given or family name (estimate)
ID correction      0.01 M     0.1 %   personal IDs re-issued for a wrongly recorded
                                      birth year (guess: rare by design)
=================  ========  =======  =================================================
"""

from __future__ import annotations

import re
from functools import cache

# Operations per year (millions), by event type; see the table above.
YEARLY_MILLIONS: dict[str, float] = {
    "card_reissue": 5.0,
    "residence_change": 3.0,
    "birth": 1.4,
    "marriage": 0.65,
    "death": 0.62,
    "divorce": 0.06,
    "name_change": 0.05,
    "id_correction": 0.01,
}
KINDS = tuple(YEARLY_MILLIONS)

MAX_RATE = 1000.0  # operations per second

RATE = re.compile(r"(\d+(?:\.\d+)?)/(s|m|h)")
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


@cache
def shares() -> dict[str, float]:
    """Each kind's share of the operations (they sum to 1)."""
    total = sum(YEARLY_MILLIONS.values())
    return {kind: volume / total for kind, volume in YEARLY_MILLIONS.items()}


def parse_rate(text: str) -> float:
    """``5/s``, ``300/m`` or ``1000/h``: operations per second."""
    match = RATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a rate; write a number per s, m or h: 5/s, 300/m.")
    per_second = float(match[1]) / UNIT_SECONDS[match[2]]
    if per_second <= 0 or per_second > MAX_RATE:
        raise ValueError(f"{text!r}: the rate must be above 0 and at most {MAX_RATE:.0f}/s.")
    return per_second


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1h`` or ``1h30m``: seconds."""
    match = DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 10m, 1h or 1h30m.")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r}: the duration must be longer than zero.")
    return float(total)
