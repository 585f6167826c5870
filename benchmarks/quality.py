"""hakseup's quality suite: how good the *default* models are on real data no one here wrote.

Each table of ``../shared/data/quality`` (plus car-evaluation and digits) is cross-validated with
the default ``hakseup cv --folds 5`` (no tuning flags), and the classical references are fitted
with scikit-learn on exactly the same fold's training rows and scored on the same held-out rows:

    classification: majority class, LogisticRegression, HistGradientBoostingClassifier
    regression:     training mean,  Ridge,              HistGradientBoostingRegressor
    and, where installed (``pip install 'hakseup[peers]'``), LightGBM and CatBoost (their
    defaults, one thread, native categories), with the CPU seconds of every reference.

The references use their own standard scikit-learn preprocessing of the raw columns (median
imputation, standardisation, one-hot; ordinal codes for the trees), so they stay the same
measuring stick while hakseup's own preprocessing changes. Accuracy (R² for regression) and
balanced accuracy are reported as mean ± std over the folds, with seconds per run.

    python benchmarks/quality.py                       # the tables section (several minutes)
    python benchmarks/quality.py --only penguins,oj    # some tables
    python benchmarks/quality.py --section all         # tables + UCR + series (quality_series.py)
    python benchmarks/quality.py --out benchmarks/quality_before.json

Writes ``benchmarks/quality.json`` (merged with earlier results for the tables not re-run) and
prints a Markdown table. Without ``../shared/data`` it prints a notice and exits 0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# QUALITY_SRC measures another checkout's code (e.g. an older commit's src/, for "before").
sys.path.insert(0, os.environ.get("QUALITY_SRC") or str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402

SHARED = Path(os.environ.get("HAKSEUP_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
FOLDS = 5
SEED = 0


@dataclass(frozen=True)
class Table:
    """One problem of the suite: a CSV (relative to ../shared/data) and its target, or a
    built-in dataset."""

    name: str
    path: str | None
    target: str | None
    dataset: str | None = None


TABLES = [
    Table("penguins", "quality/penguins.csv", "species"),
    Table("default", "quality/default.csv", "default"),
    Table("oj", "quality/oj.csv", "Purchase"),
    Table("creditcard", "quality/creditcard.csv", "card"),
    Table("wage", "quality/wage.csv", "wage"),
    Table("carseats", "quality/carseats.csv", "Sales"),
    Table("hitters", "quality/hitters.csv", "Salary"),
    Table("seattle_weather", "quality/seattle_weather.csv", "weather"),
    # The built-in dataset's file, read as a user's CSV: the generic table defaults, no recipe.
    Table("car-evaluation", "car_evaluation.csv", "output"),
    Table("digits", None, None, dataset="digits"),
]


# --------------------------------------------------------------------------- hakseup's default


def fit_clock():
    """A training callback that adds up the CPU seconds of this process between each fit's
    start and end (``.cpu_seconds``): the network's training alone, without reading the
    data, preprocessing, scoring, the references or the reports."""
    from hakseup.training.callbacks import Callback

    class FitClock(Callback):
        def __init__(self):
            self.cpu_seconds, self._c0 = 0.0, 0.0

        def on_fit_begin(self, trainer) -> None:
            self._c0 = time.process_time()

        def on_fit_end(self, trainer) -> None:
            self.cpu_seconds += time.process_time() - self._c0

    return FitClock()


def default_cv(table: Table, folds: int, root: str, overrides: list[str] | None = None
               ) -> tuple[list[dict], float, float, float]:
    """The default ``hakseup cv --folds K`` on ``table``, in process: (per-fold metrics, wall
    seconds, CPU seconds of this process for the whole cv, CPU seconds of the training fits
    alone). ``overrides`` (``--set`` strings) are for experiments only; the suite's figures
    use none.

    The only call into hakseup's orchestration layer; kept here, small, so that a change of
    ``cross_validate``'s signature is fixed in one place."""
    from hakseup.config.load import load_config
    from hakseup.experiment.crossval import cross_validate

    flags = {"train.progress": False, "train.tensorboard": False, "output.root": root}
    if table.dataset:
        flags["data.dataset"] = table.dataset
    else:
        flags.update({"data.path": str(SHARED / table.path), "data.target": table.target})
    cfg = load_config(flags=flags, overrides=list(overrides or []))
    clock = fit_clock()
    t0, c0 = time.perf_counter(), time.process_time()
    result = cross_validate(cfg, folds, echo=lambda *a, **k: None, callbacks=[clock])
    return (result["folds"], time.perf_counter() - t0, time.process_time() - c0,
            clock.cpu_seconds)


# --------------------------------------------------------------------------- the same folds


def fold_rows(n: int, labels: np.ndarray | None, folds: int, seed: int, val_size: float):
    """(train rows, held-out rows) per fold, drawn exactly as ``hakseup cv`` draws them: a
    (stratified) K-fold, then the fold's validation rows cut from the rest. The references
    are fitted on the same training rows the network is fitted on."""
    from hakseup.data.splits import holdout_indices, kfold_indices

    out = []
    for k, (rest, held_out) in enumerate(kfold_indices(n, folds, seed, stratify=labels)):
        strat = labels[rest] if labels is not None else None
        tr, _, _ = holdout_indices(len(rest), val_size, 0, seed + k, stratify=strat)
        out.append((rest[tr], np.sort(held_out)))
    return out


def load_problem(table: Table):
    """(feature frame or array, y, task, {column: kind}) as hakseup reads the data."""
    import pandas as pd

    from hakseup.config import DataConfig
    from hakseup.data.datasets import ImageData, load_raw
    from hakseup.data.table.prepare import prepare_table

    cfg = DataConfig(dataset=table.dataset, path=str(SHARED / table.path) if table.path else None,
                     target=table.target)
    raw, defaults, source = load_raw(cfg)
    if isinstance(raw, ImageData):
        x = raw.images.reshape(len(raw.images), -1) / raw.max_value
        task = "binary" if len(raw.class_names) == 2 else "multiclass"
        return pd.DataFrame(x).add_prefix("px"), np.asarray(raw.labels), task, None
    plan = prepare_table(raw, cfg, defaults, source)
    return plan.df, plan.df[plan.target].to_numpy(), plan.task, plan.kinds


# --------------------------------------------------------------------------- references


def _features(df, kinds: dict[str, str] | None):
    """Numeric block (datetimes as year/month/day/weekday) and categorical block, as text."""
    import pandas as pd

    if kinds is None:
        return df.astype("float64"), pd.DataFrame(index=df.index)
    num, cat = {}, {}
    for col, kind in kinds.items():
        if kind == "numeric":
            num[col] = pd.to_numeric(df[col], errors="coerce")
        elif kind == "datetime":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                d = pd.to_datetime(df[col], errors="coerce", format="mixed")
            for part in ("year", "month", "day", "dayofweek"):
                num[f"{col}.{part}"] = getattr(d.dt, part).astype("float64")
        else:
            cat[col] = df[col].astype("string").fillna("(missing)").astype(str)
    return pd.DataFrame(num, index=df.index), pd.DataFrame(cat, index=df.index)


def reference_models(task: str, n_num: int, n_cat: int) -> dict:
    """The three classical references, each a scikit-learn pipeline on [numeric | text]."""
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    num, cat = list(range(n_num)), list(range(n_num, n_num + n_cat))
    linear_pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
    tree_pre = ColumnTransformer([
        ("num", "passthrough", num),
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                               encoded_missing_value=-1), cat)])
    is_cat = [False] * n_num + [True] * n_cat
    if task == "regression":
        return {"mean": DummyRegressor(),
                "ridge": make_pipeline(linear_pre, Ridge()),
                "hgb": make_pipeline(tree_pre, HistGradientBoostingRegressor(
                    categorical_features=is_cat, random_state=SEED)),
                **peer_models(True, n_num, n_cat)}
    return {"majority": DummyClassifier(strategy="most_frequent"),
            "logistic": make_pipeline(linear_pre, LogisticRegression(max_iter=2000)),
            "hgb": make_pipeline(tree_pre, HistGradientBoostingClassifier(
                categorical_features=is_cat, random_state=SEED)),
            **peer_models(False, n_num, n_cat)}


class CategoriesStep(TransformerMixin, BaseEstimator):
    """The text columns (after the first ``n_num``) as pandas categories with the training
    rows' levels, what LightGBM reads as categorical; the numbers as they are."""

    def __init__(self, n_num: int = 0):
        self.n_num = n_num

    def fit(self, x, y=None):
        self.levels_ = {c: sorted(x[c].unique()) for c in x.columns[self.n_num:]}
        return self

    def transform(self, x):
        import pandas as pd

        x = x.copy()
        for c, levels in self.levels_.items():
            x[c] = pd.Categorical(x[c], categories=levels)
        return x


def peer_models(regression: bool, n_num: int, n_cat: int) -> dict:
    """LightGBM and CatBoost, where installed (``pip install 'hakseup[peers]'``): their
    defaults, one thread, native categories (CatBoost: the text columns; LightGBM: pandas
    categories)."""
    from sklearn.pipeline import make_pipeline

    out = {}
    try:
        import lightgbm

        cls = lightgbm.LGBMRegressor if regression else lightgbm.LGBMClassifier
        out["lightgbm"] = make_pipeline(CategoriesStep(n_num),
                                        cls(num_threads=1, random_state=SEED, verbose=-1))
    except ImportError:
        pass
    try:
        import catboost

        cls = catboost.CatBoostRegressor if regression else catboost.CatBoostClassifier
        out["catboost"] = cls(thread_count=1, random_seed=SEED, verbose=0,
                              cat_features=list(range(n_num, n_num + n_cat)),
                              allow_writing_files=False)
    except ImportError:
        pass
    return out


def reference_scores(x, y: np.ndarray, task: str, kinds, folds) -> dict[str, list[dict]]:
    """{reference: per-fold metrics} on the given (train, held-out) rows. One thread: on a
    shared 2-core machine OpenMP's spinning threads made HistGradientBoosting 50× slower."""
    import pandas as pd
    from threadpoolctl import threadpool_limits

    num, cat = _features(x, kinds)
    frame = pd.concat([num, cat], axis=1)
    frame.columns = [str(c) for c in frame.columns]
    y = y.astype(str) if task != "regression" else pd.to_numeric(pd.Series(y)).to_numpy()
    out: dict[str, list[dict]] = {}
    for tr, te in folds:
        for name, model in reference_models(task, num.shape[1], cat.shape[1]).items():
            t0, c0 = time.perf_counter(), time.process_time()
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")
                model.fit(frame.iloc[tr], y[tr])
                pred = np.asarray(model.predict(frame.iloc[te])).reshape(len(te))
            m = score(task, y[te], pred)
            m["seconds"] = time.perf_counter() - t0
            m["cpu_seconds"] = time.process_time() - c0
            out.setdefault(name, []).append(m)
    return out


def score(task: str, truth: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn import metrics as skm

    if task == "regression":
        return {"r2": float(skm.r2_score(truth, pred))}
    return {"accuracy": float(skm.accuracy_score(truth, pred)),
            "balanced_accuracy": float(skm.balanced_accuracy_score(truth, pred))}


# --------------------------------------------------------------------------- one table


def _mean_std(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "folds": [float(a) for a in v]}


def paired_difference(ours: list[float], theirs: list[float]) -> dict:
    """Mean ± std (and the per-fold values) of ``ours − theirs``, fold by fold.

    >>> d = paired_difference([0.8, 0.9, 0.7], [0.7, 0.8, 0.7])
    >>> round(d["mean"], 3), round(d["std"], 3)
    (0.067, 0.058)
    """
    return _mean_std([a - b for a, b in zip(ours, theirs, strict=True)])


def run_table(table: Table, folds: int = FOLDS, overrides: list[str] | None = None) -> dict:
    """hakseup's default next to the references on one table."""
    from hakseup.config import DataConfig

    x, y, task, kinds = load_problem(table)
    labels = y.astype(str) if task != "regression" else None
    rows = fold_rows(len(y), labels, folds, SEED, DataConfig().val_size)
    refs = reference_scores(x, y, task, kinds, rows)
    with tempfile.TemporaryDirectory() as root:
        net_folds, seconds, cpu, fit_cpu = default_cv(table, folds, root, overrides)
    main = "r2" if task == "regression" else "accuracy"
    row = {"name": table.name, "task": task, "rows": int(len(y)), "main": main,
           "seconds_cv": seconds, "seconds_per_run": seconds / folds,
           "cpu_seconds_per_run": cpu / folds, "fit_cpu_seconds_per_run": fit_cpu / folds,
           "overrides": list(overrides or []),
           "hakseup": {main: _mean_std([f[main] for f in net_folds])},
           "references": {}}
    if task != "regression":  # balanced accuracy is macro recall (older runs lack the key)
        row["hakseup"]["balanced_accuracy"] = _mean_std(
            [f.get("balanced_accuracy", f.get("recall_macro", float("nan"))) for f in net_folds])
    for name, per_fold in refs.items():
        row["references"][name] = {k: _mean_std([f[k] for f in per_fold]) for k in per_fold[0]}
    trivial = "mean" if task == "regression" else "majority"
    best = max((n for n in refs if n != trivial),
               key=lambda n: row["references"][n][main]["mean"])
    row["best_reference"] = best
    row["gap_to_best"] = row["hakseup"][main]["mean"] - row["references"][best][main]["mean"]
    # Paired per fold (the same held-out rows): the difference's spread is the noise that
    # matters, far smaller than either side's spread over the folds.
    row["paired"] = {name: paired_difference(row["hakseup"][main]["folds"],
                                             row["references"][name][main]["folds"])
                     for name in refs if name != trivial}
    row["above_trivial"] = bool(row["hakseup"][main]["mean"]
                                > row["references"][trivial][main]["mean"])
    tolerance = 0.01      # issue 27: no table more than 1 point (0.01 R²) below the best peer
    row["target_met"] = bool(row["gap_to_best"] >= -tolerance and row["above_trivial"])
    return row


# --------------------------------------------------------------------------- the tables section


def _fmt(d: dict | None) -> str:
    return "—" if not d else f"{d['mean']:.3f} ± {d['std']:.3f}"


def tables_markdown(rows: list[dict]) -> str:
    head = ("| table | task | rows | metric | hakseup (default) | majority / mean | logistic / "
            "ridge | HGB | LightGBM | CatBoost | hakseup − best, paired | balanced acc. hakseup "
            "/ best ref. | s per run (CPU s) | target met |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['name']} | the default run FAILED: {r['failed'][:120]} |"
                         + " |" * 12)
            continue
        refs, main = r["references"], r["main"]
        trivial, linear = (("mean", "ridge") if r["task"] == "regression"
                           else ("majority", "logistic"))
        bal, best = "—", r["best_reference"]
        paired = r.get("paired", {}).get(best) or paired_difference(
            r["hakseup"][main]["folds"], refs[best][main]["folds"])
        if "balanced_accuracy" in r["hakseup"]:
            bal = (f"{r['hakseup']['balanced_accuracy']['mean']:.3f} / "
                   f"{refs[r['best_reference']]['balanced_accuracy']['mean']:.3f}")
        lines.append(
            f"| {r['name']} | {r['task']} | {r['rows']} | {main} | {_fmt(r['hakseup'][main])} | "
            f"{_fmt(refs[trivial][main])} | {_fmt(refs[linear][main])} | "
            f"{_fmt(refs['hgb'][main])} | {_fmt(refs.get('lightgbm', {}).get(main))} | "
            f"{_fmt(refs.get('catboost', {}).get(main))} | "
            f"{paired['mean']:+.3f} ± {paired['std']:.3f} ({best}) | "
            f"{bal} | {r['seconds_per_run']:.1f} ({r.get('cpu_seconds_per_run', float('nan')):.1f})"
            f" | {'yes' if r['target_met'] else 'NO'} |")
    return "\n".join(lines + ["", suite_summary(rows), "", cpu_markdown(rows)])


def _ref_cpu(row: dict, name: str) -> str:
    d = row["references"].get(name, {}).get("cpu_seconds")
    return "—" if not d else f"{d['mean']:.2f}"


def suite_summary(rows: list[dict]) -> str:
    """Issue 27's suite target, per task kind: the default's mean over the tables against each
    reference's mean over the same tables (the best single peer is the highest of them)."""
    out = []
    for kind, tasks in (("classification (accuracy)", ("binary", "multiclass")),
                        ("regression (R²)", ("regression",))):
        mine = [r for r in rows if "failed" not in r and r["task"] in tasks]
        if not mine:
            continue
        names = [n for n in mine[0]["references"] if n not in ("mean", "majority")
                 and all(n in r["references"] for r in mine)]
        means = {n: float(np.mean([r["references"][n][r["main"]]["mean"] for r in mine]))
                 for n in names}
        ours = float(np.mean([r["hakseup"][r["main"]]["mean"] for r in mine]))
        best = max(means, key=means.get) if means else None
        within = sum(r["target_met"] for r in mine)
        out.append(f"{kind}, {len(mine)} tables: hakseup {ours:.3f}; " + ", ".join(
            f"{n} {v:.3f}" for n, v in means.items()) +
            (f" (best single peer: {best}, hakseup {ours - means[best]:+.3f})" if best else "") +
            f"; within 0.01 of the best reference on {within} of {len(mine)}.")
    return "\n".join(out)


def cpu_markdown(rows: list[dict]) -> str:
    """Time to a good model (issue 25): CPU seconds per run (one fold) of the default — its
    training fits alone and the whole cv run (data, preprocessing, fits, scoring, the
    references the run fits itself, reports) — and of each reference's fit + predict."""
    lines = ["| table | hakseup fit (CPU s) | hakseup whole run (CPU s) | logistic / ridge | "
             "HGB | LightGBM | CatBoost |", "|" + "---|" * 7]
    for r in rows:
        if "failed" in r:
            continue
        linear = "ridge" if r["task"] == "regression" else "logistic"
        cpu = [_ref_cpu(r, name) for name in (linear, "hgb", "lightgbm", "catboost")]
        fit = r.get("fit_cpu_seconds_per_run")
        lines.append(f"| {r['name']} | {'—' if fit is None else f'{fit:.1f}'} | "
                     f"{r.get('cpu_seconds_per_run', float('nan')):.1f} | " + " | ".join(cpu)
                     + " |")
    return "\n".join(lines)


def compare_markdown(before: list[dict], after: list[dict]) -> str:
    """Before/after of hakseup's default, paired fold by fold (the same folds in both files),
    beside the best reference of the "after" run, with its CPU seconds per run."""
    old = {r["name"]: r for r in before}
    lines = ["| table | metric | before | after | after − before, paired | best reference | "
             "after − best, paired | CPU s per run after: fit / whole run |", "|" + "---|" * 8]
    for r in after:
        if "failed" in r:
            lines.append(f"| {r['name']} | | | FAILED | | | | |")
            continue
        main, b = r["main"], old.get(r["name"], {})
        was = "FAILED (crash)" if "failed" in b else _fmt(b.get("hakseup", {}).get(main))
        ours = r["hakseup"][main]["folds"]
        change = "—"
        if "hakseup" in b and len(b["hakseup"][main]["folds"]) == len(ours):
            d = paired_difference(ours, b["hakseup"][main]["folds"])
            change = f"{d['mean']:+.4f} ± {d['std']:.4f}"
        best = r["references"][r["best_reference"]][main]
        gap = paired_difference(ours, best["folds"])
        fit = r.get("fit_cpu_seconds_per_run")
        lines.append(f"| {r['name']} | {main} | {was} | {_fmt(r['hakseup'][main])} | {change} | "
                     f"{r['best_reference']} {_fmt(best)} | {gap['mean']:+.3f} ± "
                     f"{gap['std']:.3f} | {'—' if fit is None else f'{fit:.1f}'} / "
                     f"{r.get('cpu_seconds_per_run', float('nan')):.1f} |")
    return "\n".join(lines)


def run_tables(only: set[str] | None, overrides: list[str] | None = None,
               out: Path | None = None) -> dict:
    """Every table (or ``only`` those); a table whose default run fails is recorded as such.
    With ``out``, the results so far are merged into it after each table."""
    rows = []
    for table in TABLES:
        if only and table.name not in only:
            continue
        print(f"[tables] {table.name} ...", file=sys.stderr, flush=True)
        try:
            row = run_table(table, overrides=overrides)
        except Exception as e:   # a crash of the default run is a result, not the end
            print(f"[tables] {table.name}: FAILED {type(e).__name__}: {e}", file=sys.stderr)
            rows.append({"name": table.name, "failed": f"{type(e).__name__}: {e}"})
            continue
        print(f"[tables] {table.name}: hakseup {_fmt(row['hakseup'][row['main']])}, gap to "
              f"{row['best_reference']} {row['gap_to_best']:+.3f}, "
              f"{row['seconds_per_run']:.1f} s/run ({row['cpu_seconds_per_run']:.1f} CPU s)",
              file=sys.stderr, flush=True)
        rows.append(row)
        if out is not None:
            out.write_text(json.dumps(_merge(out, {"tables": {
                "rows": rows, "markdown": tables_markdown(rows)}}), indent=1))
    return {"rows": rows, "markdown": tables_markdown(rows)}


def run_other(section: str, quick: bool) -> dict | None:
    """A section another module provides (``quality_series.run_ucr`` / ``run_series``)."""
    try:
        mod = importlib.import_module("quality_series")
    except ImportError:
        print(f"[{section}] benchmarks/quality_series.py is not present; section skipped.",
              file=sys.stderr)
        return None
    return getattr(mod, f"run_{section}")(quick)


def _merge(out: Path, sections: dict) -> dict:
    """Earlier results are kept for sections and tables that were not re-run."""
    old = json.loads(out.read_text()) if out.exists() else {}
    merged = dict(old.get("sections", {}))
    for name, sec in sections.items():
        if name == "tables" and "tables" in merged:
            fresh = {r["name"] for r in sec["rows"]}
            keep = [r for r in merged["tables"]["rows"] if r["name"] not in fresh]
            order = [t.name for t in TABLES]
            rows = sorted(keep + sec["rows"], key=lambda r: order.index(r["name"])
                          if r["name"] in order else len(order))
            sec = {"rows": rows, "markdown": tables_markdown(rows)}
        merged[name] = sec
    import hakseup

    return {"measured": str(Path(hakseup.__file__).parent),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform(), "date": time.strftime("%Y-%m-%d %H:%M")},
            "folds": FOLDS, "seed": SEED, "sections": merged}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--section", choices=["tables", "ucr", "series", "all"], default="tables")
    ap.add_argument("--only", default="", help="comma-separated table names, e.g. penguins,oj")
    ap.add_argument("--quick", action="store_true", help="smaller settings (ucr/series sections)")
    ap.add_argument("--out", default=str(HERE / "quality.json"), help="the JSON file written")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"),
                    help="print the before/after table of two results files, then exit")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="experiments only: a config override for every table's cv (the "
                         "suite's figures use none)")
    args = ap.parse_args(argv)
    if args.compare:
        before, after = (json.loads(Path(p).read_text())["sections"]["tables"]["rows"]
                         for p in args.compare)
        print(compare_markdown(before, after))
        return 0
    if not SHARED.is_dir():
        print(f"notice: {SHARED} is not present; the quality suite needs the shared public data. "
              f"Nothing measured.")
        return 0
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    known = {t.name for t in TABLES}
    if only and args.section in ("tables", "all") and not only <= known:
        ap.error(f"unknown table(s) {', '.join(sorted(only - known))}; "
                 f"choose from {', '.join(t.name for t in TABLES)}")
    sections = {}
    if args.section in ("tables", "all"):
        sections["tables"] = run_tables(only, args.overrides, Path(args.out))
    for name in ("ucr", "series"):
        if args.section in (name, "all"):
            result = run_other(name, args.quick)
            if result is not None:
                sections[name] = result
    out = Path(args.out)
    merged = _merge(out, sections)
    out.write_text(json.dumps(merged, indent=1))
    for name, sec in merged["sections"].items():
        print(f"\n## {name}\n\n{sec['markdown']}")
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
