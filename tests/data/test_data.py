"""The data layer: CSV reading, kinds, leak-free preprocessing, splits, downloads, IDX."""

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST, assert_user_error, run_weights
from hakseup.config import DataConfig
from hakseup.data.batches import InMemoryBatcher, epoch_permutation
from hakseup.io.download import RemoteFile, fetch
from hakseup.io.idx import read_idx
from hakseup.data.splits import chronological_indices, holdout_indices, kfold_indices
from hakseup.data.table.prepare import TablePreprocessor, infer_task, prepare_table, bundle_from_plan
from hakseup.errors import DataError


def write_mixed_csv(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue"], n)
    size = rng.normal(10, 3, n)
    y = np.where((color == "red") ^ (size > 10), "yes", "no")
    df = pd.DataFrame({"id": np.arange(n), "color": color, "size": size,
                       "when": pd.date_range("2020-01-01", periods=n, freq="D").astype(str),
                       "flag": rng.choice([True, False], n), "label": y})
    df.loc[3, "size"] = np.nan
    df.to_csv(path, index=False)
    return df


# ------------------------------------------------------------------ kinds and preprocessing

def test_kinds_are_inferred_and_identifiers_dropped(tmp_path):
    df = write_mixed_csv(tmp_path / "m.csv")
    plan = prepare_table(df, DataConfig(target="label"))
    assert plan.kinds == {"color": "categorical", "size": "numeric", "when": "datetime",
                          "flag": "boolean"}
    assert any("'id'" in n and "identifier" in n for n in plan.notices)
    assert plan.task == "binary"


def test_kinds_can_be_forced(tmp_path):
    df = write_mixed_csv(tmp_path / "m.csv")
    plan = prepare_table(df, DataConfig(target="label", categorical=["size"], drop=["when"],
                                        numeric=["id"]))
    assert plan.kinds["size"] == "categorical" and "when" not in plan.kinds
    assert plan.kinds["id"] == "numeric"


@pytest.mark.parametrize("values,task", [
    (["a", "b", "a"], "binary"), ([1, 2, 3, 1, 2, 3], "multiclass"), ([1, 2, 3, 4, 5], "regression"), ([0.5, 1.7, 2.2], "regression"),
    (list(range(100)), "regression"), ([True, False, True], "binary")])
def test_task_inference(values, task):
    assert infer_task(pd.Series(values, name="y")) == task


def test_preprocessing_is_fitted_on_training_rows_only(tmp_path, monkeypatch):
    # Standard scaling, whose statistics are easy to recompute (robust scaling, the table
    # default: tests/test_tables_quality.py).
    monkeypatch.setattr("hakseup.data.table.prepare.TABLE_SCALING", "standard")
    df = write_mixed_csv(tmp_path / "m.csv")
    cfg = DataConfig(target="label")
    plan = prepare_table(df, cfg)
    bundle = bundle_from_plan(plan, cfg, seed=0)
    pre = bundle.preprocessor
    tr, _, _ = holdout_indices(len(plan.df), cfg.val_size, cfg.test_size, 0,
                               stratify=plan.labels())
    train_size = pd.to_numeric(plan.df["size"].iloc[tr])
    assert pre.medians_["size"] == pytest.approx(train_size.median())
    assert pre.means_["size"] == pytest.approx(train_size.fillna(train_size.median()).mean())
    assert pre.means_["size"] != pytest.approx(plan.df["size"].fillna(train_size.median()).mean())
    # the scaled training column has mean 0 and std 1
    x_num = bundle.train.inputs[0][:, pre.numeric_.index("size")]
    assert float(x_num.mean()) == pytest.approx(0, abs=1e-5)
    assert float(x_num.std(unbiased=False)) == pytest.approx(1, abs=1e-4)
    # and it survives a JSON round trip exactly
    again = TablePreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    a, _ = pre.transform_inputs(plan.df)
    b, _ = again.transform_inputs(plan.df)
    assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_unseen_categories_go_to_the_unknown_bucket(tmp_path):
    df = write_mixed_csv(tmp_path / "m.csv")
    pre = prepare_table(df, DataConfig(target="label"))
    p = TablePreprocessor(pre.kinds, "label", "binary").fit(df)
    new = df.head(4).copy()
    new["color"] = ["red", "purple", None, "blue"]
    (x_num, x_cat), stats = p.transform_inputs(new)
    col = list(p.vocab_).index("color")
    assert x_cat[1, col] == 0 and x_cat[2, col] == 0 and x_cat[0, col] > 0
    assert stats["unknown"] == {"color": 1}


def test_sequence_layout_reads_rows_as_sequences(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 12))
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(12)])
    df["y"] = (x[:, :6].sum(1) > 0).astype(int)
    cfg = DataConfig(target="y", layout="sequence", sequence_shape="4x3")
    b = bundle_from_plan(prepare_table(df, cfg), cfg, 0)
    assert b.schema.input_kind == "sequence" and b.train.inputs[0].shape[1:] == (4, 3)


# ------------------------------------------------------------------ splits and batches

def test_stratified_holdout_keeps_class_shares():
    y = np.array([0] * 900 + [1] * 100)
    tr, va, te = holdout_indices(1000, 0.15, 0.15, 0, stratify=y)
    assert len(set(tr) | set(va) | set(te)) == 1000
    for part in (tr, va, te):
        assert y[part].mean() == pytest.approx(0.1, abs=0.01)


def test_chronological_split_never_shuffles():
    tr, va, te = chronological_indices(100, 0.1, 0.2)
    assert tr.max() < va.min() and va.max() < te.min() and len(te) == 20


def test_kfold_covers_every_row_once():
    folds = kfold_indices(50, 5, 0, stratify=np.arange(50) % 2)
    held = np.concatenate([h for _, h in folds])
    assert sorted(held) == list(range(50))


def test_batcher_order_depends_only_on_seed_and_epoch():
    x = torch.arange(10)
    a = [b[0].tolist() for b in InMemoryBatcher((x,), 4, seed=1).batches(3)]
    b = [b[0].tolist() for b in InMemoryBatcher((x,), 4, seed=1).batches(3)]
    c = [b[0].tolist() for b in InMemoryBatcher((x,), 4, seed=1).batches(4)]
    assert a == b and a != c and sorted(sum(a, [])) == list(range(10))
    assert torch.equal(epoch_permutation(10, 1, 3), torch.tensor(sum(a, [])))


def test_batcher_shards_ranks_disjointly():
    x = torch.arange(10)
    shards = [sum((b[0].tolist() for b in InMemoryBatcher((x,), 2, seed=0, rank=r,
                                                          world_size=2).batches(0)), [])
              for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 5
    assert sorted(shards[0] + shards[1]) == list(range(10))


# ------------------------------------------------------------------ CSV reading: bad input

@pytest.mark.parametrize("content,needle", [
    (b"", "is empty"),
    (b"a,b,c\n", "no data rows"),
    (b"PK\x03\x04rest-of-a-zip", "zip archive"),
    (b"\x00\x01\x02binary\x00", "binary data"),
    (b"a,a,b\n1,2,3\n4,5,6\n", "duplicate column names"),
    (b"a,b,y\n1,2,0\n3,4\n5,6,7,8,9\n", "not a well-formed CSV"),
])
def test_broken_csv_files_give_one_line(cli, content, needle):
    Path("bad.csv").write_bytes(content)
    code, _, err = cli("train", "--data", "bad.csv", *FAST)
    assert_user_error(code, err, needle)
    assert not Path("runs").exists()


def make_csv(rows, header="a,b,y"):
    Path("d.csv").write_text(header + "\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("rows,args,needle", [
    ([f"{i},{i % 3},x" for i in range(30)], ["--target", "y"], "only one class"),
    ([f"{i},{i % 3},{i % 2}" for i in range(30)], ["--target", "yy"], "Did you mean 'y'"),
    ([f"{i},{'oops' if i == 4 else i},{i % 2}" for i in range(30)], ["--target", "y"],
     "has text in 1 row"),
    ([f"{i},{'inf' if i == 4 else i},{i % 2}" for i in range(30)], ["--target", "y"], "inf"),
    ([f"{i % 5},{i % 3}," for i in range(30)], ["--target", "y"], "No rows left"),
    ([f"{i},{i},{i % 2}" for i in range(30)], ["--target", "y", "--drop", "zz"], "not in the data"),
])
def test_bad_tables_give_one_line(cli, rows, args, needle):
    make_csv(rows)
    code, _, err = cli("train", "--data", "d.csv", *args, *FAST)
    assert_user_error(code, err, needle)
    assert not Path("runs").exists()


def test_dialects_bom_semicolon_quotes_and_no_header(cli):
    rng = np.random.default_rng(0)
    lines = ["\ufeff\"first\";\"second, with comma\";label"]
    for i in range(80):
        a, b = rng.normal(), rng.normal()
        lines.append(f"{a:.4f};\"{b:.4f}\";{int(a + b > 0)}")
    Path("semi.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = cli("train", "--data", "semi.csv", "--target", "label", *FAST, "--output", "r1")
    assert code == 0, err
    schema = json.loads(Path("r1/schema.json").read_text())
    assert schema["numeric_features"] == ["first", "second, with comma"]
    Path("nohead.csv").write_text("\n".join(ln.replace(";", ",").replace('"', "")
                                            for ln in lines[1:]) + "\n")
    code, _, err = cli("train", "--data", "nohead.csv", "--no-header", "--target", "2", *FAST,
                       "--output", "r2")
    assert code == 0, err
    schema = json.loads(Path("r2/schema.json").read_text())
    assert (schema["numeric_features"], schema["target"]) == (["0", "1"], "2")
    assert schema["task"] == "binary"


def test_train_predict_evaluate_on_a_csv(cli):
    df = write_mixed_csv(Path("m.csv"), n=400)
    code, _, err = cli("train", "--data", "m.csv", "--target", "label", "--epochs", "40",
                       "--no-progress", "--no-tensorboard", "--output", "r")
    assert code == 0, err
    pre = json.loads(Path("r/preprocessing.json").read_text())
    assert pre["kind"] == "table" and "color" in pre["vocab_"]
    new = df.drop(columns=["label"]).head(20).copy()
    new.loc[0, "color"] = "purple"           # unseen category
    new["extra"] = 1                         # ignored column
    new.to_csv("new.csv", index=False)
    code, out, err = cli("predict", "r", "--data", "new.csv", "--output", "pred.csv")
    assert code == 0, err
    assert "unknown" in err and "Ignored" in err
    pred = pd.read_csv("pred.csv")
    assert list(pred.columns) == ["predicted_label", "prob_no", "prob_yes"]
    assert len(pred) == 20 and np.allclose(pred[["prob_no", "prob_yes"]].sum(1), 1, atol=1e-5)
    code, out, err = cli("evaluate", "r", "--data", "m.csv")
    assert code == 0, err
    assert "accuracy" in out and "majority class" in out
    new.drop(columns=["color"]).to_csv("missing.csv", index=False)
    assert_user_error(*cli("predict", "r", "--data", "missing.csv", "--output", "p.csv")[::2],
                      "missing column", "'color'")


def test_regression_metrics_are_in_original_units(cli):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 400)
    pd.DataFrame({"x": x, "y": 1000 + 50 * x + rng.normal(0, 5, 400)}).to_csv("r.csv", index=False)
    code, _, err = cli("train", "--data", "r.csv", "--target", "y", "--epochs", "20", "--lr",
                       "0.01", "--no-progress", "--no-tensorboard", "--output", "run")
    assert code == 0, err
    m = json.loads(Path("run/metrics.json").read_text())
    assert m["metrics"]["mae"] < m["baseline"]["metrics"]["mae"] / 3   # far better than the mean
    assert m["baseline"]["metrics"]["mae"] > 50                          # in y's own units


def test_cv_refits_per_fold_and_reports_mean_and_std(cli):
    code, out, err = cli("cv", "--folds", "3", "--epochs", "3", "--no-progress", "--no-tensorboard",
                         "--output", "cvrun")
    assert code == 0, err
    r = json.loads(Path("cvrun/cv.json").read_text())
    assert len(r["folds"]) == 3 and 0.5 < r["mean"]["accuracy"] <= 1
    accs = [f["accuracy"] for f in r["folds"]]
    assert r["mean"]["accuracy"] == pytest.approx(np.mean(accs))
    assert r["std"]["accuracy"] == pytest.approx(np.std(accs, ddof=1))   # the sample std
    assert f"{r['mean']['accuracy']:.4f} ± {r['std']['accuracy']:.4f}" in out
    assert Path("cvrun/report.md").read_text().count("fold") >= 3


# ------------------------------------------------------------------ downloads and IDX

def test_download_verifies_and_falls_back_to_the_next_mirror(http_dir, tmp_path):
    root, base = http_dir
    (root / "good").mkdir()
    (root / "bad").mkdir()
    payload = b"a,b\n1,2\n" * 100
    (root / "good" / "f.csv").write_bytes(payload)
    (root / "bad" / "f.csv").write_bytes(payload[:-7])          # truncated
    digest = hashlib.sha256(payload).hexdigest()
    remote = RemoteFile("f.csv", "sha256", digest)
    got = fetch(remote, tmp_path / "cache", [base + "bad/", base + "good/"], progress=False)
    assert got.read_bytes() == payload
    got.write_bytes(b"corrupted")                               # a damaged cache is refetched
    with pytest.warns(UserWarning, match="corrupt"):
        assert fetch(remote, tmp_path / "cache", [base + "good/"], progress=False
                     ).read_bytes() == payload
    got.unlink()
    with pytest.raises(DataError, match=r"f\.csv.*SHA256.*place it at"):
        fetch(remote, tmp_path / "cache", [base + "bad/", base + "missing/"], progress=False)
    assert not got.exists()                                     # nothing corrupt left behind


def test_plain_http_is_refused_off_loopback(tmp_path):
    with pytest.raises(DataError, match="not HTTPS"):
        fetch(RemoteFile("f", "sha256", "0" * 64), tmp_path, ["http://example.com/"],
              progress=False)


def test_idx_reader_round_trip_and_truncation(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 0x08, 3]) + np.array(arr.shape, ">i4").tobytes() + arr.tobytes()
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "a.idx.gz"), arr)
    (tmp_path / "b.idx").write_bytes(raw[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(tmp_path / "b.idx")


def test_official_mnist_test_files_through_the_dataset(shared_data, http_dir, monkeypatch):
    root, base = http_dir
    for f in (shared_data / "mnist-t10k").iterdir():
        shutil.copy(f, root / f.name)
    monkeypatch.setenv("HAKSEUP_MIRRORS", base)
    from hakseup.data.datasets import load_data

    b = load_data(DataConfig(dataset="mnist-t10k", val_size=0.1, test_size=2000), seed=0)
    assert b.train.inputs[0].shape[1:] == (1, 28, 28) and len(b.test) == 2000
    assert len(b.train) + len(b.val) + len(b.test) == 10000


def test_car_evaluation_from_a_local_mirror(shared_data, http_dir, monkeypatch, cli):
    root, base = http_dir
    shutil.copy(shared_data / "car_evaluation.csv", root)
    monkeypatch.setenv("HAKSEUP_MIRRORS", base)
    code, out, err = cli("train", "--dataset", "car-evaluation", *FAST, "--output", "car")
    assert code == 0, err
    schema = json.loads(Path("car/schema.json").read_text())
    assert schema["categorical_features"] == ["price", "maint", "doors", "persons",
                                              "lug_capacity", "safety"]
    assert schema["class_names"] == ["acc", "good", "unacc", "vgood"]


def test_users_own_model_from_a_file(cli):
    Path("net.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, in_features, n_outputs):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(in_features, n_outputs)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))\n\n"
        "class Broken(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(3, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n\n"
        "class Empty(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n")
    code, _, err = cli("train", "--model", "net.py:Net", *FAST, "--output", "r")
    assert code == 0, err
    assert json.loads(Path("r/run.json").read_text())["status"] == "complete"
    assert_user_error(*cli("train", "--model", "net.py:Nope", *FAST)[::2],
                      "Choose one of: Broken, Empty, Net")
    assert_user_error(*cli("train", "--model", "net.py:Broken", *FAST)[::2], "cannot process")
    assert_user_error(*cli("train", "--model", "net.py:Empty", *FAST)[::2],
                      "no trainable parameters")
    assert_user_error(*cli("train", "--model", "gone.py:Net", *FAST)[::2], "not found")
    assert not Path("runs").exists()


def test_augmentations_keep_shape_and_change_pixels():
    from hakseup.data.image.prepare import Augmenter

    torch.manual_seed(0)
    x = torch.rand(8, 1, 8, 8)
    for op in ("affine", "crop", "flip"):
        (y,) = Augmenter([op])((x,))
        assert y.shape == x.shape and not torch.equal(y, x), op
    torch.manual_seed(1)
    (a,) = Augmenter(["affine", "crop", "flip"])((x,))
    torch.manual_seed(1)
    (b,) = Augmenter(["affine", "crop", "flip"])((x,))
    assert torch.equal(a, b)                                  # reproducible from the RNG state
    with pytest.raises(Exception, match="Unknown augmentation"):
        Augmenter(["rotate"])


def test_training_with_augmentation_changes_what_is_learned(cli):
    code, _, err = cli("train", *FAST, "--set", "data.augment=[affine,crop]", "--output", "aug")
    assert code == 0, err
    assert cli("train", *FAST, "--output", "plain")[0] == 0             # same seed, no augment
    a, b = run_weights(Path("aug")), run_weights(Path("plain"))
    assert a.keys() == b.keys() and any(not torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("values", [
    [0.5] * 3000,                                  # one value: the column is dropped
    [0, 1] * 1500,                                 # two: a boolean-like number
    [0] * 2000 + [1] * 999 + [7],                  # the third value only after the first rows
    list(range(3000)),                             # many
    [1.5, float("nan")] * 1500,                    # missing values are not values
    ["a", "b", "c"] * 1000,                        # text: counted exactly
])
def test_distinct_count_is_exact_where_the_kind_rules_look(values):
    """A numeric column's distinct count may stop at "3 or more" (all the kind rules ask);
    below that, and for text, it is exact."""
    from hakseup.data.table.columns import _distinct_count

    s = pd.Series(values)
    exact = s.nunique(dropna=True)
    got = _distinct_count(s)
    assert got == exact if exact <= 2 or s.dtype == object else 3 <= got <= exact
