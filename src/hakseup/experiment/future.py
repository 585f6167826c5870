"""Forecasts past a series' end from a trained run: what ``hakseup predict RUN --data FILE``
gives for a series run.

The forecast is the run's own default (``metrics.json``'s ``forecast_rule``: the network,
the statistical ensemble or their mean, chosen on the validation windows at training): the
statistical references are fitted again on the whole history, as the M competitions give a
forecaster every value before its origin. With ``--interval`` at training, every step gets
its split-conformal interval (the half-widths saved in ``metrics.json``): ``lower_80``,
``upper_80``, ... columns.

``--data``: a table with the time column. Rows with a target value are the series (its
newest version); without any, the history is the run's own data file, and the rows past its
end carry the future covariates (``data.future_covariates``) the forecast needs.

Example:
    >>> forecast_future("runs/<id>", "future.csv")       # doctest: +SKIP
          date  step  predicted_sales  lower_80  upper_80
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..i18n import t

__all__ = ["is_series_run", "forecast_future"]


def is_series_run(run: str | Path) -> bool:
    """Whether ``run`` was trained on a time series (its saved preprocessing says so)."""
    try:
        pre = json.loads((Path(run) / "preprocessing.json").read_text())
        return pre.get("kind") == "series"
    except (OSError, ValueError):
        return False


def _history(cfg) -> pd.DataFrame:
    """The run's own series: its data file (and its ``--test-data`` file after it)."""
    from ..data.testfile import stack_test_file
    from ..io.reader import read_csv

    if not cfg.data.path:
        raise DataError(t("error.predict.series.no_history"))
    read = {
        "header": cfg.data.header,
        "delimiter": cfg.data.delimiter,
        "encoding": cfg.data.encoding,
        "sheet": cfg.data.sheet,
    }
    df = read_csv(cfg.data.path, **read)
    if cfg.data.test_path:
        df = stack_test_file(
            df, read_csv(cfg.data.test_path, **read), cfg.data.path, cfg.data.test_path
        )
    return df


def _saved_metrics(run: str | Path) -> dict:
    try:
        return json.loads((Path(run) / "metrics.json").read_text()).get("metrics", {})
    except (OSError, ValueError):
        return {}


def _default_forecast(
    net: np.ndarray, rule: dict, y: np.ndarray, horizon: int, season: int
) -> tuple[np.ndarray, str]:
    """The run's default forecast from the network's: its saved weights over the base
    forecasts (the network, each statistical model, the seasonal naive), the statistical
    ones fitted on the whole history (a base that cannot be fitted gives its weight to the
    others: the network's alone when none can)."""
    from ..evaluation.forecast import seasonal_naive
    from ..evaluation.forecast_combine import NETWORK, SEASONAL_NAIVE, apply_weights, rule_name
    from ..evaluation.forecast_references import reference_forecasts

    weights = rule.get("weights") or {NETWORK: 1.0}
    if set(weights) == {NETWORK}:
        return net, NETWORK
    at = np.array([len(y)])  # one forecast, from the series' end
    refs, _ = reference_forecasts(y, at, horizon, season)
    base = {
        NETWORK: net,
        **refs,
        SEASONAL_NAIVE: seasonal_naive(y, at, horizon, season),
    }
    used = {k: w for k, w in weights.items() if k in base and w > 0}
    return apply_weights(weights, base), rule_name(used) if used else NETWORK


def forecast_future(
    run: str | Path, data: str | Path, encoding: str | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """One row per step past the series' end: its time, the step, the forecast and, for each
    interval level of the run, the lower and upper bounds."""
    import torch

    from ..data.series.future import future_input, split_known
    from ..data.series.prepare import to_original
    from ..evaluation.forecast_intervals import interval_columns
    from ..io.reader import read_csv
    from ..models.forward import predict
    from .experiment import Experiment

    exp = Experiment.from_run(run)
    cfg, pre, schema = exp.cfg, exp.preprocessor_, exp.schema_
    df = read_csv(
        data, header=cfg.data.header, delimiter=cfg.data.delimiter, encoding=encoding, sheet=sheet
    )
    time_col = str(cfg.data.time_col)
    history, later = split_known(df, time_col, pre.target, cfg.data.dayfirst)
    if history is None:
        history = _history(cfg)
    fut = future_input(history, later, cfg.data, pre, schema, data)
    out = predict(exp.model_, (torch.from_numpy(fut.x),)).numpy()
    net = to_original(pre, out, fut.y, np.array([len(fut.y)]))
    metrics = _saved_metrics(exp.run_dir_)
    pred, used = _default_forecast(
        net, metrics.get("forecast_rule", {}), fut.y, pre.horizon, fut.season
    )
    frame = pd.DataFrame(
        {
            time_col: fut.times,
            "step": np.arange(1, pre.horizon + 1),
            f"predicted_{pre.target}": pred[0],
        }
    )
    widths = {
        lv: v["half_width"] for lv, v in metrics.get("intervals", {}).items() if "half_width" in v
    }
    for name, values in interval_columns(pred[0], widths).items():
        frame[name] = values
    frame.attrs.update(forecast=used, history=(fut.history_times, fut.y), target=pre.target)
    return frame
