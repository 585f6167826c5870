"""The report's categorical encoding line: levels as the data has them (the slot for an
unseen level explained, not counted as a level), and the encoding the model built."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hakseup.config import RunConfig
from hakseup.experiment.experiment import Experiment

KEY = "categorical encoding (tabular model)"


def cars(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"price": rng.choice(["low", "med", "high", "vhigh"], 300),
                       "safety": rng.choice(["low", "med", "high"], 300)})
    df["ok"] = np.where((df.price == "low") | (df.safety == "high"), "yes", "no")
    path = tmp_path / "cars.csv"
    df.to_csv(path, index=False)
    return str(path)


def summary(path: str, **model) -> str:
    cfg = RunConfig.from_dict({"data": {"path": path, "target": "ok"},
                               "model": {"name": "tabular", **model},
                               "train": {"epochs": 1, "progress": False,
                                         "tensorboard": False}})
    with Experiment(cfg).setup() as exp:
        return exp.bundle_.info["summary"][KEY]


def test_levels_are_counted_without_the_unseen_slot(tmp_path):
    text = summary(cars(tmp_path))
    assert text.startswith("price: 4 levels → one-hot 5, safety: 3 levels → one-hot 4")
    assert "one more slot (index 0) for a level not seen in training" in text


def test_embedding_dim_is_reported_as_embeddings(tmp_path):
    text = summary(cars(tmp_path), embedding_dim=3)
    assert "price: 4 levels → embedding 3" in text and "one-hot" not in text
