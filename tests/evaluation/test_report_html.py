"""The HTML report renders in headless Chromium, offline, with the metric values present."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FAST

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_html_renders_with_metrics_and_plots(cli, tmp_path):
    code, _, err = cli("train", *FAST, "--output", "run")
    assert code == 0, err
    page = Path("run/report.html").resolve()
    metrics = json.loads(Path("run/metrics.json").read_text())["metrics"]
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(common + ["--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<table>" in html and "majority class" in html
    for key in ("accuracy", "f1_macro", "roc_auc"):
        assert f"{metrics[key]:.4f}" in html, key
    assert html.count("data:image/png;base64,") >= 2          # plots embedded: works offline
    assert "http://" not in html and "https://" not in html   # nothing fetched from a network
    assert "Uncaught" not in dom.stderr and "CONSOLE" not in dom.stderr
    shot = Path("run/report.png").resolve()
    s = subprocess.run(common + [f"--screenshot={shot}", "--window-size=1100,1600",
                                 page.as_uri()], capture_output=True, text=True, timeout=120)
    assert s.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000                        # a page, not a blank frame


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_html_explains_a_binary_run(cli, tmp_path):
    """The explaining parts render: the diagnosis, the per-class table, the main metric curve,
    ROC/PR curves and both confusion matrices — all inline; the screenshot stays in tmp_path
    (under --basetemp) as the artifact to look at."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=n) > 0.9, "yes", "no")
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": y}).to_csv("b.csv",
                                                                               index=False)
    code, out, err = cli("train", "--data", "b.csv", "--target", "label", "--epochs", "6",
                         "--no-progress", "--no-tensorboard", "--output", "run")
    assert code == 0, err
    assert "What the run says" in out and "imbalanced" in out      # 3:1 classes, in the terminal
    page = Path("run/report.html").resolve()
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(common + ["--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "What the run says" in html and "imbalanced" in html
    assert "Per class (test)" in html and "<th>support</th>" in html
    for name in ("metric", "roc_pr", "confusion_matrix", "confusion_matrix_normalized", "loss"):
        assert f'alt="{name}"' in html, name
    assert html.count("data:image/png;base64,") >= 5
    assert "http://" not in html and "https://" not in html
    shot = tmp_path / "report-binary.png"
    s = subprocess.run(common + [f"--screenshot={shot}", "--window-size=1100,4000",
                                 page.as_uri()], capture_output=True, text=True, timeout=120)
    assert s.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000
