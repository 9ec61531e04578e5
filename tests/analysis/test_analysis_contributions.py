"""Contributions of events to the ALEPH/DELPHI histograms: known answers and Rivet's conventions."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from analysis_events import event_array

from mlhad.analysis import analysis_contributions, fill, predict
from mlhad.histograms import Histogram
from mlhad.observables import compute
from mlhad.registry import entries
from mlhad.yoda import read_reference

A = "/ALEPH_1996_S3486095/"


@pytest.fixture(scope="module")
def hand_events():
    """Three events with known answers (massless particles, p_beam = 45.6 GeV).

    A: two charged back to back along z, |p| = 22.8 (x_p = 0.5, T = 1);
    B: four charged, (+-22.8, 0, 0) and (0, 0, +-12): x_p = 0.5, 0.5, 0.263, 0.263 and
       T = sqrt(22.8**2 + 12**2) / (22.8 + 12) (the axis in the x-z plane that sums both pairs);
    C: one charged and one neutral particle: vetoed (fewer than 2 charged).
    """
    a = [{"p": (0, 0, 22.8)}, {"p": (0, 0, -22.8), "charge": -1}]
    b = [{"p": (22.8, 0, 0)}, {"p": (-22.8, 0, 0), "charge": -1}, {"p": (0, 0, 12.0)}, {"p": (0, 0, -12.0), "charge": -1}]
    c = [{"p": (0, 0, 10.0)}, {"p": (0, 0, -10.0), "charge": 0}]
    return event_array([a, b, c])


def test_known_answers_of_hand_built_events(hand_events):
    c = analysis_contributions(hand_events)
    pred = predict(c)
    width = np.diff

    xp = c[A + "d09-x01-y01"]
    assert xp.accepted.tolist() == [True, True, False], "event C has one charged particle: vetoed"
    v = pred[A + "d09-x01-y01"]
    i05 = int(np.searchsorted(v.edges, 0.5, side="right") - 1)
    i026 = int(np.searchsorted(v.edges, 12.0 / 45.6, side="right") - 1)
    expected = np.zeros(v.edges.size - 1)
    expected[i05] = 4 / 2 / width(v.edges)[i05]   # four particles at x_p = 0.5 in 2 accepted events
    expected[i026] = 2 / 2 / width(v.edges)[i026]
    np.testing.assert_allclose(v.values[0], expected, rtol=1e-12)
    assert np.sum(v.values[0] * width(v.edges)) == pytest.approx(3.0), "per-event spectrum integrates to <N_ch> = 3"

    assert pred[A + "d19-x01-y01"].values[0, 0] == pytest.approx(3.0), "<N_ch> = (2 + 4) / 2"
    d18 = pred[A + "d18-x01-y01"]
    assert d18.values[0, 0] == pytest.approx(0.5), "N_ch = 4 is in [3, 5): half of the accepted events"
    assert d18.values[0].sum() == pytest.approx(0.5), "N_ch = 2 is below the first bin"

    thrust = pred[A + "d03-x01-y01"]
    t_b = np.hypot(22.8, 12.0) / (22.8 + 12.0)
    j = int(np.searchsorted(thrust.edges, 1 - t_b, side="right") - 1)
    assert thrust.values[0, 0] == pytest.approx(0.5 / width(thrust.edges)[0])
    assert thrust.values[0, j] == pytest.approx(0.5 / width(thrust.edges)[j])
    assert np.sum(thrust.values[0] * width(thrust.edges)) == pytest.approx(1.0), "unit area"


def test_every_aleph_histogram_equals_direct_histogramming(toy_events, toy_aleph):
    """Contributions -> fill gives exactly what filling mlhad.histograms.Histogram fill by fill gives."""
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 2.0, len(toy_events))
    filled = fill(toy_aleph, w)
    values = compute(toy_events, sorted({e.observable for e in entries("ALEPH_1996_S3486095")} | {"n_charged"}),
                     beam_energy=45.6)
    accepted = values["n_charged"] >= 2
    checked = 0
    for e in entries("ALEPH_1996_S3486095"):
        h = filled[e.path]
        direct = Histogram(h.edges).add_events(w[accepted])
        x = values[e.observable]
        if e.normalisation == "mean":
            centre = 0.5 * (h.edges[0] + h.edges[1])
            n = np.asarray(x, dtype=float)[accepted]
            if e.selection == "unstable":   # one fill of weight w per hadron
                direct.fill(np.full(int(n.sum()), centre), np.repeat(w[accepted], n.astype(int)))
            else:                           # one fill of weight n * w per event
                direct.fill(np.full(n.size, centre), n * w[accepted])
        elif e.kind == "event":
            x = np.asarray(x, dtype=float)
            ok = accepted & np.isfinite(x)
            direct.fill(x[ok], w[ok])
        else:
            counts = ak.to_numpy(ak.num(x, axis=1))
            ev = np.repeat(np.arange(len(counts)), counts)
            flat = ak.to_numpy(ak.flatten(x)).astype(float)
            ok = accepted[ev]
            direct.fill(flat[ok], w[ev[ok]])
        for name in ("sumw_all", "sumw2_all", "sumwx_all", "numentries_all", "event_sumw"):
            np.testing.assert_allclose(getattr(h, name), getattr(direct, name), rtol=1e-12, atol=1e-9,
                                       err_msg=f"{e.path} {name}")
        checked += 1
    assert checked == len(entries("ALEPH_1996_S3486095")) == 51


def test_delphi_pair_and_jet_rate_conventions(toy_events):
    c = analysis_contributions(toy_events, "DELPHI_1996_S3430090")
    values = compute(toy_events, ["eec_weight", "n_charged"], beam_energy=45.6)
    eec = c["/DELPHI_1996_S3430090/d33-x01-y01"]
    total = ak.to_numpy(ak.sum(values["eec_weight"], axis=1))
    # the fill factors of an event's pairs sum to sum_{i<j} E_i E_j / E_vis^2 (all pairs are in [-1, 1])
    np.testing.assert_allclose(np.bincount(eec.event, eec.count, minlength=len(toy_events)), total, rtol=1e-12)
    assert not np.array_equal(eec.count2, eec.count), "weighted fills keep sum a**2 separately (YODA sumw2)"
    y45 = c["/DELPHI_1996_S3430090/d31-x01-y01"]
    assert y45.accepted.tolist() == (values["n_charged"] >= 5).tolist(), "y45 needs at least 5 charged particles"
    profile = c["/DELPHI_1996_S3430090/d10-x01-y01"]
    assert profile.sumy is not None and profile.sumy.shape == profile.count.shape


def test_skipped_reference_objects_are_listed_with_reasons(toy_aleph):
    reference = read_reference("ALEPH_1996_S3486095")
    assert len(toy_aleph) + len(toy_aleph.skipped) == len(reference) == 67
    assert "/REF/ALEPH_1996_S3486095/d13-x01-y01" in toy_aleph.skipped
    assert "never filled" in toy_aleph.skipped["/REF/ALEPH_1996_S3486095/d44-x01-y01"]
    with pytest.raises(KeyError, match="never filled"):
        toy_aleph["/REF/ALEPH_1996_S3486095/d13-x01-y01"]


def test_gap_bins_map_reference_points(toy_aleph):
    """ALEPH d25 has a gap in x_p: one extra MC bin that no reference point uses."""
    h = toy_aleph[A + "d25-x01-y01"]
    ref = read_reference("ALEPH_1996_S3486095")["/REF" + A + "d25-x01-y01"]
    assert h.n_bins == len(ref.y) + 1
    assert len(h.ref_bins) == len(ref.y)
    np.testing.assert_allclose(h.edges[h.ref_bins], ref.xlow, rtol=1e-6)


def test_mean_values_are_per_event_values(toy_events, toy_aleph):
    n_charged = compute(toy_events, ["n_charged"], beam_energy=45.6)["n_charged"]
    np.testing.assert_array_equal(toy_aleph[A + "d19-x01-y01"].values, n_charged.astype(float))
    with pytest.raises(ValueError, match="means only"):
        toy_aleph[A + "d09-x01-y01"].values


def test_reference_objects_of_other_types_are_skipped_not_fatal(toy_events):
    from mlhad.yoda import Counter

    reference = dict(read_reference("ALEPH_1996_S3486095"))
    path = "/REF" + A + "d19-x01-y01"
    reference[path] = Counter(path=path, sumw=20.9, sumw2=1.0, numentries=1)
    c = analysis_contributions(toy_events[:10], reference=reference)
    assert A + "d19-x01-y01" not in c
    assert "a Counter reference object cannot be booked" in c.skipped[path]
