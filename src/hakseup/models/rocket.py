"""``--model rocket``: MiniRocket's fixed dilated convolutions and a linear head, in PyTorch.

After Dempster, Schmidt & Webb (2021), "MiniRocket: a very fast (almost) deterministic
transform for time series classification". The transform is not learned:

* 84 kernels of length 9, weights -1 everywhere but +2 at three of the nine positions (every
  choice of three: C(9, 3) = 84), so each kernel sums to 0 and only the shape matters;
* dilations spread exponentially from 1 to about (length - 1) / 8, so every kernel sees
  patterns from 9 steps to the whole series;
* per (dilation, kernel), biases drawn from quantiles (a low-discrepancy sequence) of that
  kernel's output on one random training series — fitted once from the training data
  (``fit_features``) and kept as buffers, so they travel with the weights;
* PPV pooling: the proportion of positions where the output exceeds a bias, one feature per
  bias (about 10,000 in all); half the kernels see the zero-padded output, half only the
  unpadded part, alternating as in the paper;
* several channels: each (dilation, kernel) sums the outputs of a random subset of channels.

The features are standardised with the training data's mean and standard deviation (buffers
too) and a linear layer maps them to the outputs; the Trainer trains that layer (cross-
entropy or the regression loss), started from a closed-form ridge fit with leave-one-out
choice of the penalty (MiniRocket's ``RidgeClassifierCV``; see ``ridge_head``).

``pooling="multi"`` (``model.rocket_pooling``: ``multi`` in a run's config by default, chosen
by ``benchmarks/rocket_pooling.py``; ``RocketNet``'s own default and a run saved before the
key: ``ppv``) gives MultiRocket's features instead (Tan,
Dempster, Bergmeir & Webb 2022): four pooled values per (dilation, kernel, bias) — PPV, MPV
(mean of the positive values), MIPV (mean index of the positive values, over the length) and
LSPV (longest stretch of positive values, over the length) — from two representations, the
series and its first difference, half the features each (``MultiRocketFeatures``), within
MiniRocket's budget of 10,000 features (MultiRocket's own default, 50,000, costs ~5x the CPU).

The transform is fixed, so the training series' features are computed once and reused while
the head trains (``FeatureCache``: looked up by the series' values and checked for equality;
anything else — augmented, validation or new series — is transformed afresh).

Example:
    >>> net = RocketNet(in_channels=2, length=50, n_outputs=3, n_features=840)
    >>> x = torch.randn(20, 50, 2)
    >>> net.fit_features(x, torch.arange(20) % 3)
    >>> net(x).shape
    torch.Size([20, 3])
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import torch
from torch import nn

__all__ = [
    "KERNEL_LENGTH",
    "N_FEATURES",
    "FeatureCache",
    "MULTI_FEATURES",
    "POOLINGS",
    "MiniRocketFeatures",
    "MultiRocketFeatures",
    "RocketNet",
    "build_rocket",
    "fit_dilations",
    "ridge_head",
]

KERNEL_LENGTH = 9
N_FEATURES = 10_000  # MiniRocket's default number of features
# MultiRocket's own default is 50,000 features (6,250 biases x 4 operators x 2); the same
# 10,000 as MiniRocket keeps the transform's CPU within ~1.3x of PPV's (50,000: ~5x).
MULTI_FEATURES = N_FEATURES
POOLINGS = {"ppv": 1, "multi": 4}  # pooled features per (dilation, kernel, bias)
MAX_DILATIONS = 32  # MiniRocket's default dilations per kernel, at most
RIDGE_ALPHAS = tuple(10.0**k for k in torch.linspace(-3, 3, 10).tolist())
CACHE_BYTES = 512 * 2**20  # training features kept for reuse, at most
PPV_BLOCK = 2**18  # comparisons per block of series in the PPV pooling
MULTI_BLOCK = 2**17  # values per block in the four-operator pooling (~20 bytes each)
GOLDEN = (math.sqrt(5) + 1) / 2


def _kernels() -> torch.Tensor:
    """The 84 kernels (84, 1, 9): -1, and +2 at three positions."""
    w = -torch.ones(84, KERNEL_LENGTH)
    for k, idx in enumerate(itertools.combinations(range(KERNEL_LENGTH), 3)):
        w[k, list(idx)] = 2.0
    return w.unsqueeze(1)


def fit_dilations(
    length: int, n_features: int, max_dilations: int = MAX_DILATIONS
) -> tuple[list[int], list[int]]:
    """(dilations, features per kernel at each dilation), as MiniRocket spreads them.

    >>> fit_dilations(150, 10_000)[0]
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18]
    """
    per_kernel = max(1, n_features // 84)
    true_max = min(per_kernel, max_dilations)
    multiplier = per_kernel / true_max
    max_exponent = math.log2(max(length - 1, 1) / (KERNEL_LENGTH - 1))
    max_exponent = max(max_exponent, 0.0)
    raw = torch.logspace(0, max_exponent, true_max, base=2, dtype=torch.float64)
    dilations, counts = torch.unique(raw.to(torch.int32), return_counts=True)
    per_dilation = (counts.double() * multiplier).to(torch.int32).tolist()
    remainder, i = per_kernel - sum(per_dilation), 0
    while remainder > 0:
        per_dilation[i] += 1
        remainder -= 1
        i = (i + 1) % len(per_dilation)
    return [int(d) for d in dilations.tolist()], per_dilation


class MiniRocketFeatures(nn.Module):
    """(B, T, C) → (B, n_features): MiniRocket's transform; biases fitted by ``fit``.

    ``pooling``: ``ppv`` (MiniRocket: one feature per bias) or ``multi`` (MultiRocket's four
    operators per bias: ``n_features`` / 4 biases, in blocks of PPV, MPV, MIPV, LSPV)."""

    # Buffers (register_buffer), declared for the type checker; bias_0.. are read by name.
    weight: torch.Tensor  # (84, 1, 9) kernels
    channel_mask: torch.Tensor  # (D, 84, C)
    fitted: torch.Tensor  # () bool: biases fitted

    def __init__(
        self,
        in_channels: int,
        length: int,
        n_features: int = N_FEATURES,
        max_dilations: int = MAX_DILATIONS,
        seed: int = 0,
        pooling: str = "ppv",
    ):
        super().__init__()
        self.length = max(int(length), KERNEL_LENGTH)  # shorter series are zero-padded
        self.in_channels, self.seed = int(in_channels), int(seed)
        self.pooling, n_ops = pooling, POOLINGS[pooling]
        self.dilations, self.per_dilation = fit_dilations(
            self.length, n_features // n_ops, max_dilations
        )
        self.n_features = 84 * sum(self.per_dilation) * n_ops
        self.register_buffer("weight", _kernels())
        gen = torch.Generator().manual_seed(self.seed)
        masks = [_channel_masks(self.in_channels, gen) for _ in self.dilations]
        self.register_buffer("channel_mask", torch.stack(masks))  # (D, 84, C)
        for i, f in enumerate(self.per_dilation):
            self.register_buffer(f"bias_{i}", torch.zeros(84, f))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))

    def _conv(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """(B, C, T) → (B, 84, T): each kernel's zero-padded output at dilation ``i``,
        summed over that kernel's channels. Written as one matrix product of the kernels
        (with their channel masks) and the nine shifted copies of the series: about 6x
        faster on a CPU than ``conv1d`` with one input channel."""
        d = self.dilations[i]
        B, C, T = x.shape
        xp = nn.functional.pad(x, (4 * d, 4 * d))
        shifted = torch.stack([xp[:, :, j * d : j * d + T] for j in range(KERNEL_LENGTH)], 2)
        w = self.weight[:, 0].unsqueeze(1) * self.channel_mask[i].unsqueeze(2)  # (84, C, 9)
        return torch.matmul(
            w.reshape(84, C * KERNEL_LENGTH), shifted.reshape(B, C * KERNEL_LENGTH, T)
        )

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:  # (B, T): one channel
            x = x.unsqueeze(-1)
        x = x.transpose(1, 2).float()  # (B, C, T)
        if x.shape[2] < KERNEL_LENGTH:
            x = nn.functional.pad(x, (0, KERNEL_LENGTH - x.shape[2]))
        return x

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> None:
        """Biases from the training series ``x`` (N, T, C): for each (dilation, kernel), the
        quantiles of its output on one training series drawn with the model's seed."""
        x = self._prepare(x)
        gen = torch.Generator().manual_seed(self.seed + 1)
        start = 0
        for i, f in enumerate(self.per_dilation):
            pick = torch.randint(len(x), (84,), generator=gen).to(x.device)
            c = self._conv(x[pick], i)  # (84, 84, T)
            c = c[torch.arange(84), torch.arange(84)]  # kernel k on series k
            q = _quantile_sequence(start, 84 * f).view(84, f).to(c)
            getattr(self, f"bias_{i}").copy_(_quantiles(c, q))
            start += 84 * f
        self.fitted.fill_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._prepare(x)
        # Traced or exported graphs take the plain comparison (no loop over the batch).
        exporting = torch.onnx.is_in_onnx_export() or torch.jit.is_tracing()
        pool = _multi if self.pooling == "multi" else _ppv
        out = []
        for i, d in enumerate(self.dilations):
            c = self._conv(x, i)  # (B, 84, T)
            bias = getattr(self, f"bias_{i}")
            pad = 4 * d
            # Alternate kernels see the padded output or only the unpadded part.
            first = i % 2
            for parity, part in ((0, c), (1, c[:, :, pad : c.shape[2] - pad])):
                rows = [k for k in range(84) if (first + k) % 2 == parity]
                out.append(pool(part[:, rows], bias[rows], exporting))
        return torch.cat(out, dim=1)


class MultiRocketFeatures(nn.Module):
    """(B, T, C) → (B, n_features): MultiRocket's transform — the four-operator pooling of
    ``MiniRocketFeatures`` on the series (``raw``) and on its first difference (``diff``),
    half the features each; each representation has its own dilations (from its length),
    channel subsets and biases (fitted on its own outputs).

    >>> m = MultiRocketFeatures(1, 30, n_features=1_344)
    >>> m.fit(torch.randn(8, 30, 1))
    >>> m(torch.randn(3, 30, 1)).shape
    torch.Size([3, 1344])
    """

    def __init__(
        self,
        in_channels: int,
        length: int,
        n_features: int = MULTI_FEATURES,
        max_dilations: int = MAX_DILATIONS,
        seed: int = 0,
    ):
        super().__init__()
        half = n_features // 2
        self.raw = MiniRocketFeatures(
            in_channels, length, half, max_dilations, seed=seed, pooling="multi"
        )
        # Another seed: the difference's channel subsets and bias series are drawn anew.
        self.diff = MiniRocketFeatures(
            in_channels,
            max(int(length) - 1, 1),
            n_features - half,
            max_dilations,
            seed=seed + 7_919,
            pooling="multi",
        )
        self.n_features = self.raw.n_features + self.diff.n_features

    @property
    def fitted(self) -> torch.Tensor:
        return self.raw.fitted & self.diff.fitted

    @staticmethod
    def _difference(x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            x = x.unsqueeze(-1)
        return x[:, 1:] - x[:, :-1]  # (B, T-1, C)

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> None:
        """Each representation's biases from the training series ``x`` (N, T, C)."""
        self.raw.fit(x)
        self.diff.fit(self._difference(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.raw(x), self.diff(self._difference(x))], dim=1)


def _channel_masks(channels: int, gen: torch.Generator) -> torch.Tensor:
    """(84, C): the channels each kernel sums, a random subset of 1 to min(C, 9) channels
    (MiniRocket's multivariate rule: 2**U(0, log2(min(C, 9) + 1)) channels)."""
    mask = torch.zeros(84, channels)
    if channels == 1:
        return mask + 1
    top = math.log2(min(channels, 9) + 1)
    for k in range(84):
        n = int(2 ** (torch.rand((), generator=gen).item() * top))
        n = min(max(n, 1), channels)
        mask[k, torch.randperm(channels, generator=gen)[:n]] = 1.0
    return mask


def _quantile_sequence(start: int, n: int) -> torch.Tensor:
    """MiniRocket's quantiles: (i · golden ratio) mod 1 for i = start+1 … start+n."""
    i = torch.arange(start + 1, start + n + 1, dtype=torch.float64)
    return torch.remainder(i * GOLDEN, 1.0).float()


def _quantiles(c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Per row of ``c`` (K, T), the quantiles ``q`` (K, f), linearly interpolated (NumPy's
    default rule)."""
    s, _ = torch.sort(c, dim=1)
    pos = q * (s.shape[1] - 1)
    lo = pos.floor().long().clamp(0, s.shape[1] - 1)
    hi = (lo + 1).clamp(max=s.shape[1] - 1)
    frac = pos - lo.to(pos.dtype)
    a, b = s.gather(1, lo), s.gather(1, hi)
    return a + (b - a) * frac


def _ppv(c: torch.Tensor, bias: torch.Tensor, exporting: bool) -> torch.Tensor:
    """(B, K, T) outputs, (K, f) biases → (B, K·f): the proportion of positions above each
    bias. Compared a few series at a time, so that the (series, K, f, T) comparisons stay
    in the CPU's cache: 10x faster than all at once (and than sorting and counting)."""
    B, K, T = c.shape
    bias = bias.unsqueeze(-1)
    if exporting:
        return (c.unsqueeze(2) > bias).float().mean(-1).reshape(B, -1)
    step = max(1, PPV_BLOCK // max(K * bias.shape[1] * T, 1))
    counts = [
        (part.unsqueeze(2) > bias).to(torch.uint8).sum(-1, dtype=torch.int32)
        for part in torch.split(c, step)
    ]
    return (torch.cat(counts).float() / T).reshape(B, -1)


def _multi(c: torch.Tensor, bias: torch.Tensor, exporting: bool) -> torch.Tensor:
    """(B, K, T) outputs, (K, f) biases → (B, 4·K·f): MultiRocket's operators on
    ``z = c - bias``: PPV (share of positions with z > 0), MPV (mean z over them), MIPV (their
    mean index over T; -1 where there is none) and LSPV (longest run of consecutive positive
    positions, over T). A few series at a time to bound the (series, K, f, T) temporaries."""
    B, K, T = c.shape
    bias = bias.unsqueeze(-1)
    idx = torch.arange(T, device=c.device, dtype=c.dtype)
    if exporting:  # a traced graph takes any batch: no split into a fixed number of blocks
        return _multi_block(c, bias, idx, exporting).reshape(B, -1)
    step = max(1, MULTI_BLOCK // max(K * bias.shape[1] * T, 1))
    parts = [_multi_block(part, bias, idx, exporting) for part in torch.split(c, step)]
    return torch.cat(parts).reshape(B, -1)


def _multi_block(
    c: torch.Tensor, bias: torch.Tensor, idx: torch.Tensor, exporting: bool = False
) -> torch.Tensor:
    """(b, K, T), (K, f, 1), (T,) → (b, 4, K, f): the four operators of ``_multi``."""
    T = c.shape[-1]
    z = c.unsqueeze(2) - bias  # (b, K, f, T)
    pos = (z > 0).to(c.dtype)
    n = pos.sum(-1)
    some = n.clamp_min(1.0)
    mpv = z.clamp_min(0.0).sum(-1) / some
    mipv = torch.where(n > 0, (pos @ idx) / (some * T), -torch.ones_like(n))
    # The run ending at t is t - (the last non-positive position up to t): a running maximum
    # of (position + 1) where z <= 0, 0 elsewhere; small integers, as cummax is fastest there.
    ints = c.dtype if exporting else torch.int16 if T < 2**15 - 1 else torch.int32
    t1 = torch.arange(1, T + 1, dtype=ints, device=c.device)
    last = z.le(0).to(ints) * t1
    last = _running_max(last) if exporting else last.cummax(-1).values
    lspv = (t1 - last).amax(-1).to(c.dtype) / T
    return torch.stack([n / T, mpv, mipv, lspv], 1)


def _running_max(w: torch.Tensor) -> torch.Tensor:
    """``w.cummax(-1).values`` by log2(T) shifted maxima (a Hillis-Steele scan): ONNX has no
    cummax, but pads, slices and maxima export, so exported graphs take this path. The
    number of steps is fixed when traced (a model's series have its length): said quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        T, shift = w.shape[-1], 1
        while shift < T:
            w = torch.maximum(w, nn.functional.pad(w[..., : T - shift], (shift, 0)))
            shift *= 2
    return w


class FeatureCache:
    """The training series' features, found again by value: a fingerprint (a fixed random
    projection of each series) is looked up, and the series themselves compared, so a hit is
    always exact; any miss recomputes the whole batch."""

    def __init__(self, x: torch.Tensor, z: torch.Tensor):
        g = torch.Generator().manual_seed(0)
        self.w = torch.randn(x[0].numel(), generator=g, dtype=torch.float64).to(x.device)
        prints = x.reshape(len(x), -1).double() @ self.w
        self.prints, self.order = torch.sort(prints)
        self.x, self.z = x, z

    def get(self, x: torch.Tensor) -> torch.Tensor | None:
        if x.shape[1:] != self.x.shape[1:]:
            return None
        if x.device != self.x.device:  # the model moved (to a GPU): move once
            self.w, self.prints, self.order, self.x, self.z = (
                t.to(x.device) for t in (self.w, self.prints, self.order, self.x, self.z)
            )
        p = x.reshape(len(x), -1).double() @ self.w
        pos = torch.searchsorted(self.prints, p).clamp(max=len(self.prints) - 1)
        idx = self.order[pos]
        if not torch.equal(self.x[idx], x):
            return None
        return self.z[idx]


class RocketNet(nn.Module):
    """(B, T, C) → MiniRocket features → standardised → linear → (B, n_outputs).

    Call ``fit_features`` with the training data before training (the Trainer does, for any
    model that has it); until then the biases are zeros and the features are still finite.
    """

    # The head is a ridge fit with its penalty chosen by leave-one-out: its ~10,000 weights
    # per class are not a model free to memorise its rows (the diagnosis skips that finding).
    regularised_fit = True
    # TensorBoard's graph would trace the fixed transform's hundreds of operators (twice,
    # with the tracer's check): 4.8 CPU s of a 7 CPU s run on ArrowHead, for a picture of no
    # learned layer but the head. The run's scalars and histograms are written as for any model.
    tensorboard_graph = False
    mean: torch.Tensor  # (n_features,) buffers: the standardisation
    scale: torch.Tensor

    def __init__(
        self,
        in_channels: int,
        length: int,
        n_outputs: int,
        *,
        classification: bool = True,
        **transform: Any,
    ):
        """``transform``: the options of ``MiniRocketFeatures`` (``n_features``,
        ``max_dilations``, ``seed``), its defaults where not given; ``pooling="multi"``:
        ``MultiRocketFeatures`` instead (its own defaults)."""
        super().__init__()
        self.features: MiniRocketFeatures | MultiRocketFeatures
        if transform.pop("pooling", "ppv") == "multi":
            self.features = MultiRocketFeatures(in_channels, length, **transform)
        else:
            self.features = MiniRocketFeatures(in_channels, length, **transform)
        n = self.features.n_features
        self.classification = classification
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("scale", torch.ones(n))
        self.head = nn.Linear(n, n_outputs)
        self._cache: FeatureCache | None = None

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """The standardised features (B, n_features)."""
        z = self._cache.get(x) if self._cache is not None and self.training else None
        if z is None:
            z = self.features(x)
        return (z - self.mean) / self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.transform(x))

    @torch.no_grad()
    def fit_features(self, x, target: torch.Tensor | None = None) -> None:
        """Fit the biases, the standardisation and (given the target) the ridge start of the
        head on the training data: a ``Split`` (or lazy split: its first samples, up to
        20,000), or the inputs ``x`` (N, T, C). Nothing happens once fitted (a resumed or
        loaded model keeps its buffers)."""
        if bool(self.features.fitted):
            return
        if not isinstance(x, torch.Tensor):
            from ..data.bundle import first_samples

            inputs, target = first_samples(x, 20_000)
            x = inputs[0]
        self.features.fit(x)
        z = torch.cat([self.features(part) for part in torch.split(x, 256)])
        self.mean.copy_(z.mean(0))
        std = z.std(0, unbiased=False)
        # A feature constant on the training rows but for float rounding (a pooled value of
        # constant series) is left unscaled, as scikit-learn's StandardScaler leaves its
        # constant features: divided by its rounding noise, any other input's value would be
        # blown up a hundred million times (the logits of new series with it).
        constant = std <= 1e-6 * (self.mean.abs() + 1)
        self.scale.copy_(torch.where(constant, torch.ones_like(std), std))
        if z.numel() * 4 <= CACHE_BYTES:
            self._cache = FeatureCache(x.detach(), z)
        if target is not None and len(x) > 1:
            w, b = ridge_head(
                (z - self.mean) / self.scale, target, self.classification, self.head.out_features
            )
            self.head.weight.copy_(w.to(self.head.weight))
            self.head.bias.copy_(b.to(self.head.bias))

    @classmethod
    def from_schema(cls, cfg, schema) -> RocketNet:
        shape = tuple(schema.input_shape)
        steps, channels = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        # The transform's random choices (channel subsets, the series biases come from)
        # follow the run's seed, drawn from the generator the experiment seeded.
        seed = int(torch.randint(0, 2**31 - 1, ()).item())
        # A saved run from before the key has none: MiniRocket's PPV, as it was trained.
        pooling = getattr(cfg, "rocket_pooling", "ppv")  # cfg: the ModelConfig
        return cls(
            channels,
            steps,
            schema.n_outputs,
            classification=schema.is_classification,
            seed=seed,
            pooling=pooling,
        )


def ridge_head(
    z: torch.Tensor,
    target: torch.Tensor,
    classification: bool,
    n_outputs: int,
    alphas: tuple[float, ...] = RIDGE_ALPHAS,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight (n_outputs, F), bias (n_outputs,)) of a ridge fit of ``target`` on ``z``, the
    penalty chosen by the exact leave-one-out error (as scikit-learn's ``RidgeClassifierCV``:
    classes as ±1 columns; the decision values are the logits).

    Solved through the eigendecomposition of the Gram matrix (N × N), cheap while the
    training set is smaller than the features.

    >>> w, b = ridge_head(torch.eye(4), torch.tensor([0, 1, 0, 1]), True, 2)
    >>> w.shape, b.shape
    (torch.Size([2, 4]), torch.Size([2]))
    """
    z = z.double()
    if classification:
        y = -torch.ones(len(target), n_outputs, dtype=torch.float64)
        y[torch.arange(len(target)), target.long().cpu()] = 1.0
        y = y.to(z.device)
    else:
        y = target.double().reshape(len(target), -1)
    zm, ym = z.mean(0), y.mean(0)
    zc, yc = z - zm, y - ym
    if len(z) > 4096:  # the Gram matrix would be large: one penalty
        alphas = (1.0,)
    evals, q = torch.linalg.eigh(zc @ zc.T)  # K = Q diag(e) Q^T
    qty = q.T @ yc
    best = None
    for alpha in alphas:
        # K (K + aI)^-1 y is the fit; leave-one-out residual = (y - fit) / (1 - h_ii).
        inv = 1.0 / (evals + alpha)
        c = q @ (inv.unsqueeze(1) * qty)  # dual coefficients
        diag = (q * q) @ inv  # diag((K + aI)^-1)
        err = ((c / diag.unsqueeze(1)) ** 2).sum().item()
        if best is None or err < best[0]:
            best = (err, c)
    if best is None:  # no penalty to try: a caller's bug, not the data's
        raise ValueError("ridge_head needs at least one alpha")
    w = zc.T @ best[1]  # (F, outputs)
    b = ym - zm @ w
    return w.T.float(), b.float()


def build_rocket(cfg, schema) -> RocketNet:
    """``--model rocket`` for sequences (``--layout sequence``) and forecasting windows."""
    if schema.input_kind not in ("sequence", "series"):
        from ..errors import ConfigError
        from ..i18n import t

        raise ConfigError(t("error.models.recurrent.model_needs_sequences", kind="rocket"))
    return RocketNet.from_schema(cfg, schema)
