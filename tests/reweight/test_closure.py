"""Closure: Monash reweighted to theta_1 reproduces a direct Pythia run at theta_1."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from mlhad.observables import charged_final, thrust
from mlhad.reweight import reweighter_from_sample
from mlhad.reweight.diagnostics import weight_diagnostics

pytestmark = pytest.mark.pythia


def observables(sample):
    p = charged_final(sample.read(["particles"]).particles)
    return ak.to_numpy(ak.num(p)).astype(float), 1.0 - thrust(p)


def normalised_histogram(x, edges, w):
    """Bin fractions h_b = sum_{i in b} w_i / sum_i w_i and their delta-method errors.

    Var(h_b) = sum_i w_i^2 (1[i in b] - h_b)^2 / W^2: the multinomial error of a
    normalised weighted histogram (p(1-p)/N for unit weights), not the Poisson sqrt(sumw2)/W.
    """
    total, total2 = w.sum(), np.square(w).sum()
    sumw, _ = np.histogram(x, edges, weights=w)
    sumw2, _ = np.histogram(x, edges, weights=w * w)
    h = sumw / total
    var = (sumw2 * (1 - 2 * h) + h**2 * total2) / total**2
    return h, np.sqrt(var)


def _reference_edges() -> dict[str, np.ndarray]:
    """The binning of the measurements these observables are compared with (ALEPH d18, d03)."""
    from mlhad.yoda import read_reference, scatter_edges

    ref = read_reference("ALEPH_1996_S3486095")
    return {"n_charged": scatter_edges(ref["/REF/ALEPH_1996_S3486095/d18-x01-y01"]),
            "one_minus_thrust": scatter_edges(ref["/REF/ALEPH_1996_S3486095/d03-x01-y01"])}


EDGES = _reference_edges()


@pytest.fixture(scope="module")
def closure(monash, target, target_point):
    rw = reweighter_from_sample(monash, list(target_point))
    w = rw.weights(target_point).numpy()
    base_obs = dict(zip(EDGES, observables(monash)))
    target_obs = dict(zip(EDGES, observables(target)))
    pulls, chi2, ndf = [], 0.0, 0
    for name, edges in EDGES.items():
        h_rw, e_rw = normalised_histogram(base_obs[name], edges, w)
        h_t, e_t = normalised_histogram(target_obs[name], edges, np.ones(len(target_obs[name])))
        counts, _ = np.histogram(target_obs[name], edges)
        keep = counts >= 20  # Gaussian errors
        pull = (h_rw[keep] - h_t[keep]) / np.hypot(e_rw[keep], e_t[keep])
        pulls.append(pull)
        chi2 += float(np.sum(pull**2))
        ndf += int(keep.sum())
    return w, np.concatenate(pulls), chi2, ndf


def test_reweighted_histograms_match_direct_generation(closure):
    w, pulls, chi2, ndf = closure
    diag = weight_diagnostics(w)
    assert 0.2 < diag.n_eff_fraction < 0.9, f"the target should be a real test of the weights: {diag}"
    within = float(np.mean(np.abs(pulls) < 2.0))
    assert within >= 0.95, f"{within:.1%} of {pulls.size} bins within 2 sigma (pulls {np.round(pulls, 2)})"
    # and the whole set is statistically consistent (p-value of the chi2)
    assert stats.chi2.sf(chi2, ndf) > 1e-3, f"chi2/ndf = {chi2:.1f}/{ndf}"


def test_the_reweighting_is_not_trivially_passing(monash, target, closure):
    """Without weights, the same comparison fails: the closure test has power."""
    base_obs = dict(zip(EDGES, observables(monash)))
    target_obs = dict(zip(EDGES, observables(target)))
    h_b, e_b = normalised_histogram(base_obs["n_charged"], EDGES["n_charged"], np.ones(len(base_obs["n_charged"])))
    h_t, e_t = normalised_histogram(target_obs["n_charged"], EDGES["n_charged"], np.ones(len(target_obs["n_charged"])))
    keep = (h_t > 0) & (h_b > 0)
    chi2 = np.sum(((h_b - h_t)[keep] / np.hypot(e_b, e_t)[keep]) ** 2)
    assert stats.chi2.sf(chi2, keep.sum()) < 1e-6


@pytest.mark.parametrize("point", [{"aLund": 0.5}, {"bLund": 1.2}, {"sigma": 0.36}, {"rFactC": 1.0, "rFactB": 1.1}])
def test_mean_weight_is_one(monash, point):
    rw = reweighter_from_sample(monash, list(point))
    diag = weight_diagnostics(rw.weights(point))
    assert abs(diag.one_minus_mu) < 4 * diag.one_minus_mu_error, str(diag)
