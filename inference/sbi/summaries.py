"""Summaries of a pseudo-observation: what the neural estimator sees.

What to use when:
    * :class:`ScoreSummary` (default, ``summary="score"``) -- linear score compression
      (MOPED, Heavens et al. 2000, MNRAS 317 965; Alsing & Wandelt 2018, MNRAS 476 L60)
      of the ``m`` reference points to ``d`` numbers, one per parameter:

          t(x) = theta_0 + F^-1 J^T C^-1 (x - m(theta_0)),   F = J^T C^-1 J,

      with ``J = dm/dtheta`` and ``C = diag(s^2 + e^2)/w^2`` at a fiducial point
      ``theta_0`` (the chi2 fit to the data). For the Gaussian model of
      :mod:`.simulator`, ``t`` is the linearised maximum-likelihood estimate of theta:
      it loses no information where ``m`` is linear in theta around ``theta_0``, and
      ``F^-1`` is the Cramér-Rao bound of the posterior covariance there. Away from
      ``theta_0`` it is still a fixed, deterministic function of x, so the posterior
      learnt from it stays calibrated; it can only be wider than necessary.
    * :class:`BinsSummary` (``summary="bins"``) -- every reference point (sbi
      standardises each). Needs more simulations (at least one per point), optionally
      with a learnt embedding (``EstimatorSettings.embedding_dim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mlhad.exceptions import InferenceError

from .fit import jacobian
from .limits import Limits
from .observation import Observation
from .simulator import Simulator

__all__ = ["Summary", "BinsSummary", "ScoreSummary", "SUMMARIES"]

SUMMARIES = ("score", "bins")


class Summary(Protocol):
    """A fixed map from ``(K, m)`` pseudo-observations to ``(K, dim)`` summaries."""

    name: str
    dim: int

    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict: ...


@dataclass(frozen=True, eq=False)
class BinsSummary:
    """The reference points themselves (identity)."""

    dim: int
    name: str = "bins"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if arr.shape[1] != self.dim:
            raise InferenceError(f"expected {self.dim} points per observation, got {arr.shape[1]}")
        return arr

    def to_dict(self) -> dict:
        return {"name": self.name, "dim": self.dim}


@dataclass(frozen=True, eq=False)
class ScoreSummary:
    """Linear score compression at a fiducial point (see the module docstring).

    Attributes:
        theta0: ``(d,)`` fiducial point.
        mu0: ``(m,)`` prediction there.
        jacobian: ``(m, d)`` derivatives of the prediction there.
        inv_var: ``(m,)`` ``w^2 / (s^2 + e^2)`` there.
        fisher: ``(d, d)`` ``J^T C^-1 J``.
        params: parameter names.
    """

    theta0: np.ndarray
    mu0: np.ndarray
    jacobian: np.ndarray
    inv_var: np.ndarray
    fisher: np.ndarray
    params: tuple[str, ...]
    name: str = "score"

    @property
    def dim(self) -> int:
        return int(self.theta0.size)

    @property
    def cramer_rao(self) -> np.ndarray:
        """``(d,)`` smallest posterior standard deviations the data allow near theta_0."""
        return np.sqrt(np.diag(np.linalg.inv(self.fisher)))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if arr.shape[1] != self.mu0.size:
            raise InferenceError(f"expected {self.mu0.size} points per observation, got {arr.shape[1]}")
        score = ((arr - self.mu0) * self.inv_var) @ self.jacobian
        return self.theta0 + np.linalg.solve(self.fisher, score.T).T

    @classmethod
    def fit(cls, simulator: Simulator, observation: Observation, limits: Limits, theta0: np.ndarray, *,
            relative_step: float = 0.02) -> ScoreSummary:
        """Build the compression at ``theta0`` with central differences of ``relative_step`` x the box width.

        Raises:
            InferenceError: the data do not constrain some parameter (singular Fisher matrix).
        """
        t0 = np.clip(np.asarray(theta0, dtype=np.float64), limits.lower, limits.upper)
        steps = relative_step * limits.width
        centre = np.clip(t0, limits.lower + steps, limits.upper - steps)
        mu0, e0, jac = jacobian(simulator, centre, steps)
        inv_var = 1.0 / np.square(observation.noise_scale(e0))
        fisher = (jac * inv_var[:, None]).T @ jac
        eig = np.linalg.eigvalsh(fisher)
        # the information per parameter, scaled to the box: < 1e-6 means the data cannot tell
        # the box's ends apart by a millionth of a standard deviation
        scaled = fisher * np.outer(limits.width, limits.width)
        weak = [n for n, v in zip(limits.names, np.diag(scaled)) if not v > 1e-6]
        if weak or eig.min() <= 1e-12 * eig.max():
            raise InferenceError(
                f"the selected data do not constrain {weak or list(limits.names)} (Fisher information "
                f"{np.diag(fisher).tolist()}): drop those parameters or select histograms that depend on them"
            )
        return cls(centre, mu0, jac, inv_var, fisher, tuple(limits.names))

    def to_dict(self) -> dict:
        return {"name": self.name, "dim": self.dim, "theta0": self.theta0.tolist(), "params": list(self.params),
                "cramer_rao": self.cramer_rao.tolist()}
