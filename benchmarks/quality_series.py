"""Quality of the default models on sequences and time series, against classical references.

Two sections, each a function returning ``{"rows": [...], "markdown": str}`` (imported by
``benchmarks/quality.py``) and runnable alone:

    python benchmarks/quality_series.py --section ucr      # five UCR problems
    python benchmarks/quality_series.py --section series   # nine public series
    python benchmarks/quality_series.py --quick            # fewer seeds / problems

(a) UCR: train on the official ``*_train.csv``, score on ``*_test.csv``; the default sequence
model (``--layout sequence``, ``--model auto``), our from-scratch LSTM and ``nn.LSTM``, next to
1-NN (Euclidean), logistic regression and HistGradientBoosting on the raw values.
(b) Series: the nine single series of the suite (``SUITE``), each at one step and at the
frequency's default horizon, as ``hakseup train`` runs them with no tuning flags (15 %
validation, 15 % test, widened to one horizon): h-step forecasts from every origin of the test
period; MASE (scaled by the in-sample naive MAE of the training period) of the default
forecast, the network alone, statsforecast's AutoETS, AutoTheta, AutoARIMA, their mean (the
statistical ensemble), naive and seasonal naive; the 80 % / 95 % conformal intervals'
coverage; seconds per run and per reference. Then M1 yearly (181 series, h = 6) with one
global model (``--id-col``; ``benchmarks/quality_panel.py``): mean MASE and sMAPE over the
series of the default and every reference, and the seconds of the whole run.

Data: ``../shared/data/quality`` (benchmarks only; never a dependency of the package).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = HERE.parents[1] / "shared" / "data" / "quality"
if not DATA.is_dir():  # a worktree next to the shared folder, or the repo inside /work
    DATA = Path("/work/shared/data/quality")

UCR = {"gunpoint": None, "italypowerdemand": None, "arrowhead": None, "basicmotions": "100x6",
       "osuleaf": None}
SERIES = {"airpassengers": 12, "nottem": 12, "ukgas": 4, "lynx": 1, "nile": 1,
          "sunspot_month": 12}
__all__ = ["run_ucr", "run_series", "ucr_default_run", "series_default_run", "run_ucr_choice",
           "inner_cv", "minirocket_aeon"]


# --------------------------------------------------------------------------- helpers


def _quiet_train(cfg_dict: dict, callbacks: list | None = None):
    """hakseup.train on a config dict, silently, in a throw-away folder."""
    from hakseup.config import RunConfig
    from hakseup.experiment.experiment import train

    tmp = tempfile.mkdtemp(prefix="hq-")
    cfg_dict.setdefault("train", {}).update(progress=False, tensorboard=False)
    cfg_dict.setdefault("output", {}).update(root=tmp, plots=False)
    cfg = RunConfig.from_dict(cfg_dict)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return train(cfg, echo=lambda *a, **k: None, callbacks=callbacks), cfg


def _mean_std(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def _supports_test_path() -> bool:
    from hakseup.config import DataConfig

    return "test_path" in DataConfig.__dataclass_fields__


# --------------------------------------------------------------------------- UCR


def _ucr_frames(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_csv(DATA / f"ucr_{name}_train.csv"),
            pd.read_csv(DATA / f"ucr_{name}_test.csv"))


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the references'
    and figures' worker processes), user + system."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def ucr_default_run(name: str, seed: int, model: dict | None = None,
                    cpu: list | None = None, fit_cpu: list | None = None
                    ) -> tuple[float, float]:
    """(test accuracy, seconds) of hakseup on one UCR problem, as a user would run it: train on
    the train file, score on the test file (``--test-data`` where it exists, else `evaluate
    --data` on a run trained with the default splits). ``cpu`` gets the whole run's CPU
    seconds, ``fit_cpu`` the training loop's alone."""
    from hakseup.predict import evaluate_file
    from quality import fit_clock

    train_csv, test_csv = DATA / f"ucr_{name}_train.csv", DATA / f"ucr_{name}_test.csv"
    data = {"path": str(train_csv), "target": "label", "layout": "sequence"}
    if UCR[name]:
        data["sequence_shape"] = UCR[name]
    if _supports_test_path():
        data["test_path"] = str(test_csv)
    t0, c0 = time.perf_counter(), _cpu()
    clock = fit_clock()
    result, _ = _quiet_train({"data": data, "model": dict(model or {}), "train": {"seed": seed}},
                             callbacks=[clock])
    if cpu is not None:
        cpu.append(_cpu() - c0)
    if fit_cpu is not None:
        fit_cpu.append(clock.cpu_seconds)
    if _supports_test_path():
        acc = result.metrics["accuracy"]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            acc = evaluate_file(result.run_dir, test_csv).metrics["accuracy"]
    return float(acc), time.perf_counter() - t0


def _classical_ucr(name: str) -> dict[str, tuple[float, float, float]]:
    """{reference: (test accuracy, seconds, CPU seconds)} of fit + predict, one thread."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    tr, te = _ucr_frames(name)
    Xtr, ytr = tr.drop(columns="label").to_numpy(float), tr["label"].astype(str).to_numpy()
    Xte, yte = te.drop(columns="label").to_numpy(float), te["label"].astype(str).to_numpy()
    models = {"1-NN Euclidean": KNeighborsClassifier(1),
              "LogisticRegression": make_pipeline(StandardScaler(),
                                                  LogisticRegression(max_iter=5000)),
              "HistGradientBoosting": HistGradientBoostingClassifier(random_state=0)}
    out = {}
    for label, m in models.items():
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            acc = float((m.fit(Xtr, ytr).predict(Xte) == yte).mean())
        out[label] = (acc, time.perf_counter() - t0, time.process_time() - c0)
    return out


UCR_MODELS = {"default (--model auto)": {},
              "rocket": {"name": "rocket"},
              "cnn (residual FCN)": {"name": "cnn"},
              "LSTM (ours, scratch)": {"name": "lstm", "lstm_impl": "scratch"},
              "LSTM (nn.LSTM, native)": {"name": "lstm", "lstm_impl": "native"}}


def run_ucr(quick: bool = False, seeds: list[int] | None = None) -> dict:
    """Accuracy on the official UCR test files: hakseup's models (mean ± std over seeds) and
    the classical references; seconds per run."""
    problems = ["gunpoint", "italypowerdemand"] if quick else list(UCR)
    seeds = seeds or ([0] if quick else [0, 1, 2])
    rows = []
    for name in problems:
        tr, te = _ucr_frames(name)
        majority = float((te["label"].astype(str) == tr["label"].astype(str).mode()[0]).mean())
        rows.append({"problem": name, "model": "majority class", "accuracy": [majority],
                     "seconds": [0.0]})
        for label, (acc, sec, cpu) in _classical_ucr(name).items():
            rows.append({"problem": name, "model": label, "accuracy": [acc], "seconds": [sec],
                         "cpu_seconds": [cpu], "fit_cpu_seconds": [cpu]})
        for label, model in UCR_MODELS.items():
            accs, secs, cpus, fits = [], [], [], []
            for seed in seeds:
                acc, sec = ucr_default_run(name, seed, model, cpus, fits)
                accs.append(acc)
                secs.append(sec)
            rows.append({"problem": name, "model": label, "accuracy": accs, "seconds": secs,
                         "cpu_seconds": cpus, "fit_cpu_seconds": fits})
            print(f"  ucr {name:18s} {label:26s} {_mean_std(accs)}  "
                  f"({statistics.mean(secs):.1f} s/run, {statistics.mean(cpus):.1f} CPU s)",
                  flush=True)
    aeon = minirocket_aeon(problems, len(seeds))
    for name in problems if aeon else []:
        mine = [r for r in aeon["rows"] if r["problem"] == name]
        # fit: its fit + predict; whole run: the aeon process (import, numba's compilation,
        # every fit) shared out over its runs
        share = aeon["process_cpu_seconds"] / max(1, len(aeon["rows"]))
        rows.append({"problem": name, "model": "MiniRocket (aeon)",
                     "accuracy": [r["accuracy"] for r in mine],
                     "seconds": [r["cpu_seconds"] for r in mine],
                     "cpu_seconds": [share for _ in mine],
                     "fit_cpu_seconds": [r["cpu_seconds"] for r in mine]})
    return {"rows": rows, "markdown": _ucr_markdown(rows, problems),
            "minirocket_aeon": {k: v for k, v in (aeon or {}).items() if k != "rows"}}


def _ucr_markdown(rows: list[dict], problems: list[str]) -> str:
    models = list(dict.fromkeys(r["model"] for r in rows))
    cell = {(r["problem"], r["model"]): r for r in rows}
    head = ("| model | " + " | ".join(problems) +
            " | mean | s/run | CPU s/run (whole run) | CPU s/run (fit) |")
    lines = [head, "|" + "---|" * (len(problems) + 5)]
    for m in models:
        accs = [statistics.mean(cell[(p, m)]["accuracy"]) for p in problems if (p, m) in cell]
        secs = [statistics.mean(cell[(p, m)]["seconds"]) for p in problems if (p, m) in cell]
        cpus = [statistics.mean(cell[(p, m)]["cpu_seconds"]) for p in problems
                if (p, m) in cell and cell[(p, m)].get("cpu_seconds")]
        cells = [_mean_std(cell[(p, m)]["accuracy"]) if (p, m) in cell else "—" for p in problems]
        fits = [statistics.mean(cell[(p, m)]["fit_cpu_seconds"]) for p in problems
                if (p, m) in cell and cell[(p, m)].get("fit_cpu_seconds")]
        cpu = f"{statistics.mean(cpus):.2f}" if cpus else "—"
        fit = f"{statistics.mean(fits):.2f}" if fits else "—"
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {statistics.mean(accs):.3f} | "
                     f"{statistics.mean(secs):.1f} | {cpu} | {fit} |")
    default = "default (--model auto)"
    verdict = []
    peer = "MiniRocket (aeon)" if (problems[0], "MiniRocket (aeon)") in cell else "1-NN Euclidean"
    for p in problems:
        d = statistics.mean(cell[(p, default)]["accuracy"])
        ref = statistics.mean(cell[(p, peer)]["accuracy"])
        verdict.append(f"{p}: default {d:.3f} vs {peer} {ref:.3f} ({(d - ref) * 100:+.1f} pts)")
    return "\n".join(["; ".join(verdict), ""] + lines + ["", _ucr_paired(cell, problems, peer)])


def _ucr_paired(cell: dict, problems: list[str], peer: str) -> str:
    """The default − the peer, seed by seed (the peer's random seed i beside the default's
    seed i on the same official split): mean ± std over the seeds, per problem."""
    default = "default (--model auto)"
    lines = [f"| problem | default − {peer} (paired over seeds, points) | seeds |",
             "|---|---|---|"]
    for p in problems:
        ours, theirs = cell[(p, default)]["accuracy"], cell[(p, peer)]["accuracy"]
        if len(theirs) == 1:     # a deterministic reference: one value for every seed
            theirs = theirs * len(ours)
        diff = [100 * (a - b) for a, b in zip(ours, theirs)]
        spread = f" ± {statistics.stdev(diff):.1f}" if len(diff) > 1 else ""
        lines.append(f"| {p} | {statistics.mean(diff):+.1f}{spread} | {len(diff)} |")
    return "\n".join(lines)


CANDIDATES = {"rocket": {"name": "rocket"}, "cnn": {"name": "cnn"}}


def inner_cv(name: str, model: dict, folds: int = 5, seed: int = 0,
             train: dict | None = None) -> list[float]:
    """Accuracy per fold of ``hakseup cv --folds K`` on the problem's *training* file only:
    the data the default is chosen on (the test file is never read); ``train`` adds
    ``train.*`` keys."""
    from hakseup.config import RunConfig
    from hakseup.experiment.crossval import cross_validate

    data = {"path": str(DATA / f"ucr_{name}_train.csv"), "target": "label",
            "layout": "sequence"}
    if UCR[name]:
        data["sequence_shape"] = UCR[name]
    with tempfile.TemporaryDirectory() as root:
        cfg = RunConfig.from_dict({"data": data, "model": dict(model),
                                   "train": {**(train or {}), "seed": seed,
                                             "progress": False, "tensorboard": False},
                                   "output": {"root": root, "plots": False}})
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result = cross_validate(cfg, folds, echo=lambda *a, **k: None)
    return [float(f["accuracy"]) for f in result["folds"]]


def minirocket_aeon(problems: list[str], seeds: int) -> dict | None:
    """MiniRocket (aeon) on the same official splits, in a subprocess: aeon's numba needs
    NumPy < 2.4, so aeon may live apart (``HAKSEUP_AEON_PATH``: a folder put first on its
    PYTHONPATH, e.g. ``pip install --target DIR aeon numba numpy==2.3.5``). None without it."""
    import os
    import subprocess

    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if os.environ.get("HAKSEUP_AEON_PATH"):
        env["PYTHONPATH"] = os.environ["HAKSEUP_AEON_PATH"]
    out = Path(tempfile.mkdtemp(prefix="hq-aeon-")) / "aeon.json"
    c0 = _cpu()
    proc = subprocess.run([sys.executable, str(HERE / "minirocket_aeon.py"), "--json", str(out),
                           "--problems", ",".join(problems), "--seeds", str(seeds)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.exists():
        print(f"  MiniRocket (aeon) not run: {proc.stderr.strip().splitlines()[-1:]}",
              file=sys.stderr)
        return None
    result = json.loads(out.read_text())
    result["process_cpu_seconds"] = _cpu() - c0      # import + numba compilation + all fits
    return result


def run_ucr_choice(seeds: int = 3, folds: int = 5, problems: list[str] | None = None,
                   candidates: dict | None = None, out: Path | None = None) -> dict:
    """The choice of the default for ``--layout sequence``: each candidate's inner
    cross-validation accuracy on the training files (what the choice reads), then its test
    accuracy and CPU seconds on the official test files over ``seeds`` seeds, beside
    MiniRocket (aeon) on the same splits (what the choice is measured against)."""
    problems = problems or list(UCR)
    candidates = candidates or CANDIDATES
    result: dict = {"inner_cv": {}, "test": {}, "cpu": {}}

    def save():
        if out is not None:
            out.write_text(json.dumps(result, indent=1))

    for label, model in candidates.items():
        for name in problems:
            accs = inner_cv(name, model, folds)
            result["inner_cv"].setdefault(label, {})[name] = accs
            print(f"  inner cv {name:18s} {label:8s} {_mean_std(accs)}", flush=True)
            save()
    for label, model in candidates.items():
        for name in problems:
            accs, cpus = [], []
            for seed in range(seeds):
                accs.append(ucr_default_run(name, seed, model, cpus)[0])
            result["test"].setdefault(label, {})[name] = accs
            result["cpu"].setdefault(label, {})[name] = cpus
            print(f"  test {name:18s} {label:8s} {_mean_std(accs)}  "
                  f"({statistics.mean(cpus):.1f} CPU s/run)", flush=True)
            save()
    aeon = minirocket_aeon(problems, seeds)
    if aeon is not None:
        result["minirocket_aeon"] = aeon
        for row in aeon["rows"]:
            result["test"].setdefault("MiniRocket (aeon)", {}).setdefault(
                row["problem"], []).append(row["accuracy"])
            result["cpu"].setdefault("MiniRocket (aeon)", {}).setdefault(
                row["problem"], []).append(row["cpu_seconds"])
    save()
    return result


# --------------------------------------------------------------------------- series


def _test_rows(n: int, val_size: float, test_size: float) -> np.ndarray:
    from hakseup.data.splits import chronological_indices

    return chronological_indices(n, val_size, test_size)[2]


def series_default_run(name: str, seed: int = 0, extra: dict | None = None):
    """(the run's test metrics, seconds, the prepared series values) of the default forecaster
    on one series with the last 20 % as the test period, one step ahead."""
    from hakseup.data.datasets import load_raw
    from hakseup.data.series.prepare import prepare_series

    data = {"path": str(DATA / f"{name}.csv"), "time_col": "date", "target": "value",
            "test_size": 0.2, "horizon": 1}
    data.update((extra or {}).get("data", {}))
    cfg_dict = {"data": data, "model": dict((extra or {}).get("model", {})),
                "train": {"seed": seed, **(extra or {}).get("train", {})}}
    t0 = time.perf_counter()
    result, cfg = _quiet_train(cfg_dict)
    seconds = time.perf_counter() - t0
    raw, defaults, source = load_raw(cfg.data)
    y = prepare_series(raw, cfg.data, defaults, source).df["value"].to_numpy(float)
    return result.metrics, seconds, y, cfg


def _scored(pred: np.ndarray, actual: np.ndarray, scale: float) -> dict:
    mae = float(np.mean(np.abs(actual - pred)))
    return {"mae": mae, "mase": mae / scale}


def _classical_series(y: np.ndarray, test: np.ndarray, season: int) -> dict[str, tuple]:
    from hakseup.models.forecast_classical import ets_forecasts, theta_forecasts

    start = int(test[0])
    actual = y[test]
    scale = float(np.mean(np.abs(np.diff(y[:start]))))
    out = {}
    t0 = time.perf_counter()
    out["naive"] = (_scored(y[test - 1], actual, scale), time.perf_counter() - t0)
    if season > 1:
        t0 = time.perf_counter()
        out[f"seasonal naive ({season})"] = (_scored(y[test - season], actual, scale),
                                             time.perf_counter() - t0)
    t0 = time.perf_counter()
    ets = ets_forecasts(y, test, 1, season, start)
    out["ETS (statsmodels)"] = (_scored(ets[:, 0], actual, scale), time.perf_counter() - t0)
    t0 = time.perf_counter()
    theta = theta_forecasts(y, test, 1, season, start, refit=True)
    out["Theta (statsmodels)"] = (_scored(theta[:, 0], actual, scale), time.perf_counter() - t0)
    return out, scale


SUITE = {  # name: (file, time column, target) — the single series of the quality suite
    "airpassengers": ("airpassengers", "date", "value"), "nottem": ("nottem", "date", "value"),
    "ukgas": ("ukgas", "date", "value"), "lynx": ("lynx", "date", "value"),
    "nile": ("nile", "date", "value"), "sunspot_month": ("sunspot_month", "date", "value"),
    "uschange": ("uschange", "Quarter", "Consumption"),
    "pbs_scripts": ("pbs_scripts", "Month", "Scripts"),
    "solar_halfhourly": ("solar_halfhourly", "datetime_gmt", "solar_gen")}
STAT = ("AutoETS", "AutoTheta", "AutoARIMA")


def _exact_arima(y: np.ndarray, starts: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """statsforecast's AutoARIMA with its own default (``approximation=False``), fitted and run
    forward as the references are: the stronger, slower bar beside the default's
    approximated search."""
    from hakseup.evaluation.forecast_references import MAX_FIT, _fit_season, _models

    fit_end = int(starts.min())
    hist = y[max(0, fit_end - MAX_FIT):fit_end]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _models().AutoARIMA(season_length=_fit_season(len(hist), season)).fit(hist)
        return np.stack([np.asarray(model.forward(y[max(0, s - MAX_FIT):s], horizon)["mean"])
                         for s in starts])


def suite_default_run(name: str, horizon: int | None, seed: int,
                      levels: list[float] | None = None):
    """(result, config, seconds) of the default ``hakseup train`` on the suite series
    ``name`` (``horizon`` None: the frequency's default), with intervals at ``levels``."""
    file, time_col, target = SUITE[name]
    data = {"path": str(DATA / f"{file}.csv"), "time_col": time_col, "target": target,
            "interval": list(levels or [0.8, 0.95])}
    if horizon:
        data["horizon"] = horizon
    t0 = time.perf_counter()
    result, cfg = _quiet_train({"data": data, "train": {"seed": seed}})
    return result, cfg, time.perf_counter() - t0


def suite_run(name: str, horizon: int | None, seed: int = 0, exact: bool = False) -> dict:
    """One default run (``hakseup train`` with no tuning flags; ``horizon`` None: the
    frequency's default) on a suite series: test MASE of the default forecast, of the network
    alone and of each reference; the rule (its weights, what it pooled); seconds; with
    ``exact``, AutoARIMA's exact search too (its MASE and seconds)."""
    from hakseup.evaluation.forecast import _network
    from hakseup.evaluation.forecast_references import statsforecast_forecasts
    from hakseup.metrics import mase

    result, cfg, seconds = suite_default_run(name, horizon, seed)
    m, bundle = result.metrics, result.bundle
    s = bundle.info["series"]
    y_train = s["y"][:s["train_end"]]
    starts, net, actual = _network(result.model, bundle, "test")
    ref_seconds, refs = {}, {k: v["mase"] for k, v in m["baselines"].items()}
    for ref in STAT:        # the references again, one at a time, for their seconds
        t1 = time.perf_counter()
        statsforecast_forecasts(s["y"], starts, bundle.schema.n_outputs, s["season"], (ref,))
        ref_seconds[ref] = time.perf_counter() - t1
    if exact:
        t1 = time.perf_counter()
        f = _exact_arima(s["y"], starts, bundle.schema.n_outputs, s["season"])
        ref_seconds["AutoARIMA (exact)"] = time.perf_counter() - t1
        refs["AutoARIMA (exact)"] = mase(actual, f, y_train, 1)
    rule = m["forecast_rule"]
    return {"series": name, "horizon": bundle.schema.n_outputs, "seed": seed,
            "season": s["season"], "test_origins": len(starts),
            "val_origins": rule["val_origins"], "stat_origins": rule.get("stat_origins", 0),
            "default": m["mase"], "rule": rule["name"], "reason": rule["reason"],
            "weights": rule.get("weights", {}), "statistical": rule.get("statistical", []),
            "members": rule.get("members", []),
            "validation": rule.get("validation_mase", {}),
            "statistical_validation": rule.get("statistical_mase", {}),
            "candidates": {"network": mase(actual, net, y_train, 1)},
            "references": refs,
            "per_step_default": [r["mase"] for r in m.get("per_step", [])],
            "intervals": m.get("intervals", {}),
            "seconds": seconds, "reference_seconds": ref_seconds}


def run_series(quick: bool = False, seeds: list[int] | None = None,
               names: list[str] | None = None, horizons: tuple = (1, None)) -> dict:
    """The nine single series at one step and at the frequency's default horizon."""
    seeds = seeds or [0]
    names = names or (list(SUITE)[:3] if quick else list(SUITE))
    rows = []
    for horizon in horizons:
        for name in names:
            for seed in seeds:
                r = suite_run(name, horizon, seed, exact=horizon is None)
                rows.append(r)
                print(f"  h={r['horizon']:<3d} {name:17s} default {r['default']:.3f} ({r['rule']};"
                      f" stage 1 {r['statistical']}, stage 2 {r['members']})"
                      f" | " + ", ".join(f"{k} {v:.3f}" for k, v in r["references"].items())
                      + f" | {r['seconds']:.0f} s", flush=True)
    m1 = _m1_part(quick, seeds)
    return {"rows": rows, "m1": m1["rows"], "markdown": _series_markdown(rows)
            + "\n### M1 yearly: 181 series, one global model (h = 6)\n\n" + m1["markdown"]}


def _m1_part(quick: bool, seeds: list[int] | None) -> dict:
    """The many-series part: M1 yearly with ``--id-col`` (benchmarks/quality_panel.py)."""
    sys.path.insert(0, str(HERE))
    from quality_panel import run_m1

    return run_m1(quick, seeds)


def _snaive(r: dict) -> tuple[str, float]:
    """The seasonal naive reference (the naive for a series without a season)."""
    for k, v in r["references"].items():
        if k.startswith("seasonal naive"):
            return "seasonal naive", v
    return "naive", r["references"]["naive"]


def _series_markdown(rows: list[dict]) -> str:
    """Per horizon: a row per series (MASE of the default, the network, each reference), the
    means, and the targets' verdicts."""
    out = []
    for one_step in (True, False):
        part = [r for r in rows if (r["horizon"] == 1) == one_step]
        if not part:
            continue
        exact = ["AutoARIMA (exact)"] if any("AutoARIMA (exact)" in r["references"]
                                             for r in part) else []
        cols = ["default", "network", *STAT, *exact, "statistical ensemble", "(seasonal) naive"]
        out += [f"### {'One step ahead' if one_step else 'Default horizon'}", "",
                "| series | h | " + " | ".join(cols) + " | rule | s/run |",
                "|---" * (len(cols) + 4) + "|"]
        table = {c: [] for c in cols}
        for name in dict.fromkeys(r["series"] for r in part):
            rs = [r for r in part if r["series"] == name]
            vals = {"default": statistics.mean(r["default"] for r in rs),
                    "network": statistics.mean(r["candidates"]["network"] for r in rs),
                    "(seasonal) naive": _snaive(rs[0])[1]}
            for c in (*STAT, *exact, "statistical ensemble"):
                vals[c] = rs[0]["references"].get(c, float("nan"))
            for c in cols:
                table[c].append(vals[c])
            out.append(f"| {name} | {rs[0]['horizon']} | "
                       + " | ".join(f"{vals[c]:.3f}" for c in cols)
                       + f" | {rs[0]['rule']} | {statistics.mean(r['seconds'] for r in rs):.0f} |")
        means = {c: float(np.nanmean(v)) for c, v in table.items()}
        out.append("| **mean** | | " + " | ".join(f"**{means[c]:.3f}**" for c in cols) + " | | |")
        best = min((*STAT, *exact), key=lambda c: means[c])
        worse = [n for n, d, sn in zip(dict.fromkeys(r["series"] for r in part), table["default"],
                                       table["(seasonal) naive"]) if d > sn]
        cov = {lv: [r["intervals"][lv]["coverage"] for r in part if lv in r.get("intervals", {})]
               for lv in ("0.8", "0.95")}
        msis = {lv: [r["intervals"][lv]["msis"] for r in part if lv in r.get("intervals", {})]
                for lv in ("0.8", "0.95")}
        if cov["0.8"]:
            out += ["", "Interval coverage on the test periods (mean over series): "
                    + ", ".join(f"{float(lv):.0%} nominal → {np.mean(c):.1%} (MSIS "
                                f"{np.mean(msis[lv]):.2f}, {len(c)} series)"
                                for lv, c in cov.items() if c) + "."]
        out += ["", f"Mean MASE: default {means['default']:.3f} vs the best single model "
                f"({best}) {means[best]:.3f} and the statistical ensemble "
                f"{means['statistical ensemble']:.3f}; series worse than the (seasonal) naive: "
                f"{', '.join(worse) or 'none'}.", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=["ucr", "series", "all"], default="all")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seeds", type=int, default=None, help="seeds per hakseup model")
    p.add_argument("--threads", type=int, default=2,
                   help="torch CPU threads (1 on a machine shared with other jobs)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--names", help="series: only these (comma-separated)")
    p.add_argument("--horizons", default="1,default",
                   help="series: 1 and/or default (the frequency's), comma-separated")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    seeds = list(range(args.seeds)) if args.seeds else None
    out = {}
    if args.section in ("ucr", "all"):
        out["ucr"] = run_ucr(args.quick, seeds)
        print("\n## UCR (accuracy on the official test files)\n\n" + out["ucr"]["markdown"])
    if args.section in ("series", "all"):
        out["series"] = run_series(args.quick, seeds,
                                   args.names.split(",") if args.names else None,
                                   tuple(None if h == "default" else int(h)
                                         for h in args.horizons.split(",")))
        print("\n## Series (the last 15 % as test, h-step forecasts from every origin)\n\n"
              + out["series"]["markdown"])
    if args.json:
        Path(args.json).write_text(json.dumps({k: v["rows"] for k, v in out.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
