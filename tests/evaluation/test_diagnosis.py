"""The plain-words diagnosis: each finding triggers on the history that shows it, and stays
silent on one that does not (synthetic histories; no training)."""

from __future__ import annotations

import math

from hakseup.evaluation.diagnosis import (diagnose, imbalance, lr_too_high, overfitting,
                                          too_little_data, underfitting)


def history(train, val=None):
    rows = []
    for i, t in enumerate(train):
        row = {"epoch": i + 1, "train_loss": t}
        if val is not None:
            row["val_loss"] = val[i]
        rows.append(row)
    return rows


FALLING = [1.0, 0.7, 0.5, 0.4, 0.33, 0.29, 0.26, 0.24, 0.23, 0.22]
U_SHAPED = [1.0, 0.75, 0.6, 0.52, 0.5, 0.51, 0.54, 0.58, 0.63, 0.69]
FLAT = [1.0, 0.6, 0.45, 0.40, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39]


def test_overfitting_names_the_turn_and_what_early_stopping_did():
    h = history(FALLING[:8], U_SHAPED[:8])
    (f,) = overfitting(h, planned_epochs=30, patience=3)
    assert f.kind == "overfitting"
    assert "epoch 5" in f.text and "epoch 8" in f.text       # lowest at 5, risen by 8
    assert "Early stopping ended training at epoch 8 of 30" in f.text
    (g,) = overfitting(history(FALLING, U_SHAPED), planned_epochs=10, patience=None)
    assert "Early stopping was off" in g.text and "--patience" in g.text


def test_overfitting_silent_when_validation_keeps_falling_or_training_rises_too():
    assert overfitting(history(FALLING, [v + 0.05 for v in FALLING])) == []
    assert overfitting(history(U_SHAPED, U_SHAPED)) == []   # both turned up: not overfitting
    assert overfitting(history(FALLING)) == []               # no validation split
    small_wiggle = FLAT[:-1] + [0.395]                       # 1 % up: noise, not a turn
    assert overfitting(history(FALLING, small_wiggle)) == []


def test_underfitting_suggests_more_epochs_only_while_still_improving():
    (f,) = underfitting(history(FALLING, FALLING), planned_epochs=10)
    assert f.kind == "underfitting" and "--epochs 20" in f.text
    assert underfitting(history(FALLING, FLAT), planned_epochs=10) == []
    assert underfitting(history(FALLING, U_SHAPED)) == []
    assert underfitting(history(FALLING[:2], FALLING[:2])) == []   # too short to tell
    (g,) = underfitting(history(FALLING))                           # no validation: training
    assert "training loss" in g.text


def test_learning_rate_too_high_on_spikes_or_non_finite_values():
    spiky = [1.0, 0.6, 0.5, 1.4, 0.7, 0.55, 1.2, 0.6]
    (f,) = lr_too_high(history(spiky), lr=0.5)
    assert f.kind == "lr_too_high" and "epoch(s) 4, 7" in f.text and "--lr 0.05" in f.text
    (g,) = lr_too_high(history(FALLING[:3] + [math.nan]), lr=1.0)
    assert "nan" in g.text and "epoch 4" in g.text
    (k,) = lr_too_high(history(FALLING, FALLING[:5] + [math.inf] + FALLING[6:]), lr=0.1)
    assert "validation" in k.text and "inf" in k.text
    assert lr_too_high(history(FALLING, FALLING), lr=0.001) == []
    assert lr_too_high(history([1.0, 0.5, 0.55, 0.5, 0.48])) == []   # a 10 % wobble
    near_zero = [2.3, 0.4, 0.1, 0.05, 0.03, 0.05, 0.02]                # 0.03 → 0.05: noise
    assert lr_too_high(history(near_zero)) == []


def test_imbalance_and_too_little_data():
    (f,) = imbalance([900, 40], ["ok", "fraud"], balanced_accuracy=0.61)
    assert "'ok' has 900" in f.text and "'fraud' 40" in f.text and "0.6100" in f.text
    assert imbalance([500, 480, 520], ["a", "b", "c"]) == []
    assert imbalance(None) == []
    (g,) = too_little_data(n_params=120_000, n_rows=200)
    assert g.kind == "small_data" and "120,000 parameters for 200" in g.text
    assert too_little_data(n_params=17_000, n_rows=1_257) == []       # digits' MLP is fine


def test_diagnose_orders_and_combines_findings():
    found = diagnose(history(FALLING, U_SHAPED), planned_epochs=10, class_counts=[90, 10],
                     n_params=10_000, n_rows=100, verdict="The network beats the references.")
    assert [f.kind for f in found] == ["overfitting", "imbalance", "small_data", "references"]
    assert [f.kind for f in diagnose(history(FALLING, FALLING), planned_epochs=10)] == \
        ["underfitting"]
    assert diagnose(history(FALLING, FLAT), planned_epochs=10) == []
