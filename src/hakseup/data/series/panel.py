"""Many series in one long table (id, time, value): the windows of one global forecaster.

``--id-col series`` turns a forecasting run into a panel: one network is trained on windows
drawn from every series, and each series is scored the M-competition way.

- **Split per series**: the last ``h`` points of each series are its test block, the ``h``
  before them its validation block (early stopping and the choice of the default forecast),
  the rest its training part. Windows never cross from one series into another.
- **Per-series scaling**: each series is centred and divided by a scale from its own training
  part only (``data.panel_scale``): ``mase`` (the default) divides by the mean absolute
  one-step change — the in-sample naive error MASE divides by, so the L1 training loss is
  each window's MASE and no series outweighs another by its units; ``standard`` divides by
  the standard deviation. Forecasts are turned back with the same statistics. On M1 yearly
  (181 series, window 18, 3 seeds) the ``mase`` scale gave a mean validation MASE of 2.28
  against 3.48 for ``standard`` (benchmarks/quality_panel.py --sweep).
- **Short histories**: an input window reads up to ``window`` past values; a window with
  fewer is padded on the left with its first value and a second channel marks the real
  values (1) from the padding (0), so that the many short series of a panel still give
  training windows. A series needs ``2·h + MIN_HISTORY`` points (a test block, a validation
  block and a few training values to scale it by); shorter ones are left out with a notice
  that names them (they cannot be scored by the same protocol); if none is long enough the
  run stops with an error naming the shortest.
- Every series' id is a small integer (``ids`` in the saved preprocessing): the model may
  learn an embedding of it (``data.id_embedding``).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": ["a"] * 20 + ["b"] * 24, "t": list(range(2000, 2020))
    ...                    + list(range(1996, 2020)), "y": list(range(20)) + [5.0] * 12
    ...                    + [6.0] * 12})
    >>> from hakseup.config import DataConfig
    >>> b = panel_bundle(df, DataConfig(path="x.csv", id_col="id", time_col="t", target="y",
    ...                                 window=8), seed=0, defaults={}, source="x.csv")
    >>> b.schema.n_outputs, b.schema.input_shape, len(b.val), len(b.test)
    (6, (8, 2), 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ...config import DataConfig
from ...errors import DataError
from ...i18n import t
from ..bundle import DataBundle, Schema, Split
from .covariates import did_you_mean
from .prepare import _infer_freq, numeric_column

__all__ = [
    "MIN_HISTORY",
    "MIN_CONTEXT",
    "PanelFrame",
    "PanelPreprocessor",
    "read_panel",
    "panel_bundle",
    "panel_window",
    "auto_panel_window",
]

MIN_HISTORY = 3  # training values a series needs beyond its validation and test blocks
MIN_CONTEXT = 2  # real values a training window reads at least


@dataclass
class PanelFrame:
    """The panel as one array per series, sorted by time, and what was done to it."""

    ids: list[str]
    times: list[pd.DatetimeIndex]
    values: list[np.ndarray]
    id_col: str
    time_col: str
    target: str
    freq: str | None
    notices: list[str] = field(default_factory=list)


def _check_columns(df: pd.DataFrame, cfg: DataConfig, defaults: dict, source) -> tuple:
    """(id column, time column, target), each checked to be in the table."""
    cols = [str(c) for c in df.columns]
    id_col, time_col = cfg.id_col, cfg.time_col or defaults.get("time_col")
    target = cfg.target or defaults.get("target")
    for key, name in (("id", id_col), ("time", time_col), ("target", target)):
        if name is None or name not in cols:
            raise DataError(
                t(
                    "error.data.panel.column_missing",
                    key=key,
                    name=name,
                    source=source,
                    names=", ".join(cols[:20]),
                    hint=did_you_mean(name, cols),
                )
            )
    return id_col, time_col, target


def _long_frame(
    df: pd.DataFrame, id_col: str, time_col: str, target: str, dayfirst: bool
) -> pd.DataFrame:
    """id (text), time (parsed), value (numeric); rows without an id or a time dropped."""
    from .dates import parse_dates

    values = numeric_column(df, target)
    times = parse_dates(df[time_col], dayfirst, time_col)
    out = pd.DataFrame(
        {
            "id": df[id_col].astype("string").to_numpy(),
            "time": times,
            "value": values.astype("float64").to_numpy(),
        }
    )
    return out[out["id"].notna() & out["time"].notna()]


def read_panel(df: pd.DataFrame, cfg: DataConfig, defaults: dict, source) -> PanelFrame:
    """The panel's series: columns checked, dates parsed, one row per (id, time) — a repeat
    is an error naming it — sorted, missing values interpolated within each series."""
    id_col, time_col, target = _check_columns(df, cfg, defaults, source)
    long = _long_frame(df, id_col, time_col, target, getattr(cfg, "dayfirst", False))
    dup = long.duplicated(["id", "time"], keep=False)
    if dup.any():
        first = long[dup].iloc[0]
        raise DataError(
            t(
                "error.data.panel.duplicate_rows",
                id_col=id_col,
                time_col=time_col,
                n=int(long.duplicated(["id", "time"]).sum()),
                id=first["id"],
                time=first["time"],
            )
        )
    long = long.sort_values(["id", "time"], kind="stable")
    ids, times, values, filled = [], [], [], 0
    for key, g in long.groupby("id", sort=False):
        v = g["value"]
        if v.isna().all():
            continue
        filled += int(v.isna().sum())
        v = pd.Series(v.to_numpy(), index=pd.DatetimeIndex(g["time"])).interpolate(
            method="time", limit_direction="both"
        )
        ids.append(str(key))
        times.append(pd.DatetimeIndex(g["time"]))
        values.append(v.to_numpy(dtype=np.float64))
    if not ids:
        raise DataError(t("error.data.series.target_column_values", target=target))
    notices = [
        t(
            "notice.data.panel.read",
            n=len(ids),
            id_col=id_col,
            lo=min(map(len, values)),
            hi=max(map(len, values)),
        )
    ]
    others = [str(c) for c in df.columns if str(c) not in (id_col, time_col, target)]
    if others:
        notices.append(t("notice.data.panel.other_columns", names=", ".join(others[:10])))
    if filled:
        notices.append(t("notice.data.series.interpolated", counts=f"{target}: {filled}"))
    longest = int(np.argmax([len(v) for v in values]))
    return PanelFrame(
        ids, times, values, id_col, time_col, target, _infer_freq(times[longest]), notices
    )


# --------------------------------------------------------------------------- preprocessing


@dataclass
class PanelPreprocessor:
    """Per-series centre and scale from each series' training part (saved as JSON), the
    panel's window, horizon and frequency, and the ids the model knows."""

    target: str
    id_col: str
    time_col: str
    window: int
    horizon: int
    freq: str | None = None
    scale: str = "mase"
    season: int = 1  # the references' season (and MASE's), from the frequency
    kind: str = "panel"
    ids: list[str] = field(default_factory=list)
    centers: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)

    @staticmethod
    def statistics(y: np.ndarray, how: str) -> tuple[float, float]:
        """(centre, scale) of one series' training values: the mean, and the mean absolute
        change (``mase``) or the standard deviation (``standard``); 1 where it is 0.

        >>> PanelPreprocessor.statistics(np.array([1.0, 3.0, 2.0]), "mase")
        (2.0, 1.5)
        """
        y = np.asarray(y, dtype=np.float64)
        spread = (
            float(np.mean(np.abs(np.diff(y)))) if how == "mase" and len(y) > 1 else float(np.std(y))
        )
        return float(np.mean(y)), spread if np.isfinite(spread) and spread > 0 else 1.0

    def fit(self, ids: list[str], train_parts: list[np.ndarray]) -> PanelPreprocessor:
        self.ids = list(ids)
        stats = [self.statistics(y, self.scale) for y in train_parts]
        self.centers = [c for c, _ in stats]
        self.scales = [s for _, s in stats]
        return self

    def index(self, series_id: str) -> int | None:
        """The model's index of a series id (None: a series the run did not train on)."""
        lookup = getattr(self, "_lookup", None)
        if lookup is None:
            lookup = self._lookup = {k: i for i, k in enumerate(self.ids)}
        return lookup.get(str(series_id))

    def inverse(self, k: int, scaled: np.ndarray) -> np.ndarray:
        """Scaled outputs of series ``k`` → original units."""
        return np.asarray(scaled, dtype=np.float64) * self.scales[k] + self.centers[k]

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def from_dict(cls, d: dict) -> PanelPreprocessor:
        return cls(**d)


def panel_window(z: np.ndarray, origin: int, window: int) -> np.ndarray:
    """The input (window, 2) of a forecast starting at ``origin`` from scaled values ``z``:
    the values before it, padded on the left with the first one, and the real-value mask.

    >>> panel_window(np.array([1.0, 2.0, 3.0]), 2, 4).tolist()
    [[1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]]
    """
    ctx = z[max(0, origin - window) : origin]
    pad = window - len(ctx)
    values = np.concatenate([np.full(pad, ctx[0]), ctx])
    mask = np.concatenate([np.zeros(pad), np.ones(len(ctx))])
    return np.stack([values, mask], axis=1)


def auto_panel_window(horizon: int, longest: int) -> int:
    """The default window of a panel: four horizons (24 for yearly), at least 4 and at most
    the longest training part. Chosen on M1 yearly's validation block (mean MASE of the
    network over 3 seeds: 2, 3, 4 and 5 horizons gave 2.29, 2.28, 2.24 and 2.25;
    benchmarks/quality_panel.py --sweep).

    >>> auto_panel_window(6, 58), auto_panel_window(1, 100), auto_panel_window(6, 10)
    (24, 4, 10)
    """
    return int(max(4, min(4 * horizon, max(longest, 4))))


def _split_windows(z: np.ndarray, k: int, n: int, h: int, window: int) -> dict[str, list]:
    """Series ``k``'s windows: training origins whose targets end in its training part,
    then its validation and test origins (one each)."""
    train_end = n - 2 * h
    out: dict[str, list] = {"train": [], "val": [], "test": []}
    for origin in range(MIN_CONTEXT, train_end - h + 1):
        out["train"].append((panel_window(z, origin, window), z[origin : origin + h], k))
    for name, origin in (("val", train_end), ("test", n - h)):
        out[name].append((panel_window(z, origin, window), z[origin : origin + h], k))
    return out


def _as_split(items: list, window: int, h: int) -> Split:
    if not items:
        return Split(
            (torch.empty(0, window, 2), torch.empty(0, dtype=torch.long)), torch.empty(0, h)
        )
    X = torch.from_numpy(np.stack([x for x, _, _ in items]).astype(np.float32))
    Y = torch.from_numpy(np.stack([y for _, y, _ in items]).astype(np.float32))
    ids = torch.tensor([k for _, _, k in items], dtype=torch.long)
    return Split((X, ids), Y)


def _keep_long_enough(pf: PanelFrame, h: int) -> tuple[list[int], list[str]]:
    """(indices of the series long enough to score, notices naming the others)."""
    need = 2 * h + MIN_HISTORY
    keep = [i for i, v in enumerate(pf.values) if len(v) >= need]
    short = [(pf.ids[i], len(v)) for i, v in enumerate(pf.values) if len(v) < need]
    if not keep:
        sid, n = min(short, key=lambda s: s[1])
        raise DataError(
            t(
                "error.data.panel.all_too_short",
                n_series=len(short),
                need=need,
                h=h,
                id=sid,
                n=n,
                shortest=min(n for _, n in short),
            )
        )
    notices = []
    if short:
        shown = ", ".join(f"{sid} ({n})" for sid, n in short[:10]) + (
            f", … (+{len(short) - 10})" if len(short) > 10 else ""
        )
        notices.append(
            t("notice.data.panel.short_left_out", n=len(short), need=need, h=h, names=shown)
        )
    return keep, notices


def panel_bundle(
    df: pd.DataFrame, cfg: DataConfig, seed: int, defaults: dict, source
) -> DataBundle:
    """The panel's windows: training windows from every series' training part, one
    validation and one test window per series (its last two blocks of ``h`` points)."""
    from .horizon import default_horizon
    from .stats import resolve_season

    pf = read_panel(df, cfg, defaults, source)
    h = int(cfg.horizon or default_horizon(pf.freq))
    keep, notices = _keep_long_enough(pf, h)
    ids = [pf.ids[i] for i in keep]
    values = [pf.values[i] for i in keep]
    shortest = min(len(v) - 2 * h for v in values)
    window = (
        int(cfg.window) if cfg.window else auto_panel_window(h, max(len(v) - 2 * h for v in values))
    )  # the longest training part
    pre = PanelPreprocessor(
        pf.target, pf.id_col, pf.time_col, window, h, pf.freq, getattr(cfg, "panel_scale", "mase")
    )
    pre.fit(ids, [v[: len(v) - 2 * h] for v in values])
    parts: dict[str, list] = {"train": [], "val": [], "test": []}
    for k, y in enumerate(values):
        z = (y - pre.centers[k]) / pre.scales[k]
        for name, items in _split_windows(z, k, len(y), h, window).items():
            parts[name] += items
    splits = {name: _as_split(items, window, h) for name, items in parts.items()}
    if len(splits["train"]) < 2:
        raise DataError(t("error.data.panel.no_training_windows", h=h, shortest=shortest))
    season = resolve_season(cfg.season, pf.freq, values[int(np.argmax(list(map(len, values))))])
    pre.season = int(season)
    schema = Schema(
        task="forecast",
        input_kind="series",
        input_shape=(window, 2),
        n_outputs=h,
        target=pf.target,
        numeric_features=[pf.target, "observed"],
        season=1,
        n_series=len(ids),
    )
    info = _panel_info(pf, keep, ids, values, h, window, season, splits, cfg)
    info["notices"] = (
        pf.notices
        + notices
        + (
            []
            if cfg.horizon
            else [
                t(
                    "notice.data.series.horizon_from_frequency",
                    horizon=h,
                    freq=pf.freq or "irregular",
                )
            ]
        )
    )
    return DataBundle(splits["train"], splits["val"], splits["test"], schema, pre, info)


def _panel_info(
    pf: PanelFrame,
    keep: list[int],
    ids: list[str],
    values: list[np.ndarray],
    h: int,
    window: int,
    season: int,
    splits: dict,
    cfg: DataConfig,
) -> dict:
    """What scoring and the report read: every kept series' values and times, the dropped
    ones, the season and the interval levels."""
    lengths = [len(v) for v in values]
    return {
        "rows": {k: len(v) for k, v in splits.items()},
        "summary": {
            "series": len(ids),
            "series left out (too short)": len(pf.ids) - len(ids),
            "points per series": f"{min(lengths)}–{max(lengths)}",
            "frequency": pf.freq or "irregular",
            "window → horizon": f"{window} → {h}",
            "season (references)": season,
            "per-series scaling": getattr(cfg, "panel_scale", "mase"),
        },
        "panel": {
            "ids": ids,
            "y": values,
            "times": [pf.times[i] for i in keep],
            "horizon": h,
            "season": season,
            "freq": pf.freq,
            "left_out": [pf.ids[i] for i in range(len(pf.ids)) if i not in set(keep)],
            "interval": list(getattr(cfg, "interval", []) or []),
        },
    }
