"""Whole chains: conservation laws, bookkeeping identities, the sample schema, bad input."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.exceptions import ConfigError, SampleExistsError
from mlhad.generators.string_sampler import StringParams, fragment, params_from_metadata, write_sample
from mlhad.io import open_sample


def test_four_momentum_is_conserved(lund_events):
    p = lund_events.particles
    # Components are stored as float32 (7 significant digits) and summed over ~14
    # hadrons of up to 25 GeV: 1e-4 GeV is a few float32 ulps of the energy sum.
    for comp, expected in (("e", 50.0), ("px", 0.0), ("py", 0.0), ("pz", 0.0)):
        total = ak.to_numpy(ak.sum(ak.values_astype(p[comp], np.float64), axis=1))
        assert np.max(np.abs(total - expected)) < 1e-4, comp


def test_hadrons_are_on_shell_pions(lund_events):
    p = ak.flatten(lund_events.particles)
    e, px, py, pz, m = (ak.to_numpy(p[c]).astype(np.float64) for c in ("e", "px", "py", "pz", "m"))
    m2 = e**2 - px**2 - py**2 - pz**2
    # float32 storage (relative precision 6e-8 per component): E^2 - p^2 cancels to
    # within a few 1e-7 E^2; 2e-6 E^2 + 1e-7 GeV^2 is a safe bound.
    assert np.all(np.abs(m2 - m**2) < 2e-6 * e**2 + 1e-7)
    assert set(np.unique(ak.to_numpy(p.pid))) <= {111, 211, -211}
    assert np.all(ak.to_numpy(ak.sum(lund_events.particles.charge, axis=1)) == 0)


def test_history_bookkeeping(lund_events):
    b, s = lund_events.breaks, lund_events.strings[:, 0]
    accepted = ak.to_numpy(ak.sum(b.accepted, axis=1))
    # Every accepted break makes one hadron; the final two make two more.
    assert np.array_equal(accepted + 2, ak.to_numpy(ak.num(lund_events.particles)))
    assert np.array_equal(ak.to_numpy(s.n_pos + s.n_neg), accepted)
    assert np.array_equal(ak.to_numpy(s.n_breaks), ak.to_numpy(ak.num(b)))
    # Within the kept attempt, each end's ranks run 0, 1, 2, ... and the flavour chain
    # closes: the end carries -flav_new of its previous break.
    for ev in lund_events[:200]:
        kept = [x for x in ev.breaks.tolist() if x["accepted"]]
        for side in (True, False):
            chain = [x for x in kept if x["from_pos"] == side]
            assert [x["rank"] for x in chain] == list(range(len(chain)))
            start = 2 if side else -2
            expected = ([start] + [-x["flav_new"] for x in chain[:-1]])[: len(chain)]
            assert [x["flav_old"] for x in chain] == expected


def test_z_and_hadron_kinematics_agree(lund_events):
    """The first positive-end hadron takes x+ = z of the first kept break there."""
    for ev in lund_events[:100]:
        kept = [x for x in ev.breaks.tolist() if x["accepted"] and x["from_pos"]]
        if not kept:
            continue
        h = ev.particles[0]
        x_plus = (float(h.e) + float(h.pz)) / 50.0
        assert x_plus == pytest.approx(kept[0]["z"], rel=1e-5)  # float32 momenta


def test_same_seed_same_chains_other_seed_differs():
    a = fragment(50, seed=5, progress=False)
    b = fragment(50, seed=5, progress=False)
    c = fragment(50, seed=6, progress=False)
    assert ak.array_equal(a.breaks, b.breaks) and ak.array_equal(a.particles, b.particles)
    assert not ak.array_equal(a.breaks.z, c.breaks.z)


def test_batching_keeps_event_order_and_count():
    ev = fragment(130, seed=2, batch_size=50, progress=False)
    assert ak.to_list(ev.event) == list(range(130))


@pytest.mark.parametrize("kwargs,match", [
    ({"n_strings": 0, "seed": 1}, r"n_strings must be a positive integer, got 0"),
    ({"n_strings": 10}, r"needs a seed"),
    ({"n_strings": 10, "seed": -3}, r"seed must be a non-negative integer, got -3"),
    ({"n_strings": 10, "seed": 1, "batch_size": 0}, r"batch_size must be a positive integer, got 0"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fragment(progress=False, **kwargs)


@pytest.mark.parametrize("field,value,match", [
    ("a_lund", -0.2, r"a_lund must lie in \(0, 10\).*got -0.2"),
    ("energy", 2.0, r"energy = 2.0 GeV is below"),
    ("sigma", 0.0, r"sigma must be a positive finite number, got 0.0"),
    ("stop_smear", 1.5, r"stop_smear must lie in \[0, 1\], got 1.5"),
])
def test_bad_parameters_are_named(field, value, match):
    with pytest.raises(ConfigError, match=match):
        StringParams(**{field: value})


def test_written_sample_reads_back(tmp_path, lund_events):
    events = lund_events[:120]
    params = StringParams()
    write_sample(events, tmp_path / "s", params=params, seed=11, models={"z": "LundZ"}, chunk_size=50)
    sample = open_sample(tmp_path / "s")
    assert sample.n_events == 120 and sample.is_complete and len(sample.chunks) == 3
    back = sample.read(["breaks", "particles", "strings", "pt_n"])
    assert ak.array_equal(back.breaks, events.breaks) and ak.array_equal(back.particles, events.particles)
    assert params_from_metadata(sample.metadata) == params
    with pytest.raises(SampleExistsError, match="already holds a sample"):
        write_sample(events, tmp_path / "s", params=params, seed=11, models={})


def test_params_from_pythia_style_metadata():
    meta = {"fragmentation_base": {"StringZ:aLund": 0.5, "StringZ:bLund": 1.2, "StringPT:sigma": 0.3},
            "config": {"energy": 91.2, "settings": ["StringFragmentation:stopMass = 0.9"]}}
    p = params_from_metadata(meta)
    assert (p.a_lund, p.b_lund, p.sigma, p.energy, p.stop_mass) == (0.5, 1.2, 0.3, 91.2, 0.9)
