"""The hostile corpus: every command against bad files, configs, flags, folders, damaged runs
and misbehaving download servers. tests/test_hostile.py runs each case in a subprocess.

A case's ``argv`` may name placeholders filled in per case: ``{case}`` (its folder), ``{data}``
(a good CSV), ``{series}`` (a good time series), ``{file}`` (the hostile file), ``{run}`` and
``{run2}`` (copies of a trained run), ``{url}`` (the hostile HTTP server on 127.0.0.1) and
``{full}`` (a tiny tmpfs, when mounting works).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hostile_files import CONFIG_TEXTS, FILE_KINDS, RUN_DAMAGES

__all__ = ["Case", "all_cases", "FAST_IDS"]

QUICK = ["--epochs", "1", "--no-progress", "--no-tensorboard", "--set", "output.plots=false"]
TUNE_YAML = ("data: {{path: '{file}', target: y}}\ntrain: {{epochs: 1, progress: false, "
             "tensorboard: false}}\noutput: {{plots: false}}\ntune: {space}\n")
LR_SPACE = "{train.lr: {low: 1.0e-4, high: 1.0e-2, log: true}}"


@dataclass
class Case:
    id: str
    argv: list[str]
    expect: str = "error"                  # error | ok | clean (either, but clean)
    setup: Callable[[Path], None] | None = None
    needs: frozenset = frozenset()         # run, server, tmpfs, file:<kind>
    env: dict = field(default_factory=dict)
    allow_failed_run: bool = False         # a run folder marked failed is an honest record
    timeout: int = 150


def _file_cmds(kind: str) -> dict[str, list[str]]:
    return {
        "train": ["train", "--data", "{file}", "--target", "y", *QUICK],
        "cv": ["cv", "--data", "{file}", "--target", "y", "--folds", "2", *QUICK],
        "lr-find": ["lr-find", "--data", "{file}", "--target", "y", "--steps", "10",
                    "--no-progress"],
        "tune": ["tune", "{case}/tune.yaml", "--trials", "1"],
        "inspect": ["inspect", "{file}", "--target", "y"],
        "adjust": ["adjust", "{file}", "--treatment", "g", "--outcome", "x1", "--confounder",
                   "color"],
        "predict": ["predict", "{run}", "--data", "{file}", "--output", "{case}/pred.csv"],
        "evaluate": ["evaluate", "{run}", "--data", "{file}"],
    }


# Problems of a file's contents that only training (or evaluate) cares about.
CONTENT_KINDS = {"single_class", "target_overflow", "target_inf", "target_empty", "three_rows",
                 "text_in_numeric", "inf_in_numeric", "one_column", "unicode_names",
                 "duplicate_names", "ragged"}


def _write_tune_yaml(space: str, file_key: str = "{data}"):
    def setup(case: Path) -> None:
        made = sorted(case.glob("d.*")) or [case / "d.csv"]   # d.csv, d.zip, d.parquet, ...
        path = str(made[0]) if file_key == "{file}" else str(case / "base.csv")
        (case / "tune.yaml").write_text(TUNE_YAML.format(file=path, space=space))
    return setup


# Kinds that are about the file itself (every command opens it): tried on every command.
FILE_LEVEL = {"missing", "folder", "empty", "unreadable", "symlink_loop", "dangling_link", "fifo",
              "dev_zero", "dev_null", "dev_urandom", "zip", "nul_bytes", "random_binary",
              "bad_utf8_late", "cr_only", "gzip_truncated", "gzip_damaged", "bz2_damaged",
              "parquet_truncated", "xlsx_not_zip", "xlsx_garbage_zip", "zip_encrypted",
              "zip_two_csv", "zip_no_csv", "zip_bomb"}


BIG_KINDS = {"bad_utf8_late"}


def file_cases() -> list[Case]:
    out = []
    for kind, (_, expect) in FILE_KINDS.items():
        for cmd, argv in _file_cmds(kind).items():
            if kind not in FILE_LEVEL and cmd not in ("train", "inspect", "predict"):
                continue
            if kind in CONTENT_KINDS and cmd in ("inspect", "adjust", "predict"):
                e = "clean"
            elif kind in CONTENT_KINDS and cmd == "lr-find":
                continue
            else:
                e = expect
            needs = {f"file:{kind}"} | ({"run"} if cmd in ("predict", "evaluate") else set())
            setup = _write_tune_yaml(LR_SPACE, "{file}") if cmd == "tune" else None
            # A 4.5 MB file trains on 130,000 rows: seconds alone, minutes beside CI's other
            # heavy cases on two cores. Its own limit keeps a real hang caught.
            timeout = 450 if kind in BIG_KINDS else 150
            out.append(Case(f"file-{kind}-{cmd}", argv, e, setup, frozenset(needs),
                            timeout=timeout))
    return out


def config_file_cases() -> list[Case]:
    out = []
    for name, (text, expect) in CONFIG_TEXTS.items():
        def setup(case: Path, text=text) -> None:
            body = text.replace("{data}", str(case / "base.csv"))
            (case / "c.yaml").write_bytes(body.encode("utf-8", "surrogateescape"))
        cmds = ("train", "cv", "tune", "lr-find") if "bomb" in name or "duplicate" in name \
            else ("train",)
        for cmd in cmds:
            extra = {"cv": ["--folds", "2"], "tune": ["--trials", "1"],
                     "lr-find": ["--steps", "10"]}.get(cmd, [])
            out.append(Case(f"yaml-{name}-{cmd}", [cmd, "{case}/c.yaml", *extra], expect, setup))
    for name, target in (("missing", "{case}/none.yaml"), ("folder", "{case}"),
                         ("dev_zero", "/dev/zero"), ("fifo", "{case}/fifo.yaml"),
                         ("loop", "{case}/loop.yaml")):
        def setup(case: Path, name=name) -> None:
            if name == "fifo":
                os.mkfifo(case / "fifo.yaml")
            if name == "loop":
                os.symlink(case / "loop.yaml", case / "loop.yaml")
        out.append(Case(f"yaml-{name}-train", ["train", target], "error", setup))
    return out


_SERIES_FLAGS = ["--data", "{series}", "--time-col", "date", "--target", "v", "--window", "5"]
# (id, extra argv, expectation, commands)
FLAG_CASES = [
    ("seed_2pow32", ["--seed", "4294967296"], "error", "tcl"),
    ("seed_2pow64", ["--seed", str(2 ** 64)], "error", "t"),
    ("seed_negative", ["--seed", "-1"], "error", "t"),
    ("seed_text", ["--seed", "abc"], "error", "t"),
    ("seed_max", ["--seed", "4294967295"], "ok", "t"),
    ("hidden_zero", ["--model", "mlp", "--hidden", "0"], "error", "tclu"),
    ("hidden_negative", ["--model", "mlp", "--hidden", "-4"], "error", "t"),
    ("hidden_huge", ["--model", "mlp", "--hidden", str(10 ** 9)], "error", "tcl"),
    ("hidden_text", ["--model", "mlp", "--hidden", "a,b"], "error", "t"),
    ("hidden_one_zero", ["--model", "tabular", "--hidden", "64,0"], "error", "t"),
    ("lstm_hidden_huge", ["--model", "lstm", "--set", "model.hidden_size=1000000000"], "error",
     "t"),
    ("layers_huge", ["--model", "lstm", "--set", "model.layers=1000000"], "error", "t"),
    ("channels_zero", ["--model", "cnn", "--set", "model.channels=[0]"], "error", "t"),
    ("embedding_huge", ["--model", "tabular", "--set", "model.embedding_dim=1000000000"],
     "error", "t"),
    ("optimizer_lbfgs", ["--optimizer", "lbfgs"], "error", "tclu"),
    ("optimizer_sparseadam", ["--optimizer", "sparseadam"], "error", "tcl"),
    ("optimizer_unknown", ["--optimizer", "adamm"], "error", "t"),
    ("optimizer_base", ["--optimizer", "optimizer"], "error", "t"),
    ("lr_negative", ["--lr", "-1"], "error", "t"),
    ("lr_nan", ["--lr", "nan"], "error", "t"),
    ("lr_text", ["--lr", "fast"], "error", "t"),
    ("lr_huge", ["--lr", "1e5"], "error", "t"),
    ("epochs_zero", ["--epochs", "0"], "error", "tc"),
    ("epochs_text", ["--epochs", "ten"], "error", "t"),
    ("epochs_fraction", ["--epochs", "1.5"], "error", "t"),
    ("batch_zero", ["--batch-size", "0"], "error", "t"),
    ("batch_huge", ["--batch-size", str(10 ** 9)], "clean", "t"),
    ("delimiter_multi", ["--set", "data.delimiter=::"], "error", "tcl"),
    ("delimiter_word", ["--set", "data.delimiter=ab"], "error", "t"),
    ("delimiter_quote", ["--set", "data.delimiter='\"'"], "error", "t"),
    ("delimiter_newline", ["--set", "data.delimiter=\"\\n\""], "error", "t"),
    ("test_size_zero", ["--set", "data.test_size=0"], "error", "tcl"),
    ("test_size_negative", ["--set", "data.test_size=-0.1"], "error", "t"),
    ("test_size_huge", ["--set", "data.test_size=1000000000"], "error", "t"),
    ("sizes_over_one", ["--set", "data.val_size=0.6", "--set", "data.test_size=0.6"], "error",
     "t"),
    ("val_size_zero", ["--set", "data.val_size=0"], "clean", "t"),
    ("scheduler_unknown", ["--scheduler", "bogus"], "error", "t"),
    ("precision_bad", ["--precision", "8"], "error", "t"),
    ("device_tpu", ["--device", "tpu"], "error", "t"),
    ("device_mps", ["--device", "mps"], "clean", "t"),
    ("workers_negative", ["--workers", "-1"], "error", "t"),
    ("workers_huge", ["--workers", "1000000"], "error", "t"),
    ("threads_zero", ["--threads", "0"], "error", "t"),
    ("threads_word", ["--threads", "lots"], "error", "t"),
    ("checkpoint_negative", ["--checkpoint-every", "-1"], "error", "t"),
    ("patience_zero", ["--patience", "0"], "error", "t"),
    ("grad_clip_negative", ["--set", "train.grad_clip=-1"], "error", "t"),
    ("dropout_over_one", ["--set", "model.dropout=1.5"], "error", "t"),
    ("momentum_adam", ["--set", "train.momentum=0.9"], "error", "t"),
    ("gamma_nan", ["--set", "train.gamma=.nan"], "error", "t"),
    ("milestones_negative", ["--scheduler", "multistep", "--set", "train.milestones=[-1]"],
     "error", "t"),
    ("monitor_unknown", ["--patience", "2", "--set", "train.monitor=val_bogus"], "error", "t"),
    ("task_binary_3class", ["--target", "color", "--task", "binary"], "error", "t"),
    ("task_regression_text", ["--task", "regression"], "error", "t"),
    ("layout_image_text", ["--layout", "image"], "error", "t"),
    ("sequence_shape_zero", ["--drop", "color,g", "--layout", "sequence", "--sequence-shape",
                             "0x2"], "error", "t"),
    ("sequence_shape_text", ["--drop", "color,g", "--layout", "sequence", "--sequence-shape",
                             "abc"], "error", "t"),
    ("target_missing", ["--target", "nope"], "error", "tc"),
    ("categorical_missing", ["--categorical", "nope"], "error", "t"),
    ("drop_target", ["--drop", "y"], "clean", "t"),
    ("drop_everything", ["--drop", "x1,x2,color,g"], "error", "t"),
    ("model_unknown", ["--model", "nosuchnet"], "error", "t"),
    ("model_etc_passwd", ["--model", "/etc/passwd:Net"], "error", "t"),
    ("model_syntax_error", ["--model", "{case}/bad_syntax.py:Net"], "error", "t"),
    ("model_import_raises", ["--model", "{case}/raises.py:Net"], "error", "t"),
    ("model_no_class", ["--model", "{case}/raises_not.py:Missing"], "error", "t"),
    ("model_not_a_module", ["--model", "{case}/raises_not.py:helper"], "error", "t"),
    ("model_init_raises", ["--model", "{case}/raises_not.py:BadInit"], "error", "t"),
    ("model_wrong_output", ["--model", "{case}/raises_not.py:WrongShape"], "error", "t"),
    ("dataset_unknown", ["--dataset", "nosuch"], "error", "t"),
    ("season_zero", [*_SERIES_FLAGS, "--set", "data.season=0"], "error", "t"),
    ("season_impossible", [*_SERIES_FLAGS, "--set", "data.season=1000000"], "error", "tc"),
    ("season_negative", [*_SERIES_FLAGS, "--set", "data.season=-3"], "error", "t"),
    ("window_zero", [*_SERIES_FLAGS[:-2], "--window", "0"], "error", "t"),
    ("window_huge", [*_SERIES_FLAGS[:-2], "--window", "100000"], "error", "tc"),
    ("horizon_huge", [*_SERIES_FLAGS, "--horizon", "100000"], "error", "t"),
    ("recipe_parent", ["--recipe", "../recipes/digits-mlp"], "error", "tcl"),
    ("recipe_absolute", ["--recipe", "/etc/passwd"], "error", "t"),
    ("recipe_dotdot", ["--recipe", ".."], "error", "t"),
    ("recipe_unknown", ["--recipe", "nosuch"], "error", "t"),
    ("recipe_empty", ["--recipe", ""], "error", "t"),
    ("recipe_suffix", ["--recipe", "digits-mlp.yaml"], "error", "t"),
    ("recipe_escape_file", ["--recipe", "{case}/evil"], "error", "t"),
    ("set_no_equals", ["--set", "noequals"], "error", "t"),
    ("set_empty_key", ["--set", "train.=1"], "error", "t"),
    ("set_dot", ["--set", ".=1"], "error", "t"),
    ("set_deep", ["--set", "train.lr.x=1"], "error", "t"),
    ("set_section", ["--set", "train=5"], "error", "t"),
    ("set_bad_yaml", ["--set", "train.lr=[1,"], "error", "t"),
    ("set_tune_scalar", ["--set", "tune=5"], "error", "tu"),
    ("set_bomb", ["--set", "data.drop=" + "[" * 2000], "error", "t"),
]
_CMD = {"t": "train", "c": "cv", "l": "lr-find", "u": "tune"}


def _custom_models(case: Path) -> None:
    (case / "bad_syntax.py").write_text("class Net(:\n")
    (case / "raises.py").write_text("raise RuntimeError('boom at import')\n")
    (case / "raises_not.py").write_text(
        "import torch\n\ndef helper():\n    return 1\n\n"
        "class BadInit(torch.nn.Module):\n    def __init__(self, n_outputs):\n"
        "        raise ValueError('cannot build')\n\n"
        "class WrongShape(torch.nn.Module):\n    def __init__(self, n_outputs):\n"
        "        super().__init__()\n        self.w = torch.nn.Parameter(torch.zeros(1))\n"
        "    def forward(self, x, *rest):\n        return self.w.expand(3, 7, 2)\n")
    (case / "evil.yaml").write_text("train: {epochs: 1}\n")


def flag_cases() -> list[Case]:
    out = []
    for name, extra, expect, cmds in FLAG_CASES:
        data = [] if "--data" in extra or "--dataset" in extra else ["--data", "{data}"]
        if "--target" not in extra and not data == []:
            data += ["--target", "y"]
        for c in cmds:
            cmd = _CMD[c]
            if cmd == "tune":
                argv = ["tune", "{case}/tune.yaml", "--trials", "1", *extra]
                setup = _both(_custom_models, _write_tune_yaml(LR_SPACE))
            else:
                more = {"cv": ["--folds", "2"], "lr-find": ["--steps", "10"]}.get(cmd, [])
                argv = [cmd, *data, *QUICK, *more, *extra]
                setup = _custom_models
            out.append(Case(f"flag-{name}-{cmd}", argv, expect, setup))
    return out


def _both(a, b):
    return lambda case: (a(case), b(case))


TUNE_SPACES = {
    "low_above_high": ("{train.lr: {low: 1, high: 0}}", "error"),
    "low_text": ("{train.lr: {low: abc, high: 1}}", "error"),
    "log_zero": ("{train.lr: {low: 0, high: 1, log: true}}", "error"),
    "log_text": ("{train.lr: {low: 1.0e-4, high: 0.1, log: maybe}}", "error"),
    "step_negative": ("{train.batch_size: {low: 8, high: 64, step: -8}}", "error"),
    "step_text": ("{train.batch_size: {low: 8, high: 64, step: big}}", "error"),
    "step_zero": ("{train.batch_size: {low: 8, high: 64, step: 0}}", "error"),
    "step_too_big": ("{train.batch_size: {low: 8, high: 64, step: 1000}}", "clean"),
    "empty_choices": ("{model.hidden: []}", "error"),
    "scalar_spec": ("{train.lr: 0.1}", "error"),
    "null_spec": ("{train.lr: null}", "error"),
    "unknown_setting": ("{train.lr: {low: 0.001, high: 0.1, foo: 1}}", "error"),
    "unknown_key": ("{train.lrr: {low: 0.001, high: 0.1}}", "error"),
    "hidden_zero_choice": ("{model.hidden: [[0], [-1]]}", "error"),
    "epochs_negative": ("{train.epochs: {low: -5, high: -1}}", "error"),
    "batch_zero_range": ("{train.batch_size: {low: 0, high: 4}}", "error"),
    "seed_huge": ("{train.seed: {low: 0, high: 1.0e+20}}", "error"),
    "optimizer_lbfgs": ("{train.optimizer: [lbfgs]}", "error"),
    "optimizer_unknown": ("{train.optimizer: [adam, nosuch]}", "error"),
    "bool_range": ("{train.epochs: {low: true, high: 2}}", "error"),
    "nan_low": ("{train.lr: {low: .nan, high: 1}}", "error"),
    "dict_choices": ("{model.hidden: [{a: 1}]}", "error"),
    "path_choices": ("{data.path: [/etc/passwd]}", "error"),
    "tune_list": ("[1, 2]", "error"),
    "tune_scalar": ("5", "error"),
    "section_key": ("{train: {low: 1, high: 2}}", "error"),
    "dropout_range": ("{model.dropout: {low: 0.5, high: 3.0}}", "error"),
    "empty": ("{}", "error"),
}


def tune_cases() -> list[Case]:
    out = [Case(f"tune-space-{name}", ["tune", "{case}/tune.yaml", "--trials", "2"], expect,
                _write_tune_yaml(space)) for name, (space, expect) in TUNE_SPACES.items()]
    for name, extra in (("trials_zero", ["--trials", "0"]), ("trials_negative", ["--trials", "-1"]),
                        ("trials_text", ["--trials", "x"]), ("folds_one", ["--folds", "1"]),
                        ("folds_negative", ["--folds", "-3"]),
                        ("folds_huge", ["--folds", "100000"])):
        out.append(Case(f"tune-{name}", ["tune", "{case}/tune.yaml", *extra], "error",
                        _write_tune_yaml(LR_SPACE)))
    for name, extra in (("steps_negative", ["--steps", "-5"]), ("steps_text", ["--steps", "x"]),
                        ("steps_few", ["--steps", "5"]), ("start_zero", ["--start-lr", "0"]),
                        ("end_nan", ["--end-lr", "nan"]),
                        ("start_above_end", ["--start-lr", "10", "--end-lr", "1"]),
                        ("seeds_zero", ["--seeds", "0"]), ("seeds_many", ["--seeds", "100"])):
        out.append(Case(f"lrfind-{name}", ["lr-find", "--data", "{data}", "--target", "y",
                                           *extra], "error"))
    for name, extra in (("zero", ["--folds", "0"]), ("one", ["--folds", "1"]),
                        ("negative", ["--folds", "-2"]), ("text", ["--folds", "x"]),
                        ("huge", ["--folds", "100000"])):
        out.append(Case(f"cv-folds-{name}", ["cv", "--data", "{data}", "--target", "y", *QUICK,
                                             *extra], "error"))
    return out
