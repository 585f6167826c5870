"""Tables done well by default: classical references and their verdict, robust scaling, rare
levels, one-hot/embedding widths, and the table defaults a CSV run starts from."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST
from hakseup.config import DataConfig
from hakseup.config.load import load_config
from hakseup.data.table.preprocess import (EMBEDDING_MAX, OTHER, TablePreprocessor, category_width,
                                   smooth_clip)
from hakseup.data.table.prepare import bundle_from_plan, prepare_table
from hakseup.evaluation import references as R
from hakseup.evaluation.references import (best_reference, fit_references, reference_summary,
                                           reference_verdict)
from hakseup.models.tabular import TabularNet


@pytest.fixture(autouse=True)
def _without_peers(monkeypatch):
    """These tests pin the scikit-learn references; the optional peers (the 'peers' extra:
    LightGBM, CatBoost) have their own tests (tests/evaluation/test_peers.py)."""
    monkeypatch.setattr("hakseup.evaluation.references.peer_models",
                        lambda *args, **kwargs: ({}, []))


def _linear_table(n=400, seed=0, regression=False) -> pd.DataFrame:
    """A target a linear model gets almost right: logistic/ridge must beat the trivial one."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["p", "q", "r"], n)
    score = 2 * a - b + (g == "p") * 1.5
    y = 3 * score + 100 + rng.normal(scale=0.1, size=n) if regression else \
        np.where(score + rng.normal(scale=0.2, size=n) > 0.5, "yes", "no")
    return pd.DataFrame({"a": a, "b": b, "g": g, "y": y})


def _bundle(df, **kw):
    cfg = DataConfig(target="y", **kw)
    return bundle_from_plan(prepare_table(df, cfg), cfg, seed=0)


# ------------------------------------------------------------------ references


def test_references_fit_on_the_bundle_and_beat_the_trivial_one():
    bundle = _bundle(_linear_table())
    refs, notices = fit_references(bundle)
    assert set(refs) == {"majority", "logistic", "hgb"} and notices == []
    # The same keys as the network's metrics, computed on the same test rows.
    assert {"accuracy", "f1_macro", "roc_auc"} <= set(refs["logistic"])
    assert refs["logistic"]["accuracy"] > refs["majority"]["accuracy"] + 0.2
    assert refs["logistic"]["accuracy"] >= 0.9
    assert best_reference(refs, "binary") in ("logistic", "hgb")


def test_regression_references_are_in_the_targets_units():
    bundle = _bundle(_linear_table(regression=True))
    refs, _ = fit_references(bundle)
    assert set(refs) == {"mean", "ridge", "hgb"}
    target_sd = float(np.std(bundle.preprocessor.inverse_target(bundle.test.target.numpy())))
    # The mean's RMSE is the target's spread in its own units (~3·sd(score)), not ~1.
    assert refs["mean"]["rmse"] == pytest.approx(target_sd, rel=0.25)
    # (Smooth clipping bends the numbers a little, so ridge is good but not exact here.)
    assert refs["ridge"]["rmse"] < 0.2 * refs["mean"]["rmse"]
    assert refs["ridge"]["r2"] > 0.95


def test_references_can_be_turned_off_and_skip_forecasts():
    bundle = _bundle(_linear_table())
    assert fit_references(bundle, "none") == ({}, [])
    summary = reference_summary(bundle, {"accuracy": 0.5}, "none")
    assert summary == {"metrics": {}, "verdict": "", "notices": []}


def test_references_subsample_past_the_row_limit_and_say_so(monkeypatch):
    monkeypatch.setattr(R, "MAX_ROWS", 100)
    bundle = _bundle(_linear_table(n=600))
    refs, notices = fit_references(bundle)
    assert len(notices) == 1 and "random 1,000" not in notices[0]
    assert "100" in notices[0] and f"{len(bundle.train)}" in notices[0]
    assert refs["logistic"]["accuracy"] > 0.8       # still a fair reference


@pytest.mark.parametrize("net,word", [(0.99, "beats"), (0.905, "ties with"), (0.80, "loses to")])
def test_verdict_says_beats_ties_or_loses_and_by_how_much(net, word):
    refs = {"majority": {"accuracy": 0.6}, "logistic": {"accuracy": 0.90},
            "hgb": {"accuracy": 0.88}}
    text = reference_verdict({"accuracy": net}, refs, "binary", n_test=1000)
    assert text.startswith(f"The network {word} the best classical reference (logistic)")
    assert f"{abs(net - 0.90) * 100:.1f} points" in text and "1000 test rows" in text


def test_verdict_noise_grows_as_the_test_split_shrinks():
    refs = {"logistic": {"accuracy": 0.90}}
    assert "loses to" in reference_verdict({"accuracy": 0.86}, refs, "binary", n_test=2000)
    assert "ties" in reference_verdict({"accuracy": 0.86}, refs, "binary", n_test=50)


def test_regression_verdict_compares_rmse_lower_is_better():
    refs = {"mean": {"rmse": 10.0}, "ridge": {"rmse": 2.0}, "hgb": {"rmse": 3.0}}
    assert "beats the best classical reference (ridge)" in reference_verdict(
        {"rmse": 1.0}, refs, "regression", n_test=500)
    assert "loses to" in reference_verdict({"rmse": 3.0}, refs, "regression", n_test=500)


# ------------------------------------------------------------------ robust scaling, rare levels


def test_robust_scaling_bounds_outliers_and_centres_on_the_median():
    df = pd.DataFrame({"x": np.r_[np.arange(99.0), 1e6], "flat": np.r_[np.zeros(95), np.ones(5)],
                       "y": np.arange(100.0)})
    pre = TablePreprocessor({"x": "numeric", "flat": "numeric"}, "y", "regression",
                            scaling="robust").fit(df)
    (x_num, _), _ = pre.transform_inputs(df)
    assert pre.means_["x"] == pytest.approx(49.5)          # the median, not the mean (~10^4)
    assert float(x_num[:, 0].abs().max()) <= 3.0             # the outlier is clipped smoothly
    assert float(x_num[-2, 0]) > 1.0                         # ... while ordinary values spread
    assert pre.stds_["flat"] == pytest.approx(np.std(df["flat"]))   # IQR 0: the std instead
    z = np.linspace(-0.3, 0.3, 7)
    np.testing.assert_allclose(smooth_clip(z), z, atol=3e-3)     # the identity near 0


def test_rare_levels_share_one_other_level_and_unknowns_stay_unknown():
    levels = ["a"] * 50 + ["b"] * 40 + ["r1", "r2", "r3"]
    df = pd.DataFrame({"c": levels, "y": np.arange(len(levels)) % 2})
    pre = TablePreprocessor({"c": "categorical"}, "y", "binary", min_count=5).fit(df)
    assert pre.vocab_["c"] == ["a", "b", OTHER] and pre.other_["c"] == ["r1", "r2", "r3"]
    new = pd.DataFrame({"c": ["r1", "r3", "a", "never-seen"], "y": [0, 1, 0, 1]})
    (_, x_cat), stats = pre.transform_inputs(new)
    codes = x_cat[:, 0].tolist()
    assert codes[0] == codes[1] == 3 and codes[2] == 1 and codes[3] == 0
    assert stats["unknown"] == {"c": 1}                      # only the unseen level


def test_a_preprocessor_saved_before_these_options_loads_unchanged():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 100.0], "c": ["a", "a", "b", "z"], "y": [0, 1, 0, 1]})
    new = TablePreprocessor({"x": "numeric", "c": "categorical"}, "y", "binary").fit(df)
    old = new.to_dict()
    for key in ("scaling", "min_count", "other_"):          # what an older run folder lacks
        old.pop(key)
    loaded = TablePreprocessor.from_dict(old)
    assert loaded.scaling == "standard" and loaded.min_count == 1
    (x_num, _), _ = loaded.transform_inputs(df)
    np.testing.assert_allclose(x_num[:, 0].numpy(), (df["x"] - df["x"].mean()) / df["x"].std(
        ddof=0), rtol=1e-5)


def test_table_bundles_use_robust_scaling_and_report_folded_levels():
    df = _linear_table()
    df.loc[:5, "g"] = [f"rare{i}" for i in range(6)]
    bundle = _bundle(df)
    assert bundle.preprocessor.scaling == "robust" and bundle.preprocessor.min_count == 5
    assert any("'(other)'" in n for n in bundle.info["notices"])
    assert "one-hot" in bundle.info["summary"]["categorical encoding (tabular model)"]


# ------------------------------------------------------------------ model widths


def test_few_levels_are_one_hot_and_embeddings_are_capped():
    assert category_width(4) == ("one-hot", 4)
    assert category_width(301) == ("embedding", EMBEDDING_MAX)
    assert category_width(12)[0] == "embedding" and category_width(12)[1] <= EMBEDDING_MAX
    assert category_width(4, embedding_dim=3) == ("embedding", 3)


def test_tabular_net_mixes_one_hot_and_embedded_columns():
    torch.manual_seed(0)
    net = TabularNet(n_numeric=2, cardinalities=[4, 300], hidden=[16], n_outputs=3)
    assert len(net.embeddings) == 1 and net.embeddings[0].embedding_dim == EMBEDDING_MAX
    assert net.body[0].in_features == 2 + 4 + EMBEDDING_MAX
    x_cat = torch.stack([torch.randint(0, 4, (8,)), torch.randint(0, 300, (8,))], 1)
    out = net(torch.randn(8, 2), x_cat)
    out.sum().backward()
    assert out.shape == (8, 3) and net.embeddings[0].weight.grad is not None
    # A different level of the one-hot column changes the output (it is not ignored).
    net.eval()
    other = x_cat.clone()
    other[:, 0] = (other[:, 0] + 1) % 4
    assert not torch.allclose(net(torch.zeros(8, 2), x_cat), net(torch.zeros(8, 2), other))


# ------------------------------------------------------------------ table defaults


def test_a_csv_table_starts_from_the_table_defaults_and_flags_still_win(tmp_path):
    from hakseup.config.resolve import TABLE_DEFAULTS

    cfg = load_config(flags={"data.path": str(tmp_path / "t.csv")})
    for key, value in TABLE_DEFAULTS["train"].items():
        assert getattr(cfg.train, key) == value
    cfg = load_config(flags={"data.path": "t.csv", "train.optimizer": "sgd",
                             "train.epochs": 3})
    assert cfg.train.optimizer == "sgd" and cfg.train.epochs == 3
    assert cfg.train.scheduler == TABLE_DEFAULTS["train"]["scheduler"]


@pytest.mark.parametrize("flags", [{"data.path": "s.csv", "data.time_col": "date"},
                                   {"data.path": "s.csv", "model.name": "mlp"},
                                   {"data.dataset": "line"}])
def test_table_defaults_leave_series_other_models_and_datasets_alone(flags):
    from hakseup.config.resolve import TABLE_DEFAULTS

    cfg = load_config(flags=flags)
    assert (cfg.train.optimizer, cfg.train.scheduler) != (
        TABLE_DEFAULTS["train"]["optimizer"], TABLE_DEFAULTS["train"]["scheduler"])


# ------------------------------------------------------------------ end to end


def test_train_records_references_in_metrics_report_and_terminal(tmp_path, cli):
    _linear_table().to_csv(tmp_path / "t.csv", index=False)
    code, out, _ = cli("train", "--data", tmp_path / "t.csv", "--target", "y", *FAST,
                       "--output", tmp_path / "r")
    assert code == 0
    saved = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert set(saved["references"]["metrics"]) == {"majority", "logistic", "hgb"}
    assert saved["references"]["verdict"].startswith("The network ")
    assert saved["references"]["verdict"] in out and "logistic" in out
    report = (tmp_path / "r" / "report.md").read_text()
    assert "| metric | model | majority class | logistic | hgb | model vs baseline |" in report
    code, out, _ = cli("train", "--data", tmp_path / "t.csv", "--target", "y", *FAST,
                       "--references", "none", "--output", tmp_path / "r2")
    assert code == 0
    assert json.loads((tmp_path / "r2" / "metrics.json").read_text())["references"][
        "metrics"] == {}


def test_cv_scores_references_on_every_fold(tmp_path, cli):
    _linear_table(n=200, regression=True).to_csv(tmp_path / "t.csv", index=False)
    code, out, _ = cli("cv", "--data", tmp_path / "t.csv", "--target", "y", "--folds", "3",
                       *FAST, "--output", tmp_path / "cv")
    assert code == 0 and "ridge" in out
    result = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert len(result["references_folds"]) == 3
    assert result["references_mean"]["ridge"]["r2"] > 0.95
    assert result["reference_verdict"].startswith("The network ")


# ------------------------------------------------------------------ leak guard, imbalance


def test_a_feature_that_alone_predicts_the_target_is_named_with_the_drop_flag():
    from hakseup.data.table.checks import leak_findings, leak_messages

    df = _linear_table(n=400)
    rng = np.random.default_rng(1)
    df["after"] = np.where(df["y"] == "yes", rng.uniform(1, 5, len(df)), 0.0)   # the leak
    kinds = {"a": "numeric", "b": "numeric", "g": "categorical", "after": "numeric"}
    rows = np.arange(400)
    found = leak_findings(df, kinds, "y", "binary", rows[:300], rows[300:])
    assert [c for c, _ in found] == ["after"]
    (message,) = leak_messages(found, "y")
    assert "'after'" in message and "--drop after" in message


def test_regression_leak_is_a_near_perfect_correlation():
    from hakseup.data.table.checks import leak_findings

    df = _linear_table(n=300, regression=True)
    df["copy"] = df["y"] * 2 + np.random.default_rng(0).normal(scale=0.01, size=len(df))
    kinds = {"a": "numeric", "b": "numeric", "copy": "numeric"}
    rows = np.arange(300)
    assert [c for c, _ in leak_findings(df, kinds, "y", "regression", rows[:200],
                                        rows[200:])] == ["copy"]


def test_creditcard_expenditure_and_share_trigger_the_leak_guard(shared_data):
    cfg = DataConfig(path=str(shared_data / "quality" / "creditcard.csv"), target="card")
    df = pd.read_csv(cfg.path)
    with pytest.warns(UserWarning, match="--drop"):
        bundle = bundle_from_plan(prepare_table(df, cfg), cfg, seed=0)
    assert sorted(bundle.info["leaks"]) == ["expenditure", "share"]
    assert any("--drop" in n and "'expenditure'" in n for n in bundle.info["notices"])


def test_no_leak_is_reported_for_honest_features(shared_data):
    cfg = DataConfig(path=str(shared_data / "quality" / "penguins.csv"), target="species")
    bundle = bundle_from_plan(prepare_table(pd.read_csv(cfg.path), cfg), cfg, seed=0)
    assert "leaks" not in bundle.info


def test_a_dominant_class_gets_a_notice_and_balanced_metrics():
    from sklearn.metrics import average_precision_score, balanced_accuracy_score

    from hakseup.data.table.checks import balance_message
    from hakseup.metrics import classification_metrics

    assert balance_message({"no": 85, "yes": 15}, "y").startswith("Class 'no' holds 85.0%")
    assert balance_message({"no": 70, "yes": 30}, "y") is None
    y = np.array([0] * 8 + [1] * 2)
    proba = np.c_[np.linspace(0.9, 0.3, 10), np.linspace(0.1, 0.7, 10)]
    m = classification_metrics(y, proba)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, proba.argmax(1)))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, proba[:, 1]))
    assert m["per_class_recall"] == [pytest.approx(v) for v in (6 / 8, 1.0)]
    assert m["per_class_support"] == [8, 2]


def test_a_training_batch_of_one_row_does_not_break_batch_norm():
    torch.manual_seed(0)
    net = TabularNet(n_numeric=3, cardinalities=[4], hidden=[8], n_outputs=2).train()
    out = net(torch.randn(1, 3), torch.zeros(1, 1, dtype=torch.long))
    out.sum().backward()                                   # gradients still flow
    assert out.shape == (1, 2) and net.training
    assert all(m.training for m in net.modules())          # back in training mode
