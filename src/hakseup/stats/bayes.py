"""Bayes' theorem for a diagnostic test, and precision at a deployment prevalence.

Example:
    >>> [round(p, 4) for p in posteriors(0.1, 0.99, 0.01, positives=2)]
    [0.9167, 0.9991]
    >>> round(precision_at_prevalence(recall=0.9, false_positive_rate=0.05, prevalence=0.01), 4)
    0.1538
"""

from __future__ import annotations

from ..errors import HakseupError
from ..i18n import t

__all__ = ["posteriors", "expected_counts", "precision_at_prevalence", "check_probability"]


def check_probability(name: str, value: float) -> float:
    if not (0.0 <= value <= 1.0) or value != value:
        raise HakseupError(t("error.stats.bayes.must_probability_between", name=name, value=value))
    return value


def posteriors(
    prevalence: float, sensitivity: float, false_positive_rate: float, positives: int = 1
) -> list[float]:
    """P(condition | k positive tests) for k = 1..positives; each posterior is the next prior
    (tests assumed independent given the condition)."""
    p, out = prevalence, []
    for _ in range(positives):
        evidence = sensitivity * p + false_positive_rate * (1 - p)
        p = sensitivity * p / evidence if evidence > 0 else 0.0
        out.append(p)
    return out


def expected_counts(
    prevalence: float, sensitivity: float, false_positive_rate: float, people: int = 1000
) -> dict[str, float]:
    sick = people * prevalence
    healthy = people - sick
    return {
        "true positives": sick * sensitivity,
        "false negatives": sick * (1 - sensitivity),
        "false positives": healthy * false_positive_rate,
        "true negatives": healthy * (1 - false_positive_rate),
    }


def precision_at_prevalence(recall: float, false_positive_rate: float, prevalence: float) -> float:
    """Precision a classifier would have where positives make up ``prevalence`` of cases."""
    tp = recall * prevalence
    fp = false_positive_rate * (1 - prevalence)
    return tp / (tp + fp) if tp + fp > 0 else 0.0
