"""The event-weight model: identities, gradients, exactness against Pythia's own weights."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import torch

from mlhad.exceptions import CoverageWarning, ReweightError
from mlhad.reweight import FragmentationBase, break_log_ratio, reweighter_from_sample
from mlhad.reweight.diagnostics import check_coverage, weight_diagnostics
from mlhad.reweight.parameters import canonical_name, parse_point
from mlhad.reweight.trials import trial_log_weights

pytestmark = pytest.mark.pythia
flat = lambda x: ak.to_numpy(ak.flatten(x))  # noqa: E731


@pytest.fixture(scope="module")
def small(trials_sample):
    return reweighter_from_sample(trials_sample)


def test_weights_are_exactly_one_at_the_base(small):
    w = small.weights(small.base.point())
    assert torch.equal(w, torch.ones_like(w))


def test_gradients_match_finite_differences(small):
    names = small.params
    theta = torch.tensor([0.6, 0.9, 1.2, 0.9, 0.31], dtype=torch.float64, requires_grad=True)
    assert names == ["StringZ:aLund", "StringZ:bLund", "StringZ:rFactC", "StringZ:rFactB", "StringPT:sigma"]
    assert torch.autograd.gradcheck(lambda t: small.log_weights(t)[:60], (theta,), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_tabulated_normalisation_matches_per_break_quadrature(trials_sample, small):
    ev = trials_sample.read(["breaks"])
    b = ev.breaks
    base = FragmentationBase.from_metadata(trials_sample.metadata)
    point = {"aLund": 0.5, "bLund": 0.8, "rFactC": 1.0, "rFactB": 1.1}
    per_break = break_log_ratio(flat(b.z), flat(b.mT2), flat(b.flav_old), flat(b.flav_new), base, point)
    per_event = np.zeros(len(ev))
    np.add.at(per_event, np.repeat(np.arange(len(ev)), ak.to_numpy(ak.num(b))), per_break)
    tabulated = small.log_weights(point).numpy()
    # cubic Hermite interpolation of log N on 512 nodes per flavour class: ~1e-10 per event
    np.testing.assert_allclose(tabulated, per_event, atol=5e-9)


@pytest.mark.parametrize("name", ["a05", "ab", "rc"])
def test_accept_reject_weights_reproduce_pythia_event_by_event(trials_sample, name):
    """From Pythia's own trial records, our z weights equal Pythia's in-situ weights."""
    ev = trials_sample.read(["trials", f"variation.{name}"])
    t = ev.trials
    points = {"a05": {"aLund": 0.5}, "ab": {"aLund": 0.8, "bLund": 1.2}, "rc": {"rFactC": 1.0, "rFactB": 1.1}}
    log_w = trial_log_weights(flat(t.z), flat(t.mT2), flat(t.accepted), flat(t.f_prel), flat(t.id_old),
                              flat(t.id_new), ak.to_numpy(ak.num(t)),
                              FragmentationBase.from_metadata(trials_sample.metadata), points[name], z_head=10.0)
    np.testing.assert_allclose(log_w.numpy(), np.log(ak.to_numpy(ev.variation[name])), rtol=0, atol=1e-11)


def test_sigma_weights_reproduce_pythia_event_by_event(trials_sample, small):
    ev = trials_sample.read(["variation.s03"])
    np.testing.assert_allclose(small.log_weights({"sigma": 0.3}).numpy(), np.log(ak.to_numpy(ev.variation.s03)),
                               rtol=0, atol=1e-10)


def test_rao_blackwell_weights_agree_with_pythia_in_distribution(trials_sample, small):
    """Same events, two exact estimators: their means of any observable agree."""
    ev = trials_sample.read(["variation.all", "particles.charge", "particles.status"])
    n_ch = ak.to_numpy(ak.sum((ev.particles.status == 1) & (ev.particles.charge != 0), axis=1)).astype(float)
    ours = small.weights({"aLund": 0.6, "bLund": 0.9, "sigma": 0.31}).numpy()
    pythia = ak.to_numpy(ev.variation.all)
    for x in (np.ones_like(n_ch), n_ch, n_ch**2):
        diff = ours * x - pythia * x
        assert abs(diff.mean()) < 4 * diff.std(ddof=1) / np.sqrt(diff.size)


def test_parameter_names_and_bad_input(trials_sample, small):
    assert canonical_name("frag:alund") == "StringZ:aLund" and canonical_name("sigma") == "StringPT:sigma"
    assert parse_point("StringZ:aLund=0.6, bLund=1.1") == {"StringZ:aLund": 0.6, "StringZ:bLund": 1.1}
    with pytest.raises(ReweightError, match="unknown parameter 'aLundd'"):
        small.log_weights({"aLundd": 0.6})
    with pytest.raises(ReweightError, match="cannot be reweighted: flavour parameters"):
        canonical_name("StringFlav:probStoUD")
    with pytest.raises(ReweightError, match="outside Pythia's allowed range"):
        parse_point("StringZ:aLund=7")
    with pytest.raises(ReweightError, match="expected Name=value"):
        parse_point("StringZ:aLund")
    rw_a = reweighter_from_sample(trials_sample, ["aLund"])
    with pytest.raises(ReweightError, match="not among the varied parameters"):
        rw_a.log_weights({"bLund": 1.0})


def test_sample_without_histories_is_refused(tmp_path):
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    s = generate(GeneratorConfig(n_events=20, chunk_size=20, history=False), tmp_path / "nh", progress=False)
    with pytest.raises(ReweightError, match="has no fragmentation histories"):
        reweighter_from_sample(s)


def test_diagnostics_and_coverage_warning():
    rng = np.random.default_rng(1)
    good = weight_diagnostics(rng.gamma(20.0, 1 / 20.0, size=20_000))
    assert abs(good.one_minus_mu) < 4 * good.one_minus_mu_error
    assert 0.9 < good.n_eff_fraction < 1.0
    assert check_coverage(good)
    bad = weight_diagnostics(np.concatenate([np.full(999, 1e-3), [1000.0]]))
    with pytest.warns(CoverageWarning, match="outside the sample's coverage"):
        assert not check_coverage(bad, label="aLund=0.1")
    with pytest.raises(ReweightError, match="not finite"):
        weight_diagnostics(np.array([1.0, np.inf]))
