"""The second hostile corpus on files (issue 24): where an output may go, image folders and
CSVs of images, Parquet types, inflating workbooks, --storage databases, hand-edited run
folders. Run by tests/hostile/test_hostile.py like the first corpora (each case in a child
process, a timeout, nothing left behind); every case is in the slow suite.

Placeholders as in hostile_cases.py: ``{case}``, ``{data}``, ``{run}``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
from hostile_cases import LR_SPACE, QUICK, Case, _write_tune_yaml
from hostile_files import BASE_COLUMNS, base_rows

__all__ = ["files2_cases"]

PREDICT = ["predict", "{run}", "--data", "{data}", "--output"]
IMAGE_TRAIN = ["train", "--model", "mlp", "--hidden", "8", "--image-size", "8", *QUICK]


# ---------------------------------------------------------------- where an output goes

def _link(name: str, to: str):
    def setup(case: Path) -> None:
        (case / name).symlink_to(to.replace("{case}", str(case)))
    return setup


def _shared_link(case: Path) -> None:
    (case / "shared").mkdir()
    (case / "shared" / "p.csv").write_text("old\n")
    (case / "latest.csv").symlink_to(case / "shared" / "p.csv")


def _fifo(name: str):
    def setup(case: Path) -> None:
        os.mkfifo(case / name)
    return setup


def _stale_temp(case: Path) -> None:
    # What kill -9 during a write leaves (the writer's pid in the name, that process gone).
    (case / ".o.csv.999999999.abc123.tmp").write_text("half a file")


_PREDICT_OUT = [
    ("run_json", "{run}/run.json", "error", None),
    ("run_schema", "{run}/schema.json", "error", None),
    ("run_config", "{run}/config.yaml", "error", None),
    ("run_weights", "{run}/checkpoints/best/model.safetensors", "error", None),
    ("run_state", "{run}/checkpoints/last/state.json", "error", None),
    ("run_new_file", "{run}/predictions.csv", "error", None),
    ("run_new_folder", "{run}/out/p.csv", "error", None),
    ("link_to_run_json", "{case}/l.csv", "error", _link("l.csv", "{case}/run/run.json")),
    ("link_to_run_folder", "{case}/lr/p.csv", "error", _link("lr", "{case}/run")),
    ("link_to_input", "{case}/l.csv", "error", _link("l.csv", "{case}/base.csv")),
    ("link_through", "{case}/latest.csv", "ok", _shared_link),
    ("link_dangling", "{case}/l.csv", "ok", _link("l.csv", "{case}/made.csv")),
    ("link_dev_full", "{case}/l.csv", "error", _link("l.csv", "/dev/full")),
    ("link_dev_null", "{case}/l.csv", "error", _link("l.csv", "/dev/null")),
    ("dev_full", "/dev/full", "error", None),
    ("dev_null", "/dev/null", "error", None),
    ("dev_zero", "/dev/zero", "error", None),
    # a terminal or pipe is refused; a redirect to a file is written through (the link)
    ("dev_stdout", "/dev/stdout", "clean", None),
    ("fifo", "{case}/o.csv", "error", _fifo("o.csv")),
    ("link_fifo", "{case}/l.csv", "error",
     lambda c: (_fifo("f")(c), _link("l.csv", "{case}/f")(c))),
    ("xlsx", "{case}/o.xlsx", "ok", None),
    ("csv_gz", "{case}/o.csv.gz", "ok", None),
    ("csv_bz2", "{case}/o.csv.bz2", "ok", None),
    ("tsv", "{case}/o.tsv", "ok", None),
    ("parquet", "{case}/o.parquet", "ok", None),
    ("no_suffix", "{case}/o", "ok", None),
    ("xls", "{case}/o.xls", "error", None),
    ("json", "{case}/o.json", "error", None),
    ("zip", "{case}/o.zip", "error", None),
    ("parquet_gz", "{case}/o.parquet.gz", "error", None),
    ("pt", "{case}/o.pt", "error", None),
    ("stale_tmp", "{case}/o.csv", "ok", _stale_temp),
]

# (name, path with {ext}, expectation, setup for that ext or None)
_EXPORT_OUT = [
    ("run_json", "{run}/run.json", "error", None),
    ("run_weights", "{run}/checkpoints/best/model.safetensors", "error", None),
    ("run_new_file", "{run}/model2.{ext}", "error", None),
    ("link_to_run", "{case}/l.{ext}", "error",
     lambda ext: _link(f"l.{ext}", "{case}/run/config.yaml")),
    ("dev_full", "/dev/full", "error", None),
    ("fifo", "{case}/m.{ext}", "error", lambda ext: _fifo(f"m.{ext}")),
    ("csv", "{case}/m.csv", "error", None),
    ("other_format", "{case}/m.{other}", "error", None),
    ("link_through", "{case}/latest.{ext}", "ok",
     lambda ext: _link(f"latest.{ext}", "{case}/made." + ext)),
]


def _output_cases() -> list[Case]:
    out = []
    for name, path, expect, setup in _PREDICT_OUT:
        argv = [*PREDICT, path] + (["--excel"] if name == "xlsx" else [])
        out.append(Case(f"h2-predict-out-{name}", argv, expect, setup, frozenset({"run"})))
    for name, path, expect, make in _EXPORT_OUT:
        for fmt, ext, other in (("torchscript", "pt", "onnx"), ("onnx", "onnx", "pt")):
            out.append(Case(f"h2-export-out-{name}-{fmt}",
                            ["export", "{run}", "--format", fmt, "--output",
                             path.replace("{ext}", ext).replace("{other}", other)], expect,
                            make(ext) if make else None, frozenset({"run"})))
    return out


# ---------------------------------------------------------------- --storage databases

def _db(kind: str):
    def setup(case: Path) -> None:
        _write_tune_yaml(LR_SPACE)(case)
        db = case / "mine.db"
        if kind == "foreign":
            with sqlite3.connect(db) as con:
                con.execute("create table customers (id integer, name text)")
                con.execute("insert into customers values (1, 'kim')")
        elif kind == "many_foreign":
            with sqlite3.connect(db) as con:
                for i in range(8):
                    con.execute(f"create table t{i} (v integer)")
        elif kind == "view_only":
            with sqlite3.connect(db) as con:
                con.execute("create table a (v integer)")
                con.execute("create view b as select * from a")
        elif kind == "empty_file":
            db.write_bytes(b"")
        elif kind == "text":
            db.write_text("not a database\n")
    return setup


def _storage_cases() -> list[Case]:
    tune = ["tune", "{case}/tune.yaml", "--trials", "1", "--storage", "sqlite:///{case}/mine.db"]
    return [
        Case("h2-storage-foreign", tune, "error", _db("foreign")),
        Case("h2-storage-many_foreign", tune, "error", _db("many_foreign")),
        Case("h2-storage-view_only", tune, "error", _db("view_only")),
        Case("h2-storage-foreign_added", [*tune, "--add-optuna-tables"], "ok", _db("foreign")),
        Case("h2-storage-empty_file", tune, "ok", _db("empty_file")),
        Case("h2-storage-new_file", tune, "ok", _db("none")),
        Case("h2-storage-text_file", tune, "error", _db("text")),
    ]


# ---------------------------------------------------------------- image folders

def _png(path: Path, kind: int, rng) -> None:
    from PIL import Image

    a = rng.integers(0, 60, (12, 12, 3)).astype(np.uint8)
    a[3:9, 3:9] = 200 if kind == 0 else 0
    a[:, kind * 4:(kind * 4) + 2] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)


def _classes(root: Path, names=("a", "b"), n: int = 8, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for k, name in enumerate(names):
        for i in range(n):
            _png(root / name / f"{i}.png", k % 3, rng)
    return root


def _bomb(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (20000, 20000)).save(path)


def _images(kind: str):
    def setup(case: Path) -> None:
        pics = case / "pics"
        if kind in ("splits_macosx", "splits_extra", "splits_two_extra"):
            _classes(pics / "train")
            _classes(pics / "test", n=3, seed=1)
            extras = {"splits_macosx": ["__MACOSX"], "splits_extra": ["extra"],
                      "splits_two_extra": ["extra", "old"]}[kind]
            for e in extras:
                _classes(pics / e, n=2, seed=2)
            return
        _classes(pics)
        if kind == "bomb_one":
            _bomb(pics / "a" / "bomb.png")
        elif kind == "bomb_all":
            for p in pics.rglob("*.png"):
                p.unlink()
            for c in "ab":
                for i in range(2):
                    _bomb(pics / c / f"{i}.png")
        elif kind == "phantom":
            (pics / "c").mkdir()
            for i in range(3):
                (pics / "c" / f"{i}.png").write_bytes(b"\x89PNG garbage")
        elif kind == "phantom_leaves_one":
            for p in (pics / "b").glob("*.png"):
                p.write_bytes(b"garbage")
        elif kind == "class_link_usr":
            (pics / "usr").symlink_to("/usr")
        elif kind == "class_link_etc":
            (pics / "etc").symlink_to("/etc")
        elif kind == "file_link_outside":
            _png(case / "secret.png", 0, np.random.default_rng(5))
            (pics / "a" / "s.png").symlink_to(case / "secret.png")
        elif kind == "loop_link":
            (pics / "a" / "loop").symlink_to(pics)
        elif kind == "fifo_in_folder":
            os.mkfifo(pics / "a" / "f.png")
        elif kind == "dev_link_in_folder":
            (pics / "a" / "z.png").symlink_to("/dev/zero")
        elif kind == "csv_fifo":
            os.mkfifo(case / "f.png")
            rows = [f"{p},{p.parent.name}" for p in sorted(pics.rglob("*.png"))]
            (case / "i.csv").write_text("path,label\n" + "\n".join(
                rows + [f"{case / 'f.png'},a"]) + "\n")
        elif kind in ("csv_target_file", "csv_target_path"):
            files = sorted(pics.rglob("*.png"))
            (case / "i.csv").write_text("path,file,label\n" + "\n".join(
                f"{p},{p.parent.name}-{p.name},{p.parent.name}" for p in files) + "\n")
    return setup


_IMAGE_CASES = [
    ("bomb_one", ["--data", "{case}/pics"], "ok"),
    ("bomb_all", ["--data", "{case}/pics"], "error"),
    ("phantom", ["--data", "{case}/pics"], "ok"),
    ("phantom_leaves_one", ["--data", "{case}/pics"], "error"),
    ("class_link_usr", ["--data", "{case}/pics"], "error"),
    ("class_link_etc", ["--data", "{case}/pics"], "error"),
    ("file_link_outside", ["--data", "{case}/pics"], "ok"),
    ("loop_link", ["--data", "{case}/pics"], "ok"),
    ("fifo_in_folder", ["--data", "{case}/pics"], "ok"),
    ("dev_link_in_folder", ["--data", "{case}/pics"], "ok"),
    ("splits_macosx", ["--data", "{case}/pics"], "ok"),
    ("splits_extra", ["--data", "{case}/pics"], "ok"),
    ("splits_two_extra", ["--data", "{case}/pics"], "ok"),
    ("csv_fifo", ["--data", "{case}/i.csv", "--image-col", "path", "--target", "label"], "ok"),
    ("csv_target_file", ["--data", "{case}/i.csv", "--image-col", "path", "--target", "file"],
     "error"),
    ("csv_target_path", ["--data", "{case}/i.csv", "--image-col", "path", "--target", "path"],
     "error"),
]


def _image_cases() -> list[Case]:
    out = []
    for name, data, expect in _IMAGE_CASES:
        out.append(Case(f"h2-image-{name}-train", [*IMAGE_TRAIN, *data], expect,
                        _images(name), timeout=240))
        if name in ("bomb_all", "class_link_usr", "csv_target_file", "splits_extra"):
            out.append(Case(f"h2-image-{name}-cv", ["cv", "--folds", "2", *IMAGE_TRAIN[1:],
                                                    *data], expect, _images(name),
                            timeout=240))
    # predict on a table run given images: refused in one line, never a hang on the FIFO
    for name in ("fifo_in_folder", "csv_fifo", "bomb_all"):
        data = "{case}/i.csv" if name == "csv_fifo" else "{case}/pics"
        out.append(Case(f"h2-image-{name}-predict", [*PREDICT[:3], data, "--output",
                                                      "{case}/p.csv"], "error", _images(name),
                        frozenset({"run"})))
    return out


# ---------------------------------------------------------------- Parquet and workbooks

def _parquet(kind: str):
    def setup(case: Path) -> None:
        import decimal

        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = base_rows()
        cols = {c: [r[i] for r in rows] for i, c in enumerate(BASE_COLUMNS)}
        table = {"x1": pa.array([float(v) for v in cols["x1"]]),
                 "x2": pa.array([float(v) for v in cols["x2"]]),
                 "color": pa.array(cols["color"]), "g": pa.array(cols["g"]),
                 "y": pa.array(cols["y"])}
        n = len(rows)
        extra = {
            "list": pa.array([[1, 2]] * n, type=pa.list_(pa.int64())),
            "large_list": pa.array([["a"]] * n, type=pa.large_list(pa.string())),
            "struct": pa.array([{"a": 1, "b": "x"}] * n),
            "binary": pa.array([b"\x00\xff"] * n, type=pa.binary()),
            "large_binary": pa.array([b"ab"] * n, type=pa.large_binary()),
            "fixed_binary": pa.array([b"abcd"] * n, type=pa.binary(4)),
            "map": pa.array([[("k", 1)]] * n, type=pa.map_(pa.string(), pa.int64())),
            "decimal": pa.array([decimal.Decimal(f"{i}.5") for i in range(n)],
                                type=pa.decimal128(8, 1)),
            "dictionary": pa.array(["lo", "hi"] * (n // 2)).dictionary_encode(),
        }
        if kind == "all_nested":
            table = {"y": table["y"], "l": extra["list"], "s": extra["struct"]}
        elif kind == "nested_target":
            table["y"] = extra["list"]
        elif kind == "every":
            table.update(extra)
        else:
            table[kind] = extra[kind]
        pq.write_table(pa.table(table), case / "d.parquet")
    return setup


_PARQUET_KINDS = ["list", "large_list", "struct", "binary", "large_binary", "fixed_binary",
                  "map", "decimal", "dictionary", "every", "all_nested", "nested_target"]


def _parquet_cases() -> list[Case]:
    out = []
    for kind in _PARQUET_KINDS:
        bad = kind in ("all_nested", "nested_target")
        cmds = {"train": ["train", "--data", "{case}/d.parquet", "--target", "y", *QUICK],
                "inspect": ["inspect", "{case}/d.parquet", "--target", "y"],
                "predict": [*PREDICT[:3], "{case}/d.parquet", "--output", "{case}/p.csv"],
                "evaluate": ["evaluate", "{run}", "--data", "{case}/d.parquet"]}
        for cmd, argv in cmds.items():
            # predict does not need the target: a nested target is only left out there
            expect = "error" if (bad and cmd in ("train", "evaluate")
                                 or kind == "all_nested") else "clean"
            needs = frozenset({"run"}) if cmd in ("predict", "evaluate") else frozenset()
            out.append(Case(f"h2-parquet-{kind}-{cmd}", argv, expect, _parquet(kind), needs))
    return out


def _workbook(pad_mb: int):
    def setup(case: Path) -> None:
        import pandas as pd

        rows = base_rows()
        pd.DataFrame(rows, columns=BASE_COLUMNS).to_excel(case / "d.xlsx", index=False)
        if pad_mb:
            with zipfile.ZipFile(case / "d.xlsx", "a", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("xl/padding.xml", b" " * (pad_mb << 20))
    return setup


def _workbook_cases() -> list[Case]:
    out = []
    for name, pad, expect in (("inflates_far", 80, "error"), ("plain", 0, "ok")):
        for cmd, argv in (("inspect", ["inspect", "{case}/d.xlsx", "--target", "y"]),
                          ("train", ["train", "--data", "{case}/d.xlsx", "--target", "y",
                                     *QUICK])):
            out.append(Case(f"h2-xlsx-{name}-{cmd}", argv, expect, _workbook(pad)))
    out.append(Case("h2-xlsx-inflates_far-raised", ["inspect", "{case}/d.xlsx", "--target",
                                                    "y"], "ok", _workbook(80),
                    env={"HAKSEUP_MAX_UNPACKED_MB": "200"}))
    return out


# ---------------------------------------------------------------- hand-edited run folders

def _edit(file: str, change):
    def setup(case: Path) -> None:
        path = case / "run" / file
        d = json.loads(path.read_text())
        change(d)
        path.write_text(json.dumps(d))
    return setup


def _set(key, value, section=None):
    def change(d):
        (d[section] if section else d)[key] = value
    return change


def _both(*setups):
    def setup(case: Path) -> None:
        for s in setups:
            s(case)
    return setup


_RUN_EDITS = {
    "schema_cardinalities_text": ("schema.json", _set("cardinalities", ["4"])),
    "schema_cardinalities_huge": ("schema.json", _set("cardinalities", [10 ** 10])),
    "schema_n_outputs_huge": ("schema.json", _set("n_outputs", 10 ** 9)),
    "schema_input_shape_huge": ("schema.json", _set("input_shape", [10 ** 9])),
    "schema_class_names_map": ("schema.json", _set("class_names", {"a": 1})),
    "schema_threshold_text": ("schema.json", _set("threshold", "high")),
    "schema_numeric_number": ("schema.json", _set("numeric_features", 5)),
    "pre_means_text": ("preprocessing.json", _set("means_", {"x1": "abc"})),
    "pre_vocab_number": ("preprocessing.json", _set("vocab_", {"color": 5})),
    "pre_classes_number": ("preprocessing.json", _set("classes_", 3)),
    "pre_medians_list": ("preprocessing.json", _set("medians_", [1, 2])),
}

_RUN_CMDS = {
    "evaluate": ["evaluate", "{run}"],
    "predict": [*PREDICT, "{case}/p.csv"],
    "export": ["export", "{run}", "--format", "torchscript", "--output", "{case}/m.pt"],
    "summary": ["summary", "{run}"],
}

_STATE_EDITS = {
    "state_sha256_list": _set("sha256", [1, 2]),
    "state_meta_epoch_text": _set("epoch", "two", "meta"),
    "state_epoch_text": _set("epoch", "x", "state"),
    "state_step_negative": _set("global_step", -3, "state"),
    "state_history_text": _set("history", "none", "state"),
    "state_meta_list": _set("meta", []),
}


def _run_cases() -> list[Case]:
    out = []
    for name, (file, change) in _RUN_EDITS.items():
        for cmd, argv in _RUN_CMDS.items():
            out.append(Case(f"h2-run-{name}-{cmd}", argv, "error", _edit(file, change),
                            frozenset({"run"})))
    failed = _edit("run.json", _set("status", "failed"))
    resume = ["train", "--resume", "{run}", *QUICK]
    for name, change in _STATE_EDITS.items():
        edits = [_edit(f"checkpoints/{c}/state.json", change) for c in ("last", "last.prev")]
        out.append(Case(f"h2-run-{name}-resume", resume, "error",
                        _both(failed, *[_if_exists(e) for e in edits]), frozenset({"run"})))
    return out


def _if_exists(setup):
    def wrapped(case: Path) -> None:
        try:
            setup(case)
        except FileNotFoundError:      # no last.prev kept: the one checkpoint is damaged
            pass
    return wrapped


def files2_cases() -> list[Case]:
    """Every case of this corpus."""
    return (_output_cases() + _storage_cases() + _image_cases() + _parquet_cases()
            + _workbook_cases() + _run_cases())
