"""``--lang ko``: what ``train``, ``cv``, ``inspect`` and ``doctor`` print is Korean.

Every printed line that has words in it must have Hangul, except a line made only of values:
numbers, paths, flags, identifiers (``train_loss``, ``f1_macro``, ``nvidia-ml-py``) and the
names the data, the config and the software give (column names, classes, column kinds, tasks,
metric, model, baseline and package names, doctor's status marks). Anything else left on a line
without Hangul is an English word of a sentence or a label, and fails. The same check run on the
English output finds such words (so it is a real check, not one that cannot fail).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

HANGUL = re.compile("[\uac00-\ud7a3]")
# Names printed as values, not words to translate. Kept explicit: the data's own names, the
# metric names of the tables, and what doctor and the summary name.
DATA_NAMES = {"id", "age", "city", "income", "const", "label", "yes", "no", "seoul", "busan",
              "incheon", "date", "sales", "price"}
KINDS = {"numeric", "categorical", "dropped", "target", "time", "boolean", "datetime", "binary",
         "multiclass", "regression"}
METRICS = {"accuracy", "precision", "recall", "f1", "lr", "mae", "rmse", "mse", "r2", "mape"}
SOFTWARE = {"python", "torch", "numpy", "pandas", "pyarrow", "matplotlib", "tensorboard",
            "safetensors", "tqdm", "pyyaml", "statsmodels", "optuna", "cuda", "cudnn", "mps",
            "cpu", "gpu", "ok", "warn", "fail", "tabular", "tabularnet", "mlp", "logistic",
            "hgb", "ridge", "naive", "seasonal", "hakseup", "adf", "kpss"}
VALUE_WORDS = DATA_NAMES | KINDS | METRICS | SOFTWARE
VALUE_PHRASES = ("majority class",)     # the classification baseline's name
STRIP = "()[]{},:;'\"|*`<>!?"


def english_words(line: str) -> list[str]:
    """The words of ``line`` that are not values (see the module doc); [] when it has Hangul."""
    if HANGUL.search(line):
        return []
    for phrase in VALUE_PHRASES:
        line = line.replace(phrase, " ")
    words = []
    for token in line.split():
        token = token.strip(STRIP + ".")
        if not re.search("[A-Za-z]", token) or token.startswith("-"):
            continue                                  # numbers, ±, rules of a table, flags
        if re.search(r"[\d/\\_=.@+-]", token) or token.lower() in VALUE_WORDS:
            continue                                  # 0.5556, t.csv, f1_macro, 3.11.7, names
        words.append(token)
    return words


def english_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if english_words(ln)]


def test_the_check_tells_values_from_words():
    assert english_words("accuracy             0.5556  0.5556  majority class") == []
    assert english_words("ok    numpy  2.4.6") == []
    assert english_words("runs/20261201-t-tabular/report.md") == []
    assert english_words("  - Column 'id' looks like an identifier; it is dropped.") != []
    assert english_words("WARN  CUDA  not available") == ["not", "available"]
    assert english_words("열 'id'은(는) 식별자로 보여 뺐습니다.") == []


def _table(path: Path) -> Path:
    """A small table with what makes notices: an id column, a constant one, blank cells,
    formatted numbers and no --target (the last column is used)."""
    rng = np.random.default_rng(0)
    rows = ["id,age,city,income,const,price,label"]
    for i in range(90):
        age = "" if i % 17 == 0 else str(int(rng.integers(18, 80)))
        city = ["seoul", "busan", "incheon", ""][i % 4]
        price = f'"{int(rng.integers(1, 9))},{int(rng.integers(100, 999))}"'
        rows.append(f"{i},{age},{city},{rng.normal(50, 10):.2f},1,{price},"
                    f"{'yes' if rng.random() > 0.5 else 'no'}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _series(path: Path) -> Path:
    t = np.arange(80)
    values = 10 + np.sin(t / 3) + 0.05 * t
    days = np.datetime64("2021-01-01") + t
    path.write_text("date,sales\n" + "".join(f"{d},{v:.3f}\n" for d, v in zip(days, values)))
    return path


def _korean(cli, *argv) -> str:
    code, out, err = cli("--lang", "ko", *argv)
    assert code == 0, err
    return out + err


@pytest.mark.slow   # ~7 s: the classical references fitted beside the network
def test_korean_train_output(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    text = _korean(cli, "train", "--data", data, "--epochs", "2", "--no-tensorboard",
                   "--set", "output.plots=false", "--output", tmp_path / "run")
    assert "에포크 1/2" in text and "마지막 열 'label'" in text and "식별자" in text
    assert "결측값을 대체했습니다" in text and "천 단위 구분 기호" in text
    assert english_lines(text) == []


def test_korean_cv_output(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    text = _korean(cli, "cv", "--data", data, "--target", "label", "--folds", "2",
                   "--epochs", "1", "--no-tensorboard", "--set", "output.plots=false",
                   "--set", f"output.root={tmp_path}")
    assert "겹 1/2" in text and "교차 검증" in text
    assert english_lines(text) == []


def test_korean_forecast_train_output(cli, tmp_path):
    """A time series with a missing day: the forecast summary, its baselines and notices."""
    days = _series(tmp_path / "s.csv").read_text().splitlines()
    (tmp_path / "gap.csv").write_text("\n".join(days[:30] + days[31:]) + "\n")
    text = _korean(cli, "train", "--data", tmp_path / "gap.csv", "--time-col", "date",
                   "--target", "sales", "--epochs", "2", "--no-tensorboard",
                   "--set", "output.plots=false", "--output", tmp_path / "run")
    assert "통계 기준 모델" in text and "빠진 시각 1개" in text and "정상성" in text
    assert english_lines(text) == []


def test_korean_inspect_and_doctor_output(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    table = _korean(cli, "inspect", data, "--target", "label")
    series = _korean(cli, "inspect", _series(tmp_path / "s.csv"), "--time-col", "date",
                     "--target", "sales")
    doctor = _korean(cli, "doctor")
    assert "식별자" in table and "학습 장치" in doctor
    for text in (table, series, doctor):
        assert english_lines(text) == [], text


def test_the_check_finds_the_english_output(cli, tmp_path):
    """The same commands in English: the check finds words to translate (a real check)."""
    data = _table(tmp_path / "t.csv")
    code, out, err = cli("--lang", "en", "inspect", data, "--target", "label")
    assert code == 0 and any("identifier" in ln for ln in english_lines(out + err))
    code, out, err = cli("--lang", "en", "doctor")
    assert code in (0, 1) and english_lines(out + err)


def test_the_reports_data_and_training_rows_are_named_in_korean():
    """The report's data and training tables name their rows through the catalog."""
    from hakseup.evaluation.report import _sections
    from hakseup.i18n import set_language

    ctx = {"metrics": {}, "baseline_metrics": {}, "data_summary": {"train rows": 10,
           "series length": 120, "a name the catalog lacks": 1},
           "training_summary": {"epochs run": 3, "learning rate": 0.001}}
    set_language("ko")
    try:
        sections = dict(_sections(ctx))
    finally:
        set_language(None)
    assert [k for k, _ in sections["data"]] == ["학습 행", "시계열 길이", "a name the catalog lacks"]
    assert [k for k, _ in sections["training"]] == ["실행한 에포크", "학습률"]
