"""``hakseup adjust`` on an aggregated table: one row per group with a count column —
``--weight COL``, a count column detected by its name and said so, and a hint naming a
numeric column that may hold counts."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import assert_user_error
from hakseup.stats.causal import adjust

GROUPS = [("A", "small", 81, 87), ("A", "large", 192, 263),
          ("B", "small", 234, 270), ("B", "large", 55, 80)]


def grouped(count_name: str = "count") -> pd.DataFrame:
    """Charig et al. (1986) as one row per (treatment, size, outcome) with its count."""
    rows = []
    for treatment, size, ok, n in GROUPS:
        rows += [(treatment, size, 1, ok), (treatment, size, 0, n - ok)]
    return pd.DataFrame(rows, columns=["treatment", "stone_size", "success", count_name])


def test_weight_column_gives_the_rates_of_the_individual_rows():
    r = adjust(grouped("patients_seen"), "treatment", "success", "stone_size",
               weight="patients_seen")
    assert r["crude"]["A"] == pytest.approx(273 / 350)
    assert r["crude"]["B"] == pytest.approx(289 / 350)
    assert r["simpson"] is True and r["weight"] == "patients_seen"
    small = next(s for s in r["strata"] if s["stratum"] == "small")
    assert small["n"] == {"A": 87, "B": 270} and small["weight"] == pytest.approx(357 / 700)


def test_count_column_is_detected_by_name_and_unnamed_ones_are_hinted():
    r = adjust(grouped("count"), "treatment", "success", "stone_size")
    assert r["weight_detected"] == "count" and r["simpson"] is True
    plain = adjust(grouped("count"), "treatment", "success", "stone_size", detect=False)
    assert plain["crude"]["A"] == pytest.approx(0.5) and plain["weight"] is None
    hinted = adjust(grouped("k"), "treatment", "success", "stone_size")
    assert hinted["weight_detected"] is None and hinted["weight_hint"] == "k"
    assert hinted["crude"]["A"] == pytest.approx(0.5)


def test_adjust_cli_weight_flags(cli):
    grouped("count").to_csv("g.csv", index=False)
    args = ("adjust", "g.csv", "--treatment", "treatment", "--outcome", "success",
            "--confounder", "stone_size")
    code, out, err = cli(*args)
    assert code == 0, err
    assert "Rows weighted by column 'count'" in out and "Simpson's paradox" in out
    assert "n=87" in out
    code, out, _ = cli(*args, "--no-weight")
    assert code == 0 and "Simpson" not in out and "weighted" not in out
    grouped("k").to_csv("h.csv", index=False)
    code, out, _ = cli("adjust", "h.csv", *args[2:])
    assert code == 0 and "--weight k" in out
    bad = grouped("count")
    bad.loc[0, "count"] = -1
    bad.to_csv("bad.csv", index=False)
    assert_user_error(*cli("adjust", "bad.csv", *args[2:], "--weight", "count")[::2],
                      "non-negative")
