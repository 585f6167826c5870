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

from ..i18n import t
from ..metrics import classification_metrics, regression_metrics

__all__ = [
    "MAX_ROWS",
    "MAX_WORK",
    "PEERS",
    "REFERENCE_NAMES",
    "best_reference",
    "fit_reference_numbers",
    "fit_references",
    "peer_models",
    "reference_summary",
    "reference_verdict",
    "render_notes",
]

REFERENCE_NAMES = {
    "classification": ["majority", "logistic", "hgb"],
    "regression": ["mean", "ridge", "hgb"],
}
# The strongest free peers, fitted where installed (``pip install 'hakseup[peers]'``): boosted
# trees with categories for tables, MiniRocket beside 1-NN for sequences. One thread each.
PEERS = {"table": ["lightgbm", "catboost"], "sequence": ["1nn", "minirocket"]}
PEER_PACKAGES = {"lightgbm": "lightgbm", "catboost": "catboost", "minirocket": "aeon"}
TRIVIAL = {"majority", "mean"}
MAX_ROWS = 20_000  # training rows the references see at most
MAX_WORK = 2_000_000  # rows × features × trees per boosting round, at most (one
# thread: about 10-15 s of HistGradientBoosting on a busy 2-core CPU)
HGB_MAX_CATEGORIES = 255  # HistGradientBoosting's native categories need codes < max_bins


def _design(split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(numeric block flattened, categorical codes, target) of a split."""
    inputs = split.inputs
    x_num = inputs[0].detach().cpu().numpy().reshape(len(split), -1).astype(np.float64)
    if len(inputs) > 1 and inputs[1].ndim == 2 and inputs[1].shape[1]:
        x_cat = inputs[1].detach().cpu().numpy().astype(np.int64)
    else:
        x_cat = np.zeros((len(split), 0), dtype=np.int64)
    return x_num, x_cat, split.target.detach().cpu().numpy()


def _subsample(
    n: int, width: int, per_round: int, seed: int
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
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = list(range(n_num))
    cat = list(range(n_num, n_num + len(cat_cards)))
    # The numbers are already imputed (and usually standardised) by the network's
    # preprocessing; scaling again is harmless and keeps the linear model well-conditioned
    # when --no-normalize left raw values.
    linear = ColumnTransformer(
        [("num", StandardScaler(), num), ("cat", OneHotEncoder(handle_unknown="ignore"), cat)]
    )
    # Trees take codes as native categories where the histogram allows it, else as numbers.
    native = [False] * n_num + [c <= HGB_MAX_CATEGORIES for c in cat_cards]
    native_arg = native if any(native) else None
    if classification:
        return {
            "majority": DummyClassifier(strategy="most_frequent"),
            "logistic": make_pipeline(linear, LogisticRegression(max_iter=1000)),
            "hgb": HistGradientBoostingClassifier(
                categorical_features=native_arg, random_state=seed
            ),
        }
    return {
        "mean": DummyRegressor(),
        "ridge": make_pipeline(linear, Ridge()),
        "hgb": HistGradientBoostingRegressor(categorical_features=native_arg, random_state=seed),
    }


class _Adapter:
    """A peer behind scikit-learn's fit/predict on the references' design matrix: rebuilds
    what the peer reads (a frame with categorical columns; sequences as (N, C, T))."""

    def __init__(self, model, convert):
        self.model, self.convert = model, convert

    def fit(self, x, y):
        try:
            self.model.fit(self.convert(x), y)
        except Exception as e:  # each peer has its own error class
            # (CatBoostError, LightGBMError): a reference that cannot fit is skipped, named.
            raise ValueError(str(e) or type(e).__name__) from e
        return self

    def predict(self, x):
        return np.asarray(self.model.predict(self.convert(x)))

    def predict_proba(self, x):
        return self.model.predict_proba(self.convert(x))

    @property
    def classes_(self):
        return self.model.classes_


def _frame(n_num: int, cat_cards: list[int], category_dtype: bool):
    """numpy [numbers | codes] → a DataFrame whose code columns are categorical."""
    import pandas as pd

    def convert(x):
        df = pd.DataFrame(x[:, :n_num], columns=[f"x{i}" for i in range(n_num)])
        for j, card in enumerate(cat_cards):
            codes = x[:, n_num + j].astype(np.int64)
            df[f"c{j}"] = (
                pd.Categorical(codes, categories=range(max(card, 1))) if category_dtype else codes
            )
        return df

    return convert


def peer_models(
    classification: bool,
    input_kind: str,
    n_num: int,
    cat_cards: list[int],
    seed: int,
    shape: tuple[int, ...] = (),
) -> tuple[dict, list[str]]:
    """({peer: model} for the peers that are installed, [peers not installed]) for this kind
    of data (tables: LightGBM, CatBoost; sequences: 1-NN, MiniRocket)."""
    import importlib.util

    kind = "sequence" if input_kind in ("sequence", "series") else input_kind
    models, missing = {}, []
    for name in PEERS.get(kind, []):
        package = PEER_PACKAGES.get(name)
        if package and importlib.util.find_spec(package) is None:
            missing.append(name)
            continue
        try:
            models[name] = _peer(name, classification, n_num, cat_cards, seed, shape)
        except (ImportError, AttributeError, OSError, RuntimeError):  # installed, not
            # importable here (e.g. aeon's numba refusing a newer NumPy)
            missing.append(name)
    return models, missing


def _peer(
    name: str,
    classification: bool,
    n_num: int,
    cat_cards: list[int],
    seed: int,
    shape: tuple[int, ...],
):
    if name == "1nn":
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        return KNeighborsClassifier(1) if classification else KNeighborsRegressor(1)
    if name == "minirocket":
        from aeon.classification.convolution_based import MiniRocketClassifier
        from aeon.regression.convolution_based import MiniRocketRegressor

        cls = MiniRocketClassifier if classification else MiniRocketRegressor
        steps, channels = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        return _Adapter(
            cls(random_state=seed, n_jobs=1),
            lambda x: x.reshape(len(x), steps, channels).transpose(0, 2, 1).copy(),
        )
    if name == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
        return _Adapter(
            cls(num_threads=1, random_state=seed, verbose=-1), _frame(n_num, cat_cards, True)
        )
    import catboost

    cls = catboost.CatBoostClassifier if classification else catboost.CatBoostRegressor
    cats = list(range(n_num, n_num + len(cat_cards)))
    return _Adapter(
        cls(
            thread_count=1,
            random_seed=seed,
            verbose=0,
            cat_features=cats,
            allow_writing_files=False,
        ),
        _frame(n_num, cat_cards, False),
    )


def _full_proba(model, x: np.ndarray, n_classes: int) -> np.ndarray:
    """predict_proba with a column for every class, also those absent from the training rows."""
    p = model.predict_proba(x)
    out = np.zeros((len(x), n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = p
    return out


def _add_peers(
    models: dict, wanted: list[str], notes: list, schema, n_num: int, cards: list[int], seed: int
) -> list[str]:
    """Put the installed peers into ``models``; the names to fit; a note (catalog key, fields)
    for the others."""
    peers, missing = peer_models(
        schema.is_classification, schema.input_kind, n_num, cards, seed, tuple(schema.input_shape)
    )
    models.update(peers)
    if missing:
        notes.append(["notice.evaluation.references.peers_not_run", {"names": ", ".join(missing)}])
    return wanted + [n for n in peers if n not in wanted]


def fit_references(
    bundle, names: str | list[str] = "all", seed: int = 0
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


def _fit_and_score(model, x, y, xt, ty, schema, inverse) -> dict:
    """Fit one reference ``model`` on (x, y) and return its metrics on (xt, ty)."""
    from threadpoolctl import threadpool_limits

    # One thread: OpenMP's spinning threads next to PyTorch's (or other processes)
    # made a 300-row HistGradientBoosting fit take seconds instead of milliseconds.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")  # convergence chatter is not the user's concern
        if schema.is_classification:
            model.fit(x, y.astype(int))
            return classification_metrics(
                ty, _full_proba(model, xt, schema.n_outputs), schema.n_outputs
            )
        yy = y.reshape(len(y), -1)
        model.fit(x, yy[:, 0] if yy.shape[1] == 1 else yy)
        pred = model.predict(xt).reshape(len(xt), -1)
        return regression_metrics(inverse(ty), inverse(pred))


def fit_reference_numbers(
    bundle, names: str | list[str] = "all", seed: int = 0
) -> tuple[dict[str, dict], list]:
    """``fit_references``' metrics, with its notices as [catalog key, fields] pairs."""
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
    if names == "all":
        wanted = _add_peers(models, wanted, notes, schema, xn.shape[1], cards, seed)
    out: dict[str, dict] = {}
    for name in wanted:
        try:
            m = _fit_and_score(models[name], x, y, xt, ty, schema, inverse)
        except ValueError as e:  # e.g. HGB refusing a multi-output target: skip, say why
            notes.append(
                [
                    "notice.evaluation.references.reference_could_fitted",
                    {"name": name, "e": str(e).splitlines()[0]},
                ]
            )
            continue
        # No timing in the metrics: metrics.json must be identical for identical runs.
        out[name] = m
    return out, notes


def best_reference(refs: dict[str, dict], task: str) -> str | None:
    """The strongest non-trivial reference by the task's main measure."""
    key, lower = _measure(task)
    named = [n for n in refs if n not in TRIVIAL and key in refs[n]] or [
        n for n in refs if key in refs[n]
    ]
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
    diff = (ref - net) if lower else (net - ref)  # > 0: the network is better
    if task in ("binary", "multiclass"):
        size = t(
            "ref.size_class", diff=f"{abs(diff) * 100:.1f}", net=f"{net:.4f}", ref=f"{ref:.4f}"
        )
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
    verdict = reference_verdict(metrics, refs, bundle.schema.task, len(bundle.test)) if refs else ""
    return {"metrics": refs, "verdict": verdict, "notices": notices}
