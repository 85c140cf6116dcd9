"""The mistakes agency databases really hold, for connectors that send what they "have on file".

Counter clerks and legacy systems dropped diacritics (handled by ``Connector.typo``),
wrote dates day-first, swapped day and month, mistyped a digit of the ID and
put the given name first. Each helper returns the value unchanged when the
mistake cannot apply (a day above 12 cannot be swapped with its month).
"""

from __future__ import annotations

import random
from datetime import date


def day_first(birth_date: str) -> str:
    """``1985-09-02`` → ``02/09/1985``: the same date, as most Vietnamese forms write it."""
    try:
        day = date.fromisoformat(birth_date)
    except ValueError:
        return birth_date
    return day.strftime("%d/%m/%Y")


def swap_day_month(birth_date: str) -> str:
    """``1985-09-02`` → ``1985-02-09``: a form read the wrong way round."""
    try:
        day = date.fromisoformat(birth_date)
    except ValueError:
        return birth_date
    if day.day > 12 or day.day == day.month:
        return birth_date
    return day.replace(month=day.day, day=day.month).isoformat()


def wrong_digit(personal_id: str, rng: random.Random) -> str:
    """One digit of the serial (the last six) changed, as a keying error would."""
    if len(personal_id) != 12 or not personal_id.isdigit():
        return personal_id
    position = rng.randrange(6, 12)
    digit = rng.choice([d for d in "0123456789" if d != personal_id[position]])
    return personal_id[:position] + digit + personal_id[position + 1 :]


def given_name_first(full_name: str) -> str:
    """``Trần Minh Khôi`` → ``Khôi Trần Minh``: the order of foreign-made forms."""
    words = full_name.split()
    if len(words) < 2:
        return full_name
    return " ".join([words[-1], *words[:-1]])
