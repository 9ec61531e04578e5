"""The statistical model, the fit and the compression against the linear-Gaussian toy's exact answers."""

from __future__ import annotations

import numpy as np
import pytest
from sbi_toy_cases import TOY_HIGH, TOY_LOW, TOY_TRUTH, make_toy

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import Limits, ScoreSummary, fit_chi2, pseudo_observations
from mlhad.inference.sbi.toy import analytic_posterior

LIMITS = Limits(("p0", "p1"), TOY_LOW, TOY_HIGH)


def test_pseudo_observation_noise_is_data_plus_mc_error(toy):
    out = toy.predict(np.repeat(TOY_TRUTH[None], 20_000, axis=0))
    x = pseudo_observations(out, toy.observation, np.random.default_rng(1))
    expected = np.sqrt(toy.observation.errors**2 + 0.05**2)
    # sample std of 20000 Gaussian draws: relative error 1/sqrt(2 * 20000) = 0.5 %, 4 sigma = 2 %
    np.testing.assert_allclose(x.std(axis=0, ddof=1), expected, rtol=0.02)
    assert np.all(np.abs(x.mean(axis=0) - out.values[0]) < 4 * expected / np.sqrt(20_000))
    x_fresh = pseudo_observations(out, toy.observation, np.random.default_rng(1), include_mc_error=False)
    np.testing.assert_allclose(x_fresh.std(axis=0, ddof=1), toy.observation.errors, rtol=0.02)


def test_weights_scale_the_noise_as_the_chi2():
    toy = make_toy()
    obs = toy.observation
    doubled = type(obs)(obs.histograms, obs.values, obs.errors, np.full(obs.n_points, 2.0), obs.xlow, obs.xhigh)
    np.testing.assert_allclose(doubled.noise_scale(np.zeros(obs.n_points)), obs.errors / 2)


def test_fit_is_the_weighted_least_squares_solution(toy):
    data = toy.mean(TOY_TRUTH)[0] + np.random.default_rng(2).normal(size=toy.observation.n_points) * 0.2
    fit = fit_chi2(toy, toy.observation.with_values(data), LIMITS)
    mean, cov = analytic_posterior(toy, data)
    np.testing.assert_allclose(fit.theta, mean, atol=1e-6)
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-5)
    resid = (data - toy.mean(fit.theta)[0]) / toy.observation.noise_scale(toy.mc_errors)
    assert fit.chi2 == pytest.approx(float(resid @ resid), rel=1e-9)
    assert fit.ndf == toy.observation.n_points - 2 and not fit.at_limit.any()


def test_robust_fit_ignores_an_outlier_the_chi2_fit_follows(toy):
    data = toy.mean(TOY_TRUTH)[0].copy()
    data[5] += 100 * toy.observation.errors[5]          # one point no parameter can explain
    plain = fit_chi2(toy, toy.observation.with_values(data), LIMITS)
    robust = fit_chi2(toy, toy.observation.with_values(data), LIMITS, loss="soft_l1", f_scale=2.0)
    err = np.sqrt(np.diag(plain.covariance))
    assert np.max(np.abs(plain.theta - TOY_TRUTH) / err) > 3      # dragged by the outlier
    assert np.max(np.abs(robust.theta - TOY_TRUTH) / err) < 1     # pseudo-Huber: bounded influence


def test_fit_respects_the_box(toy):
    data = toy.mean(np.array([5.0, 0.0]))[0]             # best point far outside the box
    fit = fit_chi2(toy, toy.observation.with_values(data), LIMITS)
    assert fit.at_limit[0] and fit.theta[0] == pytest.approx(2.0)


def test_score_summary_is_the_linearised_mle(toy):
    summary = ScoreSummary.fit(toy, toy.observation, LIMITS, np.array([0.1, 0.1]))
    # for a linear model the compressed noiseless prediction is the parameter point itself
    for point in ([0.3, -0.2], [-1.5, 1.0]):
        np.testing.assert_allclose(summary(toy.mean(np.array(point)))[0], point, atol=1e-9)
    data = toy.mean(TOY_TRUTH)[0] + 0.1
    np.testing.assert_allclose(summary(data)[0], analytic_posterior(toy, data)[0], atol=1e-9)
    _, cov = analytic_posterior(toy, data)
    np.testing.assert_allclose(summary.cramer_rao, np.sqrt(np.diag(cov)), rtol=1e-9)


def test_score_summary_refuses_an_unconstrained_parameter(toy):
    toy.jac[:, 1] = 0.0                                   # no point depends on p1
    with pytest.raises(InferenceError, match=r"do not constrain \['p1'\]"):
        ScoreSummary.fit(toy, toy.observation, LIMITS, np.zeros(2))
