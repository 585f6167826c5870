"""TensorBoard's HParams view: every run's hyperparameters next to its final metrics.

``write_hparams`` puts the HParams plugin's three summaries (the experiment, the session's
start with its hyperparameters, the session's end) and one scalar per final metric into a
run's own TensorBoard folder, so ``tensorboard --logdir runs`` lists train runs, cv runs and
tune trials side by side in its HPARAMS tab. The file is written in a staging folder and then
published by an atomic rename (like ``TensorBoardLogger``): a kill leaves no torn event file.

Example:
    >>> hp = hparams_of(RunConfig())                     # doctest: +SKIP
    >>> write_hparams("runs/x/tb", hp, {"test/accuracy": 0.97})    # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["HPARAM_KEYS", "hparams_of", "scalar_metrics", "write_hparams", "HPARAMS_FILE"]

# The keys that tell runs apart in a comparison (the full config stays in config.yaml), by
# section.
_COMPARED = {
    "data": "dataset path target",
    "model": "name hidden hidden_size layers channels dropout",
    "train": "epochs batch_size lr optimizer weight_decay scheduler patience seed precision",
}
HPARAM_KEYS = tuple(
    f"{section}.{key}" for section, keys in _COMPARED.items() for key in keys.split()
)
# Sorts after the logger's own event files (events.out.tfevents.<10-digit time>...), so a
# TensorBoard watching the folder reads it last; one fixed name, so a resumed run replaces it.
HPARAMS_FILE = "events.out.tfevents.9999999999.hakseup-hparams"


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and not prefix:
            out.update(_flat(v, f"{k}."))
        else:
            out[prefix + k] = v
    return out


def _value(v: Any) -> int | float | str | bool:
    """HParams hold numbers, strings and booleans; lists become their text."""
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


def hparams_of(cfg, extra_keys: tuple[str, ...] = ()) -> dict:
    """The flat hyperparameters of a resolved ``RunConfig`` that matter in a comparison (and
    ``extra_keys``, e.g. a search space's), as HParams values. A data file is named by its
    file name (the folder differs between machines). Unset keys (None) are left out: a column
    of one type sorts and filters, a mix of numbers and 'none' would not."""
    flat = _flat({k: v for k, v in cfg.to_dict().items() if k != "tune"})
    hp = {k: _value(flat[k]) for k in (*HPARAM_KEYS, *extra_keys) if flat.get(k) is not None}
    if flat.get("data.path"):
        hp["data.path"] = Path(flat["data.path"]).name
    return hp


def scalar_metrics(metrics: dict, prefix: str) -> dict[str, float]:
    """The finite scalar metrics of a metrics dict, as ``prefix/name`` tags."""
    return {
        f"{prefix}/{k}": float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }


def write_hparams(
    log_dir: str | os.PathLike, hparams: dict, metrics: dict[str, float], status: str = "success"
) -> Path:
    """Write the HParams summaries and the metric scalars into ``log_dir`` (one event file,
    published atomically; a previous one is replaced)."""
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams as hparams_summary

    from ..io.files import atomic_write

    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    exp, ssi, sei = hparams_summary(hparams, metrics)
    if status != "success":  # a pruned or failed trial is shown as such in the table
        _set_status(sei, status)
    staging = Path(tempfile.mkdtemp(prefix=".hparams-", dir=log_dir))
    try:
        writer = SummaryWriter(str(staging))
        file_writer = writer.file_writer
        assert file_writer is not None  # SummaryWriter opens its file writer in __init__
        for summary in (exp, ssi, sei):
            file_writer.add_summary(summary)
        for tag, value in metrics.items():
            writer.add_scalar(tag, value, 0)
        writer.close()
        (written,) = list(staging.iterdir())
        with open(written, "rb") as f:
            return atomic_write(log_dir / HPARAMS_FILE, lambda out: shutil.copyfileobj(f, out))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _set_status(sei, status: str) -> None:
    """Rewrite the session-end summary's status (``torch`` always writes SUCCESS)."""
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    meta = sei.value[0].metadata.plugin_data
    data = plugin_data_pb2.HParamsPluginData.FromString(meta.content)
    data.session_end_info.status = api_pb2.Status.Value(f"STATUS_{status.upper()}")
    meta.content = data.SerializeToString()
