"""The data of a plain script (``plain.py``): reading the run's file, its split and its
preprocessing, per kind of data. ``collect_split`` recomputes the run's split with hakseup's
own functions (the saved seed) and checks that the plain reading the script does finds the
same rows; ``data_section`` writes the script's data part.

Example:
    >>> from hakseup.experiment.plain_data import read_kwargs
    >>> read_kwargs(";", True)
    {'float_precision': 'round_trip', 'sep': ';'}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..i18n import t
from . import plain_parts as P
from .plain_parts import py_dict, py_list

__all__ = ["collect_split", "data_section", "read_args", "read_kwargs"]


def read_kwargs(delimiter: str | None, header: bool) -> dict:
    """The keyword arguments of the script's ``pd.read_csv`` for the run's data settings:
    hakseup reads numbers correctly rounded (pyarrow), pandas' C reader does with
    ``float_precision="round_trip"``."""
    kwargs: dict = {"float_precision": "round_trip"}
    if delimiter:
        kwargs["sep"] = delimiter
    if not header:
        kwargs["header"] = None
    return kwargs


def read_args(delimiter: str | None, header: bool) -> str:
    """``read_kwargs`` as the text of the call's arguments.

    >>> read_args(None, True)
    ', float_precision="round_trip"'
    """
    return "".join(
        f", {k}={v!r}" if k != "float_precision" else f', {k}="{v}"'
        for k, v in read_kwargs(delimiter, header).items()
    )


# ----------------------------------------------------------------------------- the split


def collect_split(facts) -> None:
    """Fill ``facts.split`` (what split.json holds) and ``facts.extra``."""
    if facts.kind in ("digits", "image folder"):
        _image_split(facts)
    elif facts.kind == "table":
        _table_split(facts)
    else:
        _series_facts(facts)


def _image_split(facts) -> None:
    from ..data.datasets import load_raw
    from ..data.image.prepare import _split_rows  # the run's own split rule

    cfg = facts.cfg
    raw, _, _ = load_raw(cfg.data)
    parts = _split_rows(raw, cfg.data, cfg.train.seed, None)
    if facts.kind == "digits":
        facts.split = {k: [int(i) for i in v] for k, v in parts.items()}
        return
    rows = getattr(raw, "rows", None)
    labels = np.asarray(raw.labels)
    facts.split = {
        k: {
            "paths": [str(Path(raw.paths[i]).resolve()) for i in ix],
            "labels": [int(v) for v in labels[ix]],
        }
        for k, ix in parts.items()
    }
    if rows is not None and not np.array_equal(rows, np.arange(len(rows))):
        raise ConfigError(t("error.experiment.plain.rows_differ", path=cfg.data.path))


def _table_split(facts) -> None:
    import pandas as pd

    from ..data.datasets import load_raw
    from ..data.splits import holdout_indices
    from ..data.table.prepare import prepare_table

    cfg = facts.cfg
    df, defaults, source = load_raw(cfg.data)
    plan = prepare_table(df, cfg.data, defaults, source)
    tr, va, te = holdout_indices(
        len(plan.df), cfg.data.val_size, cfg.data.test_size, cfg.train.seed, stratify=plan.labels()
    )
    facts.split = {"train": tr.tolist(), "val": va.tolist(), "test": te.tolist()}
    # The script reads the file with plain pandas: it must find the same rows.
    plain = pd.read_csv(cfg.data.path, **read_kwargs(cfg.data.delimiter, cfg.data.header))
    plain = plain[plain[plan.target].notna()].reset_index(drop=True)
    same = len(plain) == len(plan.df) and all(
        plain[c].astype(str).tolist() == plan.df[c].astype(str).tolist()
        for c in [plan.target, *plan.kinds]
    )
    if not same:
        raise ConfigError(t("error.experiment.plain.rows_differ", path=cfg.data.path))
    facts.extra["target"] = plan.target


def _series_facts(facts) -> None:
    from ..data.datasets import load_data

    cfg = facts.cfg
    bundle = load_data(cfg.data, seed=cfg.train.seed)
    s = bundle.info["series"]
    starts = {k: np.asarray(v) for k, v in s["starts"].items()}
    target, features = bundle.schema.target, list(bundle.preprocessor.features)
    facts.extra.update(
        train_end=int(s["train_end"]),
        val_end=int(starts["test"].min()),
        target=target,
        features=features,
    )
    # The script reads the file with plain pandas: it must find the same values.
    y = _plain_series(cfg.data, target, features)[:, 0]
    if len(y) != len(s["y"]) or not np.array_equal(y, np.asarray(s["y"], dtype=np.float64)):
        raise ConfigError(t("error.experiment.plain.rows_differ", path=cfg.data.path))


def _plain_series(data, target: str, features: list[str]) -> np.ndarray:
    """The series as the script reads it (``SERIES_DATA``): (T, C) values, target first."""
    import pandas as pd

    df = pd.read_csv(data.path, **read_kwargs(data.delimiter, data.header))
    df[data.time_col] = pd.to_datetime(df[data.time_col], dayfirst=bool(data.dayfirst))
    df = df.sort_values(data.time_col, kind="stable").set_index(data.time_col)
    series = df[[target] + features].apply(pd.to_numeric, errors="coerce").astype("float64")
    return series.interpolate(method="time", limit_direction="both").to_numpy()


# ----------------------------------------------------------------------------- the text


def data_section(facts, split_file: Path) -> str:
    if facts.kind == "digits":
        return P.DIGITS_DATA.substitute(
            seed=facts.cfg.train.seed, split_file=split_file
        ) + _normalise(
            facts,
            "    x = torch.as_tensor(images[rows[name]]).unsqueeze(1)"
            "             # (N, 1, 8, 8)\n"
            "    y = labels[rows[name]]",
        )
    if facts.kind == "image folder":
        return _image_folder(facts, split_file)
    if facts.kind == "table":
        return _table(facts, split_file)
    return _series(facts)


def _normalise(facts, gather: str) -> str:
    pre = facts.pre
    return P.IMAGE_NORMALISE.substitute(
        max_value=repr(float(pre["max_value"])),
        mean=py_list(pre["mean"]),
        std=py_list(pre["std"]),
        gather=gather,
    )


def _image_folder(facts, split_file: Path) -> str:
    from ..data.image import decode as product  # the script decodes with hakseup's own code

    decode = facts.pre.get("decode") or {}
    height, width = decode.get("size", facts.schema.input_shape[1:])
    channels = int(decode.get("channels", facts.schema.input_shape[0]))
    fit = decode.get("fit", "crop")
    parts = (product._pil, product._to_channels, product._fit)
    text = P.IMAGE_FOLDER_DATA.substitute(
        mode="L" if channels == 1 else "RGB",
        height=height,
        width=width,
        channels=channels,
        fit=fit,
        conversions=P.source_of(*parts),
        seed=facts.cfg.train.seed,
        classes=py_list(list(facts.schema.class_names)),
        split_file=split_file,
    )
    gather = (
        "    pairs = pairs_of[name]\n"
        "    # (N, C, H, W) float32\n"
        "    x = torch.as_tensor(np.stack([image for image, _ in pairs]), "
        "dtype=torch.float32)\n"
        "    y = [label for _, label in pairs]"
    )
    return text + _normalise(facts, gather)


def _table(facts, split_file: Path) -> str:
    pre, cfg = facts.pre, facts.cfg
    if (
        pre.get("quantiles_")
        or pre.get("spikes_")
        or pre.get("layout", "table") != "table"
        or any(k == "datetime" for k in pre["kinds"].values())
    ):
        raise ConfigError(
            t("error.experiment.plain.setting_not_written", key="data.scaling / date columns")
        )
    numeric = list(pre["numeric_"])
    cats = [c for c, k in pre["kinds"].items() if k in ("categorical", "boolean")]
    robust = pre.get("scaling") == "robust" and pre.get("normalize", True)
    classes = facts.schema.is_classification
    return P.TABLE_DATA.substitute(
        target=repr(pre["target"]),
        path=Path(cfg.data.path).resolve(),
        read_args=read_args(cfg.data.delimiter, cfg.data.header),
        stratified="stratified by class" if classes else "shuffled",
        seed=cfg.train.seed,
        split_file=split_file,
        numeric=py_list(numeric),
        medians=py_dict({c: pre["medians_"][c] for c in numeric}),
        centers=py_dict({c: pre["means_"][c] for c in numeric}),
        scales=py_dict({c: pre["stds_"][c] for c in numeric}),
        scaling_note=(
            f"CLIP = {pre.get('clip', 3.0)!r}   # robust scaling: median and "
            "IQR/1.349, then a smooth clip"
            if robust
            else "# standard scaling: (value - mean) / std"
        ),
        scaled="z / np.sqrt(1.0 + (z / CLIP) ** 2)     # smooth clipping, bounded by CLIP"
        if robust
        else "z",
        categories=py_dict({c: list(pre["vocab_"][c]) for c in cats}),
        other=py_dict(dict(pre.get("other_", {}))),
        target_constants=_target_constants(pre, classes),
        encode_target=_encode_target(classes),
        n_numeric=len(numeric),
        n_cat=len(cats),
    )


def _target_constants(pre: dict, classes: bool) -> str:
    if classes:
        return f"CLASSES = {py_list(pre['classes_'])}   # the target's classes, in order\n"
    return (
        f"TARGET_MEAN, TARGET_STD = {pre['target_mean_']!r}, {pre['target_std_']!r}"
        "   # the target is scaled too\n"
        f"LOG_TARGET = {bool(pre.get('log_target'))}\n"
    )


def _encode_target(classes: bool) -> str:
    if classes:
        return (
            "    y = frame[TARGET].astype(str).map({c: i for i, c in enumerate(CLASSES)})\n"
            "    y = torch.from_numpy(y.to_numpy(dtype=np.int64))             # (N,)"
        )
    return (
        '    yv = pd.to_numeric(frame[TARGET], errors="coerce").to_numpy(dtype=np.float64)\n'
        "    yv = np.log(yv) if LOG_TARGET else yv\n"
        "    # (N, 1): the target scaled as the network learns it\n"
        "    y = torch.tensor((yv - TARGET_MEAN) / TARGET_STD, dtype=torch.float32)"
        ".reshape(-1, 1)"
    )


def _series(facts) -> str:
    pre, cfg, ex = facts.pre, facts.cfg, facts.extra
    channels = int(facts.schema.input_shape[-1])
    season = int(getattr(facts.schema, "season", 1) or 1)
    with_positions = channels > 1 + len(ex["features"])
    season_code = season_window = ""
    if with_positions:
        from ..data.series.stats import SEASON_HARMONICS

        season_code = (
            "# Season channels: cos and sin of each row's position in the season (Fourier\n"
            "# terms), read at a window's last row.\n"
            f"K = np.arange(1, min({SEASON_HARMONICS}, SEASON // 2) + 1)\n"
            "angle = 2 * np.pi * np.outer(np.arange(len(y)) % SEASON, K) / SEASON   # (T, K)\n"
            "positions = np.hstack([np.cos(angle), np.sin(angle[:, 2 * K != SEASON])])\n"
        )
        season_window = (
            "    extra = np.zeros((len(x), WINDOW, positions.shape[1]), dtype=np.float32)\n"
            "    extra[:, -1] = positions[at - 1]\n"
            "    x = np.concatenate([x, extra], axis=2)             # (N, WINDOW, C + P)"
        )
    return P.SERIES_DATA.substitute(
        time_col=repr(cfg.data.time_col),
        target=repr(ex["target"]),
        features=py_list(ex["features"]),
        path=Path(cfg.data.path).resolve(),
        read_args=read_args(cfg.data.delimiter, cfg.data.header),
        date_args=", dayfirst=True" if cfg.data.dayfirst else "",
        window=pre["window"],
        horizon=pre["horizon"],
        train_end=ex["train_end"],
        val_end=ex["val_end"],
        difference=int(pre.get("difference", 0)),
        log=bool(pre.get("log", False)),
        means=py_list(pre["means_"]),
        stds=py_list(pre["stds_"]),
        season=season,
        season_code=season_code,
        season_window=season_window,
    )
