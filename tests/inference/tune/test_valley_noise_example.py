"""examples/valley_noise.py: its boundary search lands on the asked n_eff/N, inside the limits."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


class GaussianWeights:
    """n_eff/N = exp(-|t - centre|^2 / 2): the value of log-normal weights with unit score spread per unit step."""

    def __init__(self, centre: np.ndarray) -> None:
        self.centre = centre

    def value_and_grad(self, t: np.ndarray):
        n_eff = float(np.exp(-0.5 * np.sum((t - self.centre) ** 2)))
        return 0.0, np.zeros_like(t), n_eff, np.zeros_like(t)


@pytest.fixture()
def boundary_point():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from valley_noise import boundary_point
    finally:
        sys.path.pop(0)
    return boundary_point


def test_boundary_point_finds_the_asked_effective_sample_size(boundary_point):
    centre = np.array([0.5, 1.0])
    objective = GaussianWeights(centre)
    far = np.array([10.0, 10.0])
    for direction in (np.array([0.3, 0.0]), np.array([-0.2, 0.1]), np.array([0.01, 0.02])):
        t = boundary_point(objective, centre, direction, -far, far, n_eff=0.5)
        assert objective.value_and_grad(t)[2] == pytest.approx(0.5, abs=1e-6)
        assert np.linalg.norm(t - centre) == pytest.approx(np.sqrt(2 * np.log(2)), rel=1e-6)
        step = t - centre
        assert abs(step[0] * direction[1] - step[1] * direction[0]) < 1e-9 and step @ direction > 0   # along it


def test_boundary_point_stops_at_the_limits(boundary_point):
    centre = np.array([0.0, 0.0])
    t = boundary_point(GaussianWeights(centre), centre, np.array([1.0, 0.0]), np.array([-0.5, -1.0]),
                       np.array([0.5, 1.0]), n_eff=0.5)
    assert t[0] == pytest.approx(0.5, abs=1e-6) and t[1] == 0.0
