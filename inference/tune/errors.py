"""Parameter uncertainties: covariance from the chi2's Hessian, correlations, 1D scans, Fisher limit.

For a chi2 = -2 log L (Gaussian errors), the covariance of the fitted parameters is the
inverse of the Fisher information, ``cov = 2 H^-1`` with ``H`` the Hessian of the chi2 at
the minimum (the Delta chi2 = 1 rule). Professor reports the same quantity (MIGRAD's
``errordef = 1`` errors). Two caveats apply, as to every Professor-style tune, and are
stated in the reports:

* the chi2 treats data points as uncorrelated; points filled by the same events (several
  spectra, or a spectrum and the multiplicity) are not, so ``2 H^-1`` underestimates the
  spread when correlated observables are fitted together;
* a chi2/ndf well above 1 means the model cannot describe the data within their errors;
  :func:`scaled_errors` gives the errors scaled by ``sqrt(chi2/ndf)`` (the PDG scale
  factor), a common, conservative alternative.

:func:`fisher_limit` gives the statistical limit of the data alone: the covariance
``(J^T W J)^-1`` with ``J`` the derivatives of the predictions at the true parameters,
``W = diag(w**2 / s**2)`` -- what an infinitely large MC sample would give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "covariance_from_hessian",
    "correlation",
    "scaled_errors",
    "fisher_limit",
    "Scan",
    "scan_1d",
    "quadratic_fit",
]


def covariance_from_hessian(hessian: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``cov = 2 H^-1`` and warnings if ``H`` is not positive definite.

    Args:
        hessian: ``(d, d)`` Hessian of the chi2 (parameter units).

    Returns:
        ``(cov, warnings)``. For a Hessian with non-positive eigenvalues the covariance is
        built from the positive part only (directions without curvature get an infinite
        error, reported as NaN) and a warning says so.

    Example:
        >>> cov, _ = covariance_from_hessian(np.diag([2.0, 8.0]))   # chi2 = x**2 + 4 y**2
        >>> np.sqrt(np.diag(cov)).tolist()                          # Delta chi2 = 1 at x = 1, y = 0.5
        [1.0, 0.5]
    """
    h = 0.5 * (np.asarray(hessian, dtype=np.float64) + np.asarray(hessian, dtype=np.float64).T)
    vals, vecs = np.linalg.eigh(h)
    warnings: list[str] = []
    scale = max(float(np.max(np.abs(vals))), 1e-300)
    good = vals > 1e-12 * scale
    if not good.all():
        warnings.append(f"the chi2 Hessian is not positive definite (eigenvalues {np.round(vals, 6).tolist()}): "
                        "the minimum is at a limit or a parameter is not constrained; errors along those "
                        "directions are undefined (NaN)")
        inv = (vecs[:, good] / vals[good]) @ vecs[:, good].T
        cov = 2.0 * inv
        bad_dirs = vecs[:, ~good]
        for i in range(h.shape[0]):
            if np.any(np.abs(bad_dirs[i]) > 1e-6):
                cov[i, :] = np.nan
                cov[:, i] = np.nan
        return cov, warnings
    return 2.0 * (vecs / vals) @ vecs.T, warnings


def correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix of a covariance (NaN rows stay NaN)."""
    s = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.outer(s, s)


def scaled_errors(cov: np.ndarray, chi2_value: float, ndf: int) -> np.ndarray:
    """Errors scaled by ``sqrt(max(1, chi2/ndf))`` (PDG scale factor), ``(d,)``."""
    factor = np.sqrt(max(1.0, chi2_value / ndf)) if ndf > 0 else np.nan
    return np.sqrt(np.diag(cov)) * factor


def fisher_limit(jacobian: np.ndarray, data_err: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance of the statistical limit of the data: ``(J^T diag(w**2/s**2) J)^-1``.

    Args:
        jacobian: ``(n, d)`` derivatives of the predicted values at the true parameters.
        data_err: ``(n,)`` data errors ``s``.
        weights: ``(n,)`` bin weights (default 1).

    Example:
        >>> # n points each measuring one parameter with error 0.1: limit 0.1 / sqrt(n)
        >>> float(np.sqrt(fisher_limit(np.ones((4, 1)), np.full(4, 0.1)))[0, 0])
        0.05
    """
    w = np.ones(len(data_err)) if weights is None else np.asarray(weights, dtype=np.float64)
    j = np.asarray(jacobian, dtype=np.float64)
    info = j.T @ (j * (w * w / np.asarray(data_err, dtype=np.float64) ** 2)[:, None])
    return np.linalg.inv(info)


@dataclass(frozen=True)
class Scan:
    """A 1D chi2 scan of one parameter, the others held at the best fit.

    Attributes:
        name: the parameter.
        values: ``(m,)`` parameter values scanned.
        delta_chi2: ``(m,)`` chi2 - chi2_min.
        n_eff: ``(m,)`` n_eff/N of the run's weights at each value (reweighted scans), or None.
        conditional_sigma: ``sqrt(2 / H_ii)``: the half-width of the parabola at Delta chi2 = 1
            with the others fixed.
        sigma: the marginal error ``sqrt(cov_ii)`` (others profiled, quadratic approximation).
        best: the best-fit value.
    """

    name: str
    values: np.ndarray
    delta_chi2: np.ndarray
    n_eff: np.ndarray | None
    conditional_sigma: float
    sigma: float
    best: float

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "values": self.values.tolist(), "delta_chi2": self.delta_chi2.tolist(),
                "n_eff": None if self.n_eff is None else self.n_eff.tolist(),
                "conditional_sigma": self.conditional_sigma, "sigma": self.sigma, "best": self.best}


def scan_1d(evaluate: Callable[[np.ndarray], tuple[float, float | None]], best: np.ndarray, names: Sequence[str],
            hessian: np.ndarray, cov: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, n_points: int = 13,
            span: float = 3.0) -> list[Scan]:
    """Scan each parameter over ``+- span`` conditional sigmas around the best fit (inside the limits).

    Args:
        evaluate: ``theta -> (chi2, n_eff or None)``.
        best: ``(d,)`` best-fit point; ``hessian``, ``cov``: at the best fit.
        lower, upper: limits (the scan is clipped to them).
        n_points: points per scan (odd keeps the best fit on the grid).
    """
    chi2_min = evaluate(np.asarray(best))[0]
    scans = []
    for i, name in enumerate(names):
        h_ii = float(hessian[i, i])
        cond = float(np.sqrt(2.0 / h_ii)) if h_ii > 0 else float("nan")
        width = cond if np.isfinite(cond) else 0.05 * (upper[i] - lower[i])
        grid = np.clip(best[i] + span * width * np.linspace(-1.0, 1.0, n_points), lower[i], upper[i])
        grid = np.unique(grid)
        dchi2, neff = [], []
        for v in grid:
            theta = np.array(best, dtype=np.float64)
            theta[i] = v
            c, n = evaluate(theta)
            dchi2.append(c - chi2_min)
            neff.append(np.nan if n is None else n)
        n_arr = np.array(neff)
        scans.append(Scan(name=name, values=grid, delta_chi2=np.array(dchi2),
                          n_eff=None if np.all(np.isnan(n_arr)) else n_arr, conditional_sigma=cond,
                          sigma=float(np.sqrt(cov[i, i])) if np.isfinite(cov[i, i]) else float("nan"),
                          best=float(best[i])))
    return scans


def quadratic_fit(points: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Least-squares quadratic ``f(x) = c + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)`` through samples.

    Used for the black-box baseline, whose trials give only chi2 values: the Hessian of a
    quadratic fitted to the trials near the best one gives its covariance.

    Args:
        points: ``(m, d)`` sample points; values: ``(m,)`` function values.

    Returns:
        ``(minimum point, Hessian, minimum value)`` of the fitted quadratic (the minimum is
        the stationary point, NaN if the system is singular).

    Raises:
        ValueError: fewer samples than the ``1 + d + d(d+1)/2`` coefficients.
    """
    x = np.asarray(points, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    m, d = x.shape
    n_coef = 1 + d + d * (d + 1) // 2
    if m < n_coef:
        raise ValueError(f"a quadratic in {d} parameters needs at least {n_coef} samples, got {m}")
    x0 = x[np.argmin(y)]
    dx = x - x0
    cols = [np.ones(m)] + [dx[:, i] for i in range(d)]
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    cols += [dx[:, i] * dx[:, j] * (0.5 if i == j else 1.0) for i, j in pairs]
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), y, rcond=None)
    g = coef[1:1 + d]
    h = np.zeros((d, d))
    for (i, j), c in zip(pairs, coef[1 + d:]):
        h[i, j] = h[j, i] = c
    try:
        step = -np.linalg.solve(h, g)
    except np.linalg.LinAlgError:
        step = np.full(d, np.nan)
    fmin = float(coef[0] + g @ step + 0.5 * step @ h @ step) if np.all(np.isfinite(step)) else float("nan")
    return x0 + step, h, fmin
