"""The report mended: one "best epoch" on every plot (the checkpoint's), no ``dataset: digits``
in a CSV run's config, every reference column explained, the references' verdict said once,
the training time rounded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

import hakseup
from hakseup.config import RunConfig


def test_a_csv_run_report_is_consistent(tmp_path, monkeypatch):
    import hakseup.evaluation.curves as curves
    import hakseup.evaluation.plots as plots

    marks = {}
    real_loss, real_metric = plots.plot_loss, curves.plot_metric

    def loss(history, path, title=None, best_epoch=None):
        marks["loss"] = best_epoch
        return real_loss(history, path, title, best_epoch)

    def metric(history, key, path, best_epoch=None):
        marks["metric"] = best_epoch
        return real_metric(history, key, path, best_epoch)

    monkeypatch.setattr(plots, "plot_loss", loss)
    monkeypatch.setattr(curves, "plot_metric", metric)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    df["y"] = np.where(df.a + 0.5 * df.b + rng.normal(0, 0.8, 300) > 0, "p", "n")
    df.to_csv(tmp_path / "t.csv", index=False)
    result = hakseup.fit(str(tmp_path / "t.csv"), "y", epochs=6, tensorboard=False,
                         progress=False)
    run = result.run_dir
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["data"]["dataset"] is None and saved["data"]["path"].endswith("t.csv")
    report = (run / "report.md").read_text()
    verdict = result.references["verdict"]
    assert report.count(verdict) == 1
    assert "hgb: histogram gradient-boosted trees" in report
    assert "logistic: logistic regression" in report
    seconds = next(ln for ln in report.splitlines() if ln.startswith("| training time (s)"))
    value = seconds.split("|")[2].strip()
    assert len(value.split(".")[-1]) <= 1, value
    best = next(ln for ln in report.splitlines() if ln.startswith("| best epoch"))
    assert marks["loss"] == marks["metric"] == int(best.split("|")[2])
    assert f"Test metrics from the best checkpoint (epoch {marks['loss']}" in report


def test_config_to_dict_drops_the_dataset_only_for_a_file():
    assert RunConfig.from_dict({}).to_dict()["data"]["dataset"] == "digits"
    d = RunConfig.from_dict({"data": {"path": "x.csv"}}).to_dict()
    assert d["data"]["dataset"] is None
