"""A run saved before a key existed is rebuilt with the value it trained with; a key that one
model alone reads is filled in for that model's runs only, so `runs compare` of an old and a
new run of another model shows no difference that changes nothing."""

from __future__ import annotations

import pytest
import yaml

from conftest import FAST
from hakseup.config import RunConfig
from hakseup.run.folder import with_keys_before


def _old(name: str) -> dict:
    return {"data": {"dataset": "digits"}, "model": {"name": name}, "train": {}, "output": {}}


def test_an_old_rocket_run_gets_ppv_and_an_old_lstm_run_todays_default():
    rocket = RunConfig.from_dict(with_keys_before(_old("rocket")))
    lstm = RunConfig.from_dict(with_keys_before(_old("lstm")))
    assert rocket.model.rocket_pooling == "ppv"
    assert lstm.model.rocket_pooling == RunConfig().model.rocket_pooling == "multi"
    assert rocket.model.stem == lstm.model.stem == "none"  # every model's old runs


def test_a_value_the_run_saved_is_kept_and_odd_files_pass_through():
    saved = _old("rocket")
    saved["model"]["rocket_pooling"] = "multi"
    assert with_keys_before(saved)["model"]["rocket_pooling"] == "multi"
    assert with_keys_before([1, 2]) == [1, 2]
    assert with_keys_before({"model": "x"}) == {"model": "x"}


@pytest.mark.slow
def test_runs_compare_shows_no_rocket_key_between_an_old_and_a_new_run(tmp_path, cli):
    import shutil

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": rng.normal(size=40), "y": rng.choice(["p", "q"], 40)}).to_csv(data,
                                                                                    index=False)
    assert cli("train", "--data", data, "--target", "y", "--model", "mlp", *FAST,
               "--set", "output.plots=false", "--output", tmp_path / "new")[0] == 0
    shutil.copytree(tmp_path / "new", tmp_path / "old")
    path = tmp_path / "old" / "config.yaml"
    saved = yaml.safe_load(path.read_text())
    del saved["model"]["rocket_pooling"], saved["model"]["stem"]  # saved before the keys
    path.write_text(yaml.safe_dump(saved))
    code, out, err = cli("runs", "compare", tmp_path / "old", tmp_path / "new")
    assert code == 0, err
    assert "Config differences" in out or "Configs are identical" in out
    assert "rocket_pooling" not in out and "stem" not in out
