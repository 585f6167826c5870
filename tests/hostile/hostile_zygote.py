"""A fork server for the hostile corpus: imports hakseup and its heavy dependencies once, then
forks one child process per case, so that ~700 cases do not each pay PyTorch's import.

Protocol (one JSON object per line): the parent writes ``{"argv", "cwd", "env", "timeout",
"drop_caps"}``; this process forks a child that starts its own session, changes folder and
environment, sends stdout/stderr to files, gives up the capabilities that let root ignore
permission bits, and runs ``hakseup.cli.main.main(argv)``; the answer is ``{"code", "out",
"err"}`` with ``code`` null when the child had to be killed at the timeout (a hang).
Run with ``python hostile_zygote.py``; set ``HOSTILE_EXEC=1`` in the tests to use a fresh
``python -m hakseup`` per case instead.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import tempfile
import time


def _drop_dac_capabilities() -> None:
    """Remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (what setpriv does for exec)."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    header, data = Header(0x20080522, 0), (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        return
    mask = ~((1 << 1) | (1 << 2)) & 0xFFFFFFFF
    data[0].effective &= mask
    data[0].permitted &= mask
    data[0].inheritable &= mask
    libc.capset(ctypes.byref(header), data)


def _child(req: dict, out_path: str, err_path: str) -> None:
    os.setsid()
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    for fd, path in ((1, out_path), (2, err_path)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    if req.get("drop_caps"):
        _drop_dac_capabilities()
    code = 1
    try:
        from hakseup.cli.main import main

        code = main(req["argv"])
    except SystemExit as e:  # argparse's --help and --version
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # a traceback is what the corpus looks for: print it like Python
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def _serve_one(req: dict) -> dict:
    scratch = tempfile.mkdtemp(prefix="hostile-io-")
    out_path, err_path = os.path.join(scratch, "out"), os.path.join(scratch, "err")
    pid = os.fork()
    if pid == 0:
        _child(req, out_path, err_path)
    deadline = time.monotonic() + req["timeout"]
    code = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    if code is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    texts = []
    for path in (out_path, err_path):
        try:
            with open(path, "rb") as f:
                texts.append(f.read()[-200_000:].decode(errors="replace"))
        except OSError:
            texts.append("")
        try:
            os.unlink(path)
        except OSError:
            pass
    os.rmdir(scratch)
    return {"code": code, "out": texts[0], "err": texts[1]}


def main() -> None:
    # The imports every case needs, done once, before any thread does work.
    import matplotlib

    matplotlib.use("Agg")
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.csv  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch  # noqa: F401

    import hakseup.cli.main  # noqa: F401
    import hakseup.experiment.experiment  # noqa: F401

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_serve_one(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
