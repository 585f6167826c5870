"""The classical references fitted in a forked worker process while the network trains.

HistGradientBoosting on digits takes about two CPU seconds, one thread — as long as the rest
of a default run's training. Its inputs (the training and test rows, the fitted
preprocessing) are fixed once the data is loaded, so ``PendingReferences`` forks a child
right before training: the child fits them (``references.fit_references``, the same call,
the same numbers) and sends the metrics back as JSON, while the parent trains on its own core.
Where forking is not safe — not Linux, data on an accelerator, a CUDA context, a process
group or other threads already running — or the child fails, the references are fitted in process, as before.
Where an earlier run fitted them on the same rows, they are read back instead
(``references_cache``).

Example:
    >>> pending = PendingReferences(bundle, "all", seed=0)      # doctest: +SKIP
    >>> history = trainer.fit(model, bundle)                     # doctest: +SKIP
    >>> refs, notices = pending.result()                         # doctest: +SKIP
"""

from __future__ import annotations

import json

from .forking import START_S, STARTED, detach, forkable, start, stop

__all__ = ["PendingReferences"]


def _forkable(bundle, names: str) -> bool:
    return names != "none" and forkable(bundle)


def _child(conn, bundle, names, seed) -> None:
    """In the forked child: fit, send JSON, and nothing else (no run folder, no signals)."""
    detach(conn.fileno())                                 # signals, descriptors: forking
    conn.send_bytes(STARTED)                              # past the fork: see _fitted
    from .references import fit_references

    try:
        refs, notices = fit_references(bundle, names, seed)
        answer = {"refs": refs, "notices": notices}
    except BaseException as e:                            # the parent fits them itself
        answer = {"error": f"{type(e).__name__}: {e}"}
    try:
        conn.send_bytes(json.dumps(answer).encode())
        conn.close()
    except OSError:                                       # the parent is gone
        pass


class PendingReferences:
    """References being fitted for ``bundle`` (``names``: all or none; ``seed``) — or read
    back from ``references_cache`` (``cache_dir``: ``data.cache_dir``), where an earlier run
    fitted them on the same rows: then nothing is forked."""

    def __init__(self, bundle, names: str = "all", seed: int = 0, cache_dir: str | None = None):
        from . import references_cache

        self.bundle, self.names, self.seed, self.cache_dir = bundle, names, seed, cache_dir
        self.proc = self.conn = None
        self.key = references_cache.references_key(bundle, names, seed)
        self.cached = references_cache.load(self.key, cache_dir)
        if self.cached is None and _forkable(bundle, names):
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            self.conn, child_end = ctx.Pipe(duplex=False)
            try:
                self.proc = ctx.Process(target=_child, args=(child_end, bundle, names, seed),
                                        daemon=True, name="hakseup-references")
                start(self.proc)
            except OSError:                               # no processes left: in process
                self.proc = None
            child_end.close()

    def result(self) -> tuple[dict, list]:
        """(metrics per reference, notices), as ``references.fit_references`` returns them."""
        from . import references_cache

        if self.cached is not None:
            return self.cached
        refs, notices = self._fitted()
        references_cache.store(self.key, refs, notices, self.cache_dir)
        return refs, notices

    def _fitted(self) -> tuple[dict, list]:
        from .references import fit_references

        if self.proc is not None:
            try:
                # A child that never got past the fork (a lock another thread of the parent
                # held at that moment: seen beside a library's thread pool) says nothing:
                # it is stopped and the references are fitted here instead of waiting forever.
                if not self.conn.poll(START_S) or self.conn.recv_bytes() != STARTED:
                    raise EOFError
                data = json.loads(self.conn.recv_bytes().decode())
            except (EOFError, OSError, ValueError):      # the child died: fit here
                data = {"error": "no answer"}
            self.close()
            if "error" not in data:
                return data["refs"], data["notices"]
        # In process: through JSON as from the child, so either way gives the same values.
        return json.loads(json.dumps(fit_references(self.bundle, self.names, self.seed)))

    def close(self) -> None:
        """Stop the child if it still runs (an interrupted or failed run)."""
        if self.proc is not None:
            stop(self.proc)
            self.proc = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
