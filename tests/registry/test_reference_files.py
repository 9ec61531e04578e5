"""The registry against the shipped reference files (read with mlhad.yoda).

Every object of both files must be an entry or a documented skip; the entries' x ranges
must match the files; and the reference data themselves must obey the normalisation
each entry claims (unit area integrates to 1, per-event spectra to <N_ch>, ...).
"""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.registry import analysis, check_binning, entries, lookup, skip_reason, skipped
from mlhad.yoda import read_yoda, reference_path, scatter_edges

ANALYSES = ("ALEPH_1996_S3486095", "DELPHI_1996_S3430090")


@pytest.fixture(scope="module", params=ANALYSES)
def reference(request):
    return request.param, read_yoda(reference_path(request.param))


def integral(scatter) -> float:
    return float((scatter.y * (scatter.xerr_minus + scatter.xerr_plus)).sum())


def test_every_object_is_an_entry_or_a_documented_skip(reference):
    name, objects = reference
    table = {e.ref_path for e in entries(name)}
    documented = {p for p, _ in analysis(name).skipped}
    in_file = set(objects)
    assert in_file == table | documented, (
        f"in the file only: {sorted(in_file - table - documented)}; "
        f"in the registry only: {sorted((table | documented) - in_file)}"
    )
    assert sorted(skipped(name, objects)) == sorted(documented)
    assert all(not skip_reason(p).startswith("unknown") for p in skipped(name, objects))


def test_x_ranges_and_points_match_the_files(reference):
    name, objects = reference
    for entry in entries(name):
        check_binning(entry, objects[entry.ref_path])  # raises on any mismatch
        edges = scatter_edges(objects[entry.ref_path], allow_gaps=True)
        assert edges[0] == pytest.approx(entry.x_range[0], abs=1e-9) and edges[-1] == pytest.approx(entry.x_range[1])


def test_mean_values_sit_at_the_centre_of_mass_energy(reference):
    name, objects = reference
    for entry in entries(name):
        if entry.normalisation == "mean":
            assert objects[entry.ref_path].x.tolist() == [pytest.approx(analysis(name).sqrt_s)]


def test_aleph_multiplicity_bins_are_width_two_on_even_values():
    s = read_yoda(reference_path("ALEPH_1996_S3486095"))["/REF/ALEPH_1996_S3486095/d18-x01-y01"]
    np.testing.assert_allclose(s.xerr_minus + s.xerr_plus, 2.0)
    np.testing.assert_allclose(s.x % 2, 0.0)
    # "fraction": heights are fractions of events, so they sum to 1 (published values are
    # rounded to 3 digits and the N_ch < 3 or > 55 tails are negligible: 0.5 %)
    assert s.y.sum() == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("name", ANALYSES)
def test_reference_data_obey_the_claimed_normalisations(name):
    objects = read_yoda(reference_path(name))
    n_charged = next(objects[e.ref_path].y[0] for e in entries(name) if e.normalisation == "mean" and e.observable == "n_charged")
    assert n_charged == pytest.approx(20.9, abs=0.05), "ALEPH 20.91, DELPHI 20.92"
    for entry in entries(name):
        s = objects[entry.ref_path]
        if entry.kind == "event" and entry.normalisation in ("unit_area", "per_event"):
            # every event fills once: area 1 up to tails outside the published range and
            # rounding of the published values (largest deviation: ALEPH aplanarity 0.992)
            assert integral(s) == pytest.approx(1.0, abs=0.015), entry.path
        elif entry.kind == "particle" and entry.normalisation == "per_event" and entry.selection == "charged":
            # per-event charged spectra integrate to <N_ch>, less the particles outside the
            # published range (at most 5 %: xi_p > 5.4 and x_p < 0.004)
            assert 0.94 * n_charged < integral(s) < 1.01 * n_charged, entry.path


def test_aleph_identified_spectra_integrate_to_their_rates():
    objects = read_yoda(reference_path("ALEPH_1996_S3486095"))
    rates = {e.observable[len("n_"):]: objects[e.ref_path].y[0] for e in entries("ALEPH_1996_S3486095") if e.path.split("/")[2].startswith("d44")}
    full_range = {"eta_xp01", "eta_prime_xp01", "k0", "rho0", "kstar0", "phi"}
    checked = set()
    for entry in entries("ALEPH_1996_S3486095"):
        species = entry.observable.split("_", 2)[-1]
        if entry.kind != "particle" or species not in rates:
            continue
        ratio = integral(objects[entry.ref_path]) / rates[species]
        # A per-event spectrum of a species integrates to at most its mean rate (3 %:
        # rounding and the separate errors of the two measurements); spectra whose
        # range covers all of phase space reach it within 3 %.
        assert ratio < 1.03, entry.path
        if species in full_range:
            assert ratio > 0.97, entry.path
        checked.add(species)
    assert full_range <= checked


def test_lookup_works_for_every_reference_object(reference):
    name, objects = reference
    for path in objects:
        if path in {p for p, _ in analysis(name).skipped}:
            continue
        assert lookup(path).ref_path == path
