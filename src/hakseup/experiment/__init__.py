"""Experiments: one training run (``Experiment``), K-fold cross-validation, hyperparameter
tuning, and the export of a trained run — each built from a config and the data.

Example:
    >>> from hakseup.experiment import Experiment   # doctest: +SKIP
"""

from .experiment import Experiment, resolve_config, train

__all__ = ["Experiment", "resolve_config", "train"]
