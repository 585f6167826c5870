"""The DataLoader path: same batches as the in-memory batcher, per-rank shards, lazy datasets."""

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
