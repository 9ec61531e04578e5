"""The diagnosis tests' toy generator: six "observables" of 8 bins, two parameters (fixtures in conftest.py)."""

from __future__ import annotations

import numpy as np

from mlhad.inference.sbi import Limits
from mlhad.inference.sbi.toy import LinearSimulator, toy_observation

TRUTH = np.array([0.2, -0.1])
LIMITS = Limits(("p0", "p1"), (-1.0, -1.0), (1.0, 1.0))
SIZES = [8, 8, 8, 8, 8, 8]


def make_toy(seed: int = 4) -> LinearSimulator:
    rng = np.random.default_rng(seed)
    m = sum(SIZES)
    # smooth, positive predictions; each observable depends on both parameters, 5-15 % per unit
    # (3-10 data errors), with shapes that differ between the parameters
    u = np.concatenate([np.linspace(-1, 1, n) for n in SIZES])
    m0 = 10.0 + 2.0 * u ** 2
    jac = np.stack([1.0 * (1 + u), 0.8 * (1 - u ** 2)], axis=1) * rng.uniform(0.5, 1.5, (m, 2))
    s = 0.02 * m0
    obs = toy_observation(m0.copy(), s, SIZES)
    return LinearSimulator(obs, m0, jac, np.zeros(2), mc_errors=0.005 * m0, params=("p0", "p1"))
