"""Using a trained run on new data: ``predict`` (no labels needed) and ``evaluate`` (labelled).

New data goes through the run's saved preprocessing — never refitted. Unseen categories map to
the unknown bucket and are counted in a warning; missing required columns are an error that
lists them; extra columns are ignored with a notice.

Example:
    >>> predict_file("runs/<id>", "new.csv", "predictions.csv")      # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .errors import CheckpointError, DataError
from .fileio import atomic_write_text
from .runs import load_run_config, require_run

__all__ = ["load_trained", "predict_frame", "predict_file", "evaluate_file"]


def load_trained(run: str | Path, checkpoint: str = "best"):
    """(config, schema, preprocessor, model with trained weights) of a run folder."""
    from .data.bundle import Schema
    from .data.preprocessing import load_preprocessor
    from .models.registry import build_model
    from .training.checkpoint import load_weights

    run_dir = require_run(run)
    cfg = load_run_config(run_dir)
    try:
        schema = Schema.from_dict(json.loads((run_dir / "schema.json").read_text()))
        pre = load_preprocessor(json.loads((run_dir / "preprocessing.json").read_text()))
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise CheckpointError(f"Run '{run}' is incomplete or damaged ({e}). Expected "
                              f"schema.json and preprocessing.json from `hakseup train`.") from None
    cfg.model.pretrained, cfg.model.weights = False, None   # the run's own weights follow
    model = build_model(cfg.model, schema)
    folder = run_dir / "checkpoints" / checkpoint
    if not folder.exists() and checkpoint == "best":
        folder = run_dir / "checkpoints" / "last"
    try:
        model.load_state_dict(load_weights(folder))
    except RuntimeError as e:
        raise CheckpointError(f"The weights in '{folder}' do not fit the model in the run's "
                              f"config ({str(e).splitlines()[0]}).") from None
    model.eval()
    return cfg, schema, pre, model


def _inputs(pre, df: pd.DataFrame, need_target: bool):
    if getattr(pre, "kind", None) != "table":
        raise DataError("This run was trained on a built-in image dataset or a time series; "
                        "--data takes a CSV only for runs trained on a CSV table.")
    for notice in pre.check_columns(df, need_target):
        warnings.warn(notice)
    inputs, stats = pre.transform_inputs(df)
    if stats["unknown"]:
        warnings.warn("Categories never seen in training were mapped to 'unknown': "
                      + ", ".join(f"{c}: {n} row(s)" for c, n in stats["unknown"].items()) + ".")
    return inputs


def predict_frame(run: str | Path, df: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``df``: the class and each class's probability, or the value."""
    from .training.trainer import predict

    _, schema, pre, model = load_trained(run)
    out = predict(model, _inputs(pre, df, need_target=False)).numpy()
    if schema.is_classification:
        proba = torch.softmax(torch.as_tensor(out), 1).numpy()
        result = pd.DataFrame({f"prob_{c}": proba[:, i] for i, c in enumerate(schema.class_names)})
        result.insert(0, f"predicted_{schema.target}",
                      np.asarray(schema.class_names, dtype=object)[proba.argmax(1)])
    else:
        result = pd.DataFrame({f"predicted_{schema.target}": pre.inverse_target(out).ravel()})
    return result


def predict_file(run: str | Path, data: str | Path, output: str | Path) -> Path:
    from .data.reader import read_csv
    from .image_inference import is_image_run, predict_image_files

    if is_image_run(run):   # a folder, an image, or a CSV of image paths
        return predict_image_files(run, data, output)

    cfg = load_run_config(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter)
    result = predict_frame(run, df)
    out = Path(output)
    atomic_write_text(out, result.to_csv(index=False))
    return out


def evaluate_file(run: str | Path, data: str | Path):
    """Metrics (next to the training-set baseline) of a run on a labelled CSV."""
    from .data.reader import read_csv
    from .evaluation.baselines import baseline_metrics
    from .evaluation.metrics import compute_metrics
    from .experiment import RunResult
    from .training.trainer import predict

    cfg, schema, pre, model = load_trained(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter)
    if schema.target not in df.columns:
        raise DataError(f"'{data}' has no target column '{schema.target}'; evaluate needs "
                        f"labelled rows (use `hakseup predict` for unlabelled ones).")
    df = df[df[schema.target].notna()]
    inputs = _inputs(pre, df, need_target=True)
    target = pre.inverse_target(pre.transform_target(df).numpy())
    out = pre.inverse_target(predict(model, inputs).numpy())
    metrics = compute_metrics(schema.task, out, target, schema.n_outputs)
    if schema.is_classification:  # the baseline trained on the run's own training rows
        train_labels = np.repeat(np.arange(len(pre.class_counts_)), pre.class_counts_)
    else:
        train_labels = np.full((1, 1), pre.target_mean_)
    name, base = baseline_metrics(schema.task, train_labels, target, schema.n_outputs)
    return RunResult(Path(run), metrics, name, base, [], schema)
