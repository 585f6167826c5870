"""``hakseup train`` enters behind the Python API's door: the config its flags built is
checked once (``config_from_args``), not again by ``hakseup.train``'s argument checks; a
resume's run folder is checked file by file without reading the weights; the result carries
the resolved config it was trained with."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, assert_user_error


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("entry")
    rng = np.random.default_rng(0)
    data = root / "d.csv"
    pd.DataFrame({"x": rng.normal(size=60), "y": rng.choice(["p", "q"], 60)}).to_csv(
        data, index=False)
    return root, data


def test_the_cli_checks_the_config_once(table, monkeypatch, cli):
    root, data = table
    import hakseup.config.api as api

    calls = []
    real = api.as_run_config
    monkeypatch.setattr(api, "as_run_config", lambda *a: calls.append(a) or real(*a))
    code, _, err = cli("train", "--data", data, "--target", "y", "--model", "mlp", *FAST,
                       "--set", "output.plots=false", "--output", root / "cli-run")
    assert code == 0, err
    assert calls == []  # the door's checks are the Python API's, not the CLI's
    import hakseup

    result = hakseup.train({"data": {"path": str(data), "target": "y"},
                            "model": {"name": "mlp"},
                            "train": {"epochs": 1, "verbosity": "quiet"},
                            "output": {"plots": False, "dir": str(root / "api-run")}})
    assert len(calls) == 1  # ... which still check a dict at the door
    assert result.config.model.name == "mlp" and result.config.train.epochs == 1


def test_the_result_carries_the_resolved_config(table):
    root, data = table
    import hakseup

    result = hakseup.train({"data": {"path": str(data), "target": "y"},
                            "train": {"epochs": 1, "verbosity": "quiet"},
                            "output": {"plots": False, "dir": str(root / "auto-run")}})
    assert result.config.model.name != "auto"  # resolved from the data
    assert result.config.train.epochs == 1 and result.config.data.target == "y"


def test_check_run_files_reads_no_weights_and_check_run_does(table, tmp_path, cli):
    root, data = table
    run = tmp_path / "run"
    assert cli("train", "--data", data, "--target", "y", "--model", "mlp", *FAST,
               "--set", "output.plots=false", "--output", run)[0] == 0
    from hakseup.errors import HakseupError
    from hakseup.run.check import check_run, check_run_files

    for name in ("best", "last"):
        weights = run / "checkpoints" / name / "model.safetensors"
        if weights.exists():
            weights.write_bytes(b"not weights")
    cfg, schema, _ = check_run_files(run)
    assert cfg.model.name == "mlp" and schema.n_outputs == 2
    with pytest.raises(HakseupError):
        check_run(run)


def test_resuming_a_complete_run_is_one_line(table, tmp_path, cli):
    root, data = table
    src = root / "cli-run"
    if not src.exists():
        pytest.skip("the first test's run is missing")
    run = tmp_path / "run"
    shutil.copytree(src, run)
    assert_user_error(*cli("train", "--resume", run, *FAST)[::2], "complete")
