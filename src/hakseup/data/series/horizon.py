"""How far ahead a forecast looks when the user does not say: from the series' frequency, as
the forecasting competitions set it (M1/M3/M4: yearly 6, quarterly 8; monthly 12 here — a
year, the horizon most monthly planning asks for — weekly 13, daily 7, hourly 24, half-hourly
48: a season or a planning cycle ahead).

The test period then holds at least one whole horizon (``split_rows``): with the default
shares (15 % validation, 15 % test) a short series' test period can be shorter than a horizon
— six days of half-hours have 43 test rows against a horizon of 48.

Example:
    >>> default_horizon("MS"), default_horizon("QS-OCT"), default_horizon("YS-JAN")
    (12, 8, 6)
    >>> default_horizon("30min"), default_horizon("h"), default_horizon(None)
    (48, 24, 1)
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["HORIZONS", "default_horizon", "split_rows", "steps_per_day"]

HORIZONS = {"Y": 6, "A": 6, "Q": 8, "M": 12, "W": 13, "D": 7, "B": 5}  # B: a working week
MAX_SUBDAILY = 96  # steps per day at most for a sub-daily horizon; finer: one hour


def _calendar_base(freq: str) -> str:
    """``QS-OCT`` → ``Q``, ``MS`` → ``M``, ``W-SUN`` → ``W``, ``YE-DEC`` → ``Y``."""
    base = re.sub(r"-.*$", "", freq).upper()
    for suffix in ("S", "E"):
        if (
            len(base) > 1
            and base.endswith(suffix)
            and base[:-1] in ("Y", "A", "Q", "M", "BM", "BQ", "BY", "BA")
        ):
            base = base[:-1]
    return base.removeprefix("B") if base not in ("B",) else base


def default_horizon(freq: str | None) -> int:
    """The default number of steps ahead for a pandas frequency string; 1 for an irregular
    series (no frequency). Multiples of a calendar unit (``2MS``) keep the unit's span
    (``2MS`` → 6 steps: a year). Sub-daily: one day of steps, at most ``MAX_SUBDAILY``, else
    one hour.

    >>> [default_horizon(f) for f in ("2MS", "15min", "min", "B")]
    [6, 96, 60, 5]
    """
    if not freq:
        return 1
    digits = re.match(r"^\d*", str(freq)).group(0)  # type: ignore[union-attr]  # always matches
    mult, unit = int(digits or 1), str(freq)[len(digits) :]
    base = _calendar_base(unit)
    if base in HORIZONS:
        return max(1, HORIZONS[base] // mult)
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError):
        return 1
    if step <= pd.Timedelta(0):
        return 1
    per_day = int(pd.Timedelta(days=1) / step)
    if step >= pd.Timedelta(days=1):
        return max(1, HORIZONS["D"] // max(1, step.days))
    if per_day <= MAX_SUBDAILY:
        return max(1, per_day)
    return max(1, int(pd.Timedelta(hours=1) / step))


def steps_per_day(freq: str | None) -> int | None:
    """The daily season of a regular sub-daily series (half-hourly 48, 15 minutes 96), at
    most ``MAX_SUBDAILY`` steps; None otherwise (hourly has its calendar season already).

    >>> steps_per_day("30min"), steps_per_day("15min"), steps_per_day("MS")
    (48, 96, None)
    """
    if not freq or _calendar_base(re.sub(r"^\d*", "", str(freq))) in HORIZONS:
        return None
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError):
        return None
    if step <= pd.Timedelta(0) or step >= pd.Timedelta(days=1):
        return None
    per_day = pd.Timedelta(days=1) / step
    return int(per_day) if per_day == int(per_day) and 2 <= per_day <= MAX_SUBDAILY else None


def split_rows(n: int, share: float, horizon: int) -> float:
    """A validation or test size (share < 1 or rows ≥ 1) widened to hold one horizon: the
    row count ``max(rows of share, horizon)`` (unchanged when the share already does).

    >>> split_rows(289, 0.15, 48), split_rows(144, 0.15, 12)
    (48, 0.15)
    """
    rows = int(round(share * n)) if share < 1 else int(share)
    return horizon if 0 < rows < horizon else share
