"""What a finished training run writes into its folder: the start files, ``metrics.json``,
the plots, and the Markdown/HTML reports with their summary lines.

Example:
    >>> write_run_outputs(run_dir, cfg, trainer, result, duration=12.5)   # doctest: +SKIP
    >>> result.summary[0]                                                 # doctest: +SKIP
    'Task: multiclass on digits (10 classes)'
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..i18n import t
from ..io.files import atomic_write_json, atomic_write_text

__all__ = ["write_start_files", "write_run_outputs", "draw_run_figures"]


def write_start_files(run_dir: Path, cfg, bundle, device, threads: dict | None = None) -> None:
    """config.yaml, environment.json, schema.json and preprocessing.json of a new run;
    ``threads``: the run's thread choice and its reason (``training.threads``)."""
    from ..monitor.environment import collect_environment

    atomic_write_text(run_dir / "config.yaml", cfg.to_yaml())
    atomic_write_json(
        run_dir / "environment.json", collect_environment(str(device), threads=threads)
    )
    atomic_write_json(run_dir / "schema.json", bundle.schema.to_dict())
    atomic_write_json(run_dir / "preprocessing.json", bundle.preprocessor.to_dict())


def write_run_outputs(run_dir: Path, cfg, trainer, result, duration: float) -> None:
    """Plots, metrics.json and reports (which list and embed the plots); fills
    ``result.summary``."""
    from ..evaluation.report import write_reports

    if cfg.output.plots:
        draw_run_figures(run_dir, result, monitor=cfg.train.monitor)
    bundle = result.bundle
    _deploy_prevalence(cfg, bundle, result.metrics)
    if result.schema is not None and result.schema.threshold is not None:  # chosen after fit
        atomic_write_json(run_dir / "schema.json", result.schema.to_dict())
    atomic_write_json(
        run_dir / "metrics.json",
        {
            "split": "test",
            "checkpoint": result.checkpoint,
            "metrics": result.metrics,
            "baseline": {"name": result.baseline_name, "metrics": result.baseline},
            "references": result.references,
        },
    )
    ctx = _report_context(run_dir, cfg, trainer, result, duration)
    from ..evaluation.explain import explain_run

    ctx.update(explain_run(run_dir, cfg, result))  # diagnosis, per-class table
    write_reports(run_dir, ctx)
    result.summary = list(ctx["summary_lines"])
    result.diagnosis = list(ctx["diagnosis_terminal"])
    result.notices = list(ctx["notices"])


def _call(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def draw_run_figures(run_dir: Path, result, draw=_call, monitor: str = "val_loss") -> None:
    """The run's figures, each through ``draw(plot_function, *args)`` (default: drawn now):
    the loss curve, the forecast, the confusion matrices, the main metric per epoch, ROC and
    PR curves. (The misclassified images follow with the report's image sections.)"""
    from ..evaluation.explain import explain_figures
    from ..evaluation.plots import plot_confusion_matrix, plot_loss

    # One "best epoch" on every plot: the checkpoint's, by the monitored value.
    best = _best_epoch(list(result.logs), monitor) if result.checkpoint == "best" else None
    draw(plot_loss, list(result.logs), run_dir / "plots" / "loss.png", None, best)
    if result.schema.task == "forecast" and "panel" not in result.bundle.info:
        _plot_forecasts(run_dir, result.model, result.bundle, draw)
    if "per_series" in result.metrics:  # a panel: a few series, the worst first
        _plot_panel(run_dir, result, draw)
    if "confusion_matrix" in result.metrics:
        draw(
            plot_confusion_matrix,
            result.metrics["confusion_matrix"],
            result.schema.class_names,
            run_dir / "plots" / "confusion_matrix.png",
        )
    explain_figures(run_dir, result, draw, best)


def _deploy_prevalence(cfg, bundle, metrics: dict) -> None:
    """Precision measured on the test split reflects the test split's class balance; where
    positives are rarer, the same recall and false-positive rate give a lower precision."""
    prevalence = cfg.output.deploy_prevalence
    if prevalence is None or bundle.schema.task != "binary":
        return
    from ..stats.bayes import precision_at_prevalence

    metrics["precision_at_deploy_prevalence"] = precision_at_prevalence(
        metrics["recall"], metrics["false_positive_rate"], prevalence
    )
    bundle.info.setdefault("notices", []).append(
        t(
            "notice.evaluation.run_report.deployment_prevalence_positives",
            prevalence=prevalence,
            class_names=bundle.schema.class_names[1],
            recall=metrics["recall"],
            false_positive_rate=metrics["false_positive_rate"],
            precision_at_deploy_prevalence=metrics["precision_at_deploy_prevalence"],
            precision=metrics["precision"],
        )
    )


def _summary_lines(cfg, trainer, result, duration: float, device: str) -> list[str]:
    schema, model = result.schema, result.model
    n_params = sum(p.numel() for p in model.parameters())
    key, value = result.main_metric
    monitor = cfg.train.monitor
    best_epoch = _best_epoch(result.logs, monitor)
    unit = t("summary.classes" if schema.is_classification else "summary.outputs")
    detail = (
        ""
        if result.checkpoint != "best" or not best_epoch
        else t("summary.best_detail", epoch=best_epoch)
        if monitor == "val_loss"
        else t("summary.best_detail_monitor", epoch=best_epoch, monitor=monitor)
    )
    lines = [
        t(
            "summary.task",
            task=schema.task,
            data=cfg.data.path or cfg.data.dataset,
            n=schema.n_outputs,
            unit=unit,
        ),
        t("summary.model", cls=type(model).__name__, name=cfg.model.name, n=n_params),
        t(
            "summary.test",
            key=key,
            value=value,
            baseline=result.baseline_name,
            base=result.baseline.get(key, float("nan")),
        ),
        t("summary.checkpoint", checkpoint=result.checkpoint, detail=detail),
        t("summary.duration", seconds=duration, device=device),
    ]
    return lines + _learned_line(model, schema, getattr(result.bundle, "preprocessor", None))


def _best_epoch(history: list[dict], monitor: str = "val_loss") -> int | None:
    """The epoch of the best checkpoint: the lowest ``monitor`` (the highest for a metric
    that is not a loss or an error, as ``callbacks.MonitorCallback`` decides)."""
    if not history or monitor not in history[0]:
        return None
    values = np.array([h.get(monitor, np.nan) for h in history], dtype=float)
    from ..training.callbacks import MonitorCallback

    lower = MonitorCallback(monitor).mode == "min"
    at = int(np.nanargmin(values) if lower else np.nanargmax(values))
    return int(history[at].get("epoch", at + 1))


def _report_context(run_dir: Path, cfg, trainer, result, duration: float, draw=None) -> dict:
    bundle, history = result.bundle, result.logs
    env = json.loads((run_dir / "environment.json").read_text())
    ctx = {
        "name": run_dir.name,
        "metrics": result.metrics,
        "baseline_metrics": result.baseline,
        "baseline_name": result.baseline_name,
        "summary_lines": _summary_lines(cfg, trainer, result, duration, env.get("device")),
        "data_summary": {f"{k} rows": v for k, v in bundle.info.get("rows", {}).items()},
        "training_summary": _training_summary(cfg, trainer, history),
        "notices": list(bundle.info.get("notices", [])),
        "extra_sections": list(bundle.info.get("report_sections", [])),
        "config_yaml": cfg.to_yaml(),
        "environment": env,
    }
    ctx["data_summary"].update(bundle.info.get("summary", {}))
    # The classical references: a column each in the report, the verdict in the summary.
    ctx["references"] = result.references.get("metrics", {})
    if result.references.get("verdict"):
        ctx["summary_lines"].append(result.references["verdict"])
    ctx["notices"] += result.references.get("notices", [])
    if "per_series" in result.metrics:  # a panel: the rule, the verdict, a row per series
        from ..evaluation.forecast_panel import panel_section

        summary, section = panel_section(result.metrics)
        ctx["summary_lines"] += summary
        ctx["extra_sections"].append((t("forecast.section"), section))
    elif "baselines" in result.metrics:  # forecasts: say plainly whether the model beats each
        summary, section = _forecast_section(result.metrics)
        ctx["summary_lines"] += summary
        ctx["extra_sections"].append((t("forecast.section"), section))
    if result.schema.input_kind == "image" and result.schema.is_classification:
        from ..evaluation.image_report import image_sections

        ctx["extra_sections"] += image_sections(
            run_dir, result.model, bundle, result.metrics, history, cfg.output.plots, draw=draw
        )
    return ctx


def _training_summary(cfg, trainer, history: list) -> dict:
    """The report's training table: epochs, best epoch, optimizer settings, loss and time."""
    return {
        "epochs run": len(history),
        "best epoch": _best_epoch(history, cfg.train.monitor) or "—",
        "optimizer": cfg.train.optimizer,
        "learning rate": cfg.train.lr,
        "batch size": cfg.train.batch_size,
        "scheduler": cfg.train.scheduler,
        "final train loss": history[-1]["train_loss"] if history else "—",
        "training time (s)": f"{float(trainer.elapsed):.1f}",
    }


def _forecast_section(m: dict) -> tuple[list[str], str]:
    """A single series' forecast: summary lines and the section text saying plainly whether
    the model beats each baseline, with the intervals, the forecast rule and MASE per step."""
    beats = m["beats"]
    summary: list[str] = []
    values = [
        (
            ("beats" if beats[name] else "not"),
            dict(name=name, mae=m["mae"], base_mae=b["mae"], rmse=m["rmse"], base_rmse=b["rmse"]),
        )
        for name, b in m["baselines"].items()
    ]
    lines = [t(f"forecast.line_{k}", **v) for k, v in values]
    if m.get("reference_verdict"):  # one sentence: the best statistical reference
        lines.insert(0, m["reference_verdict"])
        summary.append(m["reference_verdict"])
    for level, v in m.get("intervals", {}).items():  # conformal intervals, scored
        lines.insert(
            0,
            t(
                "forecast.interval_line",
                level=float(level) * 100,
                coverage=v["coverage"] * 100,
                msis=v["msis"],
            ),
        )
    if m.get("forecast_rule"):  # which forecast the run gives, and why
        lines.insert(0, _rule_line(m["forecast_rule"]))
        summary.append(lines[0])
    else:
        summary += [t(f"forecast.summary_{k}", **v) for k, v in values]
    return summary, "\n".join(lines) + _per_step_table(m)


def _rule_line(rule: dict) -> str:
    """One sentence: the default forecast (its weights over the network and the statistical
    forecasts), and why — chosen before the test period, or the series is too short."""
    scores = ", ".join(f"{k} {v:.3f}" for k, v in rule.get("validation_mase", {}).items())
    stat = ", ".join(f"{k} {v:.3f}" for k, v in rule.get("statistical_mase", {}).items())
    return t(
        f"forecast.rule_{rule['reason']}",
        name=rule["name"],
        n=rule["val_origins"],
        scores=scores,
        tol=100 * rule.get("tolerance", 0.0),
        stat=stat,
        m=rule.get("stat_origins", 0),
    )


def _per_step_table(m: dict) -> str:
    """MASE per forecast step of the model and each reference, as a Markdown table."""
    rows = m.get("per_step")
    if not rows:
        return ""
    names = [n for n in m["baselines"] if f"{n} mase" in rows[0]]
    head = "| step | model | " + " | ".join(names) + " |"
    sep = "|---" * (len(names) + 2) + "|"
    body = [
        f"| {r['step']} | {r['mase']:.3f} | "
        + " | ".join(f"{r[n + ' mase']:.3f}" for n in names)
        + " |"
        for r in rows
    ]
    return "\n\n" + t("forecast.per_step_heading") + "\n\n" + "\n".join([head, sep] + body)


def _learned_line(model, schema, pre=None) -> list[str]:
    """For a linear regression on a few numeric inputs: the fitted equation in the data's
    units (what ``predict`` applies; ``evaluation/equation.py``), or none where the scaling
    has no such equation."""
    from ..evaluation.equation import equation_terms, original_units
    from ..models.linear import Linear

    if not isinstance(model, Linear) or model.linear.in_features > 5 or schema.is_classification:
        return []
    if model.linear.in_features != len(schema.numeric_features):  # a series' window steps
        return []
    w = model.linear.weight.detach()[0].double().numpy()
    fitted = original_units(w, float(model.linear.bias.detach()[0]), pre)
    if fitted is None:
        return []
    return [
        t(
            "summary.learned",
            target=schema.target,
            equation=equation_terms(fitted[0], fitted[1], list(schema.numeric_features)),
        )
    ]


def _plot_panel(run_dir: Path, result, draw) -> None:
    """A few series of a panel: the worst first, with the default forecast and the best
    reference on the test block."""
    from ..evaluation.forecast_panel import panel_forecasts, panel_references
    from ..evaluation.panel_plots import panel_figure_series, plot_panel

    m, bundle = result.metrics, result.bundle
    pred, _ = panel_forecasts(result.model, bundle)
    name = m.get("best_reference", {}).get("name", "naive")
    refs = panel_references(bundle, "test")
    series = panel_figure_series(m, bundle, pred, refs.get(name, pred))
    draw(plot_panel, series, run_dir / "plots" / "forecast.png", bundle.schema.target, name)


def _plot_forecasts(run_dir: Path, model, bundle, draw) -> None:
    from ..evaluation.forecast import forecast_predictions
    from ..evaluation.plots import plot_forecast, plot_residuals

    s = bundle.info["series"]
    starts, preds = {}, {}
    for split in ("train", "val", "test"):
        if len(getattr(bundle, split)):
            st, pred, actual, base = forecast_predictions(model, bundle, split)
            starts[split], preds[split] = st, pred
            if split == "test":
                residuals, test_baselines = actual[:, 0] - pred[:, 0], base
    times = s["times"]
    from ..evaluation.forecast import test_widths

    bands = {level: w[0] for level, w in test_widths(bundle).items()}  # step 1's half-width
    draw(
        plot_forecast,
        times,
        s["y"],
        starts,
        preds,
        s["train_end"],
        run_dir / "plots" / "forecast.png",
        bundle.schema.target,
        baselines=test_baselines,
        bands=bands,
    )
    draw(
        plot_residuals,
        times[starts["test"]],
        residuals,
        run_dir / "plots" / "residuals.png",
        bundle.schema.target,
    )
