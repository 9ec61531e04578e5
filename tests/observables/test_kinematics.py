"""Per-particle and per-pair observables: x_p, xi_p, x_E, rapidities, p_T in/out, EEC."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from event_builders import PION_MASS, make_events, mercedes, random_events

from mlhad.exceptions import ConfigError
from mlhad.observables import charged_final, compute, multiplicity_in_rapidity, thrust_axes

BEAM = 45.6
F32 = 1e-6  # float32 storage of the inputs, relative, with margin


def flat(array: ak.Array) -> np.ndarray:
    return ak.to_numpy(ak.flatten(array))


def test_scaled_momentum_energy_and_xi():
    p = np.array([[0.0, 3.0, 4.0], [0.0, -3.0, -4.0]])  # |p| = 5 GeV
    out = compute(make_events([p], masses=[np.full(2, 12.0)]), ["x_p", "xi_p", "x_e"], beam_energy=BEAM)
    np.testing.assert_allclose(flat(out["x_p"]), 5.0 / BEAM, rtol=F32)
    np.testing.assert_allclose(flat(out["xi_p"]), np.log(BEAM / 5.0), rtol=F32)
    np.testing.assert_allclose(flat(out["x_e"]), 13.0 / BEAM, rtol=F32, err_msg="E = sqrt(5^2 + 12^2)")


def test_rapidity_along_the_thrust_axis():
    # pions back to back along z and a soft one along x (which tilts the thrust axis by
    # atan(0.5 / 20) = 1.4 degrees: the rapidities are taken w.r.t. that axis)
    p = np.array([[0, 0, 10.0], [0, 0, -10.0], [0.5, 0, 0]])
    ev = make_events([p], masses=[np.full(3, PION_MASS)])
    names = ["rapidity_thrust", "abs_rapidity_thrust", "n_yt05", "n_yt20"]
    out = compute(ev, names, beam_energy=BEAM)
    axis = thrust_axes(ev)[0, 0]
    assert np.degrees(np.arccos(axis[2])) == pytest.approx(np.degrees(np.arctan(0.5 / 20)), rel=1e-4)
    e = np.sqrt((p**2).sum(axis=1) + PION_MASS**2)
    y = 0.5 * np.log((e + p @ axis) / (e - p @ axis))
    np.testing.assert_allclose(flat(out["rapidity_thrust"]), y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(flat(out["abs_rapidity_thrust"]), np.abs(y), rtol=1e-5, atol=1e-6)
    assert y[0] > 0 > y[1], "the axis points to z >= 0"
    assert out["n_yt05"].tolist() == [1], "only the soft particle, |y| = 0.02"
    assert out["n_yt20"].tolist() == [1], "the fast pions have |y| = 4.2"


def test_massless_particle_along_the_axis_has_infinite_rapidity_without_warnings():
    p = np.array([[0, 0, 10.0], [0, 0, -10.0]])
    out = compute(make_events([p]), ["abs_rapidity_thrust"], beam_energy=BEAM)  # filterwarnings=error
    assert np.isinf(flat(out["abs_rapidity_thrust"])).all()


def test_transverse_momenta_in_a_planar_event():
    ev = make_events([mercedes(10.0)])
    out = compute(ev, ["pt_in_thrust", "pt_out_thrust", "pt_thrust", "pt_in_sphericity", "pt_out_sphericity"], beam_energy=BEAM)
    # everything lies in the x-y plane: out-of-plane components vanish; along the thrust
    # axis (one particle) the other two have |p_T| = 10 sin(120 deg), all of it in-plane.
    np.testing.assert_allclose(flat(out["pt_out_thrust"]), 0.0, atol=1e-5)
    np.testing.assert_allclose(flat(out["pt_out_sphericity"]), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.sort(flat(out["pt_in_thrust"])), [0.0, 10 * np.sin(2 * np.pi / 3), 10 * np.sin(2 * np.pi / 3)], atol=1e-5)
    np.testing.assert_allclose(flat(out["pt_thrust"]), flat(out["pt_in_thrust"]), atol=1e-5)


def test_pt_thrust_is_the_momentum_transverse_to_the_thrust_axis():
    rng = np.random.default_rng(1)
    ev = make_events(random_events(rng, 20))
    out = compute(ev, ["pt_thrust", "pt_in_thrust", "pt_out_thrust", "x_p", "rapidity_thrust"], beam_energy=BEAM)
    np.testing.assert_allclose(flat(out["pt_thrust"]) ** 2, flat(out["pt_in_thrust"]) ** 2 + flat(out["pt_out_thrust"]) ** 2, rtol=1e-12)
    # p_T^2 + p_L^2 = |p|^2; for massless particles p_L = |p| tanh(y)
    p = flat(out["x_p"]) * BEAM
    p_long = p * np.tanh(flat(out["rapidity_thrust"]))
    np.testing.assert_allclose(flat(out["pt_thrust"]) ** 2 + p_long**2, p**2, rtol=1e-6, atol=1e-9)


def test_energy_energy_correlation_pairs():
    rng = np.random.default_rng(2)
    events = random_events(rng, 10, mean_n=6.0)
    ev = make_events(events, masses=[np.full(len(p), PION_MASS) for p in events])
    out = compute(ev, ["eec_cos", "eec_weight", "aeec_x", "aeec_weight"], beam_energy=BEAM)
    for i, p in enumerate(events):
        n = len(p)
        e = np.sqrt((p**2).sum(axis=1) + PION_MASS**2)
        assert len(out["eec_cos"][i]) == n * (n - 1) // 2, "every unordered pair once"
        # sum_{i<j} E_i E_j = (E_vis^2 - sum E_i^2) / 2
        assert ak.sum(out["eec_weight"][i]) == pytest.approx((e.sum() ** 2 - (e**2).sum()) / 2 / e.sum() ** 2, rel=1e-5)
        u = p / np.linalg.norm(p, axis=1, keepdims=True)
        a, b = np.triu_indices(n, 1)
        np.testing.assert_allclose(ak.to_numpy(out["eec_cos"][i]), np.einsum("kc,kc->k", u[a], u[b]), atol=1e-6)
    cos, w = flat(out["eec_cos"]), flat(out["eec_weight"])
    np.testing.assert_array_equal(flat(out["aeec_x"]), -np.abs(cos))
    np.testing.assert_array_equal(flat(out["aeec_weight"]), np.where(cos < 0, w, -w))


def test_multiplicity_in_rapidity_any_cut_agrees_with_compute():
    rng = np.random.default_rng(3)
    ev = make_events(random_events(rng, 30), masses=None)
    out = compute(ev, ["n_yt05", "n_yt15", "abs_rapidity_thrust"], beam_energy=BEAM)
    np.testing.assert_array_equal(multiplicity_in_rapidity(charged_final(ev), 0.5), out["n_yt05"])
    np.testing.assert_array_equal(multiplicity_in_rapidity(charged_final(ev), 1.5), out["n_yt15"])
    want = ak.to_numpy(ak.sum(out["abs_rapidity_thrust"] <= 0.8, axis=1))
    np.testing.assert_array_equal(multiplicity_in_rapidity(charged_final(ev), 0.8), want)
    with pytest.raises(ConfigError, match="rapidity cut must be a positive number, e.g. 0.5; got -1"):
        multiplicity_in_rapidity(ev, -1)


def boost_along(p: np.ndarray, e: np.ndarray, axis: np.ndarray, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """Lorentz boost with rapidity ``eta`` along the unit vector ``axis``."""
    p_long = p @ axis
    new_long = np.cosh(eta) * p_long + np.sinh(eta) * e
    new_e = np.cosh(eta) * e + np.sinh(eta) * p_long
    return p + np.outer(new_long - p_long, axis), new_e


def test_rapidity_shifts_by_the_boost_rapidity():
    from mlhad.observables._momenta import Momenta
    from mlhad.observables.kinematics import rapidity_along

    rng = np.random.default_rng(5)
    p = rng.normal(size=(50, 3)) * 3
    e = np.sqrt((p**2).sum(axis=1) + PION_MASS**2)
    axis = np.array([[0.6, 0.0, 0.8]])
    counts = np.array([50])
    before = rapidity_along(Momenta(p, e, counts), axis)
    p2, e2 = boost_along(p, e, axis[0], 0.7)
    after = rapidity_along(Momenta(p2, e2, counts), axis)
    np.testing.assert_allclose(after - before, 0.7, atol=1e-9, err_msg="rapidities add under boosts along the axis")


def test_boost_along_the_axis_of_a_collinear_event_keeps_its_axis_and_thrust():
    p = np.array([[0, 0, 20.0], [0, 0, -20.0], [0, 0, 5.0], [0, 0, -3.0]]) @ np.array([[0.0, 0.6, 0.8], [1.0, 0, 0], [0, 0.8, -0.6]])
    e = np.sqrt((p**2).sum(axis=1) + PION_MASS**2)
    axis = p[0] / np.linalg.norm(p[0])
    p2, _ = boost_along(p, e, axis, 1.2)
    for q in (p, p2):
        ev = make_events([q], masses=[np.full(4, PION_MASS)])
        assert compute(ev, ["thrust"], beam_energy=BEAM)["thrust"][0] == pytest.approx(1.0, abs=1e-6)
        assert abs(thrust_axes(ev)[0, 0] @ axis) == pytest.approx(1.0, abs=1e-6)
