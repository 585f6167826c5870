"""summary, bayes, adjust, runs, and precision at a deployment prevalence."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import FAST, assert_user_error
from hakseup.stats.bayes import posteriors, precision_at_prevalence
from hakseup.stats.causal import adjust


def kidney_stones() -> pd.DataFrame:
    """Charig et al. (1986): A is better in both strata, yet worse overall."""
    rows = []
    for treatment, size, ok, n in [("A", "small", 81, 87), ("A", "large", 192, 263),
                                   ("B", "small", 234, 270), ("B", "large", 55, 80)]:
        rows += [(treatment, size, 1)] * ok + [(treatment, size, 0)] * (n - ok)
    return pd.DataFrame(rows, columns=["treatment", "stone_size", "success"])


def test_adjust_finds_simpsons_paradox_in_the_kidney_stone_data():
    r = adjust(kidney_stones(), "treatment", "success", "stone_size")
    assert r["compared"] == ["B", "A"]
    assert r["crude"]["A"] == pytest.approx(273 / 350) and r["crude"]["B"] == pytest.approx(289 / 350)
    assert r["crude_effect"] > 0                                   # B looks better overall
    assert all(s["effect"] < 0 for s in r["strata"])              # A is better in each stratum
    weights = {"small": 357 / 700, "large": 343 / 700}
    expected_a = weights["small"] * 81 / 87 + weights["large"] * 192 / 263
    assert r["adjusted"]["A"] == pytest.approx(expected_a)
    assert r["adjusted_effect"] < 0 and r["simpson"] is True


def test_adjust_cli_and_its_errors(cli):
    kidney_stones().to_csv("k.csv", index=False)
    code, out, err = cli("adjust", "k.csv", "--treatment", "treatment", "--outcome", "success",
                         "--confounder", "stone_size")
    assert code == 0, err
    assert "Simpson's paradox" in out and "crude" in out and "adjusted" in out
    df = kidney_stones()
    df.loc[0, "treatment"] = "C"
    df.to_csv("k3.csv", index=False)
    assert_user_error(*cli("adjust", "k3.csv", "--treatment", "treatment", "--outcome",
                           "success", "--confounder", "stone_size")[::2], "exactly two values")
    assert_user_error(*cli("adjust", "k.csv", "--treatment", "treatmnt", "--outcome", "success",
                           "--confounder", "stone_size")[::2], "Did you mean 'treatment'")


def test_bayes_posteriors_and_counts(cli):
    p1, p2 = posteriors(0.1, 0.99, 0.01, positives=2)
    assert p1 == pytest.approx(0.099 / (0.099 + 0.009))
    assert p2 == pytest.approx(0.99 * p1 / (0.99 * p1 + 0.01 * (1 - p1)))
    code, out, _ = cli("bayes", "--prevalence", "0.1", "--sensitivity", "0.99",
                       "--false-positive-rate", "0.01", "--positives", "2")
    assert code == 0 and "91.67%" in out and "99.91%" in out and "99.0" in out and "9.0" in out
    assert_user_error(*cli("bayes", "--prevalence", "1.5", "--sensitivity", "0.9",
                           "--false-positive-rate", "0.1")[::2], "between 0 and 1")


def test_precision_at_a_deployment_prevalence(cli):
    assert precision_at_prevalence(0.9, 0.05, 0.5) == pytest.approx(0.45 / 0.475)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                  "y": (x[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)}).to_csv("b.csv",
                                                                                       index=False)
    code, _, err = cli("train", "--data", "b.csv", "--target", "y", *FAST,
                       "--deploy-prevalence", "0.01", "--output", "r")
    assert code == 0, err
    m = json.loads(Path("r/metrics.json").read_text())["metrics"]
    expected = precision_at_prevalence(m["recall"], m["false_positive_rate"], 0.01)
    assert m["precision_at_deploy_prevalence"] == pytest.approx(expected)
    assert m["precision_at_deploy_prevalence"] < m["precision"]
    assert "deployment prevalence" in Path("r/report.md").read_text()


def test_summary_of_a_model_and_of_a_run(cli):
    code, out, err = cli("summary", "--model", "mlp", "--input-shape", "1,28,28",
                         "--set", "model.hidden=[196,49]")
    assert code == 0, err
    assert "(2, 196)" in out and "Total parameters: 164,013" in out and "MB" in out
    code, out, _ = cli("summary", "--model", "lstm", "--input-shape", "28,28")
    assert code == 0 and "LSTM" in out
    assert cli("train", *FAST, "--output", "r")[0] == 0
    code, out, _ = cli("summary", "r")
    assert code == 0 and "Total parameters" in out
    assert_user_error(*cli("summary", "--model", "mlp", "--input-shape", "0,x")[::2],
                      "Invalid --input-shape")
@pytest.mark.slow   # several whole runs
def test_runs_lists_and_compares(cli):
    assert cli("train", *FAST, "--output", "runs/a")[0] == 0
    assert cli("train", *FAST, "--lr", "0.01", "--output", "runs/b")[0] == 0
    code, out, _ = cli("runs", "runs")
    rows = {ln.split()[0]: ln for ln in out.splitlines()[1:] if ln.strip()}
    assert code == 0 and {"a", "b"} <= set(rows)
    for name in ("a", "b"):                               # each run's own metric and status
        acc = json.loads(Path(f"runs/{name}/metrics.json").read_text())["metrics"]["accuracy"]
        assert f"accuracy {acc:.4f}" in rows[name] and rows[name].rstrip().endswith("complete")
    code, out, _ = cli("runs", "compare", "runs/a", "runs/b")
    assert code == 0 and "train.lr" in out and "0.001" in out and "0.01" in out
    assert "accuracy" in out
    assert_user_error(*cli("runs", "compare", "runs/a")[::2], "at least two")
    assert_user_error(*cli("runs", "nowhere")[::2], "does not exist")


def test_lr_suggestion_is_the_steepest_descent():
    from hakseup.training.lr_finder import suggest_lr

    lrs = np.logspace(-6, 0, 100)
    losses = 2 - np.tanh(3 * (np.log10(lrs) + 2.5)) + np.where(lrs > 0.3, 10 * (lrs - 0.3), 0)
    assert abs(np.log10(suggest_lr(lrs, losses)) + 2.5) < 0.1     # the inflection at 10^-2.5


def test_lr_find_cli_writes_plot_and_suggestion(cli):
    from hakseup.training.lr_finder import suggest_lr

    code, out, err = cli("lr-find", "--steps", "80", "--seeds", "2", "--output", "lf")
    assert code == 0, err
    r = json.loads(Path("lf/lr_find.json").read_text())
    assert len(r["per_seed"]) == 2 and r["suggested_lr"] == pytest.approx(np.median(r["per_seed"]))
    for curve, suggested in zip(r["curves"], r["per_seed"]):    # each seed's own curve
        assert 10 < len(curve["lr"]) <= 80 and curve["lr"] == sorted(curve["lr"])  # may stop
        assert suggest_lr(np.array(curve["lr"]), np.array(curve["loss"])) == suggested
    assert f"Suggested learning rate: {r['suggested_lr']:.3g}" in out
    assert Path("lf/plots/lr_find.png").is_file() and "Suggested learning rate" in out
    assert_user_error(*cli("lr-find", "--steps", "3")[::2], "--steps")


SEARCH = """train:
  epochs: 3
  progress: false
  tensorboard: false
tune:
  train.lr: {low: 1.0e-4, high: 0.1, log: true}
  model.hidden: [[16], [64, 32]]
"""


def test_tune_writes_best_config_and_resumes(cli):
    Path("s.yaml").write_text(SEARCH)
    code, out, err = cli("tune", "s.yaml", "--trials", "4", "--output", "t")
    assert code == 0, err
    trials = json.loads(Path("t/trials.json").read_text())
    assert len(trials) == 4 and Path("t/study.db").is_file()
    assert Path("t/plots/optimization_history.png").is_file()
    best = yaml.safe_load(Path("t/best_config.yaml").read_text())
    assert "tune" not in best or not best["tune"]
    done = [t for t in trials if t["state"] == "complete"]
    best_trial = min(done, key=lambda t: t["value"])
    assert best["train"]["lr"] == pytest.approx(best_trial["params"]["train.lr"])
    assert best["model"]["hidden"] == best_trial["params"]["model.hidden"]
    code, _, err = cli("tune", "--resume", "t", "--trials", "6")
    assert code == 0, err
    assert len(json.loads(Path("t/trials.json").read_text())) == 6      # 2 more, not 6
    code, _, err = cli("train", "t/best_config.yaml", "--output", "r")
    assert code == 0, err
    trained = yaml.safe_load(Path("r/config.yaml").read_text())
    assert trained["train"]["lr"] == pytest.approx(best["train"]["lr"])


def test_tune_with_folds(cli):
    Path("s.yaml").write_text(SEARCH.replace("epochs: 3", "epochs: 2"))
    code, out, err = cli("tune", "s.yaml", "--trials", "2", "--folds", "2", "--output", "tf")
    assert code == 0, err
    trials = json.loads(Path("tf/trials.json").read_text())
    assert [t["trial"] for t in trials] == [0, 1]
    done = [t for t in trials if t["state"] == "complete"]
    assert done and all(np.isfinite(t["value"]) and t["value"] > 0 for t in done)
    best = yaml.safe_load(Path("tf/best_config.yaml").read_text())
    best_trial = min(done, key=lambda t: t["value"])
    assert best["train"]["lr"] == pytest.approx(best_trial["params"]["train.lr"])


@pytest.mark.parametrize("space,needle", [
    ("tune: {}\n", "search space is empty"),
    ("tune:\n  train.lrr: {low: 0.1, high: 1}\n", "Did you mean 'train.lr'"),
    ("tune:\n  train.lr: {low: 1, high: 0.1}\n", "low < high"),
    ("tune:\n  train.lr: {low: 0, high: 1, log: true}\n", "low > 0"),
    ("tune:\n  train.lr: 0.1\n", "expected a list of choices"),
])
def test_bad_search_spaces(cli, space, needle):
    Path("s.yaml").write_text(space)
    assert_user_error(*cli("tune", "s.yaml", "--trials", "2")[::2], needle)
    assert not Path("runs").exists()
