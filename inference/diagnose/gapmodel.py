"""Why is an observable off? A regression model of its gap and the parameters that move it.

For one histogram with bins ``i`` and design points ``theta_j`` the gap
``g_ij = d_i / m_i(theta_j) - 1`` is fitted by weighted least squares with

    g(u, z) = sum_a sum_b c_ab P_a(u) q_b(z),     q = (1, z_1..z_d, z_1^2..z_d^2),

``P_a`` Legendre polynomials of the bin position ``u`` in [-1, 1] (by bin index, so
log-binned spectra are sampled evenly), ``z_k = (theta_k - theta_fit_k) / width_k`` the
distance from the best fit in units of the box, weights ``1 / (sigma_ij / m_ij)^2``.
From the model:

* the gap's shape at the best fit, ``g(u, 0)``, smooth across bins (its ``r2`` says
  how much of the gap's variation over bins and parameters the model captures);
* each parameter's effect on the shape, ``dg/dz_k (u, 0)``;
* **candidate explanations**: for each parameter alone, and for all together, the
  point of the box that minimises the model's ``sum_i (g / sigma_rel)^2``; the
  fraction of that chi2 it removes and the shift it needs. A parameter that removes most
  of the gap within the limits explains it (and the gap is a tension with the other
  observables); if none does, the gap has no explanation among these parameters.

:func:`parameter_correlations` adds what the SBI metamodel says: over posterior
samples (or the design, without a posterior) the correlation between each parameter
and each observable's chi2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import legendre
from scipy.optimize import minimize

from mlhad.inference.sbi import Limits, Observation

__all__ = ["GapModel", "Explanation", "fit_gap_model", "parameter_correlations"]


@dataclass(frozen=True)
class Explanation:
    """What moving some parameters (inside the box) does to the modelled gap.

    Attributes:
        params: the parameters moved (one, or all).
        fraction: share of the gap's chi2 removed (1: closed; <= 0: no help).
        shift: ``(len(params),)`` the move, in parameter units.
        at_limit: the best move ends on a face of the box (more is needed than allowed).
    """

    params: tuple[str, ...]
    fraction: float
    shift: tuple[float, ...]
    at_limit: bool

    def to_dict(self) -> dict:
        return {"params": list(self.params), "fraction": self.fraction, "shift": list(self.shift),
                "at_limit": self.at_limit}


@dataclass(eq=False)
class GapModel:
    """The fitted gap regression of one histogram (see the module docstring)."""

    path: str
    u: np.ndarray
    coefficients: np.ndarray           # (degree + 1, 1 + 2 d)
    params: tuple[str, ...]
    width: np.ndarray
    z_low: np.ndarray                  # box faces in z units
    z_high: np.ndarray
    sigma_rel: np.ndarray              # (n,) relative errors at the fit
    r2: float
    explanations: list[Explanation] = field(default_factory=list)

    def _basis(self, z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(z)
        return np.concatenate([np.ones((z.shape[0], 1)), z, z * z], axis=1)

    def predict(self, z: np.ndarray) -> np.ndarray:
        """``(K, n)`` modelled gap at ``(K, d)`` points (box units from the fit)."""
        p = legendre.legvander(self.u, self.coefficients.shape[0] - 1)          # (n, A)
        return self._basis(z) @ (p @ self.coefficients).T

    @property
    def shape_at_fit(self) -> np.ndarray:
        """``(n,)`` modelled ``data/MC - 1`` at the best fit."""
        return self.predict(np.zeros(len(self.params)))[0]

    def sensitivity(self) -> np.ndarray:
        """``(d, n)`` change of the gap per box width of each parameter, at the fit."""
        p = legendre.legvander(self.u, self.coefficients.shape[0] - 1)
        d = len(self.params)
        return (p @ self.coefficients[:, 1:1 + d]).T

    def chi2(self, z: np.ndarray) -> np.ndarray:
        return np.sum((self.predict(z) / self.sigma_rel) ** 2, axis=1)

    def best(self, which: list[int]) -> Explanation:
        """Minimise the modelled chi2 over the parameters ``which`` (others at the fit)."""
        d = len(self.params)
        base = self.chi2(np.zeros(d))[0]

        def f(v: np.ndarray) -> float:
            z = np.zeros(d)
            z[which] = v
            return float(self.chi2(z)[0])

        bounds = list(zip(self.z_low[which], self.z_high[which]))
        starts = [np.zeros(len(which))] + [np.array([b[i % 2] for b in bounds]) for i in range(2)]
        best = min((minimize(f, np.clip(s, *np.array(bounds).T), bounds=bounds, method="L-BFGS-B") for s in starts),
                   key=lambda r: r.fun)
        v = best.x
        tol = 1e-3 * (self.z_high[which] - self.z_low[which])
        at = bool(np.any((v <= self.z_low[which] + tol) | (v >= self.z_high[which] - tol)))
        frac = 1.0 - best.fun / base if base > 0 else 0.0
        return Explanation(tuple(self.params[k] for k in which), float(frac),
                           tuple((v * self.width[which]).tolist()), at)

    def to_dict(self) -> dict:
        return {"path": self.path, "r2": self.r2, "shape_at_fit": self.shape_at_fit.tolist(),
                "explanations": [e.to_dict() for e in self.explanations]}


def fit_gap_model(observation: Observation, index: int, theta: np.ndarray, values: np.ndarray, errors: np.ndarray,
                  fit_theta: np.ndarray, limits: Limits, *, degree: int = 3, data: np.ndarray | None = None) -> GapModel:
    """Fit the gap regression of histogram ``index`` on design predictions ``(J, m)`` at ``theta (J, d)``.

    Explanations for each parameter alone and for all together are attached, best first.
    """
    h = observation.histograms[index]
    sl = h.slice
    d = (observation.values if data is None else np.asarray(data, dtype=np.float64))[sl]
    m = values[:, sl]
    sig = observation.noise_scale(errors)[:, sl]
    n = d.size
    u = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    deg = int(min(degree, n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = d / m - 1.0
        s_rel = np.abs(sig / m)
    ok = np.isfinite(g) & np.isfinite(s_rel) & (s_rel > 0)
    z = (theta - fit_theta) / limits.width
    basis = np.concatenate([np.ones((z.shape[0], 1)), z, z * z], axis=1)         # (J, B)
    p = legendre.legvander(u, deg)                                              # (n, A)
    feats = (basis[:, None, :, None] * p[None, :, None, :]).reshape(z.shape[0], n, -1)   # (J, n, B*A)
    wsq = np.where(ok, 1.0 / np.where(ok, s_rel, 1.0), 0.0)
    a = (feats * wsq[..., None]).reshape(-1, feats.shape[-1])
    b = (np.where(ok, g, 0.0) * wsq).reshape(-1)
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    coef = coef.reshape(basis.shape[1], deg + 1).T                               # (A, B)
    resid = b - a @ coef.T.reshape(-1)
    w_mean = np.sum(b * wsq.reshape(-1)) / max(np.sum(wsq.reshape(-1) ** 2), 1e-300)
    total = np.sum((b - w_mean * wsq.reshape(-1)) ** 2)
    r2 = float(1.0 - np.sum(resid ** 2) / total) if total > 0 else 1.0
    # errors at the design point nearest to the fit stand for the errors at the fit
    j0 = int(np.argmin(np.sum(z * z, axis=1)))
    s_fit = np.where(np.isfinite(s_rel[j0]) & (s_rel[j0] > 0), s_rel[j0], np.nanmedian(s_rel[j0]))
    model = GapModel(path=h.path, u=u, coefficients=coef, params=tuple(limits.names), width=limits.width,
                     z_low=(limits.lower - fit_theta) / limits.width, z_high=(limits.upper - fit_theta) / limits.width,
                     sigma_rel=s_fit, r2=r2)
    k_all = list(range(limits.dim))
    expl = [model.best([k]) for k in k_all] + ([model.best(k_all)] if limits.dim > 1 else [])
    model.explanations = sorted(expl, key=lambda e: -e.fraction)
    return model


def parameter_correlations(observation: Observation, theta: np.ndarray, values: np.ndarray, errors: np.ndarray,
                           data: np.ndarray | None = None) -> np.ndarray:
    """``(H, d)`` Pearson correlation of each parameter with each histogram's chi2 over the samples.

    Positive: raising the parameter worsens the observable; negative: improves it.
    """
    d = observation.values if data is None else np.asarray(data, dtype=np.float64)
    r2 = ((d - values) / observation.noise_scale(errors)) ** 2
    chi2 = np.stack([r2[:, h.slice].sum(axis=1) for h in observation.histograms], axis=1)   # (S, H)
    t = (theta - theta.mean(axis=0)) / np.where(theta.std(axis=0) > 0, theta.std(axis=0), 1.0)
    c = (chi2 - chi2.mean(axis=0)) / np.where(chi2.std(axis=0) > 0, chi2.std(axis=0), 1.0)
    return (c.T @ t) / theta.shape[0]
