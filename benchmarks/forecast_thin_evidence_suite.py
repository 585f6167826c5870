"""The series section of ``quality_series.py`` (``suite_run``: one default run per series,
horizon and seed, scored on the test period) without the M1 panel, whose default does not
go through ``forecast_combine`` — to measure a change of the single-series rule:

    OMP_NUM_THREADS=1 python benchmarks/forecast_thin_evidence_suite.py --seeds 0 --json out.json

The exact AutoARIMA search is left out (``--exact`` adds it: 3–5 minutes on solar alone); it
is a reference, the same with any rule.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import SUITE, _series_markdown, suite_run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0")
    p.add_argument("--horizons", default="default,1")
    p.add_argument("--names", default=",".join(SUITE))
    p.add_argument("--exact", action="store_true")
    p.add_argument("--json", required=True)
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for hz in args.horizons.split(","):
            for name in args.names.split(","):
                r = suite_run(name, None if hz == "default" else int(hz), seed,
                              exact=args.exact and hz == "default")
                rows.append(r)
                print(f"h={r['horizon']:<3d} {name:17s} seed {seed}: default {r['default']:.3f}"
                      f" ({r['rule']}) | {r['seconds']:.0f} s", flush=True)
                Path(args.json).write_text(json.dumps({"series": rows}, indent=1))
    print(_series_markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
