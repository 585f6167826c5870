"""Config rules that a single field's type and range cannot say: unsupported optimizers, split
sizes that leave nothing to train or test on, and a ``tune`` section whose every range and
choice must give a valid config. Called by ``RunConfig.from_dict``.

Example:
    >>> from hakseup.config import RunConfig

    >>> RunConfig.from_dict({"tune": {"train.batch_size": {"low": 8, "high": 64, "step": -8}}})
    Traceback (most recent call last):
    hakseup.errors.ConfigError: tune.train.batch_size: step must be a positive number, got -8.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from .. import i18n
from ..errors import ConfigError
from ..i18n import t

__all__ = [
    "UNSUPPORTED_OPTIMIZERS",
    "check_together",
    "check_tune",
    "tune_values",
    "optimizer_names",
]

# Optimizers whose step() cannot be driven by a plain training loop.
UNSUPPORTED_OPTIMIZERS = {
    "lbfgs": "LBFGS needs a closure that re-evaluates the loss several times per step",
    "sparseadam": "SparseAdam needs sparse gradients, which no built-in model produces",
}


def check_together(cfg) -> None:
    """Rules about one key that a single field's type and range cannot say."""
    d, t = cfg.data, cfg.train
    reason = UNSUPPORTED_OPTIMIZERS.get(t.optimizer.lower())
    if reason:
        raise ConfigError(
            i18n.t(
                "error.config.rules.optimizer_supported_use",
                optimizer=t.optimizer,
                reason=i18n.t(f"unsupported_optimizer.{t.optimizer.lower()}"),
            )
        )
    if d.test_size <= 0:
        raise ConfigError(i18n.t("error.config.rules.invalid_value_data"))
    if d.val_size < 1 and d.test_size < 1 and d.val_size + d.test_size >= 1:
        raise ConfigError(
            i18n.t("error.config.rules.data_val_size", val_size=d.val_size, test_size=d.test_size)
        )
    # Imported here: the reader imports pandas, which a config alone does not need at start-up.
    from ..io.reader import valid_delimiter  # the one rule, shared with the readers

    if d.delimiter is not None and not valid_delimiter(d.delimiter):
        raise ConfigError(
            i18n.t("error.data.reader.invalid_delimiter_single", delimiter=d.delimiter)
        )


def check_tune(d: dict, space: dict, base_dir: Any, build: Callable, set_key: Callable) -> None:
    """Every range of a ``tune`` section well formed, and every value it can suggest a valid
    config (checked by building, with ``build`` — ``RunConfig.from_dict`` — the config a trial
    with that value would use; ``set_key`` sets one dotted key)."""
    base = {k: v for k, v in d.items() if k != "tune"}
    for key, spec in space.items():
        try:
            set_key({}, str(key), None)
        except ConfigError as e:
            raise ConfigError(t("error.config.rules.tune_value_invalid", key=key, e=e)) from None
        for value in tune_values(str(key), spec):
            if key == "train.optimizer":
                _check_optimizer_name(value)
            trial = copy.deepcopy(base)
            set_key(trial, str(key), value)
            try:
                build(trial, base_dir)
            except ConfigError as e:
                raise ConfigError(
                    t("error.config.rules.tune_value_can", key=key, value=value, e=e)
                ) from None


def _check_optimizer_name(name: Any) -> None:
    """A trial fails late (after others ran) on an optimizer torch does not have; tune's
    choices are checked up front (a plain config is checked when the optimizer is built)."""
    from ..errors import unknown_choice

    names = optimizer_names()
    if str(name).lower() not in names:
        raise ConfigError("tune.train.optimizer: " + unknown_choice("optimizer", name, names))


def optimizer_names() -> dict[str, type]:
    """Every optimizer class in ``torch.optim``, by lower-case name."""
    import torch

    return {
        name.lower(): cls
        for name, cls in vars(torch.optim).items()
        if isinstance(cls, type)
        and issubclass(cls, torch.optim.Optimizer)
        and cls is not torch.optim.Optimizer
    }


def tune_values(key: str, spec: Any) -> list:
    """The values to check for one search dimension: its choices, or its two ends."""
    example = t(
        "fragment.tune_example",
        example="{low: 1.0e-4, high: 0.1, log: true} / {low: 16, high: 128, step: 16}",
    )
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(t("error.config.rules.tune_empty_list", key=key))
        return spec
    if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
        raise ConfigError(t("error.config.rules.tune", key=key, spec=spec, example=example))
    unknown = set(spec) - {"low", "high", "log", "step"}
    if unknown:
        raise ConfigError(
            t(
                "error.config.rules.tune_unknown_setting",
                key=key,
                names=", ".join(map(str, unknown)),
            )
        )
    low, high, step, log = spec["low"], spec["high"], spec.get("step"), spec.get("log", False)
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)  # noqa: E731
    if not (number(low) and number(high)) or low >= high:
        raise ConfigError(t("error.config.rules.tune_numbers_low", key=key, low=low, high=high))
    if not isinstance(log, bool):
        raise ConfigError(t("error.config.rules.tune_log_must", key=key, log=log))
    if log and low <= 0:
        raise ConfigError(t("error.config.rules.tune_log_range", key=key, low=low))
    if step is not None:
        if not number(step) or step <= 0:
            raise ConfigError(t("error.config.rules.tune_step_must", key=key, step=step))
        if log:
            raise ConfigError(t("error.config.rules.tune_step_log", key=key))
        if all(isinstance(v, int) for v in (low, high)) and not float(step).is_integer():
            raise ConfigError(t("error.config.rules.tune_integer_range", key=key, step=step))
    return [low, high]
