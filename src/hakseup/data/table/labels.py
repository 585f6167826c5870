"""Class labels that a CSV spells differently but that read as one number (``1`` and ``01``,
``2`` and ``2.0``): the reader turns the column into numbers, so they become one class. The
file's own text of the target column is read again (that column only) and, when several
spellings met in one label, one warning names them.

Example:
    >>> spellings_merged(pd.Series(["1", "01", "2"]))
    [['01', '1']]
    >>> spellings_merged(pd.Series(["a", "b"]))
    []
"""

from __future__ import annotations

import warnings

import pandas as pd

from ...i18n import t

__all__ = ["warn_merged_labels", "spellings_merged"]


def spellings_merged(raw: pd.Series) -> list[list[str]]:
    """Groups of distinct texts that read as the same number."""
    text = raw.dropna().astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    groups = text[numbers.notna()].groupby(numbers[numbers.notna()]).unique()
    return [sorted(g) for g in groups if len(g) > 1]


def warn_merged_labels(df: pd.DataFrame, target: str, path: str) -> None:
    """Warn when a numeric class column of a CSV file merged labels spelled differently."""
    source = df.attrs.get("hakseup_source", {})
    if source.get("format") != "csv" or not pd.api.types.is_numeric_dtype(df[target]):
        return
    try:
        raw = pd.read_csv(
            path,
            usecols=[target],
            dtype=str,
            sep=source.get("sep") or ",",
            encoding=source.get("encoding") or "utf-8",
            keep_default_na=False,
            encoding_errors="replace",
        )[target]
    except (OSError, ValueError, UnicodeError, pd.errors.ParserError):
        return  # the file was read once already: nothing more to say
    merged = spellings_merged(raw)
    if merged:
        shown = "; ".join(" = ".join(f"'{s}'" for s in g[:3]) for g in merged[:3])
        warnings.warn(
            t("warn.data.tables.labels_merged", target=target, groups=shown, n=len(merged)),
            stacklevel=3,
        )
