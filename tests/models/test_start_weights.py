"""``--pretrained FILE`` for every model: loaded partially with one line saying what was
loaded, what was not and which shapes differ; a garbage file, non-finite weights, a file that
fits nothing, and a model that cannot take a file are refused in one line (issue 24)."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch
from safetensors.torch import save_file
from test_contract import ACCEPTED, KINDS, build, model_config

from hakseup.errors import ConfigError
from hakseup.models.registry import build_model


def _with_weights(name: str, path) -> object:
    return dataclasses.replace(model_config(name), weights=str(path))


def _one_line(msg: str) -> str:
    assert "\n" not in msg and len(msg) < 400, msg
    return msg


# One data kind per model: every registered model is covered.
FIRST = sorted({m: k for m, k in reversed(ACCEPTED)}.items())


@pytest.mark.parametrize("name,kind", FIRST, ids=[f"{m}-{k}" for m, k in FIRST])
def test_every_model_starts_from_a_file_of_its_own_architecture(name, kind, tmp_path):
    source = build(name, kind, seed=1)
    if hasattr(source, "fit_features"):            # rocket: a fitted transform is part of it
        source.fit_features(torch.randn(12, *KINDS[kind].input_shape))
    save_file({k: v.contiguous() for k, v in source.state_dict().items()},
              str(tmp_path / "w.safetensors"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model = build_model(_with_weights(name, tmp_path / "w.safetensors"), KINDS[kind])
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    lines = [_one_line(str(w.message)) for w in seen if "tensors from" in str(w.message)]
    assert len(lines) == 1 and lines[0].startswith("Loaded all"), lines


def test_partial_loading_names_fresh_layers_shapes_and_unused_tensors(tmp_path):
    source = build("mlp", "numeric-table")
    state = dict(source.state_dict())
    last = sorted(k for k in state if k.endswith("weight"))[-1]
    state[last] = torch.zeros(5, state[last].shape[1])          # another number of outputs
    state["extra.weight"] = torch.zeros(2)
    save_file(state, str(tmp_path / "w.safetensors"))
    with pytest.warns(UserWarning) as seen:
        build_model(_with_weights("mlp", tmp_path / "w.safetensors"), KINDS["numeric-table"])
    msg = _one_line(next(str(w.message) for w in seen if "tensors from" in str(w.message)))
    n = len(source.state_dict())
    assert f"Loaded {n - 1} of {n} tensors" in msg, msg
    assert f"{last.rsplit('.', 1)[0]} start fresh" in msg and "file 5x" in msg, msg
    assert "1 tensor(s) of the file unused (extra.weight)" in msg, msg


def test_a_run_folder_is_read_through_its_checkpoint(tmp_path):
    source = build("linear", "numeric-table", seed=3)
    best = tmp_path / "run" / "checkpoints" / "best"
    best.mkdir(parents=True)
    save_file(dict(source.state_dict()), str(best / "model.safetensors"))
    with pytest.warns(UserWarning, match="Loaded all"):
        model = build_model(_with_weights("linear", tmp_path / "run"), KINDS["numeric-table"])
    assert all(torch.equal(model.state_dict()[k], v) for k, v in source.state_dict().items())
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="folder without weights"):
        build_model(_with_weights("linear", tmp_path / "empty"), KINDS["numeric-table"])


@pytest.mark.parametrize("content,match", [
    (b"\x00garbage" * 50, "not a weights file"),
    (b"", "not a weights file"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}", "Could not read weights"),
])
@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_a_garbage_file_is_refused_in_one_line(tmp_path, content, match, suffix):
    path = tmp_path / f"w{suffix}"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=match) as e:
        build_model(_with_weights("mlp", path), KINDS["numeric-table"])
    _one_line(str(e.value))


def test_non_finite_weights_and_a_file_that_fits_nothing_are_refused(tmp_path):
    source = build("mlp", "numeric-table")
    save_file({k: torch.full_like(v, float("nan")) for k, v in source.state_dict().items()},
              str(tmp_path / "nan.safetensors"))
    with pytest.raises(ConfigError, match="NaN or infinite") as e:
        build_model(_with_weights("mlp", tmp_path / "nan.safetensors"), KINDS["numeric-table"])
    _one_line(str(e.value))
    save_file({"unrelated": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ConfigError, match="No layer of"):
        build_model(_with_weights("mlp", tmp_path / "other.safetensors"), KINDS["numeric-table"])


def test_rocket_refuses_weights_without_its_fitted_transform(tmp_path):
    source = build("rocket", "sequence")                       # never fitted
    save_file({k: v.contiguous() for k, v in source.state_dict().items()},
              str(tmp_path / "w.safetensors"))
    with pytest.raises(ConfigError, match="fits its transform") as e:
        build_model(_with_weights("rocket", tmp_path / "w.safetensors"), KINDS["sequence"])
    _one_line(str(e.value))


def test_pretrained_without_a_file_is_refused_for_our_models():
    cfg = dataclasses.replace(model_config("mlp"), pretrained=True)
    with pytest.raises(ConfigError, match="has no published weights"):
        build_model(cfg, KINDS["numeric-table"])
