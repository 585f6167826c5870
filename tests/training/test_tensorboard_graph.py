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
