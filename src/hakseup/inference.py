"""Using a trained run on new data: ``predict`` (no labels needed) and ``evaluate`` (labelled).

New data goes through the run's saved preprocessing — never refitted. Unseen categories map to
the unknown bucket and are counted in a warning; missing required columns are an error that
lists them; extra columns are ignored with a notice.

Example:
    >>> predict_file("runs/<id>", "new.csv", "predictions.csv")      # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .errors import DataError
from .experiment import Experiment
from .fileio import atomic_write_text
from .results import RunResult
from .runs import load_run_config

__all__ = ["load_trained", "predict_frame", "predict_file", "evaluate_file", "evaluate_run"]


def load_trained(run: str | Path, checkpoint: str = "best"):
    """(config, schema, preprocessor, model with trained weights) of a run folder."""
    exp = Experiment.from_run(run, checkpoint)
    return exp.cfg, exp.schema_, exp.preprocessor_, exp.model_


def _inputs(pre, df: pd.DataFrame, need_target: bool):
    if getattr(pre, "kind", None) != "table":
        raise DataError("This run was trained on a built-in image dataset or a time series; "
                        "--data takes a CSV only for runs trained on a CSV table.")
    for notice in pre.check_columns(df, need_target):
        warnings.warn(notice)
    from .run_check import warn_unusable_numbers  # hook (failures branch): count text/inf

    warn_unusable_numbers(df, pre)
    inputs, stats = pre.transform_inputs(df)
    if stats["unknown"]:
        warnings.warn("Categories never seen in training were mapped to 'unknown': "
                      + ", ".join(f"{c}: {n} row(s)" for c, n in stats["unknown"].items()) + ".")
    return inputs


def predict_frame(run: str | Path, df: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``df``: the class and each class's probability, or the value."""
    from .training.predict import predict

    _, schema, pre, model = load_trained(run)
    out = predict(model, _inputs(pre, df, need_target=False)).numpy()
    if schema.is_classification:
        proba = torch.softmax(torch.as_tensor(out), 1).numpy()
        result = pd.DataFrame({f"prob_{c}": proba[:, i] for i, c in enumerate(schema.class_names)})
        label = proba.argmax(1)
        if schema.threshold is not None and proba.shape[1] == 2:   # chosen for --metric
            label = (proba[:, 1] >= schema.threshold).astype(int)
        result.insert(0, f"predicted_{schema.target}",
                      np.asarray(schema.class_names, dtype=object)[label])
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


def evaluate_file(run: str | Path, data: str | Path) -> RunResult:
    """Metrics (next to the training-set baseline) of a run on a labelled CSV."""
    from .data.reader import read_csv
    from .evaluation.scoring import score_outputs
    from .training.predict import predict

    cfg, schema, pre, model = load_trained(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter)
    if schema.target not in df.columns:
        raise DataError(f"'{data}' has no target column '{schema.target}'; evaluate needs "
                        f"labelled rows (use `hakseup predict` for unlabelled ones).")
    df = df[df[schema.target].notna()]
    inputs = _inputs(pre, df, need_target=True)
    target = pre.inverse_target(pre.transform_target(df).numpy())
    out = pre.inverse_target(predict(model, inputs).numpy())
    if schema.is_classification:  # the baseline trained on the run's own training rows
        train_target = np.repeat(np.arange(len(pre.class_counts_)), pre.class_counts_)
    else:
        train_target = np.full((1, 1), pre.target_mean_)
    metrics, name, base = score_outputs(schema, out, target, train_target)
    return RunResult(Path(run), metrics, name, base, [], schema, model=model)


def evaluate_run(run: str | Path, checkpoint: str = "best") -> RunResult:
    """Re-score a saved run on its test split (rebuilt from the saved config and seed)."""
    exp = Experiment.from_run(run, checkpoint)
    bundle = exp.load_data()
    metrics, name, base = exp.score()
    return RunResult(Path(run), metrics, name, base, [], bundle.schema, model=exp.model_,
                     bundle=bundle, checkpoint=checkpoint, references=exp.references(metrics))
