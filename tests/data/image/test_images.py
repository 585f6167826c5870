"""Image folders, CSVs of image paths, decoding, caching, augmentation, CIFAR-10, the image
models, predict and the report — on generated pictures and (when present) real MNIST PNGs."""

from __future__ import annotations

import hashlib
import io
import tarfile
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageDraw

from conftest import FAST, assert_user_error
from hakseup.config import DataConfig, ModelConfig, RunConfig
from hakseup.data.augment import AUGMENTATIONS, Augmenter
from hakseup.data.bundle import Schema, is_lazy
from hakseup.data.datasets import load_data
from hakseup.data.image.decode import decode_image
from hakseup.errors import ConfigError, DataError

SHAPES = ["circle", "square", "세모"]          # a Korean class name among them


def _shape_image(kind: str, rng, size=(24, 24), mode="RGB") -> Image.Image:
    w, h = size
    im = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(0, 60, 3)))
    d = ImageDraw.Draw(im)
    c = tuple(int(v) for v in rng.integers(170, 256, 3))
    box = [w * 0.15, h * 0.15, w * 0.85, h * 0.85]
    if kind == "circle":
        d.ellipse(box, fill=c)
    elif kind == "square":
        d.rectangle(box, fill=c)
    else:
        d.polygon([(w / 2, box[1]), (box[0], box[3]), (box[2], box[3])], fill=c)
    return im.convert(mode)


def make_shapes(root: Path, per_class: int, splits: dict | None = None, seed: int = 0,
                sizes=((24, 24),)) -> Path:
    """Class folders of circles, squares and triangles in PNG/JPEG/BMP/WebP, some grey."""
    rng = np.random.default_rng(seed)
    trees = splits or {"": per_class}
    for split, n in trees.items():
        for kind in SHAPES:
            d = root / split / kind if split else root / kind
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                size = sizes[i % len(sizes)]
                im = _shape_image(kind, rng, size, "L" if i % 5 == 4 else "RGB")
                ext = ["png", "jpg", "bmp", "webp"][i % 4]
                im.save(d / f"{i}.{ext}", quality=95) if ext == "jpg" else im.save(d / f"{i}.{ext}")
    return root


# ------------------------------------------------------------------ decoding


def test_decode_converts_every_mode_to_the_configured_channels(tmp_path):
    Image.new("L", (8, 6), 200).save(tmp_path / "grey.png")
    rgba = Image.new("RGBA", (8, 6), (255, 0, 0, 0))            # fully transparent red
    rgba.paste((0, 0, 255, 255), (0, 0, 4, 6))                  # opaque blue left half
    rgba.save(tmp_path / "rgba.png")
    Image.new("RGB", (8, 6), (10, 200, 30)).convert("P", palette=Image.Palette.ADAPTIVE
                                                    ).save(tmp_path / "pal.gif")
    Image.fromarray(np.full((6, 8), 65535, np.uint16)).save(tmp_path / "deep.png")

    grey = decode_image(tmp_path / "grey.png", (6, 8), 3, "stretch")
    assert grey.shape == (3, 6, 8) and grey.dtype == np.uint8 and (grey == 200).all()
    a = decode_image(tmp_path / "rgba.png", (6, 8), 3, "stretch")
    assert tuple(a[:, 0, 0]) == (0, 0, 255)                     # opaque pixel kept
    assert tuple(a[:, 0, 7]) == (255, 255, 255)                 # transparency → white
    p = decode_image(tmp_path / "pal.gif", (6, 8), 3, "stretch")
    assert abs(int(p[1, 0, 0]) - 200) < 8 and abs(int(p[0, 0, 0]) - 10) < 8
    deep = decode_image(tmp_path / "deep.png", (6, 8), 1, "stretch")
    assert deep.shape == (1, 6, 8) and (deep == 255).all()      # 16-bit scaled, not clipped


def test_decode_honours_exif_orientation_and_keeps_aspect(tmp_path):
    im = Image.new("RGB", (40, 20), (255, 0, 0))                # stored: left red, right blue
    im.paste((0, 0, 255), (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6                                            # shown rotated 90° clockwise
    im.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    a = decode_image(tmp_path / "rot.jpg", (40, 20), 3, "stretch")   # upright: 20 wide, 40 high
    assert a[0, 2, 10] > 200 and a[2, 2, 10] < 60               # top is red
    assert a[2, 37, 10] > 200 and a[0, 37, 10] < 60             # bottom is blue
    wide = Image.new("L", (40, 10), 255)
    wide.save(tmp_path / "wide.png")
    pad = decode_image(tmp_path / "wide.png", (20, 20), 1, "pad")
    assert pad[0, 0, 10] == 0 and pad[0, 10, 10] == 255         # bands above and below
    crop = decode_image(tmp_path / "wide.png", (20, 20), 1, "crop")
    assert (crop == 255).all()                                  # centre cut, no padding


# ------------------------------------------------------------------ folders and tables


def test_class_folders_with_split_trees_korean_names_and_a_corrupt_file(tmp_path):
    root = make_shapes(tmp_path / "pics", 0, splits={"train": 10, "val": 3, "test": 4})
    (root / "train" / "square" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (root / "train" / "square" / "notes.txt").write_text("ignored: not an image")
    with pytest.warns(UserWarning, match=r"Skipped 1 of 52 .*broken\.jpg"):
        bundle = load_data(DataConfig(path=str(root)), seed=0)
    assert bundle.schema.class_names == sorted(SHAPES)
    assert {k: len(getattr(bundle, k)) for k in ("train", "val", "test")} == \
        {"train": 30, "val": 9, "test": 12}
    assert bundle.schema.input_shape == (3, 24, 24)             # colour: any image is
    x = bundle.train.inputs[0]
    assert x.dtype == torch.float32
    assert torch.allclose(x.mean((0, 2, 3)), torch.zeros(3), atol=1e-4)   # fitted on train
    assert torch.allclose(x.std((0, 2, 3)), torch.ones(3), atol=1e-2)
    assert not torch.allclose(bundle.test.inputs[0].mean((0, 2, 3)), torch.zeros(3), atol=1e-4)


def test_flat_class_folders_are_split_stratified_and_nfd_names_join_nfc(tmp_path):
    root = make_shapes(tmp_path / "pics", 20, sizes=((30, 20), (20, 30)))
    nfd = unicodedata.normalize("NFD", "세모")                  # as macOS writes names
    (root / nfd).mkdir()
    _shape_image("세모", np.random.default_rng(1)).save(root / nfd / "extra.png")
    cfg = DataConfig(path=str(root), image_size=16, image_channels=1, val_size=0.2,
                     test_size=0.2)
    bundle = load_data(cfg, seed=0)
    if (root / nfd) != (root / "세모"):                         # the file system kept both
        assert bundle.schema.class_names.count("세모") == 1
    assert bundle.schema.input_shape == (1, 16, 16)
    assert sum(bundle.info["rows"].values()) in (60, 61)
    counts = np.bincount(bundle.test.target.numpy())
    assert counts.max() - counts.min() <= 1                     # stratified


def test_csv_of_image_paths(tmp_path):
    root = make_shapes(tmp_path / "pics", 12)
    rows = [(f"pics/{k}/{i}.{['png', 'jpg', 'bmp', 'webp'][i % 4]}", k)
            for k in SHAPES for i in range(12)]
    rows.append(("pics/missing.png", "circle"))
    pd.DataFrame(rows, columns=["file", "kind"]).to_csv(tmp_path / "t.csv", index=False)
    cfg = DataConfig(path=str(tmp_path / "t.csv"), image_col="file", target="kind")
    with pytest.warns(UserWarning, match="Skipped 1 of 37"):
        bundle = load_data(cfg, seed=0)
    assert sorted(bundle.schema.class_names) == sorted(SHAPES)
    assert sum(bundle.info["rows"].values()) == 36
    assert root.exists()
    with pytest.raises(DataError, match="no column 'path'"):
        load_data(DataConfig(path=str(tmp_path / "t.csv"), image_col="path"), seed=0)


def test_folder_mistakes_are_one_line_errors(tmp_path, cli):
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (8, 8)).save(flat / "a.png")
    assert_user_error(*cli("train", "--data", flat, *FAST)[::2], "one sub-folder per class")
    one = tmp_path / "one" / "cat"
    one.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(one / "a.png")
    assert_user_error(*cli("train", "--data", tmp_path / "one", *FAST)[::2], "single class")
    bad = tmp_path / "bad"
    for k in ("a", "b"):
        (bad / k).mkdir(parents=True)
        (bad / k / "x.png").write_bytes(b"garbage")
    code, _, err = cli("train", "--data", bad, *FAST)
    assert_user_error(code, err.splitlines()[-1], "could be read")


def test_disk_cache_is_read_lazily_and_reused_without_decoding(tmp_path, monkeypatch):
    root = make_shapes(tmp_path / "pics", 10)
    cfg = DataConfig(path=str(root), image_cache="disk", cache_dir=str(tmp_path / "c"))
    memory = load_data(DataConfig(path=str(root)), seed=0)
    lazy = load_data(cfg, seed=0)
    assert is_lazy(lazy.train) and not is_lazy(memory.train)
    assert list((tmp_path / "c" / "image-cache").glob("*.u8"))
    x = torch.stack([lazy.test.dataset[i][0] for i in range(len(lazy.test))])
    assert torch.allclose(x, memory.test.inputs[0], atol=1e-5)   # same numbers either way

    import hakseup.data.image.decode as dec

    def no_decoding(*a, **k):
        raise AssertionError("decoded again")

    monkeypatch.setattr(dec, "decode_image", no_decoding)
    again = load_data(cfg, seed=0)                              # the cache file is reused
    assert len(again.train) == len(lazy.train)


# ------------------------------------------------------------------ augmentation


def test_augmentations_keep_shapes_and_replay_with_the_seed():
    x = torch.randn(8, 3, 16, 16)
    for op in AUGMENTATIONS:
        aug = Augmenter([op], mean=[0.5, 0.4, 0.3], std=[0.2, 0.2, 0.2])
        torch.manual_seed(0)
        a = aug((x, torch.zeros(8)))[0]
        torch.manual_seed(0)
        b = aug((x, torch.zeros(8)))[0]
        assert a.shape == x.shape and torch.equal(a, b), op
        assert not torch.equal(a, x), op
    cut = Augmenter(["cutout"], cutout=0.25)((torch.ones(4, 1, 16, 16),))[0]
    assert ((cut == 0).sum((1, 2, 3)) == 16).all()              # one 4x4 hole each
    jit = Augmenter(["jitter"], mean=[0.5], std=[0.25])((torch.zeros(4, 1, 8, 8),))[0]
    assert jit.min() >= -2 - 1e-6 and jit.max() <= 2 + 1e-6     # stays within [0, 1] pixels
    with pytest.raises(ConfigError, match="Unknown augmentation"):
        Augmenter(["rotate"])


# ------------------------------------------------------------------ models


def test_cifar10_cnn_recipe_is_the_curriculum_network_layer_for_layer():
    from hakseup.config.load import load_config
    from hakseup.models.registry import build_model
    from hakseup.models.summary import summarize

    cfg = load_config(recipe="cifar10-cnn")
    assert cfg.data.dataset == "cifar10"
    model = build_model(cfg.model, Schema("multiclass", "image", (3, 32, 32), 10))
    rows, totals = summarize(model, (torch.zeros(2, 3, 32, 32),))
    got = [(r["type"], r["output"]) for r in rows]
    assert got == [("Conv2d", "(2, 64, 28, 28)"), ("ReLU", "(2, 64, 28, 28)"),
                   ("MaxPool2d", "(2, 64, 14, 14)"), ("Conv2d", "(2, 30, 10, 10)"),
                   ("ReLU", "(2, 30, 10, 10)"), ("MaxPool2d", "(2, 30, 5, 5)"),
                   ("Flatten", "(2, 750)"), ("Linear", "(2, 10)")]
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == \
        [(3, 64, (5, 5), (0, 0)), (64, 30, (5, 5), (0, 0))]
    assert totals["parameters"] == (3 * 25 * 64 + 64) + (64 * 25 * 30 + 30) + (750 * 10 + 10)


def test_default_image_models_and_resnet_shapes():
    from hakseup.models.registry import build_model, default_model_name

    assert default_model_name(Schema("multiclass", "image", (1, 8, 8), 10)) == "mlp"
    assert default_model_name(Schema("multiclass", "image", (1, 28, 28), 10)) == "lenet"
    assert default_model_name(Schema("multiclass", "image", (3, 32, 32), 10)) == "resnet"
    for shape in [(3, 32, 32), (1, 28, 28), (3, 20, 44)]:
        m = build_model(ModelConfig(name="resnet", channels=[8]),
                        Schema("multiclass", "image", shape, 7))
        assert m(torch.zeros(2, *shape)).shape == (2, 7)
    with pytest.raises(ConfigError, match="needs images"):
        build_model(ModelConfig(name="resnet"), Schema("binary", "table", (4,), 2))
    with pytest.raises(ConfigError, match="at least 16x16"):
        build_model(ModelConfig(name="lenet"), Schema("binary", "image", (1, 8, 8), 2))


def test_pretrained_from_a_local_file_and_the_missing_extra(tmp_path):
    from safetensors.torch import save_file

    from hakseup.models.registry import build_model

    source = build_model(ModelConfig(name="resnet", channels=[8]),
                         Schema("multiclass", "image", (3, 16, 16), 5))
    save_file(source.state_dict(), str(tmp_path / "w.safetensors"))
    torch.save({"state_dict": source.state_dict()}, tmp_path / "w.pt")
    for f in ("w.safetensors", "w.pt"):
        cfg = ModelConfig(name="resnet", channels=[8], pretrained=True,
                          weights=str(tmp_path / f))
        with pytest.warns(UserWarning, match=r"head\.2 start fresh"):   # 3 classes, not 5
            m = build_model(cfg, Schema("multiclass", "image", (3, 16, 16), 3))
        assert torch.equal(m.stem[0].weight, source.stem[0].weight)
        assert m.head[2].out_features == 3
    with pytest.raises(ConfigError, match="has no published weights"):
        build_model(ModelConfig(name="resnet", pretrained=True),
                    Schema("multiclass", "image", (3, 16, 16), 3))
    with pytest.raises(ConfigError, match="No layer of"):
        build_model(ModelConfig(name="lenet", weights=str(tmp_path / "w.pt")),
                    Schema("multiclass", "image", (3, 16, 16), 3))
    try:
        import torchvision  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"hakseup\[vision\]"):
            build_model(ModelConfig(name="torchvision:resnet18"),
                        Schema("multiclass", "image", (3, 32, 32), 3))


# ------------------------------------------------------------------ CIFAR-10


def _cifar_archive(n: int = 20, extra: dict | None = None) -> bytes:
    rng = np.random.default_rng(0)

    def batch():
        labels = np.arange(n) % 10
        pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        pixels[:, :1024] = (labels * 25)[:, None]             # the red plane names the class
        return np.concatenate([labels[:, None].astype(np.uint8), pixels], 1).tobytes()

    files = {f"cifar-10-batches-bin/data_batch_{i}.bin": batch() for i in range(1, 6)}
    files["cifar-10-batches-bin/test_batch.bin"] = batch()
    files["cifar-10-batches-bin/batches.meta.txt"] = b"\n".join(
        c.encode() for c in ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                             "horse", "ship", "truck"]) + b"\n\n"
    files.update(extra or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def cifar_server(tmp_path, monkeypatch):
    import http.server
    import threading
    from functools import partial

    import hakseup.data.image.cifar as cifar

    root = tmp_path / "served"
    root.mkdir()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(payload: bytes):
        (root / cifar.CIFAR10_ARCHIVE).write_bytes(payload)
        monkeypatch.setattr(cifar, "CIFAR10_MD5", hashlib.md5(payload).hexdigest())

    monkeypatch.setenv("HAKSEUP_MIRRORS", f"http://127.0.0.1:{server.server_address[1]}/")
    yield serve
    server.shutdown()


def test_cifar10_downloads_verifies_and_reads_the_binary_format(cifar_server, tmp_path):
    cifar_server(_cifar_archive(extra={"../escape.txt": b"x"}))
    bundle = load_data(DataConfig(dataset="cifar10", val_size=0.2), seed=0)
    assert bundle.schema.input_shape == (3, 32, 32)
    assert bundle.schema.class_names[:3] == ["airplane", "automobile", "bird"]
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (80, 20, 20)
    pre = bundle.preprocessor
    red = pre.pixels(bundle.test.inputs[0])[:, 0, 0, 0] * 255
    assert torch.allclose(red, bundle.test.target.float() * 25, atol=1e-3)
    assert not (tmp_path / "escape.txt").exists()                # nothing outside the folder
    assert not (tmp_path / "cache" / "escape.txt").exists()
    cached = tmp_path / "cache" / "cifar10" / "cifar-10-batches-bin"
    assert sorted(p.name for p in cached.iterdir())[:2] == ["batches.meta.txt", "data_batch_1.bin"]


def test_cifar10_corrupt_download_is_an_error(cifar_server, tmp_path, monkeypatch):
    import hakseup.data.image.cifar as cifar

    cifar_server(_cifar_archive())
    monkeypatch.setattr(cifar, "CIFAR10_MD5", "0" * 32)
    with pytest.raises(DataError, match=r"MD5 0{32}.*checksum mismatch"):
        load_data(DataConfig(dataset="cifar10"), seed=0)
    assert not list((tmp_path / "cache" / "cifar10").glob("*.tar.gz"))   # nothing half-kept


# ------------------------------------------------------------------ train, predict, report


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    """One small run on a shapes folder, shared by the tests that read it."""
    from hakseup.cli.main import main

    base = tmp_path_factory.mktemp("shapes")
    root = make_shapes(base / "pics", 14)
    code = main(["train", "--data", str(root), "--model", "lenet", "--image-size", "16",
                 "--set", "model.channels=[8,8]", "--set", "data.augment=[flip,crop]", *FAST,
                 "--output", str(base / "run")])
    assert code == 0
    return root, base / "run"


def test_train_on_a_folder_writes_the_image_report(shapes_run):
    _, run = shapes_run
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "Per-class accuracy (test)" in md and "| 세모 |" in md
    assert "images/s" in md
    assert (run / "plots" / "confusion_matrix.png").is_file()
    acc = __import__("json").loads((run / "metrics.json").read_text())["metrics"]["accuracy"]
    assert (run / "plots" / "misclassified.png").is_file() == (acc < 1.0)


def test_predict_a_folder_a_file_and_a_csv(shapes_run, cli, tmp_path):
    root, run = shapes_run
    code, out, err = cli("predict", run, "--data", root, "--output", "p.csv")
    assert code == 0, err
    p = pd.read_csv("p.csv")
    assert list(p.columns[:2]) == ["path", "predicted_label"]
    assert [c[5:] for c in p.columns[2:]] == sorted(SHAPES)
    assert len(p) == 42 and np.allclose(p.iloc[:, 2:].sum(1), 1, atol=1e-5)
    assert set(p["predicted_label"]) <= set(SHAPES)
    assert cli("predict", run, "--data", root / "square" / "0.png", "--output", "one.csv")[0] == 0
    assert len(pd.read_csv("one.csv")) == 1
    pd.DataFrame({"path": [str(root / "circle" / "1.jpg"), "nope.png"]}).to_csv("new.csv",
                                                                               index=False)
    with warnings.catch_warnings(record=True):
        assert cli("predict", run, "--data", "new.csv", "--output", "two.csv")[0] == 0
    assert len(pd.read_csv("two.csv")) == 1                    # the missing file is skipped


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_an_image_model(shapes_run, cli, fmt):
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnxscript")
    _, run = shapes_run
    code, out, err = cli("export", run, "--format", fmt)
    assert code == 0, err
    assert "outputs match" in out


def test_resume_on_a_folder_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    from conftest import crash_at_step_then_resume
    from hakseup.training.checkpoint import load_weights

    root = make_shapes(tmp_path / "pics", 8)

    def cfg_for(folder):
        return RunConfig.from_dict({
            "data": {"path": str(root), "image_size": 16, "augment": ["flip", "cutout"]},
            "model": {"name": "lenet", "channels": [4, 4]},
            "train": {"epochs": 2, "batch_size": 8, "progress": False, "tensorboard": False,
                      "checkpoint_every": 2},
            "output": {"dir": str(folder), "plots": False}})

    crash_at_step_then_resume(tmp_path, monkeypatch, cfg_for, step=3)
    a = load_weights(tmp_path / "full" / "checkpoints" / "last")
    b = load_weights(tmp_path / "part" / "checkpoints" / "last")
    assert all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ real images: MNIST PNGs


def _mnist_pngs(shared: Path, out: Path, n_train: int, n_test: int) -> Path:
    from hakseup.io.idx import read_idx

    x = read_idx(shared / "mnist-t10k" / "t10k-images-idx3-ubyte.gz")
    y = read_idx(shared / "mnist-t10k" / "t10k-labels-idx1-ubyte.gz")
    for i in range(n_train + n_test):
        d = out / ("train" if i < n_train else "test") / str(int(y[i]))
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x[i]).save(d / f"{i:05d}.png")
    return out


@pytest.mark.parametrize("n_train, n_test, flags, floor", [
    pytest.param(500, 100, [], 0.5, marks=pytest.mark.slow),   # real PNGs: with -m slow
    # The defaults but for the epochs: 2 (FAST) left 2,000 images at 0.87-0.91 by seed.
    pytest.param(2000, 500, ["--epochs", "6"], 0.9, marks=pytest.mark.slow),
])
def test_mnist_png_folder_trains_and_predicts(shared_data, tmp_path, cli, n_train, n_test,
                                              flags, floor):
    root = _mnist_pngs(shared_data, tmp_path / "mnist", n_train, n_test)
    code, out, err = cli("train", "--data", root, *FAST, *flags, "--output", "m")
    assert code == 0, err
    cfg = __import__("yaml").safe_load(Path("m/config.yaml").read_text())
    assert cfg["model"]["name"] == "lenet"                      # the default for grey images
    assert cfg["data"]["image_size"] is None
    assert __import__("json").loads(Path("m/schema.json").read_text())["input_shape"] == \
        [1, 28, 28]                                             # their own size, grey
    acc = __import__("json").loads(Path("m/metrics.json").read_text())["metrics"]["accuracy"]
    assert acc > floor, acc                                     # chance is 0.1
    assert cli("predict", "m", "--data", root / "test", "--output", "p.csv")[0] == 0
    p = pd.read_csv("p.csv")
    truth = p["path"].str.split("/").str[0].astype(str)
    assert len(p) == n_test
    assert (p["predicted_label"].astype(str) == truth).mean() == pytest.approx(acc, abs=1e-9)
