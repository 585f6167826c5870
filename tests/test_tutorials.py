"""The tutorials (docs/tutorials/*.ipynb, English and Korean) cannot rot: each is executed
headless, offline, in a fresh folder, and must run without an error; the notebooks are what
``docs/tutorials/make_notebooks.py`` writes (one source for both languages).

Measured: the 24 notebooks took 787 s in all (390 s English, 397 s Korean; 8-46 s each) on
the shared 2-core machine at a load of 9-16, one process, OMP_NUM_THREADS=1."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))


def _maker():
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  TUTORIALS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_topic_has_an_english_and_a_korean_notebook_matching_the_source():
    pytest.importorskip("nbformat")
    rendered = _maker().render()
    assert len(rendered) == 24 and set(rendered) == set(NOTEBOOKS)
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8").strip() == text.strip(), (
            f"{path.name} differs from make_notebooks.py: run it")


def test_every_tutorial_is_in_the_site_nav():
    mkdocs = (TUTORIALS.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
    english = [p for p in NOTEBOOKS if not p.name.endswith(".ko.ipynb")]
    for path in english:
        assert f"tutorials/{path.name}" in mkdocs, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_tutorial_runs(path, tmp_path, monkeypatch):
    """Executed with nbclient in a fresh folder (its runs, CSVs and images land there);
    every cell must run without an error."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("MPLBACKEND")          # the kernel chooses its inline backend
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", (path.name, cell["source"][:200], out)
            if out["output_type"] == "stream" and out["name"] == "stderr":
                assert "Traceback" not in out["text"], (path.name, out["text"][:500])
    print(f"{path.name}: {time.perf_counter() - t0:.1f} s")
