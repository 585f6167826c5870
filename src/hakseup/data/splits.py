"""Train/validation/test splits: stratified for classes, chronological for time.

Example:
    >>> tr, va, te = holdout_indices(100, val_size=0.1, test_size=0.2, seed=0)
    >>> len(tr), len(va), len(te)          # val_size is a share of what the test split leaves
    (72, 8, 20)
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["holdout_indices", "chronological_indices", "kfold_indices", "split_count"]


def split_count(size: float, n: int, what: str) -> int:
    """A share (< 1) or a row count (>= 1) → a row count."""
    count = int(round(size * n)) if size < 1 else int(size)
    if what == "test" and size > 0 and count == 0:  # every run is scored on its test rows
        raise DataError(f"data.test_size {size:g} of {n} rows is 0 rows: nothing to score the "
                        f"model on. Use a larger share, a row count (e.g. 1), or more rows.")
    if count >= n:
        raise DataError(f"The {what} split asks for {count} of {n} rows, leaving none to train "
                        f"on. Use a smaller data.{what}_size (a share below 1 or a row count).")
    return count


def holdout_indices(n: int, val_size: float, test_size: float, seed: int,
                    stratify: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Shuffled (stratified when ``stratify`` is given) train/val/test index arrays."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    n_test = split_count(test_size, n, "test")
    n_val = split_count(val_size, n - n_test, "val")
    if n - n_test - n_val < 1:
        raise DataError(f"Only {n} rows: nothing left to train on after the validation and "
                        f"test splits. Provide more rows or smaller split sizes.")

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
        raise DataError(f"Only {n} time steps: nothing left to train on. Provide a longer "
                        f"series or smaller split sizes.")
    idx = np.arange(n)
    return idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:]


def kfold_indices(n: int, folds: int, seed: int,
                  stratify: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, held-out) index pairs for K-fold cross-validation (stratified when possible)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2 or folds > n:
        raise DataError(f"--folds {folds} is not possible with {n} rows; expected 2..{n}.")
    if stratify is not None and np.unique(stratify, return_counts=True)[1].min() >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(n), stratify))
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(n)))
