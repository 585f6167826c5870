"""The one resolution of defaults: the values left at ``auto`` become values chosen from the
data, once, in ``Experiment.setup`` (and for ``--print-config``), by ``resolve``.

``resolve(config, facts)`` returns a new ``RunConfig`` in which no key is ``auto``; the config
it was given is left as it was. What it needs about the data comes in as ``DataFacts`` (the
kind of input, the number of training samples, the model ``model.name: auto`` picks), so this
package never imports ``data`` or ``models``. A value the user gave is never replaced, even
when it equals a generic default: only ``auto`` is resolved (``--epochs 30`` stays 30 on a
sequence problem; ``--epochs auto`` asks for the data's choice). A key no one set is ``auto``
by default. The resolved config is what the run folder saves and ``--print-config`` shows, so
a saved run holds numbers and resolving it again changes nothing.

What ``auto`` becomes (``GENERIC`` unless a rule below applies):

- ``model.name``: the registry's choice for the data (``DataFacts.model``).
- Sequences and series (``train.sequence_defaults``, on by default): batch size, epochs,
  a cosine schedule and gradient clipping from the number of training samples
  (``sequence_train_settings``).
- A table run that starts from ``TABLE_DEFAULTS`` (a CSV, no recipe, model ``auto`` or
  ``tabular``; applied under the user's keys by ``config.load``): epochs from the number of
  rows (``table_epochs``).

The generic defaults (30 epochs, batch 64, a constant learning rate, no clipping) suit a few
thousand table rows; a UCR problem has 30-200 training series, where batch 64 means one step
per epoch and 30 epochs means 30 steps. For sequence data, every training key left at
``auto`` is resolved from the number of training samples — a few hundred optimizer steps in
batches of 16-64, a cosine schedule and gradient clipping (recurrent networks need it; it
costs a convolutional network nothing), the best-validation checkpoint scored — and the
choice is written into the run's saved config and reported. Keys set to any other value are
kept; ``train.sequence_defaults: false`` keeps every generic default.

For sequences (``--layout sequence``, not forecasting windows) with fewer than
``SMALL_SEQUENCES`` training series, two more choices, from the UCR benchmark
(benchmarks/quality_series.py): the checkpoint scored is the one with the lowest *training*
loss (``train.monitor=train_loss``, the protocol of Fawaz et al. 2019: a validation split of
5-30 series picks a checkpoint by noise: on ArrowHead it picked epoch 20 of 150 and scored
0.451, the last epoch 0.749), unless early stopping is asked for; and the ``cnn`` is an
ensemble of ``SEQUENCE_ENSEMBLE`` members (``model.ensemble``), whose mean is steadier than
one network trained on a few dozen series; ``lstm``/``gru`` learn at ``RECURRENT_LR``
(with lr 1e-3 our LSTM on GunPoint ended its 300 steps at a training loss of 0.23, test
0.842 over three seeds; with 0.01 it fits: 0.978). An ``lstm`` on sequences reads each
patch through a learned convolution (``model.stem``: ``RECURRENT_STEM``;
benchmarks/recurrent_stem.py).

Example:
    >>> sequence_train_settings(42)
    {'batch_size': 16, 'epochs': 100, 'scheduler': 'cosine', 'grad_clip': 1.0}
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

from .. import i18n
from .schema import ModelConfig, RunConfig, TrainConfig
from .values import AUTO

__all__ = [
    "GENERIC",
    "RECURRENT_LR",
    "RECURRENT_MAX_STEPS",
    "RECURRENT_PATIENCE",
    "RECURRENT_STEM",
    "stem_for",
    "RECURRENT_STEPS",
    "SEQUENCE_ENSEMBLE",
    "SMALL_SEQUENCES",
    "TABLE_DEFAULTS",
    "TABLE_EPOCHS",
    "TABLE_STEPS",
    "TARGET_STEPS",
    "DataFacts",
    "applies",
    "generic_model",
    "generic_train",
    "recurrent_budget",
    "resolution_notices",
    "resolve",
    "sequence_train_settings",
    "table_epochs",
    "with_table_defaults",
    "with_linear_scaling",
]

TARGET_STEPS = 300  # optimizer steps a small sequence problem gets by default
TABLE_STEPS = 4000  # optimizer steps past which a large table gets fewer epochs
TABLE_EPOCHS = 200  # a table run's epochs (fewer for a large table: table_epochs)
SMALL_SEQUENCES = 1000  # training series below which the choices above are made
SEQUENCE_ENSEMBLE = 4  # cnn members for a small sequence problem
RECURRENT_LR = 0.01  # lstm/gru learning rate for a small sequence problem
RECURRENT_STEPS = 1500  # lstm/gru optimizer steps on a small sequence problem
RECURRENT_MAX_STEPS = 6000  # lstm/gru step cap where the validation loss decides the stop
RECURRENT_PATIENCE = 10  # epochs without a better validation loss before a recurrent run stops
RECURRENT = ("lstm", "gru")
RECURRENT_STEM = "conv"  # what an lstm/gru reads each patch of a sequence with (model.stem)

# What ``auto`` means where the data says nothing more (the digits MLP's settings).
GENERIC: dict[str, Any] = {
    "train.epochs": 30,
    "train.batch_size": 64,
    "train.lr": 1e-3,
    "train.scheduler": "none",
    "train.grad_clip": None,
    "train.monitor": "val_loss",
    "model.ensemble": 1,
}
SEQUENCE_KINDS = ("sequence", "series")


@dataclass(frozen=True)
class DataFacts:
    """What ``resolve`` reads about the loaded data.

    Args:
        input_kind: ``table``, ``sequence``, ``series`` or ``image`` (``Schema.input_kind``).
        n_train: training samples (rows, series or windows).
        model: the model ``model.name: auto`` picks for this data (the registry's
            ``default_model_name``: the registry knows which models exist).
        window, season, horizon: a series' window, season and horizon, as the data layer
            chose them for ``data.window``, ``data.season`` and ``data.horizon`` left unset
            (saved, so that the run is rebuilt with the same inputs from other rows).
    """

    input_kind: str
    n_train: int
    model: str = "mlp"
    window: int | None = None
    season: int | None = None
    horizon: int | None = None
    n_val: int = 0

    @classmethod
    def of(cls, bundle: Any, model: str) -> DataFacts:
        """The facts of a ``DataBundle`` (read by duck typing: ``schema``, ``train`` and, for
        a series, the window its inputs span and the season ``info`` records)."""
        schema = bundle.schema
        if schema.input_kind != "series":
            val = getattr(bundle, "val", None)
            return cls(
                schema.input_kind,
                len(bundle.train),
                model,
                n_val=len(val) if isinstance(val, Sized) else 0,
            )
        season = (getattr(bundle, "info", None) or {}).get("series", {}).get("season")
        return cls(
            schema.input_kind,
            len(bundle.train),
            model,
            window=schema.input_shape[0],
            season=None if season is None else int(season),
            horizon=int(schema.n_outputs),
        )


def resolve(cfg: RunConfig, facts: DataFacts) -> RunConfig:
    """A new config with every ``auto`` value chosen from ``facts`` (see the module doc).

    >>> cfg = RunConfig.from_dict({"train": {"epochs": 30}})
    >>> out = resolve(cfg, DataFacts("sequence", 40, model="cnn"))
    >>> out.train.epochs, out.train.batch_size, out.train.scheduler, out.model.name
    (30, 16, 'cosine', 'cnn')
    >>> cfg.train.batch_size                    # the config given is left as it was
    'auto'
    """
    model = facts.model if cfg.model.name == AUTO else cfg.model.name
    chosen = {**GENERIC, **_choices(cfg, facts, model)}
    values: dict[str, dict[str, Any]] = {"train": {}, "model": {"name": model}, "data": {}}
    for key in ("window", "season", "horizon"):  # None: the data layer's choice, recorded
        if getattr(cfg.data, key) is None and getattr(facts, key) is not None:
            values["data"][key] = getattr(facts, key)
    for key, value in chosen.items():
        section, name = key.split(".")
        if getattr(getattr(cfg, section), name) == AUTO or _unset(cfg, key):
            values[section][name] = value
    if _validation_unread(cfg, facts, values["train"].get("monitor", cfg.train.monitor)):
        values["data"]["val_size"] = 0.0
    new = copy.deepcopy(cfg)  # shares no list or mapping with the config given
    return dataclasses.replace(
        new,
        train=dataclasses.replace(new.train, **values["train"]),
        model=dataclasses.replace(new.model, **values["model"]),
        data=dataclasses.replace(new.data, **values["data"]),
    )


def resolution_notices(cfg: RunConfig, facts: DataFacts) -> list[str]:
    """The report's lines on what the data chose for ``cfg`` (its ``auto`` keys), or none."""
    model = facts.model if cfg.model.name == AUTO else cfg.model.name

    def auto(key: str) -> bool:
        section, name = key.split(".")[:2]
        return getattr(getattr(cfg, section), name) == AUTO or _unset(cfg, key)

    notes = []
    sequence = {k: v for k, v in _sequence_choices(cfg, facts, model).items() if auto(k)}
    if sequence:
        notes.append(
            i18n.t(
                "notice.config.resolve.sequence_settings",
                n_train=facts.n_train,
                settings=", ".join(f"{k.removeprefix('train.')}={v}" for k, v in sequence.items()),
            )
        )
    epochs = _table_epochs_choice(cfg, facts)
    if (
        auto("train.epochs")
        and epochs is not None
        and epochs != TABLE_EPOCHS
        and facts.input_kind == "table"
    ):
        notes.append(
            i18n.t(
                "notice.config.resolve.table_epochs",
                n_train=facts.n_train,
                epochs=epochs,
                steps=TABLE_STEPS,
                default=TABLE_EPOCHS,
            )
        )
    return notes


def generic_train(train: TrainConfig) -> TrainConfig:
    """``train`` with its ``auto`` values at the generic ones: what a ``Trainer`` built
    without an ``Experiment`` (no data known yet) uses.

    >>> generic_train(TrainConfig()).epochs, generic_train(TrainConfig(epochs=3)).epochs
    (30, 3)
    """
    return dataclasses.replace(train, **_generic(train, "train"))


def generic_model(model: ModelConfig) -> ModelConfig:
    """``model`` with its ``auto`` values but the name at the generic ones (a model built
    from a config no data resolved)."""
    return dataclasses.replace(model, **_generic(model, "model"))


def _generic(section: Any, name: str) -> dict[str, Any]:
    return {
        key.split(".")[1]: value
        for key, value in GENERIC.items()
        if key.startswith(name + ".") and getattr(section, key.split(".")[1]) == AUTO
    }


def stem_for(model: str, input_kind: str) -> str:
    """What ``model.stem: auto`` becomes: ``RECURRENT_STEM`` for an lstm on sequences, else
    none. The network's shape, not a training setting: decided by the kind of data alone
    (train.sequence_defaults on or off), here and where a model is built without data.
    Measured on the LSTM (benchmarks/recurrent_stem.py); gru keeps none.

    >>> stem_for("lstm", "sequence"), stem_for("lstm", "series"), stem_for("gru", "sequence")
    ('conv', 'none', 'none')
    """
    return RECURRENT_STEM if model == "lstm" and input_kind == "sequence" else "none"


def _choices(cfg: RunConfig, facts: DataFacts, model: str) -> dict[str, Any]:
    """The data's choice for each key it decides (applied where the key is ``auto``)."""
    out = _sequence_choices(cfg, facts, model)
    out["model.stem"] = stem_for(model, facts.input_kind)
    epochs = _table_epochs_choice(cfg, facts)
    if epochs is not None:
        out["train.epochs"] = epochs
    return out


def _sequence_choices(cfg: RunConfig, facts: DataFacts, model: str) -> dict[str, Any]:
    """Sequences and series: batch size, epochs, schedule and clipping from the data size;
    for a small sequence problem the checkpoint by the training loss (unless early
    stopping, which needs the validation loss, is on), a cnn ensemble and the recurrent
    learning rate."""
    t = cfg.train
    if facts.input_kind not in SEQUENCE_KINDS or not t.sequence_defaults:
        return {}
    out = {f"train.{k}": v for k, v in sequence_train_settings(facts.n_train).items()}
    if facts.input_kind == "sequence" and facts.n_train < SMALL_SEQUENCES:
        if t.patience is None:
            out["train.monitor"] = "train_loss"
        if model == "cnn":
            out["model.ensemble"] = SEQUENCE_ENSEMBLE
        if model in RECURRENT:
            out["train.lr"] = RECURRENT_LR
    if model in RECURRENT and facts.input_kind == "sequence":
        out.update(recurrent_budget(facts.n_train, read_validation="train.monitor" not in out))
    if model == "rocket" and t.lr == AUTO:
        # Rocket's head is solved in closed form (ridge, leave-one-out penalty) before
        # training; fine-tuning it by cross-entropy lost points (ArrowHead 0.76 against the
        # ridge's 0.82): one pass at lr 0, unless a learning rate is given.
        out["train.lr"] = 0.0
        out["train.epochs"] = 1
    return out


def _unset(cfg: RunConfig, key: str) -> bool:
    """A key whose "not given" is ``None`` rather than ``auto`` (``train.patience``: no early
    stopping), left unset by the user: the data's rule may give it a value."""
    return key == "train.patience" and cfg.train.patience is None and not cfg.typed(key)


def _validation_unread(cfg: RunConfig, facts: DataFacts, monitor: Any) -> bool:
    """A small sequence problem whose checkpoint is chosen by the training loss, with nothing
    stopping early: no validation row would be read, so they train instead (``data.val_size``
    0, unless given; on ArrowHead's 36 series, 31 → 36 lifted rocket's test accuracy from
    0.82 to 0.86)."""
    return (
        facts.input_kind == "sequence"
        and facts.n_val > 0
        and cfg.train.sequence_defaults
        and monitor == "train_loss"
        and cfg.train.patience is None
        and not cfg.typed("data.val_size")
    )


def _table_epochs_choice(cfg: RunConfig, facts: DataFacts) -> int | None:
    """A run that started from ``TABLE_DEFAULTS``: its epochs, scaled to a table's rows."""
    if facts.input_kind in SEQUENCE_KINDS or not applies(cfg.to_dict()):
        return None
    if facts.input_kind != "table":
        return TABLE_EPOCHS
    batch = cfg.train.batch_size
    return table_epochs(
        facts.n_train,
        batch if isinstance(batch, int) else GENERIC["train.batch_size"],
        TABLE_EPOCHS,
    )


def sequence_train_settings(n_train: int) -> dict:
    """Batch size, epochs, schedule, clipping and patience for ``n_train`` training samples."""
    batch = int(min(64, max(16, 2 ** math.floor(math.log2(max(n_train, 1) / 4)))))
    steps_per_epoch = math.ceil(n_train / batch)
    epochs = int(min(150, max(10, 20 * math.ceil(TARGET_STEPS / steps_per_epoch / 20))))
    # No early stopping: the run is a few hundred steps, the best-validation checkpoint is
    # what gets scored, and stopping after epochs // 3 without improvement (on 8-10 validation
    # series) cut our LSTM on GunPoint from 0.853 to 0.493 (benchmarks/quality_series.py).
    return {"batch_size": batch, "epochs": epochs, "scheduler": "cosine", "grad_clip": 1.0}


def recurrent_budget(n_train: int, read_validation: bool) -> dict[str, Any]:
    """An LSTM's or GRU's budget on ``n_train`` training sequences (issue 27: at 20 epochs
    our LSTM stopped while its validation loss was still falling).

    Where the checkpoint is chosen by the training loss (a small problem, no validation
    read), ``RECURRENT_STEPS`` optimizer steps under the cosine schedule: on the five UCR
    problems' training files (5-fold inner cross-validation, the test files never read) 1,500
    steps against 300 took our LSTM's mean accuracy from 0.800 to 0.832 (GunPoint 0.76 →
    0.92, ArrowHead 0.67 → 0.70, OSULeaf 0.71 → 0.68, BasicMotions and ItalyPowerDemand
    equal). Where the validation loss is read, the run trains until it stops improving:
    up to ``RECURRENT_MAX_STEPS`` steps, the learning rate divided by ten when the validation
    loss has not improved for half the patience, and an early stop after
    ``RECURRENT_PATIENCE`` epochs without improvement.

    >>> recurrent_budget(40, read_validation=False)
    {'train.epochs': 500}
    >>> recurrent_budget(3000, read_validation=True)
    {'train.epochs': 128, 'train.scheduler': 'plateau', 'train.patience': 10}
    """
    batch = sequence_train_settings(n_train)["batch_size"]
    steps_per_epoch = math.ceil(max(n_train, 1) / batch)
    if not read_validation:
        return {"train.epochs": math.ceil(RECURRENT_STEPS / steps_per_epoch)}
    return {
        "train.epochs": math.ceil(RECURRENT_MAX_STEPS / steps_per_epoch),
        "train.scheduler": "plateau",
        "train.patience": RECURRENT_PATIENCE,
    }


def table_epochs(n_train: int, batch_size: int, epochs: int) -> int:
    """The table default's ``epochs`` for ``n_train`` training rows: all of them up to
    ``TABLE_STEPS`` optimizer steps, fewer past that (at least 20).

    Small tables need many passes (car-evaluation: 0.981 at 40 epochs, 0.993 at 100, 0.995
    at 200 capped at 4,000 steps); a 10,000-row table reaches its best in a few thousand
    steps, and 200 passes of four members would take it past the 30 s a default run may take.

    >>> table_epochs(1200, 64, 200), table_epochs(7000, 64, 200), table_epochs(10**6, 64, 200)
    (200, 37, 20)
    """
    steps_per_epoch = math.ceil(max(n_train, 1) / batch_size)
    return int(min(epochs, max(20, math.ceil(TABLE_STEPS / steps_per_epoch))))


# ------------------------------------------------------------ the defaults a CSV table gets
# The defaults a CSV table gets: what ``hakseup train --data FILE --target COL`` trains when
# the user sets nothing else.
#
# The plain defaults in ``config/schema.py`` were chosen for the offline digits MLP; on small
# real tables they lost to a logistic regression. A run on a table (a CSV, no time column, no
# recipe, the model ``auto`` or ``tabular``) starts from ``TABLE_DEFAULTS`` instead,
# *underneath* the config file, flags and ``--set``: whatever the user sets still wins, and
# ``--print-config`` shows every value. Each value was kept only where
# ``benchmarks/quality.py`` showed it helped across the suite (README, "Defaults for tables").
#
# Example:
#     >>> applies({"data": {"path": "cars.csv"}})
#     True
#     >>> applies({"data": {"path": "prices.csv", "time_col": "Date"}})
#     False

TABLE_DEFAULTS: dict = {
    "model": {
        "hidden": [128, 64],
        "dropout": 0.1,
        "batch_norm": False,
        "ensemble": 4,
        "ridge_blend": True,
    },
    "train": {
        "optimizer": "adamw",
        "lr": 0.001,
        "weight_decay": 0.01,
        "scheduler": "warmup",
        "warmup_epochs": 2,
        "batch_size": 64,
    },  # epochs: auto (TABLE_EPOCHS, scaled)
}


def applies(merged: dict) -> bool:
    """Whether a merged config mapping describes a plain table run (see the module doc)."""
    data, model = merged.get("data"), merged.get("model")
    if not isinstance(data, dict) or not isinstance(model or {}, dict):
        return False  # not a mapping: RunConfig.from_dict says so in one line
    model = model or {}
    return (
        bool(data.get("path"))
        and not data.get("time_col")
        and data.get("layout", "auto") in ("auto", "table", None)
        and model.get("name", "auto") in ("auto", "tabular", None)
    )


def with_linear_scaling(merged: dict) -> dict:
    """``--model linear``: numeric inputs scaled by mean and standard deviation unless a
    scaling is given. The table default (robust scaling, then a smooth clip) bends large
    values, so a linear model would no longer be linear in its inputs, and its equation
    could not be written in the data's units (``run/report.py``'s "Learned:" line).

    >>> with_linear_scaling({"model": {"name": "linear"}})["data"]
    {'scaling': 'standard'}
    """
    model, data = merged.get("model"), merged.get("data", {})
    if (
        isinstance(model, dict)
        and model.get("name") == "linear"
        and isinstance(data, dict)
        and data.get("scaling", "auto") in ("auto", None)
    ):
        merged = {**merged, "data": {**data, "scaling": "standard"}}
    return merged


def with_table_defaults(merged: dict) -> dict:
    """``merged`` on top of ``TABLE_DEFAULTS`` (a new mapping; ``merged`` wins everywhere)."""
    out = copy.deepcopy(TABLE_DEFAULTS)
    for section, values in merged.items():
        if isinstance(values, dict) and isinstance(out.get(section), dict) and section != "tune":
            out[section].update(values)
        else:
            out[section] = values
    return out
