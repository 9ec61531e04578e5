"""A weakly supervised score per observable: can a classifier tell the data from the model?

For one histogram, two classes of replicated measurements, labelled only "data" or
"MC" (no bin is labelled as wrong -- the supervision is weak):

* MC: ``m(theta_s) + N(0, sigma^2)`` with ``theta_s`` spread as the parameters are known
  (posterior samples from ``mlhad sbi``, or the fit's Gaussian approximation);
* data: ``d + N(0, sigma^2)``, what the measurement could have given around its value,

with ``sigma^2 = (s^2 + e^2)/w^2`` as in the chi2. A logistic regression on the
standardised bins is trained and its area under the ROC curve measured on held-out
replicas (5-fold cross-validation). AUC 0.5: indistinguishable; 1: separable. Its
coefficients show which bins separate the classes.

Calibration. For one parameter point and Gaussian noise the optimal classifier is
linear and ``AUC = Phi(sqrt(chi2 / 2))`` with ``chi2`` the observable's chi2 at that
point (tested). Even a perfectly modelled observable is therefore separable: its data
are one noisy draw, ``chi2 ~ chi2_n``, so a correct model of ``n`` bins gives a median
AUC of ``Phi(sqrt(median(chi2_n) / 2))`` (0.68 for one bin, 0.97 for 8, 0.99999 for 40):
the AUC saturates for histograms of many bins, where only the chi2 still ranks.
:func:`null_auc` gives that expectation; the report shows the AUC next to it. The score
agrees with the chi2 decomposition where that is exact and adds the parameter
uncertainty (a spread MC class is harder to separate) where it is not; the ranking
uses the chi2 p-values, whose null distribution is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

__all__ = ["ClassifierScore", "classify_observable", "auc_standard_error", "null_auc", "auc_from_chi2"]


@dataclass(frozen=True)
class ClassifierScore:
    """Held-out AUC, its standard error, and the per-bin weights of the linear classifier.

    Attributes:
        auc: area under the ROC curve on held-out replicas.
        error: Hanley-McNeil standard error of ``auc``.
        coefficients: ``(n,)`` weights on the standardised bins (sign: towards "data").
    """

    auc: float
    error: float
    coefficients: np.ndarray


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC estimated from ``n_pos`` and ``n_neg`` cases."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def auc_from_chi2(chi2: np.ndarray | float) -> np.ndarray:
    """The optimal classifier's AUC for two Gaussians whose means differ by ``chi2`` (Mahalanobis squared)."""
    from scipy.stats import norm

    return norm.cdf(np.sqrt(np.asarray(chi2, dtype=np.float64) / 2.0))


def null_auc(n_points: int, *, quantiles: tuple[float, ...] = (0.5, 0.95), n_draws: int = 20_000,
             seed: int = 0) -> tuple[float, ...]:
    """Quantiles of the AUC of a correctly modelled observable of ``n_points`` bins (``chi2 ~ chi2_n``)."""
    chi2 = np.random.default_rng(seed).chisquare(n_points, n_draws)
    return tuple(float(q) for q in np.quantile(auc_from_chi2(chi2), quantiles))


def classify_observable(data: np.ndarray, sigma_data: np.ndarray, mc_values: np.ndarray, mc_sigma: np.ndarray,
                        rng: np.random.Generator, *, n_replicas: int = 400) -> ClassifierScore:
    """Train and score the data-vs-MC classifier for one histogram.

    Args:
        data: ``(n,)`` the measured values.
        sigma_data: ``(n,)`` noise of a data replica.
        mc_values: ``(S, n)`` predictions at ``S`` parameter points.
        mc_sigma: ``(S, n)`` noise of an MC replica at each point.
        rng: seeds the replicas and the folds.
        n_replicas: replicas per class.
    """
    d = np.asarray(data, dtype=np.float64)
    pick = rng.integers(0, mc_values.shape[0], size=n_replicas)
    mc = mc_values[pick] + rng.standard_normal((n_replicas, d.size)) * mc_sigma[pick]
    dat = d + rng.standard_normal((n_replicas, d.size)) * sigma_data
    x = np.concatenate([mc, dat])
    y = np.concatenate([np.zeros(n_replicas), np.ones(n_replicas)])
    scale = np.where(sigma_data > 0, sigma_data, 1.0)
    x = (x - d) / scale
    model = LogisticRegression(C=1.0, max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=int(rng.integers(0, 2**31 - 1)))
    prob = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, prob))
    coef = model.fit(x, y).coef_[0]
    return ClassifierScore(auc, auc_standard_error(auc, n_replicas, n_replicas), coef)
