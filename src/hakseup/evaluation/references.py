"""Classical references beside every tabular result: would a one-line scikit-learn model do
better than the network?

Classification: majority class, logistic regression, HistGradientBoosting; regression: the
training mean, ridge, HistGradientBoosting. They are fitted on exactly the network's training
rows *after* the network's own fitted preprocessing (the bundle's train tensors: imputed,
scaled numbers and categorical codes — one-hot for the linear model, native categories for the
trees) and scored on the same test rows, with the same metric functions. Past a size limit the
training rows are subsampled (and a notice says so), so references never cost more than a few
seconds.

Example:
    >>> refs, notices = fit_references(bundle)                                  # doctest: +SKIP
    >>> reference_verdict(metrics, refs, "multiclass", n_test=len(bundle.test))  # doctest: +SKIP
    'The network ties with the best classical reference (hgb: accuracy 0.9710 vs 0.9750, ...'
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..metrics import classification_metrics, regression_metrics
from ..i18n import t

__all__ = ["REFERENCE_NAMES", "fit_references", "fit_reference_numbers", "render_notes",
           "reference_verdict", "reference_summary",
           "best_reference", "MAX_ROWS", "MAX_WORK"]

REFERENCE_NAMES = {"classification": ["majority", "logistic", "hgb"],
                   "regression": ["mean", "ridge", "hgb"]}
TRIVIAL = {"majority", "mean"}
MAX_ROWS = 20_000          # training rows the references see at most
MAX_WORK = 2_000_000       # rows × features × trees per boosting round, at most (one
                           # thread: about 10-15 s of HistGradientBoosting on a busy 2-core CPU)
HGB_MAX_CATEGORIES = 255   # HistGradientBoosting's native categories need codes < max_bins


def _design(split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(numeric block flattened, categorical codes, target) of a split."""
    inputs = split.inputs
    x_num = inputs[0].detach().cpu().numpy().reshape(len(split), -1).astype(np.float64)
    if len(inputs) > 1 and inputs[1].ndim == 2 and inputs[1].shape[1]:
        x_cat = inputs[1].detach().cpu().numpy().astype(np.int64)
    else:
        x_cat = np.zeros((len(split), 0), dtype=np.int64)
    return x_num, x_cat, split.target.detach().cpu().numpy()


def _subsample(n: int, width: int, per_round: int, seed: int
               ) -> tuple[np.ndarray | None, list | None]:
    """Rows to keep when the training set is past the limits (None: keep all). ``per_round``:
    trees per boosting round (one per class past two classes)."""
    limit = min(MAX_ROWS, max(1_000, MAX_WORK // max(width * per_round, 1)))
    if n <= limit:
        return None, None
    keep = np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
    return keep, ["notice.evaluation.references.subsampled", {"limit": limit, "n": n}]


def _models(classification: bool, n_num: int, cat_cards: list[int], seed: int) -> dict:
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = list(range(n_num))
    cat = list(range(n_num, n_num + len(cat_cards)))
    # The numbers are already imputed (and usually standardised) by the network's
    # preprocessing; scaling again is harmless and keeps the linear model well-conditioned
    # when --no-normalize left raw values.
    linear = ColumnTransformer([("num", StandardScaler(), num),
                                ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
    # Trees take codes as native categories where the histogram allows it, else as numbers.
    native = [False] * n_num + [c <= HGB_MAX_CATEGORIES for c in cat_cards]
    native_arg = native if any(native) else None
    if classification:
        return {"majority": DummyClassifier(strategy="most_frequent"),
                "logistic": make_pipeline(linear, LogisticRegression(max_iter=1000)),
                "hgb": HistGradientBoostingClassifier(categorical_features=native_arg,
                                                      random_state=seed)}
    return {"mean": DummyRegressor(),
            "ridge": make_pipeline(linear, Ridge()),
            "hgb": HistGradientBoostingRegressor(categorical_features=native_arg,
                                                 random_state=seed)}


def _full_proba(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    """predict_proba with a column for every class, also those absent from the training rows."""
    p = model.predict_proba(x)
    out = np.zeros((len(x), n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = p
    return out


def fit_references(bundle, names: str | list[str] = "all", seed: int = 0
                   ) -> tuple[dict[str, dict], list[str]]:
    """({reference: test metrics}, notices) for a table/sequence/image bundle.

    Metrics are computed like the network's (``classification_metrics``: the same keys;
    regression in the target's original units). Returns ({}, [reason]) where references do
    not apply (forecasts, lazy datasets, an empty test split) or ``names`` is ``"none"``."""
    refs, notes = fit_reference_numbers(bundle, names, seed)
    return refs, render_notes(notes)


def render_notes(notes: list) -> list[str]:
    """The sentences of ``fit_reference_numbers``' notes, in the current language (notes are
    kept as [catalog key, fields]: numbers, stored and cached, never translated text)."""
    return [t(key, **fields) for key, fields in notes]


def fit_reference_numbers(bundle, names: str | list[str] = "all", seed: int = 0
                          ) -> tuple[dict[str, dict], list]:
    """``fit_references``' metrics, with its notices as [catalog key, fields] pairs."""
    from threadpoolctl import threadpool_limits

    from ..data.bundle import is_lazy

    schema = bundle.schema
    if names == "none" or schema.task == "forecast":
        return {}, []
    if is_lazy(bundle.train) or is_lazy(bundle.test):
        return {}, [["notice.evaluation.references.lazy_data", {}]]
    if len(bundle.test) == 0 or len(bundle.train) < 2:
        return {}, []
    classification = schema.is_classification
    wanted = REFERENCE_NAMES["classification" if classification else "regression"]
    if names != "all":
        wanted = [n for n in wanted if n in names]
    xn, xc, y = _design(bundle.train)
    tn, tc, ty = _design(bundle.test)
    per_round = schema.n_outputs if classification and schema.n_outputs > 2 else 1
    keep, notice = _subsample(len(y), xn.shape[1] + xc.shape[1], per_round, seed)
    notes = [notice] if notice else []
    if keep is not None:
        xn, xc, y = xn[keep], xc[keep], y[keep]
    x, xt = np.hstack([xn, xc]), np.hstack([tn, tc])
    cards = list(schema.cardinalities) if xc.shape[1] else []
    inverse = bundle.preprocessor.inverse_target
    models = _models(classification, xn.shape[1], cards, seed)
    out: dict[str, dict] = {}
    for name in wanted:
        model = models[name]
        try:
            # One thread: OpenMP's spinning threads next to PyTorch's (or other processes)
            # made a 300-row HistGradientBoosting fit take seconds instead of milliseconds.
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")   # convergence chatter is not the user's concern
                if classification:
                    model.fit(x, y.astype(int))
                    m = classification_metrics(ty, _full_proba(model, xt, schema.n_outputs),
                                               schema.n_outputs)
                else:
                    yy = y.reshape(len(y), -1)
                    model.fit(x, yy[:, 0] if yy.shape[1] == 1 else yy)
                    pred = model.predict(xt).reshape(len(xt), -1)
                    m = regression_metrics(inverse(ty), inverse(pred))
        except ValueError as e:   # e.g. HGB refusing a multi-output target: skip, say why
            notes.append(["notice.evaluation.references.reference_could_fitted",
                            {"name": name, "e": str(e).splitlines()[0]}])
            continue
        # No timing in the metrics: metrics.json must be identical for identical runs.
        out[name] = m
    return out, notes


def best_reference(refs: dict[str, dict], task: str) -> str | None:
    """The strongest non-trivial reference by the task's main measure."""
    key, lower = _measure(task)
    named = [n for n in refs if n not in TRIVIAL and key in refs[n]] or \
            [n for n in refs if key in refs[n]]
    if not named:
        return None
    return (min if lower else max)(named, key=lambda n: refs[n][key])


def _measure(task: str) -> tuple[str, bool]:
    """(metric, lower is better) the verdict compares."""
    return ("accuracy", False) if task in ("binary", "multiclass") else ("rmse", True)


def _noise(task: str, value: float, n_test: int) -> float:
    """About two standard errors of a test score on ``n_test`` rows: binomial for accuracy;
    for RMSE, RMSE/sqrt(2n) (the standard error of a sample standard deviation)."""
    n = max(n_test, 1)
    if task in ("binary", "multiclass"):
        p = min(max(value, 0.0), 1.0)
        return 2 * math.sqrt(max(p * (1 - p), 1.0 / n) / n)
    return 2 * value / math.sqrt(2 * n)


def reference_verdict(metrics: dict, refs: dict[str, dict], task: str, n_test: int) -> str:
    """One plain sentence: the network beats, ties (within the noise of the test size) or
    loses to the best classical reference, and by how much."""
    best = best_reference(refs, task)
    key, lower = _measure(task)
    if best is None or key not in metrics:
        return ""
    net, ref = float(metrics[key]), float(refs[best][key])
    noise = _noise(task, ref, n_test)
    diff = (ref - net) if lower else (net - ref)           # > 0: the network is better
    if task in ("binary", "multiclass"):
        size = t("ref.size_class", diff=f"{abs(diff) * 100:.1f}", net=f"{net:.4f}",
                 ref=f"{ref:.4f}")
        band = t("ref.band_class", noise=f"{noise * 100:.1f}")
    else:
        size = t("ref.size_reg", diff=f"{abs(diff):.4g}", net=f"{net:.4g}", ref=f"{ref:.4g}")
        band = f"±{noise:.3g}"
    verdict = "ref.ties" if abs(diff) <= noise else "ref.beats" if diff > 0 else "ref.loses"
    return t(verdict, best=best, size=size, n=n_test, band=band)


def reference_summary(bundle, metrics: dict, names: str = "all", seed: int = 0) -> dict:
    """What a run records about its references: ``{"metrics": {name: metrics}, "verdict":
    sentence, "notices": [...]}`` (empty metrics when they are off or do not apply). The one
    call ``train``, ``cv`` (per fold) and ``evaluate`` make."""
    refs, notices = fit_references(bundle, names, seed)
    verdict = reference_verdict(metrics, refs, bundle.schema.task, len(bundle.test)) \
        if refs else ""
    return {"metrics": refs, "verdict": verdict, "notices": notices}
