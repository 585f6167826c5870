"""The per-run thread policy (issue 25): the pure rule, the machine's CPUs, the config key, what
a run records, and that the Python API leaves the process's thread count as it found it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from conftest import assert_user_error, quick_config, quiet
from hakseup.config import RunConfig
from hakseup.errors import ConfigError
from hakseup.i18n import t
from hakseup.training.threads import (LARGE_OP_MACS, CpuInfo, ThreadPolicy, Work,
                                      cgroup_quota, choose_threads, dataloader_workers,
                                      measure_work, user_threads)

SMALL = Work(params=20_000, batch=64, kind="linear", op_macs=5e5)
LARGE = Work(params=2_000_000, batch=64, kind="conv", op_macs=10 * LARGE_OP_MACS)


def cpus(affinity=8, quota=None, load=0.0, count=None, user=None, var=None) -> CpuInfo:
    return CpuInfo(affinity, quota, load, count or affinity, user, var)


@pytest.fixture
def no_thread_env(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)


@pytest.fixture
def keep_threads():
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- the rule


def test_small_work_gets_one_thread_even_on_an_idle_machine():
    for work in (SMALL, None):
        choice = choose_threads(work, cpus(affinity=16))
        assert (choice.intra_op, choice.inter_op, choice.source) == (1, 1, "auto")
        assert choice.reason_key == "threads.reason.small_work"


def test_large_work_gets_the_free_cpus_never_more_than_usable():
    assert choose_threads(LARGE, cpus(affinity=8)).intra_op == 8
    assert choose_threads(LARGE, cpus(affinity=8, load=3.0)).intra_op == 5
    assert choose_threads(LARGE, cpus(affinity=8, load=0.0, count=8)).intra_op <= 8
    assert choose_threads(LARGE, cpus(affinity=2, load=0.1)).reason_key == \
        "threads.reason.large_work"


def test_a_busy_machine_gets_one_thread():
    choice = choose_threads(LARGE, cpus(affinity=2, load=2.5))
    assert choice.intra_op == 1 and choice.reason_key == "threads.reason.busy"
    assert choose_threads(LARGE, cpus(affinity=4, load=9.0)).intra_op == 1


def test_jobs_started_just_now_count_before_the_load_average_sees_them():
    just_started = CpuInfo(2, None, load=0.1, cpu_count=2, others_busy=1.9)
    assert choose_threads(LARGE, just_started).reason_key == "threads.reason.busy"
    assert choose_threads(LARGE, CpuInfo(2, None, 0.1, 2, others_busy=0.1)).intra_op == 2


def test_affinity_and_quota_bound_the_usable_cpus():
    assert choose_threads(LARGE, cpus(affinity=1)).reason_key == "threads.reason.one_cpu"
    assert choose_threads(LARGE, cpus(affinity=8, quota=2.0)).intra_op == 2
    assert cpus(affinity=8, quota=1.5).usable == 1          # a second thread is throttled
    assert cpus(affinity=4, quota=16.0).usable == 4
    # A container's quota on a large host sees the host's load: scaled to its own share.
    assert choose_threads(LARGE, cpus(affinity=64, quota=4.0, load=16.0, count=64)).intra_op == 3


def test_the_users_environment_and_the_config_win():
    env = cpus(affinity=16, user=3, var="OMP_NUM_THREADS")
    for requested in ("auto", "2"):
        choice = choose_threads(SMALL, env, requested)
        assert (choice.intra_op, choice.source) == (3, "env")
        assert "OMP_NUM_THREADS=3" in choice.reason
    choice = choose_threads(SMALL, cpus(affinity=2, load=5.0), "4")
    assert (choice.intra_op, choice.source) == (4, "config")


@pytest.mark.parametrize("env, expected", [
    ({}, (None, None)),
    ({"OMP_NUM_THREADS": "2"}, (2, "OMP_NUM_THREADS")),
    ({"MKL_NUM_THREADS": "3"}, (3, "MKL_NUM_THREADS")),
    ({"OMP_NUM_THREADS": "4,2", "MKL_NUM_THREADS": "1"}, (4, "OMP_NUM_THREADS")),
    ({"OMP_NUM_THREADS": "0"}, (None, None)),
    ({"OMP_NUM_THREADS": "lots", "MKL_NUM_THREADS": "2"}, (2, "MKL_NUM_THREADS")),
])
def test_user_threads(env, expected):
    assert user_threads(env) == expected


def test_dataloader_workers_share_the_cpus():
    assert dataloader_workers(cpus(affinity=8), 1, lazy=False) == 0
    assert dataloader_workers(cpus(affinity=8), 2, lazy=True) == 6
    assert dataloader_workers(cpus(affinity=64), 1, lazy=True) == 8
    assert dataloader_workers(cpus(affinity=2, load=4.0), 1, lazy=True) == 1
    assert dataloader_workers(cpus(affinity=1), 1, lazy=True) == 0


# --------------------------------------------------------------------------- the machine


def test_cgroup_v2_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("300000 100000\n")       # a container's own cgroup
    assert cgroup_quota(tmp_path) == 3.0
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path):
    cpu = tmp_path / "cpu,cpuacct"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("150000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path) == 1.5
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(tmp_path) is None
    assert cgroup_quota(tmp_path / "nothing") is None


def test_other_processes_busy_cpus_are_measured(monkeypatch):
    """A process burning one CPU beside us shows as (at least most of) one busy CPU; on a
    machine busy with other work too, more — never less, whatever the load."""
    import multiprocessing as mp

    from hakseup.monitor import cpus as cpus_mod

    monkeypatch.setattr(cpus_mod, "_last", {})
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    hog = ctx.Process(target=_burn, args=(stop,), daemon=True)
    hog.start()
    try:
        time.sleep(1.0)  # the child's interpreter is up and spinning
        cpus_mod._last.clear()
        busy = cpus_mod._others_busy()
    finally:
        stop.set()
        hog.join(10)
    assert busy is not None and busy >= 0.6


# --------------------------------------------------------------------------- the work


def test_measure_work_sizes_the_largest_operator():
    mlp = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    w = measure_work(mlp, (torch.zeros(2, 64),), batch=32)
    assert (w.kind, w.op_macs, w.batch) == ("linear", 32 * 64 * 256, 32)
    assert w.params == sum(p.numel() for p in mlp.parameters())
    conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 28 * 28, 2))
    w = measure_work(conv, (torch.zeros(2, 1, 28, 28),), batch=64)
    assert w.kind == "conv" and w.op_macs == 64 * 8 * 28 * 28 * 9
    lstm = nn.LSTM(4, 32, batch_first=True)
    w = measure_work(lstm, (torch.zeros(2, 10, 4),), batch=16)
    assert w.kind == "recurrent" and w.op_macs == 16 * 4 * 32 * 32


def test_hakseups_own_lstm_is_recurrent():
    from hakseup.models.lstm import LSTM

    w = measure_work(LSTM(3, 16), (torch.zeros(2, 5, 3),), batch=8)
    assert w.kind == "recurrent"


# --------------------------------------------------------------------------- config and CLI


@pytest.mark.parametrize("value", ["fast", "1.5", 0, "-2"])
def test_bad_threads_value_is_one_line(value):
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict({"train": {"threads": value}})
    assert "train.threads" in str(e.value) and "\n" not in str(e.value)


def test_threads_value_is_normalised():
    assert RunConfig.from_dict({}).train.threads == "auto"
    assert RunConfig.from_dict({"train": {"threads": 3}}).train.threads == 3
    assert RunConfig.from_dict({"train": {"threads": "3"}}).train.threads == 3
    assert RunConfig.from_dict({"train": {"threads": "AUTO"}}).train.threads == "auto"


@pytest.mark.parametrize("value", ["0", "many"])
def test_cli_threads_flag_rejects_bad_values(cli, value):
    code, _, err = cli("train", "--threads", value, "--epochs", "1")
    assert_user_error(code, err, "train.threads")


# --------------------------------------------------------------------------- a run


def _record_threads():
    from hakseup.training.callbacks import Callback

    class Record(Callback):
        seen: list[int] = []

        def on_fit_begin(self, trainer):
            self.seen.append(torch.get_num_threads())

    return Record()


def test_run_records_the_choice_and_restores_the_thread_count(tmp_path, no_thread_env,
                                                              keep_threads):
    from hakseup.experiment import train

    torch.set_num_threads(2)
    record = _record_threads()
    lines: list[str] = []
    cfg = quick_config(tmp_path / "run", epochs=1, verbosity="verbose")
    cfg.evaluation.references, cfg.output.plots = "none", False
    train(cfg, echo=lines.append, callbacks=[record])
    env = json.loads((tmp_path / "run" / "environment.json").read_text())
    th = env["threads"]
    assert th["source"] == "auto" and th["intra_op"] == 1          # the digits MLP is small
    assert th["reason"] == t(th["reason_key"], **th["fields"])
    assert th["workers"] == 0 and env["cpus"]["usable"] >= 1
    assert record.seen == [1]                      # applied during the run...
    assert torch.get_num_threads() == 2            # ...and the caller's count is back
    assert any(line == t("train.threads", intra=1, inter=th["applied"]["inter_op"],
                         workers=0, reason=th["reason"]) for line in lines)


def test_config_threads_and_user_environment_in_a_run(tmp_path, monkeypatch, keep_threads):
    from hakseup.experiment import train

    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    cfg = quick_config(tmp_path / "a", epochs=1, threads="2")
    cfg.evaluation.references, cfg.output.plots = "none", False
    train(cfg, echo=quiet)
    th = json.loads((tmp_path / "a" / "environment.json").read_text())["threads"]
    assert (th["intra_op"], th["source"]) == (1, "env")          # OMP_NUM_THREADS wins
    monkeypatch.delenv("OMP_NUM_THREADS")
    record = _record_threads()
    cfg = quick_config(tmp_path / "b", epochs=1, threads="2")
    cfg.evaluation.references, cfg.output.plots = "none", False
    train(cfg, echo=quiet, callbacks=[record])
    th = json.loads((tmp_path / "b" / "environment.json").read_text())["threads"]
    assert (th["intra_op"], th["source"]) == (2, "config") and record.seen == [2]
    assert torch.get_num_threads() == 1


def test_a_failed_setup_restores_the_thread_count(tmp_path, no_thread_env, keep_threads):
    from hakseup.experiment import train

    torch.set_num_threads(2)
    cfg = quick_config(tmp_path / "run", epochs=1, threads="1", monitor="nothing")
    with pytest.raises(ConfigError):
        train(cfg, echo=quiet)
    assert torch.get_num_threads() == 2


def test_policy_limits_numpys_blas_and_gives_it_back(no_thread_env, keep_threads):
    from threadpoolctl import threadpool_info

    def blas() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas()
    if not before or max(before) < 2:
        pytest.skip("no BLAS pool with more than one thread to limit")
    policy = ThreadPolicy("auto", cpus(affinity=4)).start()
    assert set(blas()) == {1}
    policy.restore()
    assert blas() == before


def test_policy_leaves_inter_op_alone_outside_the_command(no_thread_env, keep_threads):
    before = torch.get_num_interop_threads()
    policy = ThreadPolicy("auto", cpus(affinity=4)).start()
    choice = policy.refine(SMALL)
    assert choice.applied["inter_op"] == before
    policy.restore()


# --------------------------------------------------------------------------- doctor


def test_doctor_reports_cpus_load_and_the_choice(cli, no_thread_env):
    from hakseup.training.threads import read_cpus

    code, out, _ = cli("doctor")
    assert code in (0, 1)
    for key in ("doctor.row.cpus", "doctor.row.load", "doctor.row.threads_default",
                "doctor.row.threads_large"):
        assert any(t(key) in line for line in out.splitlines()), key
    usable = read_cpus().usable
    assert any(t("doctor.row.cpus") in line and f" {usable} (" in line
               for line in out.splitlines()), out


def test_doctor_names_the_users_variable(cli, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    _, out, _ = cli("doctor")
    line = next(line for line in out.splitlines() if t("doctor.row.threads_default") in line)
    assert "OMP_NUM_THREADS=1" in line
    assert t("doctor.row.threads_env", var="OMP_NUM_THREADS") in line


def test_predict_and_evaluate_run_under_the_policy_and_give_the_count_back(
        tmp_path, cli, no_thread_env, keep_threads, monkeypatch):
    """``predict``/``evaluate`` run a model over new rows with the policy's threads (one for
    this small model), and leave the process's count as it was."""
    import numpy as np
    import pandas as pd

    import hakseup.predict as predict_module

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] > 0).astype(int)}).to_csv(
        table, index=False)
    code, _, err = cli("train", "--data", table, "--target", "y", "--epochs", "1", "--quiet",
                       "--references", "none", "--output", tmp_path / "run")
    assert code == 0, err
    torch.set_num_threads(2)
    seen: list[int] = []
    for name in ("predict_file", "evaluate_file"):
        real = getattr(predict_module, name)

        def spy(*args, _real=real, **kwargs):
            seen.append(torch.get_num_threads())
            return _real(*args, **kwargs)

        monkeypatch.setattr(predict_module, name, spy)
    code, _, err = cli("predict", tmp_path / "run", "--data", table, "--output",
                       tmp_path / "p.csv")
    assert code == 0, err
    code, _, err = cli("evaluate", tmp_path / "run", "--data", table)
    assert code == 0, err
    assert seen == [1, 1] and torch.get_num_threads() == 2


def test_a_reading_older_than_its_window_is_not_reused(monkeypatch):
    """After a long pause (a notebook, the next cv fold) the last answer is measured again,
    never handed back from a cache."""
    from hakseup.monitor import cpus as cpus_mod

    clock = [1000.0]
    monkeypatch.setattr(cpus_mod.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(cpus_mod.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    monkeypatch.setattr(cpus_mod, "_sample", lambda: cpus_mod._Sample(clock[0], 0.0, 0.0))
    monkeypatch.setattr(cpus_mod, "_last", {})
    assert cpus_mod._others_busy() == 0.0  # an idle machine over the first window
    clock[0] += 60.0  # a minute later, one CPU kept busy from now on
    monkeypatch.setattr(cpus_mod, "_sample",
                        lambda: cpus_mod._Sample(clock[0], clock[0], 0.0))
    assert cpus_mod._others_busy() == pytest.approx(1.0)


def _burn(stop) -> None:
    while not stop.is_set():
        pass
