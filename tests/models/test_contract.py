"""The model contract, checked for every registered model on every kind of data it accepts
(scikit-learn's ``check_estimator`` idea): a model added to the registry is picked up here
without editing this file.

For each (model, data kind) the model accepts: the output shape in both modes, a training
batch of one, a ``state_dict`` round trip through the checkpoint format, export (ONNX and
TorchScript) checked against PyTorch at another batch size, and determinism under a seed. A
kind a model does not accept must be refused with a one-line ``ConfigError`` when it is built.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from hakseup.config import ModelConfig
from hakseup.data.bundle import DataBundle, Schema, Split
from hakseup.errors import ConfigError
from hakseup.models.registry import build_model, model_names
from hakseup.training.device import seed_everything
from hakseup.training.trainer import Trainer

# One small schema per kind of data the loaders produce (shapes as they produce them).
KINDS: dict[str, Schema] = {
    "image": Schema("multiclass", "image", (1, 8, 8), 3, class_names=["a", "b", "c"]),
    "grey-image": Schema("multiclass", "image", (1, 28, 28), 3, class_names=["a", "b", "c"]),
    "colour-image": Schema("multiclass", "image", (3, 32, 32), 3, class_names=["a", "b", "c"]),
    "table": Schema("binary", "table", (2,), 2, class_names=["no", "yes"],
                    numeric_features=["x0", "x1"], categorical_features=["k", "m"],
                    cardinalities=[4, 3]),
    "numeric-table": Schema("regression", "table", (3,), 1,
                            numeric_features=["x0", "x1", "x2"]),
    "categorical-table": Schema("multiclass", "table", (0,), 3, class_names=["a", "b", "c"],
                                categorical_features=["k"], cardinalities=[5]),
    "sequence": Schema("multiclass", "sequence", (6, 2), 3, class_names=["a", "b", "c"]),
    "series": Schema("forecast", "series", (6, 2), 2),
}
N_TRAIN, BATCH = 2 * 8 + 1, 8      # the last training batch would be one sample: merged


def model_config(name: str) -> ModelConfig:
    """Small widths, so every check takes milliseconds; defaults otherwise."""
    return ModelConfig(name=name, hidden=[8, 8], hidden_size=8, channels=[4, 8])


def build(name: str, kind: str, seed: int = 0) -> nn.Module:
    seed_everything(seed)
    return build_model(model_config(name), KINDS[kind])


def inputs(schema: Schema, n: int, seed: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *schema.input_shape, generator=g)
    if schema.input_kind != "table":
        return (x,)
    cats = [torch.randint(0, c, (n,), generator=g) for c in schema.cardinalities]
    return (x, torch.stack(cats, 1) if cats else torch.zeros(n, 0, dtype=torch.long))


def split(schema: Schema, n: int, seed: int) -> Split:
    xs = inputs(schema, n, seed)
    g = torch.Generator().manual_seed(seed + 1)
    if schema.is_classification:
        y = torch.arange(n) % schema.n_outputs                  # every class present
        y = y[torch.randperm(n, generator=g)]
    else:                                                       # (N, 1) values, (N, H) forecasts
        y = torch.randn(n, schema.n_outputs, generator=g)
    return Split(xs, y)


def bundle(kind: str) -> DataBundle:
    s = KINDS[kind]
    return DataBundle(split(s, N_TRAIN, 1), split(s, 6, 2), split(s, 0, 3), s, None)


def _classify(name: str, kind: str) -> str:
    """'accepts', 'refuses' (a ConfigError) or the crash, decided once at collection."""
    try:
        build(name, kind)
    except ConfigError:
        return "refuses"
    except Exception as e:                                       # a bug: reported by a test
        return f"crashes: {type(e).__name__}: {e}"
    return "accepts"


PAIRS = {(m, k): _classify(m, k) for m in model_names() for k in KINDS}
ACCEPTED = [p for p, v in PAIRS.items() if v == "accepts"]
ids = [f"{m}-{k}" for m, k in ACCEPTED]


def test_every_registered_model_is_checked_on_some_data():
    assert {"mlp", "linear", "cnn", "tabular", "lstm", "gru"} <= set(model_names())
    for name in model_names():
        assert any(m == name for m, _ in ACCEPTED), f"{name} accepts none of {list(KINDS)}"
    assert ("cnn", "image") in ACCEPTED and ("cnn", "sequence") in ACCEPTED


@pytest.mark.parametrize("name,kind", list(PAIRS), ids=[f"{m}-{k}" for m, k in PAIRS])
def test_a_model_accepts_a_kind_or_refuses_it_in_one_line(name, kind):
    verdict = PAIRS[(name, kind)]
    assert not verdict.startswith("crashes"), verdict
    if verdict == "refuses":
        with pytest.raises(ConfigError) as e:
            build(name, kind)
        msg = str(e.value)
        assert "\n" not in msg and "Use" in msg, msg              # what to do instead


@pytest.mark.parametrize("name,kind", ACCEPTED, ids=ids)
def test_output_shape_in_both_modes_and_for_one_row(name, kind):
    schema, model = KINDS[kind], build(name, kind)
    for mode, n in (("train", 5), ("eval", 5), ("eval", 1)):   # predicting one row is common
        model.train(mode == "train")
        with torch.no_grad():
            out = model(*inputs(schema, n, 0))
        assert out.shape == (n, schema.n_outputs), (mode, out.shape)
        assert out.dtype == torch.float32 and torch.isfinite(out).all()


def has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


@pytest.mark.parametrize("name,kind", ACCEPTED, ids=ids)
def test_a_training_batch_of_one(name, kind):
    """With batch size 1 either the dry run refuses it in one line (BatchNorm cannot
    normalise one value per channel) or training really takes steps of one sample and
    learns; a BatchNorm over positions (images, sequences) still has several values."""
    data, model = bundle(kind), build(name, kind)
    trainer = Trainer(epochs=1, batch_size=1, progress=False, device="cpu")
    try:
        trainer.validate(model, data)
    except ConfigError as e:
        assert has_batch_norm(model) and "more than 1 value per channel" in str(e), e
        # A batch of 8 on 17 samples: 8 + 9, the lone last sample merged, and it trains.
        trainer = Trainer(epochs=1, batch_size=BATCH, progress=False, device="cpu")
        assert math.isfinite(trainer.fit(model, data)[0]["train_loss"])
        assert trainer.state.steps_per_epoch == 2
        return
    before = [p.detach().clone() for p in model.parameters()]
    hist = trainer.fit(model, data)
    assert trainer.state.steps_per_epoch == N_TRAIN
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert any(not torch.equal(p, b) for p, b in zip(model.parameters(), before))
    assert math.isfinite(hist[0]["train_loss"])


@pytest.mark.parametrize("name,kind", ACCEPTED, ids=ids)
def test_state_dict_round_trip_through_a_checkpoint(name, kind, tmp_path):
    from hakseup.training.checkpoint import load_checkpoint, save_checkpoint

    data, model = bundle(kind), build(name, kind)
    Trainer(epochs=1, batch_size=BATCH, progress=False, device="cpu").fit(model, data)
    save_checkpoint(tmp_path / "ck", model.state_dict())
    other = build(name, kind, seed=1)                          # different initial weights
    weights, _ = load_checkpoint(tmp_path / "ck")
    other.load_state_dict(weights)
    x = inputs(KINDS[kind], 7, 5)
    with torch.no_grad():
        assert torch.equal(model.eval()(*x), other.eval()(*x))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  other.state_dict().values()))


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
@pytest.mark.parametrize("name,kind", ACCEPTED, ids=ids)
def test_export_matches_pytorch_at_another_batch_size(name, kind, fmt, tmp_path):
    from hakseup.experiment.export import export_model

    schema, model = KINDS[kind], build(name, kind)
    Trainer(epochs=1, batch_size=BATCH, progress=False, device="cpu").fit(model, bundle(kind))
    if fmt == "onnx":
        pytest.importorskip("onnxscript")
        ort = pytest.importorskip("onnxruntime")
    path, diff = export_model(model, schema, fmt, tmp_path / f"m.{fmt}")
    assert diff <= 1e-4, diff                                   # on its own example batch
    x = inputs(schema, 3, 9)                                    # the example had 4 rows
    with torch.no_grad():
        expected = model.eval()(*x)
    if fmt == "onnx":
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feeds = {f"input_{i}": t.numpy() for i, t in enumerate(x)}   # unread ones are pruned
        got = session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})[0]
        got = torch.from_numpy(got)
    else:
        got = torch.jit.load(str(path))(*x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name,kind", ACCEPTED, ids=ids)
def test_the_same_seed_gives_the_same_model_and_training(name, kind):
    def trained(seed):
        model = build(name, kind, seed)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        Trainer(epochs=2, batch_size=BATCH, seed=seed, progress=False, device="cpu"
                ).fit(model, bundle(kind))
        with torch.no_grad():
            out = model.eval()(*inputs(KINDS[kind], 5, 4))
        return init, model.state_dict(), out

    init_a, a, out_a = trained(3)
    init_b, b, out_b = trained(3)
    init_c, _, _ = trained(4)
    assert all(torch.equal(init_a[k], init_b[k]) for k in init_a)
    assert all(torch.equal(a[k], b[k]) for k in a) and torch.equal(out_a, out_b)
    if not getattr(type(build(name, kind)), "deterministic_init", False):  # the seed is used
        assert any(not torch.equal(init_a[k], init_c[k]) for k in init_a)
    assert any(not torch.equal(init_a[k], a[k]) for k in a)             # and training moved it
