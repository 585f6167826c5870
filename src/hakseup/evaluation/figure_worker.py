"""A run's figures drawn by forked children that imported matplotlib while the network trained.

matplotlib's import (~0.45 s) and a default run's five figures (~0.8 s) were the largest part
of what ``hakseup train`` adds to a hand-written training script, all of it on one core after
training. The figures' inputs exist only once the network is trained, but the import needs
none of them: ``FigureWorker`` forks a child as soon as the data is loaded (beside the
references' worker, by the same rules: ``forking``); the child imports matplotlib and its
Agg canvas on another core while the parent trains, then forks helpers of its own (one per
usable processor, at most ``MAX_PROCESSES``; no import is repeated). Each figure the parent
sends (``draw(plot_function, *args)``) goes to one of them, which draws it and writes the
PNG, while the parent collects the references and builds the report; ``wait()`` returns
once every figure is on disk (the report lists and embeds them). The same plot functions
draw the same files either way.

Where forking is not safe, or a child fails, dies or stays silent, a figure is drawn in
process, as before (an error in a plot function then surfaces from the parent, as it did).
Warnings raised while drawing are raised again in the parent, each once.

Example:
    >>> figures = FigureWorker(bundle)                     # doctest: +SKIP
    >>> history = trainer.fit(model, bundle)               # doctest: +SKIP
    >>> figures.draw(plot_loss, history, run / "plots" / "loss.png")   # doctest: +SKIP
    >>> figures.wait()                                     # doctest: +SKIP
"""

from __future__ import annotations

import pickle
import warnings

from .forking import (START_S, STARTED, STOP, detach, die_with_parent, forkable, start, stop,
                      usable_cpus)

__all__ = ["FigureWorker", "MAX_PROCESSES"]

MAX_PROCESSES = 4    # drawing processes at most (a run has six figures at most)


def _warm() -> None:
    """What every figure needs first: matplotlib's Agg canvas and figure, the Hangul font."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    from . import curves, image_report, plots  # noqa: F401

    plots.hangul_font()


def _draw_job(data: bytes) -> bytes:
    """One figure: the parent's language and deferred-fsync folders, the call, the warnings
    it raised; an error is sent back for the parent to draw that figure itself."""
    from .. import i18n
    from ..io import durable as durability

    answer = {"error": None, "warnings": []}
    with warnings.catch_warnings(record=True) as caught:
        try:
            fn, args, kwargs, lang, deferred = pickle.loads(data)
            i18n.set_language(lang)
            durability._deferred[:] = deferred      # the run folder is fsynced when it ends
            fn(*args, **kwargs)
        except BaseException as e:                  # noqa: BLE001 - the parent redraws it
            answer["error"] = f"{type(e).__name__}: {e}"
    answer["warnings"] = [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
    try:
        return pickle.dumps(answer)
    except (pickle.PicklingError, TypeError, AttributeError):   # a local warning class
        answer["warnings"] = [(m, UserWarning, f, n) for m, _c, f, n in answer["warnings"]]
        return pickle.dumps(answer)


def _serve(conn) -> None:
    """Draw what arrives on ``conn`` until the parent closes it."""
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):               # the parent is gone
            return
        if data == STOP:                          # the parent is done
            return
        try:
            conn.send_bytes(_draw_job(data))
        except OSError:
            return


def _child(conns: list) -> None:
    """The forked child: import, fork a helper for each connection but the first (each says
    STARTED on its own), then draw on the first; reap the helpers at the end."""
    import os

    detach([c.fileno() for c in conns])
    conns[0].send_bytes(STARTED)                  # past the fork: see FigureWorker._answer
    try:
        _warm()
    except Exception:                             # noqa: BLE001 - each job will report it
        pass
    helpers = []
    for i, conn in enumerate(conns[1:], 1):
        try:
            pid = os.fork()
        except OSError:                           # no processes left: the parent redraws
            break
        if pid == 0:                              # a helper: never back into this loop
            try:
                for other in conns[:i] + conns[i + 1:]:
                    other.close()
                die_with_parent()
                conn.send_bytes(STARTED)
                _serve(conn)
            finally:
                os._exit(0)
        helpers.append(pid)
    for conn in conns[1:]:
        conn.close()
    _serve(conns[0])
    for pid in helpers:
        os.waitpid(pid, 0)


def _on_cpu(value):
    """A tensor on an accelerator, copied to the CPU (else as it is)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor) and value.device.type != "cpu":
        return value.detach().cpu()
    return value


class FigureWorker:
    """Draws figures in forked processes, or in process where there are none.

    Args:
        bundle: the run's data (its placement decides whether a fork is safe); None, or
            ``fork=False``: every figure is drawn in process, at once.
        processes: drawing processes (default: the usable processors, at most
            ``MAX_PROCESSES``).
    """

    def __init__(self, bundle=None, fork: bool = True, processes: int | None = None):
        self.proc, self.conns = None, []
        self.sent: list[tuple] = []               # (connection, fn, args, kwargs) unanswered
        self.started: set[int] = set()
        if fork and bundle is not None and forkable(bundle):
            self._start(processes or min(MAX_PROCESSES, usable_cpus()))

    def _start(self, processes: int) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        pairs = [ctx.Pipe(duplex=True) for _ in range(max(1, processes))]
        try:
            self.proc = ctx.Process(target=_child, args=([c for _, c in pairs],), daemon=True,
                                    name="hakseup-figures")
            start(self.proc)
            self.conns = [p for p, _ in pairs]
        except OSError:                           # no processes left: in process
            self.proc = None
            for p, _ in pairs:
                p.close()
        for _, c in pairs:
            c.close()

    def draw(self, fn, *args, **kwargs) -> None:
        """``fn(*args, **kwargs)`` (a module-level plot function that writes its file): sent
        to the drawing process given the fewest so far, or called now."""
        if self.proc is not None:
            from .. import i18n
            from ..io import durable as durability

            args = tuple(_on_cpu(a) for a in args)  # a child must not touch an accelerator
            i = min(range(len(self.conns)), key=lambda k: sum(s[0] == k for s in self.sent))
            try:
                self.conns[i].send_bytes(pickle.dumps(
                    (fn, args, kwargs, i18n.language(), list(durability._deferred))))
                self.sent.append((i, fn, args, kwargs))
                return
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                pass                              # drawn here
        fn(*args, **kwargs)

    def wait(self) -> None:
        """Return once every figure sent is drawn; those a child could not draw are drawn
        here. The children then end; later figures are drawn in process."""
        failed, shown = [], set()
        dead: set[int] = set()
        for i, fn, args, kwargs in self.sent:
            answer = None if i in dead else self._answer(i)
            if answer is None:                    # dead or silent: drawn here
                dead.add(i)
                failed.append((fn, args, kwargs))
                continue
            for message, category, filename, lineno in answer["warnings"]:
                if (message, category) not in shown:      # once, as one process would
                    shown.add((message, category))
                    warnings.warn_explicit(message, category, filename, lineno)
            if answer["error"] is not None:
                failed.append((fn, args, kwargs))
        self.sent = []
        self.close()
        for fn, args, kwargs in failed:
            fn(*args, **kwargs)

    def _answer(self, i: int) -> dict | None:
        """Drawing process ``i``'s next answer; None when it died, or never got past its
        fork (a lock another thread held at that moment) within ``START_S``."""
        conn = self.conns[i]
        try:
            if i not in self.started:
                if not conn.poll(START_S) or conn.recv_bytes() != STARTED:
                    return None
                self.started.add(i)
            while not conn.poll(0.5):
                if not self.proc.is_alive():
                    return None
            return pickle.loads(conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            return None

    def close(self) -> None:
        """Stop the children if they still run (a failed or interrupted run)."""
        for conn in self.conns:
            try:
                conn.send_bytes(STOP)             # an idle child returns on it
            except OSError:                       # it is gone
                pass
            conn.close()
        self.conns = []
        if self.proc is not None:
            stop(self.proc, grace=0 if self.sent else 1)   # one still drawing: at once
            self.proc = None
        self.sent = []
