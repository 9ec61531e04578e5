"""The Professor baseline: per-bin polynomial surrogates fitted to Pythia runs, then minimised.

As Professor 2 (Buckley et al., EPJC 65 (2010) 331, "Systematic event generator tuning
for the LHC"):

1. sample anchor points in the limits box (here a Latin hypercube with a fixed seed;
   the start point is always the first anchor, so the report can show it);
2. run the generator at each anchor and predict every fitted data point;
3. fit, for every point, a polynomial of order 2 or 3 in the parameters scaled to the
   unit box, by linear least squares (Professor's SVD pseudo-inverse); the MC error
   of a point is the median of its anchors' errors (Professor's ``--ierr median``);
4. minimise the chi2 of the polynomials (multi-start from the best anchors, L-BFGS-B
   with exact polynomial gradients), take ``cov = 2 H^-1`` from the polynomial chi2's
   Hessian, and run the generator once more at the minimum to validate it.

The number of coefficients of an order-n polynomial in d parameters is ``C(n + d, d)``
(10 for order 2, 20 for order 3 in 3D); Professor recommends oversampling by a factor
of about 2 or more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from mlhad.exceptions import TuneError

from ..objective import FitTarget, chi2
from .errors import covariance_from_hessian, scan_1d
from .result import RunPoint, TuneResult
from .simulator import Simulator, at_reference, run_chi2
from .space import ParameterSpace

__all__ = ["SurrogateSettings", "monomials", "n_coefficients", "PolynomialSurrogate", "fit_surrogate"]


def n_coefficients(order: int, dim: int) -> int:
    """Coefficients of a full polynomial of ``order`` in ``dim`` variables: ``C(order + dim, dim)``."""
    return math.comb(order + dim, dim)


def monomials(order: int, dim: int) -> list[tuple[int, ...]]:
    """Exponent tuples of every monomial up to ``order`` (constant first)."""
    out: list[tuple[int, ...]] = []
    for degree in range(order + 1):
        for combo in combinations_with_replacement(range(dim), degree):
            powers = [0] * dim
            for i in combo:
                powers[i] += 1
            out.append(tuple(powers))
    return out


def _design(u: np.ndarray, powers: list[tuple[int, ...]]) -> np.ndarray:
    """``(m, n_coef)`` monomials evaluated at ``(m, d)`` unit-box points."""
    u = np.atleast_2d(u)
    return np.stack([np.prod(u ** np.array(p), axis=1) for p in powers], axis=1)


def _design_grad(u: np.ndarray, powers: list[tuple[int, ...]]) -> np.ndarray:
    """``(d, n_coef)`` derivatives of the monomials at one point ``u`` (d,)."""
    d = u.shape[0]
    out = np.zeros((d, len(powers)))
    for k, p in enumerate(powers):
        for i in range(d):
            if p[i] == 0:
                continue
            q = np.array(p, dtype=float)
            q[i] -= 1
            out[i, k] = p[i] * np.prod(u ** q)
    return out


@dataclass(frozen=True)
class PolynomialSurrogate:
    """Per-point polynomials of the MC values in the unit-box parameters.

    Attributes:
        order: polynomial order.
        powers: the monomials' exponents.
        coefficients: ``(n_coef, n_points)`` least-squares coefficients.
        errors: ``(n_points,)`` MC error per point (median over anchors).
        residual_rms: ``(n_points,)`` rms of the fit residuals at the anchors, in units of
            the MC error (about 1 for a polynomial that describes the runs within MC noise).
    """

    order: int
    powers: list[tuple[int, ...]]
    coefficients: np.ndarray
    errors: np.ndarray
    residual_rms: np.ndarray

    @classmethod
    def fit(cls, u: np.ndarray, values: np.ndarray, errors: np.ndarray, order: int) -> PolynomialSurrogate:
        """Fit ``(m, n_points)`` values at ``(m, d)`` anchors (unit box).

        Raises:
            TuneError: fewer anchors than coefficients.
        """
        m, d = u.shape
        powers = monomials(order, d)
        if m < len(powers):
            raise TuneError(f"an order-{order} polynomial in {d} parameters has {len(powers)} coefficients but only "
                            f"{m} runs were made; make at least {len(powers)} (Professor: about twice as many)")
        a = _design(u, powers)
        coef, *_ = np.linalg.lstsq(a, values, rcond=None)
        med = np.median(errors, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            resid = np.sqrt(np.mean((a @ coef - values) ** 2, axis=0)) / med
        return cls(order=order, powers=powers, coefficients=coef, errors=med, residual_rms=resid)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """``(n_points,)`` values at one unit-box point."""
        return (_design(np.asarray(u, dtype=np.float64), self.powers) @ self.coefficients)[0]

    def gradient(self, u: np.ndarray) -> np.ndarray:
        """``(d, n_points)`` derivatives in unit coordinates."""
        return _design_grad(np.asarray(u, dtype=np.float64), self.powers) @ self.coefficients


@dataclass(frozen=True)
class SurrogateSettings:
    """Settings of the surrogate method.

    Attributes:
        order: polynomial order (2 or 3).
        n_runs: anchor runs (default ``2 x`` the number of coefficients).
        n_events: events per anchor run (and for the validation run).
        seed: sampling seed; anchor ``i`` is generated with ``seed + i``.
        n_starts: minimiser starts (from the best anchors).
        validate: run the generator at the minimum and report its chi2.
        scan_points: points per 1D chi2 scan of the surrogate.
    """

    order: int = 3
    n_runs: int | None = None
    n_events: int = 50_000
    seed: int = 1
    n_starts: int = 5
    validate: bool = True
    scan_points: int = 13

    def __post_init__(self) -> None:
        if self.order not in (1, 2, 3, 4):
            raise TuneError(f"order must be 1-4 (Professor uses 2 or 3), got {self.order!r}")
        if self.n_runs is not None and self.n_runs < 1:
            raise TuneError(f"n_runs must be positive, got {self.n_runs!r}")


def anchor_points(space: ParameterSpace, n: int, seed: int) -> np.ndarray:
    """``(n, d)`` anchors: the start, then a Latin hypercube in the limits (seeded)."""
    u = qmc.LatinHypercube(d=space.dim, seed=seed).random(max(n - 1, 0))
    return np.vstack([space.to_unit(space.start)[None, :], u])


def fit_surrogate(
    simulator: Simulator,
    target: FitTarget,
    space: ParameterSpace,
    settings: SurrogateSettings,
    *,
    log: Callable[[str], None] = print,
) -> TuneResult:
    """Professor-style tune (see the module docstring)."""
    t0 = time.perf_counter()
    n_runs = settings.n_runs or 2 * n_coefficients(settings.order, space.dim)
    u = anchor_points(space, n_runs, settings.seed)
    values, errors, records, run_chi2s = [], [], [], []
    start_run = None
    for i, ui in enumerate(u):
        theta = space.from_unit(ui)
        run = simulator.run(space.point(theta), settings.n_events, settings.seed + i, label=f"anchor-{i:03d}",
                            histories=False)
        v, e = target.gather(at_reference(run.predictions()))
        values.append(v)
        errors.append(e)
        records.append(run.to_dict())
        run_chi2s.append(float(chi2(v, e, target.data, target.data_err, target.weights)))
        if i == 0:
            start_run = run  # the start's predictions are reported; the other runs' events are not kept in memory
        log(f"[anchor {i + 1}/{n_runs}] {np.round(theta, 4).tolist()}: chi2 = {run_chi2s[-1]:.1f}")
    surrogate = PolynomialSurrogate.fit(u, np.array(values), np.array(errors), settings.order)
    data, derr, w = target.data, target.data_err, target.weights

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        m = surrogate(x)
        r = w * w * (m - data) / (derr**2 + surrogate.errors**2)
        return float(chi2(m, surrogate.errors, data, derr, w)), 2.0 * surrogate.gradient(x) @ r

    anchor_chi2 = [fun(x)[0] for x in u]
    best = None
    for k in np.argsort(anchor_chi2)[: settings.n_starts]:
        res = minimize(fun, u[k], jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * space.dim)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    u_best = np.clip(best.x, 0.0, 1.0)
    theta = space.from_unit(u_best)
    hess_u = _hessian(lambda x: fun(x)[0], u_best)
    hess = hess_u / np.outer(space.width, space.width)
    cov, warnings = covariance_from_hessian(hess)
    bad_fit = float(np.nanmedian(surrogate.residual_rms))
    if bad_fit > 2.0:
        warnings.append(f"the order-{settings.order} polynomials miss the runs by {bad_fit:.1f} MC errors (median rms): "
                        "the surrogate is biased; narrow the limits or raise the order")
    at_limit = [n for n, x in zip(space.names, u_best) if x < 1e-6 or x > 1 - 1e-6]
    if at_limit:
        warnings.append(f"{at_limit} ended at their limits: widen the limits (errors at a limit are not meaningful)")
    scans = []
    if settings.scan_points:
        scans = scan_1d(lambda t: (fun(space.to_unit(t))[0], None), theta, space.names, hess, cov, space.lower,
                        space.upper, n_points=settings.scan_points)
    n_events = sum(r["n_events"] for r in records)
    steps = [{"run": r, "chi2_run": c} for r, c in zip(records, run_chi2s)]
    best_point = None
    chi2_validation = None
    if settings.validate:
        check = simulator.run(space.point(theta), settings.n_events, settings.seed + n_runs, label="validation",
                              histories=False)
        n_events += check.n_events
        chi2_validation = run_chi2(check, target)
        steps.append({"run": check.to_dict(), "chi2_run": chi2_validation, "validation": True})
        log(f"[validation] Pythia at the surrogate minimum: chi2 = {chi2_validation:.1f} "
            f"(surrogate: {float(best.fun):.1f})")
        best_point = RunPoint(check, theta)
    return TuneResult(
        method="surrogate", names=space.names, start=np.array(space.start), best=theta, covariance=cov, hessian=hess,
        chi2_start=anchor_chi2[0], chi2=float(best.fun), n_points=target.n_points, converged=bool(best.success),
        n_events=n_events, n_runs=len(records) + int(settings.validate), seconds=time.perf_counter() - t0, steps=steps,
        scans=scans, warnings=warnings, fixed=dict(space.fixed),
        extra={"order": settings.order, "n_anchor_runs": n_runs, "n_coefficients": len(surrogate.powers),
               "residual_rms_median": bad_fit, "chi2_validation_run": chi2_validation,
               "chi2_start_run": run_chi2s[0],
               "settings": settings.__dict__},
        start_point=None if start_run is None else RunPoint(start_run, np.array(space.start)), best_point=best_point,
    )


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Central finite-difference Hessian (the surrogate is a low-order polynomial: exact up to rounding)."""
    d = x.shape[0]
    out = np.zeros((d, d))
    for i in range(d):
        for j in range(i, d):
            e_i, e_j = np.eye(d)[i] * h, np.eye(d)[j] * h
            out[i, j] = out[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * h * h)
    return out
