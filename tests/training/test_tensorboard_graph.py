"""TensorBoard's graph is drawn for a learned network and left out for a model that says so
(``tensorboard_graph = False``: rocket, whose fixed transform's trace cost more than its fit)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from hakseup.models.rocket import RocketNet
from hakseup.training.loggers import TensorBoardLogger


def _graph_drawn(log_dir) -> bool:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir))
    events.Reload()
    return bool(events.Tags()["graph"])


@pytest.mark.parametrize("model, drawn", [
    (nn.Sequential(nn.Flatten(), nn.Linear(20, 3)), True),
    (RocketNet(1, 20, 3, n_features=840), False),
])
def test_the_graph_is_drawn_unless_the_model_leaves_it_out(tmp_path, model, drawn):
    x = torch.randn(6, 20, 1)
    trainer = SimpleNamespace(model=model, state=SimpleNamespace(epoch=0),
                              example_inputs=lambda: (x,))
    logger = TensorBoardLogger(tmp_path / "tb")
    logger.on_fit_begin(trainer)
    logger.writer.flush()
    assert _graph_drawn(logger.staging_dir) is drawn
    logger.writer.close()


def test_a_resumed_segment_is_published_to_be_read_after_the_earlier_one(tmp_path):
    # TensorBoard reads a folder's event files in name order. Within one second, a process's
    # tenth writer (".10") sorted before its ninth (".9"): the resumed epochs were read first
    # (a flaky CI failure: [3, 4, 1, 2]). An earlier segment named later than any new writer:
    log_dir = tmp_path / "tb"
    log_dir.mkdir()
    earlier = "events.out.tfevents.9000000000.host.1.9"
    (log_dir / earlier).write_bytes(b"")
    (log_dir / "events.out.tfevents.9999999999.hakseup-hparams").write_bytes(b"")
    model = nn.Sequential(nn.Flatten(), nn.Linear(20, 3))
    trainer = SimpleNamespace(model=model, state=SimpleNamespace(epoch=2),
                              example_inputs=lambda: (torch.randn(6, 20, 1),))
    logger = TensorBoardLogger(log_dir, graph=False)
    logger.on_fit_begin(trainer)
    logger.writer.add_scalar("loss/train_loss", 1.0, 3)
    logger.on_fit_end(trainer)
    names = sorted(p.name for p in log_dir.iterdir())
    assert names[0] == earlier and names[1].startswith("events.out.tfevents.9000000001.")
    assert names[2].endswith("hakseup-hparams") and len(names) == 3


def test_after_moves_only_a_name_that_would_sort_first():
    from hakseup.training.loggers import _after

    old = "events.out.tfevents.0000000005.h.1.9"
    assert _after("events.out.tfevents.0000000006.h.1.0", old).endswith("0000000006.h.1.0")
    assert _after("events.out.tfevents.0000000005.h.1.10", old) == (
        "events.out.tfevents.0000000006.h.1.10")
    assert _after("events.out.tfevents.0000000005.h.1.10", None).endswith(".10")
