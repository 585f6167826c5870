"""Tables: from a cleaned frame to a split, preprocessed ``DataBundle``.

``prepare_table`` takes every decision that needs no statistic (target, column kinds — see
``columns.py`` — task, layout); ``bundle_from_plan`` splits the rows and fits the
preprocessing (``preprocess.py``) on the training rows only, then builds the tensors.

Example:
    >>> plan = prepare_table(df, DataConfig(target="output"))                 # doctest: +SKIP
    >>> bundle = bundle_from_plan(plan, DataConfig(target="output"), seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...config import DataConfig
from ...errors import DataError
from ...i18n import t
from ..bundle import DataBundle, Schema, Split
from ..splits import holdout_indices
from .columns import infer_kinds, infer_task, resolve_target
from .preprocess import TablePreprocessor, embedding_size, encoding_text

# infer_kinds, infer_task, resolve_target, TablePreprocessor and embedding_size are re-exported:
# they lived here before columns.py and preprocess.py were split out.
__all__ = [
    "infer_kinds",
    "infer_task",
    "TablePreprocessor",
    "TablePlan",
    "prepare_table",
    "bundle_from_plan",
    "embedding_size",
    "resolve_target",
    "TABLE_SCALING",
    "MIN_CATEGORY_COUNT",
    "TABLE_CLIP",
]

# The table defaults (see the README's "Defaults for tables", measured with
# benchmarks/quality.py): robust scaling with smooth clipping, and levels seen fewer than 5
# times in the training rows folded into one "(other)" level.
TABLE_SCALING = "robust"
MIN_CATEGORY_COUNT = 5
# The smooth clipping bound of robust scaling for new runs: 6 instead of RealMLP's 3, which
# already shrank z = 2 by 17 % and bent linear relations (carseats R² 0.835 -> 0.845, hitters
# +0.012, creditcard and oj -0.002/-0.003; benchmarks/quality.py). Saved runs keep their own.
TABLE_CLIP = 6.0


def _beyond_float32(values: np.ndarray) -> tuple[int, float, int] | None:
    """(how many, the first, its line in the file) of ``values`` beyond float32's range, or
    None when all fit: the model and its training compute in float32, where they would be inf.
    A row's line counts the header (line 1)."""
    big = np.flatnonzero(np.abs(values) > np.finfo(np.float32).max)
    if not len(big):
        return None
    return len(big), float(values[big[0]]), int(big[0]) + 2


def _drop_missing_target(df: pd.DataFrame, target: str, path) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows without a target value; reject an infinite target, or one beyond float32."""
    notices = []
    y = df[target]
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        values = y.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(values).any():
            raise DataError(t("error.data.tables.target_column_contains", target=target))
        big = _beyond_float32(values)
        if big:
            n, first, _ = big
            raise DataError(
                t("error.data.tables.target_column_value", target=target, sum=n, values=first)
            )
    missing_target = int(y.isna().sum())
    if missing_target:
        df = df[y.notna()]
        notices.append(
            t("notice.data.tables.dropped_row_value", missing_target=missing_target, target=target)
        )
    if len(df) == 0:
        raise DataError(t("error.data.tables.rows_left_after", path=path, target=target))
    return df, notices


def _check_finite(df: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Reject a numeric input column with an inf, or a value beyond float32's range."""
    for col in [c for c, kind in kinds.items() if kind == "numeric"]:
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        n_inf = int(np.isinf(v).sum())
        if n_inf:
            rows = list(np.flatnonzero(np.isinf(v))[:3] + 2)
            raise DataError(
                t(
                    "error.data.tables.column_contains_inf",
                    col=col,
                    n_inf=n_inf,
                    names=", ".join(map(str, rows)),
                )
            )
        big = _beyond_float32(v)
        if big:
            n, first, line = big
            raise DataError(
                t("error.data.tables.column_value_beyond", col=col, sum=n, v=first, value=line)
            )


def _sequence_shape(cfg: DataConfig, n_features: int) -> tuple[int, ...]:
    if not cfg.sequence_shape:
        return (n_features, 1) if cfg.layout == "sequence" else (1, n_features, 1)
    try:
        dims = tuple(int(v) for v in cfg.sequence_shape.lower().replace("*", "x").split("x"))
        if not dims or min(dims) < 1:  # -1x-2 multiplies to 2 but is no shape
            raise ValueError(cfg.sequence_shape)
    except ValueError:
        raise DataError(
            t("error.data.tables.invalid_sequence_shape", sequence_shape=cfg.sequence_shape)
        ) from None
    if math.prod(dims) != n_features:
        raise DataError(
            t(
                "error.data.tables.sequence_shape_needs",
                sequence_shape=cfg.sequence_shape,
                prod=math.prod(dims),
                n_features=n_features,
            )
        )
    return dims if cfg.layout == "sequence" else (1, *dims)


@dataclass
class TablePlan:
    """A cleaned table and every decision made about it before any statistic is fitted."""

    df: pd.DataFrame
    target: str
    kinds: dict[str, str]
    task: str
    layout: str
    sequence_shape: tuple[int, ...] | None
    notices: list[str]

    @property
    def classification(self) -> bool:
        return self.task in ("binary", "multiclass")

    def labels(self) -> np.ndarray | None:
        """Class labels for stratification (None for regression)."""
        return self.df[self.target].astype(str).to_numpy() if self.classification else None


# What was decided without being asked: said in the terminal summary and the report.
# (i18n catalogs: notice.data.tables.target_defaulted, notice.data.tables.task_inferred)


def _decision_notices(
    df: pd.DataFrame, target: str, task: str, cfg: DataConfig, defaults: dict
) -> list[str]:
    notices = []
    if cfg.target is None and defaults.get("target") is None:
        notices.append(t("notice.data.tables.target_defaulted", target=target))
    if cfg.task == "auto":
        n = df[target].nunique()
        detail = (
            t("notice.data.tables.n_classes", n=n)
            if task in ("binary", "multiclass")
            else t("notice.data.tables.a_number")
        )
        notices.append(
            t("notice.data.tables.task_inferred", target=target, task=task, detail=detail)
        )
    return notices


def prepare_table(
    df: pd.DataFrame, cfg: DataConfig, defaults: dict | None = None, source: object = "data"
) -> TablePlan:
    """Target, column kinds, task and layout; rows without a target dropped."""
    defaults = defaults or {}
    target = resolve_target(df, cfg.target or defaults.get("target"), cfg.header, source)
    read = list(df.attrs.get("hakseup_source", {}).get("notices", []))  # formats, numbers
    df, notices = _drop_missing_target(df, target, source)
    notices = read + notices
    kinds, more = infer_kinds(df, target, cfg)
    _check_finite(df, kinds)
    task = infer_task(df[target], cfg.task)
    if task in ("binary", "multiclass") and cfg.path:
        from .labels import warn_merged_labels

        warn_merged_labels(df, target, cfg.path)
    notices += _decision_notices(df, target, task, cfg, defaults)
    if task in ("binary", "multiclass"):
        counts = df[target].astype(str).value_counts()
        if len(counts) < 2:
            raise DataError(
                t("error.data.tables.target_only_one", target=target, index=counts.index[0])
            )
    layout = cfg.layout if cfg.layout != "auto" else "table"
    seq_shape = None
    if layout in ("sequence", "image"):
        bad = [c for c, k in kinds.items() if k != "numeric"]
        if bad:
            raise DataError(
                t(
                    "error.data.tables.layout_reads_every",
                    layout=layout,
                    names=", ".join(map(repr, bad[:5])),
                )
            )
        seq_shape = _sequence_shape(cfg, len(kinds))
    return TablePlan(df, target, kinds, task, layout, seq_shape, notices + more)


def bundle_from_plan(
    plan: TablePlan,
    cfg: DataConfig,
    seed: int,
    indices: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> DataBundle:
    """Split (or use ``indices``), fit the preprocessing on the training rows, build tensors."""
    df, target, kinds = plan.df, plan.target, plan.kinds
    notices = list(plan.notices)
    if indices is None:
        tr, va, te = holdout_indices(
            len(df), cfg.val_size, cfg.test_size, seed, stratify=plan.labels()
        )
    else:
        tr, va, te = indices
    pre = _fit_preprocessor(plan, cfg, tr)
    splits, missing_counts = _transform_splits(plan, pre, tr, va, te)
    if missing_counts:
        notices.append(
            t(
                "notice.data.tables.imputed",
                counts=", ".join(f"{c}: {n}" for c, n in missing_counts.items()),
            )
        )
    cats = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
    cards = [len(pre.vocab_[c]) + 1 for c in cats]
    schema = Schema(
        task=plan.task,
        input_kind=plan.layout,
        input_shape=tuple(splits["train"].inputs[0].shape[1:]),
        n_outputs=len(pre.classes_) if plan.classification else 1,
        target=target,
        class_names=list(pre.classes_),
        numeric_features=pre.numeric_features(),
        categorical_features=cats,
        cardinalities=cards,
    )
    info = _table_info(plan, pre, splits, notices, missing_counts, cats, cards)
    if plan.layout == "table":
        _check_table(plan, tr, va, info)
    augment = None
    if plan.layout == "image" and cfg.augment:
        from ..augment import Augmenter

        augment = Augmenter(cfg.augment)
    return DataBundle(
        splits["train"], splits["val"], splits["test"], schema, pre, info, augment=augment
    )


def _fit_preprocessor(plan: TablePlan, cfg: DataConfig, train: np.ndarray) -> TablePreprocessor:
    """The preprocessing fitted on the training rows; every class must reach them."""
    table = plan.layout == "table"  # sequences and images keep one scale for all steps
    pre = TablePreprocessor(
        plan.kinds,
        plan.target,
        plan.task,
        layout=plan.layout,
        sequence_shape=plan.sequence_shape,
        normalize=cfg.normalize,
        scaling=(cfg.scaling if cfg.scaling != "auto" else TABLE_SCALING) if table else "standard",
        min_count=MIN_CATEGORY_COUNT if table else 1,
        clip=TABLE_CLIP,
        log_target=_log_target(plan, cfg),
    )
    pre.fit(plan.df, rows=train)
    if plan.classification:
        extra = sorted(set(plan.df[plan.target].astype(str)) - set(pre.classes_))
        if extra:  # a class too rare to reach the training rows
            raise DataError(
                t(
                    "error.data.tables.class_too_few",
                    names=", ".join(map(repr, extra)),
                    target=plan.target,
                )
            )
    return pre


def _log_target(plan: TablePlan, cfg: DataConfig) -> bool:
    """``data.transform`` for a regression table: ``log`` models log(y) (positive targets
    only); ``auto`` and ``none`` keep y (auto's log rule is for series: see README)."""
    return plan.task == "regression" and plan.layout == "table" and cfg.transform == "log"


def _transform_splits(
    plan: TablePlan, pre: TablePreprocessor, tr: np.ndarray, va: np.ndarray, te: np.ndarray
) -> tuple[dict[str, Split], dict[str, int]]:
    """The three splits as tensors, and the imputed counts per column.

    Every row is transformed once, in [train | val | test] order, with the training-fitted
    preprocessor; the splits are then views (copying the frame, or the tensors, per split
    would need several times the file's size in memory)."""
    df = plan.df
    order = np.concatenate([tr, va, te])
    inputs, stats = pre.transform_inputs(df, rows=order)
    target_all = pre.transform_target(df.iloc[:, [df.columns.get_loc(plan.target)]].iloc[order])
    bounds = np.cumsum([0, len(tr), len(va), len(te)])
    splits = {
        name: Split(
            tuple(x[bounds[k] : bounds[k + 1]] for x in inputs),
            target_all[bounds[k] : bounds[k + 1]],
        )
        for k, name in enumerate(("train", "val", "test"))
    }
    return splits, dict(stats["imputed"])


def _table_info(
    plan: TablePlan,
    pre: TablePreprocessor,
    splits: dict,
    notices: list[str],
    missing_counts: dict,
    cats: list[str],
    cards: list[int],
) -> dict:
    """Rows, notices and the data summary the report shows."""
    info: dict[str, Any] = {
        "rows": {k: len(v) for k, v in splits.items()},
        "notices": notices,
        "summary": {
            "columns used": len(plan.kinds),
            "numeric / categorical": f"{len(pre.numeric_)} / {len(cats)}",
            "missing values imputed": sum(missing_counts.values()),
        },
    }
    if cats:
        info["summary"]["categorical encoding (tabular model)"] = encoding_text(cats, cards)
        folded = {c: len(v) for c, v in pre.other_.items()}
        if folded:
            notices.append(
                t(
                    "notice.data.tables.rare_levels",
                    min_count=pre.min_count,
                    counts=", ".join(
                        t("notice.data.tables.levels", column=c, n=n) for c, n in folded.items()
                    ),
                )
            )
    if plan.classification:
        info["class_counts"] = plan.df[plan.target].astype(str).value_counts().to_dict()
    return info


def _check_table(plan: TablePlan, train: np.ndarray, val: np.ndarray, info: dict) -> None:
    """Before training: a feature that leaks the target (a warning and a report notice), a
    class that dominates (a notice). See ``checks.py``."""
    from .checks import balance_message, leak_findings, leak_messages, warn_all

    findings = leak_findings(plan.df, plan.kinds, plan.target, plan.task, train, val)
    if findings:
        info["notices"] += leak_messages(findings, plan.target)
        info["leaks"] = [c for c, _ in findings]
        # The same line for every fold of a cross-validation: Python shows it once.
        warn_all(leak_messages(findings, plan.target, detail=False))
    if plan.classification:
        message = balance_message(info["class_counts"], plan.target)
        if message:
            info["notices"].append(message)
