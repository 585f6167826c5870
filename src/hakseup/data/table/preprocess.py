"""Leak-free encoding of a table: every statistic learned from the training rows only.

The ``TablePreprocessor`` learns the numeric imputers (median) and scalers, the categorical
vocabularies (index 0 is "unknown or missing"; levels rarer than a minimum count share one
"(other)" level) and the label encoder, and saves them as JSON. The same object transforms
validation, test and new data, so training, cross-validation and prediction agree.

Example:
    >>> pre = TablePreprocessor(kinds, target="output",
    ...                         task="multiclass").fit(train_df)          # doctest: +SKIP
    >>> (x_num, x_cat), counts = pre.transform_inputs(test_df)           # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ...errors import DataError
from ...i18n import t
from .columns import datetime_parts, natural_key

__all__ = [
    "TablePreprocessor",
    "embedding_size",
    "category_width",
    "encoding_text",
    "smooth_clip",
    "OTHER",
    "SCALINGS",
    "ONE_HOT_MAX",
    "EMBEDDING_MAX",
]

ONE_HOT_MAX = 9  # cardinality (incl. "unknown") up to which a level is one-hot
EMBEDDING_MAX = 16  # the widest default embedding

OTHER = "(other)"  # the level that levels rarer than the minimum count share
SCALINGS = ("standard", "robust", "quantile", "robust+quantile")
QUANTILES = 64  # knots of the quantile transform
SPIKE_SHARE = 0.1  # a value this share of a column's rows hold gets a flag
CLIP = 3.0  # smooth clipping bound of robust scaling (RealMLP)
_IQR_TO_STD = 1.3489795  # the interquartile range of a standard normal


def smooth_clip(z: np.ndarray, bound: float = CLIP) -> np.ndarray:
    """x / sqrt(1 + (x / bound)²): the identity near 0, bounded by ±bound (Holzmüller et al.
    2024, RealMLP's robust scaling): one outlier can no longer stretch a column's scale."""
    return z / np.sqrt(1.0 + (z / bound) ** 2)


def _spike(filled: np.ndarray) -> float | None:
    """The floor or ceiling value that at least ``SPIKE_SHARE`` of a many-valued column's rows
    hold (a zero-inflated amount: "spent nothing"; a censored one), or None. Robust scaling
    maps it and its neighbours to nearly the same number, so the step at its edge — which
    trees find at once — would be a sliver for the network; a 0/1 flag beside the scaled
    value keeps it (creditcard: +3.5 points)."""
    if len(filled) < 20:
        return None
    values, counts = np.unique(filled, return_counts=True)
    top = int(counts.argmax())
    if (
        len(values) <= 10
        or counts[top] < SPIKE_SHARE * len(filled)
        or top not in (0, len(values) - 1)
    ):
        return None  # few levels (the value is the signal), no spike, or not a floor/ceiling
    return float(values[top])


def quantile_knots(values: np.ndarray, n: int = QUANTILES) -> list[list[float]]:
    """(x, z) knots mapping a column's training values to a standard normal through their
    empirical quantiles (scikit-learn's ``QuantileTransformer(output_distribution="normal")``,
    as plain lists for ``preprocessing.json``); transform is ``np.interp``. A value shared by
    many rows (a spike at 0) maps to the middle of its share, so a step at its edge stays a
    step — robust scaling turns "0 vs 0.5" of a column in the hundreds into a sliver.

    Example:
        >>> xs, zs = quantile_knots(np.array([0., 0., 0., 0., 1., 2., 3., 4.]), n=5)
        >>> xs
        [0.0, 0.5, 2.25, 4.0]
    """
    from scipy.stats import norm

    probs = np.linspace(0.0, 1.0, n)
    q = np.quantile(values, probs) if len(values) else np.zeros(1)
    xs, idx = np.unique(q, return_inverse=True)
    p = np.bincount(idx, weights=probs if len(values) else None) / np.bincount(idx)
    eps = 0.5 / max(len(values), 1)  # the outermost knots stay finite
    zs = norm.ppf(np.clip(p, eps, 1 - eps)) if len(xs) > 1 else np.zeros(1)
    return [xs.astype(float).tolist(), np.asarray(zs, dtype=float).tolist()]


def embedding_size(cardinality: int) -> int:
    """fastai's rule of thumb: min(600, round(1.6 * n ** 0.56))."""
    return int(min(600, round(1.6 * cardinality**0.56)))


def category_width(cardinality: int, embedding_dim: int | None = None) -> tuple[str, int]:
    """("one-hot" | "embedding", width) of a categorical column in the tabular model.

    Few levels (up to 8, plus "unknown") are one-hot, as in RealMLP (Holzmüller et al. 2024):
    nothing to learn, nothing to overfit. Past that, an embedding of fastai's size capped at
    ``EMBEDDING_MAX``: the uncapped rule gave a 300-level column of an 800-row table 40+
    dimensions, which memorised it. ``embedding_dim`` (model.embedding_dim) forces an
    embedding of that width for every column."""
    if embedding_dim:
        return "embedding", int(embedding_dim)
    if cardinality <= ONE_HOT_MAX:
        return "one-hot", int(cardinality)
    return "embedding", min(EMBEDDING_MAX, embedding_size(cardinality))


def encoding_text(
    columns: list[str], cardinalities: list[int], embedding_dim: int | None = None
) -> str:
    """The report's line on how each categorical column reaches the tabular model: its levels
    as seen in the training rows, and the encoding ``category_width`` gives it. Every column
    has one more slot than it has levels, index 0, for a level the training rows never had
    (a new value in ``predict``, a missing one): a 4-valued column is one-hot 5 wide.

    >>> encoding_text(["price"], [5]).split(";")[0]
    'price: 4 levels → one-hot 5'
    """
    parts = [
        t(
            "summary.encoding_column",
            column=c,
            n=n - 1,
            encoding=t("summary.encoding_" + mode.replace("-", "_"), width=width),
        )
        for c, n in zip(columns, cardinalities)
        for mode, width in [category_width(n, embedding_dim)]
    ]
    return ", ".join(parts) + t("summary.encoding_unseen")


@dataclass
class TablePreprocessor:
    """Everything fitted on training rows, as plain data (saved as ``preprocessing.json``)."""

    kinds: dict[str, str]
    target: str
    task: str
    layout: str = "table"
    sequence_shape: tuple[int, ...] | None = None
    normalize: bool = True  # False: raw values (still imputed)
    # The defaults below are the behaviour of runs saved before these keys existed; new runs
    # get the table defaults from ``bundle_from_plan`` (robust scaling, a minimum count of 5).
    scaling: str = "standard"  # standard: mean/std; robust: see fit
    min_count: int = 1  # rarer levels share OTHER
    clip: float = CLIP  # robust: smooth clipping bound
    kind: str = "table"
    numeric_: list[str] = field(default_factory=list)  # numeric inputs (incl. date parts)
    medians_: dict[str, float] = field(default_factory=dict)
    means_: dict[str, float] = field(default_factory=dict)
    stds_: dict[str, float] = field(default_factory=dict)
    quantiles_: dict[str, list[list[float]]] = field(default_factory=dict)  # quantile: (x, z)
    spikes_: dict[str, float] = field(default_factory=dict)  # robust: column -> its spike
    vocab_: dict[str, list[str]] = field(default_factory=dict)
    other_: dict[str, list[str]] = field(default_factory=dict)  # rare levels folded into OTHER
    classes_: list[str] = field(default_factory=list)
    class_counts_: list[int] = field(default_factory=list)
    target_mean_: float = 0.0
    target_std_: float = 1.0
    log_target: bool = False  # regression: model log(y)
    fitted_: bool = False

    # ---------------------------------------------------------------- fitting

    def _numeric_columns(self, df: pd.DataFrame):
        """(name, float64 values) for every numeric input, one column at a time (no copy of
        the whole frame: a million-row table must fit in a few times its size)."""
        for col, kind in self.kinds.items():
            if kind == "numeric":
                s = df[col]
                v = (
                    s.to_numpy(dtype=np.float64, na_value=np.nan)
                    if pd.api.types.is_numeric_dtype(s)
                    else pd.to_numeric(s, errors="coerce").to_numpy(
                        dtype=np.float64, na_value=np.nan
                    )
                )
                yield col, v
            elif kind == "datetime":
                for part, values in datetime_parts(df[col]).items():
                    yield f"{col}.{part}", values.to_numpy(dtype=np.float64, na_value=np.nan)

    def fit(self, df: pd.DataFrame, rows: np.ndarray | None = None) -> TablePreprocessor:
        """Learn every statistic from ``df`` (only its ``rows``, when given: the training rows,
        without copying them out of the frame)."""
        self.numeric_ = []
        sequence = self.layout in ("sequence", "image")
        total = count = total_sq = 0.0
        for c, v in self._numeric_columns(df):
            self.numeric_.append(c)
            v = v if rows is None else v[rows]
            finite = v[np.isfinite(v)]
            med = float(np.median(finite)) if len(finite) else 0.0
            if sequence:  # one scale for the whole sequence: accumulate
                total += finite.sum()
                total_sq += (finite**2).sum()
                count += len(finite)
                continue
            self.medians_[c] = med
            filled = np.where(np.isfinite(v), v, med)
            self.means_[c], self.stds_[c] = self._center_scale(filled)
            spike = _spike(filled) if self.scaling == "robust" and self.normalize else None
            if spike is not None:
                self.spikes_[c] = spike
            if self.scaling in ("quantile", "robust+quantile") and self.normalize:
                self.quantiles_[c] = quantile_knots(filled)
        if sequence:
            mean = total / max(count, 1)
            std = math.sqrt(max(total_sq / max(count, 1) - mean**2, 0.0))
            for c in self.numeric_:
                self.medians_[c] = self.means_[c] = mean
                self.stds_[c] = std if std > 0 else 1.0
        for col, kind in self.kinds.items():
            if kind in ("categorical", "boolean"):
                column = df[col] if rows is None else df[col].iloc[rows]
                self._fit_vocabulary(col, column.dropna().astype(str).value_counts())
        y = df[self.target] if rows is None else df[self.target].iloc[rows]
        if self.task in ("binary", "multiclass"):
            self.classes_ = sorted(y.astype(str).unique().tolist(), key=natural_key)
            counts = y.astype(str).value_counts()
            self.class_counts_ = [int(counts.get(c, 0)) for c in self.classes_]
        else:
            yv = self._target_values(pd.to_numeric(y, errors="coerce").astype("float64"))
            if self.normalize:
                self.target_mean_ = float(yv.mean())
                std = float(yv.std(ddof=0))
                self.target_std_ = std if std > 0 else 1.0
        self.fitted_ = True
        return self

    def _center_scale(self, filled: np.ndarray) -> tuple[float, float]:
        """(center, scale) of one imputed numeric column. Robust: median and IQR/1.349 (the
        standard deviation for normal data), the standard deviation where the IQR is 0 (a
        mostly-constant column); then ``smooth_clip`` in transform."""
        if not self.normalize:
            return 0.0, 1.0
        if self.scaling == "robust" and len(filled):
            q25, q50, q75 = np.percentile(filled, [25, 50, 75])
            scale = (q75 - q25) / _IQR_TO_STD
            if not scale > 0:
                scale = float(filled.std())
            return float(q50), float(scale) if scale > 0 and math.isfinite(scale) else 1.0
        std = float(filled.std())
        return float(filled.mean()), std if std > 0 and math.isfinite(std) else 1.0

    def _fit_vocabulary(self, col: str, counts: pd.Series) -> None:
        """Levels by frequency; levels seen fewer than ``min_count`` times share OTHER (two or
        more of them: folding one level alone would change nothing) — an embedding row
        trained on two examples is noise, and a one-hot column of them overfits."""
        rare = sorted(v for v, n in counts.items() if n < self.min_count)
        if len(rare) < 2 or len(rare) == len(counts):
            rare = []
        keep = counts.drop(rare) if rare else counts
        self.vocab_[col] = sorted(keep.index.tolist(), key=lambda v: (-keep[v], v))
        if rare:
            self.vocab_[col].append(OTHER)
            self.other_[col] = rare

    def numeric_features(self) -> list[str]:
        """The numeric model inputs, in order: each numeric column (and date part), then,
        with ``robust+quantile`` scaling, each one's quantile-mapped copy (``NAME.q``)."""
        names = list(self.numeric_)
        if self.scaling == "robust+quantile" and self.quantiles_:
            names += [f"{c}.q" for c in self.numeric_]
        return names + [f"{c}=={v:g}" for c, v in self.spikes_.items()]

    # ---------------------------------------------------------------- transforming

    def check_columns(self, df: pd.DataFrame, need_target: bool) -> list[str]:
        """Raise if required columns are missing; return notices about extra columns."""
        required = list(self.kinds) + ([self.target] if need_target else [])
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise DataError(
                t(
                    "error.data.encoding.data_missing_column",
                    names=", ".join(map(repr, missing)),
                    names2=", ".join(required),
                )
            )
        extra = [c for c in df.columns if c not in required and c != self.target]
        return (
            [
                t(
                    "notice.data.encoding.ignored",
                    n=len(extra),
                    names=", ".join(extra[:10]) + (", ..." if len(extra) > 10 else ""),
                )
            ]
            if extra
            else []
        )

    def transform_inputs(
        self, df: pd.DataFrame, rows: np.ndarray | None = None
    ) -> tuple[tuple[torch.Tensor, ...], dict]:
        """Model inputs for ``df`` (its ``rows``, in that order, when given) and counts of what
        was imputed or unknown."""
        if not self.fitted_:
            raise RuntimeError("TablePreprocessor is not fitted; call fit() on training rows.")
        stats: dict[str, dict[str, int]] = {"imputed": {}, "unknown": {}}
        n = len(df) if rows is None else len(rows)
        both = self.scaling == "robust+quantile"
        x_num = np.empty((n, len(self.numeric_features())), dtype=np.float32)
        flag_at = {c: len(self.numeric_) + k for k, c in enumerate(self.spikes_)}
        for j, (c, v) in enumerate(self._numeric_columns(df)):
            v = v if rows is None else v[rows]
            bad = ~np.isfinite(v)
            if bad.any():
                stats["imputed"][c] = int(bad.sum())
                v = np.where(bad, self.medians_[c], v)
            if c in self.quantiles_:
                xs, zs = self.quantiles_[c]
                x_num[:, len(self.numeric_) + j if both else j] = np.interp(v, xs, zs)
                if not both:
                    continue
            if c in flag_at:  # 1 where the column holds its spike (e.g. exactly 0)
                x_num[:, flag_at[c]] = v == self.spikes_[c]
            z = (v - self.means_[c]) / self.stds_[c]
            robust = self.scaling in ("robust", "robust+quantile") and self.normalize
            x_num[:, j] = smooth_clip(z, self.clip) if robust else z
        cats = [c for c, k in self.kinds.items() if k in ("categorical", "boolean")]
        x_cat = np.zeros((n, len(cats)), dtype=np.int64)
        for j, c in enumerate(cats):
            index = {v: i + 1 for i, v in enumerate(self.vocab_[c])}
            if c in self.other_:
                index.update(dict.fromkeys(self.other_[c], index[OTHER]))
            s = df[c] if rows is None else df[c].iloc[rows]
            codes = s.astype(str).map(index).fillna(0).to_numpy(dtype=np.int64)
            unknown = int(((codes == 0) & s.notna().to_numpy()).sum())
            if unknown:
                stats["unknown"][c] = unknown
            missing = int(s.isna().sum())
            if missing:
                stats["imputed"][c] = missing
            x_cat[:, j] = codes
        xn = torch.from_numpy(x_num)
        if self.layout in ("sequence", "image"):
            assert self.sequence_shape is not None  # prepare_table sets it for these layouts
            return (xn.reshape(n, *self.sequence_shape),), stats
        return (xn, torch.from_numpy(x_cat)), stats

    def transform_target(self, df: pd.DataFrame) -> torch.Tensor:
        y = df[self.target]
        if self.task in ("binary", "multiclass"):
            index = {c: i for i, c in enumerate(self.classes_)}
            codes = y.astype(str).map(index)
            if codes.isna().any():
                unseen = sorted(y[codes.isna()].astype(str).unique())[:5]
                raise DataError(
                    t(
                        "error.data.encoding.target_column_class",
                        target=self.target,
                        names=", ".join(map(repr, unseen)),
                        names2=", ".join(self.classes_),
                    )
                )
            return torch.tensor(codes.to_numpy(dtype=np.int64))
        numbers = pd.to_numeric(y, errors="coerce")
        bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():  # text, empty cells or inf: a regression is scored on numbers only
            raise DataError(
                t(
                    "error.data.encoding.target_not_numbers",
                    target=self.target,
                    n=int(bad.sum()),
                    value=str(y[bad].iloc[0])[:40],
                )
            )
        yv = self._target_values(numbers.to_numpy(dtype=np.float64))
        return torch.tensor(
            (yv - self.target_mean_) / self.target_std_, dtype=torch.float32
        ).reshape(-1, 1)

    def mae_scale(self) -> float | None:
        """The factor from a mean absolute error on scaled targets to the target's units
        (regression without a log target), or None."""
        if self.task in ("binary", "multiclass") or self.log_target:
            return None
        return float(self.target_std_)

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        """Model outputs (scaled) → original units (regression); identity for classes."""
        if self.task in ("binary", "multiclass"):
            return values
        v = np.asarray(values, dtype=np.float64) * self.target_std_ + self.target_mean_
        return np.exp(v) if self.log_target else v

    def _target_values(self, y):
        """The regression target as the network learns it: log(y) with ``log_target``."""
        if not self.log_target:
            return y
        if np.nanmin(np.asarray(y, dtype=np.float64), initial=np.inf) <= 0:
            raise DataError(
                t(
                    "error.data.encoding.transform_log_positive",
                    target=self.target,
                    low=np.nanmin(np.asarray(y, dtype=np.float64)),
                )
            )
        return np.log(y)

    # ---------------------------------------------------------------- saving

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items()}
        d["sequence_shape"] = list(self.sequence_shape) if self.sequence_shape else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TablePreprocessor:
        d = dict(d)
        if d.get("sequence_shape"):
            d["sequence_shape"] = tuple(d["sequence_shape"])
        return cls(**d)
