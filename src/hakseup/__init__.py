"""hakseup (학습): from data to a trained, evaluated and understood PyTorch model.

The command line is a thin shell over this library::

    >>> import hakseup
    >>> result = hakseup.fit("data.csv", target="label", epochs=20)  # doctest: +SKIP
    >>> result.history, result.predict("new.csv"), result.plot()      # doctest: +SKIP
    >>> cfg = hakseup.RunConfig.from_dict({"train": {"epochs": 5}})
    >>> result = hakseup.train(cfg, callbacks=[])                    # doctest: +SKIP
    >>> result.model, result.bundle, result.history                  # doctest: +SKIP
    >>> bundle = hakseup.load_data(cfg.data)                         # doctest: +SKIP
    >>> model = hakseup.build_model(cfg.model, bundle.schema)        # doctest: +SKIP
    >>> history = hakseup.Trainer(cfg.train).fit(model, bundle)      # doctest: +SKIP

Names are imported on first use, so ``import hakseup`` (and ``hakseup --help``) stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "RunConfig": "config",
    "DataConfig": "config",
    "ModelConfig": "config",
    "TrainConfig": "config",
    "OutputConfig": "config",
    "load_config": "config.load",
    "HakseupError": "errors",
    "load_data": "data.datasets",
    "list_datasets": "data.datasets",
    "DataBundle": "data.bundle",
    "Schema": "data.bundle",
    "Split": "data.bundle",
    "DatasetSplit": "data.bundle",
    "InMemoryBatcher": "data.batches",
    "LoaderBatcher": "data.loader",
    "build_model": "models.registry",
    "Trainer": "training.trainer",
    "predict_split": "models.forward",
    "TrainState": "training.trainer",
    "History": "training.history",
    "Callback": "training.callbacks",
    "MonitorCallback": "training.callbacks",
    "EarlyStopping": "training.callbacks",
    "ModelCheckpoint": "training.callbacks",
    "ProgressBar": "training.loggers",
    "MetricsLogger": "training.loggers",
    "TensorBoardLogger": "training.loggers",
    "save_checkpoint": "training.checkpoint",
    "load_checkpoint": "training.checkpoint",
    "fit": "learn",
    "train": "experiment",
    "Experiment": "experiment",
    "RunResult": "run.result",
    "evaluate_run": "predict",
    "predict_frame": "predict",
    "list_runs": "run.folder",
    "Run": "run.folder",
}

__all__ = sorted(_LAZY)


# The subpackages reachable as attributes after ``import hakseup`` (the README's
# ``hakseup.i18n.set_language("ko")``), imported on first use like the names above.
_SUBMODULES = {
    "cli",
    "config",
    "data",
    "errors",
    "evaluation",
    "experiment",
    "i18n",
    "io",
    "learn",
    "metrics",
    "models",
    "monitor",
    "predict",
    "run",
    "stats",
    "tracking",
    "training",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hakseup' has no attribute '{name}'")


def __dir__() -> list[str]:
    return __all__
