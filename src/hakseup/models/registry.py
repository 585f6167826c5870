"""``build_model``: a model config and a data schema → an ``nn.Module``.

Example:
    >>> schema = Schema("multiclass", "image", (1, 8, 8), 10)
    >>> type(build_model(ModelConfig(name="mlp"), schema)).__name__
    'MLP'
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ..config import ModelConfig
from ..config.resolve import generic_model
from ..data.bundle import Schema
from ..errors import ConfigError, unknown_choice
from ..i18n import t

__all__ = ["build_model", "model_names", "default_model_name", "register_model"]

_BUILDERS: dict[str, Callable[[ModelConfig, Schema], nn.Module]] = {}


def register_model(name: str, builder: Callable[[ModelConfig, Schema], nn.Module]) -> None:
    _BUILDERS[name] = builder


def _register_builtins() -> None:
    from .cnn import CNN2d
    from .linear import Linear
    from .mlp import MLP
    from .sequence_cnn import SequenceCNN

    register_model("mlp", MLP.from_schema)
    register_model("linear", Linear.from_schema)

    def cnn(cfg: ModelConfig, schema: Schema) -> nn.Module:
        if schema.input_kind == "image":
            return CNN2d.from_schema(cfg, schema)
        if schema.input_kind in ("sequence", "series"):
            return SequenceCNN.from_schema(cfg, schema)
        raise ConfigError(t("error.models.registry.model_cnn_needs", input_kind=schema.input_kind))

    register_model("cnn", cnn)
    _register_image_models()
    try:
        from .tabular import TabularNet

        register_model("tabular", TabularNet.from_schema)
    except ImportError:
        pass
    from .forecast import build_forecaster
    from .rocket import build_rocket

    register_model("rocket", build_rocket)
    register_model("dlinear", lambda c, s: build_forecaster(c, s, "dlinear"))
    register_model("nbeats", lambda c, s: build_forecaster(c, s, "nbeats"))
    try:
        from .recurrent import build_recurrent

        register_model("lstm", lambda c, s: build_recurrent(c, s, "lstm"))
        register_model("gru", lambda c, s: build_recurrent(c, s, "gru"))
    except ImportError:
        pass


def _register_image_models() -> None:
    """``resnet`` and ``lenet`` (models/resnet.py); torchvision/timm backbones by prefix."""
    from .resnet import LeNet, ResNet

    def image_only(builder, name):
        def build(cfg: ModelConfig, schema: Schema) -> nn.Module:
            if schema.input_kind != "image" or len(schema.input_shape) != 3:
                raise ConfigError(
                    t(
                        "error.models.registry.model_needs_images",
                        name=name,
                        input_kind=schema.input_kind,
                    )
                )
            return builder(cfg, schema)

        return build

    register_model("resnet", image_only(ResNet.from_schema, "resnet"))
    register_model("lenet", image_only(LeNet.from_schema, "lenet"))


def model_names() -> list[str]:
    if not _BUILDERS:
        _register_builtins()
    return sorted(_BUILDERS)


def default_model_name(schema: Schema) -> str:
    """The model chosen for ``--model auto``, by the kind of data."""
    if schema.input_kind == "image":
        # Small images (the 8x8 digits) stay with the MLP; grey images (digits, scans) with
        # the LeNet-style CNN, cheap enough for a CPU; colour images with the ResNet.
        if len(schema.input_shape) != 3 or min(schema.input_shape[1:]) < 16:
            return "mlp"
        return "resnet" if schema.input_shape[0] == 3 else "lenet"
    if schema.input_kind == "sequence":
        # MiniRocket's transform and a ridge head (models/rocket.py), chosen over the residual
        # FCN (``cnn``) by cross-validation on the five UCR problems' training files: as
        # accurate or more, at a tenth to a thirtieth of its CPU seconds
        # (benchmarks/quality_series.py, run_ucr_choice).
        return "rocket"
    if schema.input_kind == "series" and schema.n_series:
        # A panel: N-BEATS generic blocks, trained across every series (Oreshkin et al.
        # 2020's global model); on M1 yearly it beat dlinear on the validation block's mean
        # MASE (2.28 vs 2.53 over 3 seeds: benchmarks/quality_panel.py --sweep).
        return "nbeats"
    if schema.input_kind == "series":
        # A linear map of a level-normalised trend/season decomposition, started from the
        # seasonal naive forecast: it beat the LSTM on all six public series measured
        # (benchmarks/quality_series.py).
        return "dlinear"
    return "tabular" if "tabular" in model_names() else "mlp"


def build_model(cfg: ModelConfig, schema: Schema) -> nn.Module:
    """Build the configured model for data described by ``schema``."""
    from ..config.api import check_section
    from ..errors import check_type

    check_section(cfg, "model", "hakseup.build_model", "cfg")
    check_type(schema, Schema, "hakseup.build_model", "schema", "a hakseup.Schema (bundle.schema)")
    cfg = generic_model(cfg)  # a config no Experiment resolved: ``auto`` sizes are generic
    name = cfg.name
    if ".py:" in name or name.endswith(".py"):
        if ":" not in name.rsplit(".py", 1)[-1]:
            raise ConfigError(t("error.models.registry.model_names_file", name=name))
        from .custom import load_custom_model

        return _start(load_custom_model(name, schema), cfg)
    if name == "auto":
        name = default_model_name(schema)
    if name.startswith(("torchvision:", "timm:")):
        from .pretrained import build_backbone

        return build_backbone(name, cfg, schema)
    names = model_names()
    if name not in names:
        raise ConfigError(unknown_choice("model", name, names) + t("error.model_or_file"))
    model = _start(_BUILDERS[name](cfg, schema), cfg)
    if schema.n_series:  # a panel: (windows, series index) in, one model
        from .forecast_panel import PanelForecaster

        model = PanelForecaster(model, schema.n_series, cfg.id_embedding, schema.n_outputs)
    return model


def _start(model: nn.Module, cfg: ModelConfig) -> nn.Module:
    """Every model starts from ``model.weights`` (``--pretrained FILE``) when one is given;
    ``--pretrained`` alone is refused for a model without published weights."""
    from .pretrained import load_start_weights

    return load_start_weights(model, cfg)
