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

from conftest import FAST


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
