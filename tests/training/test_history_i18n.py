"""``History.plot()`` labels its axis in the language chosen."""

from __future__ import annotations

from hakseup.i18n import set_language, t
from hakseup.training.history import History


def test_history_plot_in_korean_and_english():
    from matplotlib.figure import Figure

    logs = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e} for e in (1, 2)]
    set_language("ko")
    ax = History(logs).plot(ax=Figure().subplots())
    assert ax.get_xlabel() == t("plot.epoch") == "에포크"
    set_language("en")
    assert History(logs).plot(ax=Figure().subplots()).get_xlabel() == "epoch"
