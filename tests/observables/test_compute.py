"""compute(): result shapes, shared intermediates, identified hadrons, and bad input."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from event_builders import PION_MASS, back_to_back, make_events, mercedes, random_events

import mlhad.observables.context as context_module
from mlhad.exceptions import ConfigError, RegistryError
from mlhad.observables import available, compute, thrust

BEAM = 45.6

# One event with decays (index: pid, status, parent):
#  0 pi+  1   1 pi-  1  | 2 pi0 2 (x_p 0.2) -> 3, 4 gamma 1 | 5 K0S 2 -> 6 pi+, 7 pi- |
#  8 K0L 1 | 9 eta 2 (x_p 0.05) | 10 eta 2 (x_p 0.3) | 11 anti-Lambda 2 | 12 Sigma*+ 2 |
#  13 anti-Omega+ 2 | 14 rho0 2 -> 15 rho0 2 (copy) | 16 gamma 2 (vetoed) | 17 d quark 2 (vetoed)
PIDS = [211, -211, 111, 22, 22, 310, 211, -211, 130, 221, 221, -3122, 3224, -3334, 113, 113, 22, 1]
STATUS = [1, 1, 2, 1, 1, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]
PARENTS = [-1, -1, -1, 2, 2, -1, 5, 5, -1, -1, -1, -1, -1, -1, -1, 14, -1, -1]
CHARGES = [1, -1, 0, 0, 0, 0, 1, -1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]


@pytest.fixture
def decays() -> ak.Array:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(len(PIDS), 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    scale = np.full(len(PIDS), 5.0)
    scale[[2, 9, 10]] = [0.2 * BEAM, 0.05 * BEAM, 0.3 * BEAM]  # chosen x_p values
    return make_events(
        [p * scale[:, None]],
        masses=[np.full(len(PIDS), PION_MASS)],
        charges=[np.array(CHARGES)],
        pids=[np.array(PIDS)],
        status=[np.array(STATUS)],
        parents=[np.array(PARENTS)],
    )


def test_identified_hadron_counts(decays):
    counts = {
        "n_pi_pm": 4, "n_pi0": 1, "n_gamma": 2, "n_k0": 2, "n_eta": 2, "n_eta_xp01": 1,
        "n_lambda": 1, "n_sigma1385_pm": 1, "n_sigma1385_minus": 0, "n_omega_minus": 1,
        "n_rho0": 1, "n_p": 0,
    }
    out = compute(decays, list(counts), beam_energy=BEAM)
    for name, want in counts.items():
        assert out[name].tolist() == [want], name


def test_identified_hadron_spectra(decays):
    out = compute(decays, ["x_p_pi0", "x_e_eta_xp01", "xi_p_gamma", "x_p_k_pm"], beam_energy=BEAM)
    np.testing.assert_allclose(out["x_p_pi0"].tolist(), [[0.2]], rtol=1e-6)
    e_eta = np.hypot(0.3 * BEAM, PION_MASS)  # the masses of this toy event are all m_pi
    np.testing.assert_allclose(out["x_e_eta_xp01"].tolist(), [[e_eta / BEAM]], rtol=1e-6)
    assert len(out["xi_p_gamma"][0]) == 2 and len(out["x_p_k_pm"][0]) == 0


def test_result_kinds_and_shapes():
    rng = np.random.default_rng(1)
    ev = make_events(random_events(rng, 7))
    out = compute(ev, ["thrust", "n_charged", "x_p", "eec_cos"], beam_energy=BEAM)
    assert list(out) == ["thrust", "n_charged", "x_p", "eec_cos"]
    assert isinstance(out["thrust"], np.ndarray) and out["thrust"].shape == (7,)
    assert out["n_charged"].dtype.kind == "i"
    assert ak.num(out["x_p"]).tolist() == out["n_charged"].tolist()
    assert ak.num(out["eec_cos"]).tolist() == (out["n_charged"] * (out["n_charged"] - 1) // 2).tolist()


def test_single_name_and_agreement_with_the_standalone_function():
    rng = np.random.default_rng(2)
    ev = make_events(random_events(rng, 10))
    np.testing.assert_array_equal(compute(ev, "thrust", beam_energy=BEAM)["thrust"], thrust(ev))


def test_thrust_is_computed_once_for_all_its_users(monkeypatch):
    calls = []
    original = context_module.thrust_frame

    def counting(m):
        calls.append(m.n_events)
        return original(m)

    monkeypatch.setattr(context_module, "thrust_frame", counting)
    ev = make_events([mercedes(), back_to_back()])
    names = ["thrust", "oblateness", "m2_heavy", "b_total", "abs_rapidity_thrust", "n_yt10", "pt_out_thrust"]
    compute(ev, names, beam_energy=BEAM)
    assert calls == [2]


def test_selection_final_includes_neutrals():
    p = np.array([[0, 0, 5.0], [0, 0, -5.0], [1.0, 0, 0], [-1.0, 0, 0]])
    ev = make_events([p], charges=[np.array([1, -1, 0, 0])])
    names = ["multiplicity", "n_charged", "thrust"]
    charged = compute(ev, names, beam_energy=BEAM)
    every = compute(ev, names, beam_energy=BEAM, selection="final")
    assert charged["multiplicity"].tolist() == [2] and every["multiplicity"].tolist() == [4]
    assert every["n_charged"].tolist() == [2], "n_charged ignores the selection (Rivet's veto)"
    assert charged["thrust"][0] == pytest.approx(1.0, rel=1e-6)
    # with the neutrals: max over theta of 10 cos + 2 sin = sqrt(104), over sum |p| = 12
    assert every["thrust"][0] == pytest.approx(np.sqrt(104.0) / 12.0, rel=1e-6)


def test_events_below_two_charged_particles():
    ev = make_events([np.zeros((0, 3)), np.array([[0, 0, 1.0]]), mercedes()])
    out = compute(ev, ["thrust", "sphericity", "c_parameter", "m2_heavy", "y23", "n_charged"], beam_energy=BEAM)
    for name in ("thrust", "sphericity", "c_parameter", "m2_heavy", "y23"):
        assert np.isnan(out[name][:2]).all() and np.isfinite(out[name][2]), name
    assert out["n_charged"].tolist() == [0, 1, 3]


def test_every_available_name_computes():
    rng = np.random.default_rng(3)
    ev = make_events(random_events(rng, 5, mean_n=6.0))
    out = compute(ev, available(), beam_energy=BEAM)
    assert set(out) == set(available())
    assert set(available("event")) | set(available("particle")) | set(available("pair")) == set(available())


def test_unknown_name_suggests_close_ones():
    with pytest.raises(RegistryError, match=r"'thrust_minr' \(did you mean \['thrust_minor'"):
        compute(make_events([mercedes()]), ["thrust", "thrust_minr"], beam_energy=BEAM)


@pytest.mark.parametrize("bad", [0.0, -45.6, float("nan"), float("inf")])
def test_bad_beam_energy(bad):
    with pytest.raises(ConfigError, match="beam_energy must be the beam momentum"):
        compute(make_events([mercedes()]), ["x_p"], beam_energy=bad)


@pytest.mark.parametrize("bad", ["45.6", True, None])
def test_beam_energy_must_be_a_number(bad):
    with pytest.raises(ConfigError, match="beam_energy must be a number in GeV"):
        compute(make_events([mercedes()]), ["x_p"], beam_energy=bad)


def test_bad_selection():
    with pytest.raises(ConfigError, match="unknown selection 'charged_final'; use one of"):
        compute(make_events([mercedes()]), ["thrust"], beam_energy=BEAM, selection="charged_final")
