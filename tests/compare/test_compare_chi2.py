"""The chi2 of a comparison: Professor's formula, weights squared, and its statistics."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.compare import chi2, chi2_terms, symmetric_error
from mlhad.exceptions import HistogramError


def test_known_value():
    # (1.0 - 1.3)^2 / (0.3^2 + 0.4^2) = 0.09 / 0.25 = 0.36; second point exact
    assert chi2(np.array([1.0, 2.0]), np.array([0.3, 0.1]), np.array([1.3, 2.0]), np.array([0.4, 0.0])) == pytest.approx(0.36)


def test_weights_enter_squared_and_zero_weight_removes_a_point():
    d, s, m, e = np.array([1.0, 2.0]), np.array([0.1, 0.1]), np.array([1.1, 2.2]), np.zeros(2)
    base = chi2_terms(d, s, m, e)
    np.testing.assert_allclose(base, [1.0, 4.0])
    np.testing.assert_allclose(chi2_terms(d, s, m, e, np.array([2.0, 0.0])), [4.0, 0.0])


def test_symmetric_error_is_the_mean_of_down_and_up():
    np.testing.assert_allclose(symmetric_error(np.array([0.1, 0.3]), np.array([0.3, 0.3])), [0.2, 0.3])


def test_pulls_of_consistent_data_give_chi2_per_point_of_one():
    """Data drawn around the MC with the quoted errors: chi2/ndf = 1 within 3 sqrt(2/n)."""
    rng = np.random.default_rng(8)
    n = 4000
    mc = rng.uniform(1, 10, n)
    mc_err = 0.02 * mc
    data_err = 0.05 * mc
    data = mc + rng.normal(0, np.hypot(data_err, mc_err))
    value = chi2(data, data_err, mc, mc_err) / n
    assert abs(value - 1.0) < 3 * np.sqrt(2.0 / n)


def test_undefined_points_are_errors_naming_the_histogram():
    with pytest.raises(HistogramError, match="/X/d01-x01-y01: point 1 has zero data and MC error"):
        chi2_terms(np.array([1.0, 2.0]), np.array([0.1, 0.0]), np.array([1.0, 2.0]), np.zeros(2), name="/X/d01-x01-y01")
    with pytest.raises(HistogramError, match="point 0 has a non-finite value"):
        chi2_terms(np.array([1.0]), np.array([0.1]), np.array([np.nan]), np.zeros(1))
    # with weight 0 the point is not used, so it cannot spoil the chi2
    assert chi2_terms(np.array([1.0]), np.array([0.0]), np.array([np.nan]), np.zeros(1), np.zeros(1)).tolist() == [0.0]
