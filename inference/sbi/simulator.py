"""What a simulator is, and how a prediction becomes a pseudo-observation.

The stochastic model of the inference
-------------------------------------
The observed data ``d`` are one draw from ``N(mu_true(theta), S)``: the measured values
fluctuate by the published errors ``s`` (``S = diag(s**2)``; LEP1 YODA files give total
errors without bin-to-bin correlations). A *reweighted* prediction ``m(theta)`` is not
random given the base sample: it is ``mu_true(theta)`` plus one fixed realisation of the
base sample's statistical error, of size ``e(theta)`` per bin. Not knowing that
realisation, we treat it as ``N(0, e**2)``, so that

    d | theta  ~  N(m(theta), diag(s**2 + e(theta)**2) / w**2),

exactly the Gaussian whose ``-2 log L`` is the chi2 of :mod:`mlhad.compare` and of the
tuner (``w`` the weight-file bin weights). A pseudo-observation is therefore the
deterministic prediction plus that noise (:func:`pseudo_observations`). For a *fresh
Pythia run* the MC fluctuation is real (a new sample per simulation) and only the data
noise is added (``include_mc_error=False``); its ``e`` is then the run's own error.

A simulator maps parameter points to predictions at the observation's reference points
(:class:`SimulatorOutput`); the inference adds the noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from mlhad.exceptions import InferenceError

from .observation import Observation

__all__ = ["Simulator", "SimulatorOutput", "pseudo_observations"]


@dataclass(frozen=True, eq=False)
class SimulatorOutput:
    """Predictions for ``K`` parameter points at the ``m`` points of an observation.

    Attributes:
        theta: ``(K, d)`` the points.
        values: ``(K, m)`` predicted heights (NaN where a point was refused).
        errors: ``(K, m)`` MC statistical errors of the heights.
        n_eff_fraction: ``(K,)`` n_eff / N of the weights (1 for unweighted runs).
        covered: ``(K,)`` True where the prediction is trustworthy (the n_eff guard).
    """

    theta: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    n_eff_fraction: np.ndarray
    covered: np.ndarray

    def __post_init__(self) -> None:
        k = self.theta.shape[0]
        if self.values.shape != self.errors.shape or self.values.shape[0] != k:
            raise InferenceError(f"simulator output shapes disagree: theta {self.theta.shape}, values "
                                 f"{self.values.shape}, errors {self.errors.shape}")

    @property
    def n(self) -> int:
        return int(self.theta.shape[0])

    def select(self, mask: np.ndarray) -> SimulatorOutput:
        return SimulatorOutput(self.theta[mask], self.values[mask], self.errors[mask], self.n_eff_fraction[mask],
                               self.covered[mask])

    @staticmethod
    def concatenate(parts: Sequence[SimulatorOutput]) -> SimulatorOutput:
        if not parts:
            raise InferenceError("no simulator outputs to concatenate")
        return SimulatorOutput(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                                 ("theta", "values", "errors", "n_eff_fraction", "covered")))


@runtime_checkable
class Simulator(Protocol):
    """Anything that predicts an observation's points for a batch of parameter points.

    Attributes:
        params: the parameter names, in the order of theta's columns.
        observation: the data vector the predictions line up with.
        include_mc_error: whether the prediction's MC error is a fixed realisation to be
            marginalised (reweighting: True) or already a fresh fluctuation (Pythia: False).
    """

    params: Sequence[str]
    observation: Observation
    include_mc_error: bool

    def predict(self, theta: np.ndarray, *, progress: bool = False) -> SimulatorOutput:
        """``(K, d)`` points -> :class:`SimulatorOutput`."""
        ...


def pseudo_observations(output: SimulatorOutput, observation: Observation, rng: np.random.Generator, *,
                        include_mc_error: bool = True) -> np.ndarray:
    """Draw one pseudo-observation per simulated point (see the module docstring).

    Args:
        output: predictions for ``K`` points.
        observation: supplies the data errors ``s`` and weights ``w``.
        rng: numpy generator (pass it in: results are reproducible from its seed).
        include_mc_error: add the MC error in quadrature (reweighting); False for fresh
            Pythia runs, whose values already fluctuate by it.

    Returns:
        ``(K, m)`` values ``m(theta) + N(0, sigma**2)``, NaN rows where ``values`` is NaN.
    """
    scale = observation.noise_scale(output.errors if include_mc_error else None)
    scale = np.broadcast_to(scale, output.values.shape)
    return output.values + rng.standard_normal(output.values.shape) * scale
