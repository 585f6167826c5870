"""A panel scored the M-competition way: the last ``h`` points of every series are its test,
MASE and sMAPE averaged over the series, next to statsforecast's references fitted per series.

- The **references** — AutoETS, AutoTheta, AutoARIMA, their mean (the statistical ensemble),
  naive and seasonal naive — are fitted on each series' history before the block's origin
  (the training part for the validation block; training and validation for the test, as the
  competitions give a forecaster the whole history), all series at once through
  ``StatsForecast`` over the long frame (one process: the machine is shared).
- The **default forecast** is chosen as for a single series (``forecast_combine``): the
  network, the statistical ensemble or their mean, whichever has the lowest mean MASE on the
  validation block — one choice for the whole panel, never looking at the test.
- **MASE** divides each series' errors by its in-sample seasonal-naive error (the naive one
  for a series without a season) before the origin; **sMAPE** is 200·|y − ŷ| / (|y| + |ŷ|),
  in percent. Both are averaged over the series; every series has its own row in
  ``metrics["per_series"]`` and the worst is named.
- **Intervals** (``--interval``): split-conformal on the validation block's errors of the
  default forecast, each divided by its series' MASE scale and pooled over the panel
  (``forecast_intervals.conformal_widths``), so every series' width follows its own scale.

Example:
    >>> metrics, best, _ = panel_scores(model, bundle)      # doctest: +SKIP
    >>> metrics["mase"], metrics["worst_series"]["id"]      # doctest: +SKIP
"""

from __future__ import annotations

import warnings

import numpy as np

from ..i18n import t
from .forecast_combine import NETWORK
from .forecast_intervals import conformal_widths, interval_scores
from .forecast_references import (
    ENSEMBLE,
    INSTALL_HINT,
    MAX_FIT,
    STAT_MODELS,
    add_best_reference,
    statsforecast_available,
)

__all__ = [
    "COMBINED",
    "candidates",
    "panel_forecasts",
    "panel_network",
    "panel_references",
    "panel_rule",
    "panel_scores",
    "panel_section",
    "panel_widths",
    "series_scores",
    "smape",
    "mase_scale",
    "statsforecast_panel",
]


def _origins(bundle, split: str) -> list[int]:
    """Each series' forecast origin for a block: ``n − 2h`` (validation) or ``n − h`` (test)."""
    p = bundle.info["panel"]
    back = 2 if split == "val" else 1
    return [len(y) - back * p["horizon"] for y in p["y"]]


def panel_network(model, bundle, split: str = "test") -> np.ndarray:
    """The network's forecasts (S, h) of a block, in original units (one window per series)."""
    from ..models.forward import predict

    part = getattr(bundle, split)
    out = predict(model, part.inputs).numpy()
    pre = bundle.preprocessor
    ids = part.inputs[1].numpy()
    return np.stack([pre.inverse(int(k), out[i]) for i, k in enumerate(ids)])


def statsforecast_panel(
    histories: list[np.ndarray], horizon: int, season: int
) -> tuple[dict[str, np.ndarray], list[str]]:
    """({reference: forecasts (S, h)}, notices) of every history at once, through
    ``StatsForecast(models, freq=1, n_jobs=1)`` over the long frame (integer time steps: the
    models need only the order); a series a model cannot fit gets the naive forecast
    (statsforecast's fallback)."""
    import pandas as pd
    from statsforecast import StatsForecast

    from .forecast_references import _models

    mods = _models()
    m = max(1, int(season))
    fitted = [np.asarray(y, dtype=np.float64)[-MAX_FIT:] for y in histories]
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(fitted)), [len(y) for y in fitted]),
            "ds": np.concatenate([np.arange(len(y)) for y in fitted]),
            "y": np.concatenate(fitted),
        }
    )
    models = [getattr(mods, name)(season_length=m) for name in STAT_MODELS]
    models.append(mods.Naive())
    if m > 1:
        models.append(mods.SeasonalNaive(season_length=m))
    sf = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=mods.Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        fc = sf.forecast(h=horizon, df=frame)
    fc = fc.sort_values(["unique_id", "ds"])
    names = {"Naive": "naive", "SeasonalNaive": "seasonal naive"}
    out: dict[str, np.ndarray] = {}
    for col in [c for c in fc.columns if c not in ("unique_id", "ds")]:
        out[names.get(col, col)] = fc[col].to_numpy(np.float64).reshape(len(fitted), horizon)
    return out, []


def _naive_only(histories: list[np.ndarray], horizon: int, season: int) -> dict:
    out = {"naive": np.stack([np.repeat(y[-1], horizon) for y in histories])}
    if season > 1:
        out["seasonal naive"] = np.stack(
            [
                np.array(
                    [
                        y[len(y) - season + (j % season)] if len(y) >= season else y[-1]
                        for j in range(horizon)
                    ]
                )
                for y in histories
            ]
        )
    return out


def panel_references(bundle, split: str = "test") -> dict[str, np.ndarray]:
    """The references' forecasts (S, h) of a block, computed once per bundle; without
    statsforecast, the naive forecasts only, and the report says how to add the others."""
    p = bundle.info["panel"]
    cache = p.setdefault("classical", {})
    if split not in cache:
        histories = [y[:o] for y, o in zip(p["y"], _origins(bundle, split))]
        if statsforecast_available():
            refs, notices = statsforecast_panel(histories, p["horizon"], p["season"])
        else:
            refs = _naive_only(histories, p["horizon"], p["season"])
            notices = [
                t(
                    "notice.forecast.statsforecast_missing",
                    names=", ".join(STAT_MODELS),
                    hint=INSTALL_HINT,
                )
            ]
        stats = [refs[n] for n in STAT_MODELS if n in refs]
        if len(stats) >= 2:
            refs[ENSEMBLE] = np.mean(np.stack(stats), axis=0)
        cache[split] = refs
        if split == "test":
            bundle.info.setdefault("notices", []).extend(notices)
    return dict(cache[split])


def mase_scale(history: np.ndarray, season: int) -> float:
    """The in-sample seasonal-naive mean absolute error of a history (the naive one when it
    is shorter than two seasons); 1 when the history never changes.

    >>> mase_scale(np.array([1.0, 2.0, 4.0]), 1)
    1.5
    """
    y = np.asarray(history, dtype=np.float64)
    m = season if season > 1 and len(y) > 2 * season else 1
    scale = float(np.mean(np.abs(y[m:] - y[:-m]))) if len(y) > m else float("nan")
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def smape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE in percent (0 where both are 0).

    >>> smape(np.array([100.0]), np.array([110.0]))
    9.523809523809524
    """
    a, f = np.asarray(actual, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    den = np.abs(a) + np.abs(f)
    return float(np.mean(np.where(den > 0, 200 * np.abs(a - f) / np.where(den > 0, den, 1), 0.0)))


def series_scores(actual: np.ndarray, pred: np.ndarray, scales: np.ndarray) -> dict:
    """Per-series MASE and sMAPE (S,) of forecasts (S, h)."""
    err = np.abs(actual - pred)
    return {
        "mase": err.mean(1) / scales,
        "smape": np.array([smape(a, f) for a, f in zip(actual, pred)]),
        "mae": err.mean(1),
    }


def _block(bundle, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(actuals (S, h), MASE scales (S,)) of a block."""
    p = bundle.info["panel"]
    h = p["horizon"]
    origins = _origins(bundle, split)
    actual = np.stack([y[o : o + h] for y, o in zip(p["y"], origins)])
    scales = np.array([mase_scale(y[:o], p["season"]) for y, o in zip(p["y"], origins)])
    return actual, scales


COMBINED = "network + statistical ensemble"


def candidates(net: np.ndarray, refs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The forecasts a panel's default chooses from: the network, the statistical ensemble
    and their equal-weight mean (only the network where there is no ensemble). A panel's
    validation block is one window per series, read together: the single-series rule's
    rolling windows (``forecast_combine``) are not needed to choose among three."""
    out = {NETWORK: net}
    if ENSEMBLE in refs:
        out[ENSEMBLE] = refs[ENSEMBLE]
        out[COMBINED] = (net + refs[ENSEMBLE]) / 2
    return out


def panel_rule(model, bundle) -> dict:
    """The default forecast of the panel (cached): the candidate with the lowest mean MASE
    on the validation block; ties go to the more averaged forecast (combined, ensemble,
    network)."""
    p = bundle.info["panel"]
    if "rule" in p:
        return p["rule"]
    actual, scales = _block(bundle, "val")
    net = panel_network(model, bundle, "val")
    cands = candidates(net, panel_references(bundle, "val"))
    scores = {n: float(np.mean(series_scores(actual, f, scales)["mase"])) for n, f in cands.items()}
    order = [n for n in (COMBINED, ENSEMBLE, NETWORK) if n in scores]
    finite = [n for n in order if np.isfinite(scores[n])]
    name = min(finite, key=lambda n: scores[n]) if finite else NETWORK
    reason = "validation" if len(cands) > 1 else "no_ensemble"
    p["rule"] = {
        "name": name,
        "reason": reason,
        "validation_mase": scores,
        "val_origins": len(actual),
    }
    p["val_residuals"] = (actual - cands[name]) / scales[:, None]  # in MASE scale units
    if p.get("interval"):  # saved with the rule: ``predict`` widens every series' forecast
        p["rule"]["interval_widths"] = {
            f"{lv:g}": w.tolist()
            for lv, w in conformal_widths(p["val_residuals"], p["interval"]).items()
        }
    return p["rule"]


def panel_forecasts(model, bundle) -> tuple[np.ndarray, np.ndarray]:
    """(the default forecast, the network's) of the test block (S, h), in original units."""
    net = panel_network(model, bundle, "test")
    name = panel_rule(model, bundle)["name"]
    return candidates(net, panel_references(bundle, "test")).get(name, net), net


def panel_widths(bundle, scales: np.ndarray) -> dict[float, np.ndarray]:
    """{level: half-widths (S, h)} of the conformal intervals for series with MASE scales
    ``scales`` ({} when the run asked for none)."""
    p = bundle.info["panel"]
    if not p.get("interval") or "val_residuals" not in p:
        return {}
    unit = conformal_widths(p["val_residuals"], p["interval"])
    return {level: np.outer(scales, w) for level, w in unit.items()}


def _reference_table(actual, refs: dict, scales) -> tuple[dict, dict]:
    per = {name: series_scores(actual, f, scales) for name, f in refs.items()}
    table = {
        name: {"mase": float(np.mean(s["mase"])), "smape": float(np.mean(s["smape"]))}
        for name, s in per.items()
    }
    return table, per


def panel_scores(model, bundle, split: str = "test") -> tuple[dict, str, dict]:
    """(metrics, the strongest reference's name, its metrics) of the test block: the default
    forecast's mean MASE and sMAPE, the network's, every reference's, the rule, a row per
    series and the worst series."""
    p = bundle.info["panel"]
    actual, scales = _block(bundle, "val" if split == "val" else "test")
    if split == "val":
        net = panel_network(model, bundle, "val")
        s = series_scores(actual, net, scales)
        return {"mase": float(np.mean(s["mase"])), "smape": float(np.mean(s["smape"]))}, "", {}
    pred, net = panel_forecasts(model, bundle)
    own, mine = series_scores(actual, pred, scales), series_scores(actual, net, scales)
    table, per = _reference_table(actual, panel_references(bundle, "test"), scales)
    # No mean MAE: each series has its own units; MASE and sMAPE are the panel's figures.
    metrics: dict = {
        "mase": float(np.mean(own["mase"])),
        "smape": float(np.mean(own["smape"])),
        "network": {"mase": float(np.mean(mine["mase"])), "smape": float(np.mean(mine["smape"]))},
        "forecast_rule": panel_rule(model, bundle),
        "baselines": table,
        "left_out": list(p.get("left_out", [])),
    }
    metrics["per_series"] = _per_series_rows(p, own, mine, per)
    worst = int(np.argmax(own["mase"]))
    metrics["worst_series"] = {
        "id": p["ids"][worst],
        "mase": float(own["mase"][worst]),
        "smape": float(own["smape"][worst]),
    }
    strongest = add_best_reference(metrics, table)
    widths = panel_widths(bundle, scales)
    if widths:
        metrics["intervals"] = interval_scores(
            actual / scales[:, None],
            pred / scales[:, None],
            {lv: w / scales[:, None] for lv, w in widths.items()},
            1.0,
        )
    best = strongest or next(iter(table), "")
    return metrics, best, table.get(best, {})


def _per_series_rows(p: dict, own: dict, mine: dict, per: dict) -> list[dict]:
    rows = []
    for i, sid in enumerate(p["ids"]):
        row = {
            "id": sid,
            "points": len(p["y"][i]),
            "mase": float(own["mase"][i]),
            "smape": float(own["smape"][i]),
            "network_mase": float(mine["mase"][i]),
        }
        for name, s in per.items():
            row[f"{name} mase"] = float(s["mase"][i])
        rows.append(row)
    return rows


def panel_section(metrics: dict) -> tuple[list[str], str]:
    """(summary sentences, the report's section in Markdown): the rule, the verdict, the
    worst series, the intervals, then the mean scores and a table with a row per series."""
    rule, worst = metrics["forecast_rule"], metrics["worst_series"]
    scores = ", ".join(f"{k} {v:.3f}" for k, v in rule.get("validation_mase", {}).items())
    lines = [
        t(
            f"forecast.panel.rule_{rule['reason']}",
            name=rule["name"],
            n=rule["val_origins"],
            scores=scores,
        )
    ]
    if metrics.get("reference_verdict"):
        lines.append(metrics["reference_verdict"])
    lines.append(
        t(
            "forecast.panel.worst",
            id=worst["id"],
            mase=worst["mase"],
            smape=worst["smape"],
            n=len(metrics["per_series"]),
            mean=metrics["mase"],
        )
    )
    summary = list(lines)
    for level, v in metrics.get("intervals", {}).items():
        lines.append(
            t(
                "forecast.interval_line",
                level=float(level) * 100,
                coverage=v["coverage"] * 100,
                msis=v["msis"],
            )
        )
    if metrics.get("left_out"):
        lines.append(
            t(
                "forecast.panel.left_out",
                n=len(metrics["left_out"]),
                names=", ".join(metrics["left_out"][:10]),
            )
        )
    return summary, "\n\n".join(lines) + _means_table(metrics) + _series_table(metrics)


def _means_table(m: dict) -> str:
    rows = [
        ("default", m["mase"], m["smape"]),
        ("network", m["network"]["mase"], m["network"]["smape"]),
    ]
    rows += [(name, v["mase"], v["smape"]) for name, v in m["baselines"].items()]
    body = [f"| {n} | {a:.3f} | {b:.2f} |" for n, a, b in rows]
    return "\n\n" + "\n".join(["| forecast | mean MASE | mean sMAPE (%) |", "|---|---|---|"] + body)


def _series_table(m: dict) -> str:
    rows = m["per_series"]
    refs = [k[:-5] for k in rows[0] if k.endswith(" mase") and k != "network_mase"] if rows else []
    head = "| series | points | MASE | sMAPE | network | " + " | ".join(refs) + " |"
    sep = "|---" * (len(refs) + 5) + "|"
    body = [
        f"| {r['id']} | {r['points']} | {r['mase']:.3f} | {r['smape']:.2f} | "
        f"{r['network_mase']:.3f} | " + " | ".join(f"{r[n + ' mase']:.3f}" for n in refs) + " |"
        for r in rows
    ]
    return "\n\n" + t("forecast.panel.table_heading") + "\n\n" + "\n".join([head, sep] + body)
