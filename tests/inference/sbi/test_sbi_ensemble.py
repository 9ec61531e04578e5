"""Ensembles of NPE estimators (``EstimatorSettings(ensemble=K)``): the mixture posterior.

Two small MDNs on a 1D Gaussian problem (theta uniform, x = theta + N(0, 0.2^2)): the
ensemble's density must be the equal-weight mixture of its members', its samples must
come from every member in random order, and its posterior the known one to training
precision.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import EstimatorSettings, Limits
from mlhad.inference.sbi.estimators import train_estimator
from mlhad.inference.sbi.posterior import log_densities, posterior_map, prior_acceptance, sample_posterior

LIMITS = Limits(("p",), (-2.0,), (2.0,))
SIGMA = 0.2


@pytest.fixture(scope="module")
def ensemble():
    rng = np.random.default_rng(4)
    theta = rng.uniform(-2.0, 2.0, size=(500, 1))
    x = theta + SIGMA * rng.normal(size=theta.shape)
    settings = EstimatorSettings(model="mdn", hidden_features=16, batch_size=100, learning_rate=5e-3, max_epochs=300,
                                 stop_after_epochs=5, ensemble=2)
    return train_estimator(LIMITS.prior(), theta, x, settings, seed=3)


def test_ensemble_density_is_the_mixture_of_its_members(ensemble):
    post = ensemble.posterior
    assert len(post.posteriors) == 2 and len(ensemble.member_epochs) == 2
    theta = np.linspace(-0.5, 0.5, 7).reshape(7, 1, 1) * np.ones((1, 2, 1))
    x = np.array([[0.0], [0.3]])
    mixed = log_densities(ensemble, theta, x)
    th = torch.as_tensor(theta, dtype=torch.float32)
    xs = torch.as_tensor(x, dtype=torch.float32)
    members = np.stack([p.log_prob_batched(th, x=xs, norm_posterior=False).numpy() for p in post.posteriors])
    np.testing.assert_allclose(mixed, np.logaddexp(members[0], members[1]) - np.log(2), rtol=1e-5, atol=1e-5)
    # the members differ (independent initialisation and split): the mixture is not one of them
    assert np.max(np.abs(members[0] - members[1])) > 1e-3


def test_ensemble_samples_are_shuffled_and_give_the_known_posterior(ensemble):
    s = sample_posterior(ensemble, np.array([0.3]), 4000, seed=1)
    assert s.shape == (4000, 1)
    # grouped by member (sbi's order) the two halves would differ by the members' offsets
    assert abs(s[:2000].mean() - s[2000:].mean()) < 4 * SIGMA / np.sqrt(1000)
    assert abs(s.mean() - 0.3) < 0.05 and abs(s.std() / SIGMA - 1) < 0.25, (s.mean(), s.std())
    assert abs(posterior_map(ensemble, np.array([0.3]))[0] - 0.3) < 0.05
    assert prior_acceptance(ensemble, np.array([0.3]), LIMITS.lower, LIMITS.upper) > 0.99


def test_ensembles_of_mcmc_estimators_are_refused():
    with pytest.raises(InferenceError, match=r"ensemble of 3 NLE estimators would sample every member by MCMC"):
        EstimatorSettings(method="nle", ensemble=3)
    with pytest.raises(InferenceError, match=r"ensemble must be a positive integer"):
        EstimatorSettings(ensemble=0)
