"""The single-break weights are proper density ratios: E_sim[e^g | c] = 1, exactly enough.

No Pythia needed: breaks are drawn here from the Lund density by inverting its CDF on a
fine grid (a different numerical method from the trapezoid quadrature under test).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.reweight import FragmentationBase, break_log_ratio
from mlhad.reweight.breaks import break_classes, class_shapes
from mlhad.reweight.homer import BreakTable, BreakWeightConfig, BreakWeightNet, NormalisationGrid, prepare_breaks
from mlhad.reweight.homer.breakweight import feature_moments
from mlhad.reweight.homer.step2 import break_log_weights
from mlhad.reweight.lund import log_f

MONASH = FragmentationBase(aLund=0.68, bLund=0.98, rFactC=1.32, rFactB=0.855, sigma=0.335, aExtraSQuark=0.0,
                           aExtraDiquark=0.97, useOldAExtra=True, mc=1.5, mb=4.8)
# (flav_old, flav_new): light, strange new, diquark old, charm end
PAIRS = [(2, -1), (2, -3), (2101, -1), (4, -2)]
M2_VALUES = {(2, -1): [0.02, 0.08, 0.3, 1.1], (2, -3): [0.3, 0.6, 1.2], (2101, -1): [1.0, 2.0, 4.0],
             (4, -2): [3.6, 4.5, 5.5]}


def _draw_lund(rng: np.random.Generator, flav: tuple[int, int], m2: float, n: int) -> np.ndarray:
    """n values of z from Pythia's Lund density at MONASH by inverse CDF on a fine grid."""
    _, bits = break_classes(np.array([flav[0]]), np.array([flav[1]]))
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    a, c = class_shapes(bits, MONASH, t(MONASH.aLund), t(MONASH.bLund), t(MONASH.rFactC), t(MONASH.rFactB))
    z = np.linspace(1e-6, 1 - 1e-6, 400_001)
    logp = log_f(t(z), a[0], t(MONASH.bLund * m2), c[0]).numpy()
    cdf = np.cumsum(np.exp(logp - logp.max()))
    return np.interp(rng.uniform(size=n), cdf / cdf[-1], z)


def _synthetic_table(seed: int, n_per_cell: int) -> BreakTable:
    rng = np.random.default_rng(seed)
    z, m2, fo, fn = [], [], [], []
    for flav, values in M2_VALUES.items():
        for value in values:
            z.append(_draw_lund(rng, flav, value, n_per_cell))
            m2.append(np.full(n_per_cell, value))
            fo.append(np.full(n_per_cell, flav[0]))
            fn.append(np.full(n_per_cell, flav[1]))
    n = n_per_cell * sum(len(v) for v in M2_VALUES.values())
    return BreakTable(z=np.concatenate(z), m2=np.concatenate(m2), flav_old=np.concatenate(fo).astype(np.int32),
                      flav_new=np.concatenate(fn).astype(np.int32), from_pos=rng.uniform(size=n) < 0.5,
                      accepted=np.ones(n, bool), counts=np.array([n]))


def test_quadrature_reproduces_the_exact_lund_normalisation():
    """h = unnormalised Lund log ratio to theta_1: the normalised g must be the exact ratio.

    Tolerance: the trapezoid in logit(z) converges exponentially (node error ~1e-7 at 32
    nodes); the cubic interpolation in log mT^2 at spacing 0.2 leaves ~4e-5 rms and
    5e-4 at worst (measured on LEP1 breaks), so 1e-3 max / 2e-4 rms has margin.
    """
    table = _synthetic_table(1, 300)
    rng = np.random.default_rng(2)
    table = BreakTable(z=table.z, m2=table.m2 * np.exp(rng.uniform(-0.3, 0.3, table.n_breaks)),  # off the nodes
                       flav_old=table.flav_old, flav_new=table.flav_new, from_pos=table.from_pos,
                       accepted=table.accepted, counts=table.counts)
    point = {"StringZ:aLund": 0.5, "StringZ:bLund": 1.3}
    index, bits = break_classes(table.flav_old, table.flav_new)
    log_m2 = np.log(table.m2)
    lo = np.array([log_m2[index == k].min() for k in range(len(bits))])
    hi = np.array([log_m2[index == k].max() for k in range(len(bits))])
    grid = NormalisationGrid.build(MONASH, bits, lo, hi)
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    a0, c0 = class_shapes(bits, MONASH, t(0.68), t(0.98), t(1.32), t(0.855))
    a1, c1 = class_shapes(bits, MONASH, t(0.5), t(1.3), t(1.32), t(0.855))

    def h(z: torch.Tensor, m2: torch.Tensor, k: np.ndarray) -> torch.Tensor:
        return log_f(z, a1[k], 1.3 * m2, c1[k]) - log_f(z, a0[k], 0.98 * m2, c0[k])

    k_nodes = grid.node_class
    log_norm = grid.integrate(h(torch.sigmoid(t(grid.t)), torch.exp(t(grid.log_m2))[:, None], k_nodes[:, None]))
    node, weight = grid.locate(index, log_m2)
    g = h(t(table.z), t(table.m2), index).numpy() - (log_norm.numpy()[node] * weight).sum(axis=1)
    exact = break_log_ratio(table.z, table.m2, table.flav_old, table.flav_new, MONASH, point)
    assert np.max(np.abs(g - exact)) < 1e-3
    assert np.sqrt(np.mean((g - exact) ** 2)) < 2e-4


def test_interpolation_is_exact_for_quadratics():
    bits = np.zeros((2, 6), bool)
    bits[1, 0] = True
    grid = NormalisationGrid.build(MONASH, bits, np.array([-3.0, 0.1]), np.array([1.0, 0.9]))
    x = np.r_[np.linspace(-3.0, 1.0, 57), np.linspace(0.1, 0.9, 13)]
    k = np.r_[np.zeros(57, int), np.ones(13, int)]
    node, weight = grid.locate(k, x)
    for f in (lambda v: 1.0 + 0 * v, lambda v: 2 * v - 1, lambda v: v**2 - 0.3 * v):
        assert np.allclose((f(grid.log_m2)[node] * weight).sum(axis=1), f(x), atol=1e-12)


def test_random_network_is_normalised_on_simulated_breaks():
    """Monte Carlo check: mean of e^g over breaks drawn from the simulated density is 1.

    A network with random (non-zero) output layer gives |g| ~ 0.5; per (class, mT^2)
    cell of 4000 breaks the mean of e^g must be 1 within 4 standard errors (a 1-in-16000
    fluctuation per cell, 13 cells), and the quadrature error (< 1e-3) is far below
    the standard error (~0.01).
    """
    table = _synthetic_table(3, 4000)
    torch.manual_seed(5)
    model = BreakWeightNet(BreakWeightConfig(hidden=(32, 32)), *feature_moments(table), MONASH)
    with torch.no_grad():
        last = model.net[-1]
        last.weight.normal_(0.0, 1.0)
        last.bias.fill_(0.7)  # a constant offset must be removed by the normalisation too
    g = break_log_weights(model, prepare_breaks(table, model))
    assert 0.2 < np.std(g) < 2.0, "the test network must be far from the identity"
    cells = np.unique(np.stack([table.flav_old, table.flav_new, table.m2]), axis=1).T
    for fo, fn, m2 in cells:
        sel = (table.flav_old == fo) & (table.flav_new == fn) & (table.m2 == m2)
        w = np.exp(g[sel])
        err = w.std() / np.sqrt(w.size)
        assert abs(w.mean() - 1.0) < 4 * err, f"class ({fo}, {fn}) mT2 {m2}: mean e^g {w.mean():.4f} +- {err:.4f}"


@pytest.mark.parametrize("use_side", [True, False])
def test_untrained_model_gives_unit_weights(use_side):
    """The output layer starts at zero: every weight is exactly 1 before training."""
    table = _synthetic_table(4, 50)
    model = BreakWeightNet(BreakWeightConfig(use_side=use_side), *feature_moments(table), MONASH)
    g = break_log_weights(model, prepare_breaks(table, model))
    assert np.max(np.abs(g)) < 1e-6
