"""The SBI tests' linear-Gaussian toy (importable by the test modules; fixtures are in conftest.py)."""

from __future__ import annotations

import numpy as np

from mlhad.inference.sbi.toy import LinearSimulator, toy_observation

#: the toy's true point and prior box (the box is ~20 posterior widths wide, as in real tunes)
TOY_TRUTH = np.array([0.3, -0.2])
TOY_LOW, TOY_HIGH = (-2.0, -2.0), (2.0, 2.0)


def make_toy(seed: int = 3, n_points: int = 12, *, include_mc_error: bool = True) -> LinearSimulator:
    """Two parameters, 12 points in 3 'histograms', data errors 0.1-0.3, MC errors 0.05."""
    rng = np.random.default_rng(seed)
    jac = rng.normal(size=(n_points, 2))
    m0 = rng.uniform(1.0, 2.0, n_points)
    s = rng.uniform(0.1, 0.3, n_points)
    obs = toy_observation(m0.copy(), s, [4, 4, n_points - 8])
    return LinearSimulator(obs, m0, jac, np.zeros(2), mc_errors=np.full(n_points, 0.05), params=("p0", "p1"),
                           include_mc_error=include_mc_error)
