"""`hakseup gpu` against a fake NVML (no GPU needed), and the no-GPU path."""

import json
from types import SimpleNamespace

import pytest

from hakseup.monitor.gpu import NoGPU, changed_fields, format_status, read_gpus


class NotSupported(Exception):
    pass


class FakeNVML:
    """The pynvml functions hakseup uses, for one GPU with two processes."""

    def __init__(self, used=2 * 2**30, temp=41, count=1):
        self.used, self.temp, self.count = used, temp, count

    def nvmlDeviceGetCount(self): return self.count
    def nvmlSystemGetDriverVersion(self): return b"550.54.15"
    def nvmlSystemGetCudaDriverVersion(self): return 12040
    def nvmlDeviceGetHandleByIndex(self, i): return i
    def nvmlDeviceGetName(self, h): return "NVIDIA H100 80GB HBM3"
    def nvmlDeviceGetFanSpeed(self, h): raise NotSupported()        # data-centre GPUs: no fan
    def nvmlDeviceGetTemperature(self, h, sensor): return self.temp
    def nvmlDeviceGetPerformanceState(self, h): return 0
    def nvmlDeviceGetPersistenceMode(self, h): return 1
    def nvmlDeviceGetPowerUsage(self, h): return 71_500
    def nvmlDeviceGetEnforcedPowerLimit(self, h): return 700_000
    def nvmlDeviceGetPciInfo(self, h): return SimpleNamespace(busId=b"00000000:18:00.0")
    def nvmlDeviceGetDisplayActive(self, h): return 0
    def nvmlDeviceGetMemoryInfo(self, h):
        return SimpleNamespace(used=self.used, total=80 * 2**30, free=80 * 2**30 - self.used)
    def nvmlDeviceGetUtilizationRates(self, h): return SimpleNamespace(gpu=37, memory=12)
    def nvmlDeviceGetTotalEccErrors(self, h, kind, counter): return 0
    def nvmlDeviceGetComputeMode(self, h): return 0
    def nvmlDeviceGetMigMode(self, h): return (0, 0)
    def nvmlDeviceGetComputeRunningProcesses(self, h):
        return [SimpleNamespace(pid=4242, usedGpuMemory=1536 * 2**20)]
    def nvmlSystemGetProcessName(self, pid): return b"python train.py"


def test_reading_and_formatting_every_field():
    s = read_gpus(FakeNVML())
    assert s["driver"] == "550.54.15" and s["cuda"] == "12.4"
    g = s["gpus"][0]
    assert g["fan_percent"] == "N/A" and g["temperature_c"] == 41
    assert g["power_w"] == 71.5 and g["power_cap_w"] == 700 and g["memory_used_mib"] == 2048
    assert g["performance_state"] == "P0" and g["mig_mode"] == "Disabled"
    assert g["processes"] == [{"pid": 4242, "name": "python train.py", "memory_mib": 1536}]
    text = format_status(s)
    for needle in ["NVIDIA H100", "41C", "72W", "700W", "2048MiB", "81920MiB", "37%", "P0",
                   "00000000:18:00.0", "Default", "Disabled", "pid    4242", "python train.py"]:
        assert needle in text, needle


def test_watch_highlights_what_changed():
    a, b = read_gpus(FakeNVML()), read_gpus(FakeNVML(used=3 * 2**30, temp=55))
    changed = changed_fields(a, b)
    assert changed == {(0, "memory_used_mib"), (0, "temperature_c")}
    text = format_status(b, changed, highlight=True)
    assert "\x1b[7m55C\x1b[0m" in text and "\x1b[7m3072MiB\x1b[0m" in text
    assert "\x1b[7m37%" not in text


def test_cli_json_and_no_gpu(capsys):
    from argparse import Namespace

    from hakseup.cli import gpu

    assert gpu.run(Namespace(watch=None, json=True), nvml=FakeNVML()) == 0
    assert json.loads(capsys.readouterr().out)["gpus"][0]["utilization_percent"] == 37
    with pytest.raises(NoGPU) as e:
        read_gpus(FakeNVML(count=0))
    assert e.value.exit_code == 1


def test_no_driver_is_one_line_and_exit_1(cli, monkeypatch):
    import pynvml

    def fail():
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", fail)
    code, out, err = cli("gpu")
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no NVIDIA GPU or driver" in lines[0]


def test_gpu_stats_callback_logs_and_warns_before_memory_runs_out():
    from hakseup.training.loggers import GPUStats

    cb = GPUStats(warn_fraction=0.5, nvml=FakeNVML(used=70 * 2**30))
    trainer = SimpleNamespace(state=SimpleNamespace(device=SimpleNamespace(type="cpu", index=None)))
    logs = {}
    with pytest.warns(UserWarning, match="88% full"):
        cb.on_epoch_end(trainer, logs)
    assert logs["gpu_memory_used_mib"] == 70 * 1024 and logs["gpu_utilization_percent"] == 37
