"""The recurrent models' stem: what ``--model lstm`` reads on long sequences.

For each candidate (a dict of ``model.*`` keys on top of ``--model lstm``), the 5-fold inner
cross-validation accuracy on each UCR problem's *training* file (``quality_series.inner_cv``:
the test file is never read) — what the choice of the default reads — and, with ``--test``,
the test accuracy on the official test files over seeds 0..S-1. Jobs run in ``--workers``
processes, each with one thread (``OMP_NUM_THREADS=1``)::

    OMP_NUM_THREADS=1 python benchmarks/recurrent_stem.py \\
        --json benchmarks/results/recurrent_stem.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

BASE = {"name": "lstm", "lstm_impl": "scratch"}
CANDIDATES = {
    "flat": {"stem": "none"},  # the flat k·F values of each patch (the default before)
    "conv": {"stem": "conv"},  # models/recurrent.py's ConvStem
}

def _job(kind: str, label: str, model: dict, name: str, seed: int) -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from quality_series import inner_cv, ucr_default_run

    c0 = time.process_time()
    model = dict(model)
    train = model.pop("train", {})
    if kind == "cv":
        accs = inner_cv(name, {**BASE, **model}, folds=5, seed=seed, train=train)
    else:
        accs = [ucr_default_run(name, seed, {**BASE, **model})[0]]
    return {"kind": kind, "label": label, "problem": name, "seed": seed, "accuracy": accs,
            "cpu_s": time.process_time() - c0}


def main(argv: list[str] | None = None) -> int:
    from quality_series import UCR

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--problems", default=",".join(UCR))
    ap.add_argument("--test", action="store_true", help="test files, seeds 0..S-1, not inner CV")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--extra", default="{}", help="JSON model keys added to every candidate")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    extra = json.loads(args.extra)
    out = Path(args.json) if args.json else None
    rows = json.loads(out.read_text())["rows"] if out and out.exists() else []
    jobs = []
    for name in args.problems.split(","):
        for label in args.candidates.split(","):
            model = {**CANDIDATES.get(label, {}), **extra}
            tag = label + (f" {args.extra}" if extra else "")
            seeds = range(args.first_seed, args.first_seed + args.seeds)
            for seed in seeds if args.test else [args.first_seed]:
                jobs.append(("test" if args.test else "cv", tag, model, name, seed))
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(_job, *j) for j in jobs]
        for f in as_completed(futures):
            r = f.result()
            rows.append(r)
            a = r["accuracy"]
            sd = statistics.stdev(a) if len(a) > 1 else 0.0
            print(f"{r['kind']:4s} {r['problem']:16s} {r['label']:24s} seed {r['seed']} "
                  f"{statistics.mean(a):.3f} ± {sd:.3f}  CPU {r['cpu_s']:.0f} s", flush=True)
            if out:
                out.write_text(json.dumps({"rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
