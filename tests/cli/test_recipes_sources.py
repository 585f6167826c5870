"""``hakseup recipes``: each recipe says whether it runs offline or what it downloads and
where; none claims to be the default of ``hakseup train`` unless the configs agree."""

from __future__ import annotations

from hakseup.config.load import load_config, recipe_names, recipe_path


def test_recipes_name_their_data_source(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("HAKSEUP_CACHE", str(tmp_path / "c"))
    code, out, _ = cli("recipes")
    assert code == 0
    line = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
    assert "offline" in line["digits-mlp"] and "offline" in line["linear-regression"]
    assert f"downloads 70,000 images once into {tmp_path / 'c' / 'mnist'}" in line["mnist-lstm"]
    assert str(tmp_path / "c" / "SBUX") in line["sbux-lstm"]


def test_only_a_recipe_equal_to_the_default_calls_itself_the_default():
    plain = load_config().to_dict()
    for name in recipe_names():
        first = recipe_path(name).read_text(encoding="utf-8").splitlines()[0]
        if "the default of `hakseup train`" in first:
            assert load_config(recipe=name).to_dict() == plain, name
