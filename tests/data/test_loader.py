"""The DataLoader path: same batches as the in-memory batcher, per-rank shards, lazy datasets."""

import json

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from hakseup.cli.main import main
from hakseup.config import DataConfig
from hakseup.data.batches import InMemoryBatcher
from hakseup.data.bundle import DataBundle, DatasetSplit, Split
from hakseup.data.datasets import load_data
from hakseup.data.loader import LoaderBatcher, choose_loader, default_workers, iterate_split
from hakseup.errors import ConfigError
from hakseup.models.mlp import MLP
from hakseup.training.trainer import Trainer, predict_split


class NpyRows(Dataset):
    """A lazy dataset: rows of a memory-mapped .npy file, read one at a time (opened in each
    worker on first use)."""

    def __init__(self, x_path, y_path):
        self.x_path, self.y_path = str(x_path), str(y_path)
        self._x = self._y = None
        self.n = int(np.load(self.y_path, mmap_mode="r").shape[0])

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self._x is None:
            self._x = np.load(self.x_path, mmap_mode="r")
            self._y = np.load(self.y_path, mmap_mode="r")
        return torch.from_numpy(np.array(self._x[i])), torch.tensor(int(self._y[i]))


@pytest.mark.parametrize("shuffle,drop_last,world,start",
                         [(True, False, 1, 0), (False, False, 1, 3), (True, True, 1, 2),
                          (True, False, 3, 0), (True, True, 3, 1), (False, False, 2, 0)])
def test_loader_batches_equal_the_in_memory_batches(shuffle, drop_last, world, start):
    x = torch.randn(103, 4)
    y = torch.arange(103)
    for rank in range(world):
        kw = dict(shuffle=shuffle, drop_last=drop_last, seed=7, rank=rank, world_size=world)
        mem = list(InMemoryBatcher((x, y), 10, **kw).batches(2, start=start))
        lazy = LoaderBatcher(DatasetSplit(torch.utils.data.TensorDataset(x, y)), 10,
                             workers=0, **kw)
        tensors = LoaderBatcher(Split((x,), y), 10, workers=0, **kw)
        assert len(lazy) == len(tensors) == len(mem) + start
        for batches in (list(lazy.batches(2, start=start)), list(tensors.batches(2, start=start))):
            assert len(batches) == len(mem)
            for a, b in zip(batches, mem):
                assert all(torch.equal(p, q) for p, q in zip(a, b))


def test_each_sample_once_per_epoch_across_ranks():
    n, world = 101, 4
    ds = DatasetSplit(torch.utils.data.TensorDataset(torch.arange(n), torch.arange(n)))
    seen = torch.cat([y for r in range(world)
                      for _, y in LoaderBatcher(ds, 8, seed=1, rank=r, world_size=world,
                                                workers=0).batches(5)])
    counts = torch.bincount(seen, minlength=n)
    # 101 samples over 4 ranks of 26: the 3 pad samples wrap around, as DistributedSampler does.
    assert counts.sum() == 104 and counts.min() == 1 and (counts == 2).sum() == 3


def _npy_split(tmp_path, x, y, name):
    np.save(tmp_path / f"{name}_x.npy", x.numpy())
    np.save(tmp_path / f"{name}_y.npy", y.numpy())
    return DatasetSplit(NpyRows(tmp_path / f"{name}_x.npy", tmp_path / f"{name}_y.npy"))


@pytest.mark.parametrize("workers", [0, 2])
def test_a_lazy_dataset_trains_to_the_same_weights_as_tensors_in_memory(tmp_path, workers):
    bundle = load_data(DataConfig(dataset="digits"), seed=0)
    flat = lambda s: Split((s.inputs[0].flatten(1),), s.target)  # noqa: E731
    tensors = DataBundle(flat(bundle.train), flat(bundle.val), flat(bundle.test), bundle.schema,
                         None)
    lazy = DataBundle(_npy_split(tmp_path, *tensors.train.inputs, tensors.train.target, "tr"),
                      _npy_split(tmp_path, *tensors.val.inputs, tensors.val.target, "va"),
                      tensors.test, bundle.schema, None)

    def fit(data, loader):
        torch.manual_seed(0)
        model = MLP(64, [32], 10)
        hist = Trainer(epochs=2, batch_size=64, progress=False, loader=loader,
                       workers=workers).fit(model, data)
        return model, hist

    a, ha = fit(tensors, "memory")
    b, hb = fit(lazy, "auto")                                     # lazy: always a DataLoader
    c, _ = fit(tensors, "dataloader")                             # tensors forced through one
    for p, q, r in zip(a.state_dict().values(), b.state_dict().values(),
                       c.state_dict().values()):
        assert torch.equal(p, q) and torch.equal(p, r)
    untimed = lambda hist: [{k: v for k, v in h.items() if k != "time"} for h in hist]  # noqa
    assert untimed(ha) == untimed(hb)
    out, target = predict_split(b, lazy.val, batch_size=50)
    assert torch.equal(target, tensors.val.target) and out.shape == (len(tensors.val), 10)


def test_loader_choice_and_worker_defaults():
    tensors = Split((torch.zeros(4, 2),), torch.zeros(4))
    lazy = DatasetSplit(torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.zeros(4)))
    assert choose_loader(tensors, "auto", torch.device("cpu")) == "memory"
    assert choose_loader(lazy, "auto", torch.device("cpu")) == "dataloader"
    assert choose_loader(tensors, "dataloader", torch.device("cpu")) == "dataloader"
    with pytest.raises(ConfigError, match="lazy dataset"):
        choose_loader(lazy, "memory", torch.device("cpu"))
    assert default_workers(lazy=False) == 0 and 1 <= default_workers(lazy=True) <= 8
    assert [y.tolist() for *_, y in iterate_split(lazy, 3, "cpu")] == [[0, 0, 0], [0]]


def test_a_dropped_loader_leaves_no_worker_process(new_children):
    """Its worker processes end when the batcher is dropped, not when the garbage collector
    happens to run (a batcher ↔ sampler cycle once kept them alive until then)."""
    import gc

    lazy = DatasetSplit(torch.utils.data.TensorDataset(torch.zeros(7, 2), torch.zeros(7)))
    gc.disable()                          # no collection may rescue it
    try:
        assert [len(y) for *_, y in iterate_split(lazy, 3, "cpu", workers=2)] == [3, 3, 1]
        assert not new_children()
        batcher = LoaderBatcher(lazy, 3, workers=1)
        assert len(list(batcher.batches(0))) == 2 and new_children()   # persistent (3 + 4)
        del batcher
        assert not new_children()
    finally:
        gc.enable()


@pytest.mark.slow   # two whole CLI runs (37 s); the in-process path tests stay fast
def test_cli_dataloader_path_matches_the_in_memory_run(tmp_path):
    base = ["train", "--epochs", "2", "--no-progress", "--no-tensorboard"]
    assert main([*base, "--output", str(tmp_path / "mem")]) == 0
    assert main([*base, "--loader", "dataloader", "--workers", "1",
                 "--output", str(tmp_path / "dl")]) == 0
    a = (tmp_path / "mem" / "metrics.json").read_text()
    b = (tmp_path / "dl" / "metrics.json").read_text()
    assert a == b
    assert main([*base, "--loader", "disk", "--output", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()


# ------------------------------------------------------------------ a last batch of one sample

@pytest.mark.parametrize("n,batch,world,drop_last", [
    (101, 10, 1, False), (9, 4, 1, False), (21, 10, 2, False), (101, 10, 1, True),
    (5, 1, 1, False), (1, 8, 1, False)])
def test_a_lone_last_sample_is_merged_into_the_batch_before(n, batch, world, drop_last):
    """No training batch of one (BatchNorm refuses it) unless the batch size or the split is
    one sample; merging loses nothing: every sample once per epoch, on both paths, resumed
    at any batch."""
    x, y = torch.randn(n, 3), torch.arange(n)
    for rank in range(world):
        kw = dict(shuffle=True, drop_last=drop_last, seed=3, rank=rank, world_size=world)
        mem = InMemoryBatcher((x, y), batch, **kw)
        sizes = [len(b) for _, b in mem.batches(1)]
        per_rank = -(-n // world)
        assert sum(sizes) == (per_rank - per_rank % batch if drop_last else per_rank)
        assert len(sizes) == len(mem)
        if batch > 1 and per_rank > 1:
            assert min(sizes) > 1, sizes
        if not drop_last and per_rank % batch == 1 and per_rank > batch:
            assert sizes[-1] == batch + 1
        for start in range(len(mem)):
            want = list(mem.batches(1, start=start))
            for split in (Split((x,), y), DatasetSplit(torch.utils.data.TensorDataset(x, y))):
                got = list(LoaderBatcher(split, batch, workers=0, **kw).batches(1, start=start))
                assert len(got) == len(want)
                assert all(torch.equal(p, q) for a, b in zip(got, want) for p, q in zip(a, b))


def test_evaluation_batches_are_plain_chunks():
    lazy = DatasetSplit(torch.utils.data.TensorDataset(torch.arange(7.), torch.arange(7)))
    assert [len(y) for *_, y in iterate_split(lazy, 3, "cpu")] == [3, 3, 1]


def _table_bundle(n_train: int, seed: int = 0) -> DataBundle:
    """A table with a categorical column, for the BatchNorm of ``TabularNet``."""
    from hakseup.data.bundle import Schema

    g = torch.Generator().manual_seed(seed)

    def split(n):
        x = torch.randn(n, 2, generator=g)
        c = torch.randint(0, 3, (n, 1), generator=g)
        return Split((x, c), ((x[:, 0] > 0) ^ (c[:, 0] == 1)).long())

    schema = Schema("binary", "table", (2,), 2, class_names=["a", "b"],
                    numeric_features=["x0", "x1"], categorical_features=["c"], cardinalities=[3])
    return DataBundle(split(n_train), split(20), split(0), schema, None)


def _tabular(schema):
    from hakseup.config import ModelConfig
    from hakseup.models.registry import build_model

    torch.manual_seed(0)
    return build_model(ModelConfig(name="tabular", hidden=[8]), schema)


def test_batchnorm_trains_when_the_last_batch_would_be_one_sample():
    """65 training rows in batches of 64 crashed BatchNorm before; both paths now agree."""
    data = _table_bundle(65)
    weights = []
    for loader in ("memory", "dataloader"):
        model = _tabular(data.schema)
        trainer = Trainer(epochs=2, batch_size=64, progress=False, loader=loader, workers=0)
        hist = trainer.fit(model, data)
        assert trainer.state.steps_per_epoch == 1 and len(hist) == 2
        weights.append(model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_the_dry_run_exercises_train_mode_and_leaves_the_model_as_it_was():
    data = _table_bundle(65)
    model = _tabular(data.schema)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    Trainer(batch_size=64).validate(model, data)                       # two samples: fine
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)      # running stats untouched
    assert model.training
    class PlainBatchNorm(torch.nn.Module):    # TabularNet copes with one row; this does not
        def __init__(self):
            super().__init__()
            self.bn, self.fc = torch.nn.BatchNorm1d(2), torch.nn.Linear(2, 2)

        def forward(self, x, c):
            return self.fc(self.bn(x))

    with pytest.raises(ConfigError, match="cannot process this data.*more than 1 value"):
        Trainer(batch_size=1).validate(PlainBatchNorm(), data)         # BatchNorm on one sample
    with pytest.raises(ConfigError, match="cannot process this data"):
        Trainer(batch_size=64).validate(PlainBatchNorm(), _table_bundle(1))   # one sample

    class FailsOnlyWhenTraining(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)

        def forward(self, x, c):
            if self.training:
                raise RuntimeError("training-only branch is broken")
            return self.fc(x)

    with pytest.raises(ConfigError, match="training-only branch"):
        Trainer().validate(FailsOnlyWhenTraining(), data)


def test_a_89_row_csv_trains_with_the_defaults(cli, tmp_path):
    """The issue's case: 89 rows leave 65 training rows, one more than the default batch."""
    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=89), "c": rng.choice(list("xyz"), 89),
                  "y": rng.integers(0, 2, 89)}).to_csv("d89.csv", index=False)
    code, _, err = cli("train", "--data", "d89.csv", "--target", "y", "--epochs", "2",
                       "--no-progress", "--no-tensorboard", "--output", "r")
    assert code == 0, err
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert (run["model"], run["status"], run["epochs"]) == ("tabular", "complete", 2)
