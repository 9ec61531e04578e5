"""Particle selections (Rivet's ChargedFinalState, FinalState, UnstableParticles) and input checks."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from event_builders import make_events

from mlhad.exceptions import ConfigError, MissingColumnError, SampleError
from mlhad.observables import charged_final, final, unstable, with_pid

# one event: pi+ pi- (final), pi0 (decayed) -> gamma gamma, a decayed photon (vetoed by
# UnstableParticles), a quark (parton, vetoed), rho0 copy chain: rho0 (status 2) whose
# daughter is another rho0 (status 2) -> pi+ pi-; and a final K0_L.
PIDS = [211, -211, 111, 22, 22, 22, 1, 113, 113, 211, -211, 130]
CHARGES = [1, -1, 0, 0, 0, 0, 0, 0, 0, 1, -1, 0]
STATUS = [1, 1, 2, 1, 1, 2, 2, 2, 2, 1, 1, 1]
PARENTS = [-1, -1, -1, 2, 2, -1, -1, -1, 7, 8, 8, -1]


@pytest.fixture
def event() -> ak.Array:
    p = np.arange(len(PIDS) * 3, dtype=float).reshape(-1, 3) + 1.0
    return make_events([p], charges=[np.array(CHARGES)], pids=[np.array(PIDS)], status=[np.array(STATUS)], parents=[np.array(PARENTS)])


def test_charged_final_and_final(event):
    assert charged_final(event).pid.tolist() == [[211, -211, 211, -211]]
    assert final(event).pid.tolist() == [[211, -211, 22, 22, 211, -211, 130]]


def test_unstable_particles_like_rivet(event):
    kept = unstable(event).pid.tolist()[0]
    assert kept.count(113) == 1, "the rho0 copy with a same-id status-2 daughter is dropped"
    assert 1 not in kept, "partons are vetoed"
    assert kept.count(22) == 2, "status-1 photons kept, the status-2 photon vetoed"
    assert 111 in kept and 130 in kept
    assert len(kept) == 9


def test_with_pid_includes_charge_conjugates_by_default(event):
    assert with_pid(event, [211]).pid.tolist() == [[211, -211, 211, -211]]
    assert with_pid(event, [211], abs=False).pid.tolist() == [[211, 211]]
    assert with_pid(event, [-211], abs=False).pid.tolist() == [[-211, -211]]


def test_selections_keep_the_number_of_events():
    ev = make_events([np.zeros((0, 3)), np.ones((2, 3))], charges=[np.zeros(0), np.zeros(2)])
    assert len(charged_final(ev)) == 2 and ak.num(charged_final(ev)).tolist() == [0, 0]


def test_events_with_a_particles_field_are_accepted(event):
    events = ak.zip({"particles": event, "event": np.arange(1)}, depth_limit=1)
    for select in (charged_final, final, unstable, lambda p: with_pid(p, [211])):
        assert select(events).pid.tolist() == select(event).pid.tolist()


def test_parent_index_out_of_range(event):
    broken = make_events([np.ones((2, 3))], parents=[np.array([-1, 5])])
    with pytest.raises(SampleError, match="parent index 5 points past the end of its event"):
        unstable(broken)


def test_not_an_awkward_array():
    with pytest.raises(SampleError, match="expected an awkward Array of events, got ndarray"):
        charged_final(np.zeros((3, 4)))


def test_missing_field_is_named(event):
    without = event[["px", "py", "pz", "e", "status"]]
    with pytest.raises(MissingColumnError, match=r"lack field\(s\) \['charge'\]"):
        charged_final(without)


def test_flat_records_are_rejected():
    flat_records = ak.zip({"px": np.zeros(3), "status": np.ones(3)})
    with pytest.raises(SampleError, match="n_events \\* var"):
        final(flat_records)


def test_with_pid_needs_integer_ids(event):
    with pytest.raises(ConfigError, match="non-empty list of integer PDG ids"):
        with_pid(event, [])
    with pytest.raises(ConfigError, match="non-empty list of integer PDG ids, got \\['pi'\\]"):
        with_pid(event, ["pi"])
