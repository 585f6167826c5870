"""The one image opener (data/image/decode.open_image) and what the folder and CSV readers
refuse: bombs, FIFOs, links out of the folder, stray folders, phantom classes, a target that
names each image; and predict/evaluate on an image run given a folder."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_images import SHAPES, make_shapes

from conftest import FAST, assert_user_error
from hakseup.config import DataConfig
from hakseup.data.image.decode import UnreadableImage, decode_image, open_image, probe_images
from hakseup.data.image.folder import list_images, read_image_source, scan_folder
from hakseup.errors import DataError


def _bomb(path: Path) -> Path:
    """A 20000 x 20000 1-bit PNG: a few KB on disk, 400 million pixels declared."""
    Image.new("1", (20000, 20000)).save(path)
    assert path.stat().st_size < 200_000
    return path


def test_a_decompression_bomb_is_refused_in_one_line(tmp_path):
    bomb = _bomb(tmp_path / "bomb.png")
    with pytest.raises(UnreadableImage, match="decompression bomb"):
        decode_image(bomb, (16, 16), 1)
    assert probe_images([bomb]) == (set(), False)              # no traceback from the probe


def test_fifos_and_devices_are_refused_without_opening_them(tmp_path):
    os.mkfifo(tmp_path / "x.png")
    with pytest.raises(UnreadableImage, match="not a regular file"):
        with open_image(tmp_path / "x.png"):
            pass
    if os.path.exists("/dev/zero"):
        with pytest.raises(UnreadableImage, match="not a regular file"):
            decode_image("/dev/zero", (8, 8), 1)
    assert list_images(tmp_path) == []


def test_a_file_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    Image.new("RGB", (64, 64)).save(tmp_path / "a.bmp")
    monkeypatch.setenv("HAKSEUP_MAX_IMAGE_MB", "0.001")
    with pytest.raises(UnreadableImage, match="HAKSEUP_MAX_IMAGE_MB"):
        decode_image(tmp_path / "a.bmp", (8, 8), 3)


def test_a_bomb_among_good_images_is_skipped_and_train_has_no_traceback(tmp_path, cli):
    root = make_shapes(tmp_path / "pics", 6)
    _bomb(root / "circle" / "bomb.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = read_image_source(DataConfig(path=str(root), image_size=16), progress=False)
    assert len(raw.labels) == 18
    assert any("skipped" in str(w.message).lower() for w in caught)


def test_a_class_folder_linked_outside_is_refused(tmp_path):
    root = make_shapes(tmp_path / "pics", 3)
    (root / "usr").symlink_to("/usr")
    with pytest.raises(DataError, match="outside"):
        scan_folder(root)


def test_linked_files_leading_outside_are_skipped_linked_folders_not_walked(tmp_path):
    root = make_shapes(tmp_path / "pics", 3)
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.png")
    (root / "circle" / "out.png").symlink_to(tmp_path / "secret.png")
    (root / "circle" / "in.png").symlink_to(root / "square" / "0.png")   # inside: kept
    (root / "circle" / "loop").symlink_to(root)                           # never walked
    with pytest.warns(UserWarning, match="outside the data folder"):
        files = list_images(root / "circle", root)
    names = {f.name for f in files}
    assert "out.png" not in names and "in.png" in names and len(files) == 4


def test_a_stray_folder_beside_train_and_test_is_ignored_with_a_warning(tmp_path):
    root = make_shapes(tmp_path / "pics", 0, splits={"train": 4, "test": 2})
    make_shapes(root / "__MACOSX", 2)                 # archivers' debris: silently ignored
    make_shapes(root / "extra", 2)                    # any other folder: said once
    with pytest.warns(UserWarning, match="extra"):
        paths, labels, split = scan_folder(root)
    assert set(labels) == set(SHAPES) and set(split) == {"train", "test"}
    assert not any("__MACOSX" in str(p) or "extra" in str(p) for p in paths)


def test_a_class_whose_files_are_all_unreadable_is_dropped(tmp_path):
    root = make_shapes(tmp_path / "pics", 6)
    (root / "broken").mkdir()
    for i in range(4):
        (root / "broken" / f"{i}.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="no readable image"):
        raw = read_image_source(DataConfig(path=str(root), image_size=16), progress=False)
    assert raw.class_names == sorted(SHAPES) and "broken" not in raw.class_names
    assert raw.labels.max() == len(SHAPES) - 1


def test_a_target_with_one_value_per_image_is_refused(tmp_path, cli):
    root = make_shapes(tmp_path / "pics", 4)
    files = [str(p) for p in list_images(root)]
    pd.DataFrame({"path": files, "file": [Path(f).name + str(i) for i, f in enumerate(files)],
                  "label": [Path(f).parent.name for f in files]}).to_csv(tmp_path / "i.csv",
                                                                         index=False)
    assert_user_error(*cli("train", "--data", tmp_path / "i.csv", "--image-col", "path", "--target",
                           "file", *FAST)[::2], "its own class")
    assert_user_error(*cli("train", "--data", tmp_path / "i.csv", "--image-col", "path",
                           "--target", "path", *FAST)[::2], "column of image paths")


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    from hakseup.cli.main import main

    base = tmp_path_factory.mktemp("opener")
    root = make_shapes(base / "pics", 8)
    assert main(["train", "--data", str(root), "--model", "lenet", "--image-size", "16",
                 "--set", "model.channels=[4,4]", *FAST, "--set", "output.plots=false",
                 "--output", str(base / "run")]) == 0
    return root, base / "run"


def test_predict_with_no_readable_image_exits_2(image_run, cli, tmp_path):
    _, run = image_run
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"garbage")
    os.mkfifo(tmp_path / "bad" / "b.png")
    pd.DataFrame({"path": [str(tmp_path / "bad" / "b.png")]}).to_csv(tmp_path / "f.csv",
                                                                   index=False)
    for data in (tmp_path / "bad", tmp_path / "f.csv"):       # the FIFO never hangs it
        assert_user_error(*cli("predict", run, "--data", data, "--output",
                               tmp_path / "p.csv")[::2], "could be read")
    assert not (tmp_path / "p.csv").exists()


def test_evaluate_and_the_api_accept_a_folder_on_an_image_run(image_run, cli):
    root, run = image_run
    code, out, err = cli("evaluate", run, "--data", root)
    assert code == 0, err
    assert "accuracy" in out
    from hakseup.experiment.experiment import Experiment
    from hakseup.run.result import RunResult

    exp = Experiment.from_run(run)
    r = RunResult(run, {}, "", {}, [], exp.schema_, model=exp.model_,
                  bundle=type("B", (), {"preprocessor": exp.preprocessor_})(),
                  data_config=exp.cfg.data)
    p = r.predict(str(root))
    assert len(p) == 24 and set(p["predicted_label"]) <= set(SHAPES)
    assert np.allclose(p.filter(like="prob_").sum(1), 1, atol=1e-5)
