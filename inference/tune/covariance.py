"""Full covariance of normalised predictions, and the sandwich covariance of a chi2 fit.

Professor's chi2 treats the data points as independent. Points filled by the same events
are not: a spectrum's bins share each event's multiplicity fluctuation, a unit-area
histogram's bins share its normalisation, and several observables of the same events
(xi_p, N_ch, rapidity) are correlated with each other. Then ``2 H^-1`` is not the
covariance of the fitted parameters. For a sample of events -- an MC run, or pseudo-data
in a closure test -- the full covariance of the normalised bins follows from the same
delta method as the errors (:mod:`mlhad.analysis.variance`): with ``R_b = S_b / T``,

    Cov(R_a, R_b) = sum_e u_ea u_eb,   u_eb = w_e (c_eb - R_b t_e) / T

(``c_eb`` the event's fills in bin b, ``t_e`` its share of the normalisation ``T``),
whose diagonal is exactly the squared errors of :func:`mlhad.analysis.predict`.

The fit's estimate ``theta = argmin r^T W r`` (``r = d - m(theta)``,
``W = diag(w**2 / (s**2 + e**2))``) responds linearly to the noise of data and MC,
``delta theta = A (delta d - delta m)`` with ``A = (J^T W J)^-1 J^T W``, so

    Cov(theta) = A (Sigma_data + Sigma_MC) A^T      (the "sandwich")

which equals ``(J^T W J)^-1 = 2 H^-1`` when both Sigmas are diagonal and equal to the
chi2's errors. Real reference data usually come without bin-to-bin correlations; then
``Sigma_data = diag(s**2)`` and only the MC part is complete.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlhad.analysis import Contributions
from mlhad.analysis.normalise import PER_WIDTH
from mlhad.exceptions import TuneError

from ..objective import FitTarget

__all__ = ["prediction_covariance", "sandwich_covariance"]


def _histogram_parts(c, points: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                     np.ndarray, np.ndarray, np.ndarray]:
    """Per-histogram pieces: row events, row columns, row counts, t_e, R at the points, scale per point."""
    mode = c.normalisation
    if mode == "profile":
        raise TuneError(f"{c.path}: the covariance of profile histograms is not implemented")
    n_store = c.n_bins + 2
    column = np.full(n_store, -1, dtype=np.int64)
    column[np.asarray(c.ref_bins)[points] + 1] = np.arange(points.shape[0])
    col_rows = column[np.asarray(c.bin) + 1]
    keep = col_rows >= 0
    if mode == "unit_area":
        t = np.bincount(c.event, weights=c.count, minlength=c.n_events)
    else:
        t = np.asarray(c.accepted, dtype=np.float64)
    total = float(np.dot(w, t))
    if total == 0:
        raise TuneError(f"{c.path}: no events: the normalisation is zero")
    s = np.bincount(col_rows[keep], weights=w[c.event[keep]] * c.count[keep], minlength=points.shape[0])
    ratio = s / total
    widths = np.diff(np.asarray(c.edges, dtype=np.float64))[np.asarray(c.ref_bins)[points]]
    divide = widths if PER_WIDTH[mode] else np.ones_like(widths)
    scale = 1.0 / (total * divide)
    return c.event[keep], col_rows[keep], c.count[keep], t, ratio, scale


def prediction_covariance(contributions: Mapping[str, Contributions], target: FitTarget,
                          weights: np.ndarray | None = None, *, chunk: int = 20_000) -> np.ndarray:
    """``(n, n)`` delta-method covariance of the predictions at the target's points.

    Args:
        contributions: ``{analysis: Contributions}`` of one run (all histograms of the target).
        target: the fitted points (their order is the matrix's).
        weights: ``(N,)`` event weights (None: 1).
        chunk: events per dense block (memory ``chunk x n`` floats).

    Returns:
        The covariance, in the units of the heights (its diagonal equals the squared MC
        errors of :func:`mlhad.analysis.predict` with the same weights).
    """
    parts = []
    n_events = None
    for h in target.histograms:
        c = contributions[h.analysis][h.mc_path]
        n_events = c.n_events if n_events is None else n_events
        if c.n_events != n_events:
            raise TuneError("the target's histograms come from runs of different sizes")
        w = np.ones(c.n_events) if weights is None else np.asarray(weights, dtype=np.float64)
        parts.append((w,) + _histogram_parts(c, h.points, w))
    assert n_events is not None
    offsets = np.cumsum([0] + [h.n_points for h in target.histograms])
    n = int(offsets[-1])
    cov = np.zeros((n, n))
    for start in range(0, n_events, chunk):
        stop = min(n_events, start + chunk)
        u = np.zeros((stop - start, n))
        for (w, ev, col, cnt, t, ratio, scale), off in zip(parts, offsets[:-1]):
            block = -np.outer(t[start:stop], ratio)
            sel = (ev >= start) & (ev < stop)
            block[ev[sel] - start, col[sel]] += cnt[sel]  # (event, bin) rows are unique per histogram
            u[:, off:off + ratio.shape[0]] = block * (w[start:stop, None] * scale[None, :])
        cov += u.T @ u
    return cov


def sandwich_covariance(jacobian: np.ndarray, data_err: np.ndarray, mc_err: np.ndarray, bin_weights: np.ndarray,
                        sigma: np.ndarray) -> np.ndarray:
    """``A Sigma A^T`` with ``A = (J^T W J)^-1 J^T W``, ``W = diag(w**2 / (s**2 + e**2))``.

    Args:
        jacobian: ``(n, d)`` derivatives of the predictions at the best fit.
        data_err, mc_err: ``(n,)`` the errors in the chi2's denominators.
        bin_weights: ``(n,)`` the weight-file weights.
        sigma: ``(n, n)`` the true covariance of ``d - m`` (data + MC).

    Example:
        >>> j = np.ones((4, 1)); s = np.full(4, 0.1); e = np.zeros(4); w = np.ones(4)
        >>> float(sandwich_covariance(j, s, e, w, np.diag(s**2))[0, 0])       # = 2 H^-1 = 0.1**2 / 4
        0.0025
    """
    wdiag = bin_weights**2 / (data_err**2 + mc_err**2)
    jw = jacobian.T * wdiag
    a = np.linalg.solve(jw @ jacobian, jw)
    return a @ sigma @ a.T
