"""Every reference's short name explained where it is shown: "hgb" (scikit-learn's
HistGradientBoosting), "AutoETS", "drift"... — in the report (Markdown and HTML), under the
terminal's metrics table and in cross-validation's, in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from hakseup.evaluation.legend import legend_key, run_legend
from hakseup.i18n import catalog, set_language

HANGUL = re.compile("[\uac00-\ud7a3]")


def _every_reference_name() -> list[str]:
    """Each name a run can show for a reference, from the code that makes them."""
    from hakseup.data.series.prepare import naive_forecasts
    from hakseup.evaluation.forecast_references import ENSEMBLE, STAT_MODELS
    from hakseup.evaluation.references import PEERS, REFERENCE_NAMES, TRIVIAL
    from hakseup.models.forecast_classical import classical_forecasts

    y = 10 + np.sin(np.arange(48) * 2 * np.pi / 4) + 0.01 * np.arange(48)
    starts = np.array([40])
    names = [n for v in REFERENCE_NAMES.values() for n in v if n not in TRIVIAL]
    names += [n for v in PEERS.values() for n in v]
    names += list(naive_forecasts(y, starts, 2, 4))     # naive, seasonal naive (season 4), drift
    names += list(classical_forecasts(y, starts, 2, 4, 40))        # without statsforecast
    return names + list(STAT_MODELS) + [ENSEMBLE]


def test_every_reference_a_run_can_show_has_its_legend_in_both_languages():
    names = _every_reference_name()
    assert {"hgb", "logistic", "ridge", "drift", "AutoETS", "ETS", "statistical ensemble"} <= set(
        names)
    assert any(n.startswith("seasonal naive (season ") for n in names)
    for name in names:
        key = legend_key(name)
        assert key is not None, name
        for lang in ("en", "ko"):
            assert catalog(lang)[f"legend.{key}"].strip(), (lang, name)
        assert HANGUL.search(catalog("ko")[f"legend.{key}"]), name


def test_hgb_is_explained_in_english_and_in_korean():
    refs = {"majority": {"accuracy": 0.1}, "logistic": {"accuracy": 0.9}, "hgb": {"accuracy": 0.95}}
    text = run_legend({"accuracy": 0.9}, refs)
    assert "hgb: histogram gradient-boosted trees (scikit-learn's HistGradientBoosting)" in text
    assert "logistic: logistic regression" in text and "majority" not in text
    set_language("ko")
    korean = run_legend({"accuracy": 0.9}, refs)
    assert "hgb: " in korean and "HistGradientBoosting" in korean and HANGUL.search(korean)
    assert "histogram" not in korean


def test_a_forecasts_references_are_explained():
    metrics = {"mae": 1.0, "baselines": {"naive": {}, "seasonal naive (season 7)": {},
                                         "drift": {}, "AutoARIMA": {}, "statistical ensemble": {}}}
    text = run_legend(metrics, {})
    assert text.startswith("Reference forecasts")
    for name in ("naive: the last value", "seasonal naive (season 7): the values one season",
                 "drift: the last value plus", "AutoARIMA: ARIMA", "statistical ensemble: the mean"):
        assert name in text, name
    assert run_legend({"mae": 1.0}, {}) == "" and run_legend(None, None) == ""


def _ctx(metrics: dict, references: dict) -> dict:
    return {"name": "r", "metrics": metrics, "baseline_metrics": {"accuracy": 0.1},
            "baseline_name": "majority class", "summary_lines": ["a line"],
            "references": references, "config_yaml": "x: 1\n", "environment": {}}


def test_the_reports_carry_the_legend(tmp_path):
    from hakseup.evaluation.report import write_reports

    refs = {"logistic": {"accuracy": 0.9}, "hgb": {"accuracy": 0.95}}
    md, html = write_reports(tmp_path, _ctx({"accuracy": 0.8}, refs))
    said = "hgb: histogram gradient-boosted trees (scikit-learn's HistGradientBoosting)"
    assert said in md.read_text()
    assert said.replace("'", "&#x27;") in html.read_text()
    forecast = {"mae": 1.0, "baselines": {"naive": {"mae": 1.1}, "AutoETS": {"mae": 0.9}}}
    md, _ = write_reports(tmp_path, _ctx(forecast, {}))
    assert "AutoETS: exponential smoothing" in md.read_text()


def test_the_terminal_summary_explains_the_references(capsys):
    from hakseup.cli.train import print_metrics

    result = SimpleNamespace(
        run_dir=Path("runs/r"), metrics={"accuracy": 0.8}, baseline={"accuracy": 0.1},
        baseline_name="majority class", summary=[],
        references={"metrics": {"logistic": {"accuracy": 0.9}, "hgb": {"accuracy": 0.95}},
                    "verdict": ""})
    print_metrics(result)
    out = capsys.readouterr().out
    table, _, rest = out.partition("References, fitted on the same training rows")
    assert "hgb" in table                                            # the column ...
    assert "hgb: histogram gradient-boosted trees" in " ".join(rest.split())   # ... explained


def test_cross_validation_explains_its_reference_columns(tmp_path):
    from hakseup.experiment.crossval import _write_cv_report

    result = {"baseline_name": "majority class", "mean": {"accuracy": 0.8},
              "std": {"accuracy": 0.01}, "baseline_mean": {"accuracy": 0.1},
              "references_mean": {"hgb": {"accuracy": 0.9}},
              "references_std": {"hgb": {"accuracy": 0.02}}}
    _write_cv_report(tmp_path, 2, [{"accuracy": 0.79}, {"accuracy": 0.81}], result)
    assert "hgb: histogram gradient-boosted trees" in (tmp_path / "report.md").read_text()
