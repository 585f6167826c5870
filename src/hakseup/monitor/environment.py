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
from typing import Any

from ..i18n import t

__all__ = ["collect_environment", "doctor_checks", "PACKAGES"]

PACKAGES = [
    "torch",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "matplotlib",
    "tensorboard",
    "safetensors",
    "tqdm",
    "PyYAML",
    "statsmodels",
    "optuna",
    "nvidia-ml-py",
]
_REQUIRED = {
    "torch",
    "numpy",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "safetensors",
    "tqdm",
    "PyYAML",
}


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def collect_environment(device: str | None = None, threads: dict | None = None) -> dict:
    """What this machine offers; ``threads``: a run's thread choice (with its reason), saved
    beside the CPUs it was made from (usable, cgroup quota, load)."""
    import torch

    from .cpus import read_cpus

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "cudnn_version": None,
        "mps_available": bool(
            getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
        ),
        "device": device,
    }
    if torch.backends.cudnn.is_available():
        env["cudnn_version"] = torch.backends.cudnn.version()
    gpus = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gpus.append(
                {
                    "index": i,
                    "name": p.name,
                    "memory_gib": round(p.total_memory / 2**30, 2),
                    "capability": f"{p.major}.{p.minor}",
                }
            )
    env["gpus"] = gpus
    env["packages"] = {p: _version(p) for p in PACKAGES}
    env["hakseup"] = _version("hakseup")
    env["executable"] = sys.executable
    cpus = read_cpus()
    env["cpus"] = {
        "usable": cpus.usable,
        "affinity": cpus.affinity,
        "quota": cpus.quota,
        "load_1min": None if cpus.load is None else round(cpus.load, 2),
        "others_busy_cpus": (None if cpus.others_busy is None else round(cpus.others_busy, 2)),
        "user_threads": cpus.user,
        "user_var": cpus.user_var,
    }
    if threads is not None:
        env["threads"] = threads
    return env


def doctor_checks(env: dict | None = None) -> list[tuple[str, str, str, str]]:
    """(item, status ok|warn|fail, what was found, what to do) for each check."""
    checks = _package_checks()
    if _version("torch") is None:
        return checks
    return checks + _accelerator_checks(env or collect_environment())


def _package_checks() -> list[tuple[str, str, str, str]]:
    """Doctor rows for the Python version and each package (required ones fail, others warn)."""
    checks = []
    py = sys.version_info
    checks.append(
        (
            "Python",
            "ok" if py >= (3, 10) else "fail",
            platform.python_version(),
            "" if py >= (3, 10) else t("doctor.row.python_old"),
        )
    )
    for pkg in PACKAGES:
        v = _version(pkg)
        if v:
            checks.append((pkg, "ok", v, ""))
        else:
            required = pkg in _REQUIRED
            checks.append(
                (
                    pkg,
                    "fail" if required else "warn",
                    t("doctor.row.not_installed"),
                    f"pip install {pkg}" + ("" if required else t("doctor.row.optional")),
                )
            )
    return checks


def _accelerator_checks(env: dict) -> list[tuple[str, str, str, str]]:
    """Doctor rows for CUDA, cuDNN, MPS and the device training would use, from ``env``."""
    checks = []
    if env["cuda_available"]:
        names = ", ".join(g["name"] for g in env["gpus"])
        checks.append(
            ("CUDA", "ok", f"{env['cuda_version']} ({len(env['gpus'])} GPU: {names})", "")
        )
        checks.append(
            (
                "cuDNN",
                "ok" if env["cudnn_version"] else "warn",
                str(env["cudnn_version"] or t("doctor.row.not_available")),
                "" if env["cudnn_version"] else t("doctor.row.reinstall_cuda"),
            )
        )
    else:
        fix = (
            t("doctor.row.cpu_build")
            if env["cuda_version"] is None
            else t("doctor.row.no_gpu_seen")
        )
        checks.append(("CUDA", "warn", t("doctor.row.not_available"), fix))
    checks.append(
        (
            "MPS",
            "ok" if env["mps_available"] else "info",
            t("doctor.row.available") if env["mps_available"] else t("doctor.row.not_available"),
            "",
        )
    )
    device = "cuda" if env["cuda_available"] else ("mps" if env["mps_available"] else "cpu")
    checks.append(
        (
            t("doctor.row.device"),
            "ok",
            t("doctor.row.threads", device=device, n=env["torch_threads"]),
            "" if device != "cpu" else t("doctor.row.cpu_ok"),
        )
    )
    return checks
