"""The leak guard, calibrated: creditcard.csv's two leaks are named; honest features whose
single-feature accuracy is high but plausible (a tumour's ``worst radius``, penguins', digits'
pixels) are not; the suggested ``--drop`` is shell-quoted."""

from __future__ import annotations

import shlex

import numpy as np
import pandas as pd
import pytest

from hakseup.data.table.checks import leak_findings, leak_messages


def _kinds(df: pd.DataFrame, target: str) -> dict[str, str]:
    return {c: ("numeric" if pd.api.types.is_numeric_dtype(df[c]) else "categorical")
            for c in df.columns if c != target}


def _found(df: pd.DataFrame, target: str, seed: int) -> list[str]:
    """Columns named on a split as ``hakseup train`` draws it (70/15 of the rows)."""
    rows = np.random.default_rng(seed).permutation(len(df))
    n_val = int(0.15 * len(df))
    n_test = int(0.15 * len(df))
    val, train = rows[n_test:n_test + n_val], rows[n_test + n_val:]
    task = "multiclass" if df[target].nunique() > 2 else "binary"
    return [c for c, _ in leak_findings(df, _kinds(df, target), target, task, train, val)]


@pytest.mark.parametrize("seed", range(5))
def test_tumour_measurements_are_plausible_not_leaks(seed):
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    df["target"] = np.where(df["target"] == 1, "benign", "malignant")
    assert _found(df, "target", seed) == []


def test_digits_pixels_are_not_leaks():
    from sklearn.datasets import load_digits

    df = load_digits(as_frame=True).frame
    df["target"] = df["target"].astype(str)
    assert _found(df, "target", 0) == []


@pytest.mark.parametrize("seed", range(3))
def test_creditcard_leaks_are_named_and_penguins_are_clean(shared_data, seed):
    card = pd.read_csv(shared_data / "quality" / "creditcard.csv")
    assert sorted(_found(card, "card", seed)) == ["expenditure", "share"]
    penguins = pd.read_csv(shared_data / "quality" / "penguins.csv")
    assert _found(penguins, "species", seed) == []


def test_a_near_deterministic_leak_in_generated_data_is_named():
    rng = np.random.default_rng(0)
    n = 500
    y = rng.choice(["yes", "no"], n, p=[0.7, 0.3])
    df = pd.DataFrame({"honest": rng.normal(size=n) + (y == "yes"),
                       "spent after": np.where(y == "yes", rng.uniform(1, 9, n), 0.0), "y": y})
    df.loc[:5, "spent after"] = 0.0                       # a few holders spent nothing
    assert _found(df, "y", 0) == ["spent after"]


def test_the_suggested_drop_flag_is_shell_quoted():
    findings = [("worst radius", "x"), ("it's", "y")]
    message = leak_messages(findings, "target")[0]
    flag = message.split("--drop ", 1)[1].rstrip(".")
    assert shlex.split(flag) == ["worst radius,it's"]
    plain = leak_messages([("after", "x")], "y")[0]
    assert "--drop after." in plain                        # a plain name stays unquoted
