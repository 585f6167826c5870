"""``--no-progress`` drops the live bar and keeps the epoch lines; ``--quiet`` drops both; in a
notebook one bar spans the whole fit (one widget, not one per epoch)."""

from __future__ import annotations

import io

import torch

from hakseup.data.bundle import DataBundle, Schema, Split
from hakseup.training import progress
from hakseup.training.trainer import Trainer


def bundle() -> DataBundle:
    x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    split = Split((x,), y)
    return DataBundle(split, split, split, Schema("binary", "table", (3,), 2), None)


def test_no_progress_keeps_the_epoch_lines_and_quiet_drops_them(cli, capsys):
    Trainer(epochs=2, progress=False).fit(torch.nn.Linear(3, 2), bundle())
    out = capsys.readouterr().out
    assert [ln[:9] for ln in out.splitlines()] == ["epoch 1/2", "epoch 2/2"]
    code, out, err = cli("train", "--epochs", "2", "--no-progress", "--no-tensorboard",
                         "--references", "none", "--output", "r")
    assert code == 0, err
    assert "epoch 1/2  train_loss" in out and "epoch 2/2  train_loss" in out
    code, out, _ = cli("train", "--epochs", "2", "--quiet", "--no-tensorboard",
                       "--references", "none", "--output", "q")
    assert code == 0 and "epoch 1/2" not in out


def test_a_notebook_gets_one_bar_for_the_whole_fit(monkeypatch):
    made = []

    class Bar:
        def __init__(self, **kw):
            made.append(kw)
            self.n = kw["initial"]

        def update(self, k):
            self.n += k

        def set_description(self, desc, refresh=True):
            made[-1]["desc"] = desc

        def close(self):
            made[-1]["closed"] = True

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    bar = progress.ProgressBar(log_file=io.StringIO())
    monkeypatch.setattr(bar, "_bar_class", lambda: (Bar, io.StringIO()))
    Trainer(epochs=3, batch_size=16, callbacks=[bar]).fit(torch.nn.Linear(3, 2), bundle())
    assert len(made) == 1 and made[0]["total"] == 3 * 4 and made[0]["closed"]
    assert made[0]["desc"] == "epoch 3/3" and made[0]["leave"] is True
