"""One experiment, start to finish: config → data → model → trainer → evaluation → run folder.

This is what ``hakseup train`` calls, and what a notebook user calls too.

Example:
    >>> result = train(RunConfig.from_dict({"train": {"epochs": 5}}))     # doctest: +SKIP
    >>> result.metrics["accuracy"], result.run_dir                         # doctest: +SKIP
    (0.96, PosixPath('runs/20261122-101500-digits-mlp'))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .config import RunConfig
from .data.bundle import DataBundle, Schema
from .errors import CheckpointError, HakseupError
from .evaluation.baselines import baseline_metrics
from .evaluation.metrics import MAIN_METRIC, compute_metrics
from .fileio import atomic_write_json, atomic_write_text
from .runs import load_run_config, new_run_dir, now_iso, read_status, require_run, write_status

__all__ = ["RunResult", "train", "evaluate_run", "build_callbacks", "score", "prepare"]


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict
    baseline_name: str
    baseline: dict
    history: list[dict] = field(default_factory=list)
    schema: Schema | None = None
    summary: list[str] = field(default_factory=list)
    rank: int = 0                     # in a distributed run, only rank 0 holds the results

    @property
    def main_metric(self) -> tuple[str, float]:
        key = MAIN_METRIC.get(self.schema.task if self.schema else "multiclass", "accuracy")
        return key, self.metrics.get(key, float("nan"))


def build_callbacks(cfg: RunConfig, run_dir: Path | None, rank: int = 0) -> list:
    """The callbacks a run folder needs, chosen by the config (only rank 0 writes)."""
    from .training.callbacks import (EarlyStopping, GPUStats, MetricsLogger, ModelCheckpoint,
                                     ProgressBar, TensorBoardLogger)

    t = cfg.train
    if rank != 0:  # other ranks take the same decisions, and write nothing
        return [EarlyStopping(t.monitor, t.patience)] if t.patience else []
    cbs = [MetricsLogger(run_dir / "metrics.jsonl"),
           ModelCheckpoint(run_dir / "checkpoints", monitor=t.monitor,
                           every_n_steps=t.checkpoint_every)]
    if t.progress:
        cbs.append(ProgressBar())
    if t.tensorboard:
        cbs.append(TensorBoardLogger(run_dir / "tb"))
    if t.patience:
        cbs.append(EarlyStopping(t.monitor, t.patience))
    if t.device in ("auto", "cuda"):
        cbs.append(GPUStats())  # does nothing unless training runs on CUDA
    return cbs


def score(model: torch.nn.Module, bundle: DataBundle, split: str = "test") -> tuple[dict, str, dict]:
    """(metrics, baseline name, baseline metrics) of ``model`` on a split of ``bundle``."""
    from .training.trainer import predict

    part = getattr(bundle, split)
    if bundle.schema.task == "forecast":
        from .evaluation.forecast import forecast_scores

        return forecast_scores(model, bundle, split)
    if len(part) == 0:
        raise HakseupError(f"The {split} split is empty: nothing to evaluate. Use a larger "
                           f"data.{split}_size or more rows.")
    # Values are compared in the data's original units, not the scaled ones the model sees.
    inverse = bundle.preprocessor.inverse_target
    from .data.bundle import is_lazy

    if is_lazy(part):   # read batch by batch (a memory-mapped image cache)
        from .training.trainer import predict_split

        out_t, target_t = predict_split(model, part)
        out, target = inverse(out_t.numpy()), inverse(target_t.numpy())
    else:
        out = inverse(predict(model, part.inputs).numpy())
        target = inverse(part.target.numpy())
    schema = bundle.schema
    metrics = compute_metrics(schema.task, out, target, schema.n_outputs)
    train_target = bundle.train.target.numpy() if not is_lazy(bundle.train) else \
        getattr(bundle.train.dataset, "labels", None)
    if train_target is None:   # a lazy dataset without a labels attribute: read them
        from .data.loader import iterate_split

        train_target = torch.cat([b[-1] for b in iterate_split(bundle.train, 4096, "cpu")])
    train_target = np.asarray(train_target)
    name, base = baseline_metrics(schema.task, inverse(train_target), target,
                                  schema.n_outputs)
    return metrics, name, base


def prepare(cfg: RunConfig):
    """Seeded data and model for a config, validated (dry forward) before anything is written."""
    from .data.datasets import load_data
    from .models.registry import build_model, default_model_name
    from .training.device import seed_everything

    seed_everything(cfg.train.seed)
    bundle = load_data(cfg.data, seed=cfg.train.seed)
    if cfg.model.name == "auto":  # the saved config names the model actually trained
        cfg.model.name = default_model_name(bundle.schema)
    model = build_model(cfg.model, bundle.schema)
    from .training.trainer import Trainer

    Trainer(cfg.train).validate(model, bundle)
    return bundle, model


def train(cfg: RunConfig, resume: str | Path | None = None, echo=print) -> RunResult:
    """Train and evaluate one model, writing a complete run folder.

    With ``resume`` (a run folder), the run's saved config is used and training continues
    from its last checkpoint; the result equals an uninterrupted run's.
    """
    from .training.distributed import init_distributed, shutdown

    t0 = time.perf_counter()
    resume_dir = None
    if resume is not None:   # the saved run's config: it also names the device (the backend)
        resume_dir = require_run(resume)
        if read_status(resume_dir).get("status") == "complete":
            raise CheckpointError(f"Run '{resume}' is already complete; nothing to resume. "
                                  f"Start a new run, or evaluate it with `hakseup evaluate`.")
        cfg = load_run_config(resume_dir)
    rank, world = init_distributed(cfg.train.device)
    if world > 1:
        try:
            return _train(cfg, resume_dir, echo, rank, t0)
        finally:
            shutdown()
    return _train(cfg, resume_dir, echo, rank, t0)


def _train(cfg: RunConfig, resume_dir: Path | None, echo, rank: int, t0: float) -> RunResult:
    from .monitor.environment import collect_environment
    from .training.device import resolve_device
    from .training.distributed import barrier
    from .training.trainer import Trainer

    # Everything that can fail on bad input happens before the run folder exists.
    bundle, model = prepare(cfg)
    device = resolve_device(cfg.train.device)
    if rank != 0:
        Trainer(cfg.train, callbacks=build_callbacks(cfg, None, rank)).fit(model, bundle)
        barrier()
        return RunResult(Path(cfg.output.dir or "."), {}, "", {}, [], bundle.schema, rank=rank)
    if resume_dir is None:
        run_dir = new_run_dir(cfg.output.root, cfg.run_name(), cfg.output.dir)
        write_status(run_dir, "running", name=run_dir.name, created=now_iso(),
                     dataset=cfg.data.path or cfg.data.dataset, model=cfg.model.name,
                     task=bundle.schema.task)
        atomic_write_text(run_dir / "config.yaml", cfg.to_yaml())
        atomic_write_json(run_dir / "environment.json", collect_environment(str(device)))
        atomic_write_json(run_dir / "schema.json", bundle.schema.to_dict())
        atomic_write_json(run_dir / "preprocessing.json", bundle.preprocessor.to_dict())
    else:
        run_dir = resume_dir
        write_status(run_dir, "running", resumed=now_iso())
    last = run_dir / "checkpoints" / "last"
    resume_from = last if resume_dir is not None and (
        last.exists() or last.with_name("last.prev").exists()) else None

    trainer = Trainer(cfg.train, callbacks=build_callbacks(cfg, run_dir))
    try:
        history = trainer.fit(model, bundle, resume=resume_from)
        barrier()
    except KeyboardInterrupt:
        write_status(run_dir, "interrupted")
        echo(f"Interrupted. Continue with: hakseup train --resume {run_dir}")
        raise
    except BaseException as e:
        write_status(run_dir, "failed", error=str(e).splitlines()[0] if str(e) else type(e).__name__)
        raise

    # Test metrics use the best checkpoint (by the monitored validation metric), if any.
    used = "last"
    best = run_dir / "checkpoints" / "best"
    if best.exists():
        from .training.checkpoint import load_weights

        trainer.raw_model.load_state_dict(load_weights(best))
        used = "best"
    metrics, base_name, base = score(trainer.raw_model, bundle)
    prevalence = cfg.output.deploy_prevalence
    if prevalence is not None and bundle.schema.task == "binary":
        # Precision measured on the test split reflects the test split's class balance; where
        # positives are rarer, the same recall and false-positive rate give a lower precision.
        from .stats.bayes import precision_at_prevalence

        metrics["precision_at_deploy_prevalence"] = precision_at_prevalence(
            metrics["recall"], metrics["false_positive_rate"], prevalence)
        bundle.info.setdefault("notices", []).append(
            f"At a deployment prevalence of {prevalence:g} (positives '{bundle.schema.class_names[1]}'), "
            f"the measured recall {metrics['recall']:.3f} and false-positive rate "
            f"{metrics['false_positive_rate']:.3f} give a precision of "
            f"{metrics['precision_at_deploy_prevalence']:.3f} (test split: "
            f"{metrics['precision']:.3f}).")
    result = RunResult(run_dir, metrics, base_name, base, history, bundle.schema)
    _finish(run_dir, cfg, bundle, trainer, result, used, time.perf_counter() - t0)
    return result


def _finish(run_dir: Path, cfg: RunConfig, bundle: DataBundle, trainer, result: RunResult,
            used: str, duration: float) -> None:
    """metrics.json, plots, reports, then mark the run complete (last, so a crash before it
    never leaves a run that looks finished)."""
    from .evaluation.report import write_reports

    schema = bundle.schema
    atomic_write_json(run_dir / "metrics.json", {
        "split": "test", "checkpoint": used, "metrics": result.metrics,
        "baseline": {"name": result.baseline_name, "metrics": result.baseline}})
    if cfg.output.plots:
        from .evaluation.plots import plot_confusion_matrix, plot_loss

        plot_loss(result.history, run_dir / "plots" / "loss.png")
        if schema.task == "forecast":
            _plot_forecasts(run_dir, trainer.raw_model, bundle)
        if "confusion_matrix" in result.metrics:
            plot_confusion_matrix(result.metrics["confusion_matrix"], schema.class_names,
                                  run_dir / "plots" / "confusion_matrix.png")
    n_params = sum(p.numel() for p in trainer.raw_model.parameters())
    key, value = result.main_metric
    env = json.loads((run_dir / "environment.json").read_text())
    epochs_run = len(result.history)
    best_epoch = None
    if result.history and "val_loss" in result.history[0]:
        best_epoch = int(np.nanargmin([h["val_loss"] for h in result.history])) + 1
    ctx = {
        "name": run_dir.name, "metrics": result.metrics, "baseline_metrics": result.baseline, "baseline_name": result.baseline_name,
        "summary_lines": [
            f"Task: {schema.task} on {cfg.data.path or cfg.data.dataset} "
            f"({schema.n_outputs} {'classes' if schema.is_classification else 'outputs'})",
            f"Model: {type(trainer.raw_model).__name__} ({cfg.model.name}), "
            f"{n_params:,} parameters",
            f"Test {key}: {value:.4f} (baseline {result.baseline_name}: "
            f"{result.baseline.get(key, float('nan')):.4f})",
            f"Test metrics from the {used} checkpoint"
            + (f" (epoch {best_epoch}, lowest validation loss)" if used == "best" and best_epoch
               else ""),
            f"Duration: {duration:.1f} s on {env.get('device')}"] + _learned_line(trainer.raw_model,
                                                                               schema),
        "data_summary": {f"{k} rows": v for k, v in bundle.info.get("rows", {}).items()},
        "training_summary": {"epochs run": epochs_run, "best epoch": best_epoch or "—",
                             "optimizer": cfg.train.optimizer, "learning rate": cfg.train.lr,
                             "batch size": cfg.train.batch_size,
                             "scheduler": cfg.train.scheduler,
                             "final train loss": result.history[-1]["train_loss"]
                             if result.history else "—",
                             "training time (s)": trainer.elapsed},
        "notices": list(bundle.info.get("notices", [])),
        "extra_sections": list(bundle.info.get("report_sections", [])),
        "config_yaml": cfg.to_yaml(), "environment": env,
    }
    for k, v in bundle.info.get("summary", {}).items():
        ctx["data_summary"][k] = v
    if "baselines" in result.metrics:  # forecasts: say plainly whether the model beats each
        lines = [f"{'BEATS' if result.metrics['beats'][name] else 'does NOT beat'} the {name} "
                 f"forecast: MAE {result.metrics['mae']:.4f} vs {b['mae']:.4f}, "
                 f"RMSE {result.metrics['rmse']:.4f} vs {b['rmse']:.4f}"
                 for name, b in result.metrics["baselines"].items()]
        ctx["extra_sections"].append(("Forecast vs baselines (test, original units)",
                                      "\n".join(lines)))
        ctx["summary_lines"] += [f"The model {ln}" for ln in lines]
    if schema.input_kind == "image" and schema.is_classification:   # evaluation/image_report.py
        from .evaluation.image_report import image_sections

        ctx["extra_sections"] += image_sections(run_dir, trainer.raw_model, bundle,
                                                result.metrics, result.history, cfg.output.plots)
    write_reports(run_dir, ctx)
    result.summary = list(ctx["summary_lines"])
    write_status(run_dir, "complete", finished=now_iso(), duration_s=round(duration, 2),
                 main_metric={key: value}, epochs=epochs_run)


def _learned_line(model, schema: Schema) -> list[str]:
    """For a linear model on a few numeric inputs: the fitted equation, in the model's units."""
    from .models.linear import Linear

    if not isinstance(model, Linear) or model.linear.in_features > 5 or schema.is_classification:
        return []
    w = model.linear.weight.detach()[0].tolist()
    b = float(model.linear.bias.detach()[0])
    terms = " + ".join(f"{wi:.4f}·{name}" for wi, name in zip(w, schema.numeric_features))
    return [f"Learned: {schema.target} = {terms} + {b:.4f}"]


def _plot_forecasts(run_dir: Path, model, bundle: DataBundle) -> None:
    from .evaluation.forecast import forecast_predictions
    from .evaluation.plots import plot_forecast, plot_residuals

    s = bundle.info["series"]
    starts, preds = {}, {}
    for split in ("train", "val", "test"):
        if len(getattr(bundle, split)):
            st, pred, actual, _ = forecast_predictions(model, bundle, split)
            starts[split], preds[split] = st, pred
            if split == "test":
                residuals = actual[:, 0] - pred[:, 0]
    times = s["times"]
    plot_forecast(times, s["y"], starts, preds, s["train_end"], run_dir / "plots" / "forecast.png",
                  bundle.schema.target)
    plot_residuals(times[starts["test"]], residuals, run_dir / "plots" / "residuals.png",
                   bundle.schema.target)


def evaluate_run(run: str | Path, checkpoint: str = "best") -> RunResult:
    """Re-score a saved run on its test split (rebuilt from the saved config and seed)."""
    from .data.datasets import load_data
    from .inference import load_trained

    cfg, _, _, model = load_trained(run, checkpoint)
    bundle = load_data(cfg.data, seed=cfg.train.seed)
    metrics, name, base = score(model, bundle)
    return RunResult(Path(run), metrics, name, base, [], bundle.schema)
