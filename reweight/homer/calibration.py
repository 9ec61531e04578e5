"""Calibration and separability of a binary classifier, as pure functions.

The step-1 weight w = p / (1 - p) is a likelihood ratio only if the classifier's
probabilities are calibrated (Cranmer, Pavez, Louppe, arXiv 1506.02169). These
functions fit Platt scaling, draw the reliability curve that shows whether it was
needed, and measure separability (ROC AUC and its spread for identical samples).
All of them take *balanced* weights: each class carries half of the total weight, so
the prior of the data class is 1/2 and p / (1 - p) is the density ratio itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from mlhad.analysis.variance import effective_sample_fraction

__all__ = ["balanced_weights", "Platt", "fit_platt", "reliability_curve", "ReliabilityCurve", "roc_auc",
           "auc_null_std", "effective_sample_fraction"]


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """(n,) weights giving each class half of the total weight n (labels 0 or 1)."""
    labels = np.asarray(labels)
    n1 = max(int(labels.sum()), 1)
    n0 = max(labels.size - n1, 1)
    return np.where(labels == 1, labels.size / (2.0 * n1), labels.size / (2.0 * n0))


def _bce(z: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    # -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] = softplus(z) - y z
    return float(np.sum(weights * (np.logaddexp(0.0, z) - labels * z)) / np.sum(weights))


@dataclass(frozen=True)
class Platt:
    """Calibrated logit ``slope * logit + offset`` (Platt 1999), identity by default."""

    slope: float = 1.0
    offset: float = 0.0

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return self.slope * np.asarray(logits) + self.offset


def fit_platt(logits: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> Platt:
    """Fit Platt scaling by minimising the (weighted) binary cross-entropy.

    Args:
        logits: (n,) raw classifier outputs on held-out events.
        labels: (n,) 1 for data, 0 for simulation.
        weights: (n,) event weights (default: balanced).
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    weights = balanced_weights(labels) if weights is None else np.asarray(weights, dtype=np.float64)
    result = minimize(lambda p: _bce(p[0] * logits + p[1], labels, weights), x0=np.array([1.0, 0.0]),
                      method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 2000})
    return Platt(slope=float(result.x[0]), offset=float(result.x[1]))


@dataclass(frozen=True)
class ReliabilityCurve:
    """Predicted probability against the observed data fraction, in bins of the prediction.

    Attributes:
        predicted: (b,) mean predicted p in each bin.
        observed: (b,) weighted fraction of data events in each bin.
        error: (b,) binomial standard error of ``observed`` (effective counts).
        weight: (b,) share of the total weight in each bin.
        ece: expected calibration error, sum of weight * |observed - predicted|.
    """

    predicted: np.ndarray
    observed: np.ndarray
    error: np.ndarray
    weight: np.ndarray
    ece: float

    def to_dict(self) -> dict[str, object]:
        return {"predicted": self.predicted.tolist(), "observed": self.observed.tolist(),
                "error": self.error.tolist(), "weight": self.weight.tolist(), "ece": self.ece}


def reliability_curve(prob: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None,
                      *, n_bins: int = 10) -> ReliabilityCurve:
    """Reliability diagram of probabilities on held-out events, in quantile bins of p.

    Args:
        prob: (n,) predicted probability of the data class.
        labels: (n,) 1 data, 0 simulation.
        weights: (n,) event weights (default: balanced).
        n_bins: number of bins (equal numbers of events).
    """
    prob = np.asarray(prob, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    weights = balanced_weights(labels) if weights is None else np.asarray(weights, dtype=np.float64)
    edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, n_bins + 1)))
    index = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, len(edges) - 2)
    nb = len(edges) - 1
    sw = np.bincount(index, weights, nb)
    sw2 = np.bincount(index, weights**2, nb)
    good = sw > 0
    predicted = np.bincount(index, weights * prob, nb)[good] / sw[good]
    observed = np.bincount(index, weights * labels, nb)[good] / sw[good]
    n_eff = sw[good] ** 2 / sw2[good]
    error = np.sqrt(np.clip(observed * (1 - observed), 1e-12, None) / n_eff)
    share = sw[good] / sw.sum()
    return ReliabilityCurve(predicted=predicted, observed=observed, error=error, weight=share,
                            ece=float(np.sum(share * np.abs(observed - predicted))))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (probability that a data event scores above a simulated one)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(labels), np.asarray(scores)))


def auc_null_std(n_data: int, n_sim: int) -> float:
    """Standard deviation of the AUC for two samples from the same distribution.

    The Mann-Whitney statistic under H0 has variance (n1 + n0 + 1) / (12 n1 n0).
    """
    return math.sqrt((n_data + n_sim + 1) / (12.0 * n_data * n_sim))
