"""Differentiable predictions equal the numpy analysis chain, and have usable gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.analysis import analysis_contributions, predict
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.predict import ReweightedPredictor

pytestmark = pytest.mark.pythia


@pytest.fixture(scope="module")
def predictor(trials_sample):
    contributions = analysis_contributions(trials_sample, progress=False)
    rw = reweighter_from_sample(trials_sample, ["aLund", "bLund", "sigma"])
    return ReweightedPredictor(rw, contributions), contributions, rw


def test_matches_the_numpy_analysis(predictor):
    pr, contributions, rw = predictor
    point = {"aLund": 0.6, "bLund": 1.05, "sigma": 0.32}
    ours = pr.predict(point)
    reference = predict(contributions, rw.weights(point).detach().numpy())
    assert len(ours) >= 40  # every non-profile ALEPH histogram
    for path, pred in ours.items():
        values, errors = reference[path].at_reference(0)
        np.testing.assert_allclose(pred.values.detach().numpy(), values, rtol=1e-12, atol=0, err_msg=path)
        scale = np.nanmax(np.abs(errors)) if np.any(errors) else 1.0
        np.testing.assert_allclose(pred.errors.detach().numpy(), errors, rtol=1e-10, atol=1e-12 * scale, err_msg=path)


def test_base_point_is_the_unweighted_prediction(predictor):
    pr, contributions, _ = predictor
    ours = pr.predict(None)
    reference = predict(contributions)
    for path, pred in ours.items():
        np.testing.assert_allclose(pred.values.detach().numpy(), reference[path].at_reference(0)[0], rtol=1e-13)


def test_gradients_of_predicted_bins(predictor):
    pr, _, _ = predictor
    path = "/ALEPH_1996_S3486095/d18-x01-y01"  # charged multiplicity distribution

    def mean_bin(t):
        return pr.predict(t)[path].values[5:15]

    theta = torch.tensor([0.62, 1.0, 0.33], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(mean_bin, (theta,), eps=1e-6, atol=1e-7, rtol=1e-4)
