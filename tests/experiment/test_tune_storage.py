"""``hakseup tune --storage URL``: one Optuna study in a relational database, shared by
several worker processes. A real PostgreSQL server is started for the test (skipped only
where its binaries or a psycopg driver are missing); SQLite stays the default."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_user_error

SRC = Path(__file__).resolve().parents[2] / "src"
SPACE = ("train: {epochs: 2, progress: false}\nevaluation: {references: none}\n"
         "tune:\n  train.lr: {low: 1.0e-4, high: 0.1, log: true}\n"
         "  model.hidden: [[16], [32], [64, 32]]\n")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/local/bin", *sorted(Path("/usr/lib/postgresql").glob("*/bin"))):
        if (Path(d) / name).exists():
            return str(Path(d) / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1 (trust auth, a free port, its socket in its
    own folder); yields its URL."""
    import tempfile

    bins = {n: _pg_bin(n) for n in ("initdb", "pg_ctl")}
    if not all(bins.values()):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    pytest.importorskip("psycopg")
    run_as, user = [], None
    if os.geteuid() == 0:    # postgres refuses to run as root: use an unprivileged user
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None or not shutil.which("runuser"):
            pytest.skip("running as root without an unprivileged user for postgres")
        run_as = ["runuser", "-u", user, "--"]
    # Not under pytest's basetemp: its folders are private to root (mode 700).
    root = Path(tempfile.mkdtemp(prefix="hakseup-pg-"))
    data, sock, port = root / "data", root / "sock", _free_port()
    sock.mkdir()
    if user:
        for p in (root, sock):
            shutil.chown(p, user)
    env = dict(os.environ, LC_ALL="C")
    try:
        subprocess.run([*run_as, bins["initdb"], "-D", str(data), "-U", "hakseup",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True, env=env)
        subprocess.run([*run_as, bins["pg_ctl"], "-D", str(data), "-l", str(root / "log"),
                        "-w", "-t", "60", "-o", f"-h 127.0.0.1 -p {port} -k {sock} -F",
                        "start"], check=True, capture_output=True, env=env)
        yield f"postgresql://hakseup@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, bins["pg_ctl"], "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, env=env)
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _worker(cwd: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "hakseup.cli.main", "tune", *args],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.slow
def test_two_workers_share_one_postgres_study(postgres, tmp_path):
    import optuna

    (tmp_path / "search.yaml").write_text(SPACE)
    args = ["search.yaml", "--trials", "3", "--storage", postgres, "--study", "shared"]
    workers = [_worker(tmp_path, *args) for _ in range(2)]
    outs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outs
    study = optuna.load_study(study_name="shared", storage=postgres)
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == list(range(6))            # 6 in all, no number twice
    assert all(t.state.is_finished() for t in study.trials)
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2                                # each worker its own run folder
    records = [json.loads((r / "run.json").read_text())["study"] for r in runs]
    assert {r["name"] for r in records} == {"shared"}
    assert len({r["worker"] for r in records}) == 2
    per_worker = {r["worker"]: sum(t.user_attrs.get("worker") == r["worker"]
                                   for t in study.trials) for r in records}
    assert sorted(per_worker.values()) == [3, 3]
    # Each worker's trials.json is the whole study as it saw it at its end.
    assert max(len(json.loads((r / "trials.json").read_text())) for r in runs) == 6
    # --resume rejoins the same study as the same worker: --trials 4 adds one trial.
    first = runs[0]
    w = _worker(tmp_path, "--resume", str(first), "--trials", "4")
    out, err = w.communicate(timeout=300)
    assert w.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=postgres)
    assert sorted(t.number for t in study.trials) == list(range(7))
    assert sum(t.user_attrs.get("worker") == records[0]["worker"] for t in study.trials) == 4


def test_default_study_stays_in_the_run_folder(cli, tmp_path):
    (tmp_path / "search.yaml").write_text(SPACE)
    code, _, err = cli("tune", "search.yaml", "--trials", "2", "--output", tmp_path / "t")
    assert code == 0, err
    assert (tmp_path / "t" / "study.db").exists()
    assert "study" not in json.loads((tmp_path / "t" / "run.json").read_text())


def test_sqlite_storage_is_shared_by_a_second_run(cli, tmp_path):
    (tmp_path / "search.yaml").write_text(SPACE)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    for out in ("a", "b"):
        code, _, err = cli("tune", "search.yaml", "--trials", "2", "--storage", url,
                           "--output", tmp_path / out)
        assert code == 0, err
    trials = json.loads((tmp_path / "b" / "trials.json").read_text())
    assert [t["trial"] for t in trials] == [0, 1, 2, 3]
    assert len({t["worker"] for t in trials}) == 2


@pytest.mark.parametrize("url, needle", [
    ("not a url", "could not be opened"),
    ("postgresql://nobody@127.0.0.1:9/none", "could not be opened"),
    ("mysql://u@127.0.0.1:9/x", "driver"),
])
def test_bad_storage_is_one_line_and_no_folder(cli, tmp_path, url, needle):
    import importlib.util

    if url.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        pytest.skip("without the tune-db extra this URL is the missing-driver line (tested)")
    (tmp_path / "search.yaml").write_text(SPACE)
    code, _, err = cli("tune", "search.yaml", "--trials", "2", "--storage", url,
                       "--output", tmp_path / "t")
    assert_user_error(code, err, needle, "--storage" if needle != "driver" else "install")
    assert not (tmp_path / "t").exists()


def test_study_without_storage_is_one_line(cli, tmp_path):
    (tmp_path / "search.yaml").write_text(SPACE)
    code, _, err = cli("tune", "search.yaml", "--trials", "2", "--study", "x")
    assert_user_error(code, err, "--storage")


def _open_at(url: str, start: float, queue) -> None:
    import time

    sys.path.insert(0, str(SRC))
    from hakseup.experiment.tuning_storage import open_study

    time.sleep(max(0.0, start - time.time()))   # every process opens at the same instant
    try:
        queue.put(open_study(url, "together", seed=0, shared=True).study_name)
    except BaseException as e:   # noqa: BLE001 - reported to the parent
        queue.put(f"{type(e).__name__}: {e}")


@pytest.mark.slow
def test_workers_starting_together_all_open_one_study(postgres):
    """Several workers opening a fresh database at once race to create Optuna's tables and the
    study; each must still open it (the loser of a race retries)."""
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start = time.time() + 8.0
    procs = [ctx.Process(target=_open_at, args=(postgres, start, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["together"] * 4, results
