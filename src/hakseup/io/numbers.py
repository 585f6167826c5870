"""Numbers written for people: thousands separators (``1,234``, ``1 234``), percentages
(``12%``) and currency symbols (``$5``, ``₩1,000``, ``3 €``, ``1,000원``).

A text column is read as numbers when every non-missing value is such a number and at least
one carries a separator, a ``%`` or a currency sign; the decision is a notice in the run's
data section. A column is left as text — with a notice saying why where it nearly qualified —
when a few values are not numbers, when it mixes currencies or percentages with plain numbers,
or when it looks like an identifier (zero-padded codes such as ``007``) or a date. A
percentage becomes a fraction (``12%`` → 0.12), as a spreadsheet stores it.

Example:
    >>> df = pd.DataFrame({"price": ["$1,200", "$950", "$3,400.50"]})
    >>> notices = parse_formatted_numbers(df)
    >>> df["price"].tolist()
    [1200.0, 950.0, 3400.5]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import t

__all__ = ["parse_formatted_numbers", "parse_number", "Number"]

_CURRENCY = "$€£¥₩"
_PATTERN = re.compile(
    r"^(?P<s1>[-+\u2212]?)\s?(?P<c1>[" + _CURRENCY + r"])?\s?(?P<s2>[-+\u2212]?)"
    r"(?P<int>[0-9]{1,3}(?:(?P<sep>[, \u00a0\u202f'])[0-9]{3})(?:(?P=sep)[0-9]{3})*|[0-9]+)?"
    r"(?P<frac>\.[0-9]+)?\s?(?P<pct>%)?\s?(?P<c2>[€₩원円])?$"
)
_SUFFIX_CURRENCY = {"원": "₩", "円": "¥"}
_DATE = re.compile(r"[0-9]{1,4}[-/:][0-9]{1,2}")
# Share of a column's first values that must parse before the whole column is examined.
_SCREEN = 0.9


@dataclass(frozen=True)
class Number:
    """One parsed cell: its value and how it was written."""

    value: float
    currency: str = ""
    thousands: bool = False
    percent: bool = False
    zero_padded: bool = False

    @property
    def formatted(self) -> bool:
        return bool(self.currency or self.thousands or self.percent)


def parse_number(text: str) -> Number | None:
    """The number ``text`` writes, or None when it is not one."""
    m = _PATTERN.match(text.strip())
    if not m or not (m["int"] or m["frac"]) or (m["s1"] and m["s2"]) or (m["c1"] and m["c2"]):
        return None
    digits = (m["int"] or "0").replace(m["sep"] or "\0", "")
    value = float(digits + (m["frac"] or ""))
    if (m["s1"] or m["s2"]) in ("-", "\u2212"):
        value = -value
    if m["pct"]:
        value /= 100
    currency = m["c1"] or _SUFFIX_CURRENCY.get(m["c2"] or "", m["c2"] or "")
    padded = bool(m["int"] and not m["sep"] and len(m["int"]) > 1 and m["int"][0] == "0")
    return Number(value, currency, bool(m["sep"]), bool(m["pct"]), padded)


def _describe(parsed: list[Number]) -> str:
    parts = []
    if any(p.thousands for p in parsed):
        parts.append(t("notice.data.numbers.thousands"))
    if any(p.percent for p in parsed):
        parts.append(t("notice.data.numbers.percent"))
    currencies = sorted({p.currency for p in parsed if p.currency})
    if currencies:
        parts.append(t("notice.data.numbers.currency", symbol=currencies[0]))
    return t("notice.data.numbers.and").join(parts)


def _column(s: pd.Series, name: str) -> tuple[pd.Series | None, str | None]:
    """(numbers, notice) when ``s`` is a column of formatted numbers, (None, notice-or-None)
    when it is left as it is."""
    values = s.dropna()
    if values.empty:
        return None, None
    head = [parse_number(str(v)) for v in values.iloc[:200]]
    if sum(p is not None for p in head) < _SCREEN * len(head):
        return None, None
    uniques = pd.unique(values.astype(str))
    table = {u: parse_number(u) for u in uniques}
    parsed = [p for p in table.values() if p is not None]
    if not any(p.formatted for p in parsed) or any(p.zero_padded for p in parsed):
        return None, None  # plain numbers in a text column, or codes
    if _DATE.search(" ".join(map(str, values.iloc[:200]))):
        return None, None  # 2021-03-01, 03/01, 12:30: dates and times
    bad = [u for u, p in table.items() if p is None]
    if bad:
        n_bad = int(values.astype(str).isin(bad).sum())
        return None, t(
            "notice.data.numbers.some_not_numbers",
            name=name,
            how=_describe(parsed),
            n_bad=n_bad,
            examples=", ".join(map(repr, bad[:3])),
        )
    found = {u: p for u, p in table.items() if p is not None}  # all of them, by now
    currencies = sorted({p.currency for p in parsed if p.currency})
    if len(currencies) > 1:
        return None, t(
            "notice.data.numbers.mixed_currencies", name=name, currencies=", ".join(currencies)
        )
    if 0 < sum(p.percent for p in parsed) < len(parsed):
        return None, t("notice.data.numbers.mixed_percent", name=name)
    numbers = s.astype(object).map({u: p.value for u, p in found.items()}).astype("float64")
    if (
        not any(p.percent for p in parsed)
        and numbers.notna().all()
        and bool(np.all(np.mod(numbers.to_numpy(), 1) == 0))
        and numbers.abs().max() < 2**53
    ):
        numbers = numbers.astype("int64")  # as the CSV reader types whole numbers
    example = next(u for u, p in found.items() if p.formatted)
    return numbers, t(
        "notice.data.numbers.read_as_numbers", name=name, how=_describe(parsed), example=example
    )


def parse_formatted_numbers(df: pd.DataFrame) -> list[str]:
    """Convert ``df``'s columns of formatted numbers in place; one notice per column decided."""
    notices = []
    for col in df.columns:
        s = df[col]
        if (
            pd.api.types.is_numeric_dtype(s)
            or pd.api.types.is_bool_dtype(s)
            or pd.api.types.is_datetime64_any_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        numbers, notice = _column(s, str(col))
        if numbers is not None:
            df[col] = numbers
        if notice:
            notices.append(notice)
    return notices
