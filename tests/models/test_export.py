"""Export to TorchScript and ONNX, checked by running the exported model."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, assert_user_error


@pytest.fixture
def runs(cli):
    rng = np.random.default_rng(0)
    pd.DataFrame({"color": rng.choice(list("rgb"), 200), "size": rng.normal(size=200),
                  "y": rng.integers(0, 2, 200)}).to_csv("t.csv", index=False)
    assert cli("train", "--data", "t.csv", "--target", "y", *FAST, "--output", "tab")[0] == 0
    assert cli("train", *FAST, "--model", "lstm", "--set", "model.hidden_size=16",
               "--output", "seq")[0] == 0
    return ["tab", "seq"]


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_runs_and_matches(cli, runs, fmt):
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnxscript")
    for run in runs:
        code, out, err = cli("export", run, "--format", fmt)
        assert code == 0, err
        assert "outputs match" in out
        assert Path(run, "model.pt" if fmt == "torchscript" else "model.onnx").is_file()


def test_export_bad_input(cli):
    assert_user_error(*cli("export", "nowhere", "--format", "onnx")[::2], "does not exist")
    assert_user_error(*cli("export", "x", "--format", "pickle")[::2], "invalid choice")
