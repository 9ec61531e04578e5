"""Calibration statistics on posteriors whose answer is known (conjugate Gaussian).

Prior theta ~ N(0, 1), data x ~ N(theta, s^2): the exact posterior is
N(x / (1 + s^2), s^2 / (1 + s^2)). Exact posterior samples must pass the tests; an
over-confident (too narrow) or biased posterior must fail them -- otherwise the tests
could not detect a miscalibrated network.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import central_coverage, hpd_coverage, rank_uniformity, sbc_ranks
from mlhad.inference.sbi.calibration import binomial_band

N, L, S = 400, 200, 0.5


def _experiments(seed: int, width_factor: float = 1.0, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(N, 2))
    x = theta + S * rng.normal(size=(N, 2))
    var = S**2 / (1 + S**2)
    mean = x / (1 + S**2) + shift * np.sqrt(var)
    sd = np.sqrt(var) * width_factor
    samples = mean[None] + sd * rng.normal(size=(L, N, 2))
    # log density of the claimed posterior (sum over the two independent parameters)
    logq = lambda t: -0.5 * (((t - mean) / sd) ** 2).sum(-1)  # noqa: E731
    return theta, samples, logq(theta), logq(samples)


def test_ranks_count_samples_below_the_truth():
    theta = np.array([[0.0, 1.0]])
    samples = np.array([[[-1.0, 2.0]], [[1.0, 0.0]], [[-0.5, 0.5]]])
    np.testing.assert_array_equal(sbc_ranks(theta, samples), [[2, 2]])


def test_exact_posterior_is_calibrated():
    theta, samples, lt, ls = _experiments(1)
    ranks = sbc_ranks(theta, samples)
    test = rank_uniformity(ranks, L)
    # seeded: a calibrated posterior gives p-values uniform in (0, 1); 1e-3 leaves room
    assert np.all(test.ks_pvalue > 1e-3) and np.all(test.chi2_pvalue > 1e-3), test
    central = central_coverage(theta, samples)
    hpd = hpd_coverage(lt, ls)
    # 19 correlated levels: 3.5 binomial sigma bounds the largest deviation of a calibrated curve
    assert central.max_deviation() < 3.5
    assert hpd.max_deviation() < 3.5
    np.testing.assert_allclose(central.at(0.9), 0.9, atol=3 * np.sqrt(0.09 / N))


def test_overconfident_posterior_is_detected():
    theta, samples, lt, ls = _experiments(1, width_factor=0.6)
    test = rank_uniformity(sbc_ranks(theta, samples), L)
    assert np.all(test.ks_pvalue < 1e-4)
    central = central_coverage(theta, samples)
    assert np.all(central.at(0.9) < 0.8)          # a 0.6x too narrow interval covers ~71 %
    assert hpd_coverage(lt, ls).max_deviation() > 5


def test_underconfident_and_biased_posteriors_are_detected():
    _, _, _, _ = _experiments(2)
    theta, samples, _, _ = _experiments(2, width_factor=1.6)
    assert np.all(central_coverage(theta, samples).at(0.5) > 0.65)   # 1.6x too wide: ~75 %
    theta, samples, _, _ = _experiments(2, shift=0.8)
    test = rank_uniformity(sbc_ranks(theta, samples), L)
    assert np.all(test.ks_pvalue < 1e-4)


def test_binomial_band_contains_nominal():
    lo, hi = binomial_band(np.array([0.1, 0.5, 0.9]), 100)
    np.testing.assert_allclose(hi - lo, 4 * np.sqrt(np.array([0.09, 0.25, 0.09]) / 100))


def test_bad_shapes_and_ranks():
    with pytest.raises(InferenceError, match=r"expected theta \(N, d\) and samples \(L, N, d\)"):
        sbc_ranks(np.zeros((3, 2)), np.zeros((10, 4, 2)))
    with pytest.raises(InferenceError, match=r"ranks must lie in \[0, 10\]"):
        rank_uniformity(np.array([[11], [3]]), 10)
