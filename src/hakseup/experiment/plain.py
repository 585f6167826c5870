"""``hakseup code RUN``: the plain PyTorch behind a run, as one standalone script.

The script holds the Dataset (the same file, the same split), the preprocessing (the saved
statistics written inline), the model class written out as plain ``nn.Module`` code, the
optimiser and schedule, the training loop and the evaluation; it imports only torch, numpy
and pandas (Pillow for image files), never hakseup. Run on the CPU with the run's threads,
it retraces the run: the same initial weights, batches and updates, so the same test metric.

Where a split was drawn at random (stratified holdouts of tables and images), re-deriving it
would need scikit-learn's shuffling: the split is saved as ``split.json`` in the run folder
and the script reads it. A time series' chronological split is a few constants.

Example:
    >>> from hakseup.experiment.plain import write_plain_script  # doctest: +SKIP
    >>> write_plain_script("runs/<id>", "train_plain.py")       # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import t
from . import plain_parts as P
from .plain_parts import py_dict, py_list

__all__ = [
    "EMITTABLE",
    "plain_script",
    "write_plain_script",
    "SCRIPT_NAME",
    "SPLIT_NAME",
    "py_dict",
    "py_list",
]

SCRIPT_NAME = "train_plain.py"
SPLIT_NAME = "split.json"
# What can be written: (the kind of data, the model family).
EMITTABLE = {
    ("digits", "mlp"),
    ("image folder", "mlp"),
    ("image folder", "cnn"),
    ("table", "tabular"),
    ("table", "mlp"),
    ("series", "dlinear"),
    ("series", "lstm"),
    ("digits", "lstm"),
}


@dataclass
class RunFacts:
    """What a script is written from: the run folder's saved files and its data."""

    run: Path
    cfg: Any  # the resolved RunConfig
    schema: Any
    pre: dict  # preprocessing.json
    kind: str  # digits | image folder | table | series
    model: str
    threads: int
    device: str
    metric: str
    metric_value: float
    split: dict = field(default_factory=dict)  # what split.json holds
    extra: dict = field(default_factory=dict)  # kind-specific facts (series constants)


# ----------------------------------------------------------------------------- reading a run


def read_run(run: str | os.PathLike) -> RunFacts:
    """The facts of a completed run folder, or a one-line error when no script can be
    written for it (naming the kinds that can)."""
    from ..data.bundle import Schema
    from ..metrics import MAIN_METRIC
    from ..run.check import check_run_files

    path = Path(run)
    kind = (_dig(_read_json(path / "run.json"), "kind") or "train") if path.is_dir() else "train"
    if kind != "train":  # a cv, tune or lr-find folder: no single trained model
        raise ConfigError(t("error.experiment.plain.not_a_training_run", path=path, kind=kind))
    cfg, _, _ = check_run_files(run)
    schema = Schema.from_dict(json.loads((path / "schema.json").read_text(encoding="utf-8")))
    pre = json.loads((path / "preprocessing.json").read_text(encoding="utf-8"))
    kind = _data_kind(cfg, schema)
    model = cfg.model.name
    if (kind, model) not in EMITTABLE:
        raise ConfigError(
            t("error.experiment.plain.cannot_write", model=model, kind=kind, choices=_choices())
        )
    _check_settings(cfg)
    env = _read_json(path / "environment.json")
    test = _dig(_read_json(path / "metrics.json"), "metrics") or {}
    metric = MAIN_METRIC.get(schema.task, "accuracy")
    reported = _number(_dig(test, metric))
    # A forecast's reported metric may be the statistical ensemble's: the network's own
    value = _number(_dig(test, "network", metric)) if schema.task == "forecast" else reported
    rule = _dig(test, "forecast_rule", "name")
    threads = (
        _dig(env, "threads", "applied", "intra_op")
        or _dig(env, "torch_threads")
        or (cfg.train.threads if isinstance(cfg.train.threads, int) else 1)
    )
    device = "cuda" if str(_dig(env, "device") or "cpu").startswith("cuda") else "cpu"
    return RunFacts(
        path,
        cfg,
        schema,
        pre,
        kind,
        model,
        int(threads),
        device,
        metric,
        value,
        extra={
            "reported": {
                "reported": f"{reported:.4f}",
                "rule": rule if isinstance(rule, str) else "the network",
            }
        },
    )


def _dig(d, *keys):
    """``d[k1][k2]...``, or None where a level is missing or not a dict (a damaged file)."""
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _number(value) -> float:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else math.nan
    )


def _choices() -> str:
    return ", ".join(f"{m} ({k})" for k, m in sorted(EMITTABLE))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _data_kind(cfg, schema) -> str:
    if schema.input_kind == "image":
        if cfg.data.dataset == "digits" and not cfg.data.path:
            return "digits"
        return "image folder" if cfg.data.path and Path(cfg.data.path).is_dir() else "image"
    return schema.input_kind


def _check_settings(cfg) -> None:
    """Settings the scripts do not write out yet: one line naming the setting."""
    tr, data = cfg.train, cfg.data
    unsupported = [
        ("train.precision", tr.precision != "32"),
        ("train.class_weight", tr.class_weight != "none"),
        ("train.loss", tr.loss not in ("auto", "cross_entropy", "mse", "mae", "huber")),
        ("data.augment", bool(data.augment)),
        ("data.test_path", bool(data.test_path)),
        ("train.monitor", tr.monitor != "val_loss"),
        ("model.numeric_embedding", cfg.model.numeric_embedding != "none"),
    ]
    if cfg.model.name == "lstm":
        unsupported += [
            ("model.bidirectional", bool(cfg.model.bidirectional)),
            ("model.patch", cfg.model.patch not in (0, 1)),
        ]
    for key, bad in unsupported:
        if bad:
            raise ConfigError(t("error.experiment.plain.setting_not_written", key=key))


# ----------------------------------------------------------------------------- the script


def plain_script(facts: RunFacts, split_file: Path, script_name: str = SCRIPT_NAME) -> str:
    """The whole script's text for ``facts`` (``split_file``: where split.json is read)."""
    from .plain_data import data_section
    from .plain_model import model_section

    cfg = facts.cfg
    what = f"{facts.model} on {cfg.data.path or cfg.data.dataset} ({facts.kind})"
    extra_deps = " (and Pillow, to decode the images)" if facts.kind == "image folder" else ""
    whose = "of the run's network" if facts.schema.task == "forecast" else "the run reported"
    intro = textwrap.fill(
        f"Written by `hakseup code` from the run folder {facts.run.resolve()}. It trains the "
        "same model on the same split, with the same preprocessing, seed and batches, and "
        f"prints the test {facts.metric} {whose} ({facts.metric_value:.4f}). It "
        f"imports only torch, numpy and pandas{extra_deps}, not hakseup.",
        width=92,
        break_long_words=False,
        break_on_hyphens=False,
    )
    parts = [
        P.HEADER.substitute(
            run_name=facts.run.name,
            what=what,
            intro=intro,
            metric=facts.metric,
            script_name=script_name,
        ),
        P.SETTINGS.substitute(
            seed=cfg.train.seed,
            epochs=cfg.train.epochs,
            batch_size=cfg.train.batch_size,
            lr=repr(float(cfg.train.lr)),
            shuffle=cfg.train.shuffle,
            drop_last=cfg.train.drop_last,
            threads=facts.threads,
            device=facts.device,
        ),
        data_section(facts, split_file),
        model_section(facts),
        loop_section(facts),
        score_section(facts),
        P.SAVE,
    ]
    return "".join(parts)


def loop_section(facts: RunFacts) -> str:
    """Loss, optimiser, schedule and the epochs."""
    from .plain_train import clip_code, loss_code, optimizer_code, patience_code, schedule_code

    cfg, schema = facts.cfg, facts.schema
    per_step, per_epoch, build = schedule_code(cfg.train)
    classes = schema.is_classification
    n_out = schema.n_outputs
    return P.LOOP.substitute(
        loss_code=loss_code(cfg, schema),
        optimizer_code=optimizer_code(cfg.train),
        scheduler_code=build,
        step_schedule=per_step,
        epoch_schedule=per_epoch,
        clip_code=clip_code(cfg.train),
        patience_code=patience_code(cfg.train),
        target_shape="(B,) class indices" if classes else f"(B, {n_out}) scaled values",
        output_shape=f"(B, {n_out})",
    )


def score_section(facts: RunFacts) -> str:
    value = f"{facts.metric_value:.4f}"
    if facts.schema.task == "forecast":
        return P.FORECAST_SCORE.substitute(metric_value=value, **facts.extra["reported"])
    if facts.schema.is_classification:
        return P.CLASS_SCORE.substitute(n_outputs=facts.schema.n_outputs, metric_value=value)
    return P.REGRESSION_SCORE.substitute(metric_value=value)


# ----------------------------------------------------------------------------- writing


def write_plain_script(
    run: str | os.PathLike, output: str | os.PathLike | None = None, force: bool = False
) -> tuple[str, Path | None]:
    """Write the script of ``run`` to ``output`` (default ``RUN/train_plain.py``; ``-``: no
    file, the text is returned for stdout) and the split it reads to ``RUN/split.json``.
    An existing file is replaced only when it already holds this very script, or with
    ``force``. Returns (the script, the path written or None)."""
    from ..io.files import atomic_write_json, atomic_write_text
    from .plain_data import collect_split

    facts = read_run(run)
    collect_split(facts)
    split_file = facts.run / SPLIT_NAME
    target = None if str(output) == "-" else Path(output or facts.run / SCRIPT_NAME)
    text = plain_script(
        facts, split_file.resolve(), target.name if target is not None else SCRIPT_NAME
    )
    if target is not None and target.exists() and not force:
        if target.is_dir() or target.read_text(encoding="utf-8", errors="replace") != text:
            raise ConfigError(t("error.experiment.plain.output_exists", path=target))
    if facts.split:
        atomic_write_json(split_file, facts.split)
    if target is not None:
        atomic_write_text(target, text)
    return text, target
