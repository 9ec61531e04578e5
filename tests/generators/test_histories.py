"""Fragmentation histories are complete and consistent with the event record."""

from __future__ import annotations

from collections import Counter

import awkward as ak
import numpy as np
import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators.chunk_worker import configure_pythia, generate_chunk, chunk_tasks
from mlhad.generators.events import record_from_batch
from mlhad.generators.histories import assemble_histories

pytestmark = pytest.mark.pythia


@pytest.fixture(scope="module")
def batch_and_history():
    config = GeneratorConfig(preset="lep1", n_events=600, chunk_size=600, seed=5)
    pythia, recorder, _ = configure_pythia(config, seed=5)
    batch = pythia.nextBatch(600)
    record = record_from_batch(batch)
    history = assemble_histories(recorder.take(), record, detail="lean")
    return batch, history


def test_kinematic_ranges(lep1_sample):
    ev = lep1_sample.read(["breaks.z", "breaks.mT2", "breaks.rank"])
    z = ak.to_numpy(ak.flatten(ev.breaks.z))
    assert z.size > 20 * len(ev)
    assert np.all((z > 0) & (z < 1)), "z is a light-cone fraction in (0, 1)"
    assert np.all(ak.to_numpy(ak.flatten(ev.breaks.mT2)) > 0.018), "mT2 >= m_pi^2"


def test_record_counts_match_strings(lep1_sample):
    ev = lep1_sample.read(["breaks.accepted", "breaks.from_pos", "strings.n_breaks", "strings.n_pos", "strings.n_neg"])
    assert ak.all(ak.num(ev.breaks) == ak.sum(ev.strings.n_breaks, axis=1))
    assert ak.all(ak.sum(ev.breaks.accepted, axis=1) == ak.sum(ev.strings.n_pos + ev.strings.n_neg, axis=1))
    pos_acc = ak.sum(ev.breaks.accepted & ev.breaks.from_pos, axis=1)
    assert ak.all(pos_acc == ak.sum(ev.strings.n_pos, axis=1))


def test_accepted_ranks_are_consecutive(lep1_sample):
    ev = lep1_sample.read(["breaks"])
    for event in ev[:200]:
        b = event.breaks[event.breaks.accepted]
        for s in set(ak.to_list(b.string)):
            for side in (True, False):
                ranks = ak.to_list(b.rank[(b.string == s) & (b.from_pos == side)])
                assert ranks == list(range(len(ranks)))


def test_restarted_attempts_are_recorded(lep1_sample):
    """Pythia throws away and restarts many fragmentation attempts; they must be there."""
    ev = lep1_sample.read(["breaks.accepted"])
    rejected = ak.sum(~ev.breaks.accepted)
    total = ak.sum(ak.num(ev.breaks))
    assert 0.05 < rejected / total < 0.9, f"fraction of breaks from thrown-away attempts: {rejected / total:.3f}"


def test_histories_account_for_the_string_hadrons(batch_and_history):
    """Kept breaks + the final two hadrons of each string = Pythia's string hadrons (status 83/84)."""
    batch, history = batch_and_history
    for k in range(len(batch)):
        prt = batch.prt[k]
        string_hadrons = Counter(ak.to_list(prt.id[(abs(prt.status) == 83) | (abs(prt.status) == 84)]))
        b, s = history["breaks"][k], history["strings"][k]
        from_history = Counter(ak.to_list(b.pid[b.accepted])) + Counter(ak.to_list(s.pid_pos)) + Counter(
            ak.to_list(s.pid_neg))
        assert from_history == string_hadrons, f"event {k}"


def test_string_ends_are_partons(batch_and_history):
    _, history = batch_and_history
    ends = np.abs(ak.to_numpy(ak.flatten(history["strings"].end_pos)))
    assert np.all((ends <= 5) | (ends == 21) | ((ends > 1000) & (ends < 6000)))


def test_pt_draw_statistics(lep1_sample):
    """pt_n counts every Gaussian pT draw: each recorded break plus each stopping trial."""
    ev = lep1_sample.read(["pt_n", "pt_s", "breaks.z", "strings.n_pos"])
    n_breaks = ak.to_numpy(ak.num(ev.breaks))
    n_strings = ak.to_numpy(ak.num(ev.strings))
    pt_n = ak.to_numpy(ev.pt_n)
    assert np.all(pt_n >= n_breaks + n_strings)
    # E[(pT/sigma_q)^2] = 2 for a 2D Gaussian draw (enhanced-width draws are normalised
    # to their own width by Pythia): the mean per draw must be 2 within ~3 sigma.
    s = ak.to_numpy(ev.pt_s).sum()
    n = pt_n.sum()
    assert abs(s / n - 2.0) < 3 * 2.0 / np.sqrt(n)


def test_pt_statistics_reproduce_pythias_weights():
    """(pt_n, pt_s) predict Pythia's in-situ weight for any other sigma, event by event."""
    config = GeneratorConfig(preset="lep1", n_events=300, chunk_size=300, seed=17,
                             variations=("check frag:ptSigma=0.25",))
    array, _ = generate_chunk(chunk_tasks(config)[0])
    r = (0.335 / 0.25) ** 2
    predicted = r ** ak.to_numpy(array.pt_n) * np.exp(-0.5 * (r - 1.0) * ak.to_numpy(array.pt_s))
    np.testing.assert_allclose(predicted, ak.to_numpy(array.variation.check), rtol=1e-10)


def test_string_preset_is_pions_only(string_sample):
    ev = string_sample.read(["particles", "breaks.pid"])
    pids = set(np.unique(ak.to_numpy(ak.flatten(ev.particles.pid))).tolist())
    assert pids <= {211, -211, 111}
    assert ak.all(ev.particles.status == 1), "decays are off in the string preset"
    energy = ak.to_numpy(ak.sum(ev.particles.e, axis=1))
    np.testing.assert_allclose(energy, 50.0, rtol=1e-5)  # float32 storage
    assert ak.all(ak.num(ev.breaks) > 0)
