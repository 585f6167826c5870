"""Diagnosis advice that fits the model trained: the flag that shrinks it (none where no
flag does), no "more epochs" once the training rows are fitted, and the series-level advice
named for the model (dlinear's only on dlinear)."""

from __future__ import annotations

from types import SimpleNamespace

from hakseup.evaluation.diagnosis import too_little_data, underfitting


def rows(train, val=None):
    return [{"epoch": i + 1, "train_loss": v, **({} if val is None else {"val_loss": val[i]})}
            for i, v in enumerate(train)]


def test_smaller_model_advice_names_a_flag_only_where_it_works():
    (mlp,) = too_little_data(200_000, 100, "mlp")
    assert "--hidden 32" in mlp.text
    (lstm,) = too_little_data(200_000, 100, "lstm")
    assert "--hidden 32" not in lstm.text and "model.hidden_size=32" in lstm.text
    for model in ("resnet", "lenet", "rocket"):
        (f,) = too_little_data(200_000, 100, model)
        assert "--hidden" not in f.text and "A smaller model, more dropout" in f.text


def test_no_more_epochs_advice_at_a_training_loss_near_zero():
    fitted = [2.3, 0.5, 1e-3, 1e-5, 4e-7, 8e-8]
    assert underfitting(rows(fitted)) == []
    assert underfitting(rows(fitted, [0.9, 0.5, 0.3, 0.2, 0.15, 0.1])) == []
    (f,) = underfitting(rows([1.0, 0.7, 0.5, 0.4, 0.33, 0.29]))
    assert "--epochs" in f.text


def test_series_level_advice_is_named_for_the_model():
    from hakseup.evaluation.explain import _level_findings

    bundle = SimpleNamespace(info={"series": {"level_kept": "none"}})
    (lstm,) = _level_findings("lstm", bundle)
    assert "dlinear" not in lstm.text and "the lstm model sees the level" in lstm.text
    (dl,) = _level_findings("dlinear", bundle)
    assert "dlinear" in dl.text
    assert _level_findings("lstm", SimpleNamespace(info={"series": {}})) == []
    assert _level_findings("mlp", SimpleNamespace(info={})) == []
