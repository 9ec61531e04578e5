"""Chi2 fits and Jacobians with any simulator (batched finite differences).

    chi2(theta) = sum_i w_i^2 (d_i - m_i(theta))^2 / (s_i^2 + e_i(theta)^2)

is the chi2 of :mod:`mlhad.compare` (Professor's) with the prediction's own MC error.
:func:`fit_chi2` minimises it inside a box with :func:`scipy.optimize.least_squares`
(trust-region reflective, bounds respected) on the residuals
``r_i = w_i (d_i - m_i) / sqrt(s_i^2 + e_i^2)``; each Jacobian is one batch of ``2 d``
central differences, which the reweighting simulator evaluates in one pass.

``loss="soft_l1"`` (pseudo-Huber, ``rho(z) = 2 (sqrt(1 + z) - 1)`` of ``z = r^2 / f^2``)
makes the fit robust: a point pulled by ``|r| >> f`` counts linearly instead of
quadratically, so a few bins that no parameter can describe do not drag the fit of
the others (used by the diagnosis, see docs/diagnose.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from mlhad.exceptions import InferenceError

from .limits import Limits
from .observation import Observation
from .simulator import Simulator

__all__ = ["FitResult", "jacobian", "fit_chi2", "residuals"]

_LOSSES = ("linear", "soft_l1", "huber", "cauchy")


@dataclass(frozen=True, eq=False)
class FitResult:
    """A chi2 (or robust) fit.

    Attributes:
        theta: ``(d,)`` best point.
        chi2: plain chi2 at ``theta`` (whatever the loss); ``ndf`` = points - parameters.
        covariance: ``(d, d)`` Gauss-Newton covariance ``(J^T J)^-1`` of the residuals
            (Delta chi2 = 1 errors); NaN if singular.
        values, errors: ``(m,)`` prediction and its MC error at ``theta``.
        at_limit: ``(d,)`` True where the fit ended on a box face (within a tenth of its
            error): the data would pull the parameter beyond the limits.
        loss, f_scale: the loss used.
        n_evaluations: simulator points evaluated.
        message: scipy's termination message.
    """

    theta: np.ndarray
    chi2: float
    ndf: int
    covariance: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    at_limit: np.ndarray
    loss: str
    f_scale: float
    n_evaluations: int
    message: str = ""
    params: tuple[str, ...] = field(default_factory=tuple)

    @property
    def uncertainties(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    def to_dict(self) -> dict:
        return {"params": list(self.params), "theta": self.theta.tolist(), "uncertainties": self.uncertainties.tolist(),
                "chi2": self.chi2, "ndf": self.ndf, "covariance": self.covariance.tolist(),
                "at_limit": self.at_limit.tolist(), "loss": self.loss, "f_scale": self.f_scale,
                "n_evaluations": self.n_evaluations, "message": self.message}


def residuals(observation: Observation, values: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """``w (d - m) / sqrt(s^2 + e^2)`` for ``(..., m)`` predictions."""
    return (observation.values - values) / observation.noise_scale(errors)


def jacobian(simulator: Simulator, theta: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central-difference Jacobian of the prediction, one batch of ``2 d + 1`` points.

    Args:
        simulator: any :class:`~.simulator.Simulator`.
        theta: ``(d,)`` point.
        steps: ``(d,)`` step per parameter.

    Returns:
        ``(values, errors, J)``: prediction and MC error at ``theta`` and ``(m, d)``
        derivatives ``d m / d theta``.

    Raises:
        InferenceError: a non-finite prediction (point outside the sample's coverage).
    """
    t = np.asarray(theta, dtype=np.float64)
    h = np.asarray(steps, dtype=np.float64)
    d = t.size
    pts = np.repeat(t[None, :], 2 * d + 1, axis=0)
    for k in range(d):
        pts[1 + 2 * k, k] += h[k]
        pts[2 + 2 * k, k] -= h[k]
    out = simulator.predict(pts)
    if not np.all(np.isfinite(out.values)):
        raise InferenceError(f"prediction not finite near {dict(zip(simulator.params, t.tolist()))} (steps {h}); "
                             "the point or its neighbours are outside the base sample's coverage")
    jac = np.stack([(out.values[1 + 2 * k] - out.values[2 + 2 * k]) / (2 * h[k]) for k in range(d)], axis=1)
    return out.values[0], out.errors[0], jac


def fit_chi2(simulator: Simulator, observation: Observation, limits: Limits, *, start: np.ndarray | None = None,
             loss: str = "linear", f_scale: float = 1.0, max_evaluations: int = 60,
             relative_step: float = 1e-3) -> FitResult:
    """Minimise the chi2 (or a robust loss of the residuals) inside ``limits``.

    Args:
        simulator: predictions for any point (columns ordered as ``limits.names``).
        observation: the data vector.
        limits: the box.
        start: ``(d,)`` starting point (default: the box centre).
        loss: ``linear`` (chi2), ``soft_l1``, ``huber`` or ``cauchy`` (scipy's).
        f_scale: residual size where a robust loss turns from quadratic to linear.
        max_evaluations: scipy's ``max_nfev`` (each is one point plus one Jacobian batch).
        relative_step: finite-difference step as a fraction of the box width.

    Raises:
        InferenceError: unknown loss, names that disagree, or a start outside the box.
    """
    if loss not in _LOSSES:
        raise InferenceError(f"unknown loss {loss!r}; choose one of {_LOSSES}")
    if tuple(simulator.params) != tuple(limits.names):
        raise InferenceError(f"the limits name {list(limits.names)}, the simulator {list(simulator.params)}")
    x0 = limits.centre if start is None else np.asarray(start, dtype=np.float64)
    if not limits.contains(x0)[0]:
        raise InferenceError(f"the start {x0.tolist()} lies outside the limits {limits.to_dict()}")
    steps = relative_step * limits.width
    lo, hi = limits.lower, limits.upper
    count = [0]
    cache: dict[bytes, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def evaluate(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = np.asarray(t, dtype=np.float64).tobytes()
        if key not in cache:
            # keep the difference points inside the box: shift the centre inwards if needed
            centre = np.clip(t, lo + steps, hi - steps)
            values, errors, jac = jacobian(simulator, centre, steps)
            values = values + jac @ (t - centre)
            cache.clear()
            cache[key] = (values, errors, jac)
            count[0] += 2 * t.size + 1
        return cache[key]

    def fun(t: np.ndarray) -> np.ndarray:
        values, errors, _ = evaluate(t)
        return residuals(observation, values, errors)

    def jac(t: np.ndarray) -> np.ndarray:
        values, errors, j = evaluate(t)
        return -j / observation.noise_scale(errors)[:, None]

    result = least_squares(fun, x0, jac=jac, bounds=(lo, hi), loss=loss, f_scale=f_scale, method="trf",
                           max_nfev=max_evaluations, x_scale=limits.width)
    theta = result.x
    final = simulator.predict(theta[None, :])
    values, errors = final.values[0], final.errors[0]
    r = residuals(observation, values, errors)
    jm = jac(theta)
    try:
        cov = np.linalg.inv(jm.T @ jm)
    except np.linalg.LinAlgError:
        cov = np.full((theta.size, theta.size), np.nan)
    # "at a limit": closer to a face than a tenth of the fit error (or 1e-6 of the box width)
    err = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    tol = np.maximum(1e-6 * limits.width, np.where(np.isfinite(err), 0.1 * err, 0.0))
    return FitResult(theta=theta, chi2=float(np.sum(r * r)), ndf=int(observation.n_points - theta.size), covariance=cov,
                     values=values, errors=errors, at_limit=(theta <= lo + tol) | (theta >= hi - tol), loss=loss,
                     f_scale=f_scale, n_evaluations=count[0] + 1, message=str(result.message),
                     params=tuple(limits.names))
