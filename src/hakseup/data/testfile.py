"""``--test-data FILE``: a separate file is the test split (the shape of public benchmarks and
competitions: an official train file and an official test file).

The two files are read alike and stacked (training rows first), so column kinds, the task and
the class list are decided once for both; the validation split is drawn from the training file
only, and every statistic (scalers, imputers, vocabularies) is fitted on the training rows only.
A time series continues into its test file: the test period is exactly the test file's rows.

Example:
    >>> bundle = load_with_test_file(DataConfig(path="train.csv", test_path="test.csv",
    ...                                         target="label"), seed=0)     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError
from ..i18n import t
from .bundle import DataBundle
from .splits import holdout_indices

__all__ = ["load_with_test_file", "stack_test_file"]


def stack_test_file(train: pd.DataFrame, test: pd.DataFrame, train_name, test_name) -> pd.DataFrame:
    """Training rows then test rows, one frame; the test file must have the training columns."""
    missing = [c for c in train.columns if c not in test.columns]
    if missing:
        raise DataError(
            t(
                "error.data.testfile.test_file_lacks",
                test_name=test_name,
                train_name=train_name,
                names=", ".join(map(repr, missing[:10])),
            )
        )
    if len(test) == 0:
        raise DataError(t("error.data.testfile.test_file_rows", test_name=test_name))
    out = pd.concat([train, test[list(train.columns)]], ignore_index=True)
    # How each file was read (encodings, formats, parsed numbers): both files' notices.
    from ..io.reader import SOURCE_KEY, source_info

    a, b = source_info(train), source_info(test)
    seen = list(a.get("notices", []))
    out.attrs[SOURCE_KEY] = {
        **a,
        "notices": seen + [n for n in b.get("notices", []) if n not in seen],
    }
    return out


def _read(cfg: DataConfig, path: str) -> pd.DataFrame:
    from ..io.reader import read_data

    return read_data(path, cfg)


def load_with_test_file(cfg: DataConfig, seed: int) -> DataBundle:
    """A bundle whose test split is ``cfg.test_path``'s rows, preprocessing fitted on the
    training rows only."""
    if not cfg.path:
        raise DataError(t("error.data.testfile.test_data_needs"))
    assert cfg.test_path is not None  # load_data comes here only with --test-data
    train_df, test_df = _read(cfg, cfg.path), _read(cfg, cfg.test_path)
    n_train = len(train_df)
    df = stack_test_file(train_df, test_df, cfg.path, cfg.test_path)
    if cfg.time_col:
        from .series.prepare import series_bundle

        # The test period is exactly the test file's rows, after the training file's.
        return series_bundle(
            df, dataclasses.replace(cfg, test_size=float(len(test_df))), seed, {}, cfg.path
        )
    from .table.prepare import bundle_from_plan, prepare_table

    plan = prepare_table(df, cfg, {}, cfg.path)
    is_test = plan.df.index.to_numpy() >= n_train  # labels survive dropped target rows
    train_pos, test_pos = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    if len(test_pos) == 0:
        raise DataError(
            t("error.data.testfile.test_file_row", test_path=cfg.test_path, target=plan.target)
        )
    labels = plan.labels()
    tr, va, _ = holdout_indices(
        len(train_pos),
        cfg.val_size,
        0,
        seed,
        stratify=None if labels is None else labels[train_pos],
    )
    bundle = bundle_from_plan(plan, cfg, seed, indices=(train_pos[tr], train_pos[va], test_pos))
    bundle.info.setdefault("notices", []).append(
        t("notice.data.testfile.test_split_row", n_test_pos=len(test_pos), test_path=cfg.test_path)
    )
    return bundle
