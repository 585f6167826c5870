"""What this machine offers: Python, PyTorch, CUDA/cuDNN/MPS, devices, package versions.

``collect_environment()`` is saved as ``environment.json`` in every run; ``doctor_checks()``
adds a verdict and a fix for each item (``hakseup doctor``).

Example:
    >>> env = collect_environment()
    >>> "torch" in env and "python" in env
    True
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

__all__ = ["collect_environment", "doctor_checks", "PACKAGES"]

PACKAGES = ["torch", "numpy", "pandas", "pyarrow", "scikit-learn", "matplotlib", "tensorboard",
            "safetensors", "tqdm", "PyYAML", "statsmodels", "optuna", "nvidia-ml-py"]
_REQUIRED = {"torch", "numpy", "pandas", "scikit-learn", "matplotlib", "safetensors", "tqdm",
             "PyYAML"}


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def collect_environment(device: str | None = None) -> dict:
    import torch

    env = {"python": platform.python_version(), "implementation": platform.python_implementation(),
           "platform": platform.platform(), "machine": platform.machine(),
           "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
           "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
           "cuda_version": torch.version.cuda, "cudnn_version": None,
           "mps_available": bool(getattr(torch.backends, "mps", None)
                                 and torch.backends.mps.is_available()),
           "device": device}
    if torch.backends.cudnn.is_available():
        env["cudnn_version"] = torch.backends.cudnn.version()
    gpus = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": p.name, "memory_gib": round(p.total_memory / 2**30, 2),
                         "capability": f"{p.major}.{p.minor}"})
    env["gpus"] = gpus
    env["packages"] = {p: _version(p) for p in PACKAGES}
    env["hakseup"] = _version("hakseup")
    env["executable"] = sys.executable
    return env


def doctor_checks(env: dict | None = None) -> list[tuple[str, str, str, str]]:
    """(item, status ok|warn|fail, what was found, what to do) for each check."""
    checks = []
    py = sys.version_info
    checks.append(("Python", "ok" if py >= (3, 10) else "fail", platform.python_version(),
                   "" if py >= (3, 10) else "hakseup needs Python 3.10 or newer"))
    for pkg in PACKAGES:
        v = _version(pkg)
        if v:
            checks.append((pkg, "ok", v, ""))
        else:
            required = pkg in _REQUIRED
            checks.append((pkg, "fail" if required else "warn", "not installed",
                           f"pip install {pkg}" + ("" if required else " (optional)")))
    if _version("torch") is None:
        return checks
    env = env or collect_environment()
    if env["cuda_available"]:
        names = ", ".join(g["name"] for g in env["gpus"])
        checks.append(("CUDA", "ok", f"{env['cuda_version']} ({len(env['gpus'])} GPU: {names})", ""))
        checks.append(("cuDNN", "ok" if env["cudnn_version"] else "warn",
                       str(env["cudnn_version"] or "not available"),
                       "" if env["cudnn_version"] else "reinstall a CUDA build of PyTorch"))
    else:
        fix = ("this PyTorch is a CPU-only build; for an NVIDIA GPU install a CUDA build "
               "(see pytorch.org)" if env["cuda_version"] is None else
               "PyTorch was built with CUDA but sees no GPU: check the driver with "
               "`hakseup gpu` or nvidia-smi")
        checks.append(("CUDA", "warn", "not available", fix))
    checks.append(("MPS", "ok" if env["mps_available"] else "info",
                   "available" if env["mps_available"] else "not available", ""))
    device = "cuda" if env["cuda_available"] else ("mps" if env["mps_available"] else "cpu")
    checks.append(("training device", "ok", f"{device} ({env['torch_threads']} CPU threads)",
                   "" if device != "cpu" else "training runs on the CPU; fine for small data"))
    return checks
