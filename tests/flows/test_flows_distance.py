"""Binned targets and the chi2 distance (values, gradient, JSON round trip, bad input)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.exceptions import BinningMismatchError, HistogramError
from mlhad.reweight.flows import BinnedTarget, chi2_distance, load_targets, make_edges, save_targets
from mlhad.reweight.flows.distance import bin_index, weighted_histogram


def test_hand_computed_chi2():
    target = BinnedTarget("t", np.array([0.0, 1.0, 2.0]), np.array([30.0, 10.0]), np.array([30.0, 10.0]))
    sumw, sumw2 = torch.tensor([20.0, 20.0], dtype=torch.float64), torch.tensor([20.0, 20.0], dtype=torch.float64)
    # p = (0.5, 0.5), var_p = 20/1600; q = (0.75, 0.25), var_q = (30, 10)/1600
    expected = 0.25**2 / ((20 + 30) / 1600) + 0.25**2 / ((20 + 10) / 1600)
    assert float(chi2_distance(sumw, sumw2, target)) == pytest.approx(expected)
    assert float(chi2_distance(torch.tensor([30.0, 10.0], dtype=torch.float64),
                               torch.tensor([30.0, 10.0], dtype=torch.float64), target)) == 0.0


def test_gradient_through_weights_matches_finite_differences():
    gen = torch.Generator().manual_seed(0)
    values = torch.rand(200, generator=gen, dtype=torch.float64).numpy()
    edges = np.linspace(0, 1, 6)
    target = BinnedTarget.from_values("t", np.sqrt(values), edges)
    idx = torch.as_tensor(bin_index(values, edges))
    w = torch.rand(200, generator=gen, dtype=torch.float64).requires_grad_(True)

    def f(weights):
        return chi2_distance(*weighted_histogram(idx, weights, 5), target)

    (grad,) = torch.autograd.grad(f(w), w)
    eps = 1e-6
    for i in (0, 17, 123):
        step = torch.zeros_like(w)
        step[i] = eps
        fd = (f(w.detach() + step) - f(w.detach() - step)) / (2 * eps)
        assert float(grad[i]) == pytest.approx(float(fd), rel=1e-5, abs=1e-8)


def test_edges_under_and_overflow():
    v = np.arange(100, dtype=float) % 7
    assert make_edges(v, discrete=True).tolist() == [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    # Only even values (charged pions of a neutral string): no empty odd bins, whose
    # zero chi2 terms would otherwise be counted as degrees of freedom.
    assert make_edges(2 * v, discrete=True).tolist() == [-0.5, 1, 3, 5, 7, 9, 11, 12.5]
    edges = make_edges(np.linspace(0, 1, 1000), discrete=False, n_bins=4)
    assert edges == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    assert bin_index(np.array([-5.0, 0.1, 9.0]), edges).tolist() == [0, 0, 3]  # clipped into end bins


def test_targets_round_trip_and_errors(tmp_path):
    t = BinnedTarget("n_hadrons", np.array([0.0, 1.0, 2.0]), np.array([3.0, 4.0]), np.array([3.0, 5.0]))
    back = load_targets(save_targets({"n_hadrons": t}, tmp_path / "t.json"))["n_hadrons"]
    assert back.edges.tolist() == t.edges.tolist() and back.sumw2.tolist() == [3.0, 5.0]
    with pytest.raises(BinningMismatchError, match=r"3 edges need 2 sumw and sumw2 values, got 3 and 3"):
        BinnedTarget("x", np.array([0.0, 1.0, 2.0]), np.ones(3), np.ones(3))
    with pytest.raises(HistogramError, match="edges must be increasing"):
        BinnedTarget("x", np.array([0.0, 2.0, 1.0]), np.ones(2), np.ones(2))
    (tmp_path / "bad.json").write_text('{"n_hadrons": {"sumw": [1, 2]}}')
    with pytest.raises(HistogramError, match=r"each target needs 'edges' and 'sumw'"):
        load_targets(tmp_path / "bad.json")
