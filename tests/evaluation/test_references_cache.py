"""The classical references are read back, not refitted, when a run asks for the same ones
on the same rows; anything they depend on is another key."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def digits():
    from hakseup.config import RunConfig
    from hakseup.experiment.experiment import Experiment

    return Experiment(RunConfig.from_dict({"train": {"epochs": 1, "progress": False}})
                      ).setup().bundle_


def test_the_second_ask_reads_the_first_answer_back_without_fitting(digits, monkeypatch):
    import hakseup.evaluation.references as references
    from hakseup.evaluation.references_worker import PendingReferences

    first = PendingReferences(digits, "all", seed=0)
    assert first.cached is None
    answer = first.result()
    assert set(answer[0]) == {"majority", "logistic", "hgb"}

    def refuse(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(references, "fit_references", refuse)
    again = PendingReferences(digits, "all", seed=0)
    assert again.proc is None and again.cached is not None     # nothing forked
    assert json.dumps(again.result(), sort_keys=True) == json.dumps(answer, sort_keys=True)


def test_the_key_changes_with_rows_seed_names_and_code(digits, monkeypatch):
    import dataclasses

    import hakseup.evaluation.references_cache as cache
    from hakseup.data.bundle import Split

    key = cache.references_key(digits, "all", 0)
    assert key == cache.references_key(digits, "all", 0)
    test = digits.test
    target = test.target.clone()
    target[0] = (target[0] + 1) % 10
    changed = dataclasses.replace(digits, test=Split(test.inputs, target))
    others = {cache.references_key(changed, "all", 0), cache.references_key(digits, "all", 1),
              cache.references_key(digits, ["hgb"], 0)}
    monkeypatch.setattr(cache, "_code_and_libraries", lambda: "references.py, edited")
    others.add(cache.references_key(digits, "all", 0))
    assert key not in others and len(others) == 4
    assert cache.references_key(digits, "none", 0) is None


def test_a_damaged_answer_is_refitted(digits):
    import hakseup.evaluation.references_cache as cache
    from hakseup.evaluation.references_worker import PendingReferences

    answer = PendingReferences(digits, "all", seed=2).result()
    key = cache.references_key(digits, "all", 2)
    path = cache._folder() / f"{key}.json"
    path.write_text('{"refs": {"hgb": ')                      # torn
    again = PendingReferences(digits, "all", seed=2)
    assert again.cached is None
    assert json.dumps(again.result(), sort_keys=True) == json.dumps(answer, sort_keys=True)
    assert json.loads(path.read_text())["refs"] == answer[0]   # and stored whole again
