"""Forecasters for windows of a series: (B, window, C) → (B, horizon), channel 0 the target.

- ``DLinear`` (Zeng et al. 2023, "Are transformers effective for time series forecasting?"):
  the window is split into a trend (a moving average) and the remainder, and one linear map
  of each gives the forecast. Seasonal naive, drift and every autoregression are linear maps
  of the window, so a linear forecaster starts from the baselines it must beat.
  The ``dlinear`` model is three of them reading the last W, W/2 and W/4 steps of the
  window, their forecasts averaged (``MultiWindow``).
- ``NBeats`` (Oreshkin et al. 2020, N-BEATS, generic blocks): a stack of MLP blocks, each
  removing what it explains from the window (backcast) and adding its part of the forecast.

Both normalise each window (the RevIN / N-BEATS practice): the window's last target value is
subtracted from the target channel and added back to the forecast, so the networks learn
changes from the present level — the reason they cope with trends and level shifts that a
scaler fitted on the training period cannot follow.

Example:
    >>> DLinear(20, 1, 3)(torch.zeros(4, 20, 1)).shape
    torch.Size([4, 3])
    >>> NBeats(20, 1, 3)(torch.zeros(4, 20, 1)).shape
    torch.Size([4, 3])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import t

__all__ = [
    "DLinear",
    "NBeats",
    "WindowNorm",
    "MultiWindow",
    "FutureCovariates",
    "lookbacks",
    "build_forecaster",
]


class WindowNorm(nn.Module):
    """Subtract the window's last target value from the target channel; ``restore`` adds it to
    a forecast."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        level = x[:, -1:, :1]  # (B, 1, 1)
        shifted = torch.cat([x[:, :, :1] - level, x[:, :, 1:]], dim=2)
        return shifted, level[:, 0]  # (B, W, C), (B, 1)


class DLinear(nn.Module):
    """Linear maps of a moving-average trend and of the remainder of each window."""

    deterministic_init = True  # starts from a fixed forecast (zeros): no random draw

    def __init__(
        self,
        window: int,
        channels: int,
        horizon: int,
        kernel: int = 25,
        normalize: bool = True,
        season: int = 1,
    ):
        super().__init__()
        self.kernel = max(1, min(kernel, window) // 2 * 2 + 1 if window > 2 else 1)
        self.norm = WindowNorm() if normalize else None
        self.trend = nn.Linear(window * channels, horizon)
        self.season = nn.Linear(window * channels, horizon)
        for lin in (self.trend, self.season):  # start from "the last value persists"
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        if normalize and 1 < season <= window:  # ... or from the seasonal naive forecast
            with torch.no_grad():
                for h in range(horizon):  # y[t+h] ≈ y[t - season + h % season]
                    pos = (window - season + h % season) * channels
                    # trend + remainder = the input, so weight 1 in both maps picks x[pos]
                    # (the level is subtracted before and added back after).
                    self.trend.weight[h, pos] = 1.0
                    self.season.weight[h, pos] = 1.0

    def _moving_average(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.kernel // 2  # replicate the ends, as DLinear does
        z = F.pad(x.transpose(1, 2), (pad, pad), mode="replicate")
        return F.avg_pool1d(z, self.kernel, stride=1).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        level = None
        if self.norm is not None:
            x, level = self.norm(x)
        trend = self._moving_average(x) if self.kernel > 1 else x
        out = self.trend(trend.flatten(1)) + self.season((x - trend).flatten(1))
        return out if level is None else out + level


class _Block(nn.Module):
    def __init__(self, size: int, horizon: int, width: int, layers: int):
        super().__init__()
        mods: list[nn.Module] = []
        d = size
        for _ in range(layers):
            mods += [nn.Linear(d, width), nn.ReLU()]
            d = width
        self.body = nn.Sequential(*mods)
        self.backcast = nn.Linear(width, size)
        self.forecast = nn.Linear(width, horizon)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.backcast(h), self.forecast(h)


class NBeats(nn.Module):
    """N-BEATS with generic blocks on the flattened, level-normalised window."""

    def __init__(
        self,
        window: int,
        channels: int,
        horizon: int,
        blocks: int = 3,
        width: int = 128,
        layers: int = 2,
        normalize: bool = True,
    ):
        super().__init__()
        self.norm = WindowNorm() if normalize else None
        size = window * channels
        made = [_Block(size, horizon, width, layers) for _ in range(blocks)]
        for b in made:  # start from "the last value persists"
            nn.init.zeros_(b.forecast.weight)
            nn.init.zeros_(b.forecast.bias)
        self.blocks = nn.ModuleList(made)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        level = None
        if self.norm is not None:
            x, level = self.norm(x)
        residual = x.flatten(1)
        out = residual.new_zeros(())  # the blocks' forecasts add up (broadcast)
        for block in self.blocks:
            back, fore = block(residual)
            residual = residual - back
            out = out + fore
        return out if level is None else out + level


class MultiWindow(nn.Module):
    """The mean forecast of forecasters that each read the last ``w`` steps of the window,
    for a few lookbacks ``w`` (N-BEATS ensembles over lookback lengths, Oreshkin et al.
    2020): which lookback suits a series is not known in advance — on the quality suite the
    best single one changed from series to series — and the mean of several is steadier.

    Example:
        >>> m = MultiWindow([DLinear(5, 1, 2), DLinear(10, 1, 2)], [5, 10])
        >>> m(torch.zeros(3, 10, 1)).shape
        torch.Size([3, 2])
    """

    deterministic_init = True

    def __init__(self, members: list[nn.Module], lookbacks: list[int]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.lookbacks = [int(w) for w in lookbacks]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [m(x[:, -w:, :]) for m, w in zip(self.members, self.lookbacks)]
        return torch.stack(outs).mean(0)  # (B, horizon)


class FutureCovariates(nn.Module):
    """A forecaster of the past channels, plus what the values known at the forecast steps
    add (``data.series.covariates``: the last ``future`` channels, on the window's last
    ``horizon`` rows). Two linear maps, both starting at zero (the base forecaster's forecast
    unchanged): one effect per covariate shared by every step (a promotion lifts any step it
    falls on alike; with few windows a shared coefficient is what can be estimated), and one
    from every step's values to every step (a promotion next month pulls sales forward).

    The forecasters model a window relative to its last target value (``WindowNorm``), so a
    covariate that also has past channels (``past``: their indices) enters the shared map as
    its change from the window's last row: y[t+h] - y[t-1] = b (x[t+h] - x[t-1]) is then one
    coefficient, where the raw value would need b on x[t+h] and -b spread over the base's
    window maps (on uschange the network learned a tenth of the effect that way).

    Example:
        >>> m = FutureCovariates(DLinear(8, 2, 3), future=2, horizon=3, past=[1])
        >>> m(torch.zeros(4, 8, 4)).shape
        torch.Size([4, 3])
    """

    deterministic_init = True
    # The shared map's output is multiplied by GAIN: Adam moves a weight by about the learning
    # rate per step whatever its gradient's size, so a coefficient near 1 (in scaled units)
    # starting from 0 took more steps than a series run has (y = 3 promo + noise: the learned
    # effect reached a fifth of it, MASE 0.38; with GAIN 10 it reached 0.8 of it, MASE 0.23).
    GAIN = 10.0

    def __init__(self, base: nn.Module, future: int, horizon: int, past: list[int] | None = None):
        super().__init__()
        self.base, self.future, self.horizon = base, int(future), int(horizon)
        self.past = [int(i) for i in past or []]
        self.shared = nn.Linear(self.future, 1, bias=False)
        self.cross = nn.Linear(self.future * self.horizon, self.horizon, bias=False)
        for lin in (self.shared, self.cross):
            nn.init.zeros_(lin.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ahead = x[:, -self.horizon :, -self.future :]  # (B, H, F)
        if self.past:  # the covariates' changes from the window's last row
            k = len(self.past)
            last = x[:, -1:, self.past]  # (B, 1, k)
            ahead = torch.cat([ahead[..., :k] - last, ahead[..., k:]], dim=2)
        out = self.base(x[:, :, : -self.future])
        return out + self.GAIN * self.shared(ahead)[..., 0] + self.cross(ahead.flatten(1))


def lookbacks(window: int) -> list[int]:
    """The lookbacks of the default ``dlinear``: the whole window, a half and a quarter (at
    least 4 steps each).

    >>> lookbacks(36), lookbacks(12), lookbacks(3)
    ([9, 18, 36], [6, 12], [3])
    """
    return sorted({w for w in (window, window // 2, window // 4) if w >= 4} or {window})


def build_forecaster(cfg, schema, kind: str) -> nn.Module:
    """``dlinear`` or ``nbeats`` for a series schema (input (window, C), ``horizon`` outputs)."""
    if schema.input_kind not in ("series", "sequence") or schema.is_classification:
        from ..errors import ConfigError

        raise ConfigError(
            t(
                "error.models.forecast.model_forecasts_time",
                kind=kind,
                input_kind=schema.input_kind,
                task=schema.task,
            )
        )
    window, channels = int(schema.input_shape[0]), int(schema.input_shape[-1])
    future = int(getattr(schema, "future_channels", 0) or 0)
    channels -= future
    base: nn.Module
    if kind == "dlinear":  # DLinear over three lookbacks, their forecasts averaged
        ws, season = lookbacks(window), getattr(schema, "season", 1)
        base = MultiWindow([DLinear(w, channels, schema.n_outputs, season=season) for w in ws], ws)
    else:
        width = cfg.hidden[0] if list(cfg.hidden) != [128, 64] else 256
        base = NBeats(window, channels, schema.n_outputs, width=width)
    if not future:
        return base
    cols = list(schema.numeric_features)
    past = [cols.index(c) for c in getattr(schema, "future_features", []) if c in cols]
    return FutureCovariates(base, future, schema.n_outputs, past)
