"""Diagnosis closure on the linear toy: an injected gap no parameter can produce is ranked first
and called a gap; a shift one parameter can produce is a tension explained by that parameter;
nothing else is flagged."""

from __future__ import annotations

import numpy as np
import pytest
from diagnose_toy_cases import LIMITS, SIZES, TRUTH, make_toy

from mlhad.inference.diagnose import DiagnoseConfig, diagnose, envelope_pulls, scan_design

CONFIG = DiagnoseConfig(n_design=64, n_replicas=200, seed=3)


def _pseudo(toy, seed=1):
    rng = np.random.default_rng(seed)
    sigma = toy.observation.noise_scale(toy.mc_errors)
    return toy.mean(TRUTH)[0] + rng.normal(size=sigma.size) * sigma, sigma


def test_envelope_of_a_linear_model_is_reached_at_the_corners(toy):
    scan = scan_design(toy, LIMITS, 16, seed=1)
    corners = toy.mean(LIMITS.corners())
    np.testing.assert_allclose(scan.low, corners.min(axis=0))
    np.testing.assert_allclose(scan.high, corners.max(axis=0))
    data = scan.high + 3 * toy.observation.noise_scale(toy.mc_errors)   # 3 sigma above anything reachable
    np.testing.assert_allclose(envelope_pulls(toy.observation, scan, data), 3.0)
    assert np.all(envelope_pulls(toy.observation, scan, 0.5 * (scan.low + scan.high)) == 0)


def _orthogonal_shape(toy, sl):
    """A smooth cubic, in units of the errors, with the parameters' effects on these bins projected out."""
    u = np.linspace(-1, 1, sl.stop - sl.start)
    sigma = toy.observation.noise_scale(toy.mc_errors)[sl]
    shape = 0.5 * (5 * u ** 3 - 3 * u)
    jac = toy.jac[sl] / sigma[:, None]
    shape = shape - jac @ np.linalg.lstsq(jac, shape, rcond=None)[0]
    return shape / np.max(np.abs(shape))


@pytest.fixture(scope="module")
def closure():
    toy = make_toy()
    data, sigma = _pseudo(toy)
    sl = toy.observation.histograms[2].slice
    data[sl] += 8 * sigma[sl] * _orthogonal_shape(toy, sl)   # no combination of the parameters makes it
    sl4 = toy.observation.histograms[4].slice
    shifted = toy.mean(TRUTH + np.array([0.6, 0.0]))[0]   # observable 4 wants p0 higher than the rest
    data[sl4] = shifted[sl4] + (data[sl4] - toy.mean(TRUTH)[0][sl4])
    return toy, diagnose(toy, LIMITS, CONFIG, data=data)


def test_injected_gap_is_ranked_first_and_nothing_unaffected_is_flagged(closure):
    toy, result = closure
    paths = [h.path for h in toy.observation.histograms]
    assert result.ranking[0].path == paths[2] and result.ranking[0].status == "gap"
    assert result.ranking[1].path == paths[4] and result.ranking[1].status == "tension"
    assert {s.path for s in result.flagged} == {paths[2], paths[4]}
    np.testing.assert_allclose(result.fit.theta, TRUTH, atol=0.1)   # the robust fit stays at the truth


def test_candidate_explanations(closure):
    toy, result = closure
    paths = [h.path for h in toy.observation.histograms]
    tension = result.gap_models[paths[4]]
    best = tension.explanations[0]
    # the shift was made by p0 alone: moving p0 by ~ +0.6 closes most of the modelled gap
    assert best.params in (("p0",), ("p0", "p1")) and best.fraction > 0.8
    single = next(e for e in tension.explanations if e.params == ("p0",))
    assert single.fraction > 0.8 and single.shift[0] == pytest.approx(0.6, abs=0.15)
    gap = result.gap_models[paths[2]]
    assert max(e.fraction for e in gap.explanations) < 0.3     # nothing closes a wiggle


def test_classifier_singles_out_the_injected_observables(closure):
    toy, result = closure
    paths = [h.path for h in toy.observation.histograms]
    scores = {s.path: s for s in result.ranking}
    # all observables have 8 bins: the two injected ones separate best, beyond what a correct model gives
    top2 = sorted(scores, key=lambda p: -scores[p].auc)[:2]
    assert set(top2) == {paths[2], paths[4]}
    assert all(scores[p].auc > scores[p].auc_null95 for p in top2)


def test_no_injection_flags_nothing():
    toy = make_toy()
    data, _ = _pseudo(toy, seed=2)
    result = diagnose(toy, LIMITS, CONFIG.__class__(n_design=32, classifier=False), data=data)
    assert result.flagged == []
    assert all(s.n_unreachable == 0 or s.chi2_irreducible < 10 for s in result.ranking)
