"""Tabular network: categorical columns one-hot (few levels) or embedded (many), scaled numeric
columns, then an MLP with BatchNorm and Dropout.

Example:
    >>> m = TabularNet(n_numeric=3, cardinalities=[5, 40], hidden=[32], n_outputs=2)
    >>> m(torch.zeros(8, 3), torch.zeros(8, 2, dtype=torch.long)).shape
    torch.Size([8, 2])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..data.table.preprocess import category_width, encoding_text
from ..i18n import t
from .layers import mlp_stack
from .numeric_embedding import PeriodicEmbedding

__all__ = ["TabularNet"]


class TabularNet(nn.Module):
    """``cardinalities`` count each categorical column's levels including "unknown" (index
    0); ``category_width`` decides one-hot or embedding per column."""

    ridge_coef: torch.Tensor  # buffers of ``ridge_blend`` (tabular_blend.fit_ridge_blend)
    ridge_bias: torch.Tensor
    ridge_weight: torch.Tensor

    def __init__(
        self,
        n_numeric: int,
        cardinalities: list[int],
        hidden: list[int],
        n_outputs: int,
        embedding_dim: int | None = None,
        dropout: float = 0.1,
        activation: str = "relu",
        batch_norm: bool = True,
        linear_skip: bool = False,
        ensemble: int = 1,
        classification: bool = True,
        numeric_embedding: str = "none",
        ridge_blend: bool = False,
    ):
        super().__init__()
        # The input encoders are built first: their creation order fixes the seeded
        # initialisation, and their attribute names are the checkpoint's state-dict names.
        width = self._build_encoders(
            n_numeric, cardinalities, embedding_dim, dropout, batch_norm, numeric_embedding
        )
        stacks = [
            mlp_stack(width, hidden, activation, dropout, batch_norm)
            for _ in range(max(1, ensemble))
        ]
        self.body, out_width = stacks[0]
        self.head = nn.Linear(out_width, n_outputs)
        # An ensemble of k MLPs over the same encoded inputs (TabM's idea, Gorishniy et al.
        # 2025, with k full members): each member has its own initialisation and its own loss
        # in training (``training.losses`` averages them); predictions are the members' mean.
        self.members = nn.ModuleList(
            nn.Sequential(b, nn.Linear(out_width, n_outputs)) for b, _ in stacks[1:]
        )
        self.classification = classification
        # Wide & deep (Cheng et al. 2016): a linear model of the inputs beside the MLP, so
        # what a ridge/logistic regression finds is one layer away, not learned through two.
        self.skip = nn.Linear(width, n_outputs) if linear_skip else None
        # Regression: a ridge regression of the inputs (numbers, every category one-hot) that
        # the prediction is mixed with, ``w·ridge + (1 − w)·network``. Both are solved after
        # training (``tabular_blend.fit_ridge_blend``: the penalty by leave-one-out on the
        # training rows, ``w`` on the validation rows); until then w = 0, the network alone.
        self.cardinalities = [int(n) for n in cardinalities]
        self.ridge_blend = bool(ridge_blend and not classification)
        if self.ridge_blend:
            self.register_buffer(
                "ridge_coef", torch.zeros(n_numeric + sum(self.cardinalities), n_outputs)
            )
            self.register_buffer("ridge_bias", torch.zeros(n_outputs))
            self.register_buffer("ridge_weight", torch.zeros(()))

    def _build_encoders(
        self,
        n_numeric: int,
        cardinalities: list[int],
        embedding_dim: int | None,
        dropout: float,
        batch_norm: bool,
        numeric_embedding: str,
    ) -> int:
        """Build the input encoders (one-hot or embedding per categorical column, numeric
        batch norm and periodic embedding) and return the width of the encoded row."""
        plan = [category_width(n, embedding_dim) for n in cardinalities]
        self.embedding_dim = embedding_dim
        self.one_hot = [i for i, (mode, _) in enumerate(plan) if mode == "one-hot"]
        self.one_hot_sizes = [cardinalities[i] for i in self.one_hot]
        self.embedded = [i for i, (mode, _) in enumerate(plan) if mode == "embedding"]
        self.embeddings = nn.ModuleList(
            nn.Embedding(cardinalities[i], plan[i][1]) for i in self.embedded
        )
        self.n_numeric = n_numeric  # a Python int: export traces no shape test
        self.numeric_norm = nn.BatchNorm1d(n_numeric) if batch_norm and n_numeric else None
        self.emb_dropout = nn.Dropout(dropout)
        self.periodic = (
            PeriodicEmbedding(n_numeric) if numeric_embedding == "periodic" and n_numeric else None
        )
        numeric_width = n_numeric * (self.periodic.dim if self.periodic is not None else 1)
        return numeric_width + sum(w for _, w in plan)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        if self.training and x_num.shape[0] == 1:
            # A last batch of one row (897 training rows in batches of 64) has no batch
            # statistics: BatchNorm would raise. Normalise it with the running ones instead.
            return self._forward_single(x_num, x_cat)
        return self._forward(x_num, x_cat)

    def _forward_single(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        norms = [m for m in self.modules() if isinstance(m, nn.BatchNorm1d)]
        for m in norms:
            m.eval()
        try:
            return self._forward(x_num, x_cat)
        finally:
            for m in norms:
                m.train()

    def _forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        parts = []
        if self.embeddings:
            # x_cat: (B, n_cat) indices → each (B, d_i) → (B, sum d_i)
            emb = torch.cat([e(x_cat[:, i]) for i, e in zip(self.embedded, self.embeddings)], dim=1)
            parts.append(self.emb_dropout(emb))
        for i, n in zip(self.one_hot, self.one_hot_sizes):
            parts.append(F.one_hot(x_cat[:, i], n).to(x_num.dtype))  # (B, n)
        if self.n_numeric:
            num = self.numeric_norm(x_num) if self.numeric_norm is not None else x_num
            # periodic: (B, n) → (B, n, 16) → (B, 16 n)
            parts.append(self.periodic(num).flatten(1) if self.periodic is not None else num)
        x = torch.cat(parts, dim=1)  # (B, width)
        out = self.head(self.body(x))  # (B, n_outputs)
        if self.members:
            out = torch.stack([out] + [m(x) for m in self.members], 1)  # (B, k, n_outputs)
            if not self.training:  # the ensemble's prediction: mean probability
                out = (
                    torch.logsumexp(torch.log_softmax(out, 2), 1) - math.log(out.shape[1])
                    if self.classification
                    else out.mean(1)
                )
        if self.skip is not None:
            out = out + (self.skip(x).unsqueeze(1) if out.dim() == 3 else self.skip(x))
        if self.ridge_blend and not self.training:
            out = out + self.ridge_weight * (self.ridge(x_num, x_cat) - out)
        return out

    def describe_inputs(self, schema) -> dict[str, str]:
        """The data summary's encoding line as this model built it (``model.embedding_dim``
        turns every column into an embedding; the data layer only knows the default)."""
        if not schema.categorical_features:
            return {}
        return {
            "categorical encoding (tabular model)": encoding_text(
                list(schema.categorical_features), list(schema.cardinalities), self.embedding_dim
            )
        }

    def linear_inputs(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        """What the ridge reads: the numbers as given and every category one-hot, (B, p)."""
        parts = [x_num] + [
            F.one_hot(x_cat[:, i], n).to(x_num.dtype) for i, n in enumerate(self.cardinalities)
        ]
        return torch.cat(parts, dim=1)

    def ridge(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        """The ridge regression's prediction (B, n_outputs)."""
        return self.linear_inputs(x_num, x_cat) @ self.ridge_coef + self.ridge_bias

    @classmethod
    def from_schema(cls, cfg, schema) -> TabularNet:
        if schema.input_kind != "table":
            from ..errors import ConfigError

            raise ConfigError(
                t("error.models.tabular.model_tabular_needs", input_kind=schema.input_kind)
            )
        return cls(
            len(schema.numeric_features),
            list(schema.cardinalities),
            list(cfg.hidden),
            schema.n_outputs,
            cfg.embedding_dim,
            cfg.dropout,
            cfg.activation,
            cfg.batch_norm,
            cfg.linear_skip,
            cfg.ensemble,
            schema.is_classification,
            cfg.numeric_embedding,
            cfg.ridge_blend,
        )
