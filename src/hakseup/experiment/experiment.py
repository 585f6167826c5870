"""One experiment, start to finish: config → data → model → trainer → evaluation → run folder.

``Experiment`` owns one config, its data, its model and one ``Trainer``: it resolves the
``auto`` choices once, seeds, loads the data, validates, fits and scores. ``train`` puts one
in a ``Run`` (the run folder's lifecycle); ``cv`` uses one per fold, ``tune`` one per trial,
``lr-find`` one with a sweep callback, ``evaluate`` and ``predict`` one rebuilt from a run.

Example:
    >>> from hakseup.config import RunConfig
    >>> cfg = RunConfig.from_dict({"train": {"epochs": 2, "verbosity": "quiet"}})
    >>> exp = Experiment(cfg).setup()
    >>> history = exp.fit()
    >>> metrics, baseline_name, _ = exp.score()
    >>> len(history), metrics["accuracy"] > 0.8, baseline_name
    (2, True, 'majority class')
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..data.bundle import DataBundle
from ..errors import CheckpointError, DamagedRunError
from ..i18n import t
from ..run.folder import Run, load_run_config, read_status, require_run
from ..run.result import RunResult

if TYPE_CHECKING:
    from ..data.bundle import Schema

__all__ = [
    "Experiment",
    "RunResult",
    "train",
    "train_config",
    "resume_point",
    "run_callbacks",
    "resolve_config",
    "load_trained",
]


class Experiment:
    """One config, its data, its model and one trainer.

    Args:
        cfg: the run's config; ``setup`` replaces it by the resolved config (every ``auto``
            value chosen from the data: ``config.resolve``), a new object.
        callbacks: the user's callbacks, added to every ``fit``.
        bundle: data already loaded (a cross-validation fold); else ``setup`` loads it.
        init_seed: the seed the model's weights are drawn with (default ``cfg.train.seed``).

    Fitted state ends in ``_``: ``bundle_``, ``model_``, ``trainer_``, ``history_``.
    """

    # Set by ``from_run`` (an experiment rebuilt from a run folder), not by ``setup``.
    schema_: Schema
    preprocessor_: Any
    run_dir_: Path

    def __init__(
        self,
        cfg: RunConfig,
        callbacks: list | None = None,
        bundle: DataBundle | None = None,
        init_seed: int | None = None,
    ):
        if not isinstance(cfg, RunConfig):  # a YAML path or dict, checked; else one line
            from ..config.api import as_run_config

            cfg = as_run_config(cfg, "hakseup.Experiment")
        from ..errors import check_type
        from ..training.callbacks import check_callbacks

        check_callbacks(callbacks, "hakseup.Experiment")
        check_type(
            bundle,
            (DataBundle, type(None)),
            "hakseup.Experiment",
            "bundle",
            "a hakseup.DataBundle (load_data)",
        )
        self.cfg, self.callbacks, self.bundle, self.init_seed = cfg, callbacks, bundle, init_seed

    def setup(self) -> Experiment:
        """Seed, load the data, build the model and trainer, and validate them (a dry run):
        every user error surfaces here, before anything is written."""
        from ..data.datasets import load_data
        from ..training.device import seed_everything
        from ..training.threads import ThreadPolicy

        cfg = self.cfg
        # Before the first operator: loading the data gets one thread (or the user's);
        # ``_build`` refines it once the model's size is known.
        self.threads_ = ThreadPolicy(cfg.train.threads).start()
        try:
            seed_everything(cfg.train.seed if self.init_seed is None else self.init_seed)
            self.bundle_ = (
                self.bundle if self.bundle is not None else load_data(cfg.data, seed=cfg.train.seed)
            )
            # The one resolution of the config's ``auto`` values, now that the data is known:
            # a new config, used (and saved) from here on; nothing writes into it afterwards.
            self.cfg, notices = resolve_config(cfg, self.bundle_, self.bundle is not None)
            if self.cfg.data.val_size != cfg.data.val_size:
                # Resolution gave the validation rows to training (nothing would read them):
                # the data is split again as the resolved config says, so a resume splits alike.
                n_val = len(self.bundle_.val)
                self.bundle_ = load_data(self.cfg.data, seed=cfg.train.seed)
                notices.append(t("notice.experiment.validation_rows_train", n_val=n_val))
            self.bundle_.info.setdefault("notices", []).extend(notices)
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def _choose_threads(self):
        """The run's threads from its model and batch (``training.threads``), applied before
        training; the DataLoader workers, ``train.workers`` unless left to the rule."""
        from ..data.bundle import first_samples, is_lazy
        from ..training.threads import measure_work

        inputs, _ = first_samples(self.bundle_.train)
        work = measure_work(self.model_, inputs, self.cfg.train.batch_size)
        choice = self.threads_.refine(work, lazy=is_lazy(self.bundle_.train))
        if self.cfg.train.workers is not None:
            choice.workers = self.cfg.train.workers
        return choice

    def _build(self) -> None:
        """The model and trainer for the loaded data, validated (``setup``'s second half)."""
        from ..evaluation.threshold import check_metric
        from ..models.registry import build_model
        from ..training.trainer import Trainer

        cfg = self.cfg
        check_metric(cfg.evaluation.metric, self.bundle_.schema)
        self.model_ = build_model(cfg.model, self.bundle_.schema)
        describe = getattr(self.model_, "describe_inputs", None)  # the encoding it built
        if describe is not None:
            self.bundle_.info.setdefault("summary", {}).update(describe(self.bundle_.schema))
        self.threads_choice_ = self._choose_threads()
        self.trainer_ = Trainer(cfg.train, callbacks=self.callbacks)
        self.trainer_.validate(self.model_, self.bundle_)
        self.history_: list[dict] = []

    def close(self) -> None:
        """Give the process back its thread count (a notebook is left as it was).
        ``with Experiment(cfg) as exp:`` closes."""
        if getattr(self, "threads_", None) is not None:
            self.threads_.restore()

    def __enter__(self) -> Experiment:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fit(self, resume: str | Path | None = None, callbacks: list | None = None):
        """Train (continuing from the checkpoint folder ``resume``); returns the history."""
        self.history_ = self.trainer_.fit(
            self.model_, self.bundle_, resume=resume, callbacks=callbacks
        )
        return self.history_

    def restore_best(self, checkpoints: Path) -> str:
        """Load the best checkpoint's weights when there is one; which weights are in use."""
        from ..training.checkpoint import load_weights

        best = Path(checkpoints) / "best"
        if not best.exists():
            return "last"
        self.model_.load_state_dict(load_weights(best))
        return "best"

    def fit_blend(self, checkpoint: Path | None = None) -> dict | None:
        """Once the final weights are in place: a tabular regression model's ridge blend
        (``models.tabular_blend``), solved on the training rows and weighed on the validation
        rows; with ``checkpoint``, that checkpoint's weights are rewritten with it."""
        from ..models.tabular_blend import fit_ridge_blend
        from ..training.checkpoint import replace_weights

        info = fit_ridge_blend(self.model_, self.bundle_)
        if info is not None:
            self.bundle_.info["ridge_blend"] = {"weight": info["weight"], "alpha": info["alpha"]}
            if checkpoint is not None and checkpoint.exists():
                replace_weights(checkpoint, self.model_.state_dict())
        return info

    def score(self, split: str = "test") -> tuple[dict, str, dict]:
        """(metrics, baseline name, baseline metrics) on a split, in original units. For a
        binary task with ``evaluation.metric`` f1 or balanced_accuracy, the decision threshold
        is first chosen on the validation rows (``evaluation.threshold``)."""
        from ..evaluation.scoring import score
        from ..evaluation.threshold import tune_threshold

        tune_threshold(self.model_, self.bundle_, self.cfg.evaluation.metric)
        return score(self.model_, self.bundle_, split)

    def references(self, metrics: dict, seed: int | None = None, pending=None) -> dict:
        """The classical references (majority/mean, linear, gradient-boosted trees) fitted on
        exactly this experiment's training rows and preprocessing, scored on its test rows,
        with the verdict on ``metrics`` (``evaluation.references.reference_summary``).
        ``pending``: ``start_references``' (read back from the cache when it holds them)."""
        from ..evaluation.references import reference_summary, reference_verdict

        if pending is None:
            return reference_summary(
                self.bundle_,
                metrics,
                self.cfg.evaluation.references,
                self.cfg.train.seed if seed is None else seed,
            )
        refs, notices = pending.result()
        verdict = (
            reference_verdict(metrics, refs, self.bundle_.schema.task, len(self.bundle_.test))
            if refs
            else ""
        )
        return {"metrics": refs, "verdict": verdict, "notices": notices}

    def start_references(self, seed: int | None = None):
        """The references read back from the cache, or to be fitted when
        ``references(..., pending=...)`` collects them."""
        from ..evaluation.references_cache import PendingReferences

        return PendingReferences(
            self.bundle_,
            self.cfg.evaluation.references,
            self.cfg.train.seed if seed is None else seed,
            cache_dir=self.cfg.data.cache_dir,
        )

    @classmethod
    def from_run(cls, run: str | Path, checkpoint: str = "best") -> Experiment:
        """The experiment a run folder holds: its config, schema, fitted preprocessing and
        trained weights (the data is loaded only when asked for: ``load_data()``)."""
        from ..data.bundle import Schema
        from ..data.preprocessing import load_preprocessor
        from ..models.registry import build_model
        from ..run.check import check_run
        from ..training.checkpoint import load_weights

        run_dir = require_run(run)
        check_run(run_dir)  # every file typed and sized before anything is built from it
        exp = cls(load_run_config(run_dir))
        try:
            exp.schema_ = Schema.from_dict(json.loads((run_dir / "schema.json").read_text()))
            exp.preprocessor_ = load_preprocessor(
                json.loads((run_dir / "preprocessing.json").read_text())
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise DamagedRunError(
                run, t("error.experiment.schema_json_preprocessing", e=e)
            ) from None
        # Its own weights follow (not the pretrained ones it started from).
        exp.cfg = dataclasses.replace(
            exp.cfg, model=dataclasses.replace(exp.cfg.model, pretrained=False, weights=None)
        )
        exp.model_ = build_model(exp.cfg.model, exp.schema_)
        folder = run_dir / "checkpoints" / checkpoint
        if not folder.exists() and checkpoint == "best":
            folder = run_dir / "checkpoints" / "last"
        try:
            exp.model_.load_state_dict(load_weights(folder))
        except RuntimeError as e:
            raise DamagedRunError(
                run,
                t("error.experiment.weights_fit_model", folder=folder, e=str(e).splitlines()[0]),
            ) from None
        exp.model_.eval()
        exp.run_dir_ = run_dir
        return exp

    def load_data(self) -> DataBundle:
        """The data of the config (rebuilt from its saved settings and seed)."""
        from ..data.datasets import load_data

        self.bundle_ = load_data(self.cfg.data, seed=self.cfg.train.seed)
        saved = getattr(self, "schema_", None) if getattr(self, "run_dir_", None) else None
        if saved is not None and tuple(saved.input_shape) != tuple(self.bundle_.schema.input_shape):
            raise DamagedRunError(
                self.run_dir_,
                t(
                    "error.experiment.rebuilt_shape",
                    rebuilt=tuple(self.bundle_.schema.input_shape),
                    saved=tuple(saved.input_shape),
                ),
            )
        return self.bundle_


def resolve_config(
    cfg: RunConfig, bundle: DataBundle, split_given: bool = False
) -> tuple[RunConfig, list[str]]:
    """The config with every ``auto`` value chosen from ``bundle`` (a new object), and the
    report's lines on those choices: ``config.resolve`` told about the data and about the
    model ``model.name: auto`` picks for it. ``split_given``: the bundle's split is the
    caller's (a cv fold, a tuning trial), so its validation rows are not resolution's to move."""
    from ..config.resolve import DataFacts, resolution_notices, resolve
    from ..models.registry import default_model_name

    _warn_unread_keys(cfg, bundle.schema.input_kind)
    facts = DataFacts.of(bundle, default_model_name(bundle.schema))
    if split_given:
        facts = dataclasses.replace(facts, n_val=0)
    return resolve(cfg, facts), resolution_notices(cfg, facts)


def _warn_unread_keys(cfg: RunConfig, input_kind: str) -> None:
    """A key this kind of data never reads (``--horizon`` on a table): one warning line."""
    import warnings

    from ..config.kinds import unread_keys

    unread = unread_keys(cfg, input_kind)
    if unread:
        warnings.warn(
            t(
                "warn.config.keys_not_read",
                keys=", ".join(unread),
                kind=t(f"data_kind.{input_kind}")
                if input_kind in ("table", "series", "sequence", "image")
                else input_kind,
            ),
            stacklevel=3,
        )


def run_callbacks(cfg: RunConfig, run_dir: Path | None, rank: int = 0) -> list:
    """The callbacks a run folder needs, chosen by the config (only rank 0 writes; the
    trainer adds the progress bar itself)."""
    from ..training.callbacks import EarlyStopping, ModelCheckpoint
    from ..training.loggers import GPUStats, MetricsLogger, TensorBoardLogger

    t = cfg.train
    if rank != 0:  # other ranks take the same decisions, and write nothing
        return [EarlyStopping(t.monitor, t.patience)] if t.patience else []
    if run_dir is None:
        raise ValueError("run_callbacks: rank 0 writes into the run folder, run_dir is needed")
    cbs = [
        MetricsLogger(run_dir / "metrics.jsonl"),
        ModelCheckpoint(
            run_dir / "checkpoints", monitor=t.monitor, every_n_steps=t.checkpoint_every
        ),
    ]
    if t.tensorboard:
        cbs.append(TensorBoardLogger(run_dir / "tb"))
    if t.patience:
        cbs.append(EarlyStopping(t.monitor, t.patience))
    if t.device in ("auto", "cuda"):
        cbs.append(GPUStats())  # does nothing unless training runs on CUDA
    return cbs


def train(
    cfg: RunConfig | None = None,
    resume: str | Path | None = None,
    echo=print,
    callbacks: list | None = None,
    stage_data: Path | None = None,
) -> RunResult:
    """Train and evaluate one model, writing a complete run folder.

    With ``resume`` (a run folder), the run's saved config is used and training continues
    from its last checkpoint; the result equals an uninterrupted run's. ``callbacks`` are
    added to the run's own (checkpoints, metrics, progress...). The result holds the trained
    ``model``, the data ``bundle`` and the ``history``. ``stage_data``: the CSV that
    ``cfg.data.path`` names was made for this run (``hakseup.fit`` of a DataFrame or arrays):
    it moves into the run folder as ``data.csv`` and the saved config points there.
    """
    t0 = time.perf_counter()
    cfg = _checked_arguments(cfg, resume, callbacks)
    resume_dir = None
    if resume is not None:  # the saved run's config: it also names the device (the backend)
        resume_dir, cfg = resume_point(resume)
    return train_config(cfg, resume_dir, echo, callbacks, stage_data, t0)


def resume_point(resume: str | os.PathLike) -> tuple[Path, RunConfig]:
    """(run folder, the config it was trained with) of a run to resume: its files checked
    (a damaged or hand-edited run: one line, before anything is built), not yet complete."""
    from ..run.check import check_run_files

    resume_dir = require_run(resume)
    check_run_files(resume_dir)
    if read_status(resume_dir).get("status") == "complete":
        raise CheckpointError(t("error.experiment.run_already_complete", resume=resume))
    return resume_dir, load_run_config(resume_dir)


def train_config(
    cfg: RunConfig,
    resume_dir: Path | None = None,
    echo=print,
    callbacks: list | None = None,
    stage_data: Path | None = None,
    t0: float | None = None,
) -> RunResult:
    """``train`` behind its door: ``cfg`` is a checked ``RunConfig`` (the CLI's, built from
    its flags; ``train``'s, from its arguments) and ``resume_dir`` a ``resume_point``."""
    from ..training.distributed import init_distributed, shutdown

    t0 = time.perf_counter() if t0 is None else t0
    rank, world = init_distributed(cfg.train.device)
    exp = None
    try:
        exp = Experiment(cfg, callbacks).setup()  # every user error before a folder exists
        if rank != 0:
            return _train_other_rank(exp, rank)
        return _train_in_run(exp, resume_dir, echo, t0, stage_data)
    finally:
        if exp is not None:
            exp.close()  # the process's thread count back (setup restores it if it fails)
        if world > 1:
            shutdown()


def _checked_arguments(cfg: Any, resume: Any, callbacks: Any) -> RunConfig:
    """``hakseup.train``'s arguments at the door: the config (a ``RunConfig``, a dict, a YAML
    file's path), ``resume`` a path, ``callbacks`` a list of ``Callback``."""
    from ..config.api import as_run_config
    from ..errors import check_type
    from ..training.callbacks import check_callbacks

    check_type(
        resume, (str, os.PathLike, type(None)), "hakseup.train", "resume", "a run folder's path"
    )
    check_callbacks(callbacks, "hakseup.train")
    return as_run_config(cfg, "hakseup.train")


def _train_other_rank(exp: Experiment, rank: int) -> RunResult:
    from ..training.distributed import barrier

    exp.fit(callbacks=run_callbacks(exp.cfg, None, rank))
    barrier()
    return RunResult(
        Path(exp.cfg.output.dir or "."),
        {},
        "",
        {},
        exp.history_,
        exp.bundle_.schema,
        rank=rank,
        model=exp.model_,
        bundle=exp.bundle_,
    )


def _adopt_data(run_dir: Path, cfg: RunConfig, staged: Path) -> RunConfig:
    """Move a CSV made for this run into its folder; the config returned names it there."""
    import shutil

    dest = run_dir / "data.csv"
    shutil.move(str(staged), dest)
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, path=str(dest.resolve())))


def _train_in_run(
    exp: Experiment, resume_dir: Path | None, echo, t0: float, stage_data: Path | None = None
) -> RunResult:
    """Rank 0's run: open the run folder, start it, fit, score on the best weights, complete it."""
    from ..tracking import RunTracking, scalar_metrics

    cfg, bundle = exp.cfg, exp.bundle_
    with (
        Run(
            cfg.output.root,
            cfg.run_name(),
            cfg.output.dir,
            resume=resume_dir,
            kind="train",
            dataset="data.csv" if stage_data else cfg.data.path or cfg.data.dataset,
            model=cfg.model.name,
            task=bundle.schema.task,
        ) as run,
        RunTracking(cfg, run.path, "train", resume=resume_dir is not None) as tracking,
    ):
        _start_run(exp, run.path, resume_dir, stage_data, echo)
        run.started()
        _fit_in_run(exp, run.path, resume_dir, tracking.callbacks, echo)
        result = _score_run(exp, run.path, t0)
        tracking.finish(scalar_metrics(result.metrics, "test"))  # HParams view; the tracker
        key, value = result.main_metric
        run.complete(
            duration_s=round(time.perf_counter() - t0, 2),
            main_metric={key: value},
            epochs=len(result.logs),
        )
    return result


def _start_run(
    exp: Experiment, run_dir: Path, resume_dir: Path | None, stage_data: Path | None, echo
) -> None:
    """A new run's first files (a staged CSV moved in, config, schema, threads); on a resumed
    run the folder already has them. The thread choice is said when verbose."""
    from ..run.report import write_start_files

    threads = exp.threads_choice_
    if resume_dir is None:
        if stage_data is not None:
            exp.cfg = _adopt_data(run_dir, exp.cfg, stage_data)
        write_start_files(
            run_dir, exp.cfg, exp.bundle_, exp.trainer_.device, threads=threads.to_dict()
        )
    if exp.cfg.train.verbosity == "verbose":
        echo(
            t(
                "train.threads",
                intra=threads.intra_op,
                inter=threads.applied["inter_op"],
                workers=threads.workers,
                reason=threads.reason,
            )
        )


def _fit_in_run(
    exp: Experiment, run_dir: Path, resume_dir: Path | None, tracking_callbacks: list, echo
) -> None:
    """Fit, from the run's last checkpoint when resuming (if one was written); an interrupt
    says where the run folder is (to resume it) and goes on up."""
    from ..training.distributed import barrier

    last = run_dir / "checkpoints" / "last"
    has_last = last.exists() or last.with_name("last.prev").exists()
    try:
        exp.fit(
            resume=last if resume_dir is not None and has_last else None,
            callbacks=run_callbacks(exp.cfg, run_dir) + tracking_callbacks,
        )
    except KeyboardInterrupt:
        echo(t("train.interrupted", path=run_dir))
        raise
    barrier()


def _score_run(exp: Experiment, run_dir: Path, t0: float) -> RunResult:
    """The fitted run's result: test metrics on the best checkpoint (by the monitored validation
    metric), if any, next to the baselines and references; its outputs written to the folder."""
    from ..run.report import write_run_outputs

    used = exp.restore_best(run_dir / "checkpoints")
    exp.fit_blend(run_dir / "checkpoints" / used)
    metrics, base_name, base = exp.score()
    result = RunResult(
        run_dir,
        metrics,
        base_name,
        base,
        exp.history_,
        exp.bundle_.schema,
        model=exp.model_,
        bundle=exp.bundle_,
        checkpoint=used,
        data_config=exp.cfg.data,
        config=exp.cfg,
    )
    result.references = exp.references(metrics, pending=exp.start_references())
    write_run_outputs(run_dir, exp.cfg, exp.trainer_, result, time.perf_counter() - t0)
    return result


def load_trained(run: str | Path, checkpoint: str = "best"):
    """(config, schema, preprocessor, model with trained weights) of a run folder."""
    exp = Experiment.from_run(run, checkpoint)
    return exp.cfg, exp.schema_, exp.preprocessor_, exp.model_
