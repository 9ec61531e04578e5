"""Exact thrust, major, minor and oblateness: brute force, known events, invariances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from event_builders import back_to_back, make_events, mercedes, random_events, rotate, rotation_matrix

from mlhad.observables import oblateness, thrust, thrust_axes, thrust_major, thrust_minor
from mlhad.observables._momenta import momenta
from mlhad.observables.exact_thrust import thrust_frame

# Inputs are stored as float32 (the sample format), so hand-built values carry a relative
# rounding of ~6e-8 per component; 1e-6 covers it with margin.
F32 = 1e-6


def longest_signed_sum(p: np.ndarray) -> float:
    """max over all 2^n sign vectors s of |sum_i s_i p_i| (exhaustive)."""
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(p))))
    v = signs @ p
    return float(np.sqrt((v * v).sum(axis=1)).max())


def brute_force(p: np.ndarray) -> float:
    """Thrust by its definition: the longest signed sum over sum |p_i|."""
    return longest_signed_sum(p) / float(np.linalg.norm(p, axis=1).sum())


def brute_force_major(p: np.ndarray, axis: np.ndarray) -> float:
    """Thrust major by definition: the same maximum of the momenta projected normal to ``axis``."""
    projected = p - np.outer(p @ axis, axis)
    return longest_signed_sum(projected) / float(np.linalg.norm(p, axis=1).sum())


def stored(events: list[np.ndarray]) -> list[np.ndarray]:
    """The momenta exactly as the float32 sample stores them."""
    return [e.astype(np.float32).astype(np.float64) for e in events]


@pytest.mark.parametrize("balanced", [True, False])
def test_thrust_equals_brute_force_on_random_small_events(balanced):
    rng = np.random.default_rng(7)
    events = [rng.normal(size=(n, 3)) * rng.exponential(size=(n, 1)) for n in rng.integers(2, 13, size=120)]
    if balanced:
        for p in events:
            p[-1] = -p[:-1].sum(axis=0)
    events = stored(events)
    got = thrust(make_events(events))
    want = np.array([brute_force(p) for p in events])
    # The search is exact up to its 1e-9 symbolic perturbation; float64 sums add ~1e-15.
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=0)


def test_thrust_major_equals_brute_force_in_the_plane():
    rng = np.random.default_rng(11)
    events = stored([rng.normal(size=(n, 3)) for n in rng.integers(3, 11, size=60)])
    values, axes = thrust_frame(momenta(make_events(events)))
    want = [brute_force_major(p, axes[i, 0]) for i, p in enumerate(events)]
    np.testing.assert_allclose(values[:, 1], want, rtol=1e-8, err_msg="major must be the in-plane maximum")


def test_jet_like_events_match_brute_force():
    rng = np.random.default_rng(3)
    events = stored(random_events(rng, 40, mean_n=8.0))
    events = [p for p in events if len(p) <= 12]
    got = thrust(make_events(events))
    np.testing.assert_allclose(got, [brute_force(p) for p in events], rtol=1e-8)


def test_back_to_back_pair():
    ev = make_events([back_to_back()])
    values, axes = thrust_frame(momenta(ev))
    assert values[0, 0] == pytest.approx(1.0, abs=F32)
    assert values[0, 1] == pytest.approx(0.0, abs=F32), "nothing transverse to the axis"
    assert values[0, 2] == pytest.approx(0.0, abs=F32)
    n = np.array([0.3, -0.2, 0.9]) / np.linalg.norm([0.3, -0.2, 0.9])
    assert abs(axes[0, 0] @ n) == pytest.approx(1.0, abs=F32), "thrust axis along the pair"
    assert axes[0, 0, 2] >= 0, "Rivet's convention: thrust axis towards z >= 0"


def test_mercedes_event():
    ev = make_events([mercedes()])
    t, t_major, t_minor, obl = (f(ev)[0] for f in (thrust, thrust_major, thrust_minor, oblateness))
    assert t == pytest.approx(2.0 / 3.0, rel=F32), "T = (E + E/2 + E/2) / 3E"
    assert t_major == pytest.approx(1.0 / np.sqrt(3.0), rel=F32), "major in the plane: (sqrt3/2 + sqrt3/2) / 3"
    assert t_minor == pytest.approx(0.0, abs=F32), "minor axis normal to the event plane"
    assert obl == pytest.approx(1.0 / np.sqrt(3.0), rel=F32)
    axes = thrust_axes(ev)[0]
    assert abs(axes[2, 2]) == pytest.approx(1.0, abs=F32), "minor axis is the z axis"


def test_collinear_and_coplanar_degenerate_events():
    collinear = np.array([[0, 0, 3.0], [0, 0, 1.0], [0, 0, -4.0], [0, 0, -2.0]])
    cube = np.array(list(itertools.product((1.0, -1.0), repeat=3)))
    ring = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4), np.zeros(8)], axis=1)
    got = thrust(make_events([collinear, cube, ring]))
    assert got[0] == pytest.approx(1.0, rel=F32)
    # cube corners: along a face normal every corner gives |p.n| = 1: T = 8 / (8 sqrt3)
    assert got[1] == pytest.approx(brute_force(cube), rel=1e-9) and got[1] == pytest.approx(1 / np.sqrt(3), rel=F32)
    assert got[2] == pytest.approx(brute_force(ring), rel=1e-6)


def test_isotropic_event_tends_to_one_half():
    rng = np.random.default_rng(5)
    n = rng.normal(size=(1000, 3))
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    values = thrust_frame(momenta(make_events([np.concatenate([n, -n])])))[0][0]
    # For a fixed axis, <|cos|> over 1000 random directions is 1/2 with sd
    # sigma = sqrt(1/3 - 1/4) / sqrt(1000) = 0.009; maximising over axes adds 1-2 sigma
    # (seen in repeated trials), so 5 sigma bounds it: 0.5 <= T < 0.546, and the major
    # and minor (maxima over fewer axes, then a single axis) stay within 5 sigma of 1/2.
    sigma = np.sqrt(1 / 3 - 1 / 4) / np.sqrt(1000)
    assert 0.5 <= values[0] < 0.5 + 5 * sigma
    assert 0.5 - 5 * sigma < values[1] <= values[0]
    assert 0.5 - 5 * sigma < values[2] <= values[1]


def test_scalars_invariant_and_axes_covariant_under_rotation():
    rng = np.random.default_rng(9)
    ev = make_events(random_events(rng, 50))
    rot = rotation_matrix(rng)
    v0, a0 = thrust_frame(momenta(ev))
    v1, a1 = thrust_frame(momenta(rotate(ev, rot)))
    # float32 storage of rotated momenta: ~1e-7 relative changes of the inputs.
    np.testing.assert_allclose(v1, v0, rtol=2e-6, atol=2e-7)
    for row in range(3):  # rotated axes agree up to the sign conventions
        overlap = np.abs(np.einsum("ij,ij->i", a1[:, row], a0[:, row] @ rot.T))
        np.testing.assert_allclose(overlap, 1.0, atol=1e-4)


def test_axes_form_a_right_handed_orthonormal_frame():
    rng = np.random.default_rng(2)
    axes = thrust_axes(make_events(random_events(rng, 30)))
    np.testing.assert_allclose(axes @ axes.transpose(0, 2, 1), np.broadcast_to(np.eye(3), axes.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(axes), 1.0, atol=1e-12)
    assert (axes[:, 0, 2] >= 0).all() and (axes[:, 1, 0] >= 0).all(), "Rivet's orientation conventions"


def test_thrust_ordering_and_ranges():
    rng = np.random.default_rng(4)
    values = thrust_frame(momenta(make_events(random_events(rng, 200))))[0]
    assert ((values[:, 0] >= 0.5) & (values[:, 0] <= 1.0 + 1e-12)).all(), "1/2 <= T <= 1"
    assert (values[:, 0] >= values[:, 1] - 1e-12).all() and (values[:, 1] >= values[:, 2] - 1e-12).all()


def test_particle_order_does_not_matter():
    rng = np.random.default_rng(8)
    events = random_events(rng, 20)
    shuffled = [p[rng.permutation(len(p))] for p in events]
    np.testing.assert_allclose(thrust(make_events(shuffled)), thrust(make_events(events)), rtol=1e-12)


def test_fewer_than_two_particles_give_nan():
    ev = make_events([np.zeros((0, 3)), np.array([[1.0, 2.0, 3.0]]), back_to_back(), np.zeros((3, 3))])
    values, axes = thrust_frame(momenta(ev))
    assert np.isnan(values[[0, 1, 3]]).all(), "no particles, one particle, no momentum"
    assert np.isnan(axes[[0, 1, 3]]).all()
    assert values[2, 0] == pytest.approx(1.0, abs=F32)


def rivet_iterative_thrust(p: np.ndarray) -> float:
    """Rivet's Thrust::_calcT: iterate n <- sum sign(p.n) p from 4 starts built from the 3 leading momenta."""
    q = p[np.argsort(-(p * p).sum(axis=1))]
    best = 0.0
    for start in range(4):
        axis = sum(q[k] if (start >> k) & 1 else -q[k] for k in range(3))
        axis = axis / np.linalg.norm(axis)
        for _ in range(1000):
            new = np.where(q @ axis > 0, 1.0, -1.0) @ q
            new /= np.linalg.norm(new)
            done = np.linalg.norm(new - axis) < 1e-5
            axis = new
            if done:
                break
        best = max(best, float(np.abs(q @ axis).sum()))
    return best / float(np.linalg.norm(p, axis=1).sum())


def test_never_below_rivets_iterative_search():
    # The global maximum is >= any local maximum the iteration stops at. (On 3000 Pythia
    # Z -> hadrons events the iteration fell short in 0.7 % of events, by up to 0.010.)
    rng = np.random.default_rng(21)
    events = [p for p in random_events(rng, 300, mean_n=15.0) if len(p) >= 3]
    ours = thrust(make_events(events))
    theirs = np.array([rivet_iterative_thrust(p.astype(np.float32).astype(np.float64)) for p in events])
    assert (ours >= theirs - 1e-12).all()
