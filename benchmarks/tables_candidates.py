"""Candidates for the tables default, measured paired over the quality suite's outer folds.

For each outer fold of ``benchmarks/quality.py`` (the same K-fold and the same validation
rows as ``hakseup cv``), on the fold's *rest* rows only (the held-out rows are scored, never
used for a choice):

    base      the default network (what ``hakseup cv`` trains: fit on the training rows, best
              epoch on the validation rows)
    bag       K_in networks, one per inner fold of the rest rows (RealMLP's bagging): each is
              fitted on the other inner folds, its best epoch chosen on its own inner fold;
              the test prediction is their mean (regression) / mean probability
    blend     regression: the base network's prediction mixed with a ridge regression of its
              encoded inputs, ``w·ridge + (1−w)·net``; ridge's alpha by leave-one-out on the
              training rows, ``w`` (0, 0.1, …, 1) by the validation rows' squared error
    bag+blend the same mix on the bag, ``w`` chosen on the members' out-of-fold predictions

    OMP_NUM_THREADS=1 python benchmarks/tables_candidates.py --only carseats,hitters \\
        --out benchmarks/results/tables_candidates.json

Prints per table the mean ± std over the folds of each candidate and its paired difference
to ``base``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import quality  # noqa: E402

W_GRID = np.round(np.linspace(0, 1, 11), 2)


def _cfg(table, overrides=()):
    from hakseup.config.load import load_config

    flags = {"train.progress": False, "train.tensorboard": False, "output.root": "/tmp"}
    if table.dataset:
        flags["data.dataset"] = table.dataset
    else:
        flags.update({"data.path": str(quality.SHARED / table.path), "data.target": table.target})
    return load_config(flags=flags, overrides=list(overrides))


def _fit_predict(cfg, bundle, init_seed):
    """(validation outputs, test outputs) in original units, CPU seconds."""
    from hakseup.experiment.crossval import _fold_callbacks
    from hakseup.experiment.experiment import Experiment
    from hakseup.models.forward import predict

    c0 = time.process_time()
    with Experiment(cfg, bundle=bundle, init_seed=init_seed).setup() as exp, \
            warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        exp.fit(callbacks=_fold_callbacks(exp.cfg))
        exp.fit_blend()              # as ``hakseup cv`` does (a no-op without the blend)
        inv = bundle.preprocessor.inverse_target
        outs = [_as_pred(inv(predict(exp.model_, part.inputs).numpy()), exp.cfg)
                for part in (bundle.val, bundle.test)]
    return outs[0], outs[1], time.process_time() - c0


def _as_pred(out, cfg):
    return out.reshape(len(out), -1)


def _encoded(bundle, part):
    """The network's inputs as one matrix: numbers as they are, categories one-hot."""
    x_num, x_cat = part.inputs
    blocks = [x_num.numpy()]
    for i, n in enumerate(bundle.schema.cardinalities):
        blocks.append(np.eye(n)[x_cat[:, i].numpy()])
    return np.concatenate(blocks, axis=1)


def _ridge(bundle, parts):
    from sklearn.linear_model import RidgeCV

    x_tr = _encoded(bundle, bundle.train)
    y_tr = bundle.train.target.numpy().reshape(len(x_tr), -1)
    model = RidgeCV(alphas=np.logspace(-2, 3, 11)).fit(x_tr, y_tr)
    inv = bundle.preprocessor.inverse_target
    return [inv(model.predict(_encoded(bundle, p)).reshape(len(p), -1)) for p in parts]


def _mix(w, a, b):
    return w * a + (1 - w) * b


def _best_w(truth, ridge, net):
    errs = [float(np.mean((_mix(w, ridge, net) - truth) ** 2)) for w in W_GRID]
    return float(W_GRID[int(np.argmin(errs))])


def _score(task, truth, pred):
    if task == "regression":
        return quality.score(task, truth.ravel(), pred.ravel())["r2"]
    return float((pred.argmax(1) == truth).mean())


def run_fold(table, plan, cfg, k, rest, held_out, inner):
    from hakseup.data.splits import holdout_indices, kfold_indices
    from hakseup.data.table.prepare import bundle_from_plan

    seed = cfg.train.seed
    labels = plan.labels()
    strat = labels[rest] if labels is not None else None
    tr, va, _ = holdout_indices(len(rest), cfg.data.val_size, 0, seed + k, stratify=strat)
    bundle = bundle_from_plan(plan, cfg.data, seed, indices=(rest[tr], rest[va], held_out))
    task = bundle.schema.task
    inv = bundle.preprocessor.inverse_target
    truth_te = inv(bundle.test.target.numpy().reshape(len(held_out), -1)) \
        if task == "regression" else bundle.test.target.numpy()
    truth_va = inv(bundle.val.target.numpy().reshape(len(va), -1)) \
        if task == "regression" else None
    val, test, cpu = _fit_predict(cfg, bundle, seed + k)
    res = {"base": _score(task, truth_te, test), "cpu": {"base": cpu}}
    if task == "regression":
        r_va, r_te = _ridge(bundle, [bundle.val, bundle.test])
        w = _best_w(truth_va, r_va, val)
        res.update(ridge=_score(task, truth_te, r_te), blend=_score(task, truth_te,
                   _mix(w, r_te, test)), blend_w=w)
    # bag: inner folds of the rest rows
    preds, oof_net, oof_ridge, oof_truth, cpu = [], [], [], [], 0.0
    for j, (itr, iva) in enumerate(kfold_indices(len(rest), inner, seed + k, stratify=strat)):
        b = bundle_from_plan(plan, cfg.data, seed, indices=(rest[itr], rest[iva], held_out))
        v, te, c = _fit_predict(cfg, b, seed + k + 100 * (j + 1))
        cpu += c
        if task == "regression":
            preds.append(te)
            oof_net.append(v)
            oof_ridge.append(_ridge(b, [b.val])[0])
            oof_truth.append(b.preprocessor.inverse_target(
                b.val.target.numpy().reshape(len(iva), -1)))
        else:
            preds.append(np.exp(te - te.max(1, keepdims=True))
                         / np.exp(te - te.max(1, keepdims=True)).sum(1, keepdims=True))
    bag = np.mean(preds, axis=0)
    res["bag"] = _score(task, truth_te, bag)
    res["cpu"]["bag"] = cpu
    if task == "regression":
        w = _best_w(np.concatenate(oof_truth), np.concatenate(oof_ridge),
                    np.concatenate(oof_net))
        res["bag+blend"] = _score(task, truth_te, _mix(w, r_te, bag))
        res["bag_blend_w"] = w
    return res


def run_variants(table, variants):
    """{variant: per fold {"val", "test", "cpu"}}: each variant (``--set`` overrides) trained
    as ``hakseup cv`` trains the default, scored on the fold's validation rows (what a choice
    may read) and on its held-out rows (what is reported)."""
    from hakseup.data.datasets import load_raw
    from hakseup.data.splits import holdout_indices, kfold_indices
    from hakseup.data.table.prepare import bundle_from_plan, prepare_table

    out = {}
    for name, overrides in variants.items():
        cfg = _cfg(table, overrides)
        raw, defaults, source = load_raw(cfg.data)
        plan = prepare_table(raw, cfg.data, defaults, source)
        labels, seed, folds = plan.labels(), cfg.train.seed, []
        for k, (rest, held_out) in enumerate(kfold_indices(len(plan.df), quality.FOLDS, seed,
                                                           stratify=labels)):
            strat = labels[rest] if labels is not None else None
            tr, va, _ = holdout_indices(len(rest), cfg.data.val_size, 0, seed + k,
                                        stratify=strat)
            b = bundle_from_plan(plan, cfg.data, seed, indices=(rest[tr], rest[va],
                                                                np.sort(held_out)))
            val, test, cpu = _fit_predict(cfg, b, seed + k)
            task, inv = b.schema.task, b.preprocessor.inverse_target
            truth = [inv(p.target.numpy().reshape(len(p), -1)) if task == "regression"
                     else p.target.numpy() for p in (b.val, b.test)]
            folds.append({"val": _score(task, truth[0], val), "test": _score(task, truth[1], test),
                          "cpu": cpu})
        out[name] = folds
        v, te = (np.array([f[key] for f in folds]) for key in ("val", "test"))
        print(f"{table.name:16s} {name:14s} val {v.mean():.3f} ± {v.std(ddof=1):.3f}  test "
              f"{te.mean():.3f} ± {te.std(ddof=1):.3f}  folds {np.round(te, 3).tolist()}",
              flush=True)
    return out


def run_table(table, inner):
    from hakseup.data.datasets import load_raw
    from hakseup.data.splits import kfold_indices
    from hakseup.data.table.prepare import prepare_table

    cfg = _cfg(table, ["model.ridge_blend=false"])     # "base": the network alone
    raw, defaults, source = load_raw(cfg.data)
    plan = prepare_table(raw, cfg.data, defaults, source)
    labels = plan.labels()
    folds = []
    for k, (rest, held_out) in enumerate(kfold_indices(len(plan.df), quality.FOLDS,
                                                       cfg.train.seed, stratify=labels)):
        folds.append(run_fold(table, plan, cfg, k, rest, np.sort(held_out), inner))
        print(f"  {table.name} fold {k}: " + ", ".join(
            f"{n} {v:.3f}" for n, v in folds[-1].items() if isinstance(v, float)),
            file=sys.stderr, flush=True)
    return folds


def summary(name, folds):
    names = [n for n in folds[0] if n not in ("cpu",) and not n.endswith("_w")]
    base = np.array([f["base"] for f in folds])
    lines = []
    for n in names:
        v = np.array([f[n] for f in folds])
        d = v - base
        lines.append(f"{name:16s} {n:10s} {v.mean():.3f} ± {v.std(ddof=1):.3f}   "
                     f"− base {d.mean():+.4f} ± {d.std(ddof=1):.4f}")
    cpu = {n: float(np.mean([f['cpu'][n] for f in folds])) for n in folds[0]["cpu"]}
    lines.append(f"{name:16s} CPU s per fold: {cpu}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="carseats,hitters")
    ap.add_argument("--inner", type=int, default=5)
    ap.add_argument("--out", default=None)
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=KEY=VALUE;...",
                    help="instead of the candidates above: the default and each variant")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    variants = {"default": []}
    for v in args.variant:
        name, _, sets = v.partition("=")
        variants[name] = [x for x in sets.split(";") if x]
    out = {}
    for table in quality.TABLES:
        if table.name in only and args.variant:
            out[table.name] = run_variants(table, variants)
            if args.out:
                Path(args.out).write_text(json.dumps(out, indent=1))
        elif table.name in only:
            out[table.name] = run_table(table, args.inner)
            print(summary(table.name, out[table.name]), flush=True)
            if args.out:
                Path(args.out).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
