"""Hemisphere masses and jet broadenings: known events and a per-event reference."""

from __future__ import annotations

import numpy as np
import pytest
from event_builders import PION_MASS, back_to_back, make_events, mercedes, random_events

from mlhad.observables import hemisphere_masses, jet_broadenings
from mlhad.observables._momenta import momenta
from mlhad.observables.exact_thrust import thrust_frame
from mlhad.observables.hemispheres import hemisphere_shapes

F32 = 1e-6  # float32 storage of the inputs, relative, with margin


def per_event_reference(p: np.ndarray, e: np.ndarray, axis: np.ndarray) -> dict[str, float]:
    """Hemisphere variables of one event, by their definition (loop over particles)."""
    four = {+1: np.zeros(4), -1: np.zeros(4)}
    broad = {+1: 0.0, -1: 0.0}
    for v, energy in zip(p, e):
        side = 1 if v @ axis > 0 else -1
        four[side] += np.array([energy, *v])
        broad[side] += np.linalg.norm(np.cross(v, axis))
    mass2 = {s: max(f[0] ** 2 - f[1:] @ f[1:], 0.0) / e.sum() ** 2 for s, f in four.items()}
    b = {s: x / (2 * np.linalg.norm(p, axis=1).sum()) for s, x in broad.items()}
    return {
        "m2_heavy": max(mass2.values()), "m2_light": min(mass2.values()),
        "m2_diff": abs(mass2[1] - mass2[-1]), "b_wide": max(b.values()), "b_narrow": min(b.values()),
        "b_total": b[1] + b[-1], "b_diff": abs(b[1] - b[-1]),
    }


def test_back_to_back_massless_pair_has_no_mass_or_broadening():
    ev = make_events([back_to_back()])
    for values in (hemisphere_masses(ev), jet_broadenings(ev)):
        for name, v in values.items():
            assert v[0] == pytest.approx(0.0, abs=F32), name


def test_back_to_back_massive_pair():
    p = back_to_back(energy=5.0)  # |p| = 5 GeV, mass 1 GeV: E = sqrt(26) each
    out = hemisphere_masses(make_events([p], masses=[np.ones(2)]))
    assert out["m2_heavy"][0] == pytest.approx(1.0 / (4 * 26.0), rel=F32), "M^2 = m^2, E_vis^2 = 4 * 26"
    assert out["m2_light"][0] == pytest.approx(1.0 / (4 * 26.0), rel=F32)
    assert out["m2_diff"][0] == pytest.approx(0.0, abs=F32)


def test_mercedes_event():
    ev = make_events([mercedes(energy=10.0)])
    masses, broad = hemisphere_masses(ev), jet_broadenings(ev)
    # The thrust axis lies along one particle: hemispheres {1} and {2, 3}. M^2 of {2, 3}:
    # (2E)^2 - E^2 = 3E^2 over (3E)^2 = 1/3; each of 2, 3 has |p x n| = E sqrt3/2 and the
    # denominator is 2 * 3E: B = sqrt3 / 6 in the heavy hemisphere, 0 in the other.
    assert masses["m2_heavy"][0] == pytest.approx(1.0 / 3.0, rel=F32)
    assert masses["m2_light"][0] == pytest.approx(0.0, abs=F32)
    assert broad["b_wide"][0] == pytest.approx(np.sqrt(3) / 6, rel=F32)
    assert broad["b_narrow"][0] == pytest.approx(0.0, abs=F32)
    assert broad["b_total"][0] == pytest.approx(np.sqrt(3) / 6, rel=F32)
    assert broad["b_diff"][0] == pytest.approx(np.sqrt(3) / 6, rel=F32)


def test_vectorised_result_matches_per_event_definition():
    rng = np.random.default_rng(6)
    events = random_events(rng, 60)
    masses = [np.full(len(p), PION_MASS) for p in events]
    m = momenta(make_events(events, masses=masses))
    axes = thrust_frame(m)[1][:, 0]
    got = hemisphere_shapes(m, axes)
    for i in range(m.n_events):
        lo, hi = m.offsets[i], m.offsets[i + 1]
        want = per_event_reference(m.p[lo:hi], m.e[lo:hi], axes[i])
        for name, value in want.items():
            assert got[name][i] == pytest.approx(value, rel=1e-10, abs=1e-14), (name, i)


def test_particle_in_the_dividing_plane_counts_half_in_each_hemisphere():
    # thrust axis along z (the pair); the third, soft particle moves along x, i.e. in
    # the plane: its energy and momentum go half to each side, so the masses stay equal.
    p = np.array([[0, 0, 10.0], [0, 0, -10.0], [1.0, 0, 0]])
    out = hemisphere_shapes(momenta(make_events([p])), np.array([[0.0, 0.0, 1.0]]))
    assert out["m2_diff"][0] == pytest.approx(0.0, abs=1e-12)
    assert out["b_diff"][0] == pytest.approx(0.0, abs=1e-12)
    assert out["b_total"][0] == pytest.approx(1.0 / (2 * 21.0), rel=1e-12), "|p x n| = 1 over 2 * 21"


def test_ranges_on_random_events():
    rng = np.random.default_rng(7)
    ev = make_events(random_events(rng, 100))
    masses, broad = hemisphere_masses(ev), jet_broadenings(ev)
    assert ((masses["m2_light"] >= 0) & (masses["m2_light"] <= masses["m2_heavy"])).all()
    assert (masses["m2_heavy"] <= 1.0).all(), "a hemisphere mass cannot exceed E_vis"
    np.testing.assert_allclose(broad["b_total"], broad["b_wide"] + broad["b_narrow"], rtol=1e-12)
    assert (broad["b_wide"] <= 0.5).all(), "B_W = sum |p_T| / (2 sum |p|) <= 1/2"


def test_fewer_than_two_particles_give_nan():
    ev = make_events([np.zeros((0, 3)), np.array([[0.0, 0.0, 1.0]])])
    for values in (hemisphere_masses(ev), jet_broadenings(ev)):
        for name, v in values.items():
            assert np.isnan(v).all(), name
