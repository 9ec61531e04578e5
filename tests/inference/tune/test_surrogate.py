"""Professor-style polynomial surrogates: exact on polynomials, gradients, anchors, the toy tune."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import TuneError
from mlhad.inference.tune import PolynomialSurrogate, SurrogateSettings, fit_surrogate
from mlhad.inference.tune.surrogate import anchor_points, monomials, n_coefficients


def test_coefficient_counts():
    assert n_coefficients(2, 3) == len(monomials(2, 3)) == 10
    assert n_coefficients(3, 3) == len(monomials(3, 3)) == 20


def test_cubic_is_reproduced_exactly_with_gradient():
    rng = np.random.default_rng(5)
    u = rng.uniform(0, 1, (40, 3))

    def f(x):
        return np.stack([1 + x[:, 0] ** 3 - 2 * x[:, 0] * x[:, 1] * x[:, 2], 0.5 * x[:, 1] ** 2 + x[:, 2]], axis=1)

    s = PolynomialSurrogate.fit(u, f(u), np.full((40, 2), 0.01), order=3)
    x = np.array([0.2, 0.7, 0.4])
    np.testing.assert_allclose(s(x), f(x[None])[0], atol=1e-10)
    num = np.stack([(s(x + h) - s(x - h)) / 2e-6 for h in np.eye(3) * 1e-6])
    np.testing.assert_allclose(s.gradient(x), num, atol=1e-6)
    assert np.all(s.residual_rms < 1e-6)


def test_too_few_runs_for_the_order():
    with pytest.raises(TuneError, match="order-3 polynomial in 3 parameters has 20 coefficients but only 12 runs"):
        PolynomialSurrogate.fit(np.zeros((12, 3)), np.zeros((12, 1)), np.ones((12, 1)), order=3)


def test_surrogate_tune_recovers_the_toy_truth(toy_problem):
    truth = {"toy:mu": 0.2, "toy:width": 1.1, "toy:rate": 6.5}
    sim, target, space = toy_problem(truth, seed=21)
    res = fit_surrogate(sim, target, space, SurrogateSettings(order=3, n_events=40_000, seed=3, scan_points=0),
                        log=lambda s: None)
    assert anchor_points(space, 5, 3)[0] == pytest.approx(space.to_unit(space.start))
    assert res.n_runs == 41 and res.n_events == 41 * 40_000          # 2 x 20 anchors + the validation run
    pulls = (res.best - np.array(list(truth.values()))) / res.errors
    # 3 parameters, fixed seeds: |pull| < 3 fails for a correct method with probability ~1% (2 sigma: 14%)
    assert np.all(np.abs(pulls) < 3), f"pulls {pulls}, best {res.best}, errors {res.errors}"
    # the validation run at the minimum agrees with the surrogate within its MC noise (chi2 per point ~ 1)
    assert res.extra["chi2_validation_run"] / res.ndf < 2.0
