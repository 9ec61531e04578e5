"""Sphericity, aplanarity, planarity (r = 2) and the C, D parameters (r = 1)."""

from __future__ import annotations

import numpy as np
import pytest
from event_builders import back_to_back, make_events, mercedes, random_events, rotate, rotation_matrix

from mlhad.observables import aplanarity, c_parameter, d_parameter, planarity, sphericity, sphericity_axes
from mlhad.observables._momenta import momenta
from mlhad.observables.tensors import momentum_tensor, tensor_eigen

F32 = 1e-6  # relative rounding of float32-stored momenta, with margin

SHAPES = (sphericity, aplanarity, planarity, c_parameter, d_parameter)


def per_event_reference(p: np.ndarray, r: float) -> np.ndarray:
    """Eigenvalues (decreasing) of one event's tensor, written directly from the definition."""
    mag = np.linalg.norm(p, axis=1)
    tensor = sum(m ** (r - 2) * np.outer(v, v) for v, m in zip(p, mag)) / (mag**r).sum()
    return np.linalg.eigvalsh(tensor)[::-1]


def test_back_to_back_is_perfectly_two_jet():
    ev = make_events([back_to_back()])
    for f in SHAPES:
        assert f(ev)[0] == pytest.approx(0.0, abs=F32), f.__name__


def test_mercedes_event():
    ev = make_events([mercedes()])
    # eigenvalues (1/2, 1/2, 0) for both tensors (equal |p|): S = 3/4, A = 0, P = 1/2,
    # C = 3 (1/4) = 3/4, D = 0 -- Rivet would return zeros for this x-y-planar event.
    assert sphericity(ev)[0] == pytest.approx(0.75, rel=F32)
    assert aplanarity(ev)[0] == pytest.approx(0.0, abs=F32)
    assert planarity(ev)[0] == pytest.approx(0.5, rel=F32)
    assert c_parameter(ev)[0] == pytest.approx(0.75, rel=F32)
    assert d_parameter(ev)[0] == pytest.approx(0.0, abs=F32)
    axes = sphericity_axes(ev)[0]
    assert abs(axes[2, 2]) == pytest.approx(1.0, abs=F32), "smallest eigenvalue: normal to the plane"


def test_isotropic_event_limits():
    rng = np.random.default_rng(1)
    n = rng.normal(size=(5000, 3))
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    ev = make_events([np.concatenate([n, -n]) * 10.0])
    # Tensor elements are means of n_a n_b over 5000 directions: sd sqrt(4/45/5000) = 0.004;
    # extreme eigenvalues move by at most ~3 sd = 0.013, so 1 - S = 3/2 (l1 - 1/3) < 0.02.
    # C and D move only at second order (3/2 sum d^2 and 9/2 sum d^2 ~ 1e-3).
    assert sphericity(ev)[0] == pytest.approx(1.0, abs=0.02)
    assert aplanarity(ev)[0] == pytest.approx(0.5, abs=0.02)
    assert planarity(ev)[0] == pytest.approx(0.0, abs=0.03)
    assert c_parameter(ev)[0] == pytest.approx(1.0, abs=0.003)
    assert d_parameter(ev)[0] == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("r", [2.0, 1.0])
def test_vectorised_eigenvalues_match_per_event_definition(r):
    rng = np.random.default_rng(3)
    events = [p.astype(np.float32).astype(np.float64) for p in random_events(rng, 40)]
    lam, axes = tensor_eigen(momentum_tensor(momenta(make_events(events)), r))
    want = np.array([per_event_reference(p, r) for p in events])
    np.testing.assert_allclose(lam, want, atol=1e-12)
    np.testing.assert_allclose(lam.sum(axis=1), 1.0, atol=1e-12, err_msg="trace is 1 by construction")
    assert (np.diff(lam, axis=1) <= 0).all(), "decreasing order"


def test_axes_are_orthonormal_eigenvectors_in_order():
    rng = np.random.default_rng(4)
    m = momenta(make_events(random_events(rng, 30)))
    tensor = momentum_tensor(m, 2.0)
    lam, axes = tensor_eigen(tensor)
    np.testing.assert_allclose(axes @ axes.transpose(0, 2, 1), np.broadcast_to(np.eye(3), axes.shape), atol=1e-12)
    # T v_k = l_k v_k for each row k
    np.testing.assert_allclose(np.einsum("bij,bkj->bki", tensor, axes), lam[:, :, None] * axes, atol=1e-12)
    assert (axes[:, :, 2] >= 0).all(), "oriented towards z >= 0 like Rivet's eigenvectors"


def test_invariant_under_rotations():
    rng = np.random.default_rng(5)
    ev = make_events(random_events(rng, 50))
    rot = rotation_matrix(rng)
    turned = rotate(ev, rot)
    for f in SHAPES:  # float32 re-storage of rotated momenta: ~1e-7 relative
        np.testing.assert_allclose(f(turned), f(ev), rtol=1e-5, atol=1e-6, err_msg=f.__name__)
    a0, a1 = sphericity_axes(ev), sphericity_axes(turned)
    overlap = np.abs(np.einsum("bkj,bkj->bk", a1, a0 @ rot.T))
    np.testing.assert_allclose(overlap[:, 0], 1.0, atol=1e-4, err_msg="sphericity axis rotates with the event")


def test_particles_at_rest_are_ignored():
    with_rest = np.vstack([mercedes(), np.zeros((1, 3))])
    ev = make_events([mercedes(), with_rest], masses=[np.zeros(3), np.array([0, 0, 0, 0.5])])
    for f in SHAPES:
        values = f(ev)
        assert values[1] == pytest.approx(values[0], abs=1e-12), f.__name__


def test_fewer_than_two_particles_give_nan():
    ev = make_events([np.zeros((0, 3)), np.array([[1.0, 2.0, 3.0]])])
    for f in SHAPES:
        assert np.isnan(f(ev)).all(), f.__name__
    assert np.isnan(sphericity_axes(ev)).all()
