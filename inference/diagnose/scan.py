"""What can the parameters do? Predictions over a design of the box, and each bin's envelope.

The design is the box's ``2**d`` corners (where monotonic effects are largest), a
scrambled Sobol sequence of ``n`` points inside it and the best fit. Every bin is
predicted at every design point in one batched pass. For a bin ``i`` the envelope
``[min_j m_ij, max_j m_ij]`` is what *some* point of the box predicts: if the data value
lies inside it, a point of the box reproduces it exactly (the box is connected and the
prediction continuous, so the intermediate-value theorem applies along a path between
the two design points). Its distance outside the envelope in units of the error is the
bin's *irreducible pull*: no point of the box can do better (up to the design's
resolution, which can only make the envelope narrower than the truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import Limits, Observation, Simulator

__all__ = ["DesignScan", "design_points", "scan_design", "envelope_pulls"]


def design_points(limits: Limits, n: int, *, seed: int = 1, extra: np.ndarray | None = None) -> np.ndarray:
    """``(2**d + n [+ extra], d)`` points: corners, Sobol points, then ``extra`` rows."""
    sobol = qmc.Sobol(d=limits.dim, scramble=True, seed=seed)
    m = int(np.ceil(np.log2(max(n, 2))))
    inner = sobol.random_base2(m)[:n]
    pts = [limits.corners(), limits.lower + inner * limits.width]
    if extra is not None:
        pts.append(np.atleast_2d(extra))
    return np.concatenate(pts)


@dataclass(frozen=True, eq=False)
class DesignScan:
    """Predictions at the design points (uncovered points removed).

    Attributes:
        theta: ``(J, d)`` design points kept.
        values, errors: ``(J, m)`` predictions and MC errors.
        n_uncovered: design points dropped by the n_eff guard.
    """

    theta: np.ndarray
    values: np.ndarray
    errors: np.ndarray
    n_uncovered: int

    @property
    def low(self) -> np.ndarray:
        """``(m,)`` lowest prediction of each bin over the box."""
        return self.values.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        """``(m,)`` highest prediction of each bin over the box."""
        return self.values.max(axis=0)


def scan_design(simulator: Simulator, limits: Limits, n: int, *, seed: int = 1, extra: np.ndarray | None = None,
                progress: bool = False) -> DesignScan:
    """Predict every bin at the design points of ``limits``.

    Raises:
        InferenceError: fewer than ``d + 2`` design points inside the coverage.
    """
    pts = design_points(limits, n, seed=seed, extra=extra)
    out = simulator.predict(pts, progress=progress)
    ok = np.all(np.isfinite(out.values), axis=1) & out.covered
    if ok.sum() < limits.dim + 2:
        raise InferenceError(f"only {int(ok.sum())} of {pts.shape[0]} design points are inside the base sample's "
                             "coverage: narrow the limits (see ReweightingSimulator.suggest_limits)")
    return DesignScan(pts[ok], out.values[ok], out.errors[ok], int((~ok).sum()))


def envelope_pulls(observation: Observation, scan: DesignScan, data: np.ndarray | None = None) -> np.ndarray:
    """``(m,)`` signed irreducible pulls: distance of the data outside the envelope over its error.

    Positive: the data lie above every prediction; 0: some point of the box reaches them.
    The error is that of the design point nearest to the data value (data error and MC
    error, divided by the bin weight, as in the chi2).
    """
    d = observation.values if data is None else np.asarray(data, dtype=np.float64)
    sigma = observation.noise_scale(scan.errors)                     # (J, m)
    above = d - scan.high
    below = scan.low - d
    nearest = np.argmin(np.abs(scan.values - d), axis=0)
    s = sigma[nearest, np.arange(d.size)]
    return np.where(above > 0, above / s, np.where(below > 0, -below / s, 0.0))
