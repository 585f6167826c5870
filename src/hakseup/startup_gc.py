"""The garbage collector during a command's start-up: off while the libraries load, then
their objects frozen out of it.

Importing PyTorch, scikit-learn, ``torch._dynamo`` (the optimiser's first use) and
TensorBoard leaves about a million long-lived objects, and CPython's cyclic collector walks
every one of them in each full collection: a default ``hakseup train`` made six or seven
full collections during its start-up (~0.6-0.8 s of CPU, over a tenth of the run), and they
freed next to nothing. ``quiet_start`` (a decorator for a command) turns the collector off;
the callback ``collect_after_startup()`` gives, when training begins, freezes every object alive
(``gc.freeze``: they are never walked again, the Python documentation's advice for a parent
that forks) and turns it back on, so training and everything after it collect as usual, over
their own objects. The forked workers start with it off; they are short-lived. When the
command returns, the collector is as it was (a command run inside a test process or a
notebook leaves nothing frozen or switched off behind).

Example:
    >>> @quiet_start
    ... def command(args):
    ...     return gc.isenabled()
    >>> command(None), gc.isenabled()
    (False, True)
"""

from __future__ import annotations

import functools
import gc

__all__ = ["quiet_start", "collect_after_startup"]


def quiet_start(command):
    """``command`` with the cyclic collector off until ``collect_after_startup`` turns it on;
    afterwards the collector's state is restored and nothing stays frozen."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            gc.unfreeze()       # O(1): the frozen objects rejoin the oldest generation
            if was_enabled:
                gc.enable()
    return run


def collect_after_startup():
    """A callback that, when training begins, after every other callback's set-up
    (TensorBoard's import and graph), freezes what the start-up left alive and turns the
    collector back on. (Made here so that importing this module imports no PyTorch.)"""
    from .training.callbacks import Callback

    class CollectAfterStartup(Callback):
        order = 1000     # last: the other callbacks' places (and checkpointed state) unchanged

        def on_fit_begin(self, trainer):
            gc.freeze()
            gc.enable()

    return CollectAfterStartup()
