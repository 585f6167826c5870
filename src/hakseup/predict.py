"""Using a trained run on new data: ``predict`` (no labels needed) and ``evaluate`` (labelled).

New data goes through the run's saved preprocessing — never refitted. Unseen categories map to
the unknown bucket and are counted in a warning; missing required columns are an error that
lists them; extra columns are ignored with a notice.

Example:
    >>> predict_file("runs/<id>", "new.csv", "predictions.csv")      # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import torch

from .errors import DataError, HakseupError
from .experiment.experiment import Experiment, load_trained
from .i18n import t
from .io.files import atomic_write_text
from .run.folder import load_run_config
from .run.result import RunResult

__all__ = ["load_trained", "predict_frame", "predict_file", "evaluate_file", "evaluate_run",
           "is_image_run", "image_files_of", "predict_images", "predict_image_files"]


def _inputs(pre, df: pd.DataFrame, need_target: bool):
    from .models.forward import table_inputs

    return table_inputs(pre, df, need_target)


def predict_frame(run: str | Path, df: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``df``: the class and each class's probability, or the value."""
    from .models.forward import predict_table

    _, schema, pre, model = load_trained(run)
    return predict_table(model, schema, pre, df)


def predict_file(run: str | Path, data: str | Path, output: str | Path,
                 keep: list[str] | None = None, excel: bool = False,
                 encoding: str | None = None, sheet: str | None = None,
                 plot: str | Path | None = None) -> Path:
    """Write ``output``: the ``keep`` input columns (identifiers, pass-through), then the
    predictions. It starts with a UTF-8 byte-order mark — what Excel needs to show non-ASCII
    text — when ``excel`` is set or the input had one (or was an Excel workbook). For a
    series run: the steps past the series' end, drawn into ``plot`` when given."""
    from .io.reader import read_csv, source_info
    from .predict import is_image_run, predict_image_files

    if is_image_run(run):   # a folder, an image, or a CSV of image paths
        if keep:
            raise DataError(t("error.predict.keep_carries_columns"))
        return predict_image_files(run, data, output)

    from .experiment.future import forecast_future, is_series_run

    if is_series_run(run):  # a forecast past the series' end (experiment/future.py)
        if keep:
            raise DataError(t("error.predict.series.keep"))
        frame = forecast_future(run, data, encoding=encoding, sheet=sheet)
        atomic_write_text(Path(output), ("\ufeff" if excel else "") + frame.to_csv(index=False))
        if plot:
            from .evaluation.forecast_plot import plot_future

            times, y = frame.attrs["history"]
            plot_future(times, y, frame, frame.attrs["target"], plot)
        return Path(output)
    cfg = load_run_config(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter,
                  encoding=encoding, sheet=sheet)
    kept = _kept_columns(df, keep or [], data)
    result = predict_frame(run, df)
    clash = [c for c in kept.columns if c in result.columns]
    if clash:
        raise DataError(t("error.predict.keep_column_name", names=', '.join(map(repr, clash)),
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
        raise DataError(t("error.predict.keep_column_columns",
                          names=', '.join(map(repr, missing)), data=data, hint=hint, shown=shown))
    return df[list(dict.fromkeys(keep))].reset_index(drop=True)


def evaluate_file(run: str | Path, data: str | Path, encoding: str | None = None,
                  sheet: str | None = None) -> RunResult:
    """Metrics (next to the training-set baseline) of a run on a labelled table file."""
    from .evaluation.scoring import score_outputs
    from .io.reader import read_csv
    from .models.forward import predict

    cfg, schema, pre, model = load_trained(run)
    df = read_csv(data, header=cfg.data.header, delimiter=cfg.data.delimiter,
                  encoding=encoding, sheet=sheet)
    if schema.target not in df.columns:
        raise DataError(t("error.predict.target_column_evaluate", data=data,
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


def is_image_run(run: str | Path) -> bool:
    """Whether ``run`` was trained on images (its saved preprocessing says so)."""
    from .run.folder import require_run

    try:
        pre = json.loads((require_run(run) / "preprocessing.json").read_text())
        return pre.get("kind") == "image"
    except (OSError, ValueError, HakseupError):
        return False


def image_files_of(data: str | Path, image_col: str | None) -> tuple[list[Path], list[str]]:
    """(files, how each is shown in the output) for a folder, an image file or a CSV."""
    from .data.image.decode import is_image_file
    from .data.image.folder import list_images, scan_table

    p = Path(data)
    if p.is_dir():
        files = list_images(p)
        return files, [f.relative_to(p).as_posix() for f in files]
    if not p.exists():
        raise DataError(t("error.predict.images.found_folder_images", data=data))
    if is_image_file(p):
        return [p], [p.name]
    files, _, table = scan_table(p, image_col or "path", None, need_target=False)
    df = cast(pd.DataFrame, table)  # scan_table's table is a DataFrame (annotated ``object``)
    return files, [str(v) for v in df[image_col or "path"]]


def _decode_settings(pre, schema) -> tuple[tuple[int, int], int, str]:
    d = pre.decode or {}
    size = tuple(d.get("size") or schema.input_shape[1:3])
    return (int(size[0]), int(size[1])), int(d.get("channels") or schema.input_shape[0]), \
        d.get("fit", "crop")


def predict_images(run: str | Path, data: str | Path) -> pd.DataFrame:
    """path, predicted class, and each class's probability, for every readable image."""
    from .data.image.decode import decode_all, warn_unreadable

    exp = Experiment.from_run(run)
    cfg, schema, pre, model = exp.cfg, exp.schema_, exp.preprocessor_, exp.model_
    files, shown = image_files_of(data, cfg.data.image_col)
    if not files:
        raise DataError(t("error.predict.images.image_files_looked", data=data))
    size, channels, fit = _decode_settings(pre, schema)
    names = [str(f) for f in files]
    images, ok = decode_all(names, size, channels, fit, cache="auto",
                            cache_root=Path(cfg.data.cache_dir) if cfg.data.cache_dir else None)
    warn_unreadable(names, ok)
    keep = np.flatnonzero(ok)
    device = next(model.parameters()).device
    probs = []
    with torch.no_grad():
        for i in range(0, len(keep), 256):
            x = torch.from_numpy(np.asarray(images[keep[i:i + 256]]))
            # A run trained on other pixel ranges (the 0..16 digits) sees them the same way.
            x = x.float() * (pre.max_value / 255.0) if pre.max_value != 255.0 else x
            probs.append(torch.softmax(model(pre.normalise(x).to(device)).float(), 1).cpu())
    proba = torch.cat(probs).numpy() if probs else np.zeros((0, schema.n_outputs))
    out = pd.DataFrame({f"prob_{c}": proba[:, j] for j, c in enumerate(schema.class_names)})
    out.insert(0, f"predicted_{schema.target}",
               np.asarray(schema.class_names, dtype=object)[proba.argmax(1)] if len(proba)
               else [])
    out.insert(0, "path", [shown[i] for i in keep])
    return out


def predict_image_files(run: str | Path, data: str | Path, output: str | Path) -> Path:
    """Write ``predict_images`` as a UTF-8 CSV (class names in any language)."""
    out = Path(output)
    atomic_write_text(out, predict_images(run, data).to_csv(index=False))
    return out
