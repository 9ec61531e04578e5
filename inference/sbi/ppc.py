"""Posterior predictive check: do data drawn from the fitted model look like the data?

For ``S`` posterior samples ``theta_s`` the simulator predicts ``m(theta_s)`` and a
replicated data set ``x_s = m(theta_s) + noise`` (:mod:`.simulator`). Reported:

* per point, the 68 % and 95 % bands of the replicas (what the model expects to see),
  each replica carrying the data error and the prediction's MC error;
* the discrepancy ``chi2(y, theta) = sum w^2 (y - m(theta))^2 / (s^2 + e^2)`` of the
  data and of each replica, and the posterior predictive p-value
  ``P(chi2(x_s, theta_s) >= chi2(d, theta_s))`` (Gelman, Meng & Stern 1996), in total
  and per histogram. Small p-values mean the model, at any parameter point the
  posterior allows, does not describe the data within their errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import InferenceError

from .fit import residuals
from .observation import Observation
from .simulator import Simulator, pseudo_observations

__all__ = ["PosteriorPredictive", "posterior_predictive"]


@dataclass(frozen=True, eq=False)
class PosteriorPredictive:
    """Replicated data at posterior samples (arrays over ``S`` samples and ``m`` points).

    Attributes:
        theta: ``(S, d)`` the samples used (uncovered ones dropped).
        values, errors: ``(S, m)`` predictions and their MC errors.
        replicas: ``(S, m)`` replicated data.
        chi2_data, chi2_replica: ``(S, H)`` discrepancies per histogram.
        observation: the data.
        n_dropped: samples outside the base's coverage.
    """

    theta: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    replicas: np.ndarray
    chi2_data: np.ndarray
    chi2_replica: np.ndarray
    observation: Observation
    n_dropped: int = 0

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """``(m,)`` lower and upper edges of the central ``level`` band of the replicas."""
        return (np.quantile(self.replicas, (1 - level) / 2, axis=0),
                np.quantile(self.replicas, (1 + level) / 2, axis=0))

    @property
    def median(self) -> np.ndarray:
        return np.median(self.values, axis=0)

    @property
    def p_value(self) -> float:
        """Posterior predictive p-value of the total chi2."""
        return float(np.mean(self.chi2_replica.sum(axis=1) >= self.chi2_data.sum(axis=1)))

    def histogram_p_values(self) -> dict[str, float]:
        """Posterior predictive p-value per histogram."""
        return {h.path: float(np.mean(self.chi2_replica[:, i] >= self.chi2_data[:, i]))
                for i, h in enumerate(self.observation.histograms)}

    def histogram_chi2(self) -> dict[str, tuple[float, int]]:
        """Median chi2 of the data over the posterior, and the number of points, per histogram."""
        return {h.path: (float(np.median(self.chi2_data[:, i])), h.stop - h.start)
                for i, h in enumerate(self.observation.histograms)}

    def to_dict(self) -> dict:
        chi2 = self.histogram_chi2()
        pv = self.histogram_p_values()
        return {"n_samples": int(self.theta.shape[0]), "n_dropped": self.n_dropped, "p_value": self.p_value,
                "chi2_median": float(np.median(self.chi2_data.sum(axis=1))), "n_points": self.observation.n_points,
                "histograms": {p: {"chi2": chi2[p][0], "n_points": chi2[p][1], "p_value": pv[p]} for p in pv}}


def _per_histogram(observation: Observation, r2: np.ndarray) -> np.ndarray:
    return np.stack([r2[:, h.slice].sum(axis=1) for h in observation.histograms], axis=1)


def posterior_predictive(simulator: Simulator, theta: np.ndarray, rng: np.random.Generator) -> PosteriorPredictive:
    """Replicate the data at posterior samples ``theta`` ``(S, d)`` (see the module docstring).

    Raises:
        InferenceError: every sample lies outside the base sample's coverage.
    """
    obs = simulator.observation
    out = simulator.predict(np.asarray(theta, dtype=np.float64))
    ok = np.all(np.isfinite(out.values), axis=1)
    if not ok.any():
        raise InferenceError("no posterior sample could be predicted (all outside the base sample's coverage)")
    out = out.select(ok)
    # d - m(theta) fluctuates by the data error and by the prediction's MC error, whether
    # that is a fixed realisation (reweighting) or a fresh run's (Pythia): replicas carry both
    rep = pseudo_observations(out, obs, rng, include_mc_error=True)
    r_data = residuals(obs, out.values, out.errors)
    r_rep = (rep - out.values) / obs.noise_scale(out.errors)
    return PosteriorPredictive(out.theta, out.values, out.errors, rep, _per_histogram(obs, r_data ** 2),
                               _per_histogram(obs, r_rep ** 2), obs, int((~ok).sum()))
