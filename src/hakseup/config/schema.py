"""The run configuration: typed dataclasses, their validation, and dotted keys.

One ``RunConfig`` describes a whole experiment. It is built (by ``config.load.load_config``)
from, in increasing priority, the defaults below, a shipped recipe, a YAML file, command-line
flags and ``--set key=value`` overrides. Unknown keys, wrong types and impossible values are
rejected with the valid choices listed. Paths in a YAML file are resolved relative to it, from
flags relative to the current directory; the resolved config is saved into every run folder.

Example:
    >>> cfg = RunConfig.from_dict({"train": {"epochs": 5}})
    >>> cfg.train.epochs, cfg.data.dataset
    (5, 'digits')
    >>> d = cfg.to_dict(); set_key(d, "train.lr", 0.01); RunConfig.from_dict(d).train.lr
    0.01
"""

from __future__ import annotations

import copy
import dataclasses
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, unknown_choice
from ..i18n import t
from .values import AUTO, Auto, check_value, resolve_path

__all__ = [
    "SECTION_TYPES",
    "DataConfig",
    "ModelConfig",
    "TrainConfig",
    "OutputConfig",
    "EvaluationConfig",
    "RunConfig",
    "set_key",
    "resolve_path",
    "given_keys",
    "AUTO",
]

SCHEDULERS = [
    "auto",
    "none",
    "step",
    "multistep",
    "exponential",
    "cosine",
    "onecycle",
    "plateau",
    "warmup",
]
TASKS = ["auto", "binary", "multiclass", "regression"]
LAYOUTS = ["auto", "table", "sequence", "image"]
MODELS_HELP = "mlp, cnn, rocket, lstm, gru, tabular, linear, auto, or FILE.py:Class"
MAX_WIDTH = 65536  # a layer wider than this is a typo (10**9 would need terabytes)


def _f(
    default: Any = None,
    *,
    choices: list | None = None,
    min: float | None = None,
    max: float | None = None,
    path: bool = False,
    auto: bool | str = False,
    help: str = "",
) -> Any:
    """A config field; metadata drives validation and path resolution. ``auto``: the key
    also takes ``auto``, a value ``config.resolve`` chooses from the data (``"none"``: kept
    as None, which the data layer reads as "choose")."""
    meta = {"choices": choices, "min": min, "max": max, "path": path, "auto": auto, "help": help}
    if isinstance(default, (list, dict)):
        shared = default

        def fresh() -> list | dict:  # each config its own copy, not the shared default
            return type(shared)(shared)

        return field(default_factory=fresh, metadata=meta)
    return field(default=default, metadata=meta)


def _auto(*, min: float, max: float | None = None, help: str) -> Any:
    """A number that defaults to ``auto``: ``config.resolve`` chooses it from the data
    (``help`` says how) unless the user sets it."""
    return _f(AUTO, min=min, max=max, auto=True, help=help)


@dataclass
class DataConfig:
    dataset: str | None = _f("digits", help="built-in dataset (see `hakseup datasets`)")
    path: str | None = _f(
        None,
        path=True,
        help="a table file (CSV, Parquet or .xlsx) or an image folder; overrides dataset",
    )
    test_path: str | None = _f(
        None, path=True, help="a CSV used as the test split (preprocessing fitted on training rows)"
    )
    target: str | None = _f(None, help="column to predict (name, or index without a header)")
    task: str = _f("auto", choices=TASKS, help="inferred from the target unless forced")
    layout: str = _f("auto", choices=LAYOUTS, help="how a row's features are read")
    sequence_shape: str | None = _f(None, help="STEPSxFEATURES for --layout sequence, e.g. 28x28")
    categorical: list[str] = _f([], help="columns forced categorical")
    numeric: list[str] = _f([], help="columns forced numeric")
    drop: list[str] = _f([], help="columns to ignore")
    header: bool = _f(True, help="the CSV has a header row")
    delimiter: str | None = _f(None, help="CSV delimiter; sniffed when unset")
    encoding: str | None = _f(None, help="text encoding (utf-8, cp949, ...); detected if unset")
    sheet: str | None = _f(None, help="an Excel workbook's sheet: name or 1-based number")
    time_col: str | None = _f(None, help="date/time column: makes it a time-series task")
    id_col: str | None = _f(
        None,
        help="series id column of a long table (id, time, value): "
        "one global forecaster over every series",
    )
    panel_scale: str = _f(
        "mase",
        choices=["mase", "standard"],
        help="a panel's per-series scaling: by the mean absolute change, or "
        "the standard deviation, of each series' training part",
    )
    window: int | None = _f(
        None, min=1, auto="none", help="past steps a forecaster reads (auto: 3 seasons)"
    )
    horizon: int | None = _f(
        None,
        min=1,
        auto="none",
        help="future steps predicted (auto: from the frequency: monthly "
        "12, quarterly 8, yearly 6, daily 7, ...)",
    )
    interval: list[float] = _f(
        [], min=0.5, max=0.999, help="forecast prediction intervals, e.g. 0.8,0.95 (conformal)"
    )
    difference: str = _f("none", choices=["none", "auto", "1"], help="difference the series")
    transform: str = _f("auto", choices=["none", "log", "auto"], help="model log(y) (y > 0)")
    season_features: str = _f(
        "auto",
        choices=["auto", "none"],
        help="a seasonal series' windows carry their season position",
    )
    features: list[str] = _f([], help="extra feature columns for a forecaster")
    covariates: str = _f(
        "auto",
        choices=["auto", "none"],
        help="a series' other numeric columns are past covariates (auto), "
        "unless data.features names them; none: the target alone",
    )
    future_covariates: list[str] = _f(
        [],
        help="columns known ahead (calendar, promotions, "
        "prices): the forecaster reads their values "
        "at the forecast steps",
    )
    calendar: bool = _f(
        False,
        help="calendar features of the forecast steps from the time "
        "column (month, day of week, hour: by frequency)",
    )
    duplicates: str = _f(
        "error",
        choices=["error", "mean", "first", "last"],
        help="repeated timestamps: stop, or aggregate them",
    )
    fill_gaps: bool = _f(True, help="add missing timestamps of a regular series (interpolated)")
    season: int | None = _f(
        None,
        min=1,
        auto="none",
        help="season length (auto: from the frequency, or the autocorrelation when irregular)",
    )
    dayfirst: bool = _f(False, help="dates are written day first (31/01/2020)")
    val_size: float = _f(0.15, min=0, help="validation share (<1) or row count (>=1)")
    test_size: float = _f(0.15, min=0, help="test share (<1) or row count (>=1)")
    normalize: bool = _f(True, help="scale inputs with statistics of the training rows")
    scaling: str = _f(
        "auto",
        choices=["auto", "standard", "robust", "quantile", "robust+quantile"],
        help="numeric scaling of a table (auto: robust)",
    )
    augment: list[str] = _f([], help="image augmentation: affine, crop, flip")
    cache_dir: str | None = _f(None, path=True, help="where downloads are cached")
    mirrors: list[str] = _f([], help="override the download mirrors (base URLs)")
    workers: int = _f(0, min=0, help="DataLoader workers for lazy datasets")
    # Image folders and image tables (data/image_folder.py).
    image_size: int | None = _f(
        None,
        min=4,
        max=4096,
        help="resize images to NxN (default: their own size when they all share one, else 128)",
    )
    image_col: str | None = _f(None, help="a CSV's column of image file paths")
    image_fit: str = _f(
        "crop",
        choices=["crop", "pad", "stretch"],
        help="keep the aspect ratio by centre-cropping or padding, or stretch",
    )
    image_channels: int | None = _f(
        None, choices=[1, 3], help="1 (grey) or 3 (RGB); default: 3 if any image is colour"
    )
    image_cache: str = _f(
        "auto",
        choices=["auto", "memory", "disk"],
        help="decoded images held in memory, or in a memory-mapped file under "
        "data.cache_dir (auto: memory when they fit)",
    )


@dataclass
class ModelConfig:
    name: str = _f("auto", help=MODELS_HELP)
    id_embedding: int = _f(
        0, min=0, max=64, help="a panel's series id as a learned embedding of this size (0: none)"
    )
    hidden: list[int] = _f(
        [128, 64], min=1, max=MAX_WIDTH, help="hidden layer widths (mlp, tabular)"
    )
    hidden_size: int = _f(128, min=1, max=MAX_WIDTH, help="recurrent state size (lstm, gru)")
    layers: int = _f(1, min=1, max=256, help="stacked recurrent layers")
    channels: list[int] = _f([32, 64], min=1, max=MAX_WIDTH, help="convolution channels (cnn)")
    dropout: float = _f(0.1, min=0, max=0.99, help="dropout probability")
    activation: str = _f("relu", choices=["relu", "gelu", "tanh", "sigmoid", "silu"])
    batch_norm: bool = _f(True, help="BatchNorm in tabular/cnn models")
    linear_skip: bool = _f(False, help="tabular: a linear path beside the MLP (wide & deep)")
    ridge_blend: bool = _f(
        False,
        help="tabular regression: mix a ridge regression into the "
        "prediction, its weight chosen on the validation rows "
        "(on in the table defaults)",
    )
    ensemble: int | Auto = _auto(
        min=1,
        max=64,
        help="tabular, cnn: k members (mean prediction; auto: 1, or 4 "
        "for a table or a small sequence problem)",
    )
    numeric_embedding: str = _f("none", choices=["none", "periodic"], help="tabular numbers")
    embedding_dim: int | None = _f(
        None, min=1, max=MAX_WIDTH, help="categorical embedding size (rule if unset)"
    )
    lstm_impl: str = _f("scratch", choices=["scratch", "native"], help="our LSTM cell or nn.LSTM")
    bidirectional: bool = _f(False, help="recurrent layers read the sequence both ways")
    readout: str = _f(
        "mean_last",
        choices=["last", "mean", "mean_last"],
        help="recurrent readout: last state, mean over steps, or both",
    )
    series_norm: bool = _f(False, help="standardise each sequence per channel (cnn)")
    rocket_pooling: str = _f(
        "multi",
        choices=["multi", "ppv"],
        help="rocket: MultiRocket's four pooling operators (PPV, MPV, MIPV, LSPV) on the "
        "series and its first difference, or MiniRocket's PPV alone (about 10,000 features "
        "either way; a run saved before this key: ppv)",
    )
    patch: int = _f(0, min=0, help="lstm/gru: steps fed as one step (0: auto, to ~30 steps)")
    stem: str = _f(
        "auto",
        choices=["auto", "none", "conv"],
        help="lstm/gru: what reads each patch: none (its flat values) or conv (a learned "
        "convolution, max-pooled over the patch); auto: conv for an lstm on sequences, else none",
    )
    pretrained: bool = _f(
        False,
        help="start from pretrained weights (torchvision/timm models: "
        "their download, unless model.weights names a file)",
    )
    weights: str | None = _f(
        None, path=True, help="a local weights file (.safetensors, .pt, .pth) to start from"
    )


@dataclass
class TrainConfig:
    epochs: int | Auto = _auto(
        min=1,
        max=1_000_000,
        help="passes over the training data (auto: 30, or from the data's "
        "size for a table or sequences)",
    )
    batch_size: int | Auto = _auto(
        min=1, help="samples per step (auto: 64, or from the data's size for sequences)"
    )
    lr: float | Auto = _auto(
        min=0,
        max=1e4,
        help="learning rate (auto: 0.001; 0.01 for lstm/gru on a small sequence problem)",
    )
    optimizer: str = _f("adam", help="any torch.optim optimizer, e.g. adam, adamw, sgd")
    momentum: float | None = _f(None, min=0, max=1, help="momentum (sgd, rmsprop)")
    weight_decay: float = _f(0.0, min=0, max=1e4)
    scheduler: str = _f(
        AUTO, choices=SCHEDULERS, help="auto: none, or cosine for sequences (warmup for a table)"
    )
    step_size: int = _f(10, min=1, help="epochs between decays (step)")
    gamma: float = _f(
        0.1, min=0, max=1e4, help="decay factor (step, multistep, exponential, plateau)"
    )
    milestones: list[int] = _f([], min=1, help="epochs to decay at (multistep)")
    warmup_epochs: int = _f(1, min=0, help="linear warm-up length (warmup)")
    loss: str = _f("auto", choices=["auto", "cross_entropy", "bce", "mse", "mae", "huber"])
    label_smoothing: float = _f(0.0, min=0, max=0.99, help="cross-entropy label smoothing")
    class_weight: str = _f(
        "none", choices=["none", "balanced"], help="weigh classes by inverse frequency in the loss"
    )
    patience: int | None = _f(None, min=1, help="early stopping: epochs without improvement")
    monitor: str = _f(
        AUTO,
        help="metric watched by early stopping and best checkpoint "
        "(auto: val_loss; train_loss on a small sequence problem)",
    )
    grad_clip: float | None | Auto = _auto(
        min=0, max=1e30, help="clip gradient norm (auto: none; 1.0 for sequences)"
    )
    seed: int = _f(0, min=0, max=2**32 - 1, help="random seed (0..2**32-1, NumPy's range)")
    deterministic: bool = _f(False, help="torch deterministic algorithms")
    device: str = _f("auto", choices=["auto", "cpu", "cuda", "mps"])
    precision: str = _f("32", choices=["32", "bf16", "fp16"])
    compile: bool = _f(False, help="wrap the model in torch.compile")
    checkpoint_every: int = _f(0, min=0, help="steps between checkpoints (0: every epoch)")
    shuffle: bool = _f(True)
    drop_last: bool = _f(False)
    loader: str = _f(
        "auto",
        choices=["auto", "memory", "dataloader"],
        help="batches from whole tensors in memory, or through a DataLoader "
        "(auto: in memory when the data fits on the device)",
    )
    workers: int | None = _f(
        None,
        min=0,
        max=256,
        help="DataLoader worker processes (default: "
        "0 for tensors, the CPUs training threads leave for lazy data)",
    )
    threads: int | Auto = _auto(
        min=1, max=4096, help="auto or N CPU threads per operator (OMP_NUM_THREADS wins)"
    )
    tensorboard: bool = _f(True)
    progress: bool = _f(
        True, help="the live progress bar (off: the epoch lines stay; --quiet drops them)"
    )
    verbosity: str = _f(
        "normal",
        choices=["quiet", "normal", "verbose"],
        help="quiet: only the final summary and errors; verbose: every logged value each epoch",
    )
    sequence_defaults: bool = _f(
        True,
        help="sequence data: train keys left at auto are "
        "resolved from the data size (false: the generic "
        "values)",
    )


@dataclass
class OutputConfig:
    dir: str | None = _f(None, path=True, help="the run folder (default runs/<timestamp>-<name>)")
    root: str = _f("runs", path=True, help="where run folders are created")
    name: str | None = _f(None, help="run name (default: dataset-model)")
    plots: bool = _f(True)
    deploy_prevalence: float | None = _f(
        None, min=0, max=1, help="re-estimate precision at this prevalence (binary)"
    )
    tracker: str = _f("none", choices=["none", "mlflow"], help="experiment tracker (tracking/)")
    tracking_uri: str | None = _f(None, help="the tracker's store (default: mlruns/ by root)")


@dataclass
class EvaluationConfig:
    metric: str = _f(
        "accuracy",
        choices=["accuracy", "f1", "balanced_accuracy"],
        help="binary: f1 or balanced_accuracy choose the decision threshold on validation rows",
    )
    references: str = _f(
        "all",
        choices=["all", "none"],
        help="classical references (and the stronger peers where installed) "
        "beside a table's or a sequence's metrics",
    )


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    tune: dict = field(default_factory=dict)  # search space: {"train.lr": {low, high, log}, ...}
    # The dotted keys the user gave (flags, a YAML file or recipe, --set, hakseup.fit's
    # settings): kept apart from the defaults, never saved; ``config.resolve`` replaces no
    # given value but ``auto``.
    given: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    SECTIONS: typing.ClassVar[tuple[str, ...]] = (
        "data",
        "model",
        "train",
        "output",
        "evaluation",
        "tune",
    )

    @classmethod
    def from_dict(
        cls,
        d: dict | None,
        base_dir: str | os.PathLike | None = None,
        given: set[str] | frozenset[str] | None = None,
    ) -> RunConfig:
        """Validate a nested dict; relative paths are resolved against ``base_dir`` (or cwd).
        ``given``: the keys the user typed (default: every key ``d`` holds)."""
        d = d or {}
        if not isinstance(d, dict):
            raise ConfigError(
                t(
                    "error.config.config_must_mapping",
                    kind=type(d).__name__,
                    names=", ".join(cls.SECTIONS),
                )
            )
        for key in d:
            if key not in cls.SECTIONS:
                raise ConfigError(unknown_choice("config section", key, cls.SECTIONS))
        kwargs: dict[str, Any] = {}
        for name, section_cls in (
            ("data", DataConfig),
            ("model", ModelConfig),
            ("train", TrainConfig),
            ("output", OutputConfig),
            ("evaluation", EvaluationConfig),
        ):
            kwargs[name] = _build_section(section_cls, name, d.get(name) or {}, base_dir)
        tune = d.get("tune") or {}
        if not isinstance(tune, dict):
            raise ConfigError(
                t(
                    "error.config.config_key_tune",
                    example="{train.lr: {low: 1e-4, high: 0.1, log: true}}",
                )
            )
        kwargs["tune"] = tune
        cfg = cls(**kwargs, given=frozenset(given if given is not None else given_keys(d)))
        from .rules import check_together, check_tune

        check_together(cfg)
        if tune:
            check_tune(d, tune, base_dir, build=cls.from_dict, set_key=set_key)
        return cfg

    def to_dict(self) -> dict:
        """The sections as plain values (what ``config.yaml`` holds; ``given`` is not saved).
        A run on a file says ``dataset: null``: the file overrides the built-in dataset, and
        a CSV run's config saying ``dataset: digits`` misled its readers."""
        out = {
            name: copy.deepcopy(dataclasses.asdict(getattr(self, name)))
            if name != "tune"
            else copy.deepcopy(self.tune)
            for name in self.SECTIONS
        }
        if out["data"].get("path"):
            out["data"]["dataset"] = None
        return out

    def typed(self, key: str) -> bool:
        """Whether the user gave the dotted ``key`` with a value other than ``auto``."""
        section, name = key.split(".", 1)
        return key in self.given and getattr(getattr(self, section), name) != AUTO

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def run_name(self) -> str:
        if self.output.name:
            return self.output.name
        data = Path(self.data.path).stem if self.data.path else (self.data.dataset or "data")
        model = self.model.name.split(":")[-1].lower()
        return f"{data}-{model}"


# --------------------------------------------------------------------------- validation


def _build_section(section_cls: type, section: str, values: Any, base_dir: Any) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(t("error.config.config_section_must", section=section, values=values))
    hints = typing.get_type_hints(section_cls)
    fields = {f.name: f for f in dataclasses.fields(section_cls)}
    out = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(
                unknown_choice("config key", f"{section}.{key}", [f"{section}.{n}" for n in fields])
            )
        out[key] = check_value(
            f"{section}.{key}", value, hints[key], fields[key].metadata, base_dir
        )
    for name, f in fields.items():  # defaults of path keys are resolved too (e.g. runs/)
        if f.metadata.get("path") and name not in out and isinstance(f.default, str):
            out[name] = resolve_path(f.default, base_dir)
    return section_cls(**out)


# --------------------------------------------------------------------------- files and overrides


# The config's sections and the dataclass of each (``tune`` is a mapping of its own).
SECTION_TYPES: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "output": OutputConfig,
    "evaluation": EvaluationConfig,
}


def set_key(d: dict, dotted: str, value: Any) -> None:
    """Set ``d['a']['b'] = value`` for ``dotted='a.b'``, checking the key exists in RunConfig."""
    parts = dotted.split(".")
    if len(parts) != 2 or not all(parts):
        if parts[0] == "tune" and len(parts) >= 2:
            d.setdefault("tune", {})[".".join(parts[1:])] = value
            return
        raise ConfigError(t("error.bad_key_form", key=dotted))
    section, key = parts
    if section == "tune":
        d.setdefault("tune", {})[key] = value
        return
    valid = SECTION_TYPES
    if section not in valid:
        raise ConfigError(unknown_choice("config section", section, list(valid) + ["tune"]))
    names = [f.name for f in dataclasses.fields(valid[section])]
    if key not in names:
        raise ConfigError(unknown_choice("config key", dotted, [f"{section}.{n}" for n in names]))
    d.setdefault(section, {})[key] = value


def given_keys(d: dict) -> set[str]:
    """The dotted keys a config mapping sets (``tune`` as one key).

    >>> sorted(given_keys({"train": {"epochs": 3, "lr": 0.1}, "tune": {"train.lr": [1]}}))
    ['train.epochs', 'train.lr', 'tune']
    """
    keys = set()
    for section, values in d.items():
        if isinstance(values, dict) and section != "tune":
            keys |= {f"{section}.{k}" for k in values}
        else:
            keys.add(str(section))
    return keys
