"""Hostile inputs for tests/test_hostile.py: CSV files, configs and damaged run folders.

Every maker takes the case folder and returns the path it made (or leaves something broken in
place). Nothing here touches the network; files are small, so a case stays a few seconds.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["BASE_COLUMNS", "base_rows", "write_csv", "FILE_KINDS", "CONFIG_TEXTS",
           "RUN_DAMAGES"]

BASE_COLUMNS = ["x1", "x2", "color", "g", "y"]


def base_rows(n: int = 60, seed: int = 0) -> list[list[str]]:
    """A learnable table: two numbers, a colour, a two-valued group and a yes/no label."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x1, x2 = rng.normal(), rng.normal()
        rows.append([f"{x1:.4f}", f"{x2:.4f}", ["red", "green", "blue"][i % 3], "AB"[i % 2],
                     "yes" if x1 + 0.5 * x2 > 0 else "no"])
    return rows


def _text(rows, header=BASE_COLUMNS, sep=",", newline="\n") -> str:
    return newline.join(sep.join(r) for r in [header, *rows]) + newline


def write_csv(path: Path, rows=None, header=BASE_COLUMNS, **kw) -> Path:
    path.write_text(_text(rows if rows is not None else base_rows(), header, **kw),
                    encoding="utf-8")
    return path


def _bytes(case: Path, data: bytes, name: str = "d.csv") -> Path:
    (case / name).write_bytes(data)
    return case / name


def _rows_with(col: int, values: list[str], n: int = 60) -> list[list[str]]:
    rows = base_rows(n)
    for i, v in enumerate(values):
        rows[i % n][col] = v
    return rows


def codecs_bom_be(text: str) -> bytes:
    return b"\xfe\xff" + text.encode("utf-16-be")


def _link(case: Path, target: str) -> Path:
    os.symlink(target, case / "d.csv")
    return case / "d.csv"


def _loop(case: Path) -> Path:
    os.symlink(case / "e.csv", case / "d.csv")
    os.symlink(case / "d.csv", case / "e.csv")
    return case / "d.csv"


def _fifo(case: Path) -> Path:
    os.mkfifo(case / "d.csv")
    return case / "d.csv"


def _unreadable(case: Path) -> Path:
    p = write_csv(case / "d.csv")
    p.chmod(0)
    return p


def _late_bad_utf8(case: Path) -> Path:
    """Valid UTF-8 for the first 4 MiB-plus (beyond the sniffed head and pyarrow's first
    block), then a stray Latin-1 byte in a categorical cell."""
    rows = base_rows(60)
    body = _text(rows)
    filler = "".join(f"{r[0]},{r[1]},red,A,yes\n" for r in rows) * 3000   # ~5 MB
    return _bytes(case, (body + filler).encode() + b"0.1,0.2,r\xe9d,B,no\n")


def _zip(case: Path, members: dict[str, str], patch=None) -> Path:
    """A zip archive of ``members``; ``patch(bytearray)`` damages it afterwards."""
    path = case / "d.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    if patch:
        raw = bytearray(path.read_bytes())
        patch(raw)
        path.write_bytes(bytes(raw))
    return path


def _encrypted(raw: bytearray) -> None:
    """Set the "encrypted" flag in the local and the central header (zipfile cannot write
    an encrypted archive)."""
    raw[raw.find(b"PK\x03\x04") + 6] |= 1
    raw[raw.find(b"PK\x01\x02") + 8] |= 1


def _declares_4gib(raw: bytearray) -> None:
    i = raw.find(b"PK\x01\x02") + 24                  # the central header's unpacked size
    raw[i:i + 4] = struct.pack("<I", 0xFFFFFFF0)


def _truncated_parquet(case: Path) -> Path:
    import pandas as pd

    path = case / "d.parquet"
    pd.DataFrame(base_rows(), columns=BASE_COLUMNS).to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def _gzip_damaged(case: Path) -> Path:
    packed = gzip.compress(_text(base_rows()).encode())
    return _bytes(case, packed[:12] + bytes(b ^ 0x5A for b in packed[12:60]) + packed[60:],
                  "d.csv.gz")


def _timestamps(fmt: str):
    def make(case: Path) -> Path:
        rows = base_rows(60)
        header = BASE_COLUMNS[:2] + ["when"] + BASE_COLUMNS[2:]
        out = [r[:2] + [fmt.format(d=1 + i % 28, h=i % 24, o=(i % 3) - 1)] + r[2:]
               for i, r in enumerate(rows)]
        return write_csv(case / "d.csv", out, header)
    return make


def _target_values(values: list[str]):
    def make(case: Path) -> Path:
        rows = base_rows(60)
        for i, r in enumerate(rows):
            r[4] = values[i % len(values)]
        return write_csv(case / "d.csv", rows)
    return make


# name → (maker, expectation): "ok" is read and used; "error" one clean line; "clean" either.
FILE_KINDS = {
    "missing": (lambda c: c / "d.csv", "error"),
    "folder": (lambda c: (c / "d.csv").mkdir() or c / "d.csv", "error"),
    "empty": (lambda c: _bytes(c, b""), "error"),
    "blank_lines": (lambda c: _bytes(c, b"  \n\n \n"), "error"),
    "unreadable": (_unreadable, "error"),
    "symlink_loop": (_loop, "error"),
    "dangling_link": (lambda c: _link(c, str(c / "nowhere.csv")), "error"),
    "fifo": (_fifo, "error"),
    "dev_zero": (lambda c: _link(c, "/dev/zero"), "error"),
    "dev_null": (lambda c: _link(c, "/dev/null"), "error"),
    "dev_urandom": (lambda c: _link(c, "/dev/urandom"), "error"),
    "zip": (lambda c: _bytes(c, b"PK\x03\x04" + bytes(200)), "error"),
    "gzip": (lambda c: _bytes(c, gzip.compress(_text(base_rows()).encode())), "clean"),
    "nul_bytes": (lambda c: _bytes(c, _text(base_rows()).encode().replace(b"red", b"r\0d")),
                  "error"),
    "random_binary": (lambda c: _bytes(c, np.random.default_rng(1).bytes(3000)), "error"),
    "utf16": (lambda c: _bytes(c, _text(base_rows()).encode("utf-16")), "clean"),
    "latin1": (lambda c: _bytes(c, _text(_rows_with(2, ["rouge\xe9"])).encode("latin-1")),
               "clean"),
    "bad_utf8_late": (_late_bad_utf8, "clean"),
    "gzip_truncated": (lambda c: _bytes(c, gzip.compress(_text(base_rows()).encode())[:90],
                                        "d.csv.gz"), "error"),
    "gzip_damaged": (_gzip_damaged, "error"),
    "bz2_damaged": (lambda c: _bytes(c, bz2.compress(_text(base_rows()).encode())[:10]
                                     + bytes(64), "d.csv.bz2"), "error"),
    "parquet_truncated": (_truncated_parquet, "error"),
    "xlsx_not_zip": (lambda c: _bytes(c, _text(base_rows()).encode(), "d.xlsx"), "error"),
    "xlsx_garbage_zip": (lambda c: _bytes(c, b"PK\x03\x04" + bytes(300), "d.xlsx"), "error"),
    "zip_encrypted": (lambda c: _zip(c, {"d.csv": _text(base_rows())}, _encrypted), "error"),
    "zip_two_csv": (lambda c: _zip(c, {"a.csv": _text(base_rows()), "b.csv": _text(base_rows())}),
                    "error"),
    "zip_no_csv": (lambda c: _zip(c, {"readme.txt.md": "hello"}), "error"),
    "zip_bomb": (lambda c: _zip(c, {"d.csv": _text(base_rows())}, _declares_4gib), "error"),
    "cp949": (lambda c: _bytes(c, _text(_rows_with(2, ["빨강", "초록"])).encode("cp949")), "ok"),
    "utf16_be": (lambda c: _bytes(c, codecs_bom_be(_text(base_rows()))), "ok"),
    "cr_only": (lambda c: write_csv(c / "d.csv", newline="\r"), "ok"),
    "crlf": (lambda c: write_csv(c / "d.csv", newline="\r\n"), "ok"),
    "bom": (lambda c: _bytes(c, b"\xef\xbb\xbf" + _text(base_rows()).encode()), "ok"),
    "semicolon": (lambda c: write_csv(c / "d.csv", sep=";"), "ok"),
    "no_final_newline": (lambda c: _bytes(c, _text(base_rows()).encode().rstrip(b"\n")), "ok"),
    "header_only": (lambda c: _bytes(c, (",".join(BASE_COLUMNS) + "\n").encode()), "error"),
    "one_column": (lambda c: write_csv(c / "d.csv", [[r[0]] for r in base_rows()], ["x1"]),
                   "error"),
    "duplicate_names": (lambda c: write_csv(c / "d.csv", header=["x1", "x1", "color", "g", "y"]),
                        "error"),
    "ragged": (lambda c: _bytes(c, _text(base_rows()).encode() + b"1,2,3,4,5,6,7\n"), "error"),
    "three_rows": (lambda c: write_csv(c / "d.csv", base_rows(3)), "error"),
    "huge_cell": (lambda c: write_csv(c / "d.csv", _rows_with(2, ["z" * 2_000_000])), "clean"),
    "text_in_numeric": (lambda c: write_csv(c / "d.csv", _rows_with(0, ["abc"])), "error"),
    "inf_in_numeric": (lambda c: write_csv(c / "d.csv", _rows_with(0, ["inf"])), "error"),
    "huge_numbers": (lambda c: write_csv(c / "d.csv", _rows_with(0, ["1e308", "-1e308"])),
                     "clean"),
    "nan_column": (lambda c: write_csv(c / "d.csv", _rows_with(1, ["nan"] * 60)), "ok"),
    "quoted_newlines": (lambda c: write_csv(c / "d.csv", _rows_with(2, ['"re\nd"', '"a,b"'])),
                        "clean"),
    "unicode_names": (lambda c: write_csv(c / "d.csv", header=["가", "x\u202e2", "색", "g",
                                                                "y"]), "clean"),
    "single_class": (_target_values(["yes"]), "error"),
    "target_overflow": (_target_values([f"{1 + i / 7:.5f}e39" for i in range(60)]), "error"),
    "target_inf": (_target_values(["inf", "1", "2", "3"]), "error"),
    "target_empty": (_target_values([""]), "error"),
    "time_of_day": (_timestamps("2021-03-{d:02d} {h:02d}:15:00"), "ok"),
    "iso_offsets": (_timestamps("2021-03-{d:02d}T{h:02d}:15:00+0{o!s:0>1}:00"), "clean"),
    "mixed_offsets": (_timestamps("2021-03-{d:02d}T{h:02d}:15:00+0{h:01d}:00"), "clean"),
    "utc_z": (_timestamps("2021-03-{d:02d}T{h:02d}:15:00Z"), "ok"),
}


# Config files: name → (text, expectation). "{data}" is replaced by the base CSV's path.
_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
         "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
         "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n")
_DATA = ("data: {path: '{data}', target: y}\n"
         "train: {epochs: 1, progress: false, tensorboard: false}\noutput: {plots: false}\n")
CONFIG_TEXTS = {
    "anchor_bomb_top": (_BOMB + _DATA, "error"),
    "anchor_bomb_in_tune": (_DATA + "tune:\n  " + _BOMB.replace("\n", "\n  ")
                            .replace("a:", "model.hidden:", 1) + "\n", "error"),
    "anchor_bomb_in_data": ("x: &x [1,1,1,1,1,1,1,1,1,1]\ny: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x,*x]\n"
                            "z: &z [*y,*y,*y,*y,*y,*y,*y,*y,*y,*y]\n"
                            "w: &w [*z,*z,*z,*z,*z,*z,*z,*z,*z,*z]\n"
                            "v: &v [*w,*w,*w,*w,*w,*w,*w,*w,*w,*w]\n"
                            "data: {drop: [*v,*v,*v,*v,*v,*v,*v,*v,*v,*v]}\n", "error"),
    "duplicate_section": (_DATA + "train: {epochs: 3}\n", "error"),
    "duplicate_key": ("data: {path: '{data}', target: y, target: x1}\n", "error"),
    "tabs": ("data:\n\tpath: x\n", "error"),
    "list_top": ("- 1\n- 2\n", "error"),
    "scalar_top": ("42\n", "error"),
    "python_tag": ("!!python/object/apply:os.system ['echo hi']\n", "error"),
    "not_utf8": ("data: {path: 'caf\udce9.csv'}\n", "error"),
    "unknown_section": (_DATA + "modle: {name: mlp}\n", "error"),
    "section_is_list": ("data: [1, 2]\n", "error"),
    "huge_int": (_DATA.replace("epochs: 1,", "epochs: 1" + "0" * 400 + ","), "error"),
    "deep_nesting": ("data: " + "[" * 3000 + "]" * 3000 + "\n", "error"),
    "empty_file": ("", "clean"),
}


def _edit_json(name: str, value):
    def damage(run: Path) -> None:
        (run / name).write_text(value if isinstance(value, str) else json.dumps(value))
    return damage


def _edit_yaml(section: str, key: str, value):
    def damage(run: Path) -> None:
        import yaml

        p = run / "config.yaml"
        d = yaml.safe_load(p.read_text())
        d[section][key] = value
        p.write_text(yaml.safe_dump(d, sort_keys=False))
    return damage


def _remove(rel: str):
    def damage(run: Path) -> None:
        p = run / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return damage


def _weights(data: bytes | None):
    """Every copy of the weights (best, last and their .prev) damaged the same way."""
    def damage(run: Path) -> None:
        for p in (run / "checkpoints").glob("*/model.safetensors"):
            p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2] if data is None else data)
    return damage


def _header_lie(run: Path) -> None:
    """A safetensors header claiming a gigantic tensor (what a hand-made file could say)."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [10 ** 9, 10 ** 9],
                               "data_offsets": [0, 4]}}).encode()
    blob = len(header).to_bytes(8, "little") + header + b"\0\0\0\0"
    for p in (run / "checkpoints").glob("*/model.safetensors"):
        p.write_bytes(blob)


# Damage to a copy of a trained run: name → function(run folder).
RUN_DAMAGES = {
    "no_config": _remove("config.yaml"),
    "config_garbage": _edit_json("config.yaml", "{{{: ["),
    "config_bomb": _edit_json("config.yaml", _BOMB),
    "config_unknown_key": _edit_yaml("train", "epocs", 3),
    "config_wrong_type": _edit_yaml("train", "epochs", "many"),
    "config_hidden_changed": _edit_yaml("model", "hidden", [7]),
    "config_model_unknown": _edit_yaml("model", "name", "nosuchnet"),
    "config_empty": _edit_json("config.yaml", ""),
    "run_json_garbage": _edit_json("run.json", "{nope"),
    "run_json_list": _edit_json("run.json", [1, 2]),
    "run_json_types": _edit_json("run.json", {"status": 5, "created": 7, "duration_s": "x",
                                              "main_metric": "acc", "name": ["a"]}),
    "no_run_json": _remove("run.json"),
    "no_schema": _remove("schema.json"),
    "schema_garbage": _edit_json("schema.json", "[["),
    "schema_types": _edit_json("schema.json", {"task": 5, "input_kind": "table",
                                               "input_shape": "x", "n_outputs": -3}),
    "no_preprocessing": _remove("preprocessing.json"),
    "preprocessing_garbage": _edit_json("preprocessing.json", "nul\0l"),
    "preprocessing_empty_obj": _edit_json("preprocessing.json", {}),
    "preprocessing_types": _edit_json("preprocessing.json", {"kind": "table", "kinds": 5,
                                                             "target": None, "task": 7}),
    "no_checkpoints": _remove("checkpoints"),
    "weights_truncated": _weights(None),
    "weights_empty": _weights(b""),
    "weights_random": _weights(np.random.default_rng(3).bytes(4096)),
    "weights_header_lie": _header_lie,
    "metrics_garbage": _edit_json("metrics.json", "{\"metrics\": "),
    "metrics_types": _edit_json("metrics.json", {"metrics": [1, 2]}),
}
