"""A linear-Gaussian stand-in for the generator, with an analytic posterior.

``m(theta) = m0 + J (theta - theta_ref)`` at ``m`` points with constant MC errors ``e``:
the model of :mod:`.simulator` then has the Gaussian likelihood ``N(d; m(theta), C)``,
``C = diag(s^2 + e^2) / w^2``, and for a box prior much wider than the likelihood the
posterior is ``N(theta_hat, (J^T C^-1 J)^-1)`` with ``theta_hat`` the weighted least
squares solution. It implements the :class:`~.simulator.Simulator` protocol, so every
step of the inference and of the diagnosis can be checked against exact answers
without Pythia.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .observation import HistogramSelection, Observation
from .simulator import SimulatorOutput

__all__ = ["LinearSimulator", "toy_observation", "analytic_posterior"]


def toy_observation(values: np.ndarray, errors: np.ndarray, sizes: Sequence[int], *, analysis: str = "TOY",
                    names: Sequence[str] | None = None, weights: np.ndarray | None = None) -> Observation:
    """An observation of consecutive histograms of ``sizes`` points (bins 0..n in each)."""
    v = np.asarray(values, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    if v.shape != e.shape or v.ndim != 1 or sum(sizes) != v.size:
        raise ValueError(f"values {v.shape}, errors {e.shape} and sizes {list(sizes)} do not fit")
    hists, start = [], 0
    xlow, xhigh = [], []
    for i, n in enumerate(sizes):
        name = names[i] if names is not None else f"d{i + 1:02d}-x01-y01"
        hists.append(HistogramSelection(analysis, f"/{analysis}/{name}", np.arange(n), start, start + n, "per_event"))
        xlow.append(np.arange(n, dtype=np.float64))
        xhigh.append(np.arange(n, dtype=np.float64) + 1.0)
        start += n
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    return Observation(tuple(hists), v, e, w, np.concatenate(xlow), np.concatenate(xhigh))


class LinearSimulator:
    """``m(theta) = m0 + J (theta - theta_ref)`` with constant MC errors (see the module docstring).

    Args:
        observation: the data vector (its errors and weights define the noise).
        m0: ``(m,)`` prediction at ``theta_ref``.
        jac: ``(m, d)`` derivatives.
        theta_ref: ``(d,)`` reference point.
        mc_errors: ``(m,)`` MC errors (0 by default).
        params: names.
        include_mc_error: as a reweighting simulator (True) or a fresh-run one (False).
    """

    def __init__(self, observation: Observation, m0: np.ndarray, jac: np.ndarray, theta_ref: np.ndarray, *,
                 mc_errors: np.ndarray | None = None, params: Sequence[str] | None = None,
                 include_mc_error: bool = True) -> None:
        self.observation = observation
        self.m0 = np.asarray(m0, dtype=np.float64)
        self.jac = np.asarray(jac, dtype=np.float64)
        self.theta_ref = np.asarray(theta_ref, dtype=np.float64)
        self.mc_errors = np.zeros_like(self.m0) if mc_errors is None else np.asarray(mc_errors, dtype=np.float64)
        self.params = tuple(params or [f"p{i}" for i in range(self.jac.shape[1])])
        self.include_mc_error = include_mc_error
        self.calls = 0

    def mean(self, theta: np.ndarray) -> np.ndarray:
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        return self.m0 + (t - self.theta_ref) @ self.jac.T

    def predict(self, theta: np.ndarray, *, progress: bool = False) -> SimulatorOutput:
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        self.calls += t.shape[0]
        k = t.shape[0]
        return SimulatorOutput(t, self.mean(t), np.tile(self.mc_errors, (k, 1)), np.ones(k), np.ones(k, dtype=bool))


def analytic_posterior(sim: LinearSimulator, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and covariance ``(d, d)`` of the posterior for a flat, wide prior."""
    obs = sim.observation
    inv = 1.0 / np.square(obs.noise_scale(sim.mc_errors if sim.include_mc_error else None))
    fisher = (sim.jac * inv[:, None]).T @ sim.jac
    cov = np.linalg.inv(fisher)
    resid = np.asarray(data, dtype=np.float64) - sim.m0
    mean = sim.theta_ref + cov @ (sim.jac.T @ (inv * resid))
    return mean, cov
