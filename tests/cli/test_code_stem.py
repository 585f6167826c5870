"""`hakseup code` on an LSTM run with the convolutional stem (``model.stem=conv``): the plain
script writes the stem, and reproduces the run's accuracy and weights (up to the rounding
between the script's readable cell and the run's hand-written backward pass)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import run_weights

pytestmark = pytest.mark.slow

QUICK = ["--no-progress", "--no-tensorboard", "--set", "evaluation.references=none",
         "--set", "train.threads=1"]


def test_digits_lstm_script_with_the_stem_reproduces_the_run(cli):
    code, _, err = cli("train", "--model", "lstm", "--epochs", "1", "--set", "model.stem=conv",
                       *QUICK, "--output", "stem")
    assert code == 0, err
    code, _, err = cli("code", "stem")
    assert code == 0, err
    script = Path("stem") / "train_plain.py"
    assert "class ConvStem(nn.Module)" in script.read_text()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # hakseup out of reach
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, script.name, "plain_weights.pt"], capture_output=True,
                          text=True, env=env, cwd=script.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = float(re.search(r"test accuracy ([0-9.]+)", done.stdout).group(1))
    metrics = json.loads((script.parent / "metrics.json").read_text())["metrics"]
    assert printed == pytest.approx(metrics["accuracy"], abs=5e-5)
    ours, theirs = torch.load(script.parent / "plain_weights.pt"), run_weights("stem", "best")
    assert ours.keys() == theirs.keys() and any(k.startswith("stem.") for k in ours)
    # The rounding of the two backward passes reaches the stem's filters through Adam, which
    # scales each gradient to about one step of the learning rate: after an epoch they agree
    # to about 1e-4 (a different network would differ by the weights' own size, ~0.1).
    for k in ours:
        torch.testing.assert_close(ours[k], theirs[k], rtol=0, atol=1e-3)
