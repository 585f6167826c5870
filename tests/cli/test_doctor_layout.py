"""``hakseup doctor`` readable where it is not a terminal a person reads at its width — a
notebook's ``!hakseup doctor`` (a pseudo-terminal of 80 columns that the notebook does not
show at 80 columns), a pipe, a file: one line per check, its name and what was found
together, instead of the table cut into one block per column; on a terminal, the table as
it was."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hakseup.i18n import set_language, t

CHECKS = [
    ("Python", "ok", "3.11.7", ""),
    ("CUDA", "warn", "not available", "reinstall a CUDA build of PyTorch"),
    ("training device", "ok", "cpu (2 CPU threads)", "training runs on the CPU"),
    ("torch", "fail", "not installed", "pip install torch"),
]


@pytest.fixture
def fixed_checks(monkeypatch):
    """The doctor's checks replaced by known rows (the real ones measure the load)."""
    from hakseup.monitor import environment
    from hakseup.training import threads

    monkeypatch.setattr(environment, "doctor_checks", lambda: list(CHECKS))
    monkeypatch.setattr(threads, "thread_checks", lambda: [])


def test_off_a_terminal_each_check_is_one_line_with_its_finding(cli, fixed_checks):
    code, out, _ = cli("doctor")                      # capsys: not a terminal
    assert code == 1                                  # one check failed
    lines = out.splitlines()
    assert lines[:4] == [
        "ok    Python: 3.11.7",
        "WARN  CUDA: not available — to fix: reinstall a CUDA build of PyTorch",
        "ok    training device: cpu (2 CPU threads) — note: training runs on the CPU",
        "FAIL  torch: not installed — to fix: pip install torch",
    ]
    assert t("doctor.problems", n=1) in out
    assert "----" not in out and t("doctor.found") not in out     # no table


def test_the_real_checks_off_a_terminal(cli):
    """Every check the doctor makes: its name and its finding on one line, whatever it is."""
    import torch

    from hakseup.monitor.environment import doctor_checks

    code, out, _ = cli("doctor")
    assert code in (0, 1)
    lines = out.splitlines()
    for item, status, _, _ in doctor_checks():
        mark = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "--"}[status]
        assert any(ln.startswith(mark) and f"  {item}: " in ln for ln in lines), (item, out)
    assert any(ln.startswith("ok") and f"torch: {torch.__version__}" in ln for ln in lines)


def test_in_korean_the_labels_are_korean(cli, fixed_checks):
    code, out, _ = cli("--lang", "ko", "doctor")
    set_language("ko")
    lines = out.splitlines()
    assert f"CUDA: not available — {t('doctor.fix')}: reinstall" in lines[1]
    assert f"— {t('doctor.note')}: training runs" in lines[2]
    assert t("doctor.note") != "note"


def test_on_a_terminal_the_table_stays(cli, fixed_checks, monkeypatch):
    from hakseup.cli import common

    monkeypatch.setattr(common, "_terminal_width", lambda: 200)
    code, out, _ = cli("doctor")
    lines = out.splitlines()
    header = lines[0].split()
    assert header[0] == t("doctor.check") and t("doctor.found") in lines[0]
    assert lines[1].startswith("----  ------")
    cuda = next(ln for ln in lines if "CUDA" in ln)
    assert cuda.split()[:4] == ["WARN", "CUDA", "not", "available"]
    assert "reinstall a CUDA build of PyTorch" in cuda and "to fix:" not in cuda


class _Tty:
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_notebooks_shell_is_not_a_terminal(monkeypatch):
    from hakseup.cli import common

    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COLUMNS", "80")
    assert common._terminal_width() == 80 and common.is_terminal()
    monkeypatch.setenv("JPY_PARENT_PID", "4242")            # set by jupyter_client
    assert common._terminal_width() is None and not common.is_terminal()
    monkeypatch.delenv("JPY_PARENT_PID")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # ipykernel
    assert common._terminal_width() is None


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_doctor_under_a_notebooks_pseudo_terminal(tmp_path):
    """As ``!hakseup doctor`` runs in a notebook: a pseudo-terminal 80 columns wide (IPython's
    pexpect) and the kernel's environment. Each check's name and finding share a line (the
    table came out as one block per column: names, then findings, then fixes)."""
    from conftest import run_in_pty

    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(PYTHONPATH=src, HAKSEUP_LANG="en", JPY_PARENT_PID=str(os.getpid()),
               MPLBACKEND="module://matplotlib_inline.backend_inline", OMP_NUM_THREADS="1")
    code, raw = run_in_pty([sys.executable, "-m", "hakseup", "doctor"], env, 24, 80, 60,
                           cwd=tmp_path)
    assert code in (0, 1)
    out = raw.decode("utf-8").replace("\r\n", "\n")
    lines = out.splitlines()
    assert any(ln.startswith("ok    torch: ") for ln in lines), out
    assert any(ln.startswith("ok    Python: ") for ln in lines), out
    assert not any(ln.split() == [t("doctor.found")] for ln in lines), out   # no column block
