"""Export a trained run's model to TorchScript or ONNX, checked against the original.

Our from-scratch LSTM shares ``nn.LSTM``'s parameter names, so for export it is swapped for the
native module with the same weights (its hand-written backward is a training-time concern).

Example:
    >>> path, max_diff = export_run("runs/<id>", "onnx")          # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import HakseupError
from ..i18n import t

__all__ = ["export_run", "export_model", "FORMATS"]

FORMATS = ["torchscript", "onnx"]


def _exportable(model: torch.nn.Module) -> torch.nn.Module:
    from ..models.recurrent import RecurrentNet

    if isinstance(model, RecurrentNet) and model.impl == "scratch" and model.kind == "lstm":
        if model.bidirectional:  # our two directions are two modules: export them as they are
            return model
        native = model.like(impl="native")
        native.load_state_dict(model.state_dict())
        return native.eval()
    return model


def _example(schema) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, *schema.input_shape, generator=g)
    if schema.input_kind == "table":
        cats = (
            torch.stack([torch.randint(0, n, (4,), generator=g) for n in schema.cardinalities], 1)
            if schema.cardinalities
            else torch.zeros(4, 0, dtype=torch.long)
        )
        return (x, cats)
    return (x,)


def export_run(run: str | Path, fmt: str, output: str | Path | None = None) -> tuple[Path, float]:
    """Write a run's model; returns (path, max |exported - original| on an example batch)."""
    from .experiment import load_trained

    if fmt not in FORMATS:
        raise HakseupError(
            t("error.export.unknown_export_format", fmt=fmt, names=", ".join(FORMATS))
        )
    out = output_of(run, fmt, output)
    _, schema, _, model = load_trained(run)
    path, diff = export_model(model, schema, fmt, out)
    return (Path(output) if output else path), diff


SUFFIXES = {"torchscript": (".pt", ".pth", ".ts", ".torchscript"), "onnx": (".onnx",)}


def output_of(
    run: str | Path, fmt: str, output: str | Path | None, error: type = HakseupError
) -> Path:
    """The file an export writes: ``output`` checked like every user-named output
    (``io.output.output_target``: a link's target, never a device, the run's own files or a
    suffix of another format), or ``RUN/model.pt|onnx`` by default."""
    from ..io.output import output_target

    if not output:
        return Path(run) / ("model.pt" if fmt == "torchscript" else "model.onnx")
    return output_target(output, "--output", error, suffixes=SUFFIXES.get(fmt, ()))


def export_model(model: torch.nn.Module, schema, fmt: str, out: str | Path) -> tuple[Path, float]:
    """Write ``model`` (in eval mode) for data described by ``schema`` to ``out``; returns
    (path, max |exported - original| on an example batch of 4; NaN for ONNX without
    onnxruntime). The ONNX graph takes any batch size; its inputs are ``input_0``,
    ``input_1``, ... in the order of ``model(*inputs)``, less any the model never reads (a
    table without categorical columns takes ``input_0`` alone).

    Example:
        >>> from hakseup.data.bundle import Schema
        >>> from hakseup.models.linear import Linear
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "m.pt"
        >>> path, diff = export_model(Linear(3, 2), Schema("binary", "image", (3,), 2),
        ...                           "torchscript", out)
        >>> path == out, diff < 1e-6
        (True, True)
    """
    if fmt not in FORMATS:
        raise HakseupError(
            t("error.export.unknown_export_format", fmt=fmt, names=", ".join(FORMATS))
        )
    model = _exportable(model.eval())
    example = _example(schema)
    with torch.no_grad():
        expected = model(*example)
    out = Path(out)
    if fmt == "torchscript":
        return out, _export_torchscript(model, example, expected, out)
    return out, _export_onnx(model, example, expected, out)


def _export_torchscript(
    model: torch.nn.Module, example: tuple[torch.Tensor, ...], expected: torch.Tensor, out: Path
) -> float:
    """Trace ``model`` on ``example`` and write it atomically to ``out``; returns max
    |reloaded - ``expected``| on ``example``."""
    from ..io.files import atomic_write

    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        atomic_write(out, lambda f: torch.jit.save(traced, f))
        got = torch.jit.load(str(out))(*example)
    return float((got - expected).abs().max())


def _export_onnx(
    model: torch.nn.Module, example: tuple[torch.Tensor, ...], expected: torch.Tensor, out: Path
) -> float:
    """Write ``model`` as ONNX to ``out`` (through a temporary file, any batch size); returns
    max |onnxruntime's output - ``expected``| on ``example``, NaN without onnxruntime."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise HakseupError(t("error.export.onnx_export_needs")) from None
    names = [f"input_{i}" for i in range(len(example))]
    from ..io.files import remove_stale_temps

    remove_stale_temps(out)  # what a killed export left (same naming as atomic_write)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.onnx.tmp")
    try:
        torch.onnx.export(
            model,
            example,
            str(tmp),
            input_names=names,
            output_names=["output"],
            dynamic_axes={n: {0: "batch"} for n in names + ["output"]},
            dynamo=False,
        )
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        import onnxruntime as ort
    except ImportError:
        return float("nan")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    # An input the graph never reads (a table's empty categorical or numeric block) is pruned
    # by the exporter: feed the inputs the graph declares, by name.
    feeds = dict(zip(names, example))
    got = session.run(None, {i.name: feeds[i.name].numpy() for i in session.get_inputs()})[0]
    return float((torch.from_numpy(got) - expected).abs().max())
