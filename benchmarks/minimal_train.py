"""The hand-written reference for ``benchmarks/startup.py``: the PyTorch script a practitioner
would write to train the same MLP on the same data as the default ``hakseup train``.

scikit-learn's digits, the same stratified test (15%) and validation (15% of the rest) rows
as hakseup's split, inputs scaled to [0, 1] and standardised with the training mean and std, an
MLP (ReLU, dropout), Adam(W), shuffled mini-batches, the validation loss each epoch, the test
accuracy at the end. No run folder, no checkpoints, no plots, no report: the
ratio against it is the price of everything ``hakseup train`` adds.

    python benchmarks/minimal_train.py --epochs 30 --batch-size 64 --lr 1e-3 --hidden 128,64
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--hidden", default="128,64")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    d = load_digits()
    x, y = d.images.reshape(len(d.images), -1).astype(np.float32) / 16.0, d.target
    # 15% test rows, then 15% of the rest for validation, both stratified: the same rows as
    # hakseup's split (data.test_size 0.15, data.val_size 0.15, the same seed).
    n_test = round(0.15 * len(y))
    n_val = round(0.15 * (len(y) - n_test))
    x_rest, x_te, y_rest, y_te = train_test_split(x, y, test_size=n_test, stratify=y,
                                                  random_state=a.seed)
    x_tr, x_va, y_tr, y_va = train_test_split(x_rest, y_rest, test_size=n_val,
                                              stratify=y_rest, random_state=a.seed)
    mean, std = x_tr.mean(), x_tr.std()
    t = [torch.tensor((v - mean) / std) for v in (x_tr, x_va, x_te)]
    ys = [torch.tensor(v) for v in (y_tr, y_va, y_te)]
    layers, width = [], x.shape[1]
    for h in (int(v) for v in a.hidden.split(",")):
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(a.dropout)]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt_cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[a.optimizer]
    opt = opt_cls(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(t[0]))
        for i in range(0, len(order), a.batch_size):
            ix = order[i:i + a.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(t[0][ix]), ys[0][ix])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(t[1]), ys[1]).item()
        print(f"epoch {epoch + 1}/{a.epochs}: train_loss={loss.item():.4f} val_loss={val_loss:.4f}")
    with torch.no_grad():
        accuracy = (model(t[2]).argmax(1) == ys[2]).float().mean().item()
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
