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

from collections.abc import Iterator, Mapping

import numpy as np

from mlhad.analysis import Contributions
from mlhad.analysis.normalise import PER_WIDTH
from mlhad.exceptions import TuneError

from ..objective import FitTarget

__all__ = ["influence_blocks", "prediction_covariance", "derivative_noise", "noise_corrected_sandwich",
           "sandwich_covariance", "linear_estimator", "chi2_mc_variance", "chi2_gain_variance", "information_frame"]


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


def influence_blocks(contributions: Mapping[str, Contributions], target: FitTarget, weights: np.ndarray | None,
                     chunk: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(start, stop, u)`` per block of events: ``u[e, b]`` is event e's influence on height b.

    ``u_eb = w_e (c_eb - R_b t_e) / (T width_b)``: the sum over events of ``u_e u_e^T`` is the
    heights' delta-method covariance, and ``sum_e s_e u_e`` (``s_e = d log w_e / d theta``)
    their derivatives.
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
    for start in range(0, n_events, chunk):
        stop = min(n_events, start + chunk)
        u = np.zeros((stop - start, n))
        for (w, ev, col, cnt, t, ratio, scale), off in zip(parts, offsets[:-1]):
            block = -np.outer(t[start:stop], ratio)
            sel = (ev >= start) & (ev < stop)
            block[ev[sel] - start, col[sel]] += cnt[sel]  # (event, bin) rows are unique per histogram
            u[:, off:off + ratio.shape[0]] = block * (w[start:stop, None] * scale[None, :])
        yield start, stop, u


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
    n = target.n_points
    cov = np.zeros((n, n))
    for _, _, u in influence_blocks(contributions, target, weights, chunk):
        cov += u.T @ u
    return cov


def derivative_noise(contributions: Mapping[str, Contributions], target: FitTarget, weights: np.ndarray,
                     scores: np.ndarray, bin_weights: np.ndarray, *, chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """The reweighted derivatives ``J`` and the expected ``dJ^T W dJ`` of their MC noise.

    A reweighted run's derivatives ``J_bp = sum_e s_ep u_eb`` (``s_ep = d log w_e / d theta_p``,
    ``u`` as in :func:`prediction_covariance`) are themselves Monte Carlo estimates. Their
    noise adds ``E[dJ^T W dJ] = sum_e (u_e^T W u_e) s_e s_e^T - J^T W J / N`` to the curvature
    ``J^T W J`` (and so to the Hessian and the sandwich). Where the predictions hardly move
    with some direction (the aLund-bLund valley) this noise term can be much of the
    apparent curvature, and errors computed from ``J`` are then too small; see
    :func:`noise_corrected_sandwich`.

    Args:
        contributions, target: as :func:`prediction_covariance`.
        weights: ``(N,)`` event weights at theta.
        scores: ``(N, d)`` ``d log w_e / d theta`` at theta.
        bin_weights: ``(n,)`` the diagonal of W (the chi2's ``w**2 / (s**2 + e**2)``).

    Returns:
        ``(J, noise)``: ``(n, d)`` derivatives and the ``(d, d)`` ``E[dJ^T W dJ]``.
    """
    jac = np.zeros((target.n_points, scores.shape[1]))
    second = np.zeros((scores.shape[1], scores.shape[1]))
    for start, stop, u in influence_blocks(contributions, target, weights, chunk):
        s = scores[start:stop]
        jac += u.T @ s
        second += (s * ((u * u) @ bin_weights)[:, None]).T @ s
    return jac, second - (jac.T * bin_weights) @ jac / scores.shape[0]


def noise_corrected_sandwich(contributions: Mapping[str, Contributions], target: FitTarget, weights: np.ndarray,
                             scores: np.ndarray, mc_err: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sandwich covariance with the MC noise of the reweighted derivatives taken out of the curvature.

    The apparent curvature ``G_hat = J^T W J`` of a reweighted run overstates the true one by
    ``E[dJ^T W dJ]`` (:func:`derivative_noise`); ``G = G_hat - E[dJ^T W dJ]`` is unbiased. In
    the frame where ``G_hat`` is the identity, ``T = G_hat^-1/2 G G_hat^-1/2`` has eigenvalues
    ``f_k``: the fraction of each direction's apparent curvature that is information. The
    sandwich ``S`` (:func:`sandwich_covariance`) is widened by ``1/sqrt(f_k)`` along each::

        cov = Q S Q^T,   Q = G_hat^-1/2 T^-1/2 G_hat^1/2

    which is ``G^-1`` exactly when ``Sigma = W^-1`` (errors as the chi2 assumes), and keeps
    the sandwich's treatment of correlated points otherwise. A direction with ``f_k < 0.01``
    is noise, not information, at this MC statistic: its error is infinite (NaN).

    Returns:
        ``(cov, f)``: the covariance and the kept fractions ``f_k`` (ascending).
    """
    wdiag = target.weights**2 / (target.data_err**2 + mc_err**2)
    jac, noise = derivative_noise(contributions, target, weights, scores, wdiag)
    d = jac.shape[1]
    frame = information_frame(jac, noise, wdiag)
    if frame is None:
        return np.full((d, d), np.nan), np.full(d, np.nan)
    half, inv_half, kept, t_vecs = frame
    if np.any(kept < 0.01):
        return np.full((d, d), np.nan), kept
    q = inv_half @ t_vecs @ np.diag(1.0 / np.sqrt(kept)) @ t_vecs.T @ half
    naive = sandwich_covariance(jac, target.data_err, mc_err, target.weights, sigma)
    return q @ naive @ q.T, kept


def information_frame(jac: np.ndarray, noise: np.ndarray, wdiag: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The frame in which the apparent curvature ``G_hat = J^T W J`` is the identity, and the kept fractions there.

    Returns:
        ``(G_hat^1/2, G_hat^-1/2, f, V)``: ``f`` (ascending) and the columns of ``V`` are the
        eigenvalues and eigenvectors of ``G_hat^-1/2 (G_hat - noise) G_hat^-1/2``, ``noise`` the
        expected ``dJ^T W dJ`` of :func:`derivative_noise`; None if ``G_hat`` is not positive definite.
    """
    apparent = (jac.T * wdiag) @ jac
    apparent = 0.5 * (apparent + apparent.T)
    a_vals, a_vecs = np.linalg.eigh(apparent)
    if np.any(a_vals <= 0):
        return None
    half = a_vecs @ np.diag(np.sqrt(a_vals)) @ a_vecs.T
    inv_half = a_vecs @ np.diag(1.0 / np.sqrt(a_vals)) @ a_vecs.T
    kept, t_vecs = np.linalg.eigh(inv_half @ (apparent - 0.5 * (noise + noise.T)) @ inv_half)
    return half, inv_half, kept, t_vecs


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
        >>> round(float(sandwich_covariance(j, s, e, w, np.diag(s**2))[0, 0]), 12)   # = 2 H^-1 = 0.1**2 / 4
        0.0025
    """
    a = linear_estimator(jacobian, data_err, mc_err, bin_weights)
    return a @ sigma @ a.T


def linear_estimator(jacobian: np.ndarray, data_err: np.ndarray, mc_err: np.ndarray,
                     bin_weights: np.ndarray) -> np.ndarray:
    """``(d, n)`` ``A = (J^T W J)^-1 J^T W``: a chi2 fit's linear response ``dtheta = A dd`` to the data.

    Args: as :func:`sandwich_covariance`.
    """
    wdiag = bin_weights**2 / (data_err**2 + mc_err**2)
    jw = jacobian.T * wdiag
    return np.linalg.solve(jw @ jacobian, jw)


def chi2_mc_variance(residuals: np.ndarray, data_err: np.ndarray, mc_err: np.ndarray, bin_weights: np.ndarray,
                     mc_cov: np.ndarray) -> float:
    """Variance of Professor's chi2 from the MC run's own fluctuations, the data held fixed.

    With ``chi2 = sum_i a_i (r_i - delta_i)**2``, ``a = w**2 / (s**2 + e**2)``, ``r = d - mu``
    and Gaussian MC noise ``delta ~ N(0, C)``::

        Var(chi2) = 4 r^T A C A r + 2 tr(A C A C)

    ``r`` is unknown; ``d - m`` (m the run's values) estimates it with
    ``E[(d-m)^T ACA (d-m)] = r^T ACA r + tr(ACAC)``, hence ``4 (d-m)^T ACA (d-m) - 2 tr(ACAC)``,
    floored at the pure-noise term ``2 tr(ACAC)``. Two independent runs' chi2 at the same
    point differ by ``sqrt(Var_1 + Var_2)`` from noise alone: about 16 for 116 points, 20k
    data and 40k MC events.

    Args:
        residuals: ``(n,)`` ``d - m`` of the run at its own point.
        data_err, mc_err: ``(n,)`` the chi2's errors.
        bin_weights: ``(n,)`` the weight-file weights.
        mc_cov: ``(n, n)`` the run's covariance of the predictions (:func:`prediction_covariance`).

    Example:
        >>> s = np.ones(4); e = np.full(4, 0.5); w = np.ones(4); c = np.diag(e**2)
        >>> round(chi2_mc_variance(np.zeros(4), s, e, w, c), 4)     # 2 sum (e^2 / (s^2 + e^2))^2
        0.32
    """
    a = bin_weights**2 / (data_err**2 + mc_err**2)
    ac = a[:, None] * mc_cov
    noise = float(np.sum(ac * ac.T))   # tr(ACAC)
    quad = float(residuals @ (ac @ (a * residuals)))
    return max(4.0 * quad - 2.0 * noise, 2.0 * noise)


def chi2_gain_variance(contributions: Mapping[str, Contributions], target: FitTarget, weights: np.ndarray,
                       residuals_at: np.ndarray, residuals_base: np.ndarray, bin_weights: np.ndarray, *,
                       chunk: int = 20_000) -> float:
    """Variance, from one run's own MC noise, of ``gain = chi2(base point) - chi2(theta)`` on that run.

    Both chi2 come from the same events (unit weights at the run's point, ``weights`` at
    theta), so their common noise cancels; what is left is the noise of the reweighted
    change -- on a flat direction, mostly the noise of the reweighted derivatives. To first
    order, with ``chi2 = sum_i a_i r_i**2`` and the per-event influences ``u_e`` of
    :func:`prediction_covariance`,

        delta gain = sum_e g_e,   g_e = 2 sum_i a_i (r_i(theta) u_ei(theta) - r_i(base) u_ei(base)),

    and ``Var(gain) = sum_e g_e**2``. The data are held fixed; the second-order terms
    (``tr(ACAC)``-like) are left out, so this is a lower bound where the residuals are small.

    Args:
        contributions: the run's ``{analysis: Contributions}``.
        target: the fitted points.
        weights: ``(N,)`` event weights at theta (mean ~ 1).
        residuals_at, residuals_base: ``(n,)`` ``d - m`` at theta and at the run's point.
        bin_weights: ``(n,)`` ``a_i = w_i**2 / (s_i**2 + e_i**2)``, the chi2's per-point factors.
    """
    total = 0.0
    at = influence_blocks(contributions, target, weights, chunk)
    base = influence_blocks(contributions, target, None, chunk)
    for (start, stop, u_at), (start_b, stop_b, u_base) in zip(at, base):
        assert (start, stop) == (start_b, stop_b)
        g = 2.0 * (u_at @ (bin_weights * residuals_at) - u_base @ (bin_weights * residuals_base))
        total += float(g @ g)
    return total
