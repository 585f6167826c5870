"""The text of the plain PyTorch scripts ``hakseup code`` writes: one ``string.Template`` per
section (settings, the data of each kind, the model of each family, the optimiser and
schedule, the loop, the evaluation). ``plain.py`` fills them in from a run folder.

The scripts read top to bottom like a tutorial (nanoGPT's style): constants first, then the
data, the model, the loop and the test score, with each tensor's shape in a comment. They
import only torch, numpy and pandas (and Pillow for image files).

Example:
    >>> "$" in HEADER.template and "import torch" in HEADER.template
    True
"""

from __future__ import annotations

import inspect
from string import Template

import numpy as np

__all__ = [
    "HEADER",
    "SETTINGS",
    "DIGITS_DATA",
    "IMAGE_FOLDER_DATA",
    "IMAGE_NORMALISE",
    "TABLE_DATA",
    "SERIES_DATA",
    "MLP_MODEL",
    "CNN_MODEL",
    "TABULAR_MODEL",
    "DLINEAR_MODEL",
    "LSTM_MODEL",
    "LOOP",
    "CLASS_SCORE",
    "REGRESSION_SCORE",
    "FORECAST_SCORE",
    "SAVE",
    "py_list",
    "py_dict",
    "source_of",
]

HEADER = Template('''\
"""Plain PyTorch for the hakseup run $run_name: $what.

$intro

    python $script_name            # train and print the test $metric
    python $script_name W.pt       # ... and save the trained weights to W.pt
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
''')

SETTINGS = Template("""
# ----------------------------------------------------------------------------- settings
# From the run's config.yaml (the resolved config: every `auto` already decided).
SEED = $seed
EPOCHS = $epochs
BATCH_SIZE = $batch_size
LR = $lr
SHUFFLE = $shuffle
DROP_LAST = $drop_last
THREADS = $threads         # the run's torch threads: the same sums in the same order
DEVICE = torch.device("$device")

torch.set_num_threads(THREADS)
torch.manual_seed(SEED)    # hakseup seeds before it builds the model ...
np.random.seed(SEED)
""")

DIGITS_DATA = Template("""
# ----------------------------------------------------------------------------- the data
# The 8x8 digits ship with scikit-learn as a CSV: 64 pixel values (0..16), then the label.
# The file is read directly, so this script does not need to import scikit-learn.
import importlib.util

sklearn_dir = Path(importlib.util.find_spec("sklearn").origin).parent
raw = np.loadtxt(sklearn_dir / "datasets" / "data" / "digits.csv.gz", delimiter=",")
images = raw[:, :-1].reshape(-1, 8, 8).astype(np.float32)        # (1797, 8, 8)
labels = raw[:, -1].astype(np.int64)                             # (1797,)

# The split hakseup made (stratified by class, seed $seed), saved beside the run.
split = json.loads(Path(r"$split_file").read_text())
rows = {name: np.array(split[name], dtype=np.int64) for name in ("train", "val", "test")}
""")

IMAGE_FOLDER_DATA = Template('''
# ----------------------------------------------------------------------------- the data
# A folder of class sub-folders. Every file is decoded once, as hakseup does: made upright
# (EXIF), converted to $mode, resized to $height x $width ($fit), kept as uint8 pixels.
from PIL import Image, ImageOps

SIZE = ($height, $width)         # (H, W)
CHANNELS, FIT = $channels, "$fit"
CLASSES = $classes
# The split hakseup made (stratified by class, seed $seed): file paths and class indices.
split = json.loads(Path(r"$split_file").read_text())


# hakseup's own conversions (data/image/decode.py), word for word.
$conversions

def decode(path):
    """One image file -> uint8 (C, H, W)."""
    with Image.open(path) as im:
        im.draft("$mode", (SIZE[1], SIZE[0]))           # JPEG: decode at a reduced scale
        im = ImageOps.exif_transpose(im)
        im = _fit(_to_channels(im, CHANNELS), SIZE, FIT)
        a = np.asarray(im, dtype=np.uint8)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


class ImageFiles(torch.utils.data.Dataset):
    """The files of one split: (uint8 image (C, H, W), class index)."""

    def __init__(self, paths, labels):
        self.paths, self.labels = paths, labels

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return decode(self.paths[i]), self.labels[i]


names = ("train", "val", "test")
files = ImageFiles([p for k in names for p in split[k]["paths"]],
                   [c for k in names for c in split[k]["labels"]])
# Every file decoded once, through a DataLoader, 64 files a batch, as hakseup does (its
# iterator draws one number from torch's generator: the model is built after it).
loader = torch.utils.data.DataLoader(files, batch_size=64, collate_fn=list)
decoded = [pair for batch in loader for pair in batch]      # [(uint8 (C, H, W), class)]
ends = np.cumsum([0] + [len(split[k]["paths"]) for k in names])
pairs_of = {k: decoded[ends[i]:ends[i + 1]] for i, k in enumerate(names)}
''')

IMAGE_NORMALISE = Template('''
# Pixels to [0, 1], then each channel standardised with the training images' mean and std.
MAX_VALUE = $max_value
MEAN = $mean     # per channel
STD = $std


def to_tensors(name):
    """A whole split in memory: inputs (N, C, H, W) float32, targets (N,)."""
$gather
    mean = torch.tensor(MEAN).reshape(1, -1, 1, 1)     # (1, C, 1, 1): broadcast over N, H, W
    std = torch.tensor(STD).reshape(1, -1, 1, 1)
    return (x.div_(MAX_VALUE).sub_(mean).div_(std),), torch.as_tensor(y, dtype=torch.long)


data = {name: to_tensors(name) for name in ("train", "val", "test")}
''')

TABLE_DATA = Template('''
# ----------------------------------------------------------------------------- the data
TARGET = $target
df = pd.read_csv(r"$path"$read_args)
df = df[df[TARGET].notna()].reset_index(drop=True)     # rows without a target are dropped

# The split hakseup made ($stratified, seed $seed): row numbers of the frame above.
split = json.loads(Path(r"$split_file").read_text())
rows = {name: np.array(split[name], dtype=np.int64) for name in ("train", "val", "test")}

# The preprocessing fitted on the training rows only (the run's preprocessing.json).
NUMERIC = $numeric           # numeric columns: missing -> median, then scaled
MEDIANS = $medians
CENTERS = $centers
SCALES = $scales
$scaling_note
# Categorical columns: index 0 is "unknown or missing", then the levels by frequency.
CATEGORIES = $categories
OTHER = $other    # rare levels that share one "(other)" level
$target_constants

def encode(frame):
    """Rows of the table -> (numeric (N, $n_numeric) float32, categorical (N, $n_cat) int64),
    target."""
    x_num = np.empty((len(frame), len(NUMERIC)), dtype=np.float32)
    for j, col in enumerate(NUMERIC):
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        v = np.where(np.isfinite(v), v, MEDIANS[col])
        z = (v - CENTERS[col]) / SCALES[col]
        x_num[:, j] = $scaled
    x_cat = np.zeros((len(frame), len(CATEGORIES)), dtype=np.int64)
    for j, (col, levels) in enumerate(CATEGORIES.items()):
        index = {level: i + 1 for i, level in enumerate(levels)}
        index.update(dict.fromkeys(OTHER.get(col, []), index.get("(other)", 0)))
        x_cat[:, j] = frame[col].astype(str).map(index).fillna(0).to_numpy(dtype=np.int64)
$encode_target
    return (torch.from_numpy(x_num), torch.from_numpy(x_cat)), y


data = {name: encode(df.iloc[rows[name]]) for name in ("train", "val", "test")}
''')

SERIES_DATA = Template('''
# ----------------------------------------------------------------------------- the data
TIME, TARGET, FEATURES = $time_col, $target, $features
df = pd.read_csv(r"$path"$read_args)
df[TIME] = pd.to_datetime(df[TIME]$date_args)
df = df.sort_values(TIME, kind="stable").set_index(TIME)
series = df[[TARGET] + FEATURES].apply(pd.to_numeric, errors="coerce").astype("float64")
series = series.interpolate(method="time", limit_direction="both")   # missing values
original = series.to_numpy()                                 # (T, C): target first
y = original[:, 0]                                           # (T,)

# The chronological split: rows [0, TRAIN_END) train, [TRAIN_END, VAL_END) validation, the
# rest test. A window belongs to the split its first forecast step falls in, and only when
# its last step does too.
TRAIN_END, VAL_END = $train_end, $val_end
WINDOW, HORIZON = $window, $horizon      # WINDOW past steps -> the next HORIZON steps
DIFFERENCE = $difference         # 1: the network models y[t] - y[t-1]
LOG = $log          # True: the network models log(y)
# The scale of each channel (target first), fitted on the training period only.
MEANS = np.array($means)
STDS = np.array($stds)
SEASON = $season          # the season length (> 1: season channels are added)


def transformed(values):
    """(T, C) original values -> (T, C) log'd, differenced and scaled (row t: y_t - y_t-1)."""
    v = values.copy()
    if LOG:
        v[:, 0] = np.log(np.maximum(v[:, 0], np.finfo(np.float64).tiny))
    out = np.full_like(v, np.nan)
    out[DIFFERENCE:] = ((np.diff(v, axis=0) if DIFFERENCE else v) - MEANS) / STDS
    return out


scaled = transformed(original)
starts = np.arange(WINDOW + DIFFERENCE, len(y) - HORIZON + 1)   # where each forecast begins
ends = starts + HORIZON
which = np.where(ends <= TRAIN_END, 0, np.where((starts >= TRAIN_END) & (ends <= VAL_END), 1,
                 np.where(starts >= VAL_END, 2, -1)))
$season_code

def windows(at):
    """Inputs (N, WINDOW, C) and targets (N, HORIZON) of the forecasts starting at ``at``."""
    x = np.stack([scaled[t - WINDOW:t] for t in at]).astype(np.float32)
    target = np.stack([scaled[t:t + HORIZON, 0] for t in at]).astype(np.float32)
$season_window
    return (torch.from_numpy(x),), torch.from_numpy(target)


split_starts = {name: starts[which == k] for k, name in enumerate(("train", "val", "test"))}
data = {name: windows(at) for name, at in split_starts.items()}
''')

MLP_MODEL = Template('''
# ----------------------------------------------------------------------------- the model
class MLP(nn.Module):
    """Flatten, then Linear -> $act_name$extras per hidden layer, then a linear head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
$body
        )
        self.head = nn.Linear($width, $n_outputs)

    def forward(self, x, *unused):         # x: (B, $input_shape)
        x = x.flatten(1)                   # (B, $in_features)
        return self.head(self.body(x))     # (B, $n_outputs)


model = MLP().to(DEVICE)
''')

CNN_MODEL = Template('''
# ----------------------------------------------------------------------------- the model
class CNN(nn.Module):
    """Blocks of 3x3 convolution -> $blocks_text -> 2x2 max pooling, then global average
    pooling, dropout and a linear head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
$features
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout($dropout),
                                  nn.Linear($width, $n_outputs))

    def forward(self, x):                  # x: (B, $input_shape)
        x = self.features(x)               # (B, $width, H', W')
        return self.head(x)                # (B, $n_outputs)


model = CNN().to(DEVICE)
''')

TABULAR_MODEL = Template('''
# ----------------------------------------------------------------------------- the model
# Categorical columns with few levels are one-hot; the others get a learned embedding.
# (column position, levels incl. "unknown", embedding width) and (column position, levels)
EMBEDDED = $embedded
ONE_HOT = $one_hot


def make_body():
    return nn.Sequential(
$body
    )


class TabularNet(nn.Module):
    """Embeddings and one-hot codes of the categorical columns beside the numeric ones, then
    an MLP$ensemble_text."""

    def __init__(self):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(n, d) for _, n, d in EMBEDDED)
$numeric_norm        self.emb_dropout = nn.Dropout($dropout)
        # Every member's hidden layers are drawn before any head: the order hakseup draws
        # the random initial weights in, so the same seed gives the same weights.
        bodies = [make_body() for _ in range($ensemble)]
        self.body = bodies[0]
        self.head = nn.Linear($width, $n_outputs)
        self.members = nn.ModuleList(nn.Sequential(b, nn.Linear($width, $n_outputs))
                                     for b in bodies[1:])
$skip_init
    def forward(self, x_num, x_cat):
        # x_num: (B, $n_numeric) scaled numbers; x_cat: (B, $n_cat) level indices
        parts = []
        if EMBEDDED:                       # each (B, d) -> (B, sum d)
            emb = torch.cat([e(x_cat[:, i]) for (i, _, _), e in zip(EMBEDDED, self.embeddings)], 1)
            parts.append(self.emb_dropout(emb))
        for i, n in ONE_HOT:
            parts.append(F.one_hot(x_cat[:, i], n).to(x_num.dtype))      # (B, n)
        if x_num.shape[1]:
            parts.append($numeric_part)
        x = torch.cat(parts, dim=1)                                     # (B, $in_width)
        out = self.head(self.body(x))                                   # (B, $n_outputs)
        if len(self.members):                                           # (B, k, $n_outputs)
            out = torch.stack([out] + [m(x) for m in self.members], 1)
            if not self.training:          # the ensemble's prediction
$ensemble_mean
$skip_forward        return out


model = TabularNet().to(DEVICE)
''')

DLINEAR_MODEL = Template('''
# ----------------------------------------------------------------------------- the model
class DLinear(nn.Module):
    """Zeng et al. 2023: a moving-average trend and the remainder of the window, one linear
    map of each. The window's last target value is subtracted first and added back to the
    forecast, so the map learns changes from the present level."""

    def __init__(self, window, channels, horizon, kernel=25, season=1):
        super().__init__()
        self.kernel = max(1, min(kernel, window) // 2 * 2 + 1 if window > 2 else 1)
        self.trend = nn.Linear(window * channels, horizon)
        self.season = nn.Linear(window * channels, horizon)
        for lin in (self.trend, self.season):      # start from "the last value persists"
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        if 1 < season <= window:                   # ... or from the seasonal naive forecast
            with torch.no_grad():
                for h in range(horizon):           # y[t+h] ~ y[t - season + h % season]
                    pos = (window - season + h % season) * channels
                    self.trend.weight[h, pos] = 1.0
                    self.season.weight[h, pos] = 1.0

    def forward(self, x):                          # x: (B, W, C), channel 0 the target
        level = x[:, -1:, :1]                                    # (B, 1, 1)
        x = torch.cat([x[:, :, :1] - level, x[:, :, 1:]], dim=2)
        trend = x
        if self.kernel > 1:                        # moving average, the ends replicated
            pad = self.kernel // 2
            z = F.pad(x.transpose(1, 2), (pad, pad), mode="replicate")
            trend = F.avg_pool1d(z, self.kernel, stride=1).transpose(1, 2)
        out = self.trend(trend.flatten(1)) + self.season((x - trend).flatten(1))   # (B, H)
        return out + level[:, 0]


class MultiWindow(nn.Module):
    """The mean forecast of DLinears reading the last w steps, for a few lookbacks w."""

    def __init__(self, lookbacks, channels, horizon, season):
        super().__init__()
        self.members = nn.ModuleList(DLinear(w, channels, horizon, season=season)
                                     for w in lookbacks)
        self.lookbacks = lookbacks

    def forward(self, x):                          # x: (B, WINDOW, C)
        outs = [m(x[:, -w:, :]) for m, w in zip(self.members, self.lookbacks)]
        return torch.stack(outs).mean(0)           # (B, HORIZON)


model = MultiWindow($lookbacks, channels=$channels, horizon=HORIZON, season=$season).to(DEVICE)
''')

LSTM_MODEL = Template('''
# ----------------------------------------------------------------------------- the model
HIDDEN, LAYERS = $hidden, $layers


# hakseup's own LSTM step (models/lstm.py), word for word.
$lstm_step

class LSTM(nn.Module):
    """A stacked LSTM, one time step at a time, its gates written out. The parameters have
    nn.LSTM's names and layout: weight_ih_l{k} (4H, I) holds the input, forget, cell and
    output gates' blocks, in that order."""

    def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
        super().__init__()
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        H = hidden_size
        for k in range(num_layers):
            fan_in = input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(4 * H, fan_in)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(4 * H, H)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(4 * H)))
            self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(4 * H)))
        bound = 1.0 / math.sqrt(hidden_size)        # PyTorch's RNN initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def cell(self, k, x, h, c):
        """One step of layer k: x (B, I), h and c (B, H) -> the new h and c."""
        gates = (F.linear(x, getattr(self, f"weight_ih_l{k}"), getattr(self, f"bias_ih_l{k}"))
                 + F.linear(h, getattr(self, f"weight_hh_l{k}"), getattr(self, f"bias_hh_l{k}")))
        return lstm_step(gates, c)                  # (B, 4H) -> h, c

    def forward(self, x):                           # x: (B, T, I)
        B, T, _ = x.shape
        for k in range(self.num_layers):
            h = c = x.new_zeros(B, self.hidden_size)
            outs = []
            for t in range(T):                      # the recurrence, step by step
                h, c = self.cell(k, x[:, t], h, c)
                outs.append(h)
            x = torch.stack(outs, dim=1)            # (B, T, H): the next layer's input
            if self.dropout and self.training and k < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x


${stem_class}class RecurrentNet(nn.Module):
    """$steps_text ->$stem_text the LSTM ->
    $readout_text -> a linear head."""

    def __init__(self):
        super().__init__()
$stem_init        self.rnn = LSTM($rnn_input, HIDDEN, LAYERS, dropout=$dropout)
        self.head = nn.Linear($head_in, $n_outputs)

    def forward(self, x):                           # x: (B, $input_shape)
$reshape$stem_apply        out = self.rnn(x)                           # (B, T, HIDDEN)
$readout


model = RecurrentNet().to(DEVICE)
''')

# model.stem conv, as models/recurrent.py's ConvStem with patches of one step (the script
# writes no patching).
CONV_STEM = '''class ConvStem(nn.Module):
    """A learned convolution over the steps: $channels filters spanning $kernel steps,
    BatchNorm and ReLU; (B, T, F) -> (B, T, $channels)."""

    def __init__(self, features):
        super().__init__()
        self.conv = nn.Conv1d(features, $channels, $kernel, padding=$pad)
        self.norm = nn.BatchNorm1d($channels)

    def forward(self, x):
        y = torch.relu(self.norm(self.conv(x.transpose(1, 2))))   # (B, $channels, T)
        return y.transpose(1, 2)


'''

LOOP = Template('''
# ----------------------------------------------------------------------------- training
$loss_code
$optimizer_code
train_x, train_y = [x.to(DEVICE) for x in data["train"][0]], data["train"][1].to(DEVICE)
n_train = len(train_y)


def batch_bounds(n):
    """(start, end) of each batch. A last batch of a single sample joins the one before it
    (BatchNorm cannot normalise one sample); DROP_LAST drops an incomplete last batch."""
    if DROP_LAST:
        return [(lo, lo + BATCH_SIZE) for lo in range(0, n - BATCH_SIZE + 1, BATCH_SIZE)]
    bounds = [(lo, min(lo + BATCH_SIZE, n)) for lo in range(0, n, BATCH_SIZE)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def epoch_order(epoch):
    """The sample order of an epoch: a permutation that depends only on (SEED, epoch)."""
    if not SHUFFLE:
        return torch.arange(n_train)
    g = torch.Generator().manual_seed(SEED * 1_000_003 + epoch)
    return torch.randperm(n_train, generator=g)


@torch.no_grad()
def outputs(name):
    """The model's outputs on a whole split, in eval mode (dropout off, BatchNorm frozen)."""
    model.eval()
    inputs, target = data[name]
    out = model(*(x.to(DEVICE) for x in inputs))
    model.train()
    return out, target.to(DEVICE)


torch.manual_seed(SEED)          # ... and again just before the first epoch (dropout draws)
steps = batch_bounds(n_train)
$scheduler_code
best_loss, best_weights, waited = math.inf, None, 0
for epoch in range(EPOCHS):
    model.train()
    order = epoch_order(epoch).to(DEVICE)
    loss_sum = 0.0
    for lo, hi in steps:
        idx = order[lo:hi]                                   # (B,) sample indices
        xb = [x.index_select(0, idx) for x in train_x]       # inputs, each (B, ...)
        yb = train_y.index_select(0, idx)                    # $target_shape
        out = model(*xb)                                     # $output_shape
        loss = loss_fn(out, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
$clip_code        optimizer.step()
$step_schedule        loss_sum += loss.item() * len(yb)
    val_out, val_y = outputs("val")
    val_loss = float(loss_fn(val_out, val_y)) if len(val_y) else math.nan
$epoch_schedule    print(f"epoch {epoch + 1}/{EPOCHS}  train loss {loss_sum / n_train:.4f}  "
          f"val loss {val_loss:.4f}  lr {optimizer.param_groups[0]['lr']:.3g}")
    if val_loss < best_loss:     # hakseup keeps the weights of the best validation loss
        best_loss, waited = val_loss, 0
        best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    else:
        waited += 1
$patience_code
if best_weights is not None:
    model.load_state_dict(best_weights)
''')

CLASS_SCORE = Template("""
# ----------------------------------------------------------------------------- evaluation
test_out, test_y = outputs("test")                           # (N, $n_outputs), (N,)
accuracy = (test_out.argmax(1) == test_y).float().mean().item()
print(f"test accuracy {accuracy:.4f}   (the run: $metric_value)")
""")

REGRESSION_SCORE = Template("""
# ----------------------------------------------------------------------------- evaluation
test_out, test_y = outputs("test")                           # (N, 1) scaled values
pred = test_out.cpu().double().numpy() * TARGET_STD + TARGET_MEAN     # original units
true = test_y.cpu().double().numpy() * TARGET_STD + TARGET_MEAN
if LOG_TARGET:
    pred, true = np.exp(pred), np.exp(true)
rmse = float(np.sqrt(np.mean((pred - true) ** 2)))
print(f"test rmse {rmse:.4f}   (the run: $metric_value)")
""")

FORECAST_SCORE = Template("""
# ----------------------------------------------------------------------------- evaluation
test_out, _ = outputs("test")                                # (N, HORIZON) scaled
at = split_starts["test"]
v = test_out.cpu().double().numpy() * STDS[0] + MEANS[0]     # back to (log'd) units
if DIFFERENCE:                                                # integrate the differences
    last = y[at - 1][:, None]
    v = (np.log(last) if LOG else last) + np.cumsum(v, axis=1)
pred = np.exp(v) if LOG else v
actual = np.stack([y[t:t + HORIZON] for t in at])            # (N, HORIZON)
mae = float(np.mean(np.abs(actual - pred)))
print(f"test mae {mae:.4f}   (the run's network: $metric_value)")
# The run reported $reported for its default forecast ($rule): this script trains
# and scores the network alone.
""")

SAVE = """
if len(sys.argv) > 1:                                         # python script.py W.pt
    torch.save(model.state_dict(), sys.argv[1])
"""


def py_list(values, per_line: int = 8, indent: int = 4) -> str:
    """A Python list literal, ``per_line`` items to a line when it is long.

    >>> py_list([1, 2, 3])
    '[1, 2, 3]'
    """
    items = [repr(float(v)) if isinstance(v, (float, np.floating)) else repr(v) for v in values]
    one = "[" + ", ".join(items) + "]"
    if len(one) <= 88 - indent:
        return one
    pad = " " * indent
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[\n" + ",\n".join(pad + line for line in lines) + ",\n" + pad[4:] + "]"


def py_dict(d: dict, indent: int = 4) -> str:
    """A Python dict literal, one key to a line when it is long.

    >>> py_dict({"a": 1.5})
    "{'a': 1.5}"
    """
    items = [
        f"{k!r}: {py_list(v, indent=indent + 4) if isinstance(v, list) else repr(v)}"
        for k, v in d.items()
    ]
    one = "{" + ", ".join(items) + "}"
    if len(one) <= 88 - indent and "\n" not in one:
        return one
    pad = " " * indent
    return "{\n" + "".join(f"{pad}{item},\n" for item in items) + "}"


def source_of(*functions) -> str:
    """The source text of hakseup's own ``functions``, copied into the script so that it
    computes what the product computes (the LSTM step, the image decoding) and cannot drift
    from it. An installation without the ``.py`` files (compiled only) cannot give it: one
    line saying so, not a traceback.

    >>> source_of(py_list).splitlines()[0]
    'def py_list(values, per_line: int = 8, indent: int = 4) -> str:'
    """
    from ..errors import HakseupError
    from ..i18n import t

    try:
        return "\n\n".join(inspect.getsource(f) for f in functions)
    except (OSError, TypeError) as e:
        name = ", ".join(getattr(f, "__qualname__", repr(f)) for f in functions)
        raise HakseupError(t("error.experiment.plain.no_source", name=name)) from e
