"""benchmarks/gpu_check.py on a machine without CUDA: every CUDA part is reported skipped (never
ok), the CPU parts run, ``--dry-run`` runs a CUDA part's code on the CPU without calling the
part passed, and the JSON has what the GPU run's closing note needs."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"

pytestmark = pytest.mark.skipif(torch.cuda.is_available(),
                                reason="with CUDA the script measures the GPU: run it directly")


def _gpu_check():
    spec = importlib.util.spec_from_file_location("bench_gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path: Path, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "gpu_check.json"
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--quick", *flags],
                       capture_output=True, text=True, timeout=240, cwd=tmp_path)
    return r, json.loads(out.read_text())


def test_without_cuda_every_cuda_part_is_skipped_and_the_cpu_parts_run(tmp_path):
    gpu_check = _gpu_check()
    r, report = _run(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    env = report["environment"]
    assert env["cuda_available"] is False and env["device"] == "cpu"
    assert env["torch"] == torch.__version__
    assert len(env["commit"] or "0" * 40) == 40
    parts = report["parts"]
    assert list(parts) == list(gpu_check.PARTS)
    for name in gpu_check.CUDA_PARTS:
        assert parts[name] == {"status": "skipped", "reason": "no CUDA device"}, name
    assert parts["gpu_json"]["status"] == "skipped" and parts["gpu_json"]["rc"] == 1
    doctor = parts["doctor"]
    assert doctor["status"] == "ok" and doctor["rc"] == 0 and doctor["checks"]["ok"] > 3
    assert "WARN" in doctor["output_tail"] and "CUDA" in doctor["output_tail"]
    # The table: one line per part, and the summary line.
    for name in gpu_check.PARTS:
        assert any(ln.split()[:2] in ([name, "skipped"], [name, "ok"])
                   for ln in r.stdout.splitlines()), (name, r.stdout)
    assert "device cpu" in r.stdout.splitlines()[-1]


def test_a_dry_run_runs_the_cuda_part_on_the_cpu_and_still_reports_it_skipped(tmp_path):
    r, report = _run(tmp_path, "--dry-run", "--parts", "trainer_vs_hand")
    assert r.returncode == 0, r.stdout + r.stderr
    part = report["parts"]["trainer_vs_hand"]
    assert part["status"] == "skipped" and part["reason"] == "no CUDA device"
    dry = part["dry_run"]
    assert dry["status"] == "ok" and dry["device"] == "cpu", dry
    assert dry["weights_bit_identical"] is True and dry["weights_max_abs_diff"] == 0.0
    assert dry["ratio_trainer_over_hand"] > 0
    assert dry["met"] is None                      # a CPU figure says nothing of the target
    assert "dry run on CPU: ok" in r.stdout


def test_a_part_that_fails_or_times_out_is_a_fail_with_its_reason():
    gpu_check = _gpu_check()
    slow = gpu_check.run_cmd([sys.executable, "-c", "import time; time.sleep(30)"], 1)
    assert slow["timed_out"] and slow["rc"] is None
    row = gpu_check.row_text({"status": "fail", "reason": "timed out after 45 s"})
    assert row.startswith("fail") and "timed out after 45 s" in row


def test_unknown_parts_are_refused(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--parts", "doctor,nope"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 2 and "unknown part(s) nope" in r.stderr
    assert not (tmp_path / "gpu_check.json").exists()
