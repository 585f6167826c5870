"""Cross-validation for a time series: rolling origin with an expanding window.

Shuffled K-fold would train on the future of its test rows. Here the last rows are cut into
``folds`` consecutive test blocks; fold k trains (and validates) on every row before its block
and is scored on the block, each fold's preprocessing (scaler, differencing verdict, season)
fitted on its own training period.

Example:
    >>> [(len(tr), len(te)) for tr, te in rolling_origin_folds(100, 3, 10)]
    [(70, 10), (80, 10), (90, 10)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ...errors import DataError
from ...i18n import t
from ..bundle import DataBundle

__all__ = ["rolling_origin_folds", "series_fold_bundles"]


def rolling_origin_folds(
    n: int, folds: int, test_size: int | None = None, min_train: int = 2
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) per fold: ``folds`` consecutive test blocks of ``test_size``
    rows (default: n // (folds + 1)) at the end; each fold trains on all rows before its
    block."""
    if folds < 1:
        raise DataError(t("error.data.series_cv.folds_least_rolling", folds=folds))
    size = int(test_size) if test_size else max(1, n // (folds + 1))
    first = n - folds * size
    if first < min_train:
        raise DataError(
            t(
                "error.data.series_cv.rolling_origin_folds",
                folds=folds,
                size=size,
                value=folds * size + min_train - 1,
                n=n,
            )
        )
    idx = np.arange(n)
    return [
        (idx[: first + k * size], idx[first + k * size : first + (k + 1) * size])
        for k in range(folds)
    ]


def series_fold_bundles(
    df: pd.DataFrame,
    cfg,
    seed: int,
    folds: int,
    defaults: dict | None = None,
    source: object = "data",
) -> Iterator[tuple[int, DataBundle]]:
    """(fold, bundle) for each rolling-origin fold: the bundle's test split is the fold's
    block, its training and validation rows everything before it (for ``hakseup cv``)."""
    from .prepare import prepare_series, series_bundle

    defaults = defaults or {}
    sf = prepare_series(df, cfg, defaults, source)  # parsed, sorted, gaps filled once
    frame = sf.df.rename_axis(sf.time_col).reset_index()
    plain = dataclasses.replace(cfg, time_col=sf.time_col, target=sf.target, fill_gaps=False)
    for k, (_train_rows, test_rows) in enumerate(rolling_origin_folds(len(frame), folds)):
        end = int(test_rows[-1]) + 1
        fold_cfg = dataclasses.replace(plain, test_size=float(len(test_rows)))
        yield k, series_bundle(frame.iloc[:end], fold_cfg, seed + k, defaults, source)
