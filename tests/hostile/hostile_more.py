"""More of the hostile corpus: output folders, full disks, damaged runs, downloads, and the
commands that take no data. See hostile_cases.py for the placeholders."""

from __future__ import annotations

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from hostile_cases import QUICK, Case, _write_tune_yaml, LR_SPACE
from hostile_files import RUN_DAMAGES

__all__ = ["output_cases", "damage_cases", "download_cases", "misc_cases", "HostileServer"]


def _fs(case: Path) -> None:
    """A file, a read-only folder, and a non-empty folder to point outputs at."""
    (case / "f.txt").write_text("not a folder\n")
    (case / "ro").mkdir()
    (case / "ro").chmod(0o555)
    (case / "busy").mkdir()
    (case / "busy" / "keep.txt").write_text("mine\n")


_OUT = {"is_file": "{case}/f.txt", "readonly_parent": "{case}/ro/run",
        "readonly_empty": "{case}/ro", "under_file": "{case}/f.txt/run",
        "proc": "/proc/hakseup-run", "nonempty": "{case}/busy"}


def output_cases() -> list[Case]:
    out = []
    for cmd in ("train", "cv", "tune", "lr-find"):
        base = {"train": ["train", "--data", "{data}", "--target", "y", *QUICK],
                "cv": ["cv", "--data", "{data}", "--target", "y", "--folds", "2", *QUICK],
                "tune": ["tune", "{case}/tune.yaml", "--trials", "1"],
                "lr-find": ["lr-find", "--data", "{data}", "--target", "y", "--steps", "10"]}[cmd]
        setup = (lambda c: (_fs(c), _write_tune_yaml(LR_SPACE)(c))) if cmd == "tune" else _fs
        for name, path in _OUT.items():
            out.append(Case(f"out-{name}-{cmd}", [*base, "--output", path], "error", setup))
        for name, path in (("is_file", "{case}/f.txt"), ("readonly", "{case}/ro")):
            out.append(Case(f"root-{name}-{cmd}", [*base, "--set", f"output.root={path}"],
                            "error", setup))
        for name, path in (("is_file", "{case}/f.txt"), ("readonly", "{case}/ro/cache"),
                           ("under_file", "{case}/f.txt/cache"), ("proc", "/proc/hakseup")):
            argv = [cmd, "--dataset", "car-evaluation", "--data-dir", path, *QUICK]
            if cmd == "tune":
                continue
            out.append(Case(f"datadir-{name}-{cmd}", argv, "error", _fs, frozenset({"server"}),
                            env={"HAKSEUP_MIRRORS": "{url}/notfound/"}))
        # A real full disk at three depths: the first files, the checkpoints, the logs/plots.
        for size, expect in (("16k", "error"), ("120k", "error" if cmd == "train" else "clean"),
                             ("320k", "clean")):
            argv = [a for a in base if a not in ("--no-tensorboard",)]
            argv = [a if a != "output.plots=false" else "output.plots=true" for a in argv]
            out.append(Case(f"fulldisk-{size}-{cmd}", [*argv, "--output", "{full}/run"], expect,
                            setup, frozenset({"tmpfs:" + size}), allow_failed_run=True))
    for name, path in (("folder", "{case}/busy"), ("readonly", "{case}/ro/p.csv"),
                       ("under_file", "{case}/f.txt/p.csv"), ("same_as_data", "{case}/base.csv"),
                       ("same_via_dots", "{case}/./ro/../base.csv"), ("proc", "/proc/p.csv"),
                       ("full_disk", "{full}/p.csv")):
        needs = {"run"} | ({"tmpfs:16k:filled"} if "full" in path else set())
        out.append(Case(f"predict-out-{name}", ["predict", "{run}", "--data", "{data}",
                                                "--output", path], "error", _fs, frozenset(needs)))
    for name, path in (("folder", "{case}/busy"), ("readonly", "{case}/ro/m.onnx"),
                       ("under_file", "{case}/f.txt/m.onnx"), ("proc", "/proc/m.onnx"),
                       ("full_disk", "{full}/m.onnx")):
        for fmt in ("onnx", "torchscript"):
            needs = {"run"} | ({"tmpfs:16k:filled"} if "full" in path else set())
            out.append(Case(f"export-out-{name}-{fmt}", ["export", "{run}", "--format", fmt,
                                                         "--output", path], "error", _fs,
                            frozenset(needs)))
    return out


ESSENTIAL = {"no_config", "config_garbage", "config_bomb", "config_unknown_key",
             "config_wrong_type", "config_hidden_changed", "config_model_unknown",
             "config_empty", "no_schema", "schema_garbage", "schema_types", "no_preprocessing",
             "preprocessing_garbage", "preprocessing_empty_obj", "preprocessing_types",
             "no_checkpoints", "weights_truncated", "weights_empty", "weights_random",
             "weights_header_lie"}


def damage_cases() -> list[Case]:
    cmds = {"evaluate": ["evaluate", "{run}"],
            "predict": ["predict", "{run}", "--data", "{data}", "--output", "{case}/p.csv"],
            "export": ["export", "{run}", "--format", "torchscript"],
            "summary": ["summary", "{run}"],
            "runs": ["runs", "{case}"],
            "compare": ["runs", "compare", "{run}", "{run2}"]}
    out = []
    some = {"no_config", "config_garbage", "config_hidden_changed", "no_preprocessing",
            "weights_truncated", "weights_header_lie", "schema_types"}
    for damage in RUN_DAMAGES:
        for cmd, argv in cmds.items():
            if cmd in ("predict", "export") and damage not in some:
                continue
            if cmd == "compare" and damage not in ("config_garbage", "config_bomb",
                                                   "metrics_garbage", "metrics_types"):
                continue
            needs = {"run", f"damage:{damage}"} | ({"run2"} if cmd == "compare" else set())
            expect = "error" if damage in ESSENTIAL and cmd not in ("runs", "compare") \
                else "clean"
            out.append(Case(f"damaged-{damage}-{cmd}", argv, expect, None, frozenset(needs)))
    for name, path in (("missing", "{case}/nope"), ("a_file", "{case}/base.csv"),
                       ("loop", "{case}/loop"), ("dev_null", "/dev/null")):
        def setup(case: Path, name=name) -> None:
            if name == "loop":
                os.symlink(case / "loop", case / "loop")
        for cmd in ("evaluate", "summary", "export", "runs", "resume", "code"):
            argv = {"evaluate": ["evaluate", path], "summary": ["summary", path],
                    "export": ["export", path, "--format", "onnx"], "runs": ["runs", path],
                    "resume": ["train", "--resume", path], "code": ["code", path]}[cmd]
            out.append(Case(f"runpath-{name}-{cmd}", argv, "error", setup))
    return out


# Misbehaviours of the download server, by the first part of the URL path.
BEHAVIOURS = ["notfound", "error500", "badlength", "neglength", "shortbody", "hugelength",
              "chunked_bad", "chunked_truncated", "not_http", "garbage_status", "empty", "drip",
              "stall", "redirect_http_remote", "redirect_ftp", "redirect_file", "redirect_loop",
              "redirect_refused", "wrong_checksum", "html", "no_colon_header", "many_headers",
              "slow_headers"]
MIRRORS = {"unclosed_ipv6": "http://[::1", "not_a_url": "notaurl", "no_host": "https://",
           "bad_port": "http://127.0.0.1:99999/", "text_port": "http://127.0.0.1:port/",
           "ftp": "ftp://127.0.0.1/", "file": "file:///etc/",
           "refused": "http://127.0.0.1:1/", "scheme_relative": "//127.0.0.1/x",
           "nul": "http://127.0.0.1/\x01x", "many_bad": "notaurl ftp://x http://[::1"}


def download_cases() -> list[Case]:
    out = []
    env = {"HAKSEUP_DOWNLOAD_DEADLINE": "4"}
    for cmd in ("train", "cv"):
        more = ["--folds", "2"] if cmd == "cv" else []
        argv = [cmd, "--dataset", "car-evaluation", "--data-dir", "{case}/cache", *QUICK, *more]
        for b in BEHAVIOURS if cmd == "train" else ["drip", "badlength", "chunked_bad",
                                                    "redirect_http_remote", "not_http"]:
            out.append(Case(f"download-{b}-{cmd}", argv, "error", None, frozenset({"server"}),
                            env={**env, "HAKSEUP_MIRRORS": "{url}/" + b + "/"}, timeout=90))
        for name, url in MIRRORS.items() if cmd == "train" else [("not_a_url", "notaurl")]:
            out.append(Case(f"mirror-{name}-{cmd}", argv, "error", None, frozenset(),
                            env={**env, "HAKSEUP_MIRRORS": url}, timeout=90))
    for b in ("drip", "shortbody", "not_http", "redirect_http_remote"):
        out.append(Case(f"download-{b}-mnist", ["train", "--dataset", "mnist-t10k", "--data-dir",
                                                "{case}/cache", *QUICK], "error", None,
                        frozenset({"server"}), env={**env, "HAKSEUP_MIRRORS": "{url}/" + b + "/"},
                        timeout=90))
    return out


def misc_cases() -> list[Case]:
    rows = [
        ("bayes-prevalence_over_one", ["bayes", "--prevalence", "2", "--sensitivity", "0.9",
                                       "--false-positive-rate", "0.1"], "error"),
        ("bayes-nan", ["bayes", "--prevalence", "nan", "--sensitivity", "0.9",
                       "--false-positive-rate", "0.1"], "error"),
        ("bayes-text", ["bayes", "--prevalence", "x", "--sensitivity", "0.9",
                        "--false-positive-rate", "0.1"], "error"),
        ("bayes-negative", ["bayes", "--prevalence", "0.1", "--sensitivity", "-0.9",
                            "--false-positive-rate", "0.1"], "error"),
        ("bayes-positives_huge", ["bayes", "--prevalence", "0.1", "--sensitivity", "0.9",
                                  "--false-positive-rate", "0.1", "--positives", "1000"], "error"),
        ("bayes-ok", ["bayes", "--prevalence", "0.1", "--sensitivity", "0.9",
                      "--false-positive-rate", "0.1"], "ok"),
        ("gpu-watch_negative", ["gpu", "--watch", "-1"], "error"),
        ("gpu-watch_text", ["gpu", "--watch", "x"], "error"),
        ("gpu-watch_nan", ["gpu", "--watch", "nan"], "error"),
        ("summary-shape_zero", ["summary", "--model", "mlp", "--input-shape", "0"], "error"),
        ("summary-shape_negative", ["summary", "--model", "mlp", "--input-shape", "-3"], "error"),
        ("summary-shape_huge", ["summary", "--model", "mlp", "--input-shape", "1000000000"],
         "error"),
        ("summary-shape_text", ["summary", "--model", "mlp", "--input-shape", "abc"], "error"),
        ("summary-shape_4d", ["summary", "--model", "mlp", "--input-shape", "1,2,3,4"], "error"),
        ("summary-model_unknown", ["summary", "--model", "nosuch", "--input-shape", "4"], "error"),
        ("summary-outputs_zero", ["summary", "--model", "mlp", "--input-shape", "4",
                                  "--outputs", "0"], "error"),
        ("summary-outputs_huge", ["summary", "--model", "mlp", "--input-shape", "4",
                                  "--outputs", "1000000000"], "error"),
        ("summary-hidden_zero", ["summary", "--model", "mlp", "--input-shape", "4", "--set",
                                 "model.hidden=[0]"], "error"),
        ("summary-set_bad", ["summary", "--model", "mlp", "--input-shape", "4", "--set",
                             "train.x=1"], "error"),
        ("summary-nothing", ["summary"], "error"),
        ("summary-ok", ["summary", "--model", "mlp", "--input-shape", "1,8,8"], "ok"),
        ("export-format_bad", ["export", "{run}", "--format", "pickle"], "error"),
        ("inspect-target_missing", ["inspect", "{data}", "--target", "nope"], "error"),
        ("inspect-time_missing", ["inspect", "{data}", "--time-col", "nope"], "error"),
        ("inspect-time_numeric", ["inspect", "{data}", "--time-col", "x1"], "clean"),
        ("inspect-series_ok", ["inspect", "{series}", "--time-col", "date", "--target", "v"],
         "ok"),
        ("inspect-json_ok", ["inspect", "{data}", "--json"], "ok"),
        ("adjust-missing_col", ["adjust", "{data}", "--treatment", "nope", "--outcome", "x1",
                                "--confounder", "color"], "error"),
        ("adjust-text_outcome", ["adjust", "{data}", "--treatment", "g", "--outcome", "color",
                                 "--confounder", "y"], "clean"),
        ("adjust-three_treatments", ["adjust", "{data}", "--treatment", "color", "--outcome",
                                     "x1", "--confounder", "g"], "clean"),
        ("runs-compare_one", ["runs", "compare", "{run}"], "error"),
        ("runs-too_many_args", ["runs", "a", "b"], "error"),
        ("runs-ok", ["runs", "{case}"], "ok"),
        ("runs-compare_ok", ["runs", "compare", "{run}", "{run2}"], "ok"),
        ("cli-unknown_command", ["frobnicate"], "error"),
        ("cli-unknown_flag", ["train", "--frobnicate"], "error"),
        ("cli-missing_value", ["train", "--epochs"], "error"),
        ("cli-datasets", ["datasets"], "ok"),
        ("cli-recipes", ["recipes"], "ok"),
        ("predict-missing_output", ["predict", "{run}", "--data", "{data}"], "error"),
        ("predict-ok", ["predict", "{run}", "--data", "{data}", "--output", "{case}/p.csv"], "ok"),
        ("evaluate-ok", ["evaluate", "{run}"], "ok"),
        ("resume-complete", ["train", "--resume", "{run}"], "error"),
        ("train-print_config", ["train", "--print-config"], "ok"),
        ("cli-doctor", ["doctor"], "any"),
        ("gpu-json", ["gpu", "--json"], "any"),
    ]
    needs = lambda argv: frozenset(["run"] + (["run2"] if "{run2}" in argv else [])) \
        if any("{run" in a for a in argv) else frozenset()  # noqa: E731
    return [Case(i, argv, e, None, needs(argv)) for i, argv, e in rows]


class _Handler(BaseHTTPRequestHandler):
    """Answers /<behaviour>/<file> with that misbehaviour."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def _raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        try:
            self._answer()
        except OSError:  # the client gave up (what a deadline is for)
            pass
        self.close_connection = True

    def _answer(self):  # noqa: C901 - one branch per misbehaviour, read top to bottom
        b = self.path.strip("/").split("/")[0]
        body = b"buying,maint,output\nlow,low,acc\n" * 20
        if b in ("notfound", "error500"):
            self.send_error(404 if b == "notfound" else 500)
        elif b in ("badlength", "neglength", "hugelength", "shortbody"):
            length = {"badlength": "abc", "neglength": "-5", "hugelength": str(10 ** 13),
                      "shortbody": "100000"}[b]
            self._raw(f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n".encode() + body)
        elif b.startswith("chunked"):
            chunk = b"zz\r\nabc\r\n" if b == "chunked_bad" else b"1000\r\n" + body[:50]
            self._raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
        elif b == "not_http":
            self._raw(b"HELLO THERE\r\n\r\n" + body)
        elif b == "garbage_status":
            self._raw(b"HTTP/1.1 abc OK\r\n\r\n")
        elif b == "empty":
            pass
        elif b in ("drip", "slow_headers"):
            self._raw(b"HTTP/1.1 200 OK\r\n" + (b"Content-Length: 100000\r\n\r\n"
                                                 if b == "drip" else b""))
            for _ in range(600):
                time.sleep(0.2)
                self._raw(b"a" if b == "drip" else b"X-Slow: 1\r\n")
        elif b == "stall":
            time.sleep(120)
        elif b.startswith("redirect"):
            port = self.server.server_address[1]
            where = {"redirect_http_remote": "http://example.invalid/x",
                     "redirect_ftp": f"ftp://127.0.0.1:{port}/x",
                     "redirect_file": "file:///etc/passwd",
                     "redirect_loop": f"http://127.0.0.1:{port}{self.path}",
                     "redirect_refused": "https://127.0.0.1:1/x"}[b]
            self._raw(f"HTTP/1.1 302 Found\r\nLocation: {where}\r\nContent-Length: 0\r\n\r\n"
                      .encode())
        elif b in ("wrong_checksum", "html"):
            data = body if b == "wrong_checksum" else b"<html><body>login</body></html>"
            self._raw(f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        elif b == "no_colon_header":
            self._raw(b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\n" + body)
        elif b == "many_headers":
            self._raw(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
                      + b"Content-Length: 3\r\n\r\nabc")


class HostileServer:
    """The misbehaving server, on 127.0.0.1 only, in a background thread."""

    def __enter__(self) -> str:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
