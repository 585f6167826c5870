"""The table options beyond the defaults: quantile scaling, class weights and label smoothing,
a decision threshold chosen on validation rows for --metric, the wide linear path, and the
best epoch's weights restored in every fit (cv's folds as train's checkpoint)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST
from hakseup.config import DataConfig
from hakseup.data.bundle import Schema
from hakseup.data.table.preprocess import TablePreprocessor, quantile_knots
from hakseup.data.table.prepare import bundle_from_plan, prepare_table
from hakseup.metrics import classification_metrics
from hakseup.evaluation.threshold import choose_threshold, threshold_score
from hakseup.models.tabular import TabularNet
from hakseup.training.callbacks import BestWeights
from hakseup.training.losses import class_weights, loss_function


def _rare_table(n=600, seed=0) -> pd.DataFrame:
    """A binary target with 10 % positives that two features separate only roughly."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    score = 1.5 * a + b + rng.normal(scale=1.0, size=n)
    y = np.where(score > np.quantile(score, 0.9), "yes", "no")
    return pd.DataFrame({"a": a, "b": b, "y": y})


# ------------------------------------------------------------------ quantile scaling


def test_quantile_scaling_keeps_a_spike_at_zero_a_step_and_is_monotone():
    rng = np.random.default_rng(0)
    v = np.r_[np.zeros(300), rng.lognormal(4, 1, 700)]          # 30 % exact zeros
    xs, zs = quantile_knots(v)
    z = np.interp(np.array([0.0, 0.5, 50.0, 1e6]), xs, zs)
    # Robust scaling puts 0 and 0.5 within 0.01 of each other; the quantile map keeps the
    # zeros apart from the smallest positive values, and bounds the outlier.
    assert z[1] - z[0] > 0.05 and np.all(np.diff(z) >= 0) and abs(z[3]) < 4
    assert np.interp(np.median(v), xs, zs) == pytest.approx(0.0, abs=0.15)
    assert quantile_knots(np.full(5, 7.0)) == [[7.0], [0.0]]     # a constant column: 0


def test_quantile_scaling_is_a_data_option_saved_with_the_preprocessing():
    df = pd.DataFrame({"x": np.r_[np.zeros(50), np.arange(1, 51.0)], "y": ["a", "b"] * 50})
    cfg = DataConfig(target="y", scaling="quantile")
    bundle = bundle_from_plan(prepare_table(df, cfg), cfg, seed=0)
    pre = bundle.preprocessor
    assert pre.scaling == "quantile" and "x" in pre.quantiles_
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    a = pre.transform_inputs(df)[0][0]
    assert torch.equal(a, again.transform_inputs(df)[0][0])
    # the zeros (half the rows) sit at the middle of their share, about z(0.25) = -0.67
    assert -0.8 < float(a.min()) < -0.5 and float(a.max()) > 1.5


# ------------------------------------------------------------------ losses


def test_balanced_class_weights_follow_scikit_learn():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array([0] * 90 + [1] * 10)
    ours = class_weights(torch.as_tensor(y), 2).numpy()
    assert ours == pytest.approx(compute_class_weight("balanced", classes=np.arange(2), y=y))
    assert class_weights(torch.tensor([0, 0]), 3).tolist() == [pytest.approx(1 / 3), 1.0, 1.0]


def test_label_smoothing_and_weights_reach_cross_entropy():
    schema = Schema("binary", "table", (2,), 2)
    out, y = torch.tensor([[4.0, -4.0]]), torch.tensor([0])
    plain = loss_function("auto", schema)(out, y)
    smooth = loss_function("auto", schema, label_smoothing=0.2)(out, y)
    assert smooth > plain                         # a confident right answer now costs more
    w = torch.tensor([1.0, 5.0])
    out2, y2 = torch.tensor([[0.0, 0.0], [0.0, 0.0]]), torch.tensor([0, 1])
    weighted = loss_function("auto", schema, weight=w)(out2, y2)
    assert weighted == pytest.approx(float(torch.nn.functional.cross_entropy(out2, y2, w)))


def test_class_weight_needs_a_classification_target(tmp_path, cli):
    from conftest import assert_user_error

    df = _rare_table()
    df["y"] = df["a"] + df["b"] + np.random.default_rng(0).normal(size=len(df))
    df.to_csv(tmp_path / "r.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "r.csv", "--target", "y", *FAST,
                       "--class-weight", "balanced", "--output", tmp_path / "run")
    assert_user_error(code, err, "--class-weight balanced needs a classification target")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ decision threshold


def test_the_threshold_maximises_the_metric_on_the_rows_given():
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.15).astype(int)
    p = np.clip(0.25 * y + rng.normal(0.2, 0.12, 400), 0, 1)    # positives score higher
    for metric in ("f1", "balanced_accuracy"):
        t = choose_threshold(p, y, metric)
        best = threshold_score(y, (p >= t).astype(int), metric)
        grid = max(threshold_score(y, (p >= g).astype(int), metric) for g in np.unique(p))
        assert best == pytest.approx(grid)
        assert best > threshold_score(y, (p >= 0.5).astype(int), metric)
    assert choose_threshold(p, np.zeros(400), "f1") == 0.5      # one class: nothing to tune


def test_a_threshold_relabels_rows_but_leaves_probability_metrics():
    y = np.array([0, 0, 0, 1, 1])
    proba = np.c_[1 - np.array([0.1, 0.2, 0.3, 0.35, 0.4]), [0.1, 0.2, 0.3, 0.35, 0.4]]
    plain, tuned = classification_metrics(y, proba), classification_metrics(y, proba, 2, 0.35)
    assert plain["recall"] == 0.0 and tuned["recall"] == 1.0 and tuned["accuracy"] == 1.0
    assert plain["roc_auc"] == tuned["roc_auc"] and plain["pr_auc"] == tuned["pr_auc"]


def test_metric_f1_chooses_a_threshold_that_train_evaluate_and_predict_share(tmp_path, cli):
    _rare_table().to_csv(tmp_path / "r.csv", index=False)
    code, out, err = cli("train", "--data", tmp_path / "r.csv", "--target", "y", *FAST,
                         "--metric", "f1", "--output", tmp_path / "run")
    assert code == 0, err
    schema = json.loads((tmp_path / "run" / "schema.json").read_text())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    t = schema["threshold"]
    assert 0 < t < 1 and metrics["threshold"] == t and "threshold" in out
    code, _, err = cli("predict", tmp_path / "run", "--data", tmp_path / "r.csv",
                       "--output", tmp_path / "p.csv")
    assert code == 0, err
    pred = pd.read_csv(tmp_path / "p.csv")
    expected = np.where(pred["prob_yes"] >= t, "yes", "no")
    clear = (pred["prob_yes"] - t).abs() > 1e-5      # the CSV rounds probabilities
    assert clear.sum() > 150
    assert (pred["predicted_y"].to_numpy() == expected)[clear].all()
    code, out, err = cli("evaluate", tmp_path / "run")     # the same threshold again
    assert code == 0, err
    f1_line = next(ln for ln in out.splitlines() if ln.startswith("f1 "))
    assert f"{metrics['f1']:.4f}" in f1_line


# ------------------------------------------------------------------ wide path, best weights


def test_the_linear_skip_adds_a_linear_model_of_the_inputs():
    torch.manual_seed(0)
    net = TabularNet(2, [4], hidden=[8], n_outputs=1, linear_skip=True).eval()
    x_num, x_cat = torch.randn(5, 2), torch.randint(0, 4, (5, 1))
    with torch.no_grad():
        full = net(x_num, x_cat)
        net.skip.weight.zero_(), net.skip.bias.zero_()
        assert not torch.allclose(full, net(x_num, x_cat))
    assert TabularNet(2, [4], [8], 1).skip is None               # off by default


def test_best_weights_restores_the_best_epoch_when_the_fit_ends():
    model = torch.nn.Linear(1, 1)
    trainer = type("T", (), {"model": model})()
    cb = BestWeights("val_loss")
    for loss, w in [(1.0, 1.0), (0.5, 2.0), (0.9, 3.0)]:
        model.weight.data.fill_(w)
        cb.on_epoch_end(trainer, {"val_loss": loss})
    cb.on_fit_end(trainer)
    assert model.weight.item() == 2.0


def test_cv_folds_are_scored_with_their_best_epoch(tmp_path, monkeypatch):
    """When a fold's fit ends, its model holds the weights of the epoch with the lowest
    validation loss (as train scores its best checkpoint), not the last epoch's."""
    from hakseup.experiment import crossval
    from hakseup.config import RunConfig
    from hakseup.training.callbacks import Callback

    checks = []

    class Spy(Callback):
        order = 95                                   # after BestWeights (90)

        def on_fit_begin(self, trainer):
            self.best, self.weights = float("inf"), None

        def on_epoch_end(self, trainer, logs):
            if logs["val_loss"] < self.best:
                self.best = logs["val_loss"]
                self.weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}

        def on_fit_end(self, trainer):
            now = trainer.model.state_dict()
            checks.append(all(torch.equal(now[k], v) for k, v in self.weights.items()))

    real = crossval._fold_callbacks
    monkeypatch.setattr(crossval, "_fold_callbacks", lambda cfg: real(cfg) + [Spy()])
    _rare_table(n=300).to_csv(tmp_path / "r.csv", index=False)
    cfg = RunConfig()
    cfg.data.path, cfg.data.target = str(tmp_path / "r.csv"), "y"
    cfg.train.epochs, cfg.train.lr, cfg.train.progress = 8, 0.05, False
    cfg.train.tensorboard, cfg.output.root = False, str(tmp_path / "runs")
    crossval.cross_validate(cfg, folds=2, echo=lambda *a: None)
    assert checks == [True, True]


# ------------------------------------------------------------------ ensemble, spike flags


def test_an_ensemble_trains_each_member_and_predicts_their_mean_probability():
    torch.manual_seed(0)
    net = TabularNet(3, [4], [8], n_outputs=2, ensemble=3, dropout=0, batch_norm=False)
    x_num, x_cat = torch.randn(6, 3), torch.randint(0, 4, (6, 1))
    members = net(x_num, x_cat)                          # training: (B, k, classes)
    assert members.shape == (6, 3, 2)
    assert not torch.allclose(members[:, 0], members[:, 1])    # members start apart
    net.eval()
    with torch.no_grad():
        mean_p = torch.softmax(net.train()(x_num, x_cat), 2).mean(1)
        out = net.eval()(x_num, x_cat)                   # eval: log of the mean probability
    assert out.shape == (6, 2)
    assert torch.allclose(torch.softmax(out, 1), mean_p, atol=1e-6)
    reg = TabularNet(3, [4], [8], n_outputs=1, ensemble=3, classification=False, dropout=0,
                     batch_norm=False)
    with torch.no_grad():
        assert torch.allclose(reg.eval()(x_num, x_cat), reg.train()(x_num, x_cat).mean(1))


def test_an_ensemble_member_loss_is_the_mean_of_each_members_loss():
    from hakseup.training.losses import member_mean

    ce = torch.nn.CrossEntropyLoss()
    out, y = torch.randn(5, 3, 2), torch.randint(0, 2, (5,))
    expected = sum(ce(out[:, i], y) for i in range(3)) / 3
    assert float(member_mean(ce)(out, y)) == pytest.approx(float(expected))
    assert float(member_mean(ce)(out[:, 0], y)) == pytest.approx(float(ce(out[:, 0], y)))


def test_an_ensemble_table_run_trains_evaluates_and_exports(tmp_path, cli):
    _rare_table(n=200).to_csv(tmp_path / "r.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "r.csv", "--target", "y", *FAST,
                       "--set", "model.ensemble=3", "--output", tmp_path / "run")
    assert code == 0, err
    code, _, err = cli("export", tmp_path / "run", "--format", "onnx")
    assert code == 0, err


def test_a_zero_inflated_column_gets_a_flag_beside_its_robust_value():
    rng = np.random.default_rng(0)
    spent = np.where(rng.random(300) < 0.3, 0.0, rng.lognormal(4, 1, 300))
    df = pd.DataFrame({"spent": spent, "age": rng.normal(40, 9, 300),
                       "kids": rng.integers(0, 4, 300).astype(float),
                       "y": np.where(spent > 0, "yes", "no")})
    cfg = DataConfig(target="y")
    bundle = bundle_from_plan(prepare_table(df, cfg), cfg, seed=0)
    names = bundle.schema.numeric_features
    # age has no spike; kids has few levels (the value itself says it): no flag for either
    assert names == ["spent", "age", "kids", "spent==0"]
    x = bundle.train.inputs[0].numpy()
    assert set(np.unique(x[:, 3])) == {0.0, 1.0}
    assert bundle.train.inputs[0].shape[1] == len(names)


def test_metric_f1_on_a_task_without_two_classes_is_one_line(tmp_path, cli):
    from conftest import assert_user_error

    df = _rare_table()
    df["y"] = np.random.default_rng(0).choice(["a", "b", "c"], len(df))
    df.to_csv(tmp_path / "r.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "r.csv", "--target", "y", *FAST,
                       "--metric", "f1", "--output", tmp_path / "run")
    assert_user_error(code, err, "--metric f1 chooses the decision threshold", "multiclass")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ log target


def test_a_log_target_is_learned_as_log_and_reported_in_original_units(tmp_path, cli):
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    pd.DataFrame({"x": x, "price": np.exp(3 + x + rng.normal(0, 0.1, 400))}).to_csv(
        tmp_path / "t.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "t.csv", "--target", "price", *FAST,
                       "--set", "data.transform=log", "--output", tmp_path / "run")
    assert code == 0, err
    pre = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    assert pre["log_target"] is True and abs(pre["target_mean_"] - 3) < 0.2   # log scale
    code, _, err = cli("predict", tmp_path / "run", "--data", tmp_path / "t.csv",
                       "--output", tmp_path / "p.csv")
    assert code == 0, err
    pred = pd.read_csv(tmp_path / "p.csv")["predicted_price"]
    assert pred.min() > 0 and 10 < pred.median() < 40       # original units (e^3 ≈ 20)
    code, out, err = cli("evaluate", tmp_path / "run", "--data", tmp_path / "t.csv")
    assert code == 0, err


def test_a_log_target_that_is_not_positive_is_one_line(tmp_path, cli):
    pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0) - 5}).to_csv(
        tmp_path / "t.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "t.csv", "--target", "y", *FAST,
                       "--set", "data.transform=log", "--output", tmp_path / "run")
    assert code == 2 and "positive" in err and "data.transform" in err, err
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ periodic numeric embedding


def test_periodic_embedding_learns_its_frequencies_per_column():
    from hakseup.models.numeric_embedding import PeriodicEmbedding

    torch.manual_seed(0)
    emb = PeriodicEmbedding(3, frequencies=4, dim=5)
    x = torch.randn(16, 3)
    out = emb(x)                                          # (B, n, dim)
    assert out.shape == (16, 3, 5) and (out >= 0).all()
    out.sum().backward()
    assert emb.frequencies.grad.shape == (3, 4) and emb.frequencies.grad.abs().sum() > 0
    # Each column is embedded on its own: changing column 0 leaves columns 1 and 2 alone.
    y = x.clone()
    y[:, 0] += 1.0
    with torch.no_grad():
        assert torch.equal(emb(y)[:, 1:], emb(x)[:, 1:])


def test_a_periodic_table_run_trains_and_predicts(tmp_path, cli):
    _rare_table().to_csv(tmp_path / "r.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "r.csv", "--target", "y", *FAST,
                       "--set", "model.numeric_embedding=periodic", "--output", tmp_path / "run")
    assert code == 0, err
    code, _, err = cli("predict", tmp_path / "run", "--data", tmp_path / "r.csv",
                       "--output", tmp_path / "p.csv")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "p.csv")) == 600
