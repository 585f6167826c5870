"""Tables: column kinds, the task, and leak-free preprocessing fitted on training rows only.

Column kinds are inferred (numeric, categorical, boolean, datetime; identifier-like columns are
dropped with a notice) unless forced. The ``TablePreprocessor`` learns — from training rows
only — the numeric imputers (median) and scalers (mean/std), the categorical vocabularies (index
0 is "unknown or missing") and the label encoder, and saves them as JSON. The same object
transforms validation, test and new data, so training, cross-validation and prediction agree.

Example:
    >>> pre = TablePreprocessor(kinds, target="output", task="multiclass").fit(train_df)  # doctest: +SKIP
    >>> (x_num, x_cat), y = pre.transform(test_df)                                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..config import DataConfig
from ..errors import DataError, closest
from .bundle import DataBundle, Schema, Split
from .splits import holdout_indices

__all__ = ["infer_kinds", "infer_task", "TablePreprocessor", "TablePlan", "prepare_table",
           "bundle_from_plan", "table_bundle", "embedding_size",
           "resolve_target"]

MAX_CLASSES_FROM_INTEGERS = 20


def embedding_size(cardinality: int) -> int:
    """fastai's rule of thumb: min(600, round(1.6 * n ** 0.56))."""
    return int(min(600, round(1.6 * cardinality ** 0.56)))


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
    hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    shown = ", ".join(cols[:20]) + (", ..." if len(cols) > 20 else "")
    raise DataError(f"Target column '{target}' is not in '{path}'.{hint} Columns: {shown}.")


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
    return bool(_parse_datetimes(sample).notna().mean() > 0.95)


def _parse_datetimes(s: pd.Series) -> pd.Series:
    """Datetimes from text or datetime values; offsets that differ between rows (or a mix of
    zoned and naive values) are brought to UTC, as pyarrow does when it reads offsets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(s, errors="coerce", format="mixed")
        except (ValueError, TypeError):  # "Mixed timezones detected"
            return pd.to_datetime(s, errors="coerce", format="mixed", utc=True)


def infer_kinds(df: pd.DataFrame, target: str, cfg: DataConfig) -> tuple[dict[str, str], list[str]]:
    """{column: numeric|categorical|boolean|datetime} for the features, and notices."""
    kinds: dict[str, str] = {}
    notices: list[str] = []
    for name in list(cfg.categorical) + list(cfg.numeric) + list(cfg.drop) + list(cfg.features):
        if name not in df.columns:
            near = closest(name, df.columns)
            raise DataError(f"Column '{name}' (from --categorical/--numeric/--drop) is not in the "
                            f"data.{' Did you mean ' + repr(near[0]) + '?' if near else ''} "
                            f"Columns: {', '.join(map(str, df.columns[:20]))}.")
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
            notices.append(f"Column '{col}' has a single value; it is dropped.")
            continue
        if pd.api.types.is_datetime64_any_dtype(s):  # parsed by the reader already
            kinds[col] = "datetime"
        elif pd.api.types.is_bool_dtype(s) or (n_unique == 2 and set(
                s.dropna().astype(str).str.lower().unique()) <= {"true", "false", "yes", "no"}):
            kinds[col] = "boolean"
        elif pd.api.types.is_numeric_dtype(s):
            if _identifier_like(s, col):
                notices.append(f"Column '{col}' looks like an identifier (unique, increasing "
                               f"integers); it is dropped. Keep it with --numeric {col}.")
                continue
            kinds[col] = "numeric"
        else:
            share, parsed = _numeric_share(s)
            if share >= 0.9:
                _raise_text_in_numeric(col, s, parsed, forced=False)
            if _looks_datetime(s):
                kinds[col] = "datetime"
            elif n_unique > 50 and n_unique > 0.9 * s.notna().sum():
                notices.append(f"Column '{col}' has a different text in almost every row (an "
                               f"identifier or free text); it is dropped. Keep it with "
                               f"--categorical {col}.")
            else:
                kinds[col] = "categorical"
    if not kinds:
        raise DataError(f"No usable feature columns besides the target '{target}'. Expected at "
                        f"least one column with more than one value.")
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
    return bool(s.is_unique and (s.is_monotonic_increasing or name.lower() in ("id", "index")
                                 or name.lower().endswith("_id")))


def _raise_text_in_numeric(col: str, s: pd.Series, parsed: pd.Series, forced: bool) -> None:
    bad = s.notna() & parsed.isna()
    rows = list(np.flatnonzero(bad.to_numpy())[:3] + 2)  # 1-based, after the header
    examples = ", ".join(repr(v) for v in s[bad].astype(str).unique()[:3])
    fix = (f"fix those values, or treat it as text with --categorical {col}" if forced
           else f"fix those values (or make them empty), or force --categorical {col}")
    raise DataError(f"Column '{col}' is numeric but has text in {int(bad.sum())} row(s) (e.g. "
                    f"{examples} at line(s) {', '.join(map(str, rows))}). Expected numbers; {fix}.")


def infer_task(y: pd.Series, forced: str = "auto") -> str:
    """binary | multiclass | regression, from the target's values (unless forced)."""
    n_unique = y.nunique(dropna=True)
    if forced != "auto":
        if forced in ("binary", "multiclass") and n_unique < 2:
            pass  # reported below as "one class only"
        elif forced == "binary" and n_unique != 2:
            raise DataError(f"--task binary needs a target with 2 classes; '{y.name}' has "
                            f"{n_unique}. Use --task multiclass or regression.")
        elif forced == "regression" and not pd.api.types.is_numeric_dtype(y):
            raise DataError(f"--task regression needs a numeric target; '{y.name}' has text "
                            f"values. Use --task auto to classify it.")
        return forced
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "binary" if n_unique == 2 else "multiclass"
    values = y.dropna().to_numpy()
    integral = np.all(np.isfinite(values)) and np.all(np.mod(values, 1) == 0)
    # Integers are classes only when few and repeated (11 distinct values in 11 rows are not).
    if integral and n_unique <= MAX_CLASSES_FROM_INTEGERS and n_unique <= len(values) / 2:
        return "binary" if n_unique == 2 else "multiclass"
    return "regression"


def _datetime_parts(s: pd.Series) -> pd.DataFrame:
    d = _parse_datetimes(s)
    return pd.DataFrame({"year": d.dt.year, "month": d.dt.month, "day": d.dt.day,
                         "dayofweek": d.dt.dayofweek}, index=s.index).astype("float64")


@dataclass
class TablePreprocessor:
    """Everything fitted on training rows, as plain data (saved as ``preprocessing.json``)."""

    kinds: dict[str, str]
    target: str
    task: str
    layout: str = "table"
    sequence_shape: tuple[int, ...] | None = None
    normalize: bool = True                                   # False: raw values (still imputed)
    kind: str = "table"
    numeric_: list[str] = field(default_factory=list)        # numeric inputs (incl. date parts)
    medians_: dict[str, float] = field(default_factory=dict)
    means_: dict[str, float] = field(default_factory=dict)
    stds_: dict[str, float] = field(default_factory=dict)
    vocab_: dict[str, list[str]] = field(default_factory=dict)
    classes_: list[str] = field(default_factory=list)
    class_counts_: list[int] = field(default_factory=list)
    target_mean_: float = 0.0
    target_std_: float = 1.0
    fitted_: bool = False

    # ---------------------------------------------------------------- fitting

    def _numeric_columns(self, df: pd.DataFrame):
        """(name, float64 values) for every numeric input, one column at a time (no copy of
        the whole frame: a million-row table must fit in a few times its size)."""
        for col, kind in self.kinds.items():
            if kind == "numeric":
                s = df[col]
                v = s.to_numpy(dtype=np.float64, na_value=np.nan) \
                    if pd.api.types.is_numeric_dtype(s) else \
                    pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                yield col, v
            elif kind == "datetime":
                for part, values in _datetime_parts(df[col]).items():
                    yield f"{col}.{part}", values.to_numpy(dtype=np.float64, na_value=np.nan)

    def fit(self, df: pd.DataFrame, rows: np.ndarray | None = None) -> "TablePreprocessor":
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
                total_sq += (finite ** 2).sum()
                count += len(finite)
                continue
            self.medians_[c] = med
            filled = np.where(np.isfinite(v), v, med)
            self.means_[c] = float(filled.mean()) if self.normalize else 0.0
            std = float(filled.std()) if self.normalize else 1.0
            self.stds_[c] = std if std > 0 and math.isfinite(std) else 1.0
        if sequence:
            mean = total / max(count, 1)
            std = math.sqrt(max(total_sq / max(count, 1) - mean ** 2, 0.0))
            for c in self.numeric_:
                self.medians_[c] = self.means_[c] = mean
                self.stds_[c] = std if std > 0 else 1.0
        for col, kind in self.kinds.items():
            if kind in ("categorical", "boolean"):
                column = df[col] if rows is None else df[col].iloc[rows]
                counts = column.dropna().astype(str).value_counts()
                self.vocab_[col] = sorted(counts.index.tolist(), key=lambda v: (-counts[v], v))
        y = df[self.target] if rows is None else df[self.target].iloc[rows]
        if self.task in ("binary", "multiclass"):
            self.classes_ = sorted(y.astype(str).unique().tolist(), key=_natural_key)
            counts = y.astype(str).value_counts()
            self.class_counts_ = [int(counts.get(c, 0)) for c in self.classes_]
        else:
            yv = pd.to_numeric(y, errors="coerce").astype("float64")
            if self.normalize:
                self.target_mean_ = float(yv.mean())
                std = float(yv.std(ddof=0))
                self.target_std_ = std if std > 0 else 1.0
        self.fitted_ = True
        return self

    # ---------------------------------------------------------------- transforming

    def check_columns(self, df: pd.DataFrame, need_target: bool) -> list[str]:
        """Raise if required columns are missing; return notices about extra columns."""
        required = list(self.kinds) + ([self.target] if need_target else [])
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise DataError(f"The data is missing column(s) the model was trained on: "
                            f"{', '.join(map(repr, missing))}. Expected columns: "
                            f"{', '.join(required)}.")
        extra = [c for c in df.columns if c not in required and c != self.target]
        return [f"Ignored {len(extra)} column(s) the model does not use: "
                f"{', '.join(extra[:10])}{', ...' if len(extra) > 10 else ''}."] if extra else []

    def transform_inputs(self, df: pd.DataFrame, rows: np.ndarray | None = None
                         ) -> tuple[tuple[torch.Tensor, ...], dict]:
        """Model inputs for ``df`` (its ``rows``, in that order, when given) and counts of what
        was imputed or unknown."""
        if not self.fitted_:
            raise RuntimeError("TablePreprocessor is not fitted; call fit() on training rows.")
        stats = {"imputed": {}, "unknown": {}}
        n = len(df) if rows is None else len(rows)
        x_num = np.empty((n, len(self.numeric_)), dtype=np.float32)
        for j, (c, v) in enumerate(self._numeric_columns(df)):
            v = v if rows is None else v[rows]
            bad = ~np.isfinite(v)
            if bad.any():
                stats["imputed"][c] = int(bad.sum())
                v = np.where(bad, self.medians_[c], v)
            x_num[:, j] = (v - self.means_[c]) / self.stds_[c]
        cats = [c for c, k in self.kinds.items() if k in ("categorical", "boolean")]
        x_cat = np.zeros((n, len(cats)), dtype=np.int64)
        for j, c in enumerate(cats):
            index = {v: i + 1 for i, v in enumerate(self.vocab_[c])}
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
            return (xn.reshape(n, *self.sequence_shape),), stats
        return (xn, torch.from_numpy(x_cat)), stats

    def transform_target(self, df: pd.DataFrame) -> torch.Tensor:
        y = df[self.target]
        if self.task in ("binary", "multiclass"):
            index = {c: i for i, c in enumerate(self.classes_)}
            codes = y.astype(str).map(index)
            if codes.isna().any():
                unseen = sorted(y[codes.isna()].astype(str).unique())[:5]
                raise DataError(f"Target column '{self.target}' has class(es) the model never "
                                f"saw: {', '.join(map(repr, unseen))}. Known classes: "
                                f"{', '.join(self.classes_)}.")
            return torch.tensor(codes.to_numpy(dtype=np.int64))
        yv = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
        return torch.tensor((yv - self.target_mean_) / self.target_std_,
                            dtype=torch.float32).reshape(-1, 1)

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        """Model outputs (scaled) → original units (regression); identity for classes."""
        if self.task in ("binary", "multiclass"):
            return values
        return np.asarray(values, dtype=np.float64) * self.target_std_ + self.target_mean_

    # ---------------------------------------------------------------- saving

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items()}
        d["sequence_shape"] = list(self.sequence_shape) if self.sequence_shape else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TablePreprocessor":
        d = dict(d)
        if d.get("sequence_shape"):
            d["sequence_shape"] = tuple(d["sequence_shape"])
        return cls(**d)


def _natural_key(v: str):
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def _drop_missing_target(df: pd.DataFrame, target: str, path) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows without a target value; reject an infinite target."""
    notices = []
    y = df[target]
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        values = y.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(values).any():
            raise DataError(f"Target column '{target}' contains inf values. Expected finite "
                            f"numbers; fix or remove those rows.")
        big = np.abs(values) > np.finfo(np.float32).max  # training computes in float32
        if big.any():
            raise DataError(f"Target column '{target}' has {int(big.sum())} value(s) beyond "
                            f"float32's range (±3.4e38), e.g. {values[big][0]:g}. Rescale the "
                            f"target (e.g. divide by 1e30) so that the model can learn it.")
    missing_target = int(y.isna().sum())
    if missing_target:
        df = df[y.notna()]
        notices.append(f"Dropped {missing_target} row(s) with no value in the target "
                       f"'{target}'.")
    if len(df) == 0:
        raise DataError(f"No rows left in '{path}' after dropping rows with an empty target "
                        f"'{target}'. Expected at least a few labelled rows.")
    return df, notices


def _check_finite(df: pd.DataFrame, kinds: dict[str, str]) -> None:
    for col, kind in kinds.items():
        if kind == "numeric":
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            n_inf = int(np.isinf(v).sum())
            if n_inf:
                rows = list(np.flatnonzero(np.isinf(v))[:3] + 2)
                raise DataError(f"Column '{col}' contains {n_inf} inf value(s) (line(s) "
                                f"{', '.join(map(str, rows))}). Expected finite numbers; fix "
                                f"them, make them empty (they will be imputed), or --drop {col}.")
            big = np.abs(v) > np.finfo(np.float32).max  # the model's inputs are float32
            if big.any():
                raise DataError(f"Column '{col}' has {int(big.sum())} value(s) beyond float32's "
                                f"range (e.g. {v[big][0]:g} at line {np.flatnonzero(big)[0] + 2}"
                                f"); rescale it, or --drop {col}.")


def _sequence_shape(cfg: DataConfig, n_features: int) -> tuple[int, ...]:
    if not cfg.sequence_shape:
        return (n_features, 1) if cfg.layout == "sequence" else (1, n_features, 1)
    try:
        dims = tuple(int(v) for v in cfg.sequence_shape.lower().replace("*", "x").split("x"))
    except ValueError:
        raise DataError(f"Invalid --sequence-shape '{cfg.sequence_shape}': expected STEPSxFEATURES "
                        f"like 28x28.") from None
    if math.prod(dims) != n_features:
        raise DataError(f"--sequence-shape {cfg.sequence_shape} needs {math.prod(dims)} feature "
                        f"columns, but the data has {n_features}. Expected a shape whose product "
                        f"is {n_features}.")
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


def prepare_table(df: pd.DataFrame, cfg: DataConfig, defaults: dict | None = None,
                  source: object = "data") -> TablePlan:
    """Target, column kinds, task and layout; rows without a target dropped."""
    defaults = defaults or {}
    target = resolve_target(df, cfg.target or defaults.get("target"), cfg.header, source)
    df, notices = _drop_missing_target(df, target, source)
    kinds, more = infer_kinds(df, target, cfg)
    _check_finite(df, kinds)
    task = infer_task(df[target], cfg.task)
    if task in ("binary", "multiclass"):
        counts = df[target].astype(str).value_counts()
        if len(counts) < 2:
            raise DataError(f"Target '{target}' has only one class ({counts.index[0]!r}). "
                            f"Expected at least two classes to learn from; check the target "
                            f"column or use --task regression for a number.")
    layout = cfg.layout if cfg.layout != "auto" else "table"
    seq_shape = None
    if layout in ("sequence", "image"):
        bad = [c for c, k in kinds.items() if k != "numeric"]
        if bad:
            raise DataError(f"--layout {layout} reads every feature as a number, but "
                            f"{', '.join(map(repr, bad[:5]))} are not numeric. Drop them with "
                            f"--drop, or use --layout table.")
        seq_shape = _sequence_shape(cfg, len(kinds))
    return TablePlan(df, target, kinds, task, layout, seq_shape, notices + more)


def bundle_from_plan(plan: TablePlan, cfg: DataConfig, seed: int,
                     indices: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                     ) -> DataBundle:
    """Split (or use ``indices``), fit the preprocessing on the training rows, build tensors."""
    df, target, kinds = plan.df, plan.target, plan.kinds
    notices = list(plan.notices)
    if indices is None:
        indices = holdout_indices(len(df), cfg.val_size, cfg.test_size, seed,
                                  stratify=plan.labels())
    tr, va, te = indices
    pre = TablePreprocessor(kinds, target, plan.task, layout=plan.layout,
                            sequence_shape=plan.sequence_shape, normalize=cfg.normalize)
    pre.fit(df, rows=tr)
    if plan.classification:
        extra = sorted(set(df[target].astype(str)) - set(pre.classes_))
        if extra:  # a class too rare to reach the training rows
            raise DataError(f"Class(es) {', '.join(map(repr, extra))} of '{target}' have too few "
                            f"rows to appear in the training split. Expected each class at least "
                            f"a few times; remove those rows or merge rare classes.")
    # Transform every row once, in [train | val | test] order, with the training-fitted
    # preprocessor; the splits are then views (copying the frame, or the tensors, per split
    # would need several times the file's size in memory).
    order = np.concatenate([tr, va, te])
    inputs, stats = pre.transform_inputs(df, rows=order)
    missing_counts = dict(stats["imputed"])
    target_all = pre.transform_target(df.iloc[:, [df.columns.get_loc(target)]].iloc[order])
    bounds = np.cumsum([0, len(tr), len(va), len(te)])
    splits = {name: Split(tuple(x[bounds[k]:bounds[k + 1]] for x in inputs),
                          target_all[bounds[k]:bounds[k + 1]])
              for k, name in enumerate(("train", "val", "test"))}
    if missing_counts:
        notices.append("Missing values imputed (median for numbers, 'unknown' for categories): "
                       + ", ".join(f"{c}: {n}" for c, n in missing_counts.items()) + ".")
    cats = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
    cards = [len(pre.vocab_[c]) + 1 for c in cats]
    schema = Schema(task=plan.task, input_kind=plan.layout,
                    input_shape=tuple(splits["train"].inputs[0].shape[1:]),
                    n_outputs=len(pre.classes_) if plan.classification else 1, target=target,
                    class_names=list(pre.classes_), numeric_features=list(pre.numeric_),
                    categorical_features=cats, cardinalities=cards)
    info = {"rows": {k: len(v) for k, v in splits.items()}, "notices": notices,
            "summary": {"columns used": len(kinds),
                        "numeric / categorical": f"{len(pre.numeric_)} / {len(cats)}",
                        "missing values imputed": sum(missing_counts.values())}}
    if cats:
        info["summary"]["embedding sizes (fastai rule min(600, 1.6·n^0.56))"] = ", ".join(
            f"{c}: {n}→{embedding_size(n)}" for c, n in zip(cats, cards))
    if plan.classification:
        info["class_counts"] = df[target].astype(str).value_counts().to_dict()
    augment = None
    if plan.layout == "image" and cfg.augment:
        from .images import Augmenter

        augment = Augmenter(cfg.augment)
    return DataBundle(splits["train"], splits["val"], splits["test"], schema, pre, info,
                      augment=augment)


def table_bundle(df: pd.DataFrame, cfg: DataConfig, seed: int, defaults: dict | None = None,
                 source: object = "data") -> DataBundle:
    """A time series (with a time column) or a table, split and preprocessed."""
    defaults = defaults or {}
    if cfg.time_col or (defaults.get("time_col") and cfg.layout == "auto"):
        from .series import series_bundle

        return series_bundle(df, cfg, seed, defaults, source)
    return bundle_from_plan(prepare_table(df, cfg, defaults, source), cfg, seed)


