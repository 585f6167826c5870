"""The model class of a plain script (``plain.py``), written out as ``nn.Module`` code with
the layers, attribute names and construction order of hakseup's own model — so the same seed
draws the same initial weights, and the script's weights load into hakseup and back.

Example:
    >>> print(stack_lines(64, [32], "relu", 0.1, False, indent=4))
        nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1),
"""

from __future__ import annotations

import math
from string import Template

from ..data.table.preprocess import category_width
from ..models.layers import activation
from ..models.lstm import lstm_step
from ..models.recurrent import STEM_CHANNELS, STEM_KERNEL
from . import plain_parts as P

__all__ = ["model_section", "stack_lines"]


def type_name(act: str) -> str:
    """The class of the activation layer ``act`` names, as hakseup's models build it.

    >>> type_name("silu")
    'SiLU'
    """
    return type(activation(act)).__name__


def _layer(act: str) -> str:
    """The activation layer ``act`` names, as code: ``nn.ReLU()``."""
    return f"nn.{type_name(act)}()"


def stack_lines(
    width: int, hidden: list[int], act: str, dropout: float, batch_norm: bool, indent: int = 12
) -> str:
    """``mlp_stack`` (models/layers.py) as lines of an ``nn.Sequential``: Linear ->
    [BatchNorm] -> activation -> [Dropout] per hidden width."""
    lines = []
    for h in hidden:
        layer = [f"nn.Linear({width}, {h})"]
        if batch_norm:
            layer.append(f"nn.BatchNorm1d({h})")
        layer.append(_layer(act))
        if dropout > 0:
            layer.append(f"nn.Dropout({dropout!r})")
        lines.append(" " * indent + ", ".join(layer) + ",")
        width = h
    return "\n".join(lines)


def model_section(facts) -> str:
    name = facts.model
    if name == "mlp":
        return _mlp(facts)
    if name == "cnn":
        return _cnn(facts)
    if name == "tabular":
        return _tabular(facts)
    if name == "lstm":
        return _lstm(facts)
    return _dlinear(facts)


def _mlp(facts) -> str:
    m, schema = facts.cfg.model, facts.schema
    if schema.input_kind == "table":
        in_features = len(schema.numeric_features)
    else:
        in_features = math.prod(schema.input_shape)
    hidden = list(m.hidden)
    extras = ", Dropout" if m.dropout > 0 else ""
    return P.MLP_MODEL.substitute(
        act_name=type_name(m.activation),
        extras=extras,
        body=stack_lines(in_features, hidden, m.activation, m.dropout, False),
        width=hidden[-1] if hidden else in_features,
        n_outputs=schema.n_outputs,
        input_shape=", ".join(map(str, schema.input_shape)),
        in_features=in_features,
    )


def _cnn(facts) -> str:
    m, schema = facts.cfg.model, facts.schema
    channels = list(m.channels)
    lines, in_ch = [], schema.input_shape[0]
    for ch in channels:
        layer = [f"nn.Conv2d({in_ch}, {ch}, kernel_size=3, padding=1)"]
        if m.batch_norm:
            layer.append(f"nn.BatchNorm2d({ch})")
        lines.append(" " * 12 + ", ".join(layer) + ",")
        lines.append(" " * 12 + f"{_layer(m.activation)}, nn.MaxPool2d(2, ceil_mode=True),")
        in_ch = ch
    text = ("BatchNorm -> " if m.batch_norm else "") + type_name(m.activation)
    return P.CNN_MODEL.substitute(
        blocks_text=text,
        features="\n".join(lines),
        dropout=repr(m.dropout),
        width=channels[-1],
        n_outputs=schema.n_outputs,
        input_shape=", ".join(map(str, schema.input_shape)),
    )


def _tabular(facts) -> str:
    m, schema = facts.cfg.model, facts.schema
    n_num, cards = len(schema.numeric_features), list(schema.cardinalities)
    plan = [category_width(n, m.embedding_dim) for n in cards]
    embedded = [(i, cards[i], w) for i, (mode, w) in enumerate(plan) if mode == "embedding"]
    one_hot = [(i, cards[i]) for i, (mode, _) in enumerate(plan) if mode == "one-hot"]
    width = n_num + sum(w for _, w in plan)
    hidden = list(m.hidden)
    out_width = hidden[-1] if hidden else width
    norm = m.batch_norm and n_num
    n_out = schema.n_outputs
    mean = (
        "                # the mean of the members' probabilities, as log-probabilities\n"
        "                out = torch.logsumexp(torch.log_softmax(out, 2), 1)"
        " - math.log(out.shape[1])"
        if schema.is_classification
        else "                out = out.mean(1)"
    )
    skip_forward = (
        "        skip = self.skip(x)                                    "
        "# wide & deep: a linear model beside the MLP\n"
        "        out = out + (skip.unsqueeze(1) if out.dim() == 3 else skip)\n"
        if m.linear_skip
        else ""
    )
    return P.TABULAR_MODEL.substitute(
        embedded=embedded,
        one_hot=one_hot,
        body=stack_lines(width, hidden, m.activation, m.dropout, m.batch_norm, indent=8),
        ensemble_text=f", in an ensemble of {m.ensemble} (TabM's idea: each member its own "
        "weights and loss)"
        if m.ensemble > 1
        else "",
        numeric_norm=f"        self.numeric_norm = nn.BatchNorm1d({n_num})\n" if norm else "",
        dropout=repr(m.dropout),
        ensemble=max(1, m.ensemble),
        width=out_width,
        n_outputs=n_out,
        skip_init=f"        self.skip = nn.Linear({width}, {n_out})\n" if m.linear_skip else "",
        n_numeric=n_num,
        n_cat=len(cards),
        numeric_part="self.numeric_norm(x_num)" if norm else "x_num",
        in_width=width,
        ensemble_mean=mean,
        skip_forward=skip_forward,
    )


def _dlinear(facts) -> str:
    from ..models.forecast import lookbacks

    schema = facts.schema
    window, channels = int(schema.input_shape[0]), int(schema.input_shape[-1])
    return P.DLINEAR_MODEL.substitute(
        lookbacks=lookbacks(window),
        channels=channels,
        season=int(getattr(schema, "season", 1) or 1),
    )


_READOUTS = {
    "last": (
        "the last step's output",
        "        return self.head(out[:, -1])                # (B, {n})",
    ),
    "mean": (
        "the mean of every step's output",
        "        return self.head(out.mean(dim=1))           # (B, {n})",
    ),
    "mean_last": (
        "the last step's output beside the mean of all steps' outputs",
        "        readout = torch.cat([out[:, -1], out.mean(dim=1)], dim=1)"
        "   # (B, 2 HIDDEN)\n"
        "        return self.head(readout)                   # (B, {n})",
    ),
}


def _stem_parts(stem: bool, features: int) -> dict[str, str]:
    """The template's pieces for ``model.stem`` (conv: ``ConvStem``; none: nothing)."""
    if not stem:
        return dict(stem_class="", stem_text="", stem_init="", stem_apply="")
    return dict(
        stem_class=Template(P.CONV_STEM).substitute(
            channels=STEM_CHANNELS, kernel=STEM_KERNEL, pad=STEM_KERNEL // 2
        ),
        stem_text=" ConvStem ->",
        stem_init=f"        self.stem = ConvStem({features})\n",
        stem_apply=" " * 8 + f"x = self.stem(x){' ' * 28}# (B, T, {STEM_CHANNELS})\n",
    )


def _lstm(facts) -> str:
    m, schema = facts.cfg.model, facts.schema
    shape = tuple(schema.input_shape)
    image = len(shape) == 3
    what, readout = _READOUTS[m.readout]
    reshape = (
        "        x = x.squeeze(1)                            # (B, H, W): rows as steps\n"
        if image
        else ""
    )
    stem = getattr(m, "stem", "none") == "conv"
    return P.LSTM_MODEL.substitute(
        lstm_step=P.source_of(lstm_step),
        hidden=m.hidden_size,
        layers=m.layers,
        rnn_input=STEM_CHANNELS if stem else shape[-1],
        **_stem_parts(stem, shape[-1]),
        dropout=repr(m.dropout if m.layers > 1 else 0.0),
        head_in=m.hidden_size * (2 if m.readout == "mean_last" else 1),
        n_outputs=schema.n_outputs,
        input_shape=", ".join(map(str, shape)),
        steps_text="An image read row by row (each row one step)"
        if image
        else "A window of the series (each time step one step)",
        readout_text=what,
        reshape=reshape,
        readout=readout.format(n=schema.n_outputs),
    )
