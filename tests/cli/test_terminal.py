"""What the terminal shows: blank cells counted alike by inspect and training, piped logs of
one line per epoch, --quiet/--verbose, and the data decisions in the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd



def _blank_table(path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[[3, 10, 17]] = ["", " ", "   "]            # blank cells, written three ways
    df = pd.DataFrame({"x": rng.normal(size=n), "colour": colour,
                       "y": rng.integers(0, 2, n)})
    df.loc[[5, 6], "x"] = np.nan
    df.to_csv(path, index=False)
    return path


def test_inspect_counts_blank_cells_as_missing_like_training(cli):
    _blank_table(Path("t.csv"))
    code, out, err = cli("inspect", "t.csv", "--target", "y", "--json")
    assert code == 0, err
    cols = json.loads(out)["columns"]
    assert cols["colour"]["missing"] == 3 and cols["x"]["missing"] == 2
    assert cols["colour"]["unique"] == 3                 # no "" or " " category
    assert "mean" in cols["x"]                           # still numeric with blanks
    from hakseup.config import DataConfig
    from hakseup.data.datasets import load_data

    bundle = load_data(DataConfig(path="t.csv", target="y"), seed=0)
    assert "" not in bundle.preprocessor.vocab_["colour"]
    assert " " not in bundle.preprocessor.vocab_["colour"]
    imputed = [n for n in bundle.info["notices"] if n.startswith("Missing values imputed")]
    assert imputed and "colour: 3" in imputed[0] and "x: 2" in imputed[0]


ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
TRAIN = [sys.executable, "-m", "hakseup", "train", "--epochs", "4", "--no-tensorboard",
         "--set", "output.plots=false", "--references", "none"]


def test_piped_train_log_is_one_line_per_epoch_without_carriage_returns(tmp_path):
    p = subprocess.run(TRAIN + ["--output", str(tmp_path / "run")], capture_output=True,
                       text=True, env=ENV, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "\r" not in p.stdout and "\r" not in p.stderr
    epochs = [ln for ln in p.stdout.splitlines() if ln.startswith("epoch ")]
    assert [ln.split()[1] for ln in epochs] == [f"{e}/4" for e in range(1, 5)]
    assert all("train_loss" in ln and "val_accuracy" in ln for ln in epochs)
    # Everything else is the summary: a few dozen lines, however many epochs ran.
    assert len(p.stdout.splitlines()) - len(epochs) < 40
    assert p.stderr.strip() == ""


def test_quiet_and_verbose(cli):
    base = ["train", "--epochs", "2", "--no-tensorboard", "--set", "output.plots=false",
            "--references", "none"]
    code, out, err = cli(*base, "--quiet", "--output", "q")
    assert code == 0, err
    assert "epoch 1/2" not in out and "Test accuracy" in out and "What was decided" not in out
    code, out, err = cli(*base, "--verbose", "--output", "v")
    line = next(ln for ln in out.splitlines() if ln.startswith("epoch 1/2"))
    assert " lr " in line and " time " not in line and line.endswith("s")
    _blank_table(Path("t.csv"))                       # no --target: the last column, said
    code, out, err = cli(*base, "--data", "t.csv", "--output", "n")
    assert code == 0, err
    decided = out.split("What was decided about the data")[1].split("Test metrics")[0]
    assert "the last column, 'y', is the target" in decided and "--target COL" in decided
    assert "Task inferred from 'y': binary" in decided
    assert "colour: 3" in decided and "x: 2" in decided           # the imputed counts
    new = pd.read_csv("t.csv").head(20)
    new.loc[:4, "colour"] = "violet"                               # unseen at training
    new.to_csv("new.csv", index=False)
    code, out, err = cli("evaluate", "n", "--data", "new.csv")
    assert code == 0, err
    summary = out.split("What the run's preprocessing did to these rows:")[1]
    assert "mapped to 'unknown': colour: 5 row(s)" in summary


def test_a_table_wider_than_the_terminal_comes_in_blocks(monkeypatch, capsys):
    from hakseup.cli import common

    rows = [("accuracy", "0.9800", "0.1000", "0.9700", "0.9600", "better")]
    header = ("metric", "model", "majority class", "logistic", "hgb", "vs baseline")
    monkeypatch.setattr(common, "_terminal_width", lambda: 40)
    common.print_table(rows, header)
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 40
    assert sum(ln.startswith("metric") for ln in lines) >= 2      # the first column repeats
    joined = " ".join(lines)
    assert all(c in joined for c in header + rows[0])             # nothing left out
    monkeypatch.setattr(common, "_terminal_width", lambda: None)
    common.print_table(rows, header)
    assert len(capsys.readouterr().out.splitlines()) == 3         # a pipe: one block


def test_on_a_terminal_no_line_is_wider_than_it(tmp_path):
    """Under a pseudo-terminal 60 columns wide: live bars (carriage returns), and no frame or
    line of the output — bars, epoch lines, summary, tables — over 60 columns."""
    import re

    from conftest import run_in_pty

    width = 60
    env = {k: v for k, v in ENV.items() if k not in ("COLUMNS", "LINES")}
    code, raw = run_in_pty(TRAIN + ["--output", str(tmp_path / "t")], env, 40, width, 300)
    assert code == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.decode("utf-8", "replace"))
    assert "\r" in text.replace("\r\n", "\n")          # the live bar drew frames
    frames = [f for line in text.replace("\r\n", "\n").split("\n") for f in line.split("\r")]
    # A single word longer than the terminal (a path) is kept whole on its own line.
    too_wide = [f for f in frames if len(f.rstrip()) > width and " " in f.strip()]
    assert not too_wide, too_wide[:5]
    assert "epoch 4/4" in text and "Test accuracy" in text
