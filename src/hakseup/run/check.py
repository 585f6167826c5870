"""Is this run folder usable? One check before ``evaluate``, ``predict``, ``export``,
``summary`` and ``runs`` read a run, so that a damaged or hand-edited folder ends in one line
("this run is damaged: …") instead of a traceback deep inside loading.

Everything is read as untrusted: the YAML with the config loader's limits, the JSON files for
their structure and types, the weights by their safetensors header only (shapes, no tensor
data) against the model the config and schema describe.

Example:
    >>> check_run("runs/20261122-101500-digits-mlp")          # doctest: +SKIP
    >>> [r["status"] for r in run_records("runs")]             # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from pathlib import Path
from typing import Any

from ..errors import DamagedRunError, HakseupError
from ..i18n import t

__all__ = ["check_run", "check_run_files", "run_folder", "read_json", "run_records", "read_metrics"]

MAX_JSON_BYTES = 1 << 30  # a run's JSON file (a vocabulary may be large; not this)
_TASKS = {"binary", "multiclass", "regression", "forecast"}
_INPUTS = {"table", "image", "sequence", "series"}


def run_folder(run: str | os.PathLike) -> Path:
    """The run folder itself (``runs.require_run``)."""
    from .folder import require_run

    return require_run(run)


def read_json(run: Path, name: str, kind: type = dict) -> Any:
    """``run/name`` parsed as JSON of type ``kind``, or DamagedRunError saying what is wrong."""
    from ..io.files import check_input_file

    p = run / name
    if not p.exists() and not p.is_symlink():
        raise DamagedRunError(run, t("error.run.check.missing", name=name))
    try:
        check_input_file(p, name, OSError)
        if p.stat().st_size > MAX_JSON_BYTES:  # read whole: bounded first
            raise ValueError(t("error.run.check.too_large", mb=p.stat().st_size >> 20))
        value = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DamagedRunError(
            run, t("error.run.check.cannot_read", name=name, e=str(e).splitlines()[0])
        ) from None
    if not isinstance(value, kind):
        raise DamagedRunError(
            run,
            t(
                "error.run.check.holds",
                name=name,
                kind=type(value).__name__,
                value="mapping" if kind is dict else kind.__name__,
            ),
        )
    return value


def check_run(run: str | os.PathLike):
    """(config, schema, preprocessor) of a run folder whose files all make sense together
    (``check_run_files``) and whose newest usable weights fit the model that the config and
    schema describe; else one CheckpointError line."""
    cfg, schema, pre = check_run_files(run)
    _check_weights(run, run_folder(run), cfg, schema)
    return cfg, schema, pre


def check_run_files(run: str | os.PathLike):
    """(config, schema, preprocessor) of a run folder whose record, config, schema and
    preprocessing files all make sense together, the weights not read (a resume, a run to
    compare or to write a script for); else one CheckpointError line."""
    from ..config import RunConfig
    from ..config.load import read_yaml
    from ..data.bundle import Schema
    from .folder import with_keys_before

    path = run_folder(run)
    if (path / "run.json").exists() or (path / "run.json").is_symlink():
        _check_record(path, read_json(path, "run.json"))  # resume reads its status
    try:
        raw = read_yaml(path / "config.yaml")
        # keys added since a run was saved: the values it trained with, as load_run_config
        cfg = RunConfig.from_dict(with_keys_before(raw))  # fills in sections only
    except HakseupError as e:
        raise DamagedRunError(run, t("error.run.check.config_yaml", e=e)) from None
    # A run saves its whole resolved config: a missing section or an unresolved model means
    # the file was replaced or cut, and the defaults would silently stand in for it.
    missing = [k for k in ("data", "model", "train", "output") if not isinstance(raw.get(k), dict)]
    if missing or cfg.model.name == "auto":
        what = "no " + ", ".join(missing) if missing else "model.name is auto"
        raise DamagedRunError(run, t("error.run.check.config_yaml_resolved", what=what))
    d = read_json(path, "schema.json")
    _check_schema(run, d)
    try:
        schema = Schema.from_dict(d)
    except (KeyError, TypeError, ValueError) as e:
        raise DamagedRunError(run, t("error.run.check.schema_json_does", e=e)) from None
    pre = _preprocessor(run, read_json(path, "preprocessing.json"))
    return cfg, schema, pre


def _check_schema(run, d: dict) -> None:
    _check_types(run, d)
    shape = d.get("input_shape")
    problems = [
        (d.get("task") not in _TASKS, ("not_one_of", "task", d.get("task"), sorted(_TASKS))),
        (
            d.get("input_kind") not in _INPUTS,
            ("not_one_of", "input_kind", d.get("input_kind"), sorted(_INPUTS)),
        ),
        (
            not (
                isinstance(shape, list)
                and 1 <= len(shape) <= 3
                and all(_whole(v) and v >= 1 for v in shape)
            ),
            ("not_shape", "input_shape", shape, None),
        ),
        (
            not (_whole(d.get("n_outputs")) and d["n_outputs"] >= 1),
            ("not_positive", "n_outputs", d.get("n_outputs"), None),
        ),
    ]
    for bad, (problem, key, value, choices) in problems:
        if bad:
            raise DamagedRunError(
                run,
                t(
                    "error.run.check.schema_json",
                    what=t(f"error.run.check.{problem}", key=key, value=value, choices=choices),
                ),
            )


def _check_types(run, d: dict) -> None:
    """Every field of schema.json of the type ``Schema`` declares (lists element by element),
    and the fields that describe one another consistent: one class name per output of a
    classifier, one cardinality (at least 1) per categorical column."""
    from ..data.bundle import Schema

    hints = typing.get_type_hints(Schema)
    for key, value in d.items():
        if key in hints and not _fits(value, hints[key]):
            raise DamagedRunError(
                run,
                t(
                    "error.run.check.schema_field",
                    key=key,
                    value=_shown(value),
                    type=_type_name(hints[key]),
                ),
            )
    classes, n_out = d.get("class_names") or [], d.get("n_outputs")
    if d.get("task") in ("binary", "multiclass") and classes and len(classes) != n_out:
        raise _mismatch(run, "n_outputs", n_out, "class_names", len(classes))
    nums, shape = d.get("numeric_features") or [], d.get("input_shape")
    if d.get("input_kind") == "table" and nums and shape != [len(nums)]:
        # a table's numeric block is one input per numeric feature (prepare.py)
        raise _mismatch(run, "input_shape", shape, "numeric_features", len(nums))
    cards, cats = d.get("cardinalities") or [], d.get("categorical_features") or []
    if len(cards) != len(cats) or any(c < 1 for c in cards):
        raise _mismatch(run, "cardinalities", cards, "categorical_features", len(cats))


def _mismatch(run, key: str, value: Any, other: str, n: int) -> DamagedRunError:
    """schema.json's ``key`` (``value``) disagrees with the ``n`` entries of ``other``."""
    return DamagedRunError(
        run,
        t("error.run.check.schema_mismatch", key=key, value=_shown(value), other=other, n=n),
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(tp: Any) -> str:
    return str(tp).replace("typing.", "")


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _preprocessor(run, d: dict):
    """The saved preprocessing, with every field of the type its class declares."""
    from ..data.preprocessing import load_preprocessor

    try:
        pre = load_preprocessor(d)
    except Exception as e:  # noqa: BLE001 - any nonsense in a hand-edited file lands here
        raise DamagedRunError(
            run,
            t("error.run.check.preprocessing_json_cannot", kind=type(e).__name__, e=str(e)[:120]),
        ) from None
    if dataclasses.is_dataclass(pre):
        hints = typing.get_type_hints(type(pre))
        for f in dataclasses.fields(pre):
            value = getattr(pre, f.name)
            if not _fits(value, hints.get(f.name, Any)):
                raise DamagedRunError(
                    run,
                    t(
                        "error.run.check.preprocessing_json",
                        name=f.name,
                        value=value,
                        hints=hints[f.name],
                    ),
                )
    else:
        for name in ("max_value", "mean_", "std_"):  # a number, or one per channel
            value = getattr(pre, name, 1.0)
            values = value if isinstance(value, (list, tuple)) and value else [value]
            if not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in values
            ):
                raise DamagedRunError(
                    run, t("error.run.check.preprocessing_json_number", name=name, value=value)
                )
    return pre


def _fits(value: Any, tp: Any) -> bool:
    """Whether a value read from JSON has the declared type, containers element by element
    (``dict[str, float]``: a mapping of numbers; ``list[str]``: a list of scalars — a
    category read back as a number is still a name)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in typing.get_args(tp))
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return _whole(value)
    if tp is str:
        return isinstance(value, (str, int, float, bool)) or value is None
    base = origin or tp
    args = typing.get_args(tp)
    if base in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return False
        item = args[0] if args else Any
        return all(_fits(v, item) for v in value)
    if base is dict:
        if not isinstance(value, dict):
            return False
        item = args[1] if len(args) == 2 else Any
        return all(_fits(v, item) for v in value.values())
    return isinstance(value, base) if isinstance(base, type) else True


def _check_weights(run, path: Path, cfg, schema) -> None:
    """The weights load_trained would use (best, else last; or their .prev) read by header,
    and their names and shapes equal to the model's."""
    base = path / "checkpoints" / "best"
    if not base.exists():
        base = path / "checkpoints" / "last"
    found, problems = None, []
    for folder in (base, base.with_name(base.name + ".prev")):
        try:
            found = _header_shapes(folder / "model.safetensors")
            break
        except (OSError, ValueError) as e:
            problems.append(f"{folder.relative_to(path)}: {e}")
    if found is None:
        raise DamagedRunError(run, t("error.run.check.readable_weights", names="; ".join(problems)))
    try:
        expected = _model_shapes(run, cfg, schema)
    except DamagedRunError:
        raise
    except HakseupError as e:
        raise DamagedRunError(run, t("error.run.check.config_yaml_schema", e=e)) from None
    except (RuntimeError, ValueError, TypeError, OverflowError, MemoryError) as e:
        raise DamagedRunError(
            run, t("error.run.check.config_yaml_schema", e=str(e).splitlines()[0][:160])
        ) from None
    if expected != found:
        wrong = sorted(set(expected) ^ set(found)) or sorted(
            k for k in expected if expected[k] != found[k]
        )
        raise DamagedRunError(
            run,
            t(
                "error.run.check.weights_fit_model",
                relative_to=base.relative_to(path),
                wrong=wrong[0],
            ),
        )


# What a schema.json may ask of a model built for real (the few models that cannot be built
# on the meta device); beyond these, a hand-edited size would allocate gigabytes.
_MAX_REAL = {"n_outputs": 100_000, "inputs": 50_000_000, "cardinality": 10_000_000}


def _model_shapes(run, cfg, schema) -> dict[str, list[int]]:
    """The parameter shapes of the model the config and schema describe, built on the meta
    device (shapes, no memory: schema.json's n_outputs = 10^9 costs nothing and is then
    caught by the weights' shapes). A model whose construction reads values (ROCKET's
    kernels) is built for real, once the schema's sizes are within ``_MAX_REAL``."""
    import dataclasses

    import torch

    from ..models.registry import build_model, model_names

    model_cfg = dataclasses.replace(cfg.model, pretrained=False, weights=None)
    model_names()  # the model modules imported outside the meta device (module constants)
    try:
        with torch.device("meta"):
            model = build_model(model_cfg, schema)
    except HakseupError:
        raise
    except Exception:  # noqa: BLE001 - the meta device cannot run this model's set-up
        sizes = {
            "n_outputs": schema.n_outputs,
            "inputs": math.prod(schema.input_shape),
            "cardinality": max(schema.cardinalities, default=1),
        }
        for key, value in sizes.items():
            if value > _MAX_REAL[key]:
                raise DamagedRunError(
                    run,
                    t(
                        "error.run.check.schema_too_large",
                        key=key,
                        value=value,
                        limit=_MAX_REAL[key],
                    ),
                ) from None
        model = build_model(model_cfg, schema)
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def _header_shapes(file: Path) -> dict[str, list[int]]:
    """Tensor names and shapes from a safetensors header, without reading any tensor."""
    from safetensors import SafetensorError, safe_open

    if not file.is_file():
        raise OSError("model.safetensors is missing")
    try:
        with safe_open(str(file), framework="pt") as f:
            return {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
    except SafetensorError as e:
        raise ValueError(t("error.run.check.not_safetensors", reason=str(e)[:100])) from None


def run_records(root: str | os.PathLike) -> list[dict]:
    """Every run folder under ``root`` with its run.json fields checked: a damaged one is
    still listed, with status ``damaged (…)``. Newest first."""
    records = []
    for d in sorted(Path(root).iterdir()):
        if not d.is_dir() or not (d / "run.json").exists():
            continue
        try:
            r = read_json(d, "run.json")
            _check_record(d, r)
        except DamagedRunError as e:
            r = {"name": d.name, "status": "damaged (" + str(e).split(": ", 2)[-1][:60] + ")"}
        r["path"] = str(d)
        r.setdefault("name", d.name)
        records.append(r)
    return sorted(records, key=lambda r: str(r.get("created", "")), reverse=True)


def _check_record(run: Path, r: dict) -> None:
    types_: dict[str, type | tuple[type, ...]] = {
        "name": str,
        "created": str,
        "status": str,
        "dataset": (str, type(None)),
        "model": str,
        "duration_s": (int, float),
        "main_metric": dict,
    }
    for key, tp in types_.items():
        if key in r and (not isinstance(r[key], tp) or isinstance(r[key], bool)):
            raise DamagedRunError(run, t("error.run.check.run_json", key=key, r=r[key]))
    for k, v in r.get("main_metric", {}).items():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise DamagedRunError(run, t("error.run.check.run_json_main", k=k, v=v))


def read_metrics(run: str | os.PathLike) -> dict:
    """The scalar test metrics of a run ({} when it has none yet)."""
    path = run_folder(run)
    if not (path / "metrics.json").exists():
        return {}
    metrics = read_json(path, "metrics.json").get("metrics", {})
    if not isinstance(metrics, dict):
        raise DamagedRunError(run, t("error.run.check.metrics_json_metrics"))
    return {
        k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
