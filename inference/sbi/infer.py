"""The inference itself, for any simulator: fit, compress, simulate, train, sample, check.

:func:`infer` runs the steps of docs/sbi.md in order, each a call whose inputs and
outputs can be printed:

1. chi2 fit to the data (the fiducial point of the compression, a cross-check, and
   the truncation of the prior box to ``fit -+ 6 errors``);
2. summary: score compression at the fit (or the reference points themselves);
3. ``n_simulations`` points drawn uniformly in the prior box, their pseudo-observations
   (prediction + data and MC noise) and summaries;
4. training of the estimator (NPE by default);
5. posterior samples of the data, their mean, standard deviation, quantiles,
   correlations and the MAP;
6. posterior predictive check; 7. SBC over the prior and, if asked, coverage at a known point.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlhad.exceptions import CoverageWarning, InferenceError

from .calibrate import CalibrationResult, run_fixed_point, run_sbc, simulate_summaries
from .config import SBIConfig
from .estimators import TrainedEstimator, check_simulation_budget, train_estimator
from .fit import FitResult, fit_chi2
from .limits import Limits
from .posterior import posterior_map, prior_acceptance, sample_posterior
from .ppc import PosteriorPredictive, posterior_predictive
from .simulator import Simulator
from .summaries import BinsSummary, ScoreSummary, Summary

__all__ = ["SBIResult", "infer", "truncated_limits"]


@dataclass(eq=False)
class SBIResult:
    """Everything an inference produced (see :func:`infer`).

    Attributes:
        config: the run's configuration.
        limits: the box the simulations were drawn from and the estimator was trained on
            (the prior box, truncated around the fit if ``config.truncate``).
        prior_limits: the prior box as given (parameter order of the simulator).
        fit: the chi2 fit to the data.
        summary: the summary map.
        estimator: the trained estimator (with its posterior).
        samples: ``(n, d)`` posterior samples of the data.
        map: ``(d,)`` maximum a posteriori point.
        ppc: posterior predictive check.
        sbc, fixed: calibration over the prior / at ``config.coverage_at`` (or None).
        n_training_dropped: training points outside the coverage (left out).
        coverage_flags: prior-corner coverage report when ``on_uncovered='flag'``.
        timings: seconds per step.
    """

    config: SBIConfig
    limits: Limits
    prior_limits: Limits
    fit: FitResult
    summary: Summary
    estimator: TrainedEstimator
    samples: np.ndarray
    map: np.ndarray
    ppc: PosteriorPredictive
    sbc: CalibrationResult | None = None
    fixed: CalibrationResult | None = None
    n_training_dropped: int = 0
    coverage_flags: str | None = None
    truncation_warning: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.limits.names)

    @property
    def mean(self) -> np.ndarray:
        return self.samples.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        return self.samples.std(axis=0, ddof=1)

    @property
    def correlation(self) -> np.ndarray:
        return np.corrcoef(self.samples, rowvar=False).reshape(self.limits.dim, self.limits.dim)

    def quantiles(self, q: tuple[float, ...] = (0.025, 0.16, 0.5, 0.84, 0.975)) -> dict[float, np.ndarray]:
        return {p: np.quantile(self.samples, p, axis=0) for p in q}

    def posterior_table(self) -> list[dict[str, float]]:
        """One row per parameter: mean, std, median, 68/95 % intervals, MAP, fit and its error."""
        qs = self.quantiles()
        rows = []
        for i, name in enumerate(self.params):
            rows.append({"parameter": name, "mean": float(self.mean[i]), "std": float(self.std[i]),
                         "median": float(qs[0.5][i]), "q16": float(qs[0.16][i]), "q84": float(qs[0.84][i]),
                         "q2.5": float(qs[0.025][i]), "q97.5": float(qs[0.975][i]), "map": float(self.map[i]),
                         "fit": float(self.fit.theta[i]), "fit_error": float(self.fit.uncertainties[i]),
                         "low": self.prior_limits.low[i], "high": self.prior_limits.high[i],
                         "train_low": self.limits.low[i], "train_high": self.limits.high[i]})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": list(self.params), "config": self.config.to_dict(), "posterior": self.posterior_table(),
            "correlation": self.correlation.tolist(), "fit": self.fit.to_dict(), "summary": self.summary.to_dict(),
            "training": {"n_simulations": self.estimator.n_simulations, "epochs": self.estimator.epochs,
                         "best_validation_loss": self.estimator.best_validation_loss,
                         "seconds": self.estimator.seconds, "dropped_outside_coverage": self.n_training_dropped},
            "ppc": self.ppc.to_dict(), "sbc": None if self.sbc is None else self.sbc.summary(),
            "fixed_point_coverage": None if self.fixed is None else self.fixed.summary(),
            "prior_limits": self.prior_limits.to_dict(), "training_limits": self.limits.to_dict(),
            "coverage_flags": self.coverage_flags, "truncation_warning": self.truncation_warning,
            "timings": self.timings, **self.meta,
        }


def _check_prior(simulator: Simulator, limits: Limits, config: SBIConfig) -> str | None:
    check = getattr(simulator, "require_covered", None)
    if check is None:
        return None
    if config.on_uncovered == "raise":
        check(limits)
        return None
    report = simulator.check_limits(limits)
    if report.ok:
        return None
    message = f"prior box partly outside the base sample's coverage: {report.describe()}"
    warnings.warn(message + "; predictions there are NaN and those points are left out", CoverageWarning,
                  stacklevel=3)
    return message


def truncated_limits(limits: Limits, fit: FitResult, n_sigma: float) -> Limits:
    """``limits`` cut to ``fit.theta -+ n_sigma * fit errors`` (unchanged where the errors are unusable)."""
    err = fit.uncertainties
    lo = np.where(np.isfinite(err) & (err > 0), np.maximum(limits.lower, fit.theta - n_sigma * err), limits.lower)
    hi = np.where(np.isfinite(err) & (err > 0), np.minimum(limits.upper, fit.theta + n_sigma * err), limits.upper)
    if np.any(hi <= lo):
        return limits
    return Limits(limits.names, tuple(lo.tolist()), tuple(hi.tolist()))


def _truncation_check(samples: np.ndarray, prior: Limits, box: Limits) -> str | None:
    """Warn if posterior samples crowd a face of the truncated box that is not a face of the prior."""
    near = []
    span = box.width
    for k, name in enumerate(box.names):
        for face, prior_face, side in ((box.lower[k], prior.lower[k], -1), (box.upper[k], prior.upper[k], 1)):
            if np.isclose(face, prior_face):
                continue
            frac = float(np.mean(np.abs(samples[:, k] - face) < 0.05 * span[k]))
            if frac > 0.002:
                near.append(f"{name} {'upper' if side > 0 else 'lower'} ({frac:.1%} of the samples within 5 % of it)")
    if not near:
        return None
    return ("the posterior reaches the truncated box at " + "; ".join(near) +
            ": rerun with a larger truncate (or truncate=None); if it still does, these samples are the "
            "estimator's tails (spline flows put 0.2-1 % of their mass beyond 5 widths: docs/sbi.md, "
            "'Tails of the estimate'), not posterior mass")


def infer(simulator: Simulator, limits: Limits, config: SBIConfig, *, data: np.ndarray | None = None,
          progress: bool = False) -> SBIResult:
    """Posterior of the simulator's parameters given the observation (see the module docstring).

    Args:
        simulator: predictions of the observation for any point (reweighting or Pythia).
        limits: the prior box; reordered to the simulator's parameter order.
        config: what to run (its ``limits`` are ignored in favour of ``limits``).
        data: ``(m,)`` observed values to use instead of the observation's (pseudo-data).
        progress: progress bars.

    Raises:
        InferenceError: too few simulations, a prior outside the coverage, a summary
            the data cannot constrain.
    """
    limits = limits.reorder(simulator.params)
    obs = simulator.observation
    if data is not None:
        obs_values = np.asarray(data, dtype=np.float64)
        if obs_values.shape != obs.values.shape:
            raise InferenceError(f"data must have shape {obs.values.shape}, got {obs_values.shape}")
    else:
        obs_values = obs.values
    summary_dim = limits.dim if config.summary == "score" else obs.n_points
    check_simulation_budget(config.estimator.method, config.n_simulations, summary_dim,
                            embedding_dim=config.estimator.embedding_dim)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    flags = _check_prior(simulator, limits, config)
    data_obs = obs.with_values(obs_values)
    start = np.clip(getattr(simulator, "base_point", limits.centre), limits.lower, limits.upper)
    fit = fit_chi2(simulator, data_obs, limits, start=start)
    timings["fit"] = time.perf_counter() - t0
    prior_limits = limits
    if fit.at_limit.any():
        names = [n for n, a in zip(limits.names, fit.at_limit) if a]
        warnings.warn(f"the chi2 fit ends on the prior limits for {names}: the data pull beyond the box, so the "
                      "posterior is cut by it; widen the limits there if the physics allows", UserWarning, stacklevel=2)
    if config.truncate is not None:
        limits = truncated_limits(limits, fit, config.truncate)

    t0 = time.perf_counter()
    if config.summary == "score":
        theta0 = fit.theta if config.fiducial == "fit" else limits.centre
        summary: Summary = ScoreSummary.fit(simulator, obs, limits, theta0)
    else:
        summary = BinsSummary(obs.n_points)
    rng = np.random.default_rng(config.seed)
    theta = limits.lower + rng.uniform(size=(config.n_simulations, limits.dim)) * limits.width
    t_sim, ok = simulate_summaries(simulator, summary, theta, rng, progress=progress)
    timings["simulate"] = time.perf_counter() - t0
    dropped = int((~ok).sum())
    if dropped:
        check_simulation_budget(config.estimator.method, int(ok.sum()), summary_dim,
                                embedding_dim=config.estimator.embedding_dim)

    t0 = time.perf_counter()
    estimator = train_estimator(limits.prior(), theta[ok], t_sim[ok], config.estimator, seed=config.seed,
                                progress=progress)
    timings["train"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    t_obs = summary(obs_values[None, :])[0]
    inside = prior_acceptance(estimator, t_obs, limits.lower, limits.upper, seed=config.seed)
    if inside < 0.01:
        edges = [f"{n} {'upper' if t > (lo + hi) / 2 else 'lower'}" for n, t, lo, hi, a in
                 zip(limits.names, fit.theta, prior_limits.lower, prior_limits.upper, fit.at_limit) if a]
        raise InferenceError(
            f"the data lie outside what the prior box can describe: only {inside:.2%} of the posterior network's "
            f"mass for them falls inside the box (summary {np.round(t_obs, 5).tolist()}, box {limits.to_dict()}); "
            + (f"the chi2 fit ends on the limits ({', '.join(edges)}): widen them there, which for reweighting "
               "needs a base sample generated nearer to the data (mlhad generate --set ...)" if edges else
               "check the selected histograms and the limits")
        )
    samples = sample_posterior(estimator, t_obs, config.n_posterior_samples, seed=config.seed + 1)
    map_point = posterior_map(estimator, t_obs, seed=config.seed + 2)
    ppc_idx = rng.choice(samples.shape[0], size=min(config.n_ppc, samples.shape[0]), replace=False)
    ppc_sim = _WithData(simulator, data_obs)
    ppc = posterior_predictive(ppc_sim, samples[ppc_idx], rng)
    timings["posterior"] = time.perf_counter() - t0

    sbc = fixed = None
    if config.n_sbc:
        t0 = time.perf_counter()
        sbc = run_sbc(estimator, simulator, summary, limits, n=config.n_sbc, n_samples=config.n_sbc_samples,
                      seed=config.seed + 3, progress=progress)
        if config.coverage_at is not None:
            fixed = run_fixed_point(estimator, simulator, summary, np.asarray(config.coverage_at), n=config.n_sbc,
                                    n_samples=config.n_sbc_samples, seed=config.seed + 4, progress=progress)
        timings["calibration"] = time.perf_counter() - t0
    warning = _truncation_check(samples, prior_limits, limits)
    if warning:
        warnings.warn(warning, UserWarning, stacklevel=2)
    return SBIResult(config=config, limits=limits, prior_limits=prior_limits, fit=fit, summary=summary,
                     estimator=estimator, samples=samples, map=map_point, ppc=ppc, sbc=sbc, fixed=fixed,
                     n_training_dropped=dropped, coverage_flags=flags, truncation_warning=warning, timings=timings)


class _WithData:
    """A simulator view whose observation carries other data values (for the PPC of pseudo-data)."""

    def __init__(self, simulator: Simulator, observation) -> None:
        self._sim = simulator
        self.observation = observation
        self.params = simulator.params
        self.include_mc_error = simulator.include_mc_error

    def predict(self, theta: np.ndarray, *, progress: bool = False):
        return self._sim.predict(theta, progress=progress)
