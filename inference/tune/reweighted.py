"""chi2(theta) of one run predicted by exact reweighting: a smooth, differentiable function.

For a fixed run (events generated at theta_k), every fitted histogram is a smooth
function of theta through the event weights w(theta) (:mod:`mlhad.reweight`), normalised
and given delta-method MC errors exactly as the numpy analysis does
(:class:`mlhad.reweight.predict.ReweightedPredictor`). The chi2 of
:mod:`mlhad.inference.objective` on top is therefore deterministic in theta -- no
Monte Carlo noise between nearby points -- and torch gives its gradient and Hessian.

Alongside the chi2 the effective sample size fraction
``n_eff/N = (sum w)**2 / (N sum w**2)`` is returned: it measures how much of the run's
statistical power survives at theta, and defines the trust region of the fit.

MC errors in the chi2 (``mc_errors``):

* ``"corrected"`` (default): the base run's own unit-weight errors ``e0`` in the
  denominators, and the squared residual corrected for the extra MC variance that the
  weights add away from the base::

      chi2 = sum_i w_i**2 [(d_i - m_i(theta))**2 - (e_i(theta)**2 - e0_i**2)] / (s_i**2 + e0_i**2)

  with ``e_i(theta)`` the delta-method error of the weighted prediction. Its expectation
  is ``n + sum Delta_i**2 / (s_i**2 + e0_i**2)`` everywhere, as for a direct run at theta.
  Without the correction (``"base"``) the reweighted residuals grow with the weights'
  noise: the chi2 rises away from the base like a spring -- by ``sum W_i (e_i**2 -
  e0_i**2)``, whose curvature at the base is the variance of the reweighted
  derivatives -- which slows the iteration, stops it short of flat minima and
  overstates the curvature (understates the errors). Measured on Pythia closures along
  the aLund-bLund valley. With the weighted errors in the denominators instead
  (``"reweighted"``), the chi2 is lowered wherever the weights degrade, and the
  minimiser is pulled to the edge of the run's coverage (seen on 5k-event bases: every
  minimum ran to the n_eff limit).
* ``"base"``: ``e0`` without the correction.
* ``"reweighted"``: the delta-method errors of the weighted prediction at theta.

The Hessian is taken by central differences of the exact autograd gradient
(``ReweightedPredictor`` does not support double backward).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mlhad.exceptions import TuneError
from mlhad.reweight.predict import ReweightedPredictor

from ..objective import FitTarget, chi2_terms
from .simulator import SimulationRun
from .space import ParameterSpace

__all__ = ["ReweightedObjective", "Evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """One evaluation at theta (torch tensors, graph attached if theta required grad).

    Attributes:
        chi2: scalar chi2 (the minimised one, see ``mc_errors``).
        chi2_plain: Professor's chi2 with the same values and errors, no noise correction.
        n_eff: scalar n_eff/N of the weights.
        values, errors: ``(n,)`` MC values and errors at the target's points.
        weights: ``(N,)`` event weights, scaled so that the largest is 1 (every
            normalisation and n_eff are invariant under a common scale).
        log_scale: the log of that scale (``log w_true = log(weights) + log_scale``).
    """

    chi2: torch.Tensor
    chi2_plain: torch.Tensor
    n_eff: torch.Tensor
    values: torch.Tensor
    errors: torch.Tensor
    weights: torch.Tensor
    log_scale: float


class ReweightedObjective:
    """The fit's chi2 predicted from one run by reweighting.

    Args:
        run: the base run (must be reweightable).
        target: the data points of the fit.
        space: the parameter space; fixed parameters that differ from the run's values are
            reweighted to as well (they must then be reweightable).

    Raises:
        TuneError: a fitted histogram the reweighted predictor cannot handle (profiles),
            or a fixed parameter that differs from the run and cannot be reweighted.
    """

    def __init__(self, run: SimulationRun, target: FitTarget, space: ParameterSpace, *,
                 mc_errors: str = "corrected") -> None:
        if mc_errors not in ("corrected", "base", "reweighted"):
            raise TuneError(f"mc_errors must be 'corrected', 'base' or 'reweighted', got {mc_errors!r}")
        self.run, self.target, self.space, self.mc_errors = run, target, space, mc_errors
        self.fixed = {k: v for k, v in space.fixed.items() if k in run.point and run.point[k] != v}
        names = list(space.names) + [k for k in self.fixed if k not in space.names]
        self.reweighter = run.reweighter(names)
        self.predictors: list[ReweightedPredictor] = []
        for analysis in target.analyses:
            if analysis not in run.contributions:
                raise TuneError(f"the run {run.label} has no {analysis} histograms; it was analysed for "
                                f"{sorted(run.contributions)}")
            c = run.contributions[analysis]
            paths = [h.mc_path for h in target.histograms if h.analysis == analysis]
            profiles = [p for p in paths if c[p].normalisation == "profile"]
            if profiles:
                raise TuneError(f"{profiles} are profile histograms, which the gradient method cannot predict by "
                                "reweighting yet (mlhad.reweight.predict); give them weight 0 in the weight file, "
                                "or use --method surrogate / optuna")
            self.predictors.append(ReweightedPredictor(self.reweighter, c, paths=paths))
        self.n_events = run.n_events
        self._fixed_t = {k: torch.tensor(float(v), dtype=torch.float64) for k, v in self.fixed.items()}
        self._cache: dict[bytes, tuple[float, np.ndarray, float, np.ndarray]] = {}
        self._last: tuple[bytes, Evaluation] | None = None    # the last evaluation without gradient
        self._base_errors: torch.Tensor | None = None
        if mc_errors in ("base", "corrected"):
            with torch.no_grad():
                ones = torch.ones(run.n_events, dtype=torch.float64)
                self._base_errors = self._predict(ones, errors=True)[1]

    def _predict(self, w: torch.Tensor, *, errors: bool) -> tuple[torch.Tensor, torch.Tensor]:
        predictions: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for predictor in self.predictors:
            for path, h in predictor.predict(weights=w, errors=errors).items():
                predictions[path] = (h.values, h.errors)
        return self.target.gather(predictions)

    def _point(self, theta: torch.Tensor) -> dict[str, Any]:
        """The reweighter's point: the free parameters at ``theta``, the fixed ones that differ from the run."""
        point: dict[str, Any] = {name: theta[i] for i, name in enumerate(self.space.names)}
        point.update(self._fixed_t)
        return point

    # -- the function -------------------------------------------------------------------------
    def evaluate(self, theta: torch.Tensor) -> Evaluation:
        """chi2, n_eff/N and the predictions at ``theta`` (``(d,)`` float64 tensor, parameter units)."""
        log_w = self.reweighter.log_weights(self._point(theta))
        if not bool(torch.isfinite(log_w).all()):
            raise TuneError(f"non-finite event weights at {self.space.point(theta.detach().numpy())}: the point is "
                            f"far outside what the run {self.run.label} can describe")
        shift = log_w.max().detach()
        w = torch.exp(log_w - shift)
        data, data_err, weights = self.target.as_torch()
        if self.mc_errors == "base":
            values = self._predict(w, errors=False)[0]
            errors = self._base_errors
            total = chi2_terms(values, errors, data, data_err, weights).sum()
        elif self.mc_errors == "corrected":
            values, weighted_errors = self._predict(w, errors=True)
            errors = self._base_errors
            excess = weighted_errors**2 - errors**2
            total = (weights**2 * ((data - values) ** 2 - excess) / (data_err**2 + errors**2)).sum()
        else:
            values, errors = self._predict(w, errors=True)
            total = chi2_terms(values, errors, data, data_err, weights).sum()
        plain = total if self.mc_errors != "corrected" else chi2_terms(values, errors, data, data_err, weights).sum()
        n_eff = w.sum() ** 2 / (w.numel() * (w * w).sum())
        return Evaluation(chi2=total, chi2_plain=plain, n_eff=n_eff, values=values, errors=errors, weights=w, log_scale=float(shift))

    def _evaluated(self, theta: np.ndarray) -> Evaluation:
        """``evaluate`` without gradient, kept for the last point: values, weights and chi2 at one point are
        often asked for one after the other (the ratio test's noise, the gain's noise, the final checks)."""
        theta = np.array(theta, dtype=np.float64)
        key = theta.tobytes()
        if self._last is None or self._last[0] != key:
            with torch.no_grad():
                self._last = (key, self.evaluate(torch.tensor(theta)))
        return self._last[1]

    def __call__(self, theta: np.ndarray) -> float:
        """chi2 at ``theta`` (numpy, no gradient)."""
        return float(self._evaluated(theta).chi2)

    def plain_chi2(self, theta: np.ndarray) -> float:
        """Professor's chi2 at ``theta`` (values and errors of this objective, no noise correction)."""
        return float(self._evaluated(theta).chi2_plain)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """``(chi2, d chi2/d theta, n_eff/N, d log(n_eff)/d theta)`` at ``theta`` (cached per point)."""
        theta = np.asarray(theta, dtype=np.float64)
        key = theta.tobytes()
        if key not in self._cache:
            t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
            ev = self.evaluate(t)
            g_chi2, = torch.autograd.grad(ev.chi2, t, retain_graph=True)
            g_neff, = torch.autograd.grad(torch.log(ev.n_eff), t)
            self._cache.clear()  # the optimisers ask for the same point a few times in a row, not more
            self._cache[key] = (float(ev.chi2.detach()), g_chi2.numpy().copy(), float(ev.n_eff.detach()),
                                g_neff.numpy().copy())
        return self._cache[key]

    def hessian(self, theta: np.ndarray, *, rel_step: float = 1e-4) -> np.ndarray:
        """``(d, d)`` Hessian of the chi2 at ``theta`` (parameter units).

        Central differences of the exact gradient, step ``rel_step`` x each parameter's
        range (truncation error ~ step**2 relative; the gradient is exact to rounding),
        symmetrised.
        """
        out = self._central_differences(lambda t: self.value_and_grad(t)[1], theta, rel_step)
        return 0.5 * (out + out.T)

    def _central_differences(self, fn, theta: np.ndarray, rel_step: float) -> np.ndarray:
        """``(d, ...)``: row ``i`` is d fn / d theta_i by a central difference, step ``rel_step`` x range i."""
        theta = np.asarray(theta, dtype=np.float64)
        rows = []
        for i in range(self.space.dim):
            h = rel_step * self.space.width[i]
            up, dn = theta.copy(), theta.copy()
            up[i] += h
            dn[i] -= h
            rows.append((fn(up) - fn(dn)) / (2 * h))
        return np.array(rows)

    def values(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MC ``(values, errors)`` at the target's points, numpy."""
        ev = self._evaluated(theta)
        return ev.values.numpy().copy(), ev.errors.numpy().copy()

    def chi2_errors(self, theta: np.ndarray) -> np.ndarray:
        """``(n,)`` the MC errors in the chi2's denominators at ``theta`` (see ``mc_errors``)."""
        if self._base_errors is not None:
            return self._base_errors.numpy().copy()
        return self.values(theta)[1]

    def chi2_factors(self, theta: np.ndarray) -> np.ndarray:
        """``(n,)`` the chi2's per-point factors ``a_i = w_i**2 / (s_i**2 + e_i**2)`` at ``theta`` (weight-file
        weights ``w``, data errors ``s``, :meth:`chi2_errors` ``e``)."""
        t = self.target
        return t.weights**2 / (t.data_err**2 + self.chi2_errors(theta) ** 2)

    def event_weights(self, theta: np.ndarray) -> np.ndarray:
        """``(N,)`` true event weights w(theta) (mean ~ 1 where the run covers theta), numpy."""
        ev = self._evaluated(theta)
        return (ev.weights * np.exp(ev.log_scale)).numpy().copy()

    def event_scores(self, theta: np.ndarray, *, rel_step: float = 1e-4) -> np.ndarray:
        """``(N, d)`` per-event scores ``d log w_e / d theta`` (central differences, step ``rel_step`` x range)."""

        def log_w(t: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return self.reweighter.log_weights(self._point(torch.tensor(t, dtype=torch.float64))).numpy()

        return self._central_differences(log_w, theta, rel_step).T

    def jacobian(self, theta: np.ndarray, *, rel_step: float = 1e-4) -> np.ndarray:
        """``(n, d)`` derivatives of the MC values by central differences (step ``rel_step`` x range)."""
        return self._central_differences(lambda t: self.values(t)[0], theta, rel_step).T
