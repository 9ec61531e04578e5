"""NPE in an unbounded reparametrisation of the prior box (the default NPE, ``EstimatorSettings(unbounded=True)``).

The map ``theta -> u`` must be a bijection with the right Jacobian, and a flow built on it
must be a normalised density on the box whose samples never leave it (a briefly
trained flow, integrated on a grid).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import EstimatorSettings, Limits
from mlhad.inference.sbi.estimators import _builder, train_estimator
from mlhad.inference.sbi.posterior import prior_acceptance, sample_posterior
from mlhad.inference.sbi.unbounded import BoxToReals, ConditionalAffine

LOW, HIGH = torch.tensor([0.0, -1.0]), torch.tensor([2.0, 3.0])


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_box_map_is_a_bijection_with_the_autograd_jacobian(link):
    box = BoxToReals(LOW, HIGH, link)
    theta = torch.tensor([[0.3, 2.9], [1.0, 1.0], [1.999, -0.99], [1e-3, 0.5]], dtype=torch.float64).float()
    u, logdet = box(theta)
    back, logdet_inv = box.inverse(u)
    torch.testing.assert_close(back, theta, rtol=0, atol=2e-6)
    torch.testing.assert_close(logdet + logdet_inv, torch.zeros(4), rtol=0, atol=1e-5)
    for i in range(theta.shape[0]):
        jac = torch.autograd.functional.jacobian(lambda t: box(t.unsqueeze(0))[0][0], theta[i])
        torch.testing.assert_close(logdet[i], torch.logdet(jac), rtol=1e-4, atol=1e-4)
    assert torch.all(box.inverse(torch.tensor([[-40.0, 40.0]]))[0] >= LOW)       # far tails stay on the faces
    assert torch.all(box.inverse(torch.tensor([[-40.0, 40.0]]))[0] <= HIGH)


@pytest.fixture(scope="module")
def trained():
    """A briefly trained unbounded NSF on theta uniform in the box, x = theta + N(0, 0.3^2)."""
    limits = Limits(("a", "b"), (0.0, -1.0), (2.0, 3.0))
    rng = np.random.default_rng(2)
    theta = limits.lower + rng.uniform(size=(500, 2)) * limits.width
    x = theta + 0.3 * rng.normal(size=theta.shape)
    settings = EstimatorSettings(unbounded=True, hidden_features=20, num_transforms=2, max_epochs=15,
                                 batch_size=50, learning_rate=5e-3, stop_after_epochs=15)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Maximum number of epochs", category=UserWarning)
        return limits, train_estimator(limits.prior(), theta, x, settings, seed=1)


@pytest.mark.parametrize("x", [[1.0, 1.0], [0.05, 2.9]], ids=["inside", "at-faces"])
def test_unbounded_posterior_is_a_normalised_density_on_the_box(trained, x):
    limits, estimator = trained
    flow = estimator.posterior.posterior_estimator
    condition = torch.tensor([x], dtype=torch.float32)
    with torch.no_grad():
        # midpoint rule on a 400 x 400 grid of the box (cells 40x narrower than the posterior)
        g = [torch.linspace(lo, hi, 401)[:-1] + (hi - lo) / 800 for lo, hi in zip(limits.low, limits.high)]
        grid = torch.stack(torch.meshgrid(*g, indexing="ij"), -1).reshape(-1, 2)
        logq = flow.log_prob(grid.unsqueeze(1), condition).reshape(-1)
    s = torch.as_tensor(sample_posterior(estimator, np.array(x), 4000), dtype=torch.float32)
    assert torch.all(s >= LOW) and torch.all(s <= HIGH)
    integral = float(torch.exp(logq).sum() * np.prod(limits.width) / grid.shape[0])
    # the density in theta carries the Jacobian of u(theta): without it the integral is off by factors >> 1
    assert abs(integral - 1) < 0.02, integral
    # and the samples follow it: posterior mean of the grid density vs the sample mean (4000 samples, sd ~0.3)
    w = torch.exp(logq - logq.max())
    mean = (w[:, None] * grid).sum(0) / w.sum()
    torch.testing.assert_close(s.mean(0), mean, rtol=0, atol=0.03)


def test_unbounded_needs_a_box_prior():
    prior = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))
    with pytest.raises(InferenceError, match=r"an unbounded NPE needs a box prior .*unbounded=False"):
        _builder(EstimatorSettings(unbounded=True), 2, 2, prior)


def test_data_beyond_a_face_give_a_posterior_on_that_face(trained):
    limits, estimator = trained
    # no sample can leave the box, so sampling never stalls (prior_acceptance is 1 by construction);
    # x far beyond the upper faces puts the posterior on them (infer() warns through the chi2 fit)
    assert prior_acceptance(estimator, np.array([8.0, 12.0]), limits.lower, limits.upper) == 1.0
    s = sample_posterior(estimator, np.array([8.0, 12.0]), 2000)
    assert np.all(limits.upper - s.mean(axis=0) < 0.05 * limits.width), s.mean(axis=0)


def test_conditional_affine_is_a_bijection_with_the_autograd_jacobian():
    torch.manual_seed(0)
    layer = ConditionalAffine(2, 3, hidden_features=8)
    torch.nn.init.normal_(layer.net[-1].weight, std=0.5)      # away from the identity it starts as
    v, c = torch.randn(5, 2), torch.randn(5, 3)
    z, logdet = layer(v, context=c)
    back, logdet_inv = layer.inverse(z, context=c)
    torch.testing.assert_close(back, v, rtol=0, atol=1e-5)
    torch.testing.assert_close(logdet + logdet_inv, torch.zeros(5), rtol=0, atol=1e-5)
    for i in range(5):
        jac = torch.autograd.functional.jacobian(lambda t: layer(t.unsqueeze(0), context=c[i:i + 1])[0][0], v[i])
        torch.testing.assert_close(logdet[i], torch.logdet(jac), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="needs the condition"):
        layer(v)


def test_the_default_npe_is_the_unbounded_nsf_and_the_rest_keep_theta():
    default = EstimatorSettings()
    assert default.resolved_model == "nsf" and default.resolved_unbounded
    assert default.resolved_batch_size == 50 and default.resolved_tail_bound == 6.0
    # what is built: one parameter changes the default flows (the report names the built one)
    assert default.model_for(2) == "nsf" and default.model_for(1) == "mdn"
    assert EstimatorSettings(method="nle").model_for(1) == "nsf" and EstimatorSettings(method="nle").model_for(2) == "maf"
    assert EstimatorSettings(model="maf").model_for(1) == "maf"      # an explicit choice is kept
    old = EstimatorSettings(unbounded=False)         # the NSF on theta of earlier versions
    assert not old.resolved_unbounded and old.resolved_batch_size == 200 and old.resolved_tail_bound == 3.0
    for other in (EstimatorSettings(model="mdn"), EstimatorSettings(model="maf"), EstimatorSettings(method="nle"),
                  EstimatorSettings(method="nre")):
        assert not other.resolved_unbounded, other
    with pytest.raises(InferenceError, match="tail_bound must be a positive number"):
        EstimatorSettings(tail_bound=0)
    with pytest.raises(InferenceError, match="conditional_affine=True acts on the unbounded NPE"):
        EstimatorSettings(unbounded=False, conditional_affine=True)
