"""The Lund function, its normalisation and maximum against independent references."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import torch

from mlhad.reweight.lund import log_f, log_f_over_max, log_norm, log_norm_and_slope, z_max

T = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731

# (a, B, c) over the physical range: light mesons (mT2 from m_pi^2), strange and diquark
# shifts, charm and bottom Bowler terms (c = 1 + r b m_Q^2).
POINTS = [(0.68, 0.98 * 0.0196, 1.0), (0.68, 0.98 * 0.6, 1.0), (1.65, 0.98 * 1.2, 0.03), (0.3, 0.01, 1.0),
          (0.68, 0.98 * 3.6, 1 + 1.32 * 0.98 * 2.25), (0.68, 0.98 * 28.0, 1 + 0.855 * 0.98 * 23.04),
          (0.0, 0.5, 1.0), (2.0, 2.0, 1.97), (0.9, 0.05, 0.1)]


@pytest.mark.parametrize(("a", "big_b", "c"), POINTS)
def test_normalisation_matches_arbitrary_precision_quadrature(a, big_b, c):
    mp.mp.dps = 30
    a_eff = a if a >= 0.02 else 0.0
    split = min(0.5, max(big_b / max(c, 0.5), 1e-3))
    exact = mp.log(mp.quad(lambda z: (1 - z) ** a_eff * z ** (-c) * mp.exp(-big_b / z), [0, split, 1]))
    assert float(log_norm(T(a), T(big_b), T(c))) == pytest.approx(float(exact), abs=1e-12)


def test_slope_is_the_derivative_in_log_b():
    a, c = T(0.7), T(1.1)
    big_b = T(0.8).requires_grad_(True)
    log_n, slope = log_norm_and_slope(a, big_b, c)
    (grad,) = torch.autograd.grad(log_n, big_b)
    assert float(slope.detach()) == pytest.approx(float((grad * big_b).detach()), rel=1e-10)


@pytest.mark.parametrize(("a", "big_b", "c"), POINTS[:7])
def test_z_max_is_the_maximum(a, big_b, c):
    grid = torch.linspace(1e-6, 1 - 1e-9, 400_001, dtype=torch.float64)
    values = log_f(grid, T(a), T(big_b), T(c))
    brute = float(grid[torch.argmax(values)])
    assert float(z_max(T(a), T(big_b), T(c))) == pytest.approx(brute, abs=5e-5)
    assert float(log_f_over_max(grid, T(a), T(big_b), T(c)).max()) <= 1e-9


def test_density_integrates_to_one():
    a, big_b, c = T(0.68), T(0.5), T(1.0)
    z = torch.linspace(0, 1, 2_000_001, dtype=torch.float64)[1:-1]
    density = torch.exp(log_f(z, a, big_b, c) - log_norm(a, big_b, c))
    assert float(torch.trapezoid(density, z)) == pytest.approx(1.0, abs=1e-5)
