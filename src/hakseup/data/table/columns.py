"""Column kinds, the task and the target of a table, inferred before anything is fitted.

Kinds are numeric, categorical, boolean or datetime; identifier-like and free-text columns are
dropped with a notice; ``--categorical``/``--numeric``/``--drop`` force them. The task is binary,
multiclass or regression, from the target's values.

Example:
    >>> infer_task(pd.Series([0, 1, 1, 0]))
    'binary'
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...config import DataConfig
from ...errors import DataError, closest
from ...i18n import t

__all__ = [
    "infer_kinds",
    "infer_task",
    "resolve_target",
    "datetime_parts",
    "natural_key",
    "MAX_CLASSES_FROM_INTEGERS",
]

MAX_CLASSES_FROM_INTEGERS = 20


def resolve_target(df: pd.DataFrame, target: str | None, header: bool, path: object) -> str:
    """The target column's name: given by name (or index without a header), else the last."""
    cols = list(df.columns)
    if target is None:
        return cols[-1]
    if not header or target not in cols:
        if str(target).lstrip("-").isdigit() and not header:
            i = int(target)
            if -len(cols) <= i < len(cols):
                return cols[i]
    if target in cols:
        return target
    near = closest(target, cols, n=3)
    hint = t("error.did_you_mean", names=", ".join(repr(n) for n in near)) if near else ""
    shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
    raise DataError(t("error.target_missing", target=target, path=path, hint=hint, shown=shown))


def _numeric_share(s: pd.Series) -> tuple[float, pd.Series]:
    parsed = pd.to_numeric(s, errors="coerce")
    present = s.notna()
    share = float(parsed[present].notna().mean()) if present.any() else 0.0
    return share, parsed


def _looks_datetime(s: pd.Series) -> bool:
    sample = s.dropna().astype(str).head(200)
    if sample.empty or sample.str.len().median() < 6:
        return False
    if not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).mean() > 0.9:
        return False
    return bool(parse_datetimes(sample).notna().mean() > 0.95)


def parse_datetimes(s: pd.Series) -> pd.Series:
    """Datetimes from text or datetime values; offsets that differ between rows (or a mix of
    zoned and naive values) are brought to UTC, as pyarrow does when it reads offsets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(s, errors="coerce", format="mixed")
        except (ValueError, TypeError):  # "Mixed timezones detected"
            out = None
        # Some pandas versions return the mixed offsets as an object column of Timestamps
        # instead of raising: those too are brought to UTC.
        if out is None or not pd.api.types.is_datetime64_any_dtype(out):
            out = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
        return out


def infer_kinds(df: pd.DataFrame, target: str, cfg: DataConfig) -> tuple[dict[str, str], list[str]]:
    """{column: numeric|categorical|boolean|datetime} for the features, and notices."""
    kinds: dict[str, str] = {}
    notices: list[str] = []
    for name in list(cfg.categorical) + list(cfg.numeric) + list(cfg.drop) + list(cfg.features):
        if name not in df.columns:
            near = closest(name, df.columns)
            hint = t("error.did_you_mean", names=repr(near[0])) if near else ""
            raise DataError(
                t(
                    "error.column_missing",
                    name=name,
                    hint=hint,
                    shown=", ".join(map(str, df.columns[:20])),
                )
            )
    for col in df.columns:
        if col == target or col in cfg.drop or col == cfg.time_col:
            continue
        s = df[col]
        if col in cfg.categorical:
            kinds[col] = "categorical"
            continue
        if col in cfg.numeric:
            share, parsed = _numeric_share(s)
            if share < 1.0:
                _raise_text_in_numeric(col, s, parsed, forced=True)
            kinds[col] = "numeric"
            continue
        n_unique = _distinct_count(s)
        if n_unique <= 1:
            notices.append(t("notice.data.columns.column_single_value", col=col))
            continue
        if pd.api.types.is_datetime64_any_dtype(s):  # parsed by the reader already
            kinds[col] = "datetime"
        elif pd.api.types.is_bool_dtype(s) or (
            n_unique == 2
            and set(s.dropna().astype(str).str.lower().unique()) <= {"true", "false", "yes", "no"}
        ):
            kinds[col] = "boolean"
        elif pd.api.types.is_numeric_dtype(s):
            if _identifier_like(s, col):
                notices.append(t("notice.data.columns.column_looks_like", col=col))
                continue
            kinds[col] = "numeric"
        else:
            share, parsed = _numeric_share(s)
            if share >= 0.9:
                _raise_text_in_numeric(col, s, parsed, forced=False)
            if _looks_datetime(s):
                kinds[col] = "datetime"
            elif n_unique > 50 and n_unique > 0.9 * s.notna().sum():
                notices.append(t("notice.data.columns.column_different_text", col=col))
            else:
                kinds[col] = "categorical"
    if not kinds:
        raise DataError(t("error.no_features", target=target))
    return kinds, notices


def _distinct_count(s: pd.Series) -> int:
    """Distinct non-missing values; for a numeric column only as far as the kind rules need
    (0, 1, 2, or "3 or more"): hashing a million floats per column costs seconds, and three
    distinct values among the first rows already settle it."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        head = s.iloc[:1024].nunique(dropna=True)
        if head > 2:
            return head
    return s.nunique(dropna=True)


def _identifier_like(s: pd.Series, name: str) -> bool:
    if not pd.api.types.is_integer_dtype(s) or len(s) < 20:
        return False
    return bool(
        s.is_unique
        and (
            s.is_monotonic_increasing
            or name.lower() in ("id", "index")
            or name.lower().endswith("_id")
        )
    )


def _raise_text_in_numeric(col: str, s: pd.Series, parsed: pd.Series, forced: bool) -> None:
    bad = s.notna() & parsed.isna()
    rows = list(np.flatnonzero(bad.to_numpy())[:3] + 2)  # 1-based, after the header
    examples = ", ".join(repr(v) for v in s[bad].astype(str).unique()[:3])
    fix = t("fragment.fix_or_text", col=col) if forced else t("fragment.fix_or_force", col=col)
    raise DataError(
        t(
            "error.data.columns.column_numeric_text",
            col=col,
            sum=int(bad.sum()),
            examples=examples,
            names=", ".join(map(str, rows)),
            fix=fix,
        )
    )


def infer_task(y: pd.Series, forced: str = "auto") -> str:
    """binary | multiclass | regression, from the target's values (unless forced)."""
    n_unique = y.nunique(dropna=True)
    if forced != "auto":
        if forced in ("binary", "multiclass") and n_unique < 2:
            pass  # reported below as "one class only"
        elif forced == "binary" and n_unique != 2:
            raise DataError(t("error.binary_classes", target=y.name, n=n_unique))
        elif forced == "regression" and not pd.api.types.is_numeric_dtype(y):
            raise DataError(t("error.data.columns.task_regression_needs", name=y.name))
        return forced
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "binary" if n_unique == 2 else "multiclass"
    values = y.dropna().to_numpy()
    integral = np.all(np.isfinite(values)) and np.all(np.mod(values, 1) == 0)
    # Integers are classes only when few and repeated (11 distinct values in 11 rows are not).
    if integral and n_unique <= MAX_CLASSES_FROM_INTEGERS and n_unique <= len(values) / 2:
        return "binary" if n_unique == 2 else "multiclass"
    return "regression"


def datetime_parts(s: pd.Series) -> pd.DataFrame:
    d = parse_datetimes(s)
    return pd.DataFrame(
        {"year": d.dt.year, "month": d.dt.month, "day": d.dt.day, "dayofweek": d.dt.dayofweek},
        index=s.index,
    ).astype("float64")


def natural_key(v: str):
    """Sort numbers by value, then text: class '10' after '9'."""
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)
