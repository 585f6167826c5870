"""Using a trained run on new data: ``predict`` (no labels needed) and ``evaluate`` (labelled).

New data goes through the run's saved preprocessing — never refitted. Unseen categories map to
the unknown bucket and are counted in a warning; missing required columns are an error that
lists them; extra columns are ignored with a notice.

Example:
    >>> predict_file("runs/<id>", "new.csv", "predictions.csv")      # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .experiment import Experiment
from .fileio import atomic_write_text
from .results import RunResult
from .runs import load_run_config
from .i18n import t

__all__ = ["load_trained", "predict_frame", "predict_file", "evaluate_file", "evaluate_run"]


def load_trained(run: str | Path, checkpoint: str = "best"):
    """(config, schema, preprocessor, model with trained weights) of a run folder."""
    exp = Experiment.from_run(run, checkpoint)
    return exp.cfg, exp.schema_, exp.preprocessor_, exp.model_


def _inputs(pre, df: pd.DataFrame, need_target: bool):
    from .prediction import table_inputs

    return table_inputs(pre, df, need_target)


def predict_frame(run: str | Path, df: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``df``: the class and each class's probability, or the value."""
    from .prediction import predict_table

    _, schema, pre, model = load_trained(run)
    return predict_table(model, schema, pre, df)


def predict_file(run: str | Path, data: str | Path, output: str | Path,
                 keep: list[str] | None = None, excel: bool = False,
                 encoding: str | None = None, sheet: str | None = None) -> Path:
    """Write ``output``: the ``keep`` input columns (identifiers, pass-through), then the
    predictions. It starts with a UTF-8 byte-order mark — what Excel needs to show non-ASCII
    text — when ``excel`` is set or the input had one (or was an Excel workbook)."""
    from .data.reader import read_csv, source_info
    from .image_inference import is_image_run, predict_image_files

    if is_image_run(run):   # a folder, an image, or a CSV of image paths
        if keep:
            raise DataError(t("error.inference.keep_carries_columns"))
        return predict_image_files(run, data, output)

    cfg = load_run_config(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter,
                  encoding=encoding, sheet=sheet)
    kept = _kept_columns(df, keep or [], data)
    result = predict_frame(run, df)
    clash = [c for c in kept.columns if c in result.columns]
    if clash:
        raise DataError(t("error.inference.keep_column_name", names=', '.join(map(repr, clash)),
                          data=data))
    result = pd.concat([kept, result], axis=1)
    source = source_info(df)
    bom = excel or source.get("bom") or source.get("format") == "xlsx"
    out = Path(output)
    atomic_write_text(out, ("\ufeff" if bom else "") + result.to_csv(index=False))
    return out


def _kept_columns(df: pd.DataFrame, keep: list[str], data) -> pd.DataFrame:
    """The ``--keep`` columns of the input, as read (before any preprocessing)."""
    missing = [c for c in keep if c not in df.columns]
    if missing:
        from .errors import closest

        near = closest(missing[0], list(df.columns), n=1)
        hint = t("error.did_you_mean", names=repr(near[0])) if near else ""
        shown = ", ".join(map(str, df.columns[:30])) + (", ..." if df.shape[1] > 30 else "")
        raise DataError(t("error.inference.keep_column_columns",
                          names=', '.join(map(repr, missing)), data=data, hint=hint, shown=shown))
    return df[list(dict.fromkeys(keep))].reset_index(drop=True)


def evaluate_file(run: str | Path, data: str | Path, encoding: str | None = None,
                  sheet: str | None = None) -> RunResult:
    """Metrics (next to the training-set baseline) of a run on a labelled table file."""
    from .data.reader import read_csv
    from .evaluation.scoring import score_outputs
    from .training.predict import predict

    cfg, schema, pre, model = load_trained(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter,
                  encoding=encoding, sheet=sheet)
    if schema.target not in df.columns:
        raise DataError(t("error.inference.target_column_evaluate", data=data,
                          target=schema.target))
    df = df[df[schema.target].notna()]
    inputs, notices = _inputs_noting(pre, df)
    target = pre.inverse_target(pre.transform_target(df).numpy())
    out = pre.inverse_target(predict(model, inputs).numpy())
    if schema.is_classification:  # the baseline trained on the run's own training rows
        train_target = np.repeat(np.arange(len(pre.class_counts_)), pre.class_counts_)
    else:
        train_target = pre.inverse_target(np.zeros((1, 1)))   # the training mean (log: its exp)
    metrics, name, base = score_outputs(schema, out, target, train_target)
    return RunResult(Path(run), metrics, name, base, [], schema, model=model, notices=notices)


def _inputs_noting(pre, df: pd.DataFrame):
    """The inputs, and what the preprocessing had to do to the rows (unseen categories,
    ignored columns): warned as it happens, and kept for the summary."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = _inputs(pre, df, need_target=True)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return inputs, [str(w.message) for w in caught]


def evaluate_run(run: str | Path, checkpoint: str = "best") -> RunResult:
    """Re-score a saved run on its test split (rebuilt from the saved config and seed)."""
    exp = Experiment.from_run(run, checkpoint)
    bundle = exp.load_data()
    metrics, name, base = exp.score()
    return RunResult(Path(run), metrics, name, base, [], bundle.schema, model=exp.model_,
                     bundle=bundle, checkpoint=checkpoint, references=exp.references(metrics))
