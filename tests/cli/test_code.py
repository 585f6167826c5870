"""`hakseup code RUN`: the plain PyTorch script of a run reproduces it.

For each kind of run — the default digits MLP, a table with categorical columns (tabular
network: one-hot, an embedding, an ensemble, warm-up), a series (DLinear over three
lookbacks, season channels), an image folder (CNN) and the digits LSTM read row by row — a
short run is trained on one thread, its script is written and run in a fresh Python process,
and the script's test metric and trained weights are compared with the run's. On the CPU
with the in-memory batcher the weights are the same bit for bit; the LSTM's readable cell
(autograd through every gate) differs from the run's hand-written backward pass by float
rounding only.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import assert_same_weights, assert_user_error, run_weights

pytestmark = pytest.mark.slow

QUICK = ["--no-progress", "--no-tensorboard", "--set", "evaluation.references=none",
         "--set", "train.threads=1"]
ALLOWED_IMPORTS = {"json", "math", "sys", "pathlib", "importlib", "numpy", "pandas", "torch",
                   "PIL"}


def _train_and_write(cli, out: str, *args: str) -> Path:
    code, _, err = cli("train", *args, *QUICK, "--output", out)
    assert code == 0, err
    code, printed, err = cli("code", out)
    assert code == 0, err
    script = Path(out) / "train_plain.py"
    assert str(script) in printed and script.is_file()
    return script


def _run_script(script: Path, weights: Path) -> str:
    """The script in a fresh interpreter, one thread, hakseup out of reach."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, str(script.resolve()), str(weights.resolve())],
                          capture_output=True, text=True, env=env, cwd=script.parent,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _printed(stdout: str, metric: str) -> float:
    match = re.search(rf"test {metric} ([0-9.]+)", stdout)
    assert match, stdout
    return float(match.group(1))


def _run_metric(run: Path, metric: str, network: bool = False) -> float:
    metrics = json.loads((run / "metrics.json").read_text())["metrics"]
    return metrics["network"][metric] if network else metrics[metric]


def _imports(script: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def _check_reproduces(script: Path, metric: str, network: bool = False,
                      exact: bool = True) -> None:
    import torch

    run = script.parent
    assert _imports(script) <= ALLOWED_IMPORTS, _imports(script)
    stdout = _run_script(script, run / "plain_weights.pt")
    assert _printed(stdout, metric) == pytest.approx(_run_metric(run, metric, network),
                                                     abs=5e-5)
    ours = torch.load(run / "plain_weights.pt")
    theirs = run_weights(run, "best")
    if exact:
        assert_same_weights(ours, theirs)
    else:
        assert ours.keys() == theirs.keys()
        for k in ours:
            torch.testing.assert_close(ours[k], theirs[k], rtol=0, atol=1e-5)


def test_digits_mlp_script_gives_the_same_weights_and_accuracy(cli):
    script = _train_and_write(cli, "digits", "--epochs", "3")
    text = script.read_text()
    assert "class MLP(nn.Module)" in text and "for epoch in range(EPOCHS)" in text
    _check_reproduces(script, "accuracy")


def _shop_csv(path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 600
    color = rng.choice(["red", "green", "blue", "black"], n)
    size = rng.choice(["S", "M", "L"], n)
    city = rng.choice([f"c{i}" for i in range(14)], n)          # 15 levels: an embedding
    x1, x2 = rng.normal(10, 3, n), rng.exponential(2, n)
    score = (color == "red") + 0.8 * (size == "L") + 0.3 * (x1 - 10) - 0.4 * x2 \
        + np.array([int(c[1:]) for c in city]) * 0.05 + rng.normal(0, 0.5, n)
    x1[:5] = np.nan                                              # imputed with the median
    pd.DataFrame({"color": color, "size": size, "city": city, "x1": x1.round(3),
                  "x2": x2.round(3),
                  "label": np.where(score > np.median(score), "yes", "no")}).to_csv(path,
                                                                                  index=False)


def test_table_script_with_categorical_columns_gives_the_same_weights(cli, tmp_path):
    _shop_csv(tmp_path / "shop.csv")
    script = _train_and_write(cli, "table", "--data", "shop.csv", "--target", "label",
                              "--epochs", "3")
    text = script.read_text()
    assert "class TabularNet(nn.Module)" in text and "nn.Embedding" in text
    assert "'city'" in text and "CLIP" in text        # the levels and scaling inline
    _check_reproduces(script, "accuracy")


def _sales_csv(path: Path) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(400)
    y = 50 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 400).cumsum() * 0.3
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=400, freq="D").strftime(
        "%Y-%m-%d"), "sales": y.round(3)}).to_csv(path, index=False)


def test_series_script_gives_the_same_weights_and_network_mae(cli, tmp_path):
    _sales_csv(tmp_path / "sales.csv")
    script = _train_and_write(cli, "series", "--data", "sales.csv", "--time-col", "date",
                              "--target", "sales", "--epochs", "3")
    text = script.read_text()
    assert "class DLinear(nn.Module)" in text and "positions" in text   # season channels
    _check_reproduces(script, "mae", network=True)


def _shapes_folder(root: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:24, :24]
    for c, name in enumerate(["circle", "square", "stripes"]):
        (root / name).mkdir(parents=True)
        for i in range(30):
            a = rng.integers(0, 60, (24, 24, 3)).astype(np.uint8)
            if name == "circle":
                mask = (yy - 12) ** 2 + (xx - 12 - rng.integers(-3, 4)) ** 2 < 40
            elif name == "square":
                o = rng.integers(4, 10)
                mask = (yy > o) & (yy < o + 10) & (xx > o) & (xx < o + 10)
            else:
                mask = (xx // 3) % 2 == 0
            a[mask] = [200 + c * 20, 150, 100 + c * 40]
            Image.fromarray(a).save(root / name / f"{i}.png")


def test_image_folder_cnn_script_gives_the_same_weights(cli, tmp_path):
    _shapes_folder(tmp_path / "shapes")
    script = _train_and_write(cli, "images", "--data", "shapes", "--model", "cnn",
                              "--epochs", "2")
    text = script.read_text()
    assert "class ImageFiles(torch.utils.data.Dataset)" in text and "nn.Conv2d" in text
    _check_reproduces(script, "accuracy")


def test_digits_lstm_script_writes_the_gates_and_reaches_the_accuracy(cli):
    script = _train_and_write(cli, "lstm", "--model", "lstm", "--epochs", "1")
    text = script.read_text()
    assert "forget_gate = torch.sigmoid(f)" in text and "for t in range(T)" in text
    # autograd through the readable cell vs the run's hand-written backward: rounding only
    _check_reproduces(script, "accuracy", exact=False)


def test_code_refuses_a_model_it_cannot_write_and_keeps_a_user_file(cli):
    code, _, err = cli("train", "--model", "linear", "--epochs", "1", *QUICK, "--output", "lin")
    assert code == 0, err
    code, _, err = cli("code", "lin")
    assert_user_error(code, err, "'linear'", "mlp (digits)", "dlinear (series)")
    code, _, err = cli("train", "--epochs", "1", *QUICK, "--output", "mlp")
    assert code == 0, err
    Path("mine.py").write_text("print('my own script')\n")
    code, _, err = cli("code", "mlp", "--output", "mine.py")
    assert_user_error(code, err, "mine.py", "--force")
    assert Path("mine.py").read_text() == "print('my own script')\n"
    code, out, err = cli("code", "mlp", "--output", "-")          # printed, no file
    assert code == 0 and "class MLP(nn.Module)" in out, err
    assert not Path("mlp/train_plain.py").exists()
    assert cli("code", "mlp", "--output", "mine.py", "--force")[0] == 0
    assert "class MLP" in Path("mine.py").read_text()
    assert cli("code", "mlp", "--output", "mine.py")[0] == 0      # the same script again


def test_train_emit_script_writes_a_regression_mlp_script_with_the_same_weights(cli, tmp_path):
    rng = np.random.default_rng(2)
    x = rng.uniform(-3, 3, (300, 3))
    y = 3 * x[:, 0] - 2 * x[:, 1] + x[:, 2] ** 2 + rng.normal(0, 0.3, 300)
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y}).to_csv("reg.csv",
                                                                         index=False)
    code, out, err = cli("train", "--data", "reg.csv", "--target", "y", "--model", "mlp",
                         "--epochs", "3", *QUICK, "--output", "reg",
                         "--emit-script", "reg_plain.py")
    assert code == 0 and "reg_plain.py" in out, err
    script = Path("reg_plain.py")
    assert "TARGET_MEAN" in script.read_text()                  # the scaled target, undone
    # the script beside the run folder: _check_reproduces reads the run from its folder
    moved = Path("reg") / "train_plain.py"
    moved.write_text(script.read_text())
    _check_reproduces(moved, "rmse")
    code, _, err = cli("train", "--epochs", "1", *QUICK, "--emit-script", "reg_plain.py")
    assert_user_error(code, err, "reg_plain.py")                  # refused before training
