"""The plain script's LSTM step and image decoding come from hakseup's own source, so the
script stands alone (torch, numpy, pandas, Pillow) and cannot drift from the product."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hakseup.data.image import decode as product
from hakseup.experiment.plain_data import data_section
from hakseup.experiment.plain_model import model_section
from hakseup.models.lstm import LSTM, LSTMCell, lstm_step

HEADER = """
import math
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
DEVICE = torch.device("cpu")
"""


def _lstm_facts(layers: int) -> SimpleNamespace:
    model = SimpleNamespace(name="lstm", hidden_size=6, layers=layers, dropout=0.0, readout="last")
    schema = SimpleNamespace(input_shape=[7, 3], n_outputs=2)
    return SimpleNamespace(model="lstm", cfg=SimpleNamespace(model=model), schema=schema)


def test_the_script_holds_the_products_lstm_step_word_for_word():
    text = model_section(_lstm_facts(1))
    assert inspect.getsource(lstm_step) in text
    assert "forget_gate = torch.sigmoid(f)" in text


def test_the_cell_on_lstm_step_matches_torch_lstmcell():
    torch.manual_seed(0)
    ours, ref = LSTMCell(3, 4).double(), torch.nn.LSTMCell(3, 4).double()
    ours.load_state_dict(ref.state_dict())
    x, h, c = torch.randn(5, 3).double(), torch.randn(5, 4).double(), torch.randn(5, 4).double()
    for a, b in zip(ours(x, (h, c)), ref(x, (h, c))):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("layers", [1, 2])
def test_the_scripts_lstm_gives_the_products_outputs(layers):
    space: dict = {}
    exec(HEADER + model_section(_lstm_facts(layers)), space)  # noqa: S102 - our own text
    script = space["model"].rnn
    product_lstm = LSTM(3, 6, num_layers=layers).double()
    script.double().load_state_dict(product_lstm.state_dict())   # the same names and layout
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    torch.testing.assert_close(script(x), product_lstm(x)[0])


def _image_facts(channels: int, fit: str) -> SimpleNamespace:
    schema = SimpleNamespace(input_shape=[channels, 6, 5], class_names=["a", "b"])
    pre = {"decode": {"size": [6, 5], "channels": channels, "fit": fit},
           "max_value": 255.0, "mean": [0.5] * channels, "std": [0.25] * channels}
    return SimpleNamespace(kind="image folder", pre=pre, schema=schema,
                           cfg=SimpleNamespace(train=SimpleNamespace(seed=0)))


@pytest.mark.parametrize("channels,fit", [(1, "crop"), (3, "pad"), (3, "stretch")])
def test_the_scripts_decode_is_the_products(tmp_path, channels, fit):
    from PIL import Image

    text = data_section(_image_facts(channels, fit), tmp_path / "split.json")
    for part in (product._pil, product._to_channels, product._fit):
        assert inspect.getsource(part) in text
    # the script's decode() (everything above its dataset) on an RGBA PNG with transparency
    rgba = np.random.default_rng(0).integers(0, 256, (9, 13, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "x.png")
    (tmp_path / "split.json").write_text("{}")
    space: dict = {"json": json, "Path": Path, "np": np, "torch": torch}
    exec(text[: text.index("class ImageFiles")], space)  # noqa: S102 - our own text
    ours = space["decode"](tmp_path / "x.png")
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, product.decode_image(tmp_path / "x.png", (6, 5),
                                                             channels, fit))


def test_an_installation_without_sources_gets_one_line(monkeypatch):
    """Compiled-only installs have no text to copy: a hakseup error naming what is missing."""
    import inspect as inspect_mod

    from hakseup.errors import HakseupError
    from hakseup.experiment import plain_parts
    from hakseup.models.lstm import lstm_step

    def no_source(obj):
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect_mod, "getsource", no_source)
    with pytest.raises(HakseupError) as err:
        plain_parts.source_of(lstm_step)
    message = str(err.value)
    assert "lstm_step" in message and ".py" in message and "\n" not in message
