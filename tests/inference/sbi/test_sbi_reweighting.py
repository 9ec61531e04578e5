"""The reweighting simulator on a real Pythia sample: exact against the single-point tools, and its n_eff guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.analysis import predict
from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import BatchedPredictor, BatchedWeights, ReweightingSimulator, parse_limits
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.predict import ReweightedPredictor

pytestmark = pytest.mark.pythia

POINTS = np.array([[0.62, 0.95, 1.2, 0.8, 0.33], [0.72, 1.05, 1.4, 0.9, 0.34], [0.66, 0.99, 1.3, 0.85, 0.32]])


@pytest.fixture(scope="module")
def rw(small_base):
    sample = small_base[0]
    return reweighter_from_sample(sample, ["aLund", "bLund", "rFactC", "rFactB", "sigma"])


def test_batched_weights_equal_the_single_point_reweighter(rw):
    batched = BatchedWeights(rw).log_weights(POINTS)
    for k, point in enumerate(POINTS):
        single = rw.log_weights(torch.tensor(point)).numpy()
        # the same formula summed in another order: agreement to rounding of |log w| ~ 10
        np.testing.assert_allclose(batched[k], single, rtol=0, atol=1e-9)


def test_batched_predictions_equal_the_analysis_chain(small_base, rw):
    _, _, _, contributions = small_base
    c = contributions["ALEPH_1996_S3486095"]
    bp = BatchedPredictor(c)
    w = BatchedWeights(rw).weights(POINTS)
    values, errors = bp.predict(w)
    numpy_pred = predict(c, np.ascontiguousarray(w.T))
    torch_pred = ReweightedPredictor(rw, c).predict(weights=torch.from_numpy(w[1]))
    for b in bp.blocks:
        for k in range(len(POINTS)):
            v, e = numpy_pred[b.path].at_reference(k)
            np.testing.assert_allclose(values[k, b.start:b.stop], v, rtol=1e-10, atol=1e-300, err_msg=b.path)
            np.testing.assert_allclose(errors[k, b.start:b.stop], e, rtol=1e-8, atol=1e-14 * max(np.max(e), 1e-300),
                                       err_msg=b.path)
        np.testing.assert_allclose(values[1, b.start:b.stop], torch_pred[b.path].values.numpy(), rtol=1e-10)


def test_simulator_at_the_base_is_the_unweighted_prediction(small_base):
    sample, obs, _, contributions = small_base
    sim = ReweightingSimulator(sample, obs, contributions, ["aLund", "sigma"])
    out = sim.predict(sim.base_point[None, :])
    ref = predict(contributions["ALEPH_1996_S3486095"])
    for h in obs.histograms:
        np.testing.assert_allclose(out.values[0, h.slice], ref[h.path].at_reference()[0][h.points], rtol=1e-12)
    assert out.n_eff_fraction[0] == pytest.approx(1.0) and out.covered[0]


def test_points_outside_the_coverage_are_refused_or_flagged(small_base):
    sample, obs, _, contributions = small_base
    far = np.array([[1.8, 0.33]])                                  # aLund = 1.8 from Monash's 0.68
    nan_sim = ReweightingSimulator(sample, obs, contributions, ["aLund", "sigma"])
    out = nan_sim.predict(far)
    assert not out.covered[0] and np.all(np.isnan(out.values[0])) and out.n_eff_fraction[0] < 0.1
    flag_sim = ReweightingSimulator(sample, obs, contributions, ["aLund", "sigma"], on_uncovered="flag")
    assert np.all(np.isfinite(flag_sim.predict(far).values[0]))
    strict = ReweightingSimulator(sample, obs, contributions, ["aLund", "sigma"], on_uncovered="raise")
    with pytest.raises(InferenceError, match=r"1 of 1 points lie outside the coverage of .*n_eff/N = 0\.0"):
        strict.predict(far)


def test_prior_box_outside_the_coverage_gets_a_clear_message_and_a_suggestion(small_base):
    sample, obs, _, contributions = small_base
    # sigma alone: its weights need no Lund normalisation, so the bisection's ~20 points cost little
    sim = ReweightingSimulator(sample, obs, contributions, ["sigma"])
    wide = parse_limits("sigma=0.2:0.6")
    with pytest.raises(InferenceError, match=r"the prior box reaches outside what .* can describe by reweighting.*"
                                             r"corners are not covered.*use limits the sample covers"):
        sim.require_covered(wide)
    suggested = sim.suggest_limits(wide)
    assert suggested is not None and sim.check_limits(suggested).ok
    assert np.all(suggested.lower <= sim.base_point) and np.all(suggested.upper >= sim.base_point)
    assert np.all(suggested.width < wide.width)


def test_parameters_reweighting_cannot_vary(small_base):
    sample, obs, _, contributions = small_base
    with pytest.raises(InferenceError, match=r"cannot infer .*StringFlav:probStoUD.* by reweighting.*"
                                             r"simulator='pythia'"):
        ReweightingSimulator(sample, obs, contributions, ["StringFlav:probStoUD"])
