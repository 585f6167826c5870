"""A trained panel's forecasts past the end of every series (or of one): what ``hakseup
predict RUN`` writes for a run trained with ``--id-col``.

Each series is scaled by the statistics its run saved (a series the run did not train on:
by its own history, with no id embedding), its last ``window`` values are the network's
input, and the forecast the run's rule chose on its validation block (the network, the
statistical ensemble refitted on the whole series, or their mean) is written with one row
per series and step: the id, the time, the forecast and, when the run has intervals, their
bounds (each series' conformal width in its own MASE scale).

Example:
    >>> frame = panel_future(model, pre, panel, rule)       # doctest: +SKIP
    >>> list(frame.columns)                                 # doctest: +SKIP
    ['series', 'year', 'forecast']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

from ..errors import DataError, closest
from ..i18n import t
from .forecast_panel import candidates, mase_scale
from .forecast_references import ENSEMBLE, STAT_MODELS, statsforecast_available

__all__ = ["future_times", "panel_future", "select_series"]


def future_times(times: pd.DatetimeIndex, freq: str | None, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after a series' last: its frequency's, else its usual step.

    >>> future_times(pd.DatetimeIndex(["2000-01-01", "2001-01-01"]), "YS-JAN", 2).year.tolist()
    [2002, 2003]
    """
    last = times[-1]
    if freq:
        try:
            return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
        except (ValueError, TypeError):
            pass
    step = pd.Series(times).diff().median() if len(times) > 1 else pd.Timedelta(days=1)
    return pd.DatetimeIndex([last + step * (k + 1) for k in range(horizon)])


def _shown(times: pd.DatetimeIndex, freq: str | None) -> list:
    """Times as the data wrote them: a year for yearly data, a month ``2020-03`` for monthly
    data, a date without a clock at midnight, else the full timestamp.

    >>> _shown(pd.DatetimeIndex(["2020-01-01"]), "YS-JAN"), _shown(
    ...     pd.DatetimeIndex(["2020-03-01"]), "MS")
    ([2020], ['2020-03'])
    """
    base = (freq or "").upper().lstrip("0123456789")
    if base[:1] in ("Y", "A") and (times.month == times[0].month).all():
        return [int(y) for y in times.year]
    if base.startswith("M") and (times.day == 1).all():
        return [ts.strftime("%Y-%m") for ts in times]
    if (times == times.normalize()).all():
        return [ts.strftime("%Y-%m-%d") for ts in times]
    return [ts.isoformat() for ts in times]


def select_series(panel, series: str | None) -> list[int]:
    """The panel's indices to forecast: all, or the one ``series`` names (an unknown id is
    an error listing a few and the closest)."""
    if series is None:
        return list(range(len(panel.ids)))
    if str(series) not in panel.ids:
        near = closest(str(series), panel.ids, n=1)
        raise DataError(
            t(
                "error.predict.panel.unknown_series",
                id=series,
                n=len(panel.ids),
                hint=";" + t("error.did_you_mean", names=repr(near[0])) if near else "",
                names=", ".join(panel.ids[:10]) + (", …" if len(panel.ids) > 10 else ""),
            )
        )
    return [panel.ids.index(str(series))]


def _network(model, pre, histories: list[np.ndarray], ids: list[str]) -> np.ndarray:
    """The network's forecasts (S, h) in original units, each series scaled as in training
    (a new series: by its own history)."""
    from ..data.series.panel import panel_window
    from ..models.forward import predict

    stats, index = [], []
    for sid, y in zip(ids, histories):
        k = pre.index(sid)
        stats.append(
            (pre.centers[k], pre.scales[k]) if k is not None else pre.statistics(y, pre.scale)
        )
        index.append(-1 if k is None else k)
    X = np.stack(
        [panel_window((y - c) / s, len(y), pre.window) for y, (c, s) in zip(histories, stats)]
    ).astype(np.float32)
    out = predict(model, (torch.from_numpy(X), torch.tensor(index, dtype=torch.long))).numpy()
    return np.stack([o.astype(np.float64) * s + c for o, (c, s) in zip(out, stats)])


def _references(histories: list[np.ndarray], horizon: int, season: int) -> dict:
    """The statistical ensemble of each whole series (for a rule that uses it)."""
    if not statsforecast_available():
        return {}
    from .forecast_panel import statsforecast_panel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refs, _ = statsforecast_panel(histories, horizon, season)
    stats = [refs[n] for n in STAT_MODELS if n in refs]
    return {ENSEMBLE: np.mean(np.stack(stats), axis=0)} if len(stats) >= 2 else {}


def panel_future(model, pre, panel, rule: dict, series: str | None = None) -> pd.DataFrame:
    """One row per series and step past its end: id, time, forecast (and the interval
    bounds the run's rule carries)."""
    from ..data.series.panel import MIN_CONTEXT

    chosen = select_series(panel, series)
    short = [i for i in chosen if len(panel.values[i]) < MIN_CONTEXT]
    if short:
        i = short[0]
        raise DataError(
            t(
                "error.predict.panel.series_too_short",
                id=panel.ids[i],
                n=len(panel.values[i]),
                need=MIN_CONTEXT,
            )
        )
    histories = [panel.values[i] for i in chosen]
    ids = [panel.ids[i] for i in chosen]
    h = pre.horizon
    net = _network(model, pre, histories, ids)
    name = rule.get("name", "network")
    refs = _references(histories, h, pre.season) if name != "network" else {}
    pred = candidates(net, refs).get(name, net)
    rows = []
    widths = {lv: np.asarray(w) for lv, w in rule.get("interval_widths", {}).items()}
    for j, i in enumerate(chosen):
        frame = {
            pre.id_col: panel.ids[i],
            pre.time_col: _shown(
                future_times(panel.times[i], panel.freq or pre.freq, h), panel.freq or pre.freq
            ),
            "forecast": pred[j],
        }
        scale = mase_scale(panel.values[i], pre.season)
        for lv, w in widths.items():
            pct = f"{float(lv) * 100:g}"
            frame[f"lower_{pct}"] = pred[j] - w * scale
            frame[f"upper_{pct}"] = pred[j] + w * scale
        rows.append(pd.DataFrame(frame))
    return pd.concat(rows, ignore_index=True)
