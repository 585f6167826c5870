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

Example:
    >>> sequence_train_settings(42)
    {'batch_size': 16, 'epochs': 100, 'scheduler': 'cosine', 'grad_clip': 1.0}
"""

from __future__ import annotations

import math

from .. import i18n

__all__ = ["sequence_train_settings", "apply_sequence_defaults", "TARGET_STEPS",
           "table_epochs", "apply_table_epochs", "TABLE_STEPS"]

TARGET_STEPS = 300          # optimizer steps a small sequence problem gets by default
TABLE_STEPS = 3000          # optimizer steps past which a large table gets fewer epochs


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
    if not changed:
        return []
    return [i18n.t("notice.models.auto_train.sequence_settings", n_train=n_train,
                   settings=", ".join(f"{k}={v}" for k, v in changed.items()))]


def table_epochs(n_train: int, batch_size: int, epochs: int) -> int:
    """The table default's ``epochs`` for ``n_train`` training rows: all of them up to
    ``TABLE_STEPS`` optimizer steps, fewer past that (at least 20).

    Small tables need many passes (car-evaluation: 0.981 at 40 epochs, 0.993 at 100); a
    10,000-row table reaches its best in a few thousand steps, and 100 passes of four
    members would take it past the 30 s a default run may take.

    >>> table_epochs(1200, 64, 100), table_epochs(7000, 64, 100), table_epochs(10**6, 64, 100)
    (100, 28, 20)
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
