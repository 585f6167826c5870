"""Train/validation/test splits: stratified for classes, chronological for time.

Example:
    >>> tr, va, te = holdout_indices(100, val_size=0.1, test_size=0.2, seed=0)
    >>> len(tr), len(va), len(te)          # val_size is a share of what the test split leaves
    (72, 8, 20)
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..i18n import t

__all__ = ["holdout_indices", "chronological_indices", "kfold_indices", "split_count"]


def split_count(size: float, n: int, what: str) -> int:
    """A share (< 1) or a row count (>= 1) → a row count."""
    count = int(round(size * n)) if size < 1 else int(size)
    if what == "test" and size > 0 and count == 0:  # every run is scored on its test rows
        raise DataError(t("error.data.splits.data_test_size", size=size, n=n))
    if count >= n:
        raise DataError(t("error.data.splits.split_asks_rows", what=what, count=count, n=n))
    return count


def holdout_indices(
    n: int, val_size: float, test_size: float, seed: int, stratify: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Shuffled (stratified when ``stratify`` is given) train/val/test index arrays."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    n_test = split_count(test_size, n, "test")
    n_val = split_count(val_size, n - n_test, "val")
    if n - n_test - n_val < 1:
        raise DataError(t("error.data.splits.only_rows_nothing", n=n))

    def cut(ix: np.ndarray, k: int, strat: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if k == 0:
            return ix, ix[:0]
        s = strat
        if s is not None:  # stratify only when every class can appear on both sides
            _, counts = np.unique(s, return_counts=True)
            if counts.min() < 2 or k < len(counts) or len(ix) - k < len(counts):
                s = None
        a, b = train_test_split(ix, test_size=k, random_state=seed, stratify=s)
        return a, b

    rest, test = cut(idx, n_test, None if stratify is None else stratify)
    train, val = cut(rest, n_val, None if stratify is None else stratify[rest])
    return np.sort(train), np.sort(val), np.sort(test)


def chronological_indices(n: int, val_size: float, test_size: float) -> tuple[np.ndarray, ...]:
    """Earliest rows train, then validation, then test — never shuffled across time."""
    n_test = split_count(test_size, n, "test")
    n_val = split_count(val_size, n - n_test, "val")
    n_train = n - n_test - n_val
    if n_train < 1:
        raise DataError(t("error.data.splits.only_time_steps", n=n))
    idx = np.arange(n)
    return idx[:n_train], idx[n_train : n_train + n_val], idx[n_train + n_val :]


def kfold_indices(
    n: int, folds: int, seed: int, stratify: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, held-out) index pairs for K-fold cross-validation (stratified when possible)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2 or folds > n:
        raise DataError(t("error.data.splits.folds_possible_rows", folds=folds, n=n))
    if stratify is not None and np.unique(stratify, return_counts=True)[1].min() >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n), stratify))
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(n)))
