"""A second hostile corpus (issue 24): the surfaces added since the first — start weights
(``--pretrained FILE``), encodings, series time columns, image CSVs, values that were silently
accepted, arguments that are not UTF-8, an ASCII terminal — and the Python API.

The command-line cases are ``Case`` objects that tests/hostile/test_hostile_api2.py runs like
the first corpus (forked from the zygote, a timeout, leftovers checked). The API cases run in
one child process (``python hostile_api2.py api RESULTS.jsonl``), each in its own folder with
its own temporary folder and an alarm: a public function given a bad argument must return or
raise a ``HakseupError`` with one short line — never another exception, never a hang, never a
file left in the temporary folder or outside the case's folder.

Families are generated: every value of a list against every command or function that takes
it, so a new command or function is one line.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path

from hostile_cases import QUICK, Case

__all__ = ["cli_cases", "api_cases", "API_FUNCTIONS", "BAD_VALUES"]

SERIES = ["--time-col", "date", "--target", "v"]
TABLE = ["--data", "{data}", "--target", "y"]
TRAINERS = {"train": [], "cv": ["--folds", "2"], "lr-find": ["--steps", "5"]}


def _cmd(cmd: str, *argv: str) -> list[str]:
    extra = [a for a in QUICK if cmd != "lr-find" or a in ("--no-progress",)]
    return [cmd, *argv, *TRAINERS.get(cmd, []), *extra]


# ------------------------------------------------------------------ files the cases write


def _write(name: str, text: str | bytes):
    def setup(case: Path) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        (case / name).write_bytes(data)
    return setup


def _series_text(dates: list[str], values: list[str] | None = None) -> str:
    values = values or [f"{math.sin(i / 5) + 0.01 * i:.4f}" for i in range(len(dates))]
    return "date,v\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values))


def _days(n: int, start: str = "2020-01-01") -> list[str]:
    import numpy as np

    return [str(np.datetime64(start) + i) for i in range(n)]


# name: (dates, values or None, expectation). Each is a whole series file.
SERIES_FILES: dict[str, tuple[list[str], list[str] | None, str]] = {
    "tz_mixed_z": ([d + ("T00:00:00Z" if i % 3 == 0 else "T00:00:00")
                    for i, d in enumerate(_days(50))], None, "error"),
    "tz_mixed_minus": ([d + ("T12:00:00-05:00" if i % 2 else " 12:00")
                        for i, d in enumerate(_days(50))], None, "error"),
    "tz_all_offsets": ([d + "T00:00:00+09:00" for d in _days(50)], None, "clean"),
    "tz_two_offsets": ([d + ("T00:00:00+09:00" if i % 2 else "T00:00:00+01:00")
                        for i, d in enumerate(_days(50))], None, "clean"),
    "year_9999": ([f"{9950 + i}-01-01" for i in range(40)], None, "error"),
    "year_0001": ([f"{1 + i:04d}-06-01" for i in range(40)], None, "error"),
    "year_1600s": ([f"{1600 + i}-03-01" for i in range(40)], None, "error"),
    "one_row": (_days(1), ["1.5"], "error"),
    "two_rows": (_days(2), ["1.5", "2.5"], "error"),
    "three_constant": (_days(3), ["7", "7", "7"], "error"),
    "huge_values": (_days(40), [f"{(2 + math.sin(i)) * 1e200:.3e}" for i in range(40)],
                    "error"),
    "huge_negative": (_days(40), [f"{-(2 + math.sin(i)) * 1e35:.3e}" for i in range(40)],
                      "error"),
    "tiny_values": (_days(40), [f"{(2 + math.sin(i)) * 1e-300:.3e}" for i in range(40)],
                    "error"),
    "small_values": (_days(40), [f"{(2 + math.sin(i)) * 1e-12:.3e}" for i in range(40)],
                     "clean"),
    "all_missing_target": (_days(40), [""] * 40, "error"),
    "text_values": (_days(40), ["oops" if i == 7 else str(i) for i in range(40)], "error"),
    "na_marker": (_days(40), ["n/a" if i == 7 else str(i % 9) for i in range(40)], "ok"),
    "inf_values": (_days(40), ["inf" if i == 3 else str(i % 7) for i in range(40)], "error"),
    "dates_all_same": (["2020-01-01"] * 40, None, "clean"),
    "dates_reversed": (list(reversed(_days(60))), None, "clean"),
    "dates_garbage": ([f"day {i}" for i in range(40)], None, "error"),
    "dates_empty": ([""] * 40, None, "error"),
    "dates_numbers": ([str(i) for i in range(40)], None, "clean"),
    "dates_nul": (["2020-01-01\x00"] * 40, None, "clean"),
    "dates_korean": ([f"2020년 {1 + i % 12}월" for i in range(40)], None, "clean"),
}


def series_cases() -> list[Case]:
    out = []
    for name, (dates, values, expect) in SERIES_FILES.items():
        setup = _write("s.csv", _series_text(dates, values))
        for cmd in ("train", "cv", "inspect"):
            if cmd == "inspect":
                argv, e = ["inspect", "{case}/s.csv", "--time-col", "date"], "clean"
            else:
                argv, e = _cmd(cmd, "--data", "{case}/s.csv", *SERIES), expect
                if cmd == "cv":
                    argv[argv.index("--folds") + 1] = "2"
            out.append(Case(f"series2-{name}-{cmd}", argv, e, setup, timeout=150))
    return out


# ------------------------------------------------------------------ keys of another kind

KIND_KEYS = {   # flag and value, given where the data does not read it: a warning, exit 0
    "horizon": ["--horizon", "3"], "window": ["--window", "4"], "interval": ["--interval", "0.8"],
    "difference": ["--difference", "1"], "season": ["--set", "data.season=7"],
}


def kind_cases() -> list[Case]:
    out = [Case(f"kind-{k}-on-table", _cmd("train", *TABLE, *v), "ok")
           for k, v in KIND_KEYS.items()]
    out += [Case(f"kind-{k}-on-series", _cmd("train", "--data", "{series}", *SERIES, *v), "ok")
            for k, v in {"categorical": ["--categorical", "v"],
                         "layout": ["--layout", "sequence"],
                         "numeric": ["--numeric", "v"]}.items()]
    return out


# ------------------------------------------------------------------ malformed flag values

FLAG_VALUES: dict[str, list[tuple[str, str]]] = {
    "--encoding": [("idna", "error"), ("punycode", "error"), ("undefined", "error"),
                   ("unicode_escape", "error"), ("raw_unicode_escape", "error"),
                   ("base64", "error"), ("rot13", "error"), ("nosuchcodec", "error"),
                   ("", "clean"), ("utf-32", "error"), ("cp949", "clean"),
                   ("UTF8", "ok")],
    "--sequence-shape": [("-1x-2", "error"), ("0x5", "error"), ("x", "error"),
                         ("5x", "error"), ("1.5x2", "error"), ("2x-1", "error"),
                         ("99999999999999999999x1", "error"), ("1x1x1x1", "error")],
    "--interval": [("0.2", "error"), ("1.5", "error"), ("nan", "error"), ("abc", "error"),
                   ("-0.9", "error"), ("0.8,0.8,", "clean")],
    "--image-size": [("0", "error"), ("-3", "error"), ("abc", "error"),
                     ("100000", "error")],
    "--deploy-prevalence": [("-0.5", "error"), ("1.5", "error"), ("nan", "error"),
                            ("abc", "error")],
    "--label-smoothing": [("-0.1", "error"), ("1.5", "error"), ("inf", "error")],
    "--difference": [("-1", "error"), ("abc", "error"), ("1e9", "error")],
    "--sheet": [("9999", "clean"), ("", "clean")],
}


def flag_value_cases() -> list[Case]:
    out = []
    for flag, values in FLAG_VALUES.items():
        layout = ["--layout", "sequence"] if flag == "--sequence-shape" else []
        for i, (value, expect) in enumerate(values):
            for cmd in ("train", "cv", "lr-find"):
                if cmd != "train" and expect != "error":
                    continue
                argv = _cmd(cmd, *TABLE, *layout, f"{flag}={value}")
                out.append(Case(f"flag2-{flag[2:]}-{i}-{cmd}", argv, expect))
    return out


# ------------------------------------------------------------------ start weights


def _weights(kind: str):
    def setup(case: Path) -> None:
        import torch
        from safetensors.torch import save_file

        target = case / "w.safetensors"
        if kind == "garbage":
            target.write_bytes(os.urandom(2000))
        elif kind == "empty":
            target.write_bytes(b"")
        elif kind == "text":
            target.write_text("these are not weights\n")
        elif kind == "header_lie":
            target.write_bytes((10 ** 6).to_bytes(8, "little") + b'{"a":')
        elif kind in ("nan", "inf", "shapes", "unrelated"):
            state = {"body.0.weight": torch.zeros(128, 5), "head.bias": torch.zeros(2)}
            if kind == "nan":
                state = {k: torch.full_like(v, float("nan")) for k, v in state.items()}
            elif kind == "inf":
                state["head.bias"] = torch.tensor([float("inf"), 0.0])
            elif kind == "shapes":
                state = {k: torch.zeros(3, 3) for k in state}
            else:
                state = {"something.else": torch.zeros(4)}
            save_file(state, str(target))
        elif kind == "pickle_code":       # a .pt whose unpickling would run code
            import pickle

            class Evil:
                def __reduce__(self):
                    return (os.system, (f"touch {case}/PWNED",))
            (case / "w.pt").write_bytes(pickle.dumps({"state_dict": Evil()}))
        elif kind == "empty_folder":
            (case / "wdir").mkdir()
    return setup


WEIGHT_FILES = {"garbage": "w.safetensors", "empty": "w.safetensors", "text": "w.safetensors",
                "header_lie": "w.safetensors", "nan": "w.safetensors", "inf": "w.safetensors",
                "shapes": "w.safetensors", "unrelated": "w.safetensors",
                "pickle_code": "w.pt", "empty_folder": "wdir", "missing": "none.safetensors"}


def pretrained_cases() -> list[Case]:
    out = []
    for kind, name in WEIGHT_FILES.items():
        for model in ("mlp", "tabular", "linear"):
            out.append(Case(f"pretrained-{kind}-{model}", _cmd(
                "train", *TABLE, "--model", model, "--pretrained", "{case}/" + name),
                "error", _weights(kind)))
    out.append(Case("pretrained-own-run-mlp", _cmd(
        "train", *TABLE, "--model", "mlp", "--pretrained", "{run}"), "clean",
        needs=frozenset({"run"})))
    out.append(Case("pretrained-rocket-table", _cmd(
        "train", *TABLE, "--model", "rocket", "--pretrained", "{case}/w.safetensors"),
        "error", _weights("nan")))
    out.append(Case("pretrained-alone-mlp", _cmd("train", *TABLE, "--model", "mlp",
                                                 "--pretrained"), "error"))
    return out


# ------------------------------------------------------------------ image CSVs


def _images(rows: list[tuple[str, str]], make: dict[str, str]):
    """A CSV of (path, label) rows; ``make``: file name → 'png' (a 16x16 image), 'text',
    'empty', 'dir'."""
    def setup(case: Path) -> None:
        import numpy as np
        from PIL import Image

        rng = np.random.default_rng(0)
        for name, kind in make.items():
            p = case / name
            if kind == "png":
                Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(p)
            elif kind == "text":
                p.write_text("not an image")
            elif kind == "empty":
                p.write_bytes(b"")
            elif kind == "dir":
                p.mkdir()
        (case / "img.csv").write_text("file,label\n" + "".join(
            f"{f},{lab}\n" for f, lab in rows))
    return setup


def _pngs(n: int) -> dict[str, str]:
    return {f"i{i}.png": "png" for i in range(n)}


def image_cases() -> list[Case]:
    good = [(f"i{i}.png", "ab"[i % 2]) for i in range(12)]
    kinds = {
        "all_missing": ([(f"nope{i}.png", "ab"[i % 2]) for i in range(12)], {}, "error"),
        "all_text": (good, {f"i{i}.png": "text" for i in range(12)}, "error"),
        "all_empty": (good, {f"i{i}.png": "empty" for i in range(12)}, "error"),
        "all_dirs": (good, {f"i{i}.png": "dir" for i in range(12)}, "error"),
        "empty_paths": ([("", "ab"[i % 2]) for i in range(12)], {}, "error"),
        "one_class": ([(f, "a") for f, _ in good], _pngs(12), "error"),
        "label_per_image": ([(f, f) for f, _ in good], _pngs(12), "error"),
        "header_only": ([], {}, "error"),
        "etc_passwd": ([("/etc/passwd", "ab"[i % 2]) for i in range(12)], {}, "error"),
        "dev_zero": ([("/dev/zero", "ab"[i % 2]) for i in range(12)], {}, "error"),
        "newline_in_label": ([(f, "a\nb" if i == 0 else "ab"[i % 2])
                              for i, (f, _) in enumerate(good)], _pngs(12), "clean"),
        "some_missing": (good + [("gone.png", "a")], _pngs(12), "clean"),
    }
    out = []
    for name, (rows, make, expect) in kinds.items():
        argv = _cmd("train", "--data", "{case}/img.csv", "--image-col", "file", "--target",
                    "label", "--image-size", "16")
        out.append(Case(f"imagecsv-{name}-train", argv, expect, _images(rows, make),
                        timeout=150))
        out.append(Case(f"imagecsv-{name}-inspect", ["inspect", "{case}/img.csv"], "clean",
                        _images(rows, make)))
    out.append(Case("imagecsv-wrong-column", _cmd(
        "train", "--data", "{case}/img.csv", "--image-col", "nope", "--target", "label"),
        "error", _images(good, _pngs(12))))
    out.append(Case("imagecsv-target-is-path", _cmd(
        "train", "--data", "{case}/img.csv", "--image-col", "file", "--target", "file"),
        "error", _images(good, _pngs(12))))
    return out


# ------------------------------------------------------------------ arguments not UTF-8

BAD_NAME = os.fsdecode(b"bad\xff\xfe")


def not_utf8_cases() -> list[Case]:
    runs = frozenset({"run"})
    return [
        Case("bytes-data-train", _cmd("train", "--data", "{case}/" + BAD_NAME + ".csv",
                                      "--target", "y"), "error"),
        Case("bytes-output-train", _cmd("train", *TABLE, "--output", "{case}/" + BAD_NAME),
             "error"),
        Case("bytes-name-train", _cmd("train", *TABLE, "--name", BAD_NAME), "error"),
        Case("bytes-target-train", _cmd("train", "--data", "{data}", "--target", BAD_NAME),
             "error"),
        Case("bytes-set-train", _cmd("train", *TABLE, "--set", "output.name=" + BAD_NAME),
             "error"),
        Case("bytes-predict-output", ["predict", "{run}", "--data", "{data}", "--output",
                                      "{case}/" + BAD_NAME + ".csv"], "error", needs=runs),
        Case("bytes-evaluate-run", ["evaluate", "{case}/" + BAD_NAME], "error"),
        Case("bytes-summary-run", ["summary", "{case}/" + BAD_NAME], "error"),
        Case("bytes-export-run", ["export", "{case}/" + BAD_NAME], "error"),
        Case("bytes-inspect-file", ["inspect", "{case}/" + BAD_NAME], "error"),
        Case("bytes-runs-root", ["runs", "{case}/" + BAD_NAME], "error"),
        Case("bytes-cv-data", _cmd("cv", "--data", "{case}/" + BAD_NAME, "--target", "y"),
             "error"),
    ]


# ------------------------------------------------------------------ an ASCII terminal

KOREAN_CSV = "이름,값,점수,y\n" + "".join(
    f"가{i},{i * 1.5},{(i * 7) % 11},{'예' if i % 2 else '아니오'}\n" for i in range(60))


def terminal_cases() -> list[Case]:
    env = {"PYTHONIOENCODING": "ascii"}
    setup = _write("k.csv", KOREAN_CSV)
    return [
        Case("ascii-inspect-korean", ["inspect", "{case}/k.csv"], "ok", setup, env=env),
        Case("ascii-train-korean", _cmd("train", "--data", "{case}/k.csv", "--target", "y"),
             "ok", setup, env=env),
        Case("ascii-error-korean-path", ["train", "--data", "{case}/없는파일.csv"], "error",
             env=env),
        Case("ascii-datasets", ["datasets"], "ok", env=env),
        Case("ascii-recipes", ["recipes"], "ok", env=env),
        Case("ascii-summary-ko", ["--lang", "ko", "summary", "--model", "mlp",
                                  "--input-shape", "4"], "clean", env=env),
        Case("latin1-inspect-korean", ["inspect", "{case}/k.csv"], "ok", setup,
             env={"PYTHONIOENCODING": "latin-1"}),
    ]


# ------------------------------------------------------------------ predict and evaluate data

RUN_DATA = {   # the trained run's columns are x1, x2, color, g, y (yes/no)
    "header_only": ("x1,x2,color,g,y\n", "error", "error"),
    "no_feature_columns": ("a,b\n1,2\n3,4\n", "error", "error"),
    "text_in_numbers": ("x1,x2,color,g,y\nabc,1,red,A,yes\n2,def,blue,B,no\n", "clean", "clean"),
    "unseen_target": ("x1,x2,color,g,y\n1,2,red,A,maybe\n2,1,blue,B,perhaps\n", "ok", "error"),
    "numeric_target": ("x1,x2,color,g,y\n1,2,red,A,1\n2,1,blue,B,0\n", "ok", "error"),
    "empty_target": ("x1,x2,color,g,y\n1,2,red,A,\n2,1,blue,B,\n", "ok", "error"),
    "only_target": ("y\nyes\nno\n", "error", "error"),
    "bom_and_crlf": ("\ufeffx1,x2,color,g,y\r\n1,2,red,A,yes\r\n2,1,blue,B,no\r\n", "ok",
                     "clean"),
    "unicode_values": ("x1,x2,color,g,y\n1,2,빨강,A,yes\n2,1,파랑,B,no\n", "ok", "clean"),
    "huge_numbers": ("x1,x2,color,g,y\n1e308,-1e308,red,A,yes\n2,1,blue,B,no\n", "clean",
                     "clean"),
    "one_row": ("x1,x2,color,g,y\n1,2,red,A,yes\n", "ok", "clean"),
    "duplicate_columns": ("x1,x1,color,g,y\n1,2,red,A,yes\n2,1,blue,B,no\n", "error", "error"),
}


def run_data_cases() -> list[Case]:
    out = []
    runs = frozenset({"run"})
    for name, (text, predict, evaluate) in RUN_DATA.items():
        setup = _write("n.csv", text)
        out.append(Case(f"rundata-{name}-predict", ["predict", "{run}", "--data", "{case}/n.csv",
                                                    "--output", "{case}/out.csv"],
                        predict, setup, needs=runs))
        out.append(Case(f"rundata-{name}-evaluate", ["evaluate", "{run}", "--data",
                                                     "{case}/n.csv"], evaluate, setup,
                        needs=runs))
    return out


# ------------------------------------------------------------------ summary, export, runs

SUMMARY_SHAPES = [("-1", "error"), ("0", "error"), ("abc", "error"), ("3x0x4", "error"),
                  ("1x1x1x1x1x1", "clean"), ("99999999999", "error"), ("", "error"),
                  ("4", "ok"), ("1x28x28", "ok")]


def misc_cases() -> list[Case]:
    out = []
    for i, (shape, expect) in enumerate(SUMMARY_SHAPES):
        for model in ("mlp", "cnn", "lstm"):
            e = expect if model == "mlp" or expect == "error" else "clean"
            out.append(Case(f"summary2-shape{i}-{model}", ["summary", "--model", model,
                                                           f"--input-shape={shape}"], e))
    for fmt in ("nope", "", "ONNX", "torchscript;rm"):
        out.append(Case(f"export2-format-{fmt or 'empty'}", ["export", "{run}", "--format",
                                                             fmt], "clean",
                        needs=frozenset({"run"})))
    for name, path in (("file", "{data}"), ("dev_null", "/dev/null"), ("missing", "{case}/no"),
                       ("root", "/")):
        out.append(Case(f"runs2-{name}", ["runs", path], "clean"))
    return out


def cli_cases() -> list[Case]:
    return (series_cases() + kind_cases() + flag_value_cases() + pretrained_cases()
            + image_cases() + not_utf8_cases() + terminal_cases() + run_data_cases()
            + misc_cases())


# ------------------------------------------------------------------ the Python API

def _bad_values():
    import numpy as np
    import pandas as pd
    import torch

    return {
        "none": None, "int": 5, "negative": -1, "float": 1.5, "nan": float("nan"),
        "bool": True, "empty_str": "", "word": "nope", "bytes": b"data.csv", "empty_list": [],
        "list": [1, 2], "empty_dict": {}, "dict": {"a": 1}, "object": object(),
        "array0": np.zeros(0), "array_0x3": np.zeros((0, 3)), "frame_empty": pd.DataFrame(),
        "function": len, "tensor_nan": torch.tensor([float("nan")]),
        "not_utf8_path": os.fsdecode(b"x\xff.csv"),
    }


BAD_VALUES = ["none", "int", "negative", "float", "nan", "bool", "empty_str", "word", "bytes",
              "empty_list", "list", "empty_dict", "dict", "object", "array0", "array_0x3",
              "frame_empty", "function", "tensor_nan", "not_utf8_path"]

# function: (how to call it with the bad value ``v``, values it legitimately takes to mean
# its default — run with them it would train on the default data, so they are left out).
API_FUNCTIONS = {
    "fit": ("hakseup.fit(v, target='y', epochs=1, progress=False, quiet=True)", set()),
    "fit_target": ("hakseup.fit(ctx['df'], target=v, epochs=1, progress=False, quiet=True, "
                   "plots=False, tensorboard=False)", {"none", "empty_str"}),
    "fit_callbacks": ("hakseup.fit(ctx['df'], target='y', callbacks=v, epochs=1, "
                      "progress=False)", {"none", "empty_list"}),
    "fit_setting": ("hakseup.fit(ctx['df'], target='y', epochs=v, progress=False)", {"none"}),
    "train": ("hakseup.train(v)", {"none", "empty_dict"}),
    "train_resume": ("hakseup.train(hakseup.RunConfig(), resume=v)", {"none"}),
    "Experiment": ("hakseup.Experiment(v)", {"none", "empty_dict"}),
    "Trainer": ("hakseup.Trainer(v)", {"none"}),
    "Trainer_fit": ("hakseup.Trainer().fit(v, v)", set()),
    "load_data": ("hakseup.load_data(v)", set()),
    "build_model": ("hakseup.build_model(v, ctx['schema'])", set()),
    "build_model_schema": ("hakseup.build_model(hakseup.ModelConfig(name='mlp'), v)", set()),
    "evaluate_run": ("hakseup.evaluate_run(v)", set()),
    "predict_frame": ("hakseup.predict_frame(ctx['run'], v)", set()),
    "predict": ("ctx['result'].predict(v)", set()),
    "list_runs": ("hakseup.list_runs(v)", set()),
    "load_checkpoint": ("hakseup.load_checkpoint(v)", set()),
    "save_checkpoint": ("hakseup.save_checkpoint('ck', v)", set()),
    "load_config": ("hakseup.load_config(v)", {"none"}),
    "predict_split": ("hakseup.predict_split(ctx['model'], v)", set()),
    "EarlyStopping": ("hakseup.EarlyStopping(monitor=v)", set()),
    "ModelCheckpoint": ("hakseup.ModelCheckpoint(v)", set()),
    "MetricsLogger": ("hakseup.MetricsLogger(v)", set()),
    "TensorBoardLogger": ("hakseup.TensorBoardLogger(v)", set()),
}


def api_cases() -> list[tuple[str, str, str]]:
    """(id, code, value name) of every API case."""
    return [(f"api-{fn}-{value}", code, value) for fn, (code, skip) in API_FUNCTIONS.items()
            for value in BAD_VALUES if value not in skip]


def _context(root: Path) -> dict:
    import numpy as np
    import pandas as pd
    import torch

    import hakseup
    from hakseup.data.bundle import Schema

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40),
                       "y": ["p", "q"] * 20})
    result = hakseup.fit(df, target="y", epochs=1, progress=False, quiet=True, plots=False,
                         tensorboard=False, dir=str(root / "run"))
    return {"df": df, "result": result, "run": str(root / "run"),
            "schema": Schema("binary", "table", (2,), 2, class_names=["p", "q"],
                             numeric_features=["a", "b"]),
            "model": torch.nn.Linear(2, 2)}


def _one(code: str, value, ctx: dict, folder: Path, timeout: int) -> str | None:
    """None when the call returned or raised one short HakseupError line; else the problem."""
    import hakseup

    folder.mkdir()
    os.chdir(folder)
    tempfile.tempdir = str(folder / "tmp")
    (folder / "tmp").mkdir()
    signal.alarm(timeout)
    try:
        eval(code, {"hakseup": hakseup, "ctx": ctx, "v": value})   # noqa: S307 - our own code
        problem = None
    except hakseup.HakseupError as e:
        msg = str(e)
        problem = None if "\n" not in msg and 0 < len(msg) < 400 else f"message: {msg[:300]!r}"
    except _Hang:
        problem = f"HANG: no answer within {timeout} s"
    except BaseException as e:  # noqa: BLE001 - what the corpus looks for
        problem = f"{type(e).__name__}: {str(e)[:200]} @ " + traceback.format_exc(
            ).strip().splitlines()[-3].strip()[:200]
    finally:
        signal.alarm(0)
        tempfile.tempdir = None
    left = [p.name for p in (folder / "tmp").iterdir()]
    if left and problem is None:
        problem = f"left in the temporary folder: {left[:3]}"
    return problem


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def run_api(results: Path, root: Path, timeout: int = 60) -> None:
    """Every API case, one JSON line each in ``results``: {id, problem}."""
    import warnings

    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _alarm)
    values = _bad_values()
    ctx = _context(root)
    outside = set(os.listdir(root))
    with open(results, "w") as f:
        for i, (cid, code, value) in enumerate(api_cases()):
            problem = _one(code, values[value], ctx, root / f"c{i}", timeout)
            now = set(os.listdir(root)) - outside - {f"c{j}" for j in range(i + 1)}
            if now and problem is None:
                problem = f"wrote outside its folder: {sorted(now)[:3]}"
            f.write(json.dumps({"id": cid, "problem": problem}) + "\n")
            f.flush()


if __name__ == "__main__" and sys.argv[1:2] == ["api"]:
    run_api(Path(sys.argv[2]), Path(sys.argv[3]))
