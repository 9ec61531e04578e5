"""The goodness of fit between reference data and an MC prediction, as Professor computes it.

For reference points ``i`` with value ``d_i``, symmetric data error ``s_i`` (the mean of
the down and up errors, as Professor's ``DataBin.err``), MC value ``m_i`` with
statistical error ``e_i`` and bin weight ``w_i`` (default 1)::

    chi2 = sum_i w_i**2 (d_i - m_i)**2 / (s_i**2 + e_i**2)

Weights enter squared, as in Professor 2's ``prof2-tune`` (``chi2 += w * w * diff**2 /
err2`` in its goodness-of-fit function), so a weight scales a point's pull linearly.
Points with weight 0 are left out. The number of degrees of freedom of a histogram is
its number of points with non-zero weight (no parameters are fitted in a comparison).
"""

from __future__ import annotations

import numpy as np

from mlhad.exceptions import HistogramError

__all__ = ["chi2_terms", "chi2", "symmetric_error"]


def symmetric_error(err_minus: np.ndarray, err_plus: np.ndarray) -> np.ndarray:
    """Professor's scalar data error: the mean of the down and up magnitudes."""
    return 0.5 * (np.abs(np.asarray(err_minus, dtype=np.float64)) + np.abs(np.asarray(err_plus, dtype=np.float64)))


def chi2_terms(data: np.ndarray, data_err: np.ndarray, mc: np.ndarray, mc_err: np.ndarray,
               weights: np.ndarray | None = None, *, name: str = "histogram") -> np.ndarray:
    """Per-point contributions ``w**2 (d - m)**2 / (s**2 + e**2)`` (0 where ``w = 0``).

    Args:
        data, data_err: ``(n,)`` reference values and symmetric errors.
        mc, mc_err: ``(n,)`` MC values and statistical errors.
        weights: ``(n,)`` non-negative bin weights, default 1.
        name: histogram name for error messages.

    Raises:
        HistogramError: a point used in the chi2 (weight > 0) with zero total error or a
            non-finite value; the message names the histogram and the point.

    Example:
        >>> chi2_terms(np.array([1.0, 2.0]), np.array([0.1, 0.2]), np.array([1.1, 2.0]), np.array([0.0, 0.0])).round(6).tolist()
        [1.0, 0.0]
    """
    d, s, m, e = (np.asarray(a, dtype=np.float64) for a in (data, data_err, mc, mc_err))
    w = np.ones_like(d) if weights is None else np.asarray(weights, dtype=np.float64)
    used = w > 0
    bad = used & ~(np.isfinite(d) & np.isfinite(m) & np.isfinite(s) & np.isfinite(e))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise HistogramError(
            f"{name}: point {i} has a non-finite value (data {d[i]!r} +- {s[i]!r}, MC {m[i]!r} +- {e[i]!r}); "
            "the MC bin is probably empty: generate more events, or give the point weight 0"
        )
    err2 = s * s + e * e
    zero = used & (err2 == 0)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise HistogramError(
            f"{name}: point {i} has zero data and MC error (data {d[i]!r}, MC {m[i]!r}); the chi2 is undefined "
            "there: give it weight 0 in the weight file"
        )
    out = np.zeros_like(d)
    out[used] = w[used] ** 2 * (d[used] - m[used]) ** 2 / err2[used]
    return out


def chi2(data: np.ndarray, data_err: np.ndarray, mc: np.ndarray, mc_err: np.ndarray,
         weights: np.ndarray | None = None) -> float:
    """Sum of :func:`chi2_terms`."""
    return float(chi2_terms(data, data_err, mc, mc_err, weights).sum())
