"""Using a trained run on new data: ``predict`` (no labels needed) and ``evaluate`` (labelled).

New data goes through the run's saved preprocessing — never refitted. Unseen categories map to
the unknown bucket and are counted in a warning; missing required columns are an error that
lists them; extra columns are ignored with a notice.

Example:
    >>> predict_file("runs/<id>", "new.csv", "predictions.csv")      # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .data.image.infer import image_files_of
from .errors import DataError, HakseupError
from .experiment.experiment import Experiment, load_trained
from .i18n import t
from .io.output import write_table
from .run.folder import load_run_config
from .run.result import RunResult

__all__ = [
    "load_trained",
    "predict_frame",
    "predict_file",
    "evaluate_file",
    "evaluate_run",
    "is_image_run",
    "image_files_of",
    "predict_images",
    "predict_image_files",
    "evaluate_images",
    "is_panel_run",
    "predict_panel",
    "predict_panel_file",
]


def _inputs(pre, df: pd.DataFrame, need_target: bool):
    from .models.forward import table_inputs

    return table_inputs(pre, df, need_target)


def predict_frame(run: str | Path, df: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``df``: the class and each class's probability, or the value."""
    from .errors import check_type
    from .models.forward import predict_table

    check_type(run, (str, os.PathLike), "hakseup.predict_frame", "run", "a run folder's path")
    check_type(df, pd.DataFrame, "hakseup.predict_frame", "df", "a pandas DataFrame")
    _, schema, pre, model = load_trained(run)
    return predict_table(model, schema, pre, df)


def predict_file(
    run: str | Path,
    data: str | Path,
    output: str | Path,
    keep: list[str] | None = None,
    excel: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
    plot: str | Path | None = None,
) -> Path:
    """Write ``output``: the ``keep`` input columns (identifiers, pass-through), then the
    predictions. It starts with a UTF-8 byte-order mark — what Excel needs to show non-ASCII
    text — when ``excel`` is set or the input had one (or was an Excel workbook). For a
    series run: the steps past the series' end, drawn into ``plot`` when given."""
    from .experiment.future import forecast_future, is_series_run
    from .io.reader import read_csv, source_info
    from .predict import is_image_run, predict_image_files

    if plot is not None and not is_series_run(run):
        raise DataError(t("error.predict.plot_series_only"))
    if is_image_run(run):  # a folder, an image, or a CSV of image paths
        if keep:
            raise DataError(t("error.predict.keep_carries_columns"))
        return predict_image_files(run, data, output)

    if is_series_run(run):  # a forecast past the series' end (experiment/future.py)
        if keep:
            raise DataError(t("error.predict.series.keep"))
        frame = forecast_future(run, data, encoding=encoding, sheet=sheet)
        out = write_table(frame, output, "--output", HakseupError, bom=excel, inputs=[data])
        if plot:
            from .evaluation.forecast_plot import plot_future

            times, y = frame.attrs["history"]
            plot_future(times, y, frame, frame.attrs["target"], plot)
        return out
    cfg = load_run_config(run)
    df = read_csv(
        data,
        header=cfg.data.header,
        delimiter=cfg.data.delimiter,
        encoding=encoding,
        sheet=sheet,
        min_columns=1,
    )  # a lone feature predicts
    kept = _kept_columns(df, keep or [], data)
    result = predict_frame(run, df)
    clash = [c for c in kept.columns if c in result.columns]
    if clash:
        raise DataError(
            t("error.predict.keep_column_name", names=", ".join(map(repr, clash)), data=data)
        )
    result = pd.concat([kept, result], axis=1)
    source = source_info(df)
    bom = excel or source.get("bom") or source.get("format") == "xlsx"
    return write_table(result, output, "--output", HakseupError, bom=bool(bom), inputs=[data])


def _kept_columns(df: pd.DataFrame, keep: list[str], data) -> pd.DataFrame:
    """The ``--keep`` columns of the input, as read (before any preprocessing)."""
    missing = [c for c in keep if c not in df.columns]
    if missing:
        from .errors import closest

        near = closest(missing[0], list(df.columns), n=1)
        hint = t("error.did_you_mean", names=repr(near[0])) if near else ""
        shown = ", ".join(map(str, df.columns[:30])) + (", ..." if df.shape[1] > 30 else "")
        raise DataError(
            t(
                "error.predict.keep_column_columns",
                names=", ".join(map(repr, missing)),
                data=data,
                hint=hint,
                shown=shown,
            )
        )
    return df[list(dict.fromkeys(keep))].reset_index(drop=True)


def evaluate_file(
    run: str | Path, data: str | Path, encoding: str | None = None, sheet: str | None = None
) -> RunResult:
    """Metrics (next to the training-set baseline) of a run on a labelled table file."""
    from .evaluation.scoring import score_outputs
    from .io.reader import read_csv
    from .models.forward import predict

    if is_image_run(run):  # a folder of class folders, or a CSV of paths and labels
        return evaluate_images(run, data)
    cfg, schema, pre, model = load_trained(run)
    df = read_csv(
        data, header=cfg.data.header, delimiter=cfg.data.delimiter, encoding=encoding, sheet=sheet
    )
    if schema.target not in df.columns:
        raise DataError(t("error.predict.target_column_evaluate", data=data, target=schema.target))
    df = df[df[schema.target].notna()]
    if not len(df):  # every target cell empty: nothing to score against
        raise DataError(t("error.predict.no_labelled_rows", data=data, target=schema.target))
    inputs, notices = _inputs_noting(pre, df)
    target = pre.inverse_target(pre.transform_target(df).numpy())
    out = pre.inverse_target(predict(model, inputs).numpy())
    if schema.is_classification:  # the baseline trained on the run's own training rows
        train_target = np.repeat(np.arange(len(pre.class_counts_)), pre.class_counts_)
    else:
        train_target = pre.inverse_target(np.zeros((1, 1)))  # the training mean (log: its exp)
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
    from .errors import check_type

    check_type(run, (str, os.PathLike), "hakseup.evaluate_run", "run", "a run folder's path")
    check_type(checkpoint, str, "hakseup.evaluate_run", "checkpoint", "'best' or 'last'")
    exp = Experiment.from_run(run, checkpoint)
    bundle = exp.load_data()
    metrics, name, base = exp.score()
    return RunResult(
        Path(run),
        metrics,
        name,
        base,
        [],
        bundle.schema,
        model=exp.model_,
        bundle=bundle,
        checkpoint=checkpoint,
        references=exp.references(metrics),
    )


def _saved_kind(run: str | Path) -> str | None:
    """The kind of data ``run`` was trained on, as its saved preprocessing names it (None
    when the folder or the file cannot be read)."""
    from .run.folder import require_run

    try:
        pre = json.loads((require_run(run) / "preprocessing.json").read_text())
        return pre.get("kind")
    except (OSError, ValueError, HakseupError):
        return None


def is_image_run(run: str | Path) -> bool:
    """Whether ``run`` was trained on images (its saved preprocessing says so)."""
    return _saved_kind(run) == "image"


def predict_images(run: str | Path, data: str | Path) -> pd.DataFrame:
    """path, predicted class, and each class's probability, for every readable image."""
    from .data.image.infer import image_predictions

    exp = Experiment.from_run(run)
    cfg = exp.cfg
    return image_predictions(
        exp.model_,
        exp.schema_,
        exp.preprocessor_,
        data,
        cfg.data.image_col,
        Path(cfg.data.cache_dir) if cfg.data.cache_dir else None,
    )


def evaluate_images(run: str | Path, data: str | Path) -> RunResult:
    """Metrics of an image run on labelled images: a folder of class folders (as trained
    on) or a CSV of paths and labels. The baseline is the majority class of these images
    (the run keeps no per-class counts of its training images)."""
    from .data.image.folder import scan_folder, scan_table
    from .data.image.infer import image_logits
    from .evaluation.scoring import score_outputs

    exp = Experiment.from_run(run)
    schema = exp.schema_
    if Path(data).is_dir():
        files, labels, _ = scan_folder(data)
    else:
        files, table_labels, _ = scan_table(
            data, exp.cfg.data.image_col or "path", exp.cfg.data.target
        )
        labels = table_labels or []
    index = {c: i for i, c in enumerate(schema.class_names)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise DataError(
            t(
                "error.predict.images.unknown_classes",
                data=data,
                names=", ".join(unknown[:5]),
                classes=", ".join(map(str, schema.class_names[:20])),
            )
        )
    cache = Path(exp.cfg.data.cache_dir) if exp.cfg.data.cache_dir else None
    logits, keep = image_logits(exp.model_, schema, exp.preprocessor_, files, data, cache)
    target = np.array([index[labels[i]] for i in keep], dtype=np.int64)
    metrics, name, base = score_outputs(schema, logits, target, target)
    return RunResult(Path(run), metrics, name, base, [], schema, model=exp.model_)


def predict_image_files(run: str | Path, data: str | Path, output: str | Path) -> Path:
    """Write ``predict_images`` as a UTF-8 CSV (class names in any language)."""
    return write_table(predict_images(run, data), output, "--output", HakseupError, inputs=[data])


def is_panel_run(run: str | Path) -> bool:
    """Whether ``run`` was trained on many series (``--id-col``)."""
    return _saved_kind(run) == "panel"


def predict_panel(
    run: str | Path, data: str | Path | None = None, series: str | None = None
) -> pd.DataFrame:
    """Forecasts past the end of every series of ``data`` (default: the run's own data), or
    of the one ``series`` names: id, time, forecast (and the run's interval bounds)."""
    from .data.series.panel import read_panel
    from .evaluation.forecast_panel_future import panel_future
    from .io.reader import read_data

    exp = Experiment.from_run(run)
    cfg = exp.cfg
    source = str(data or cfg.data.path)
    panel = read_panel(read_data(source, cfg.data), cfg.data, {}, source)
    saved = json.loads((exp.run_dir_ / "metrics.json").read_text())
    rule = saved.get("metrics", {}).get("forecast_rule", {})
    return panel_future(exp.model_, exp.preprocessor_, panel, rule, series)


def predict_panel_file(
    run: str | Path, output: str | Path, data: str | Path | None = None, series: str | None = None
) -> tuple[Path, int, int]:
    """Write ``predict_panel`` as a UTF-8 CSV; (the path, series written, steps each)."""
    frame = predict_panel(run, data, series)
    out = write_table(
        frame, output, "--output", HakseupError, inputs=[data] if data is not None else []
    )
    n = int(frame.iloc[:, 0].nunique())
    return out, n, len(frame) // max(n, 1)
