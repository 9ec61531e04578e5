"""Statistical variance of normalised MC histograms, with the event as the independent unit.

A normalised bin is a ratio of sums over independent events,
``R_b = S_b / T`` with ``S_b = sum_e w_e c_eb`` (``c_eb`` = the event's summed fill factor
in bin b, its ``count``) and ``T = sum_e w_e t_e``: ``t_e = 1`` for accepted events
(``per_event``, ``fraction``, ``mean``: ``T = W``) or ``t_e = sum_b c_eb`` (``unit_area``:
``T`` = all fills, flows included). To first order (delta method, events i.i.d.)::

    Var(R_b) = sum_e w_e**2 (c_eb - R_b t_e)**2 / T**2
             = (A_b - 2 R_b B_b + R_b**2 C) / T**2,
    A_b = sum_rows w**2 c**2,  B_b = sum_rows w**2 c t,  C = sum_e w_e**2 t_e**2.

This accounts for the several fills one event makes in a spectrum (they are
correlated: YODA's ``sumw2 = sum w**2`` per fill assumes they are not) and for the
normalisation being estimated from the same events (a unit-area bin is binomial,
``R (1 - R) / N`` for unit weights, not ``R / N``). For unit weights and
``per_event`` it equals the sample variance of ``c_eb`` over events divided by N.

Profiles (mean of ``y`` in bins of ``x``) use the same rule with ``S_b = sum w sumy_eb``,
``T_b = sum w count_eb``: ``Var(m_b) = sum_e w_e**2 (sumy_eb - m_b count_eb)**2 / T_b**2``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ratio_variance", "profile_variance", "yoda_profile_error", "effective_sample_fraction"]


def ratio_variance(ratio: np.ndarray, total: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``Var(R_b) = (A_b - 2 R_b B_b + R_b**2 C) / T**2``, clipped at 0 against rounding.

    Args:
        ratio: ``(K, n)`` the normalised bins ``R_b`` (before any division by the bin width).
        total: ``(K,)`` the normalisation ``T``.
        a, b: ``(K, n)`` the row sums ``A_b`` and ``B_b``.
        c: ``(K,)`` the event sum ``C``.

    Example:
        >>> # 4 unit-weight events, one fill each, 3 in bin 0 and 1 in bin 1 (unit area):
        >>> r = np.array([[0.75, 0.25]]); a = np.array([[3.0, 1.0]])
        >>> ratio_variance(r, np.array([4.0]), a, a, np.array([4.0])).tolist()   # R(1-R)/N
        [[0.046875, 0.046875]]
    """
    var = (a - 2.0 * ratio * b + ratio * ratio * c[:, None]) / (total[:, None] ** 2)
    return np.maximum(var, 0.0)


def profile_variance(mean: np.ndarray, sumw: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Delta-method variance of profile means ``m_b``.

    Args:
        mean: ``(K, n)`` means ``m_b``.
        sumw: ``(K, n)`` denominators ``T_b = sum w count``.
        a: ``(K, n)`` ``sum_rows w**2 sumy**2``; b: ``sum_rows w**2 sumy count``;
            c: ``sum_rows w**2 count**2``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (a - 2.0 * mean * b + mean * mean * c) / (sumw * sumw)
    return np.where(np.isfinite(var), np.maximum(var, 0.0), np.nan)


def yoda_profile_error(sumw: np.ndarray, sumw2: np.ndarray, sumwy: np.ndarray, sumwy2: np.ndarray) -> np.ndarray:
    """YODA's error of a profile mean: ``sqrt(variance / effective entries)``.

    ``variance = (sumwy2 sumw - sumwy**2) / (sumw**2 - sumw2)`` and
    ``effective entries = sumw**2 / sumw2`` (YODA ``Dbn1D::stdErr``); NaN where undefined
    (fewer than two effective entries).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (sumwy2 * sumw - sumwy * sumwy) / (sumw * sumw - sumw2)
        neff = sumw * sumw / sumw2
        err = np.sqrt(np.maximum(variance, 0.0) / neff)
    return np.where(np.isfinite(err) & (sumw * sumw > sumw2), err, np.nan)


def effective_sample_fraction(weights: np.ndarray) -> float:
    """Kish's n_eff / n = (sum w)^2 / (n sum w^2): 1 for equal weights, small when few events dominate
    (NaN for no weights, 0 when all are zero)."""
    w = np.asarray(weights, dtype=np.float64)
    if not w.size:
        return float("nan")
    sum_w2 = float(np.sum(w * w))
    return float(w.sum() ** 2 / (w.size * sum_w2)) if sum_w2 > 0 else 0.0
