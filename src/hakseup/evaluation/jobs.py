"""The work a run does beside its training — its figures and classical references — in
process, or as jobs of one standard process pool that the run owns.

``Jobs(processes=0)`` (the default) does every job in process: a figure is drawn when it is
handed over, references are fitted when their result is asked for. ``Jobs(processes=n)``
submits them to one ``concurrent.futures.ProcessPoolExecutor`` of ``n`` processes started by
``forkserver`` (nothing of the run's memory, threads or open files is inherited: a fresh
interpreter per worker); each worker limits itself to one thread, so it never competes with
the training's own. The pool ends with the ``with`` block: waited for after a normal exit,
its processes terminated after an error or Ctrl-C.

Example:
    >>> with Jobs() as jobs:
    ...     later = jobs.submit(sum, [1, 2, 3])
    ...     later.result()
    6
"""

from __future__ import annotations

__all__ = ["Jobs"]


def _one_thread() -> None:
    """A worker's initializer: one thread for PyTorch and the BLAS/OpenMP pools; Ctrl-C is
    the run's to handle (it terminates the pool), so a worker prints no traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)


def _warm() -> None:
    from . import curves, image_report, plots  # noqa: F401

    plots.hangul_font()


def _figure(fn, lang: str, live_runs: list[str], args, kwargs) -> list:
    """A figure drawn in a worker as the run would draw it: in its language, its run folder
    fsynced once by the run; the warnings raised are returned for the run to show."""
    import warnings

    from .. import fileio, i18n

    i18n.set_language(lang)
    fileio._live_runs[:] = live_runs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        fn(*args, **kwargs)
    return [(str(w.message), w.category) for w in caught]


class _Later:
    """A job done in process when its result is first asked for (a ``Future``'s one method
    that callers use)."""

    def __init__(self, fn, args, kwargs):
        self.call = lambda: fn(*args, **kwargs)

    def result(self):
        return self.call()


class Jobs:
    """Figures and references of one run: in process (``processes=0``) or on one pool."""

    def __init__(self, processes: int = 0):
        self.pool, self.drawn = None, []
        if processes > 0:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(processes, initializer=_one_thread,
                                            mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` as a job: something whose ``result()`` returns its value."""
        if self.pool is None:
            return _Later(fn, args, kwargs)
        return self.pool.submit(fn, *args, **kwargs)

    def draw(self, fn, *args, **kwargs) -> None:
        """A figure (``fn`` writes its file): drawn now in process, else submitted."""
        if self.pool is None:
            fn(*args, **kwargs)
        else:
            from .. import fileio, i18n

            self.drawn.append(self.submit(_figure, fn, i18n.language(),
                                          list(fileio._live_runs), args, kwargs))

    def warm(self) -> None:
        """Have a worker import what figures need meanwhile (matplotlib: ~0.45 s)."""
        self.submit(_warm)

    def wait(self) -> None:
        """Return once every figure handed over is on disk (an error in one is raised)."""
        import warnings

        drawn, self.drawn = self.drawn, []
        shown = set()
        for job in drawn:
            for message, category in job.result():
                if (message, category) not in shown:     # once, as one process would
                    shown.add((message, category))
                    warnings.warn(message, category, stacklevel=2)

    def __enter__(self) -> "Jobs":
        return self

    def __exit__(self, kind, error, tb) -> None:
        if self.pool is None:
            return
        if kind is not None:   # failed or interrupted: nothing more is wanted from the pool
            for proc in list((self.pool._processes or {}).values()):
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
