"""Hyperparameter search with Optuna over the space declared in the config's ``tune`` section.

    tune:
      train.lr: {low: 1.0e-4, high: 0.1, log: true}
      train.batch_size: {low: 16, high: 128, step: 16}
      model.hidden: [[64], [128], [128, 64]]

Each trial trains on the training split and is scored on the validation split (or on K folds,
every transform refitted per fold) by the validation loss; bad trials are pruned by the median
rule, epoch by epoch. The study lives in ``study.db`` (SQLite) in the run folder, so
``--resume`` continues it, or in a shared database (``--storage URL``, ``tuning_storage``);
``best_config.yaml`` is ready for ``hakseup train``.

Example:
    >>> result = tune(cfg, trials=20)                # doctest: +SKIP
    >>> result["best_params"]                        # doctest: +SKIP
"""

from __future__ import annotations

import copy
import dataclasses
import time
from pathlib import Path
from typing import Any

from .. import i18n
from ..config import RunConfig, set_key
from ..config.rules import tune_values
from ..errors import ConfigError
from ..io.files import atomic_write_json, atomic_write_text
from ..training.callbacks import Callback

__all__ = ["tune", "parse_space"]


def parse_space(space: dict) -> dict:
    """The ``tune`` section as {key: (kind, spec)}: every key a real config key, every range
    well formed (``config.tune_values``, the same rules the config loader applies)."""
    if not space:
        raise ConfigError(
            i18n.t(
                "error.tuning.search_space_empty",
                example=(
                    "{train.lr: {low: 1.0e-4, high: 0.1, log: true}, model.hidden: [[64], [128]]}"
                ),
            )
        )
    parsed: dict[str, tuple[str, Any]] = {}
    for key, spec in space.items():
        set_key({}, key, None)  # raises for an unknown key, with suggestions
        tune_values(key, spec)
        if isinstance(spec, list):
            parsed[key] = ("categorical", spec)
            continue
        low, high, log, step = spec["low"], spec["high"], bool(spec.get("log")), spec.get("step")
        is_int = (
            isinstance(low, int)
            and isinstance(high, int)
            and not log
            and isinstance(step if step is not None else 1, int)
        )
        parsed[key] = ("int" if is_int else "float", (float(low), float(high), log, step))
    return parsed


def _suggest(trial, key: str, kind: str, spec):
    if kind == "categorical":
        # Optuna stores choices as JSON-able scalars; lists are chosen by index.
        if all(isinstance(c, (int, float, str, bool)) or c is None for c in spec):
            return trial.suggest_categorical(key, spec)
        return spec[trial.suggest_categorical(key + "#", list(range(len(spec))))]
    low, high, log, step = spec
    if kind == "int":
        return trial.suggest_int(key, int(low), int(high), step=int(step or 1))
    return trial.suggest_float(key, low, high, log=log, step=step)


class Pruning(Callback):
    """Report the validation loss each epoch; stop the trial when the median rule says so."""

    def __init__(self, trial, offset: int = 0):
        self.trial, self.offset = trial, offset

    def on_epoch_end(self, trainer, logs):
        import optuna

        value = logs.get("val_loss", logs["train_loss"])
        self.trial.report(value, self.offset + logs["epoch"])
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def trial_config(base: RunConfig, space: dict, trial) -> RunConfig:
    """The base config with this trial's suggestions set (quiet: no bars, no TensorBoard)."""
    d = copy.deepcopy(base.to_dict())
    d.pop("tune", None)
    for key, (kind, spec) in space.items():
        set_key(d, key, _suggest(trial, key, kind, spec))
    cfg = RunConfig.from_dict(d, given=base.given | set(space))
    return dataclasses.replace(
        cfg,
        train=dataclasses.replace(cfg.train, progress=False, verbosity="quiet", tensorboard=False),
    )


def _objective(base: RunConfig, space: dict, folds: int | None, worker: str | None = None):
    """An experiment per trial (per fold with ``folds``), pruned by the ``Pruning`` callback;
    the value is the best validation loss (the mean held-out loss over folds)."""
    from .crossval import fold_bundles
    from .experiment import Experiment

    def objective(trial):
        if worker is not None:  # a shared study: which worker ran it (its --trials count)
            trial.set_user_attr("worker", worker)
        cfg = trial_config(base, space, trial)
        if not folds:
            with Experiment(cfg).setup() as exp:  # closing gives back the thread count
                history = exp.fit(callbacks=[Pruning(trial)])
            key = "val_loss" if "val_loss" in history[0] else "train_loss"
            return min(h[key] for h in history)
        losses = []
        for k, bundle in fold_bundles(cfg, folds):
            with Experiment(cfg, bundle=bundle, init_seed=cfg.train.seed + k).setup() as exp:
                exp.fit(callbacks=[Pruning(trial, k * exp.cfg.train.epochs)])
                losses.append(exp.trainer_.evaluate(bundle.test)["loss"])
        return sum(losses) / len(losses)

    return objective


def tune(
    cfg: RunConfig | None,
    trials: int,
    folds: int | None = None,
    resume: str | None = None,
    echo=print,
    storage: str | None = None,
    study: str | None = None,
    add_tables: bool = False,
) -> dict:
    """Run (or continue) an Optuna study over ``cfg.tune``; returns the best parameters and
    every trial. Everything is written into one run folder (a ``Run``). With ``storage`` (a
    database URL) the study is shared with every worker naming the same storage and study;
    ``trials`` counts the trials this run folder runs (``tuning_storage``); a database that
    holds other tables is used only with ``add_tables``. With ``resume``
    the run's own config is used (``cfg`` may be None)."""
    from ..run.folder import Run, load_run_config, read_status, require_run
    from ..tracking import RunTracking

    if trials < 1:
        raise ConfigError(i18n.t("error.tuning.trials_must_least", trials=trials))
    saved: dict[str, Any] = {}
    if resume:
        cfg = load_run_config(require_run(resume))
        saved = read_status(resume).get("study") or {}
    elif cfg is None:
        raise TypeError("tune() needs a config, or resume= naming a tune run folder")
    space = parse_space(cfg.tune)
    if not resume:  # the untuned config (and its folds) must be valid before a folder exists
        _check_untuned(cfg, folds)
    shared = _shared_study(cfg, space, saved, storage, study, add_tables)
    t0 = time.perf_counter()
    with (
        Run(
            cfg.output.root,
            f"tune-{cfg.run_name()}",
            cfg.output.dir,
            resume=resume,
            kind="tune",
            **({"study": shared["record"]} if shared else {}),
        ) as run,
        RunTracking(
            cfg, run.path, "tune", resume=bool(resume), extra_keys=tuple(space)
        ) as tracking,
    ):
        if not resume:
            atomic_write_text(run.path / "config.yaml", cfg.to_yaml())
        optuna_study = _run_trials(run, tracking, cfg, space, folds, trials, shared)
        result = _write_results(run.path, cfg, space, optuna_study)
        tracking.finish({"tune/best_val_loss": result["best_value"]}, hparams_dir=None)
        run.complete(duration_s=round(time.perf_counter() - t0, 2), best_value=result["best_value"])
    return result


def _run_trials(
    run, tracking, cfg: RunConfig, space: dict, folds: int | None, trials: int, shared: dict | None
):
    """Run the trials this folder still owes (``trials`` less those its worker has finished)
    on the shared study or the folder's own; returns the Optuna study."""
    optuna_study = shared["study"] if shared else _local_study(run.path, cfg.train.seed)
    worker = shared["record"]["worker"] if shared else None
    done = [
        t
        for t in optuna_study.trials
        if t.state.is_finished() and (worker is None or t.user_attrs.get("worker") == worker)
    ]
    # The study has something to keep once a trial has ended: a first trial that fails on
    # the space's own values (a data file it names, say) leaves no folder behind.
    optuna_study.optimize(
        _objective(cfg, space, folds, worker),
        n_trials=max(0, trials - len(done)),
        show_progress_bar=cfg.train.progress,
        catch=(),
        callbacks=[_trial_ended(run, tracking, cfg, space)],
    )
    return optuna_study


def _check_untuned(cfg: RunConfig, folds: int | None) -> None:
    from .experiment import Experiment

    untuned = RunConfig.from_dict({k: v for k, v in cfg.to_dict().items() if k != "tune"})
    if folds:
        from .crossval import fold_bundles

        _, first = next(fold_bundles(untuned, folds))
        Experiment(untuned, bundle=first).setup().close()
    else:
        Experiment(untuned).setup().close()


def _local_study(run_dir: Path, seed: int):
    from .tuning_storage import open_study

    return open_study(f"sqlite:///{run_dir.resolve() / 'study.db'}", "hakseup", seed, shared=False)


def _shared_study(
    cfg: RunConfig,
    space: dict,
    saved: dict,
    storage: str | None,
    study: str | None,
    add_tables: bool = False,
) -> dict | None:
    """A study in a database (``--storage``, or the one a resumed worker used), opened before
    any folder exists so that a bad URL leaves nothing behind; None for the local file."""
    import uuid

    from .tuning_storage import default_study_name, masked_url, open_study

    url = storage or saved.get("storage")
    if url is None:
        return None
    if storage is None and "***" in url:
        raise ConfigError(i18n.t("error.tuning.run_study_whose", url=url))
    name = study or saved.get("name") or default_study_name(cfg, space)
    worker = saved.get("worker") or uuid.uuid4().hex[:12]
    # Workers must not draw the same samples: the seed is the config's and the worker's.
    seed = (cfg.train.seed + int(worker, 16)) % 2**32
    return {
        "study": open_study(url, name, seed, shared=True, add_tables=add_tables),
        "record": {"storage": masked_url(url), "name": name, "worker": worker},
    }


def _trial_ended(run, tracking, base: RunConfig, space: dict):
    """After each trial this worker ran: the run has something to keep; the trial's HParams
    session and tracker run."""

    def callback(study, trial) -> None:
        run.started()
        value = (
            trial.value
            if trial.value is not None
            else (
                trial.intermediate_values[max(trial.intermediate_values)]
                if trial.intermediate_values
                else None
            )
        )
        metrics = {"tune/val_loss": value} if value is not None else {}
        tracking.trial(
            trial.number,
            trial_config(base, space, trial),
            metrics,
            trial.state.name.lower(),
            trial.params,
        )

    return callback


def _write_results(run_dir: Path, cfg: RunConfig, space: dict, study) -> dict:
    """best_config.yaml, trials.json and the history plot; the result dict."""
    import optuna

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise ConfigError(i18n.t("error.tuning.trial_completed_all"))
    best = study.best_trial
    best_cfg = copy.deepcopy(cfg.to_dict())
    best_cfg.pop("tune", None)
    for key, (_kind, spec) in space.items():
        value = best.params.get(
            key, spec[best.params[key + "#"]] if key + "#" in best.params else None
        )
        set_key(best_cfg, key, value)
    best_cfg["output"]["dir"] = None
    atomic_write_text(run_dir / "best_config.yaml", RunConfig.from_dict(best_cfg).to_yaml())
    rows = []
    for t in study.trials:
        params = {
            k.rstrip("#"): (space[k.rstrip("#")][1][v] if k.endswith("#") else v)
            for k, v in t.params.items()
        }
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "value": t.value,
                "params": params,
                **({"worker": t.user_attrs["worker"]} if "worker" in t.user_attrs else {}),
            }
        )
    atomic_write_json(run_dir / "trials.json", rows)
    _plot_history(run_dir, study)
    return {
        "run_dir": str(run_dir),
        "best_value": best.value,
        "best_params": rows[best.number]["params"],
        "trials": rows,
        "pruned": sum(r["state"] == "pruned" for r in rows),
    }


def _plot_history(run_dir: Path, study) -> None:
    import numpy as np

    from ..evaluation.plots import plot_text, pyplot, save_figure

    plt = pyplot()
    done = [t for t in study.trials if t.value is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    xs = [t.number for t in done]
    ys = [t.value for t in done]
    ax.scatter(xs, ys, s=18, label=plot_text("plot.trial_value"))
    best = np.minimum.accumulate(ys)
    ax.step(xs, best, where="post", color="tab:red", label=plot_text("plot.best_so_far"))
    ax.set_xlabel(plot_text("plot.trial"))
    ax.set_ylabel(plot_text("plot.val_loss"))
    ax.set_title(plot_text("plot.tune_title"))
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, run_dir / "plots" / "optimization_history.png")
