"""Kill real `hakseup train` processes at random points, resume them, and check that every
resumed run ends with the same weights as an uninterrupted one.

The runs use early stopping, a per-step schedule, step checkpoints and the DataLoader path, so
every piece of state a resume must restore is in play. Each round picks a signal (SIGKILL or
SIGTERM) and a delay after the first checkpoint exists; a SIGTERM'd run must also end with
exit status 143 and status "interrupted" — unless it had completed before the signal came
(its "finished" stamp no later than the kill).

    python tests/soak_kill_resume.py --rounds 10          # prints one line per round
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import torch
from safetensors.torch import load_file

ARGS = ["train", "--epochs", "12", "--patience", "2", "--scheduler", "onecycle",
        "--loader", "dataloader", "--checkpoint-every", "9", "--batch-size", "128",
        "--lr", "0.01", "--no-progress", "--no-tensorboard", "--seed", "11"]


def _hakseup(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hakseup", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kw)


def _weights(run: Path) -> dict:
    return load_file(str(run / "checkpoints" / "last" / "model.safetensors"))


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def one_round(work: Path, reference: dict, rng: random.Random, k: int) -> dict:
    """Start a run, kill it at a random moment after its first checkpoint, resume it."""
    sig = rng.choice([signal.SIGKILL, signal.SIGTERM])
    delay = rng.uniform(0.0, 2.5)
    run = work / f"round{k}"
    proc = _hakseup(*ARGS, "--output", str(run))
    manifest = run / "checkpoints" / "last" / "state.json"
    deadline = time.time() + 300
    while not manifest.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    finished_first = proc.poll() is not None
    killed_at = datetime.now().isoformat(timespec="seconds")  # as run.json's "finished"
    if not finished_first:
        os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=300)
    record = json.loads((run / "run.json").read_text())
    status = record["status"]
    ok_signal = True
    if not finished_first and sig == signal.SIGTERM:
        # A run that had completed before the signal came (early stopping ended it; the
        # process was printing its results or exiting) has nothing left to interrupt: its
        # "finished" stamp is no later than the kill. A signal that training swallowed would
        # complete the run afterwards.
        ended = status == "interrupted" and proc.returncode == 143
        before = status == "complete" and record.get("finished", "~") <= killed_at
        ok_signal = (ended or (before and proc.returncode in (0, 143, -15)))
        ok_signal = ok_signal and "Traceback" not in err
    if status != "complete":
        resumed = _hakseup("train", "--resume", str(run))
        _, err2 = resumed.communicate(timeout=600)
        if resumed.returncode != 0:
            return {"round": k, "ok": False, "why": err2.strip().splitlines()[-1:]}
    same = _same(_weights(run), reference)
    why = {} if ok_signal else {"stderr": err.strip().splitlines()[-8:]}
    return {**why, "round": k, "signal": signal.Signals(sig).name, "delay_s": round(delay, 2),
            "killed": not finished_first, "status": status, "code": proc.returncode,
            "ok": same and ok_signal, "bit_identical": same}


def soak(rounds: int, seed: int = 0, work: Path | None = None) -> list[dict]:
    work = Path(work or tempfile.mkdtemp(prefix="hakseup-soak-"))
    ref = _hakseup(*ARGS, "--output", str(work / "reference"))
    _, err = ref.communicate(timeout=600)
    assert ref.returncode == 0, err
    reference = _weights(work / "reference")
    rng = random.Random(seed)
    return [one_round(work, reference, rng, k) for k in range(rounds)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    results = soak(args.rounds, args.seed)
    for r in results:
        print(json.dumps(r))
    good = sum(r["ok"] for r in results)
    print(f"{good}/{len(results)} resumes bit-identical "
          f"({sum(r.get('killed', False) for r in results)} killed mid-run)")
    return 0 if good == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
