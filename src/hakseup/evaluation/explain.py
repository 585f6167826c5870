"""The parts of a run's report that explain it: the plain-words diagnosis (``diagnosis.py``),
the per-class table, and the plots beyond the loss curve (main metric per epoch, ROC and PR
curves for two classes, the normalised confusion matrix).

Example:
    >>> explain_figures(run_dir, result, draw=lambda fn, *a: fn(*a))     # doctest: +SKIP
    >>> explain_run(run_dir, cfg, result)        # doctest: +SKIP
    {'diagnosis': ['Overfitting: ...'], 'per_class': [('0', '0.9800', ...)]}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..i18n import t

__all__ = ["explain_run", "explain_figures"]


def _class_counts(bundle) -> list[int] | None:
    if not bundle.schema.is_classification:
        return None
    counts = getattr(bundle.preprocessor, "class_counts_", None)
    if counts:
        return [int(c) for c in counts]
    from ..data.loader import split_targets

    labels = np.asarray(split_targets(bundle.train)).astype(int).ravel()
    return np.bincount(labels, minlength=bundle.schema.n_outputs).tolist()


def run_diagnosis(cfg, result) -> list:
    """The diagnosis of a finished run (``diagnosis.Finding`` objects)."""
    from .diagnosis import diagnose

    bundle, model = result.bundle, result.model
    n_params = sum(p.numel() for p in model.parameters()) if model is not None else None
    if getattr(model, "regularised_fit", False):
        n_params = None  # a penalised closed-form fit (rocket's ridge) does not memorise
    # The overfitting finding names the lowest-validation-loss epoch as the "best" one; with
    # another monitor (sequences: the training loss) the best checkpoint is named by it.
    checkpoint = (
        result.checkpoint
        if cfg.train.monitor == "val_loss"
        else f"{result.checkpoint} ({cfg.train.monitor})"
    )
    found = diagnose(
        list(result.logs),
        planned_epochs=cfg.train.epochs,
        patience=cfg.train.patience,
        checkpoint=checkpoint,
        lr=cfg.train.lr,
        class_counts=_class_counts(bundle),
        class_names=bundle.schema.class_names,
        balanced_accuracy=result.metrics.get("balanced_accuracy"),
        n_params=n_params,
        n_rows=len(bundle.train),
        model=cfg.model.name,
    )
    # The references' verdict is the summary's last line already (run/report.py): saying it
    # again under "What the run says" printed the same sentence twice.
    return found + _level_findings(cfg.model.name, bundle)


def _level_findings(model: str, bundle) -> list:
    """A series left undifferenced although its training period is not stationary: what
    that means for this model (dlinear and nbeats model each window relative to its last
    value; any other model sees the level)."""
    from .diagnosis import Finding

    mode = (bundle.info.get("series") or {}).get("level_kept")
    if not mode:
        return []
    if model in ("dlinear", "nbeats"):
        return [
            Finding("level", t("notice.data.series.differenced_difference_although", mode=mode))
        ]
    return [Finding("level", t("diagnosis.level_kept", mode=mode, model=model))]


def explain_figures(run_dir: Path, result, draw, best_epoch: int | None = None) -> None:
    """The plots beyond the loss curve, each handed to ``draw(plot_function, *args)``."""
    from .curves import plot_confusion_normalized, plot_metric, plot_roc_pr, test_probabilities

    plots, logs, schema = Path(run_dir) / "plots", list(result.logs), result.schema
    key = next((k for k in ("val_accuracy", "val_mae") if logs and k in logs[0]), None)
    if key is not None:
        draw(plot_metric, logs, key, plots / "metric.png", best_epoch)
    cm = result.metrics.get("confusion_matrix")
    if cm:
        draw(
            plot_confusion_normalized,
            cm,
            schema.class_names,
            plots / "confusion_matrix_normalized.png",
        )
    if schema.task == "binary" and len(result.bundle.test):
        y, proba = test_probabilities(result.model, result.bundle)
        if len(np.unique(y)) == 2:  # a curve needs both classes among the test rows
            draw(plot_roc_pr, y, proba[:, 1], plots / "roc_pr.png", positive=schema.class_names[1])


def explain_run(run_dir: Path, cfg, result) -> dict:
    """{'diagnosis': sentences, 'diagnosis_terminal': those the terminal adds, 'per_class':
    table rows} (the extra plots: ``explain_figures``)."""
    from .curves import per_class_table

    found = run_diagnosis(cfg, result)
    return {
        "diagnosis": [f.text for f in found],
        # the terminal has printed the references' verdict already
        "diagnosis_terminal": [f.text for f in found if f.kind != "references"],
        "per_class": per_class_table(result.metrics, result.schema.class_names),
    }
