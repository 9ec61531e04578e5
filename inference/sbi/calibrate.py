"""Run the calibration of a trained posterior: SBC over the prior, coverage at a fixed point.

* :func:`run_sbc` -- ``N`` pseudo-experiments with ``theta_i`` from the prior box and
  ``x_i`` from the simulator (prediction + the noise of :mod:`.simulator`): SBC ranks,
  their uniformity tests, central-interval and HPD coverage curves, and the pulls
  ``(posterior mean - theta_i) / posterior std``.
* :func:`run_fixed_point` -- the same at one known ``theta*`` (the acceptance's
  "pseudo-data at a known theta"): the frequentist coverage of the credible intervals,
  which for a flat prior and a near-Gaussian likelihood should also be nominal.

Pseudo-experiments whose point lies outside the base sample's coverage (NaN
prediction) are left out and counted (``n_dropped``): with limits checked by
:meth:`~.reweighting.ReweightingSimulator.require_covered` there are none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlhad.exceptions import InferenceError
from mlhad.progress import progress_bar

from .calibration import CoverageCurve, UniformityTest, central_coverage, hpd_coverage, rank_uniformity, sbc_ranks
from .estimators import TrainedEstimator
from .limits import Limits
from .posterior import log_densities, sample_posteriors
from .simulator import Simulator, pseudo_observations
from .summaries import Summary

__all__ = ["CalibrationResult", "run_sbc", "run_fixed_point", "simulate_summaries"]


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Calibration of a posterior over ``n`` pseudo-experiments.

    Attributes:
        kind: ``"sbc"`` (theta from the prior) or ``"fixed"`` (one theta*).
        params: parameter names.
        theta: ``(n, d)`` true points.
        ranks: ``(n, d)`` SBC ranks among ``n_samples`` posterior samples.
        uniformity: rank uniformity tests (meaningful for ``kind="sbc"``).
        central: coverage of central marginal intervals.
        hpd: coverage of joint HPD regions.
        mean, std: ``(n, d)`` posterior means and standard deviations.
        n_samples: posterior samples per pseudo-experiment.
        n_dropped: pseudo-experiments left out (uncovered point).
    """

    kind: str
    params: tuple[str, ...]
    theta: np.ndarray
    ranks: np.ndarray
    uniformity: UniformityTest
    central: CoverageCurve
    hpd: CoverageCurve
    mean: np.ndarray
    std: np.ndarray
    n_samples: int
    n_dropped: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.theta.shape[0])

    @property
    def pulls(self) -> np.ndarray:
        """``(n, d)`` ``(posterior mean - theta) / posterior std``; mean 0, std 1 if calibrated and Gaussian."""
        return (self.mean - self.theta) / self.std

    def summary(self) -> dict:
        """The headline numbers (for reports and tests)."""
        pulls = self.pulls
        return {
            "kind": self.kind, "n": self.n, "n_samples": self.n_samples, "n_dropped": self.n_dropped,
            "params": list(self.params),
            "coverage_levels": self.central.alpha.tolist(),
            "central_coverage": self.central.coverage.tolist(),
            "hpd_coverage": self.hpd.coverage[:, 0].tolist(),
            "central_coverage_max_deviation_sigma": self.central.max_deviation(),
            "hpd_coverage_max_deviation_sigma": self.hpd.max_deviation(),
            "rank_uniformity": self.uniformity.to_dict(),
            "pull_mean": pulls.mean(axis=0).tolist(), "pull_std": pulls.std(axis=0, ddof=1).tolist(),
            **self.extra,
        }


def simulate_summaries(simulator: Simulator, summary: Summary, theta: np.ndarray, rng: np.random.Generator, *,
                       progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Summaries of one pseudo-observation per point, and the mask of usable (finite) ones.

    Returns:
        ``(t, ok)``: ``(K, dim)`` summaries (NaN rows where the point was refused) and ``(K,)``.
    """
    out = simulator.predict(theta, progress=progress)
    x = pseudo_observations(out, simulator.observation, rng, include_mc_error=simulator.include_mc_error)
    ok = np.all(np.isfinite(x), axis=1)
    t = np.full((x.shape[0], summary.dim), np.nan)
    if ok.any():
        t[ok] = summary(x[ok])
    return t, ok


def _evaluate(kind: str, estimator: TrainedEstimator, theta: np.ndarray, t: np.ndarray, n_samples: int,
              seed: int, params: tuple[str, ...], dropped: int, progress: bool, chunk: int = 100) -> CalibrationResult:
    samples_parts, logp_parts, logt_parts = [], [], []
    with progress_bar(total=theta.shape[0], unit="exp", desc=f"calibrate ({kind})", disable=not progress) as bar:
        for start in range(0, theta.shape[0], chunk):
            sl = slice(start, start + chunk)
            s = sample_posteriors(estimator, t[sl], n_samples, seed=seed + start)
            samples_parts.append(s)
            logp_parts.append(log_densities(estimator, s, t[sl]))
            logt_parts.append(log_densities(estimator, theta[None, sl, :], t[sl])[0])
            bar.update(s.shape[1])
    samples = np.concatenate(samples_parts, axis=1)
    logp = np.concatenate(logp_parts, axis=1)
    logt = np.concatenate(logt_parts)
    ranks = sbc_ranks(theta, samples)
    return CalibrationResult(
        kind=kind, params=params, theta=theta, ranks=ranks,
        uniformity=rank_uniformity(ranks, n_samples, rng=np.random.default_rng(seed)),
        central=central_coverage(theta, samples), hpd=hpd_coverage(logt, logp),
        mean=samples.mean(axis=0), std=samples.std(axis=0, ddof=1), n_samples=n_samples, n_dropped=dropped,
    )


def run_sbc(estimator: TrainedEstimator, simulator: Simulator, summary: Summary, limits: Limits, *,
            n: int = 200, n_samples: int = 500, seed: int = 0, progress: bool = False) -> CalibrationResult:
    """Simulation-based calibration over the prior box.

    Args:
        estimator: the trained posterior.
        simulator, summary: the same as for training.
        limits: the prior box (theta_i are drawn uniformly in it).
        n: pseudo-experiments (>= 100 for the acceptance; fewer only for quick looks).
        n_samples: posterior samples per pseudo-experiment (ranks run 0..n_samples).
        seed: seeds theta_i, the noise and the posterior sampling.
    """
    if n < 2 or n_samples < 10:
        raise InferenceError(f"SBC needs n >= 2 pseudo-experiments and n_samples >= 10, got {n}, {n_samples}")
    rng = np.random.default_rng(seed)
    theta = limits.lower + rng.uniform(size=(n, limits.dim)) * limits.width
    t, ok = simulate_summaries(simulator, summary, theta, rng, progress=progress)
    if not ok.any():
        raise InferenceError("no SBC pseudo-experiment could be simulated (all points outside the coverage)")
    return _evaluate("sbc", estimator, theta[ok], t[ok], n_samples, seed, tuple(limits.names), int((~ok).sum()),
                     progress)


def run_fixed_point(estimator: TrainedEstimator, simulator: Simulator, summary: Summary, theta_star: np.ndarray, *,
                    n: int = 200, n_samples: int = 500, seed: int = 0, progress: bool = False) -> CalibrationResult:
    """Coverage of the credible intervals for ``n`` pseudo-observations at one point ``theta_star``."""
    rng = np.random.default_rng(seed)
    point = np.asarray(theta_star, dtype=np.float64).reshape(1, -1)
    if simulator.include_mc_error:   # deterministic prediction: one evaluation, n noise draws
        out = simulator.predict(point)
        reps = type(out)(np.repeat(out.theta, n, axis=0), np.repeat(out.values, n, axis=0),
                         np.repeat(out.errors, n, axis=0), np.repeat(out.n_eff_fraction, n), np.repeat(out.covered, n))
    else:                            # fresh runs fluctuate themselves: n runs
        reps = simulator.predict(np.repeat(point, n, axis=0), progress=progress)
    if not np.all(np.isfinite(reps.values)):
        raise InferenceError(f"theta* = {point[0].tolist()} is outside the base sample's coverage")
    x = pseudo_observations(reps, simulator.observation, rng, include_mc_error=simulator.include_mc_error)
    t = summary(x)
    return _evaluate("fixed", estimator, reps.theta, t, n_samples, seed, tuple(simulator.params), 0, progress)
