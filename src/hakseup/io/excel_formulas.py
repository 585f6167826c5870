"""Workbook columns whose cells are formulas without saved values: a program that writes
.xlsx without computing it (openpyxl, pandas, many exporters) leaves only the formula, so the
values read as empty and the column looks constant. One warning names those columns, so the
user knows to open and save the workbook in a spreadsheet program (which stores the values).

Example:
    >>> uncached_formula_columns(Path("book.xlsx"), "Sheet1", df, True)   # doctest: +SKIP
    ['total']
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..i18n import t

__all__ = ["uncached_formula_columns", "warn_uncached_formulas"]

_ROWS = 50  # the first rows tell: a column of formulas has them from its first row


def uncached_formula_columns(path: Path, sheet: str, df: pd.DataFrame, header: bool) -> list[str]:
    """The columns of ``df`` that are empty as read but hold formulas in the workbook."""
    empty = [i for i, c in enumerate(df.columns) if df[c].isna().all()]
    if not empty or not len(df):
        return []
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        rows = wb[sheet].iter_rows(min_row=2 if header else 1, max_row=_ROWS, values_only=True)
        found: set[int] = set()
        for row in rows:
            found |= {
                i
                for i in empty
                if i < len(row) and isinstance(row[i], str) and row[i].startswith("=")
            }
    finally:
        wb.close()
    return [str(df.columns[i]) for i in sorted(found)]


def warn_uncached_formulas(path: Path, sheet: str, df: pd.DataFrame, header: bool) -> None:
    try:
        names = uncached_formula_columns(path, sheet, df, header)
    except Exception:  # noqa: BLE001 - a second look only; the table was read already
        return
    if names:
        warnings.warn(
            t(
                "warn.io.excel.uncached_formulas",
                path=path.name,
                names=", ".join(names[:5]),
                n=len(names),
            ),
            stacklevel=3,
        )
