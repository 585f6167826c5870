"""K-fold cross-validation with every transform refitted inside each fold.

Each fold holds out one K-th of the rows as its test set; the rest is split into training and
validation rows (stratified for classes); the preprocessing (scalers, vocabularies, imputers,
label encoder, image normalisation) is fitted on that fold's training rows only. A time series
gets rolling-origin folds instead: K consecutive test blocks at the end, each trained on all
that comes before it.

Example:
    >>> result = cross_validate(RunConfig(), folds=5)              # doctest: +SKIP
    >>> result["mean"]["accuracy"], result["std"]["accuracy"]      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import RunConfig
from ..i18n import t
from ..io.files import atomic_write_json, atomic_write_text

if TYPE_CHECKING:
    from ..run.folder import Run
    from ..tracking import RunTracking
    from ..training.callbacks import Callback
    from .experiment import Experiment

__all__ = ["cross_validate", "fold_bundles"]


def fold_bundles(cfg: RunConfig, folds: int):
    """(k, DataBundle) per fold: the held-out rows are the test split; the rest is split into
    training and validation rows; every transform is fitted on the fold's training rows."""
    from ..data.datasets import ImageData, image_bundle, load_raw
    from ..data.splits import holdout_indices, kfold_indices
    from ..data.table.prepare import bundle_from_plan, prepare_table

    seed = cfg.train.seed
    if getattr(cfg.data, "id_col", None):
        from ..errors import ConfigError

        raise ConfigError(t("error.data.panel.no_cv"))
    raw, defaults, source = load_raw(cfg.data)
    labels: np.ndarray | None  # class labels to stratify on (None: a regression target)
    if isinstance(raw, ImageData):
        labels = np.asarray(raw.labels)
        n = len(labels)

        def build(ix):
            return image_bundle(raw, cfg.data, seed, indices=ix)
    else:
        if cfg.data.time_col or defaults.get("time_col"):
            # Shuffled folds would leak the future: a series gets rolling-origin folds, each
            # training on everything before its test block (an expanding window).
            from ..data.series.cv import series_fold_bundles

            yield from series_fold_bundles(raw, cfg.data, seed, folds, defaults, source)
            return
        plan = prepare_table(raw, cfg.data, defaults, source)
        labels = plan.labels()
        n = len(plan.df)

        def build(ix):
            return bundle_from_plan(plan, cfg.data, seed, indices=ix)

    for k, (rest, held_out) in enumerate(kfold_indices(n, folds, seed, stratify=labels)):
        strat = labels[rest] if labels is not None else None
        tr, va, _ = holdout_indices(len(rest), cfg.data.val_size, 0, seed + k, stratify=strat)
        yield k, build((rest[tr], rest[va], np.sort(held_out)))


def cross_validate(
    cfg: RunConfig, folds: int = 5, echo=print, callbacks: list | None = None
) -> dict:
    """Train and score one model per fold (an ``Experiment`` each, in one ``Run``), next to
    the classical references fitted on the same fold rows; returns per-fold metrics, mean
    and std."""
    from ..tracking import scalar_metrics
    from .experiment import Experiment

    t0 = time.perf_counter()
    rows, baselines, ref_rows, n_test, run = [], [], [], 0, None
    with contextlib.ExitStack() as stack:
        for k, bundle in fold_bundles(cfg, folds):
            exp = Experiment(cfg, callbacks, bundle=bundle, init_seed=cfg.train.seed + k).setup()
            stack.callback(exp.close)  # the caller's thread count back at the end (LIFO)
            if run is None:  # created only once the first fold's data and model are valid
                run, tracking = _open_cv_run(stack, cfg, exp, folds)
            exp.fit(callbacks=_fold_callbacks(exp.cfg))
            exp.fit_blend()
            scalars, base_scalars, ref_scalars, base_name = _score_fold(exp, cfg.train.seed + k)
            rows.append(scalars)
            baselines.append(base_scalars)
            ref_rows.append(ref_scalars)
            n_test += len(bundle.test)
            tracking.log(scalar_metrics(scalars, "fold"), step=k + 1)
            echo(
                t(
                    "cv.fold_line",
                    k=k + 1,
                    folds=folds,
                    metrics=", ".join(f"{m}={v:.4f}" for m, v in list(scalars.items())[:4]),
                )
            )
        # fold_bundles yields >= 2 bundles (kfold_indices and the series folds raise for fewer
        # folds), so the loop made the run.
        assert run is not None
        result = _summarise(rows, baselines, base_name, run.path)
        result.update(_reference_means(ref_rows, result["mean"], bundle.schema.task, n_test))
        _write_cv_report(run.path, folds, rows, result)
        tracking.finish(
            {
                **scalar_metrics(result["mean"], "cv"),
                **scalar_metrics({f"{m}_std": v for m, v in result["std"].items()}, "cv"),
            }
        )
        run.complete(duration_s=round(time.perf_counter() - t0, 2))
    return result


def _open_cv_run(
    stack: contextlib.ExitStack, cfg: RunConfig, exp: Experiment, folds: int
) -> tuple[Run, RunTracking]:
    """The cross-validation's run folder (named after the model ``auto`` chose) with the
    resolved config and its tracking, both entered on ``stack``; the run marked started."""
    from ..run.folder import Run
    from ..tracking import RunTracking

    name = f"cv{folds}-{exp.cfg.run_name()}"
    run = stack.enter_context(Run(cfg.output.root, name, cfg.output.dir, kind="cv", folds=folds))
    atomic_write_text(run.path / "config.yaml", exp.cfg.to_yaml())  # resolved
    tracking = stack.enter_context(RunTracking(cfg, run.path, "cv"))
    run.started()
    return run, tracking


def _score_fold(exp: Experiment, seed: int) -> tuple[dict, dict, dict, str]:
    """A fitted fold's scalar test metrics, its baseline's, each reference's (fitted on the
    fold's rows with ``seed``), and the baseline's name."""
    metrics, base_name, base = exp.score()
    refs = exp.references(metrics, seed=seed)
    return (
        _scalars(metrics),
        _scalars(base),
        {n: _scalars(r) for n, r in refs["metrics"].items()},
        base_name,
    )


def _scalars(metrics: dict) -> dict:
    """The scalar (float) metrics of ``metrics``: per-class and per-series tables left out."""
    return {m: v for m, v in metrics.items() if isinstance(v, float)}


def _fold_callbacks(cfg: RunConfig) -> list[Callback]:
    from ..training.callbacks import BestWeights, EarlyStopping

    # Each fold is scored with the weights of its best validation epoch, as ``train`` scores
    # its ``best`` checkpoint: the estimate is of what ``train`` would deliver. The trainer
    # adds the progress bar itself (train.progress, train.verbosity).
    cbs: list[Callback] = [BestWeights(cfg.train.monitor)]
    if cfg.train.patience:
        cbs.append(EarlyStopping(cfg.train.monitor, cfg.train.patience))
    return cbs


def _summarise(rows: list[dict], baselines: list[dict], base_name: str, run_dir: Path) -> dict:
    keys = list(rows[0])
    return {
        "folds": rows,
        "baseline_name": base_name,
        "mean": {m: float(np.mean([r[m] for r in rows])) for m in keys},
        "std": {m: float(np.std([r[m] for r in rows], ddof=1)) for m in keys},
        "baseline_mean": {
            m: float(np.mean([b[m] for b in baselines if m in b]))
            for m in keys
            if all(m in b for b in baselines)
        },
        "run_dir": str(run_dir),
    }


def _write_cv_report(run_dir: Path, folds: int, rows: list[dict], result: dict) -> None:
    from ..evaluation.legend import run_legend

    atomic_write_json(run_dir / "cv.json", result)
    base_name, refs = result["baseline_name"], result.get("references_mean", {})
    lines = [
        f"# Cross-validation: {run_dir.name}",
        "",
        f"{folds} folds; preprocessing refitted inside each fold.",
        "",
        "| metric | "
        + " | ".join(f"fold {i + 1}" for i in range(folds))
        + f" | mean ± std | {base_name} (mean) |"
        + "".join(f" {n} (mean ± std) |" for n in refs),
        "|---" * (folds + 3 + len(refs)) + "|",
    ]
    for m in result["mean"]:
        lines.append(
            f"| {m} | "
            + " | ".join(f"{r[m]:.4f}" for r in rows)
            + f" | {result['mean'][m]:.4f} ± {result['std'][m]:.4f} | "
            f"{result['baseline_mean'].get(m, float('nan')):.4f} |"
            + "".join(
                f" {v[m]:.4f} ± {result['references_std'][n][m]:.4f} |" if m in v else " — |"
                for n, v in refs.items()
            )
        )
    legend = run_legend({}, refs)  # what "hgb" and the other columns are
    lines += ["", legend] if legend else []
    if result.get("reference_verdict"):
        lines += [
            "",
            result["reference_verdict"] + " (means over the folds; the noise is that "
            "of all held-out rows together)",
        ]
    atomic_write_text(run_dir / "report.md", "\n".join(lines) + "\n")


def _reference_means(ref_rows: list[dict], net_mean: dict, task: str, n_test: int) -> dict:
    """Issue 13: per-reference mean and std over the folds, and the verdict on the means."""
    from ..evaluation.references import reference_verdict

    if not ref_rows or not ref_rows[0]:
        return {}
    names = [n for n in ref_rows[0] if all(n in r for r in ref_rows)]
    mean = {
        n: {m: float(np.mean([r[n][m] for r in ref_rows])) for m in ref_rows[0][n]} for n in names
    }
    std = {
        n: {m: float(np.std([r[n][m] for r in ref_rows], ddof=1)) for m in ref_rows[0][n]}
        for n in names
    }
    return {
        "references_folds": ref_rows,
        "references_mean": mean,
        "references_std": std,
        "reference_verdict": reference_verdict(net_mean, mean, task, n_test),
    }
