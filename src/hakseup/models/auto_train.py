"""Training settings resolved from the data, for sequence models.

The generic defaults (30 epochs, batch 64, a constant learning rate, no clipping) suit a few
thousand table rows; a UCR problem has 30-200 training series, where batch 64 means one step
per epoch and 30 epochs means 30 steps. For sequence data, every training key still at its
generic default is resolved here from the number of training samples — a few hundred
optimizer steps in batches of 16-64, a cosine schedule and gradient clipping (recurrent
networks need it; it costs a convolutional network nothing), the best-validation checkpoint
scored — and the choice is
written into the run's saved config and reported. Keys set to any other value are kept;
``train.sequence_defaults: false`` keeps every generic default.

For sequences (``--layout sequence``, not forecasting windows) with fewer than
``SMALL_SEQUENCES`` training series, two more choices, from the UCR benchmark
(benchmarks/quality_series.py): the checkpoint scored is the one with the lowest *training*
loss (``train.monitor=train_loss``, the protocol of Fawaz et al. 2019: a validation split of
5-30 series picks a checkpoint by noise: on ArrowHead it picked epoch 20 of 150 and scored
0.451, the last epoch 0.749), unless early stopping is asked for; and the ``cnn`` is an
ensemble of ``SEQUENCE_ENSEMBLE`` members (``model.ensemble``), whose mean is steadier than
one network trained on a few dozen series; ``lstm``/``gru`` learn at ``RECURRENT_LR``
(with lr 1e-3 our LSTM on GunPoint ended its 300 steps at a training loss of 0.23, test
0.842 over three seeds; with 0.01 it fits: 0.978).

Example:
    >>> sequence_train_settings(42)
    {'batch_size': 16, 'epochs': 100, 'scheduler': 'cosine', 'grad_clip': 1.0}
"""

from __future__ import annotations

import math

from .. import i18n

__all__ = ["sequence_train_settings", "apply_sequence_defaults", "TARGET_STEPS",
           "table_epochs", "apply_table_epochs", "TABLE_STEPS", "SMALL_SEQUENCES",
           "SEQUENCE_ENSEMBLE", "RECURRENT_LR"]

TARGET_STEPS = 300          # optimizer steps a small sequence problem gets by default
TABLE_STEPS = 4000          # optimizer steps past which a large table gets fewer epochs
SMALL_SEQUENCES = 1000      # training series below which the choices above are made
SEQUENCE_ENSEMBLE = 4       # cnn members for a small sequence problem
RECURRENT_LR = 0.01         # lstm/gru learning rate for a small sequence problem


def sequence_train_settings(n_train: int) -> dict:
    """Batch size, epochs, schedule, clipping and patience for ``n_train`` training samples."""
    batch = int(min(64, max(16, 2 ** math.floor(math.log2(max(n_train, 1) / 4)))))
    steps_per_epoch = math.ceil(n_train / batch)
    epochs = int(min(150, max(10, 20 * math.ceil(TARGET_STEPS / steps_per_epoch / 20))))
    # No early stopping: the run is a few hundred steps, the best-validation checkpoint is
    # what gets scored, and stopping after epochs // 3 without improvement (on 8-10 validation
    # series) cut our LSTM on GunPoint from 0.853 to 0.493 (benchmarks/quality_series.py).
    return {"batch_size": batch, "epochs": epochs, "scheduler": "cosine", "grad_clip": 1.0}


def apply_sequence_defaults(cfg, schema, n_train: int) -> list[str]:
    """Set the train keys still at their generic defaults (sequence data only); returns a
    notice for the report, or nothing."""
    t = cfg.train
    if schema.input_kind not in ("sequence", "series") or not getattr(t, "sequence_defaults",
                                                                      True):
        return []
    generic = type(t)()
    changed = {}
    for key, value in sequence_train_settings(n_train).items():
        if getattr(t, key) == getattr(generic, key):
            setattr(t, key, value)
            changed[key] = value
    if schema.input_kind == "sequence" and n_train < SMALL_SEQUENCES:
        changed.update(_small_sequence_choices(cfg, generic))
    if cfg.model.name == "rocket" and t.lr == generic.lr:
        # Rocket's head is solved in closed form (ridge, leave-one-out penalty) before
        # training; fine-tuning it with cross-entropy lost 3-10 points on ArrowHead (0.76
        # against 0.82 for the ridge), so the Trainer makes one pass at lr 0 unless --lr asks.
        t.lr = changed["lr"] = 0.0
        if "epochs" in changed:
            t.epochs = changed["epochs"] = 1
    if not changed:
        return []
    return [i18n.t("notice.models.auto_train.sequence_settings", n_train=n_train,
                   settings=", ".join(f"{k}={v}" for k, v in changed.items()))]


def _small_sequence_choices(cfg, generic) -> dict:
    """The checkpoint by the training loss (unless early stopping is on, which needs the
    validation loss), a cnn ensemble and the recurrent learning rate, for keys still at
    their generic defaults."""
    changed = {}
    t, m = cfg.train, cfg.model
    if t.monitor == generic.monitor and t.patience is None:
        t.monitor = changed["monitor"] = "train_loss"
    if m.name == "cnn" and m.ensemble == type(m)().ensemble:
        m.ensemble = changed["model.ensemble"] = SEQUENCE_ENSEMBLE
    if m.name in ("lstm", "gru") and t.lr == generic.lr:
        t.lr = changed["lr"] = RECURRENT_LR
    return changed


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


def apply_table_epochs(cfg, schema, n_train: int) -> list[str]:
    """Scale the table default's epochs to the data (tables only, the epochs still the
    table default's); returns a notice for the report, or nothing."""
    from ..data.table_defaults import TABLE_DEFAULTS

    default = TABLE_DEFAULTS["train"]["epochs"]
    if schema.input_kind != "table" or cfg.train.epochs != default:
        return []
    epochs = table_epochs(n_train, cfg.train.batch_size, default)
    if epochs == default:
        return []
    cfg.train.epochs = epochs
    return [i18n.t("notice.models.auto_train.table_epochs", n_train=n_train, epochs=epochs,
                   steps=TABLE_STEPS, default=default)]
