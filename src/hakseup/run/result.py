"""What a run gives back: ``RunResult`` — the metrics next to the baselines and the classical
references, the trained model, the data, the history (a DataFrame), ``predict`` on new data
with the run's preprocessing, ``plot()`` of the curves, and a compact HTML view in Jupyter.

Example:
    >>> r = RunResult(Path("runs/x"), {"accuracy": 0.9}, "majority class", {"accuracy": 0.1})
    >>> r.main_metric
    ('accuracy', 0.9)
    >>> r
    RunResult(accuracy=0.9000, baseline majority class 0.1000, 0 epochs, run runs/x)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.bundle import DataBundle, Schema
from ..i18n import Section, t
from ..metrics import MAIN_METRIC

__all__ = ["RunResult"]

# The words of the HTML view, from the message catalog (``result.*`` in hakseup/i18n/*.json),
# read when shown, so a language chosen after import (``set_language("ko")``) is followed.
TEXT = Section("result")
# The repr stays English whatever the language: like a DataFrame's, it is read as code.
_REPR = "RunResult({key}={value}, baseline {name} {base}, {epochs} epochs, run {run})"
_HTML_FONT = "font-family:system-ui,sans-serif;font-size:13px"
_HTML_STYLE = f"border-collapse:collapse;{_HTML_FONT}"
_CELL = "padding:2px 10px;border-bottom:1px solid #e5e5e5;text-align:left"


def _num(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.4f}"
    return str(v)


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict
    baseline_name: str
    baseline: dict
    logs: list[dict] = field(default_factory=list)  # per-epoch logs (a training.History)
    schema: Schema | None = None
    summary: list[str] = field(default_factory=list)
    rank: int = 0  # in a distributed run, only rank 0 holds the results
    model: Any = None  # the trained nn.Module (best checkpoint when there is one)
    bundle: DataBundle | None = None  # the data it was trained and scored on
    checkpoint: str = "last"  # which weights the metrics come from
    references: dict = field(default_factory=dict)  # evaluation.references.reference_summary
    notices: list[str] = field(default_factory=list)  # the data decisions and warnings
    diagnosis: list[str] = field(default_factory=list)  # what the curves say, in plain words
    data_config: Any = None  # how a file given to predict() is read (as in training)
    config: Any = None  # the resolved RunConfig the run was trained with (train's result)

    @property
    def main_metric(self) -> tuple[str, float]:
        key = MAIN_METRIC.get(self.schema.task if self.schema else "multiclass", "accuracy")
        if "per_series" in self.metrics:  # a panel: MASE, comparable across series
            key = "mase"
        return key, self.metrics.get(key, float("nan"))

    @property
    def history(self):
        """One row per epoch (train/validation loss, main metric, lr, time): a DataFrame."""
        from ..training.history import History

        return History(self.logs).to_frame()

    # ------------------------------------------------------------------ using the model

    def predict(self, new_data):
        """Predictions for new rows through the run's saved preprocessing (never refitted):
        a CSV path, a pandas DataFrame, or an array/tensor of feature rows (the columns in
        the order the run was trained on). Returns a DataFrame: the class and each class's
        probability, or the predicted value."""
        import pandas as pd

        from ..errors import DataError
        from ..models.forward import array_frame, predict_table

        pre = getattr(self.bundle, "preprocessor", None)
        if self.model is None or pre is None or self.schema is None:
            raise DataError(t("error.results.no_model"))
        if isinstance(new_data, (str, Path)) and self.schema.input_kind == "image":
            return self._predict_images(new_data)  # a folder, an image, a CSV of paths
        if isinstance(new_data, (str, Path)):
            from ..config import DataConfig
            from ..io.reader import read_data

            frame = read_data(new_data, self.data_config or DataConfig())
        elif isinstance(new_data, pd.DataFrame):
            frame = new_data
        else:
            frame = array_frame(new_data, self._feature_columns())
        was_training = self.model.training
        try:
            return predict_table(self.model.eval(), self.schema, pre, frame)
        finally:
            self.model.train(was_training)

    def _predict_images(self, data: str | Path):
        """``predict`` on an image run: path, class and probabilities per readable image."""
        from ..data.image.infer import image_predictions

        assert self.model is not None and self.bundle is not None
        was_training = self.model.training
        try:
            return image_predictions(
                self.model.eval(),
                self.schema,
                self.bundle.preprocessor,
                data,
                getattr(self.data_config, "image_col", None),
            )
        finally:
            self.model.train(was_training)

    def _feature_columns(self) -> list[str]:
        pre = getattr(self.bundle, "preprocessor", None)
        kinds = getattr(pre, "kinds", None)
        return list(kinds) if kinds else []

    # ------------------------------------------------------------------ showing it

    def plot(self):
        """The loss curves and the main metric per epoch, side by side — for a forecast, the
        series with the forecasts (original units) beside the loss; returns the figure
        (shown inline in a notebook)."""
        frame = self.history
        if (
            self.schema is not None
            and self.schema.task == "forecast"
            and self.bundle is not None
            and self.model is not None
        ):
            return self._plot_forecast(frame)
        from ..evaluation.plots import plot_text

        fig = _shown_figure()(figsize=(10, 3.6), layout="constrained")
        loss_ax, metric_ax = fig.subplots(1, 2)
        _plot_losses(loss_ax, frame)
        metric = next((c for c in frame.columns if c in ("val_accuracy", "val_mae")), None)
        if metric is not None:  # a metric's name is kept as it is logged (val_accuracy)
            metric_ax.plot(
                frame["epoch"], frame[metric], marker=".", color="tab:green", label=metric
            )
            metric_ax.set_title(plot_text("plot.metric_title", name=metric))
        loss_ax.set_title(plot_text("plot.loss_title"))
        for ax, label in ((loss_ax, plot_text("plot.loss")), (metric_ax, metric or "")):
            ax.set_xlabel(plot_text("plot.epoch"))
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend()
        return fig

    def _plot_forecast(self, frame):
        """Actual values and each split's one-step forecasts (as the run folder's
        plots/forecast.png), and the loss per epoch."""
        import numpy as np

        from ..evaluation.forecast import forecast_predictions
        from ..evaluation.plots import plot_text

        series = self.bundle.info["series"]
        times, y = series["times"], np.asarray(series["y"], dtype=float)
        fig = _shown_figure()(figsize=(11, 3.8), layout="constrained")
        ax, loss_ax = fig.subplots(1, 2, width_ratios=[2.4, 1])
        ax.plot(times, y, color="black", linewidth=1.1, label=plot_text("plot.actual"))
        colors = {"train": "tab:blue", "val": "tab:orange", "test": "tab:red"}
        for split, color in colors.items():
            if len(getattr(self.bundle, split)):
                starts, pred, _, _ = forecast_predictions(self.model, self.bundle, split)
                label = plot_text(f"plot.forecast_{split}")
                ax.plot(times[starts], pred[:, 0], color=color, linewidth=1, label=label)
        ax.set_ylabel(self.schema.target)
        ax.set_title(plot_text("plot.forecast_title", target=self.schema.target))
        _plot_losses(loss_ax, frame)
        loss_ax.set_xlabel(plot_text("plot.epoch"))
        loss_ax.set_ylabel(plot_text("plot.loss"))
        for a in (ax, loss_ax):
            a.grid(alpha=0.3)
            if a.lines:
                a.legend(fontsize=8)
        return fig

    def _rows(self) -> list[tuple[str, str]]:
        key, value = self.main_metric
        rows = []
        if self.schema is not None:
            rows.append((TEXT["task"], f"{self.schema.task} ({self.schema.input_kind})"))
        if self.model is not None:
            n = sum(p.numel() for p in self.model.parameters())
            rows.append(
                (TEXT["model"], f"{type(self.model).__name__}, " + TEXT["parameters"].format(n=n))
            )
        rows.append((TEXT["metric"].format(key=key), _num(value)))
        rows.append(
            (
                TEXT["baseline"].format(name=self.baseline_name),
                _num(self.baseline.get(key, float("nan"))),
            )
        )
        references = dict((self.references or {}).get("metrics", {}))
        references.update(self.metrics.get("baselines", {}))  # a forecast's classical ones
        for name, m in references.items():
            if isinstance(m, dict) and key in m and name not in ("majority", "mean"):
                rows.append((name, _num(m[key])))
        if (self.references or {}).get("verdict"):
            rows.append((TEXT["verdict"], self.references["verdict"]))
        rows.append((TEXT["epochs"], str(len(self.logs))))
        rows.append((TEXT["checkpoint"], self.checkpoint))
        rows.append((TEXT["run_folder"], str(self.run_dir)))
        return rows

    def _repr_html_(self) -> str:
        e = html.escape
        body = "".join(
            f'<tr><th style="{_CELL}">{e(k)}</th><td style="{_CELL}">{e(v)}</td></tr>'
            for k, v in self._rows()
        )
        folded = "".join(  # folded away: the view stays compact
            f'<details style="{_HTML_FONT}"><summary>{e(TEXT[key].format(n=len(lines)))}'
            f"</summary><ul>{''.join(f'<li>{e(x)}</li>' for x in lines)}</ul></details>"
            for key, lines in (("says", self.diagnosis), ("decided", self.notices))
            if lines
        )
        return (
            f'<table style="{_HTML_STYLE}"><caption style="text-align:left;'
            f'font-weight:600">{e(TEXT["title"])}</caption>{body}</table>'
            f"{self._legend_html()}{folded}"
        )

    def _legend_html(self) -> str:
        """What the references named in the table are ("hgb", "AutoETS", ...), as the report
        says it under its metrics table; "" when none is shown."""
        from ..evaluation.legend import run_legend

        legend = run_legend(self.metrics, (self.references or {}).get("metrics"))
        if not legend:
            return ""
        return f'<p style="{_HTML_FONT};color:#57606a;max-width:60em">{html.escape(legend)}</p>'

    def __repr__(self) -> str:
        key, value = self.main_metric
        return _REPR.format(
            key=key,
            value=_num(value),
            name=self.baseline_name,
            base=_num(self.baseline.get(key, float("nan"))),
            epochs=len(self.logs),
            run=self.run_dir,
        )


def _plot_losses(ax, frame) -> None:
    """The loss columns of the history per epoch on ``ax``, named as the run folder's loss
    plot names them (train_loss → "train loss", in the language chosen)."""
    from ..evaluation.plots import plot_text

    names = {"train_loss": "plot.train_loss", "val_loss": "plot.val_loss"}
    for name in [c for c in frame.columns if c.endswith("loss")]:
        label = plot_text(names[name]) if name in names else name
        ax.plot(frame["epoch"], frame[name], marker=".", label=label)


def _shown_figure():
    """A matplotlib ``Figure`` that Jupyter shows as an image when a cell returns it (its
    ``_repr_png_``), whatever backend pyplot has — hakseup draws without pyplot, so
    IPython's inline figure formatter may never have been set up."""
    import io

    from matplotlib.figure import Figure

    from ..evaluation.plots import hangul_font

    hangul_font()  # Hangul glyphs (a Korean title, a Korean column name) where the font is

    class ShownFigure(Figure):
        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            return buf.getvalue()

    return ShownFigure
