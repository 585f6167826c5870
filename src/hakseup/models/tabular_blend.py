"""The tabular network's ridge blend, solved after training (``model.ridge_blend``).

On a small, nearly linear regression table a ridge regression beats the network (carseats: R²
0.858 against 0.844 over 5 folds) and on others the network wins by far (hitters: 0.54 against
0.36). The prediction is therefore ``w·ridge + (1 − w)·network``: the ridge's penalty is chosen
by leave-one-out on the training rows (scikit-learn's ``RidgeCV``, closed form), then ``w`` in
0, 0.1, …, 1 by the validation rows' squared error (never the test rows). Both live in the
model's buffers, so ``evaluate``, ``predict`` and the exports use them.

Example:
    >>> import torch
    >>> from types import SimpleNamespace as NS
    >>> from hakseup.data.bundle import Split
    >>> from hakseup.models.tabular import TabularNet
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(200, 3, generator=g)
    >>> y = (x @ torch.tensor([[1.0], [-2.0], [0.5]]))          # a linear target
    >>> c = torch.zeros(200, 0, dtype=torch.long)
    >>> part = lambda a, b: Split((x[a:b], c[a:b]), y[a:b])
    >>> bundle = NS(train=part(0, 150), val=part(150, 200))
    >>> net = TabularNet(3, [], [8], 1, classification=False, ridge_blend=True)
    >>> fit_ridge_blend(net, bundle)["weight"]                   # the untrained net: ridge
    1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import torch

if TYPE_CHECKING:
    from .tabular import TabularNet

__all__ = ["fit_ridge_blend", "BLEND_WEIGHTS", "RIDGE_ALPHAS", "RIDGE_MAX_ROWS"]

BLEND_WEIGHTS = np.round(np.linspace(0.0, 1.0, 11), 2)  # the ridge's share, chosen on val
RIDGE_ALPHAS = np.logspace(-2, 3, 11)  # its penalty, by leave-one-out
RIDGE_MAX_ROWS = 20_000  # a larger training split is subsampled for the ridge (seed 0)


def fit_ridge_blend(module: torch.nn.Module, bundle) -> dict | None:
    """Solve ``module``'s ridge on ``bundle.train`` and its weight on ``bundle.val``, in place;
    returns ``{"weight", "alpha", "val_mse": {w: mse}}``, or None where there is nothing to
    blend (not a tabular regression model with ``ridge_blend``, or no validation rows)."""
    if (
        not getattr(module, "ridge_blend", False)
        or len(bundle.val) == 0
        or not isinstance(getattr(bundle.train, "inputs", None), tuple)
    ):
        return None
    model = cast("TabularNet", module)
    from sklearn.linear_model import RidgeCV

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x_tr = model.linear_inputs(*_on(model, bundle.train)).double().cpu().numpy()
            y_tr = _targets(bundle.train)
            if len(x_tr) > RIDGE_MAX_ROWS:
                keep = np.random.default_rng(0).choice(len(x_tr), RIDGE_MAX_ROWS, replace=False)
                x_tr, y_tr = x_tr[keep], y_tr[keep]
            ridge = RidgeCV(alphas=RIDGE_ALPHAS).fit(x_tr, y_tr)
            coef = torch.as_tensor(np.asarray(ridge.coef_).reshape(y_tr.shape[1], -1).T)
            model.ridge_coef.copy_(coef.to(model.ridge_coef))
            model.ridge_bias.copy_(
                torch.as_tensor(np.asarray(ridge.intercept_).reshape(-1)).to(model.ridge_bias)
            )
            model.ridge_weight.zero_()
            net = _outputs(model, bundle.val)
            lin = model.ridge(*_on(model, bundle.val)).double().cpu().numpy()
            truth = _targets(bundle.val)
            errors = {
                float(w): float(np.mean((w * lin + (1 - w) * net - truth) ** 2))
                for w in BLEND_WEIGHTS
            }
            weight = min(errors, key=errors.__getitem__)  # ties: the smaller ridge share
            model.ridge_weight.fill_(weight)
    finally:
        model.train(was_training)
    return {"weight": weight, "alpha": float(ridge.alpha_), "val_mse": errors}


def _targets(split) -> np.ndarray:
    y = split.target.double().cpu().numpy()
    return y.reshape(len(y), -1)


def _on(model: TabularNet, split) -> tuple[torch.Tensor, ...]:
    """The split's inputs on the model's device."""
    return tuple(t.to(model.ridge_coef.device) for t in split.inputs)


def _outputs(model: TabularNet, split) -> np.ndarray:
    """The model's predictions (eval mode, the ridge's weight at 0), in batches."""
    inputs = _on(model, split)
    outs = [
        model(*(t[i : i + 4096] for t in inputs)).double().cpu().numpy()
        for i in range(0, len(split), 4096)
    ]
    out = np.concatenate(outs)
    return out.reshape(len(out), -1)
