"""Checks on a table before training: a feature that leaks the target, a dominant class.

Leak guard: a feature that *alone* predicts the target almost perfectly is usually known only
after the fact (a card's expenditure tells whether there is a card). For classification, a
one-feature model — a depth-4 decision tree on a number, the majority class per level of a
category — is scored by 5-fold cross-validation over the training and validation rows (one
validation split of a small table is noise: a tumour's ``worst radius`` scored 0.958 alone on
one split of 85 rows, 0.903 over folds); an accuracy of at least 0.99 (that also halves the
majority class's error) names the column, and so does an accuracy of at least 0.95 that leaves
at most 15 % of the majority class's error. Calibrated on the public suite (error left, over
folds): creditcard.csv's leaks ``expenditure`` 7.4 % and ``share`` 8.8 %; the best honest
features 24 % (the tumour table's ``worst area``), 38 % (penguins' flipper length), 81 %
(digits' pixels). For regression, |Pearson correlation| ≥ 0.99 on the training rows names it.
The message names the flag that drops it. A table with one feature is not checked: that
feature is the whole question (``y = 3x - 2`` plus noise is linear regression's first
experiment, not a leak), and dropping it would leave nothing to learn from.

Example:
    >>> leak_messages(df, {"spend": "numeric"}, "card", "binary", tr, va)     # doctest: +SKIP
    ["Column 'spend' alone predicts 'card' ... rerun with --drop spend ..."]
"""

from __future__ import annotations

import shlex
import warnings

import numpy as np
import pandas as pd

from ...errors import HakseupWarning
from ...i18n import t

__all__ = [
    "leak_findings",
    "leak_messages",
    "balance_message",
    "warn_all",
    "LEAK_ACCURACY",
    "LEAK_CORRELATION",
    "DOMINANT_SHARE",
]

LEAK_ACCURACY = 0.99
LEAK_ERROR_SHARE = 0.15  # ... or at least 0.95 with at most 15 % of the majority's error
LEAK_FOLDS = 5
LEAK_CORRELATION = 0.99
DOMINANT_SHARE = 0.80
_MAX_ROWS = 20_000  # rows each one-feature model sees at most (the check stays cheap)
_MAX_COLUMNS = 200  # wider tables (pixels as columns) are not checked column by column


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _one_feature_accuracy(x_tr, y_tr, x_va, y_va, categorical: bool) -> float:
    """Validation accuracy of a model that sees one column only."""
    if categorical:
        table = pd.Series(y_tr).groupby(pd.Series(x_tr)).agg(lambda s: s.value_counts().index[0])
        fallback = pd.Series(y_tr).value_counts().index[0]
        pred = pd.Series(x_va).map(table).fillna(fallback).to_numpy()
        return float(np.mean(pred == y_va))
    from sklearn.tree import DecisionTreeClassifier

    fill = np.nanmedian(x_tr) if np.isfinite(x_tr).any() else 0.0
    tree = DecisionTreeClassifier(max_depth=4, random_state=0)
    tree.fit(np.nan_to_num(x_tr, nan=fill).reshape(-1, 1), y_tr)
    return float(np.mean(tree.predict(np.nan_to_num(x_va, nan=fill).reshape(-1, 1)) == y_va))


def _rows(train: np.ndarray, val: np.ndarray) -> np.ndarray:
    """The rows the one-feature models are cross-validated on: training and validation
    rows (never the test rows), at most ``_MAX_ROWS``."""
    rows = np.concatenate([np.asarray(train), np.asarray(val)]).astype(np.int64)
    if len(rows) > _MAX_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(rows, _MAX_ROWS, replace=False))
    return rows


def _cv_accuracy(x: np.ndarray, y: np.ndarray, categorical: bool) -> float:
    """Accuracy of a one-feature model over (stratified) folds of ``x``, ``y``."""
    from sklearn.model_selection import KFold, StratifiedKFold

    smallest = int(pd.Series(y).value_counts().min())
    folds = (
        StratifiedKFold(min(LEAK_FOLDS, smallest), shuffle=True, random_state=0)
        if smallest >= 2
        else KFold(LEAK_FOLDS, shuffle=True, random_state=0)
    )
    hits = 0.0
    for tr, va in folds.split(np.zeros(len(y)), y):
        hits += _one_feature_accuracy(x[tr], y[tr], x[va], y[va], categorical) * len(va)
    return hits / len(y)


def leak_findings(
    df: pd.DataFrame,
    kinds: dict[str, str],
    target: str,
    task: str,
    train: np.ndarray,
    val: np.ndarray,
) -> list[tuple[str, str]]:
    """(column, the evidence) for each feature that alone predicts the target almost
    perfectly."""
    if len(kinds) > _MAX_COLUMNS or len(kinds) < 2 or len(train) < 20:
        return []  # a lone feature is the problem itself (module doc)
    rows = _rows(train, val)
    hits: list[tuple[str, str]] = []
    if task in ("binary", "multiclass"):
        y = df[target].astype(str).to_numpy()
        majority = pd.Series(y[rows]).value_counts(normalize=True).iloc[0]
        for col, kind in kinds.items():
            if kind == "datetime":
                continue
            cat = kind in ("categorical", "boolean")
            x = df[col].astype(str).to_numpy() if cat else _numeric(df, col)
            acc = _cv_accuracy(x[rows], y[rows], cat)
            error, base = 1 - acc, 1 - majority
            if (acc >= LEAK_ACCURACY and error <= base / 2) or (
                acc >= 0.95 and error <= LEAK_ERROR_SHARE * base
            ):
                hits.append(
                    (
                        col,
                        f"accuracy {acc:.3f} over {LEAK_FOLDS} folds of the "
                        f"training rows; the majority class alone: {majority:.3f}",
                    )
                )
    else:
        y = pd.to_numeric(df[target], errors="coerce").to_numpy(dtype=np.float64)[rows]
        for col, kind in kinds.items():
            if kind != "numeric":
                continue
            x = _numeric(df, col)[rows]
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
                continue
            r = float(np.corrcoef(x[ok], y[ok])[0, 1])
            if abs(r) >= LEAK_CORRELATION:
                hits.append((col, f"correlation {r:+.3f} on the training rows"))
    return hits


def leak_messages(findings: list[tuple[str, str]], target: str, detail: bool = True) -> list[str]:
    """One message per finding, naming the flag that drops them all. ``detail=False`` leaves
    the figures out (the same line for every fold of a cross-validation)."""
    # Shell-quoted: a column name with a space (``worst radius``) must survive a paste.
    names = shlex.quote(",".join(c for c, _ in findings))
    return [
        t(
            "notice.data.checks.leak",
            col=col,
            target=target,
            why=f" ({why})" if detail else "",
            names=names,
        )
        for col, why in findings
    ]


def balance_message(class_counts: dict[str, int], target: str) -> str | None:
    """A notice when one class holds at least ``DOMINANT_SHARE`` of the rows."""
    total = sum(class_counts.values())
    if not total:
        return None
    name, count = max(class_counts.items(), key=lambda kv: kv[1])
    share = count / total
    if share < DOMINANT_SHARE:
        return None
    return t(
        "notice.data.checks.dominant_binary"
        if len(class_counts) == 2
        else "notice.data.checks.dominant",
        name=name,
        share=share,
        target=target,
    )


def warn_all(messages: list[str]) -> None:
    """Each message as a one-line warning in the terminal (the CLI formats them)."""
    for m in messages:
        warnings.warn(m, HakseupWarning, stacklevel=2)
