"""Dates as spreadsheets write them, and the season a frequency implies.

``parse_dates`` accepts, for a whole column: real datetimes; year-only (``1821``); year-month
(``2020-01``, ``2020/1``); a year without its century and a month (``1-01``, ``49-12``: a
two-digit year is taken in the latest century that does not put it in the future); month
names with or without a year (``Jan-49``, ``January 2020``, ``Jan`` … counted forward from
year 2000 in row order); quarters (``2020Q1``, ``2020-Q1``, ``Q1 2020``); and anything pandas
parses (day first with ``dayfirst``). A column that does not parse is one ``DataError``
naming a few of the values.

Example:
    >>> list(parse_dates(pd.Series(["1-01", "1-02"])).strftime("%Y-%m"))
    ['2001-01', '2001-02']
    >>> season_from_freq("MS"), season_from_freq("W-SUN"), season_from_freq("YS-JAN")
    (12, 52, 1)
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ...errors import DataError
from ...i18n import t

__all__ = ["parse_dates", "season_from_freq"]

_MONTHS = {
    m.lower(): i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
_QUARTER = [
    re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$"),
    re.compile(r"^[Qq]([1-4])\s*-?\s*(\d{4})$"),
]


def _century(yy: np.ndarray) -> np.ndarray:
    """Two-digit years: the latest century that does not put the date in the future (so
    ``49`` is 1949 and ``21`` is 2021, as a spreadsheet of past observations means them)."""
    this_year = pd.Timestamp.now().year
    return np.where(2000 + yy <= this_year, 2000 + yy, 1900 + yy)


def _from_parts(years, months) -> pd.DatetimeIndex | None:
    """First-of-month timestamps, or None when a year is outside pandas' range (year 0, …)."""
    try:
        return pd.DatetimeIndex(
            pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
        )
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


def _year_month(s: pd.Series) -> pd.DatetimeIndex | None:
    """``YYYY-MM``, ``YYYY/MM``, ``Y-MM``/``YY-MM`` (no century), ``YYYYMM`` is left to pandas."""
    m = s.str.extract(r"^(\d{1,4})[-/.](\d{1,2})$")
    if m.isna().any().any():
        return None
    years, months = m[0].astype(int).to_numpy(), m[1].astype(int).to_numpy()
    if not ((months >= 1) & (months <= 12)).all():
        return None
    short = m[0].str.len() <= 2
    if short.all():
        years = _century(years)
    elif short.any():
        return None
    return _from_parts(years, months)


def _month_names(s: pd.Series) -> pd.DatetimeIndex | None:
    """``Jan-49``, ``Jan 1949``, ``January 2020``; or month names alone, in row order."""
    m = s.str.extract(r"^([A-Za-z]{3,9})\.?(?:[\s\-/,']+(\d{2}|\d{4}))?$")
    if m[0].isna().any():
        return None
    months = m[0].str[:3].str.lower().map(_MONTHS)
    if months.isna().any():
        return None
    months = months.astype(int).to_numpy()
    if m[1].notna().all():
        years = m[1].astype(int).to_numpy()
        years = np.where(m[1].str.len() == 2, _century(years), years)
    elif m[1].isna().all():  # no year at all: a new year starts whenever the month falls
        years = 2000 + np.concatenate([[0], np.cumsum(np.diff(months) <= 0)])
    else:
        return None
    return _from_parts(years, months)


def _quarters(s: pd.Series) -> pd.DatetimeIndex | None:
    years, quarters = [], []
    for v in s:
        for k, rx in enumerate(_QUARTER):
            hit = rx.match(v)
            if hit:
                y, q = (hit.group(1), hit.group(2)) if k == 0 else (hit.group(2), hit.group(1))
                years.append(int(y))
                quarters.append(int(q))
                break
        else:
            return None
    return _from_parts(np.array(years), 3 * np.array(quarters) - 2)


def _in_range(parsed: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Nanosecond timestamps; dates outside pandas' range (years before 1678, e.g. year 0)
    become NaT, so that they are reported as values that are not dates."""
    try:
        return parsed.as_unit("ns")
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        ok = parsed.notna() & (parsed.year > 1677) & (parsed.year < 2262)
        return pd.DatetimeIndex([t if good else pd.NaT for t, good in zip(parsed, ok)]).as_unit(
            "ns"
        )


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _with_pandas(text: pd.Series, dayfirst: bool, name: str) -> pd.DatetimeIndex:
    """pandas' reading (ISO first: dateutil's day-first reading would swap 2020-01-02's month
    and day). Stamps that all carry a UTC offset are read in UTC; a column mixing stamps with
    and without one is refused, as the hours of the plain ones mean nothing certain."""
    offsets = text.str.contains(_OFFSET)
    if offsets.any() and not offsets.all():
        raise DataError(
            t(
                "error.data.dates.mixed_time_zones",
                name=name,
                n_zone=int(offsets.sum()),
                n_plain=int((~offsets).sum()),
                zoned=text[offsets].iloc[0][:40],
                plain=text[~offsets].iloc[0][:40],
            )
        )
    utc = bool(offsets.any())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
            if parsed.isna().any():
                parsed = pd.to_datetime(
                    text, errors="coerce", format="mixed", dayfirst=dayfirst, utc=utc
                )
        except (ValueError, TypeError, OverflowError):  # what coerce does not cover
            parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    index = pd.DatetimeIndex(parsed)
    return index.tz_convert(None) if index.tz is not None else index


def _check_out_of_range(bad: pd.Series, name: str) -> None:
    """Dates that are real but outside what pandas holds (years 1678-2261): said so, not
    reported as values that are not dates."""
    far = []
    for v in bad.tolist()[:1000]:
        hit = re.match(r"^(\d{1,5})-\d{1,2}-\d{1,2}", v) or re.match(r"^(\d{1,5})$", v)
        if hit and not 1678 <= int(hit.group(1)) <= 2261:
            far.append(v)
    if far and len(far) == min(len(bad), 1000):
        raise DataError(
            t(
                "error.data.dates.out_of_range",
                name=name,
                n=len(bad),
                names=", ".join(map(repr, far[:3])),
            )
        )


def parse_dates(raw: pd.Series, dayfirst: bool = False, name: str = "time") -> pd.DatetimeIndex:
    """A column → timestamps (NaT where a value is missing); ``DataError`` if any value that
    is present cannot be read as a date."""
    present = raw.notna()
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.DatetimeIndex(raw)
    values = raw[present]
    text = values.astype(str).str.strip().str.lstrip("\ufeff")
    parsed = None
    if len(text) and text.str.fullmatch(r"\d{4}(\.0)?").all():  # year only
        parsed = pd.to_datetime(text.str[:4], format="%Y", errors="coerce")
    elif len(text):
        for reader in (_year_month, _quarters, _month_names):
            parsed = reader(text)
            if parsed is not None:
                break
    if parsed is None:
        parsed = _with_pandas(text, dayfirst, name)
    parsed = _in_range(pd.DatetimeIndex(parsed))
    bad = parsed.isna()
    if bad.any() or not len(text):
        _check_out_of_range(text[bad], name)
        examples = list(dict.fromkeys(text[bad].tolist()))[:3] or list(raw.astype(str)[:3])
        raise DataError(
            t(
                "error.data.dates.time_column_value",
                name=name,
                value=int(bad.sum()) or len(raw),
                names=", ".join(map(repr, examples)),
            )
        )
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    out[present] = parsed.to_numpy()
    return pd.DatetimeIndex(out)


_SEASONS = [
    ("h", 24),
    ("H", 24),
    ("B", 5),
    ("D", 7),
    ("W", 52),
    ("M", 12),
    ("SM", 24),
    ("Q", 4),
    ("A", 1),
    ("Y", 1),
    ("min", 60),
    ("T", 60),
]


def season_from_freq(freq: str | None) -> int | None:
    """The calendar season of a pandas frequency (hourly 24, daily 7, business-daily 5,
    weekly 52, monthly 12, quarterly 4, yearly 1 = none); None when there is no calendar
    season to take (irregular, multiples like ``3D``, sub-hourly)."""
    if not freq:
        return None
    base = re.sub(r"-.*$", "", str(freq))  # W-SUN → W, QS-OCT → QS
    if re.match(r"^\d", base):  # 2D, 15min: no calendar season
        return None
    base = base.rstrip("S") if base not in ("S", "MS", "QS", "YS", "AS", "BMS", "BQS") else base
    base = {
        "MS": "M",
        "ME": "M",
        "QS": "Q",
        "QE": "Q",
        "YS": "Y",
        "YE": "Y",
        "AS": "A",
        "BM": "M",
        "BMS": "M",
        "BQ": "Q",
        "BQS": "Q",
        "BA": "A",
        "BY": "Y",
    }.get(base, base)
    for prefix, season in _SEASONS:
        if base == prefix:
            return season
    return None
