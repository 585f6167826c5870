"""The one output writer (io/output.py): what a user-named output may be, and what it writes."""

from __future__ import annotations

import bz2
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import FAST, assert_user_error
from hakseup.io.files import atomic_write_text, remove_stale_temps
from hakseup.io.output import output_target, table_format, write_table

FRAME = pd.DataFrame({"id": [1, 2], "이름": ["가", "나"], "p": [0.25, 0.75]})


@pytest.mark.parametrize("name,fmt", [("p.csv", ("csv", None)), ("p", ("csv", None)),
                                      ("p.txt", ("csv", None)), ("p.tsv", ("tsv", None)),
                                      ("p.csv.gz", ("csv", "gzip")), ("p.gz", ("csv", "gzip")),
                                      ("p.tsv.bz2", ("tsv", "bz2")), ("p.xlsx", ("xlsx", None)),
                                      ("p.parquet", ("parquet", None))])
def test_the_suffix_names_the_format(name, fmt):
    assert table_format(name) == fmt


@pytest.mark.parametrize("name", ["p.xls", "p.json", "p.zip", "p.pt", "p.parquet.gz"])
def test_a_suffix_it_cannot_write_is_refused(name):
    with pytest.raises(ValueError, match="cannot write"):
        table_format(name)


def test_each_format_is_really_that_format(tmp_path):
    write_table(FRAME, tmp_path / "p.csv.gz")
    assert gzip.decompress((tmp_path / "p.csv.gz").read_bytes()).decode().startswith("id,")
    write_table(FRAME, tmp_path / "p.tsv.bz2")
    assert bz2.decompress((tmp_path / "p.tsv.bz2").read_bytes()).decode().startswith("id\t")
    write_table(FRAME, tmp_path / "p.xlsx", bom=True)        # --excel: still a workbook
    assert pd.read_excel(tmp_path / "p.xlsx").equals(FRAME)
    write_table(FRAME, tmp_path / "p.parquet")
    assert pd.read_parquet(tmp_path / "p.parquet")["이름"].tolist() == ["가", "나"]
    write_table(FRAME, tmp_path / "p.csv", bom=True)
    assert (tmp_path / "p.csv").read_bytes().startswith("\ufeffid,".encode())


def test_a_symlink_is_written_through_and_kept(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "p.csv").write_text("old\n")
    (tmp_path / "latest.csv").symlink_to(shared / "p.csv")
    write_table(FRAME, tmp_path / "latest.csv")
    assert (tmp_path / "latest.csv").is_symlink()
    assert (shared / "p.csv").read_text().startswith("id,")


@pytest.mark.parametrize("device", ["/dev/full", "/dev/null"])
def test_devices_are_refused_directly_or_through_a_link(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    with pytest.raises(OSError, match="not a regular file"):
        write_table(FRAME, device)
    (tmp_path / "out.csv").symlink_to(device)
    with pytest.raises(OSError, match="not a regular file"):
        write_table(FRAME, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").is_symlink()


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(OSError, match="named pipe"):     # opening it would block forever
        write_table(FRAME, tmp_path / "pipe.csv")


def test_files_inside_a_run_folder_are_refused(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints" / "best").mkdir(parents=True)
    (run / "run.json").write_text("{}")
    for inside in (run / "run.json", run / "schema.json", run / "new.csv",
                   run / "checkpoints" / "best" / "model.safetensors"):
        with pytest.raises(OSError, match="inside the run folder"):
            output_target(inside, "--output")
    (tmp_path / "link.csv").symlink_to(run / "run.json")          # by a link, too
    with pytest.raises(OSError, match="inside the run folder"):
        output_target(tmp_path / "link.csv", "--output")
    assert output_target(run / "model.pt", "--output", allow_in_run=run) == run / "model.pt"


def test_the_input_itself_is_refused_by_name_link_or_hard_link(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("a\n1\n")
    (tmp_path / "soft.csv").symlink_to(data)
    os.link(data, tmp_path / "hard.csv")
    for out in (data, tmp_path / "soft.csv", tmp_path / "hard.csv"):
        with pytest.raises(OSError, match="input file itself"):
            write_table(FRAME, out, inputs=[data])
    assert data.read_text() == "a\n1\n"


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "p.csv"
    # What kill -9 mid-write leaves: the writer's pid in the name, the process gone.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".p.csv.{dead}.abc123.tmp"
    stale.write_text("half")
    live = tmp_path / f".p.csv.{os.getppid()}.xyz.tmp"      # a living writer's: kept
    live.write_text("in progress")
    atomic_write_text(out, "done\n")
    assert not stale.exists() and live.exists()
    assert out.read_text() == "done\n"
    assert remove_stale_temps(out) == 0


def test_kill_9_during_predicts_write_leaves_nothing_the_next_run_keeps(tmp_path):
    """A child killed inside atomic_write leaves its temp file; the next write removes it."""
    out = tmp_path / "p.csv"
    code = ("import os, signal, sys; from hakseup.io.files import atomic_write\n"
            "def w(f):\n f.write(b'x' * 1000); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
            f"atomic_write({str(out)!r}, w)\n")
    subprocess.run([sys.executable, "-c", code], env={**os.environ})
    assert list(tmp_path.glob(".p.csv.*.tmp")) and not out.exists()
    write_table(FRAME, out)
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.fixture(scope="module")
def table_run(tmp_path_factory) -> tuple[Path, Path]:
    from hakseup.cli.main import main

    root = tmp_path_factory.mktemp("predict-out")
    data = root / "d.csv"
    pd.DataFrame({"x": range(40), "z": [i % 3 for i in range(40)],
                  "y": ["a", "b"] * 20}).to_csv(data, index=False)
    assert main(["train", "--data", str(data), "--target", "y", *FAST, "--set",
                 "output.plots=false", "--output", str(root / "run")]) == 0
    return root / "run", data


def test_predict_refuses_the_runs_own_files_and_keeps_the_run_whole(cli, table_run, tmp_path):
    run, data = table_run
    before = (run / "run.json").read_bytes()
    for target in (run / "run.json", run / "checkpoints" / "best" / "model.safetensors"):
        assert_user_error(*cli("predict", run, "--data", data, "--output", target)[::2],
                          "inside the run folder")
    assert (run / "run.json").read_bytes() == before
    code, _, err = cli("evaluate", run)
    assert code == 0, err


def test_predict_writes_the_format_its_output_names(cli, table_run, tmp_path):
    run, data = table_run
    assert cli("predict", run, "--data", data, "--output", tmp_path / "p.xlsx", "--excel")[0] == 0
    assert len(pd.read_excel(tmp_path / "p.xlsx")) == 40
    assert cli("predict", run, "--data", data, "--output", tmp_path / "p.csv.gz")[0] == 0
    assert len(pd.read_csv(tmp_path / "p.csv.gz")) == 40
    assert_user_error(*cli("predict", run, "--data", data, "--output", tmp_path / "p.xls")[::2],
                      "cannot write")
    assert not (tmp_path / "p.xls").exists()


def test_export_checks_its_output_the_same_way(cli, table_run, tmp_path):
    run, _ = table_run
    assert_user_error(*cli("export", run, "--format", "torchscript", "--output",
                           run / "run.json")[::2], "inside the run folder")
    assert_user_error(*cli("export", run, "--format", "onnx", "--output",
                           tmp_path / "m.pt")[::2], ".onnx")
    if os.path.exists("/dev/full"):
        assert_user_error(*cli("export", run, "--format", "torchscript", "--output",
                               "/dev/full")[::2], "not a regular file")
