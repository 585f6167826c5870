"""The hostile corpus: every command, run in a subprocess with a timeout, against bad files,
configs, flags, output folders, full disks, damaged runs and misbehaving download servers.

Each case runs in a child process (forked from a server that imported PyTorch once, see
hostile_zygote.py; ``HOSTILE_EXEC=1`` starts a fresh ``python -m hakseup`` per case instead)
with a timeout. Each case must end cleanly: exit 2 with exactly one ``hakseup: error:`` line and no traceback
(or exit 0 where the input is legitimately usable), never hang, and leave nothing behind — no
temporary files, no half-made run folder, nothing in the download cache. The whole corpus is
``slow`` (``pytest -m slow tests/test_hostile.py``); a representative subset runs by default.
Every case runs once more with ``HAKSEUP_LANG=ko``: an error is then still one line and exit 2,
and that line (``hakseup: 오류: ...``) is Korean.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import hakseup
from hostile_cases import Case, config_file_cases, file_cases, flag_cases, tune_cases
from hostile_files import FILE_KINDS, RUN_DAMAGES, base_rows, write_csv
from hostile_files2 import files2_cases
from hostile_more import (HostileServer, damage_cases, download_cases, misc_cases,
                          output_cases)

SRC = str(Path(hakseup.__file__).resolve().parents[1])
# As root, permission bits mean nothing; drop the capabilities that bypass them so that
# "unreadable" and "read-only" are real.
DROP = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] \
    if os.geteuid() == 0 and shutil.which("setpriv") else []

CASES: list[Case] = (file_cases() + config_file_cases() + flag_cases() + tune_cases()
                     + output_cases() + damage_cases() + download_cases() + misc_cases()
                     + files2_cases())

# A default-run subset: one or two of every family, chosen to be quick.
FAST_IDS = {
    "file-fifo-train", "file-dev_zero-inspect", "file-symlink_loop-predict",
    "file-unreadable-train", "file-bad_utf8_late-inspect", "file-cr_only-inspect",
    "file-time_of_day-train", "file-target_overflow-train", "yaml-anchor_bomb_top-train",
    "yaml-anchor_bomb_in_tune-tune", "yaml-duplicate_key-train", "yaml-dev_zero-train",
    "flag-seed_2pow32-train", "flag-hidden_huge-train", "flag-delimiter_multi-train",
    "flag-test_size_zero-train", "flag-optimizer_lbfgs-train", "flag-season_impossible-train",
    "flag-recipe_parent-train", "tune-space-step_negative", "tune-space-low_text",
    "predict-out-same_as_data", "predict-out-folder", "out-is_file-train",
    "datadir-is_file-train", "damaged-config_garbage-summary", "damaged-weights_truncated-evaluate",
    "damaged-run_json_types-runs", "download-badlength-train", "download-not_http-train",
    "download-drip-train", "download-redirect_http_remote-train", "mirror-unclosed_ipv6-train",
    "fulldisk-120k-train", "predict-out-full_disk", "export-out-full_disk-torchscript",
    "file-zip_encrypted-train", "file-parquet_truncated-predict", "file-xlsx_not_zip-inspect",
    "file-zip_bomb-evaluate", "file-cp949-train",
}
# Cases that wait on the orchestration rework (issue 12, item 1), expected to fail until then:
# a run folder the full disk did not even let us mark "failed" (the Run class should remove
# what a failed start made), train.monitor checked against the logged keys, and Optuna
# printing the traceback of a trial that raised a user error.
# Cases waiting for a fix elsewhere, marked xfail (not strict) until then: none are left.
PENDING: dict[str, str] = {}
# The Korean run's default subset: one case of each family of FAST_IDS.
FAST_KO = {"file-fifo-train", "file-bad_utf8_late-inspect", "file-target_overflow-train",
           "yaml-duplicate_key-train", "flag-seed_2pow32-train", "flag-delimiter_multi-train",
           "tune-space-low_text", "predict-out-folder", "damaged-weights_truncated-evaluate",
           "download-badlength-train", "fulldisk-120k-train", "file-zip_encrypted-train",
           "file-cp949-train"}
HANGUL = re.compile("[\uac00-\ud7a3]")
KO_ERROR = "hakseup: 오류: "
assert FAST_IDS | FAST_KO <= {c.id for c in CASES}, \
    (FAST_IDS | FAST_KO) - {c.id for c in CASES}
assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"


class _Zygote:
    """The fork server (hostile_zygote.py), started once per test process."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name(
            "hostile_zygote.py"))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg"})
        assert json.loads(self.proc.stdout.readline())["ready"]

    def run(self, argv, cwd: Path, env: dict, timeout: int):
        self.proc.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "env": env,
                                          "timeout": timeout, "drop_caps": bool(DROP)}) + "\n")
        self.proc.stdin.flush()
        r = json.loads(self.proc.stdout.readline())
        if r["code"] is None:
            return None, r["out"], f"HANG: no exit within {timeout} s"
        return r["code"], r["out"], r["err"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


_ZYGOTE: list[_Zygote] = []


def teardown_module(module):
    """Close this module's zygote; another module of the corpus (test_hostile_api2) that runs
    after it in the same process starts a fresh one."""
    for z in _ZYGOTE:
        z.close()
    _ZYGOTE.clear()


@pytest.fixture(scope="module")
def server():
    with HostileServer() as url:
        yield url


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """One small run on the base table, trained once and copied into each case that needs it."""
    root = tmp_path_factory.mktemp("base")
    data = write_csv(root / "base.csv")
    _cli(["train", "--data", str(data), "--target", "y", "--epochs", "2",
          "--no-progress", "--no-tensorboard", "--set", "output.plots=false", "--output",
          str(root / "run")], root, {}, 300, check=True)
    return root / "run"


def _cli(argv, cwd: Path, env: dict, timeout: int, check: bool = False):
    """Run the CLI in a child process: forked from the zygote (fast), or a fresh interpreter
    with HOSTILE_EXEC=1 (or for the fixture's own training run)."""
    full = {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg",
            "HAKSEUP_CACHE": str(cwd / "cache"), **env}
    full.pop("HAKSEUP_MIRRORS", None) if "HAKSEUP_MIRRORS" not in env else None
    if not check and not os.environ.get("HOSTILE_EXEC"):
        if not _ZYGOTE:
            _ZYGOTE.append(_Zygote())
        return _ZYGOTE[0].run(argv, cwd, full, timeout)
    proc = subprocess.Popen([*DROP, sys.executable, "-m", "hakseup", *argv], cwd=cwd, env=full,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, "", f"HANG: no exit within {timeout} s"
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    assert not check or proc.returncode == 0, err
    return proc.returncode, out, err


def _mount(case: Path, size: str) -> Path:
    full = case / "full"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(full)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    return full


def _prepare(case: Case, tmp: Path, request) -> dict[str, str]:
    values = {"case": str(tmp), "data": str(write_csv(tmp / "base.csv")),
              "series": str(_series(tmp / "series.csv")), "file": str(tmp / "d.csv"),
              "full": str(tmp / "full")}
    order = ("file:", "run", "damage:", "server", "tmpfs:")   # copy the run, then damage it
    for need in sorted(case.needs, key=lambda n: [n.startswith(p) for p in order].index(True)):
        if need.startswith("file:"):
            values["file"] = str(FILE_KINDS[need[5:]][0](tmp))
        elif need in ("run", "run2"):
            src = request.getfixturevalue("trained_run")
            shutil.copytree(src, tmp / need)
            values[need] = str(tmp / need)
        elif need.startswith("damage:"):
            RUN_DAMAGES[need[7:]](tmp / "run")
        elif need == "server":
            values["url"] = request.getfixturevalue("server")
        elif need.startswith("tmpfs:"):
            _mount(tmp, need[6:].split(":")[0])
            request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(tmp / "full")]))
            if need.endswith(":filled"):  # no room even for a small file
                _fill_disk(tmp / "full")
    values.setdefault("url", "http://127.0.0.1:9")
    if case.setup:
        case.setup(tmp)
    return values


def _fill_disk(folder: Path) -> None:
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass


def _series(path: Path) -> Path:
    import numpy as np

    t = np.arange(120)
    v = 10 + np.sin(t / 5) + 0.01 * t
    path.write_text("date,v\n" + "".join(f"2020-01-01,{x:.4f}\n".replace(
        "2020-01-01", str(np.datetime64("2020-01-01") + int(i))) for i, x in zip(t, v)))
    return path


def _snapshot(root: Path) -> set[str]:
    out = set()
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def _leftovers(root: Path, before: set[str], case: Case, code) -> list[str]:
    """What a command left that it should not have: temp files anywhere; after a failure,
    anything new except an honest failed run folder; anything in the download cache."""
    problems = []
    after = _snapshot(root)
    for rel in sorted(after - before):
        name = Path(rel).name
        if ".tmp" in name or name.endswith((".part", ".partial")):
            problems.append(f"temp file {rel}")
    for rel in sorted(after):
        if Path(rel).name == "run.json" and rel not in before:
            status = _status(root / rel)
            if code == 0 and status != "complete":
                problems.append(f"{rel} says {status!r} after success")
            if code != 0 and not (case.allow_failed_run and status == "failed"):
                problems.append(f"run folder {Path(rel).parent} left ({status!r})")
    if code != 0:
        cache = [r for r in after - before if r.startswith("cache" + os.sep)
                 and (root / r).is_file()]
        problems += [f"cache file {r}" for r in cache]
        new_dirs = [r for r in after - before if (root / r).is_dir() and not
                    r.startswith(("cache", "full")) and not any((root / r).iterdir())]
        problems += [f"empty folder {r} left" for r in new_dirs]
        for name in ("pred.csv", "p.csv"):
            if name in after - before:
                problems.append(f"output {name} written by a failed command")
    return problems


def _status(path: Path):
    try:
        return json.loads(path.read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return "<unreadable>"


def _check(case: Case, code, out: str, err: str, leftovers: list[str]) -> str | None:
    """None when the case ended cleanly, else what went wrong."""
    if code is None:
        return err
    if "Traceback" in err:
        return "traceback: " + err.strip().splitlines()[-1][:300]
    lines = [ln for ln in err.splitlines() if ln.startswith("hakseup: error:")]
    if code == 0 and case.expect in ("ok", "clean") or code in (0, 1) and case.expect == "any":
        pass
    elif code == 2 and case.expect in ("error", "clean"):
        if len(lines) != 1:
            return f"{len(lines)} error lines: {err.strip()[-300:]}"
    else:
        return f"exit {code} (expected {case.expect}): {(err.strip() or out.strip())[-300:]}"
    if leftovers:
        return "left behind: " + "; ".join(leftovers[:4])
    return None


def _params():
    for c in CASES:
        marks = [] if c.id in FAST_IDS else [pytest.mark.slow]
        if c.id in PENDING:  # not strict: passes as XPASS once the lead's rework lands
            marks.append(pytest.mark.xfail(reason=PENDING[c.id], strict=False))
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_hostile_case_ends_cleanly(case: Case, tmp_path: Path, request):
    only = os.environ.get("HOSTILE_ONLY")  # a file of case ids: rerun just those
    if only and case.id not in Path(only).read_text().split():
        pytest.skip("not in HOSTILE_ONLY")
    tmp = tmp_path / "case"
    tmp.mkdir()
    values = _prepare(case, tmp, request)
    argv = [_fill(a, values) for a in case.argv]
    env = {k: _fill(v, values) for k, v in case.env.items()}
    before = _snapshot(tmp)
    code, out, err = _cli(argv, tmp, env, case.timeout)
    problem = _check(case, code, out, err, _leftovers(tmp, before, case, code))
    _record(case, problem)
    assert problem is None, problem


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _record(case: Case, problem: str | None) -> None:
    """Append the outcome to $HOSTILE_LOG (one JSON line per case) for the closing tally."""
    log = os.environ.get("HOSTILE_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"id": case.id, "problem": problem}) + "\n")


def _korean_problem(case: Case, code, err: str) -> str | None:
    """None when the Korean run ended as it should: an error is one Korean line, exit 2."""
    if code is None:
        return err
    if "Traceback" in err:
        return "traceback: " + err.strip().splitlines()[-1][:300]
    if code == 0 and case.expect in ("ok", "clean") or code in (0, 1) and case.expect == "any":
        return None
    if code != 2 or case.expect not in ("error", "clean"):
        return f"exit {code} (expected {case.expect}): {err.strip()[-300:]}"
    lines = [ln for ln in err.splitlines() if ln.startswith(KO_ERROR)]
    if len(lines) != 1 or "hakseup: error:" in err:
        return f"{len(lines)} Korean error lines: {err.strip()[-300:]}"
    if not HANGUL.search(lines[0][len(KO_ERROR):]):
        return f"not Korean: {lines[0][:300]}"
    return None


def _korean_cases() -> list[Case]:
    """The cases run in Korean: every one with HAKSEUP_KOREAN_ALL=1 (the closing tally ran
    all 763); otherwise those that can end in an error, one command per input (the message
    is the input's: train, cv and tune give the same line), which keeps CI's slow pass short."""
    if os.environ.get("HAKSEUP_KOREAN_ALL") == "1":
        return list(CASES)
    seen, out = set(), []
    for c in CASES:
        family = c.id.rsplit("-", 1)[0]
        if c.id in FAST_KO or (c.expect in ("error", "clean") and family not in seen):
            seen.add(family)
            out.append(c)
    return out


def _korean_params():
    for c in _korean_cases():
        marks = [] if c.id in FAST_KO else [pytest.mark.slow]
        if c.id in PENDING:
            marks.append(pytest.mark.xfail(reason=PENDING[c.id], strict=False))
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("case", list(_korean_params()))
def test_hostile_case_in_korean(case: Case, tmp_path: Path, request):
    """The same case with HAKSEUP_LANG=ko ($HOSTILE_KO_LOG: one JSON line per case)."""
    tmp = tmp_path / "case"
    tmp.mkdir()
    values = _prepare(case, tmp, request)
    argv = [_fill(a, values) for a in case.argv]
    env = {**{k: _fill(v, values) for k, v in case.env.items()}, "HAKSEUP_LANG": "ko"}
    code, out, err = _cli(argv, tmp, env, case.timeout)
    problem = _korean_problem(case, code, err)
    if os.environ.get("HOSTILE_KO_LOG"):
        with open(os.environ["HOSTILE_KO_LOG"], "a") as f:
            f.write(json.dumps({"id": case.id, "code": code, "problem": problem,
                                "line": next((ln for ln in err.splitlines()
                                              if ln.startswith(KO_ERROR)), None)},
                               ensure_ascii=False) + "\n")
    assert problem is None, problem


def test_the_corpus_is_big_enough_and_covers_every_command():
    from hakseup.cli.main import COMMANDS

    assert len(CASES) >= 400
    covered = {c.argv[0] for c in CASES}
    assert set(COMMANDS) <= covered, set(COMMANDS) - covered
