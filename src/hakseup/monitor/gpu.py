"""GPU status through NVML (``nvidia-ml-py``): what ``nvidia-smi`` shows, as data.

``read_gpus(nvml)`` takes the ``pynvml`` module — or any object with the same functions, which
is how the tests feed it a fake GPU. A field the device does not support reads ``"N/A"``.

Example:
    >>> status = read_gpus()                         # doctest: +SKIP
    >>> status["gpus"][0]["memory_used_mib"]          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from ..errors import HakseupError
from ..i18n import t

__all__ = ["NoGPU", "load_nvml", "read_gpus", "format_status", "changed_fields"]

NA = "N/A"


class NoGPU(HakseupError):
    """No NVIDIA GPU or driver: a condition, not a mistake (exit status 1)."""

    exit_code = 1


def load_nvml():
    try:
        import pynvml
    except ImportError:
        raise NoGPU(t("error.monitor.gpu.nvml_installed_pip")) from None
    try:
        pynvml.nvmlInit()
    except Exception as e:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        raise NoGPU(t("error.monitor.gpu.nvidia_gpu_driver", e=e)) from None
    return pynvml


def _get(fn, *args, default: Any = NA):
    try:
        return fn(*args)
    except Exception:  # NVMLError_NotSupported and friends: the field is not available
        return default


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def read_gpus(nvml=None) -> dict:
    """Driver, CUDA version and, per GPU, the fields nvidia-smi shows (plus processes)."""
    nvml = nvml or load_nvml()
    count = _get(nvml.nvmlDeviceGetCount, default=0)
    if not count:
        raise NoGPU(t("error.monitor.gpu.nvml_reports_gpu"))
    cuda = _get(nvml.nvmlSystemGetCudaDriverVersion)
    out = {
        "driver": _text(_get(nvml.nvmlSystemGetDriverVersion)),
        "cuda": f"{cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else NA,
        "gpus": [],
    }
    out["gpus"] = [_read_gpu(nvml, i) for i in range(count)]
    return out


def _gpu_processes(nvml, h) -> list[dict]:
    """The compute processes running on GPU handle ``h``: pid, name and memory used."""
    procs = []
    for p in _get(nvml.nvmlDeviceGetComputeRunningProcesses, h, default=[]) or []:
        name = _text(_get(nvml.nvmlSystemGetProcessName, p.pid, default="?"))
        used = getattr(p, "usedGpuMemory", None)
        procs.append(
            {
                "pid": p.pid,
                "name": name,
                "memory_mib": used // 2**20 if isinstance(used, int) else NA,
            }
        )
    return procs


def _read_gpu(nvml, i: int) -> dict:
    """The fields nvidia-smi shows for GPU ``i`` (``NA`` where the driver does not say)."""
    h = nvml.nvmlDeviceGetHandleByIndex(i)
    mem = _get(nvml.nvmlDeviceGetMemoryInfo, h, default=None)
    util = _get(nvml.nvmlDeviceGetUtilizationRates, h, default=None)
    power = _get(nvml.nvmlDeviceGetPowerUsage, h)
    cap = _get(nvml.nvmlDeviceGetEnforcedPowerLimit, h)
    pstate = _get(nvml.nvmlDeviceGetPerformanceState, h)
    mig = _get(nvml.nvmlDeviceGetMigMode, h, default=None)
    ecc = _get(nvml.nvmlDeviceGetTotalEccErrors, h, 1, 0)  # uncorrected, volatile
    pci = _get(nvml.nvmlDeviceGetPciInfo, h, default=None)
    procs = _gpu_processes(nvml, h)
    return {
        "index": i,
        "name": _text(_get(nvml.nvmlDeviceGetName, h)),
        "fan_percent": _get(nvml.nvmlDeviceGetFanSpeed, h),
        "temperature_c": _get(nvml.nvmlDeviceGetTemperature, h, 0),
        "performance_state": f"P{pstate}" if isinstance(pstate, int) else NA,
        "persistence_mode": {1: "On", 0: "Off"}.get(_get(nvml.nvmlDeviceGetPersistenceMode, h), NA),
        "power_w": power / 1000 if isinstance(power, (int, float)) else NA,
        "power_cap_w": cap / 1000 if isinstance(cap, (int, float)) else NA,
        "bus_id": _text(pci.busId) if pci is not None else NA,
        "display_active": {1: "On", 0: "Off"}.get(_get(nvml.nvmlDeviceGetDisplayActive, h), NA),
        "memory_used_mib": mem.used // 2**20 if mem is not None else NA,
        "memory_total_mib": mem.total // 2**20 if mem is not None else NA,
        "utilization_percent": util.gpu if util is not None else NA,
        "memory_utilization_percent": util.memory if util is not None else NA,
        "ecc_errors": ecc,
        "compute_mode": {
            0: "Default",
            1: "Exclusive Thread",
            2: "Prohibited",
            3: "Exclusive Process",
        }.get(_get(nvml.nvmlDeviceGetComputeMode, h), NA),
        "mig_mode": (
            {1: "Enabled", 0: "Disabled"}.get(mig[0], NA) if isinstance(mig, (tuple, list)) else NA
        ),
        "processes": procs,
    }


def _fmt(v, unit: str = "") -> str:
    if v == NA or v is None:
        return NA
    if isinstance(v, float):
        return f"{v:.0f}{unit}"
    return f"{v}{unit}"


_FIELDS = [
    ("fan", "fan_percent", "%"),
    ("temp", "temperature_c", "C"),
    ("perf", "performance_state", ""),
    ("persist", "persistence_mode", ""),
    ("power", "power_w", "W"),
    ("cap", "power_cap_w", "W"),
    ("bus id", "bus_id", ""),
    ("disp", "display_active", ""),
    ("mem used", "memory_used_mib", "MiB"),
    ("mem total", "memory_total_mib", "MiB"),
    ("util", "utilization_percent", "%"),
    ("ecc", "ecc_errors", ""),
    ("compute", "compute_mode", ""),
    ("MIG", "mig_mode", ""),
]


def changed_fields(old: dict | None, new: dict) -> set[tuple[int, str]]:
    """(gpu index, field) pairs whose value changed between two readings."""
    if not old:
        return set()
    out = set()
    for a, b in zip(old["gpus"], new["gpus"]):
        out |= {(b["index"], k) for k in b if k != "processes" and a.get(k) != b.get(k)}
    return out


def format_status(
    status: dict, changed: AbstractSet[tuple[int, str]] = frozenset(), highlight: bool = False
) -> str:
    """An nvidia-smi-like text table; changed values in reverse video when ``highlight``."""
    lines = [f"Driver {status['driver']}   CUDA {status['cuda']}", ""]
    header = ["gpu", "name"] + [f[0] for f in _FIELDS]
    rows = []
    for g in status["gpus"]:
        row = [str(g["index"]), str(g["name"])]
        for _, key, unit in _FIELDS:
            text = _fmt(g[key], unit)
            row.append(
                f"\x1b[7m{text}\x1b[0m" if highlight and (g["index"], key) in changed else text
            )
        rows.append(row)

    def width(i):
        import re

        return max(len(re.sub(r"\x1b\[[0-9;]*m", "", r[i])) for r in rows + [header])

    widths = [width(i) for i in range(len(header))]

    def line(cells):
        import re

        return "  ".join(
            c + " " * (w - len(re.sub(r"\x1b\[[0-9;]*m", "", c))) for c, w in zip(cells, widths)
        ).rstrip()

    lines += [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    procs = [(g["index"], p) for g in status["gpus"] for p in g["processes"]]
    lines += ["", "Processes:" if procs else "Processes: none"]
    lines += [
        f"  gpu {i}  pid {p['pid']:>7}  {_fmt(p['memory_mib'], 'MiB'):>9}  {p['name']}"
        for i, p in procs
    ]
    return "\n".join(lines)
