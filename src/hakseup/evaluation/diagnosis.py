"""What the curves and the data say, in plain words: overfitting (and what early stopping did),
underfitting, a learning rate too high, class imbalance, too little data for the model's size,
and the classical references' verdict. Each check reads only the history and counts it is
given, so it is tested on synthetic histories.

Example:
    >>> h = [{"epoch": e, "train_loss": 1 / e, "val_loss": v}
    ...      for e, v in enumerate([0.9, 0.6, 0.5, 0.55, 0.62, 0.7], start=1)]
    >>> [f.kind for f in diagnose(h, planned_epochs=6)]
    ['overfitting']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import Section, t

__all__ = [
    "Finding",
    "diagnose",
    "SMALLER",
    "overfitting",
    "underfitting",
    "lr_too_high",
    "imbalance",
    "too_little_data",
    "THRESHOLDS",
    "TEXT",
]

# When a pattern is worth a sentence. Relative changes, so they hold for any loss's scale.
THRESHOLDS = {
    "overfit_rise": 0.05,  # validation loss ends >= 5 % above its lowest value
    "still_improving": 0.01,  # the loss fell >= 1 % over the last fifth of the epochs
    "spike": 1.5,  # an epoch's training loss >= 1.5x the lowest one before it,
    "spike_share": 0.25,  # and up by >= 25 % of what the loss had fallen until then
    "imbalance_ratio": 3.0,  # largest class >= 3x the smallest one (training rows)
    "params_per_row": 50.0,  # parameters per training row
    "min_epochs": 3,  # fewer epochs tell nothing about a curve's shape
    "fitted": 1e-3,  # training loss <= this share of its first epoch's: the
}  # rows are fitted, more epochs are no advice

# The flag that makes each model kind smaller (``too_little_data``); a model not named here
# gets the advice without a flag (--hidden changes nothing for an LSTM, a ResNet or LeNet).
SMALLER = {
    "mlp": "--hidden 32",
    "tabular": "--hidden 32",
    "lstm": "--set model.hidden_size=32",
    "gru": "--set model.hidden_size=32",
    "cnn": "--set model.channels=[16,32]",
}

# Every sentence, from the message catalog (``diagnosis.*`` in hakseup/i18n/*.json), read
# when a run is diagnosed so it follows the language chosen.
TEXT = Section("diagnosis")


@dataclass
class Finding:
    kind: str  # overfitting | underfitting | lr_too_high | imbalance | small_data | ...
    text: str


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _finite(values: list) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _series(history: list[dict], key: str) -> list[float] | None:
    values = [h.get(key) for h in history]
    if not history or any(v is None for v in values):
        return None
    return [v for v in values if v is not None]


def overfitting(
    history: list[dict],
    planned_epochs: int | None = None,
    patience: int | None = None,
    checkpoint: str = "best",
) -> list[Finding]:
    """The validation loss turned up while the training loss kept falling."""
    val, train = _series(history, "val_loss"), _series(history, "train_loss")
    if (
        val is None
        or train is None
        or len(val) < THRESHOLDS["min_epochs"]
        or not (_finite(val) and _finite(train))
    ):
        return []
    b = min(range(len(val)), key=val.__getitem__)
    last = len(val) - 1
    rise = (val[last] - val[b]) / max(abs(val[b]), 1e-12)
    if b == last or rise < THRESHOLDS["overfit_rise"] or train[last] >= train[b]:
        return []
    epoch = [h.get("epoch", i + 1) for i, h in enumerate(history)]
    words = [
        TEXT["overfitting"].format(
            best=epoch[b],
            best_val=_fmt(val[b]),
            last_val=_fmt(val[last]),
            last=epoch[last],
            best_train=_fmt(train[b]),
            last_train=_fmt(train[last]),
        )
    ]
    if patience and planned_epochs and epoch[last] < planned_epochs:
        words.append(
            TEXT["stopped"].format(
                last=epoch[last], planned=planned_epochs, patience=patience, best=epoch[b]
            )
        )
    else:
        at = t("words.at_epoch", epoch=epoch[b]) if checkpoint == "best" else ""
        words.append(TEXT["no_stopping"].format(checkpoint=checkpoint, at=at))
    return [Finding("overfitting", " ".join(words))]


def underfitting(history: list[dict], planned_epochs: int | None = None) -> list[Finding]:
    """The loss (validation, else training) was still falling at the last epoch — unless the
    training loss is already about 0 (a thousandth of its first value): a model that fits its
    training rows gains nothing from more epochs, whatever a falling 8e-8 says."""
    what = "validation" if _series(history, "val_loss") is not None else "training"
    loss = _series(history, "val_loss" if what == "validation" else "train_loss")
    if loss is None or len(loss) < THRESHOLDS["min_epochs"] or not _finite(loss):
        return []
    train = _series(history, "train_loss")
    if train and _finite(train) and abs(train[-1]) <= THRESHOLDS["fitted"] * abs(train[0]):
        return []
    k = max(1, len(loss) // 5)
    before, after = loss[-1 - k], loss[-1]
    if (
        after > min(loss)
        or (before - after) / max(abs(before), 1e-12) < THRESHOLDS["still_improving"]
    ):
        return []
    epoch = [h.get("epoch", i + 1) for i, h in enumerate(history)]
    suggest = 2 * (planned_epochs or epoch[-1])
    return [
        Finding(
            "underfitting",
            TEXT["underfitting"].format(
                what=t(f"words.{what}"),
                before=_fmt(before),
                before_epoch=epoch[-1 - k],
                after=_fmt(after),
                last=epoch[-1],
                suggest=suggest,
            ),
        )
    ]


def lr_too_high(history: list[dict], lr: float | None = None) -> list[Finding]:
    """Non-finite losses, or training-loss spikes well above the lowest loss before them."""
    lr_text = _fmt(lr) if lr else t("words.as_set")
    lower = _fmt(lr / 10) if lr else t("words.a_tenth")
    for what, key in (("training", "train_loss"), ("validation", "val_loss")):
        for i, h in enumerate(history):
            v = h.get(key)
            if isinstance(v, (int, float)) and not math.isfinite(v):
                return [
                    Finding(
                        "lr_too_high",
                        TEXT["non_finite"].format(
                            what=t(f"words.{what}"),
                            value=v,
                            epoch=h.get("epoch", i + 1),
                            lr=lr_text,
                            lower=lower,
                        ),
                    )
                ]
    train = _series(history, "train_loss")
    if train is None or len(train) < THRESHOLDS["min_epochs"]:
        return []
    spikes, low = [], train[0]
    for i in range(1, len(train)):
        # A jump that undoes a real part of the progress; a wobble near zero loss is noise.
        fallen = train[0] - low
        if (
            train[i] >= THRESHOLDS["spike"] * low
            and train[i] > train[i - 1]
            and train[i] - low >= THRESHOLDS["spike_share"] * fallen
        ):
            spikes.append(i)
        low = min(low, train[i])
    if not spikes:
        return []
    epochs = [history[i].get("epoch", i + 1) for i in spikes]
    peak = max(train[i] for i in spikes)
    return [
        Finding(
            "lr_too_high",
            TEXT["spikes"].format(
                epochs=", ".join(map(str, epochs[:8])),
                peak=_fmt(peak),
                low=_fmt(min(train[: spikes[0]])),
                lr=lr_text,
                lower=lower,
            ),
        )
    ]


def imbalance(
    class_counts: list[int] | None,
    class_names: list[str] | None = None,
    balanced_accuracy: float | None = None,
) -> list[Finding]:
    """The largest class holds several times the rows of the smallest (training rows)."""
    if not class_counts or len(class_counts) < 2 or min(class_counts) <= 0:
        return []
    names = class_names or [str(i) for i in range(len(class_counts))]
    big = max(range(len(class_counts)), key=class_counts.__getitem__)
    small = min(range(len(class_counts)), key=class_counts.__getitem__)
    ratio = class_counts[big] / class_counts[small]
    if ratio < THRESHOLDS["imbalance_ratio"]:
        return []
    balanced = t("words.here", value=balanced_accuracy) if balanced_accuracy is not None else ""
    return [
        Finding(
            "imbalance",
            TEXT["imbalance"].format(
                big=names[big],
                n_big=class_counts[big],
                small=names[small],
                n_small=class_counts[small],
                ratio=ratio,
                balanced=balanced,
            ),
        )
    ]


def too_little_data(
    n_params: int | None, n_rows: int | None, model: str | None = None
) -> list[Finding]:
    """Many parameters per training row: a model able to memorise its rows. The advice names
    the flag that shrinks ``model`` (``SMALLER``), or none where no flag does."""
    if not n_params or not n_rows:
        return []
    per_row = n_params / n_rows
    if per_row < THRESHOLDS["params_per_row"]:
        return []
    smaller = SMALLER.get(model or "mlp")
    how = t("diagnosis.smaller_flag", flag=smaller) if smaller else ""
    return [
        Finding(
            "small_data",
            TEXT["small_data"].format(params=n_params, rows=n_rows, per_row=per_row, how=how),
        )
    ]


def diagnose(
    history: list[dict],
    *,
    planned_epochs: int | None = None,
    patience: int | None = None,
    checkpoint: str = "best",
    lr: float | None = None,
    class_counts: list[int] | None = None,
    class_names: list[str] | None = None,
    balanced_accuracy: float | None = None,
    n_params: int | None = None,
    n_rows: int | None = None,
    verdict: str | None = None,
    model: str | None = None,
) -> list[Finding]:
    """Every finding that applies, most urgent first (``model``: the model's name, for advice
    that only some models can take)."""
    found = lr_too_high(history, lr)
    found += overfitting(history, planned_epochs, patience, checkpoint)
    if not found:  # a diverging or overfitting run is not "still improving"
        found += underfitting(history, planned_epochs)
    found += imbalance(class_counts, class_names, balanced_accuracy)
    found += too_little_data(n_params, n_rows, model)
    if verdict:
        found.append(Finding("references", TEXT["references"].format(verdict=verdict)))
    return found
