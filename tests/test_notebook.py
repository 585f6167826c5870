"""The notebook surface: ``hakseup.fit`` on arrays, DataFrames and paths; the result's
history, predict, plot and HTML view; progress that shows where it belongs; and the example
notebook executed headless with no warning or error in any cell."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hakseup
from hakseup.errors import HakseupError

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "curriculum.ipynb"


def _table(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"size": rng.normal(size=n), "colour": rng.choice(["red", "blue"], n)})
    df["kind"] = np.where(df["size"] + (df["colour"] == "red") + rng.normal(0, .5, n) > .5,
                          "big", "small")
    return df


def test_fit_arrays_returns_a_result_that_predicts_and_renders(capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(300, 2))
    y = 2 * x[:, 0] - x[:, 1] + 1 + rng.normal(size=300)
    result = hakseup.fit(x, y, model="linear", epochs=4, lr=0.05, tensorboard=False)
    out = capsys.readouterr().out
    assert out.count("epoch ") >= 4 and "\r" not in out     # stdout is not a terminal here
    assert list(result.history["epoch"]) == [1, 2, 3, 4]
    assert {"train_loss", "val_loss", "val_mae"} <= set(result.history.columns)
    assert (Path(result.run_dir) / "data.csv").exists()     # the arrays became the run's data
    cfg = hakseup.load_config(Path(result.run_dir) / "config.yaml")
    assert cfg.data.path == str((Path(result.run_dir) / "data.csv").resolve())
    pred = result.predict(np.array([[0.5, 0.0], [1.0, -1.0]]))
    assert pred.shape == (2, 1) and np.isfinite(pred.to_numpy()).all()
    html = result._repr_html_()
    assert "<table" in html and "rmse" in html and str(result.run_dir) in html
    assert "confusion" not in html
    assert repr(result).startswith("RunResult(rmse=")
    fig = result.plot()
    assert len(fig.axes) == 2 and fig.axes[0].lines and fig.axes[1].lines


def test_fit_dataframe_predicts_like_the_run_folder():
    df = _table()
    result = hakseup.fit(df, "kind", epochs=3, progress=False, tensorboard=False)
    assert result.schema.task == "binary" and result.metrics["accuracy"] > 0.5
    assert any("Task inferred from 'kind'" in n for n in result.notices)
    assert "<details" in result._repr_html_() and "What was decided" in result._repr_html_()
    new = df.drop(columns="kind").head(5)
    mine = result.predict(new)
    from hakseup.predict import predict_frame

    pd.testing.assert_frame_equal(mine, predict_frame(result.run_dir, new), atol=1e-6)
    assert list(mine.columns) == ["predicted_kind", "prob_big", "prob_small"]


def test_unknown_setting_is_one_error_naming_the_valid_ones():
    with pytest.raises(HakseupError) as e:
        hakseup.fit(_table(), "kind", lrr=0.1)
    text = str(e.value)
    assert "Unknown setting 'lrr'" in text and "'lr'" in text and "batch_size" in text
    assert "\n" not in text
    from hakseup.learn import setting_key

    assert setting_key("model") == "model.name" and setting_key("train.seed") == "train.seed"
    with pytest.raises(HakseupError):
        setting_key("train.nope")


def test_trainer_fit_shows_progress_and_returns_a_history(capsys):
    import torch

    from hakseup.data.bundle import DataBundle, Schema, Split

    x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    split = Split((x,), y)
    bundle = DataBundle(split, split, split, Schema("binary", "table", (3,), 2), None)
    history = hakseup.Trainer(epochs=2).fit(torch.nn.Linear(3, 2), bundle)
    assert isinstance(history, hakseup.History) and len(history) == 2
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch ")]
    assert lines[0].startswith("epoch 1/2  train_loss") and "val_accuracy" in lines[0]
    hakseup.Trainer(epochs=1, progress=False).fit(torch.nn.Linear(3, 2), bundle)
    assert capsys.readouterr().out.startswith("epoch 1/1  train_loss")   # no bar, the lines
    hakseup.Trainer(epochs=1, verbosity="quiet").fit(torch.nn.Linear(3, 2), bundle)
    assert capsys.readouterr().out == ""


def test_notebook_progress_needs_no_ipywidgets(monkeypatch):
    """In a notebook without ipywidgets: the plain text bar on stdout (tqdm.auto would warn
    "IProgress not found"); with them: the widget bar."""
    import importlib.util
    import sys

    from hakseup.monitor import bars
    from hakseup.training import progress

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(bars, "in_notebook", lambda: True)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    cls, stream = progress.ProgressBar()._bar_class()
    assert cls.__module__ == "tqdm.std" and stream is sys.stdout
    assert bars.tqdm_class().__module__ == "tqdm.std"      # image decoding, downloads
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "ipywidgets" else real(name, *a))
    assert progress.ProgressBar()._bar_class()[0].__module__ == "tqdm.notebook"
    off, _ = progress.ProgressBar(file=io.StringIO(), bar=False)._bar_class()
    assert off is None


@pytest.mark.slow
def test_example_notebook_runs_clean(tmp_path, monkeypatch):
    """Executed headless (about 30 s on the shared 2-core machine): every cell runs, no cell
    shows an error, a warning or a stderr stream; the results render as HTML and the plots
    as images."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("MPLBACKEND")         # the kernel chooses its inline backend itself
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    html, images = 0, 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", out["text"][:500]
                assert "warning" not in out["text"].lower(), out["text"][:500]
            data = out.get("data", {})
            html += "text/html" in data
            images += "image/png" in data
    assert html >= 5 and images >= 2
    assert len(list((tmp_path / "runs").iterdir())) == 4      # four fits, four run folders
