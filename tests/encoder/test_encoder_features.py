"""Input features: known values, invariances, selection and bad input."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from mlhad.encoder import PARTICLE_FEATURES, global_features, particle_features, select_visible
from mlhad.encoder.classes import CLASS_NAMES, particle_class
from mlhad.encoder.features import flat_features, pad
from mlhad.encoder.geometry import canonical_axes
from mlhad.exceptions import ModelError

COL = {name: i for i, name in enumerate(PARTICLE_FEATURES)}
# float32 features computed in float64 from float32 momenta: rotations change the
# inputs by ~1e-7 relative; logs of small pT amplify that, 1e-4 absolute is ample.
ROT_TOL = 1e-4
#: Rows thrust = z, major = x, minor = y (right-handed).
Z_FRAME = np.array([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])


def _event(rows: list[tuple[float, float, float, float, int, int, int]]) -> ak.Array:
    """One event from (px, py, pz, e, pid, charge, status) rows."""
    names = ("px", "py", "pz", "e", "pid", "charge", "status")
    return ak.Array([{"particles": [dict(zip(names, r)) for r in rows]}])


def test_back_to_back_pair_has_known_features():
    # Two massless particles along +-z, thrust axis z: everything is analytic.
    ev = _event([(0, 0, 45.6, 45.6, 22, 0, 1), (0, 0, -45.6, 45.6, 211, 1, 1)])
    x, mask = particle_features(ev.particles, Z_FRAME)
    x = x[0].numpy()
    assert mask.tolist() == [[True, True]]
    np.testing.assert_allclose(x[:, COL["log_e"]], np.log(45.6), rtol=1e-6)
    np.testing.assert_allclose(x[:, COL["log_e_rel"]], np.log(0.5), rtol=1e-6)
    # pT = 0 sits on the 1 MeV floor; rapidity = asinh(45.6 GeV / 1 MeV).
    np.testing.assert_allclose(x[:, COL["log_pt"]], np.log(1e-3), rtol=1e-6)
    np.testing.assert_allclose(np.abs(x[:, COL["rapidity"]]), np.arcsinh(45.6 / 1e-3), rtol=1e-5)
    np.testing.assert_allclose(np.abs(x[:, COL["dir_thrust"]]), 1.0, rtol=1e-6)
    assert x[0, COL["dir_thrust"]] == -x[1, COL["dir_thrust"]]
    assert x[:, COL["charge"]].tolist() == [0.0, 1.0]
    n_cont = len(PARTICLE_FEATURES)
    assert x[0, n_cont:].argmax() == 0 and x[1, n_cont:].argmax() == 3  # photon, pion
    g = global_features(ev.particles).numpy()[0]
    np.testing.assert_allclose(g, [np.log(2), np.log(2), np.log(2), np.log(91.2), np.log(0.1)], rtol=1e-5)


def test_thrust_axis_points_into_heavy_hemisphere():
    # -z hemisphere: two particles with an opening angle (mass > 0); +z: one massless particle.
    ev = _event([(0, 0, 40, 40, 211, 1, 1), (3, 0, -20, np.hypot(3, 20), 211, 1, 1),
                 (-3, 0, -20, np.hypot(3, 20), 211, -1, 1)])
    for sign in (1.0, -1.0):  # the sign of the axis passed in must not matter
        x, _ = particle_features(ev.particles, sign * Z_FRAME)
        assert x[0, 0, COL["dir_thrust"]] == pytest.approx(-1.0)


def test_features_invariant_under_common_rotation(events, axes, rotation_factory):
    r = rotation_factory(11)
    p = events.particles
    p3 = np.stack([ak.to_numpy(ak.flatten(p[c])) for c in ("px", "py", "pz")], 1).astype(np.float64)
    q3 = p3 @ r.T
    counts = ak.num(p)
    rotated = ak.with_field(p, ak.unflatten(q3[:, 0].astype(np.float32), counts), "px")
    rotated = ak.with_field(rotated, ak.unflatten(q3[:, 1].astype(np.float32), counts), "py")
    rotated = ak.with_field(rotated, ak.unflatten(q3[:, 2].astype(np.float32), counts), "pz")
    x0, m0 = particle_features(p, axes)
    x1, m1 = particle_features(rotated, axes @ r.T)
    assert (m0 == m1).all()
    np.testing.assert_allclose(x1.numpy(), x0.numpy(), atol=ROT_TOL)


@pytest.mark.parametrize("flip", [(1, 1, -1), (-1, 1, 1), (1, -1, 1), (-1, -1, -1)])
def test_features_do_not_depend_on_axis_signs(events, axes, flip):
    x0, _ = particle_features(events.particles, axes)
    x1, _ = particle_features(events.particles, axes * np.array(flip)[None, :, None])
    np.testing.assert_allclose(x1.numpy(), x0.numpy(), atol=1e-6)


def test_canonical_axes_are_right_handed(events, axes):
    p = select_visible(events.particles)
    counts = ak.to_numpy(ak.num(p))
    p3 = np.stack([ak.to_numpy(ak.flatten(p[c])) for c in ("px", "py", "pz")], 1).astype(np.float64)
    e = ak.to_numpy(ak.flatten(p.e)).astype(np.float64)
    out = canonical_axes(p3, e, axes, np.repeat(np.arange(len(counts)), counts))
    np.testing.assert_allclose(np.linalg.det(out), 1.0, atol=1e-9)


def test_selection_drops_decayed_hadrons_and_neutrinos(events, axes):
    visible = select_visible(events.particles)
    assert ak.all(visible.status == 1)
    assert not ak.any(abs(visible.pid) == 14)
    _, mask = particle_features(events.particles, axes)
    np.testing.assert_array_equal(mask.sum(1).numpy(), ak.to_numpy(ak.num(visible)))


def test_class_schemes():
    pid = np.array([22, 11, -13, 211, -321, 2212, 2112, 130, 3122])
    charge = np.array([0, -1, 1, 1, -1, 1, 0, 0, 0])
    ident = particle_class(pid, charge, "identified")
    assert [CLASS_NAMES["identified"][i] for i in ident] == list(CLASS_NAMES["identified"])
    det = particle_class(pid, charge, "detector")
    names = [CLASS_NAMES["detector"][i] for i in det]
    assert names == ["photon", "electron", "muon", "charged_hadron", "charged_hadron", "charged_hadron",
                     "neutral_hadron", "neutral_hadron", "neutral_hadron"]


def test_pad_round_trip():
    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    counts = np.array([2, 0, 3, 1])
    padded, mask = pad(values, counts, n_max=4)
    assert padded.shape == (4, 4, 2)
    np.testing.assert_array_equal(padded[mask], values)
    assert (padded[~mask] == 0).all()
    with pytest.raises(ModelError, match="shorter than the longest event"):
        pad(values, counts, n_max=2)


def test_option_typed_records_are_accepted(events, axes):
    # Parquet round trips make records nullable (?{...}); the features must not change.
    optional = ak.mask(events.particles, ak.ones_like(events.particles.px, dtype=bool))
    assert "?" in str(optional.type)
    x0, _ = particle_features(events.particles, axes)
    x1, _ = particle_features(optional, axes)
    np.testing.assert_array_equal(x0.numpy(), x1.numpy())


# -- bad input ----------------------------------------------------------------------------


def test_nan_momentum_names_the_event(events, axes):
    px = ak.to_numpy(ak.flatten(events.particles.px)).copy()
    counts = ak.num(events.particles)
    px[int(np.sum(ak.to_numpy(counts)[:5]))] = np.nan  # first particle of event 5
    bad = ak.with_field(events.particles, ak.unflatten(px, counts), "px")
    with pytest.raises(ModelError, match=r"event index 5 .*non-finite momentum"):
        flat_features(bad, axes)
    with pytest.raises(ModelError, match=r"event index 105 "):
        flat_features(bad, axes, first_event=100)


def test_event_without_visible_particles_is_an_error(axes):
    ev = ak.Array([
        {"particles": [{"px": 1.0, "py": 0.0, "pz": 0.0, "e": 1.0, "pid": 211, "charge": 1, "status": 1}]},
        {"particles": [{"px": 1.0, "py": 0.0, "pz": 0.0, "e": 1.0, "pid": 14, "charge": 0, "status": 1}]},
    ])
    with pytest.raises(ModelError, match=r"1 event\(s\) have no visible.*event index \[1\]"):
        particle_features(ev.particles, axes[:2])


def test_missing_fields_are_named(events, axes):
    with pytest.raises(ModelError, match=r"lack the fields \['status'\]"):
        particle_features(events.particles[["px", "py", "pz", "e", "pid", "charge"]], axes)


def test_bad_axes(events, axes):
    with pytest.raises(ModelError, match=r"shape \(n_events, 3, 3\) = \(40, 3, 3\)"):
        particle_features(events.particles, axes[:3])
    skew = axes.copy()
    skew[4, 1] = skew[4, 0]
    with pytest.raises(ModelError, match="axes of event 4 are not orthonormal"):
        particle_features(events.particles, skew)
    nan = axes.copy()
    nan[2, 0, 0] = np.nan
    with pytest.raises(ModelError, match="axes of event 2 are not finite"):
        particle_features(events.particles, nan)
