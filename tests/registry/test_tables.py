"""The registry tables and lookups, without the reference files."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mlhad.exceptions import BinningMismatchError, RegistryError
from mlhad.observables import OBSERVABLES
from mlhad.registry import ANALYSES, Analysis, Entry, analysis, check_binning, entries, lookup, skip_reason, skipped

ALEPH, DELPHI = "ALEPH_1996_S3486095", "DELPHI_1996_S3430090"


@pytest.mark.parametrize("name", [ALEPH, DELPHI])
def test_entries_are_consistent(name):
    table = entries(name)
    paths = [e.path for e in table]
    assert len(paths) == len(set(paths)), "one entry per histogram"
    assert all(e.analysis == name for e in table)
    skip = {p for p, _ in analysis(name).skipped}
    assert not skip & {e.ref_path for e in table}, "an object is either an entry or skipped"
    for e in table:
        assert OBSERVABLES[e.observable].kind == e.kind
        if e.normalisation == "mean":
            assert e.n_bins == 1 and e.kind == "event"


def test_aleph_normalisations_follow_rivets_code():
    by = {e.path.split("/")[2]: e for e in entries(ALEPH)}
    assert all(by[f"d0{i}-x01-y01"].normalisation == "unit_area" for i in range(1, 9)), "normalize(h)"
    for d in ("d09", "d10", "d11", "d12", "d17", "d25", "d29", "d43"):
        assert by[f"{d}-x01-y01"].normalisation == "per_event", d
    assert by["d18-x01-y01"].normalisation == "fraction"
    assert by["d19-x01-y01"].observable == "n_charged" and by["d19-x01-y01"].normalisation == "mean"
    assert by["d05-x01-y01"].observable == "neg_ln_y23"
    assert by["d44-x01-y03"].observable == "n_eta_xp01", "ALEPH counts etas with x_p >= 0.1 only"
    assert by["d30-x01-y01"].observable == "x_e_eta_xp01", "eta spectrum in x_E"
    assert by["d28-x01-y01"].observable == "xi_p_gamma"
    assert {e.selection for e in entries(ALEPH) if e.path >= "/ALEPH_1996_S3486095/d25"} == {"unstable"}


def test_delphi_jet_rates_count_only_events_with_enough_particles():
    by = {e.path.split("/")[2]: e for e in entries(DELPHI)}
    for d, n in (("d27", 3), ("d28", 3), ("d29", 4), ("d30", 4), ("d31", 5), ("d32", 5)):
        assert by[f"{d}-x01-y01"].min_charged == n, d
    assert by["d11-x01-y01"].normalisation == "per_event", "DELPHI scales shapes by 1/sumW"
    assert by["d09-x01-y01"].normalisation == "profile" and by["d09-x01-y01"].value == "pt_out_thrust"
    assert by["d33-x01-y01"].weight == "eec_weight" and by["d34-x01-y01"].weight == "aeec_weight"
    assert by["d40-x01-y06"].observable == "n_sigma1385_minus", "Rivet counts pid 3114 only"


def test_beam_convention_and_veto():
    for a in ANALYSES.values():
        assert a.sqrt_s == 91.2 and a.beam_energy == pytest.approx(45.6), "p_beam = sqrt(s) / 2"
        assert a.min_charged == 2, "events with fewer than 2 charged particles are vetoed"


@pytest.mark.parametrize(
    "path",
    [
        "/REF/ALEPH_1996_S3486095/d01-x01-y01",
        "/ALEPH_1996_S3486095/d01-x01-y01",
        "ALEPH_1996_S3486095/d01-x01-y01",
        "/REF/ALEPH_1996_I428072/d01-x01-y01",
    ],
)
def test_lookup_by_any_spelling_of_the_path(path):
    entry = lookup(path)
    assert isinstance(entry, Entry) and entry.observable == "sphericity"
    assert entry.ref_path == "/REF/ALEPH_1996_S3486095/d01-x01-y01"


def test_lookup_analysis_by_name_and_alias():
    assert isinstance(lookup(ALEPH), Analysis)
    assert lookup("DELPHI_1996_I424112").name == DELPHI


def test_unknown_analysis_suggests_close_names():
    with pytest.raises(RegistryError, match="unknown analysis 'ALEPH_1996_S3486059'. Did you mean ALEPH_1996_S3486095"):
        lookup("ALEPH_1996_S3486059")


def test_unknown_histogram_suggests_close_paths():
    with pytest.raises(RegistryError, match=r"no registry entry for /ALEPH_1996_S3486095/d01-x01-y09. Did you mean /ALEPH_1996_S3486095/d01-x01-y01"):
        lookup("/REF/ALEPH_1996_S3486095/d01-x01-y09")


def test_skipped_object_lookup_says_why():
    with pytest.raises(RegistryError, match=r"d13-x01-y01 has no MC counterpart \(never filled by Rivet's ALEPH_1996_S3486095"):
        lookup("/REF/ALEPH_1996_S3486095/d13-x01-y01")


def test_not_a_path():
    with pytest.raises(RegistryError, match="is not a histogram path"):
        lookup("/REF/ALEPH_1996_S3486095/d01/x01")


def test_skipped_lists_objects_without_entries_in_order():
    paths = [
        "/REF/ALEPH_1996_S3486095/d13-x01-y01",
        "/REF/ALEPH_1996_S3486095/d01-x01-y01",
        "/_EVTCOUNT",
        "/REF/ALEPH_1996_S3486095/d99-x01-y01",
        "/REF/ALEPH_1996_S3486095/d44-x01-y01",
    ]
    assert skipped(ALEPH, paths) == [paths[0], paths[2], paths[3], paths[4]]
    assert skip_reason(paths[1]) is None
    assert "not booked" in skip_reason(paths[0])
    assert skip_reason(paths[2]).startswith("bookkeeping")
    assert skip_reason(paths[3]).startswith("unknown to the registry")


def test_skipped_rejects_paths_of_another_analysis():
    with pytest.raises(RegistryError, match="belongs to another analysis than ALEPH_1996_S3486095"):
        skipped(ALEPH, ["/REF/DELPHI_1996_S3430090/d41-x01-y01"])


def test_compute_selection():
    assert lookup("/ALEPH_1996_S3486095/d25-x01-y01").compute_selection == "charged", "identified: unstable -> charged veto"
    assert lookup("/ALEPH_1996_S3486095/d01-x01-y01").compute_selection == "charged"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"observable": "thrusst"}, "observable 'thrusst' is not an observable"),
        ({"kind": "particle"}, "observable 'sphericity' is per event, the entry per particle"),
        ({"normalisation": "area"}, "normalisation 'area' is not one of"),
        ({"normalisation": "profile"}, "a value observable is needed exactly for profile entries"),
        ({"selection": "neutral"}, "selection 'neutral' is not one of"),
        ({"selection": "unstable"}, "selection 'unstable' does not fit 'sphericity'"),
        ({"x_range": (1.0, 0.0)}, r"x_range \(1.0, 0.0\) and n_bins 23 do not describe bins"),
        ({"path": "ALEPH/d01"}, "path must look like"),
    ],
)
def test_bad_entries_are_rejected(changes, message):
    fields = dict(path="/ALEPH_1996_S3486095/d01-x01-y01", observable="sphericity", selection="charged",
                  kind="event", normalisation="unit_area", x_range=(0.0, 0.8), n_bins=23)
    fields.update(changes)
    with pytest.raises(RegistryError, match=message):
        Entry(**fields)


def test_check_binning_catches_a_changed_reference():
    entry = lookup("/ALEPH_1996_S3486095/d01-x01-y01")
    edges = np.linspace(0.0, 0.8, 24)
    good = SimpleNamespace(x=(edges[1:] + edges[:-1]) / 2, xerr_minus=np.diff(edges) / 2, xerr_plus=np.diff(edges) / 2)
    check_binning(entry, good)
    wider = SimpleNamespace(x=good.x * 1.25, xerr_minus=good.xerr_minus * 1.25, xerr_plus=good.xerr_plus * 1.25)
    with pytest.raises(BinningMismatchError, match=r"the reference has 23 points on \[0, 1\], the registry expects 23 on \[0, 0.8\]"):
        check_binning(entry, wider)


def test_every_registry_observable_computes():
    import awkward as ak

    from mlhad.observables import compute

    rng = np.random.default_rng(1)
    p = rng.normal(size=(12, 3)) * 3
    one = {"m": 0.14, "status": 1, "parent": -1}
    event = [dict(one, px=a, py=b, pz=c, e=float(np.sqrt(a * a + b * b + c * c + 0.0196)), pid=211 * q, charge=q)
             for (a, b, c), q in zip(p.tolist(), [1, -1] * 6)]
    particles = ak.Array([event, event[:3]])
    for name in ANALYSES:
        for selection in ("charged", "final"):
            group = [e for e in entries(name) if e.compute_selection == selection]
            names = sorted({n for e in group for n in (e.observable, e.weight, e.value) if n})
            out = compute(particles, names, beam_energy=analysis(name).beam_energy, selection=selection)
            assert sorted(out) == names
            assert all(len(v) == 2 for v in out.values()), "one row per event"
