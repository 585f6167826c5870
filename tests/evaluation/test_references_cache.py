"""The classical references are read back, not refitted, when a run asks for the same ones
on the same rows; anything they depend on is another key; what is kept is numbers (the
sentences are written in the language of the run that reads them)."""

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
    from hakseup.evaluation.references_cache import PendingReferences

    first = PendingReferences(digits, "all", seed=0)
    assert first.cached is None
    answer = first.result()
    assert set(answer[0]) == {"majority", "logistic", "hgb"}

    def refuse(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(references, "fit_reference_numbers", refuse)
    again = PendingReferences(digits, "all", seed=0)
    assert again.cached is not None                            # read back at once
    assert json.dumps(again.result(), sort_keys=True) == json.dumps(answer, sort_keys=True)


def test_the_key_changes_with_rows_seed_names_and_library_versions(digits, monkeypatch):
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
    versions = cache._versions()
    assert any(v.startswith("hakseup==") for v in versions)
    assert any("scikit_learn" in v or v.startswith("sklearn") for v in versions)
    monkeypatch.setattr(cache, "_versions", lambda: [*versions, "scikit_learn-99.0"])
    others.add(cache.references_key(digits, "all", 0))
    assert key not in others and len(others) == 4
    assert cache.references_key(digits, "none", 0) is None


@pytest.mark.parametrize("damage", ['{"refs": {"hgb": ',                       # torn
                                    '{"format": "hakseup-references/2", "refs": [1], '
                                    '"notes": []}',                           # wrong shape
                                    '{"refs": {}, "notices": ["a sentence"]}'])  # old format
def test_a_damaged_entry_is_ignored_and_written_again(digits, damage):
    import hakseup.evaluation.references_cache as cache
    from hakseup.evaluation.references_cache import PendingReferences

    answer = PendingReferences(digits, "all", seed=2).result()
    key = cache.references_key(digits, "all", 2)
    path = cache._folder() / f"{key}.json"
    path.write_text(damage)
    again = PendingReferences(digits, "all", seed=2)
    assert again.cached is None
    assert json.dumps(again.result(), sort_keys=True) == json.dumps(answer, sort_keys=True)
    assert json.loads(path.read_text())["refs"] == answer[0]   # and stored whole again
    assert not list(path.parent.glob(".*.tmp"))                # written atomically


def test_the_cache_keeps_numbers_and_notices_follow_the_run_s_language(digits, monkeypatch,
                                                                       tmp_path):
    import hakseup.evaluation.references as references
    import hakseup.evaluation.references_cache as cache
    import hakseup.i18n as i18n
    from hakseup.evaluation.references_cache import PendingReferences

    monkeypatch.setattr(references, "MAX_ROWS", 500)           # a subsampling notice
    monkeypatch.setattr(i18n, "_chosen", i18n._chosen)         # restored after the test
    i18n.set_language("en")
    english = PendingReferences(digits, "all", seed=5, cache_dir=str(tmp_path)).result()
    assert "random 500 of the" in english[1][0]
    stored = json.loads(next((tmp_path / "references").glob("*.json")).read_text())
    assert stored["notes"] == [["notice.evaluation.references.subsampled",
                                {"limit": 500, "n": len(digits.train)}]]
    assert all(isinstance(v, (int, float, list)) for m in stored["refs"].values()
               for v in m.values())
    i18n.set_language("ko")
    korean = PendingReferences(digits, "all", seed=5, cache_dir=str(tmp_path))
    assert korean.cached is not None
    refs, notices = korean.result()
    assert refs == english[0] and notices[0] != english[1][0] and "500" in notices[0]
    assert cache.load(None) is None
