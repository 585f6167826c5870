"""The statistical forecasters a network must beat: statsforecast's AutoETS, AutoTheta and
AutoARIMA (automatic model selection, as in R's forecast package), and their mean — the
"statistical ensemble" of the M3/M4 literature, within a fraction of a percent of deep
ensembles at a tiny fraction of their cost. The naive and seasonal naive forecasts (the other
two references) come from ``data.series.naive_forecasts``: the same definitions as
statsforecast's ``Naive`` and ``SeasonalNaive``, with no fitting.

Protocol: each model is fitted once on every value before the split's first forecast origin
(for the test period: the training and validation periods, as the M competitions give a
forecaster the whole history), then run forward with its fitted parameters over the later
values (statsforecast's ``forward``, i.e. ``cross_validation(refit=False)``): every forecast
uses only values before its origin.

statsforecast is an extra (``pip install "hakseup[forecast]"``: about 5 MB with coreforecast,
utilsforecast and fugue; version 2.1 has no numba, so there is no first-call compilation:
its import takes about 1 s).
Without it, statsmodels' ETS and Theta (``models.forecast_classical``) stand in, and the
report names what it could not run.

Example:
    >>> import numpy as np
    >>> y = 10 + np.sin(np.arange(120) * 2 * np.pi / 12)
    >>> refs, notes = reference_forecasts(y, np.arange(100, 110), 3, 12)
    >>> refs["statistical ensemble"].shape
    (10, 3)
"""

from __future__ import annotations

import warnings

import numpy as np

from ..i18n import t

__all__ = [
    "ENSEMBLE",
    "INSTALL_HINT",
    "MAX_FIT",
    "STAT_MODELS",
    "add_best_reference",
    "best_reference",
    "reference_forecasts",
    "reference_verdict",
    "statsforecast_available",
    "statsforecast_forecasts",
]

STAT_MODELS = ("AutoETS", "AutoTheta", "AutoARIMA")
ENSEMBLE = "statistical ensemble"
INSTALL_HINT = 'pip install "hakseup[forecast]"'
MAX_FIT = 1000  # values a model is fitted on at most (the latest): AutoARIMA with a season of
# 12 took 19 s on 2,700 monthly sunspot values, 12 s on the last 1,000


def statsforecast_available() -> bool:
    """Whether statsforecast's models can be imported (the ``forecast`` extra). Imported, not
    just found: a broken install falls back like a missing one. Called only when a forecast
    is scored, which imports them anyway."""
    try:
        _models()
    except ImportError:
        return False
    return True


def _models():
    """statsforecast's models module. Its package imports ``tqdm.auto``, which warns "IProgress
    not found" in a notebook without ipywidgets: that warning is not the user's concern."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from statsforecast import models

    return models


def _model(name: str, season: int, n: int = 0):
    """statsforecast's model ``name``; AutoARIMA with R's ``auto.arima`` default for its
    search, ``approximation`` (conditional sum of squares while searching) on more than 150
    values or a season above 12 — statsforecast leaves it off, and the exact search took
    30–130 s on a 48-step season (solar) and 24–68 s on nottem and sunspot_month against
    1–8 s approximated; on the windows before the test period its MASE moved by under 0.5 %
    on nottem, sunspot_month and uschange, improved on pbs_scripts (1.87 → 0.98) and worsened
    on solar (4.69 → 6.12) (``benchmarks/quality_series_results.md``)."""
    kwargs = {"approximation": n > 150 or season > 12} if name == "AutoARIMA" else {}
    return getattr(_models(), name)(season_length=max(1, int(season)), **kwargs)


def _fit_season(n: int, season: int) -> int:
    """The season a model can estimate: two full seasons of history at least, else none."""
    return season if season > 1 and n >= 2 * season + 2 else 1


def statsforecast_forecasts(
    y: np.ndarray, starts: np.ndarray, horizon: int, season: int, names=STAT_MODELS
) -> tuple[dict[str, np.ndarray], list[str]]:
    """({model: forecasts (N, horizon)}, notices) for forecasts starting at ``starts``; a model
    that cannot be fitted is left out with a notice saying why."""
    y = np.asarray(y, dtype=np.float64)
    starts = np.asarray(starts, dtype=int)
    fit_end = int(starts.min())
    hist = y[max(0, fit_end - MAX_FIT) : fit_end]
    m = _fit_season(len(hist), season)
    out, notices = {}, []
    for name in names:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter on short series
                model = _model(name, m, len(hist)).fit(hist)
                # run forward over the last MAX_FIT values, as it was fitted (the same
                # forecasts to 1e-11 on sunspot_month, in half the time)
                pred = np.stack(
                    [
                        np.asarray(
                            model.forward(y[max(0, s - MAX_FIT) : s], horizon)["mean"],
                            dtype=np.float64,
                        )
                        for s in starts
                    ]
                )
        except Exception as e:  # noqa: BLE001 — any failure of a reference: skip, say why
            notices.append(
                t(
                    "notice.forecast.reference_failed",
                    name=name,
                    e=str(e).splitlines()[0] if str(e) else type(e).__name__,
                )
            )
            continue
        if np.isfinite(pred).all():
            out[name] = pred.reshape(len(starts), horizon)
        else:
            notices.append(t("notice.forecast.reference_failed", name=name, e="non-finite"))
    return out, notices


def reference_forecasts(
    y: np.ndarray, starts: np.ndarray, horizon: int, season: int, train_end: int | None = None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """({name: forecasts (N, horizon)}, notices): AutoETS, AutoTheta, AutoARIMA and the
    statistical ensemble (their mean); without statsforecast, statsmodels' ETS and Theta and
    their mean, with a notice naming the missing references and how to add them."""
    starts = np.asarray(starts, dtype=int)
    if len(starts) == 0:
        return {}, []
    if statsforecast_available():
        refs, notices = statsforecast_forecasts(y, starts, horizon, season)
    else:
        from ..models.forecast_classical import classical_forecasts

        fit_end = int(train_end if train_end is not None else starts.min())
        refs = classical_forecasts(
            np.asarray(y, dtype=np.float64),
            starts,
            horizon,
            season,
            min(fit_end, int(starts.min())),
        )
        notices = [
            t(
                "notice.forecast.statsforecast_missing",
                names=", ".join(STAT_MODELS),
                hint=INSTALL_HINT,
            )
        ]
    if len(refs) >= 2:
        refs[ENSEMBLE] = np.mean(np.stack(list(refs.values())), axis=0)
    return refs, notices


def best_reference(table: dict[str, dict], key: str = "mase") -> str | None:
    """The reference with the lowest ``key`` (drift left out: not one of the references)."""
    named = [n for n, m in table.items() if n != "drift" and np.isfinite(m.get(key, np.nan))]
    return min(named, key=lambda n: table[n][key]) if named else None


def add_best_reference(metrics: dict, table: dict[str, dict]) -> str | None:
    """Into ``metrics``: the strongest reference by MASE (``best_reference``: its name,
    MASE and whether the forecaster beat it) and the ``reference_verdict`` sentence; nothing
    when no reference has a finite MASE. Returns the reference's name (or None)."""
    strongest = best_reference(table)
    if strongest is not None:
        metrics["best_reference"] = {
            "name": strongest,
            "mase": table[strongest]["mase"],
            "beaten": bool(metrics["mase"] < table[strongest]["mase"]),
        }
        metrics["reference_verdict"] = reference_verdict(metrics, table)
    return strongest


def reference_verdict(metrics: dict, table: dict[str, dict], key: str = "mase") -> str:
    """One sentence: does the forecaster beat the best of the references?"""
    best = best_reference(table, key)
    if best is None or not np.isfinite(metrics.get(key, np.nan)):
        return ""
    beats = metrics[key] < table[best][key]
    return t(
        "forecast.verdict_beats" if beats else "forecast.verdict_not",
        name=best,
        key=key.upper(),
        value=metrics[key],
        ref=table[best][key],
    )
