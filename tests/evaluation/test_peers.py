"""The strongest peers as references (``hakseup[peers]``): LightGBM and CatBoost beside
logistic/ridge and HistGradientBoosting for tables, 1-NN and MiniRocket for sequences; the
report names the peers that were not run and how to add them."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from hakseup.config import DataConfig
from hakseup.data.datasets import load_data
from hakseup.evaluation import references
from hakseup.evaluation.references import fit_references, reference_summary


def _table(path, n: int = 300, regression: bool = False):
    g = np.random.default_rng(0)
    colour = g.choice(list("rgbk"), n)
    size = g.normal(size=n)
    signal = size + (colour == "r") * 1.5 - (colour == "k")
    y = signal + g.normal(0, 0.3, n) if regression else np.where(signal > 0.2, "yes", "no")
    pd.DataFrame({"colour": colour, "size": size, "noise": g.normal(size=n), "y": y}
                 ).to_csv(path, index=False)


def _sequences(path, n: int = 80):
    g = np.random.default_rng(1)
    y = g.integers(0, 2, n)
    t = np.arange(30) / 30
    x = np.sin(2 * np.pi * (2 + 4 * y[:, None]) * t + g.uniform(0, 6, (n, 1)))
    x += g.normal(0, 0.2, x.shape)
    df = pd.DataFrame(x, columns=[f"t{i}" for i in range(30)])
    df["label"] = np.where(y == 1, "fast", "slow")
    df.to_csv(path, index=False)


def _bundle(path, target, **kw):
    return load_data(DataConfig(path=str(path), target=target, **kw), seed=0)


@pytest.mark.parametrize("regression", [False, True])
def test_boosted_peers_sit_beside_the_classical_references(tmp_path, regression):
    pytest.importorskip("lightgbm")
    pytest.importorskip("catboost")
    _table(tmp_path / "t.csv", regression=regression)
    bundle = _bundle(tmp_path / "t.csv", "y")
    refs, notices = fit_references(bundle)
    linear = "ridge" if regression else "logistic"
    assert {linear, "hgb", "lightgbm", "catboost"} <= set(refs), refs
    key = "r2" if regression else "accuracy"
    # Real fits on a learnable table: far above the trivial reference.
    trivial = "mean" if regression else "majority"
    assert refs["catboost"][key] > refs[trivial][key] + 0.1
    assert refs["lightgbm"][key] > refs[trivial][key] + 0.1
    assert not any("not run" in n for n in notices)


def test_sequences_get_one_nearest_neighbour_and_minirocket_where_it_imports(tmp_path):
    _sequences(tmp_path / "s.csv")
    bundle = _bundle(tmp_path / "s.csv", "label", layout="sequence")
    refs, notices = fit_references(bundle)
    assert "1nn" in refs and refs["1nn"]["accuracy"] > 0.5
    try:
        import aeon.classification.convolution_based  # noqa: F401
        has_minirocket = True
    except ImportError:
        has_minirocket = False
    if has_minirocket:
        assert refs["minirocket"]["accuracy"] >= 0.9
    else:
        assert "minirocket" not in refs
        assert any("minirocket" in n and "hakseup[peers]" in n for n in notices), notices


def test_without_the_extra_the_report_names_the_peers_not_run(tmp_path, monkeypatch):
    _table(tmp_path / "t.csv")
    bundle = _bundle(tmp_path / "t.csv", "y")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("lightgbm", "catboost")
                        else real(name, *a))
    summary = reference_summary(bundle, {"accuracy": 0.5})
    assert set(summary["metrics"]) == {"majority", "logistic", "hgb"}
    note = [n for n in summary["notices"] if "not run" in n]
    assert len(note) == 1 and "lightgbm, catboost" in note[0] and "hakseup[peers]" in note[0]
    # The verdict compares with the best of what ran.
    assert "logistic" in summary["verdict"] or "hgb" in summary["verdict"]


def test_asking_for_no_references_fits_no_peers(tmp_path):
    _table(tmp_path / "t.csv")
    assert fit_references(_bundle(tmp_path / "t.csv", "y"), "none") == ({}, [])
    assert references.PEERS["table"] == ["lightgbm", "catboost"]
