"""Uncertainty tools on textbook cases: known quadratics, Fisher information of repeated measurements."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.inference.tune import correlation, covariance_from_hessian, fisher_limit, quadratic_fit, scan_1d


def test_covariance_is_twice_the_inverse_hessian():
    # chi2 = (x/sx)^2 + (y/sy)^2 with correlation: cov given, H = 2 cov^-1
    cov = np.array([[0.04, 0.018], [0.018, 0.09]])
    got, warnings = covariance_from_hessian(2 * np.linalg.inv(cov))
    np.testing.assert_allclose(got, cov, rtol=1e-12)
    assert warnings == []
    np.testing.assert_allclose(correlation(got)[0, 1], 0.018 / (0.2 * 0.3), rtol=1e-12)


def test_flat_direction_gives_nan_and_a_warning():
    got, warnings = covariance_from_hessian(np.diag([2.0, 0.0]))
    assert got[0, 0] == pytest.approx(1.0)
    assert np.isnan(got[1, 1])
    assert "not positive definite" in warnings[0]


def test_fisher_limit_of_repeated_measurements():
    """n points measuring a*x + b with error s: the least-squares covariance s^2 (X^T X)^-1."""
    x = np.linspace(0, 1, 11)
    jac = np.stack([x, np.ones_like(x)], axis=1)
    s = np.full(11, 0.1)
    np.testing.assert_allclose(fisher_limit(jac, s), 0.01 * np.linalg.inv(jac.T @ jac), rtol=1e-12)
    # doubling the errors doubles the limit (scales the variance by 4), a weight of 2 halves it
    np.testing.assert_allclose(fisher_limit(jac, 2 * s), 4 * fisher_limit(jac, s), rtol=1e-12)
    np.testing.assert_allclose(fisher_limit(jac, s, np.full(11, 2.0)), fisher_limit(jac, s) / 4, rtol=1e-12)


def test_quadratic_fit_recovers_a_quadratic():
    rng = np.random.default_rng(3)
    h = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    x0 = np.array([0.3, -0.2, 0.1])
    pts = rng.uniform(-1, 1, (30, 3))
    vals = 7.0 + 0.5 * np.einsum("ni,ij,nj->n", pts - x0, h, pts - x0)
    xmin, hess, fmin = quadratic_fit(pts, vals)
    np.testing.assert_allclose(hess, h, atol=1e-9)
    np.testing.assert_allclose(xmin, x0, atol=1e-9)
    assert fmin == pytest.approx(7.0, abs=1e-9)
    with pytest.raises(ValueError, match="needs at least 10 samples, got 5"):
        quadratic_fit(pts[:5], vals[:5])


def test_scan_follows_the_parabola_of_a_quadratic():
    h = np.array([[8.0, 2.0], [2.0, 2.0]])

    def f(t):
        return float(0.5 * t @ h @ t), None

    cov, _ = covariance_from_hessian(h)
    scans = scan_1d(f, np.zeros(2), ["a", "b"], h, cov, np.array([-5.0, -5.0]), np.array([5.0, 5.0]), n_points=7)
    for i, s in enumerate(scans):
        np.testing.assert_allclose(s.delta_chi2, 0.5 * h[i, i] * s.values**2, rtol=1e-12, atol=1e-12)
        assert s.conditional_sigma == pytest.approx(np.sqrt(2 / h[i, i]))
        assert s.sigma == pytest.approx(np.sqrt(cov[i, i]))
        assert s.n_eff is None
