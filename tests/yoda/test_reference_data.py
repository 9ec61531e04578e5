"""The shipped reference data: checksums, parsing, known values, exact round trips."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from mlhad.exceptions import BinningMismatchError, RegistryError
from mlhad.yoda import (
    Scatter2D,
    load_manifest,
    read_reference,
    read_yoda,
    reads_yoda,
    reference_names,
    reference_path,
    scatter_edges,
    writes_yoda,
)

ALEPH, DELPHI = "ALEPH_1996_S3486095", "DELPHI_1996_S3430090"


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.mark.parametrize("entry", load_manifest()["files"], ids=lambda e: e["analysis"])
def test_manifest_checksum_size_and_counts(entry):
    path = reference_path(entry["analysis"])
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{path} differs from the manifest checksum"
    assert len(data) == entry["bytes"]
    objects = read_yoda(path)
    assert len(objects) == entry["n_objects"]
    assert sum(o.npoints for o in objects.values()) == entry["n_points"]
    # every object is reference data: a Scatter2D under /REF/<analysis>/, not bookkeeping
    assert all(isinstance(o, Scatter2D) for o in objects.values())
    assert all(p.startswith(f"/REF/{entry['analysis']}/") and o.is_ref and not o.is_bookkeeping
               for p, o in objects.items())
    assert entry["publication"] and entry["inspire_id"] and entry["provenance"]


def test_counts_match_the_shared_readme(manifest):
    counts = {e["analysis"]: (e["n_objects"], e["n_points"]) for e in manifest["files"]}
    assert counts[ALEPH] == (67, 774)  # stated in the data README
    assert counts[DELPHI][0] == 104


def test_reference_path_accepts_old_and_new_rivet_names():
    assert reference_path("ALEPH_1996_I428072") == reference_path(ALEPH)
    assert reference_path("DELPHI_1996_I424112").name == f"{DELPHI}.yoda"
    assert reference_path(f"{ALEPH}.yoda") == reference_path(ALEPH)
    assert set(reference_names()) == {ALEPH, DELPHI}


def test_unknown_reference_name_is_a_registry_error_with_suggestion():
    with pytest.raises(RegistryError, match=r"no shipped reference data for 'ALEPH_1996_S3486059'.*Did you mean ALEPH_1996_S3486095"):
        reference_path("ALEPH_1996_S3486059")


def test_known_values():
    ref = read_reference(ALEPH)
    nch = ref[f"/REF/{ALEPH}/d19-x01-y01"]
    # ALEPH mean charged multiplicity 20.91 +- 0.22 (Phys. Rept. 294; the file's total error)
    assert nch.y.tolist() == [20.91]
    assert nch.yerr_plus[0] == pytest.approx(0.222036, abs=1e-12)
    sph = ref[f"/REF/{ALEPH}/d01-x01-y01"]
    assert sph.npoints == 23
    assert sph.y[0] == 12.36 and sph.yerr_minus[0] == 0.4079216
    assert sph.edges[:4].tolist() == [0.0, 0.005, 0.01, 0.015]
    assert sph.edges[-1] == 0.8


def test_edges_rebuild_for_every_contiguous_object():
    """Each reference point is a bin [x - xerr-, x + xerr+]; consecutive bins share edges."""
    gapped = {f"/REF/{ALEPH}/d2{i}-x01-y01" for i in (5, 6, 7)} | {f"/REF/{DELPHI}/d42-x01-y01"}
    overlapping = {f"/REF/{DELPHI}/d49-x01-y01"}
    for name in (ALEPH, DELPHI):
        for path, s in read_reference(name).items():
            if path in gapped | overlapping:
                continue
            edges = s.edges
            assert edges.shape == (s.npoints + 1,)
            # x need not be the bin centre (log bins), but x -+ xerr are the bin's edges, up
            # to the rounding of the printed numbers (7 significant digits: rtol 1e-6)
            np.testing.assert_allclose(edges[:-1], s.x - s.xerr_minus, rtol=1e-6, atol=1e-12)
            np.testing.assert_allclose(edges[1:], s.x + s.xerr_plus, rtol=1e-6, atol=1e-12)


def test_gapped_and_overlapping_reference_objects():
    d25 = read_reference(ALEPH)[f"/REF/{ALEPH}/d25-x01-y01"]
    with pytest.raises(BinningMismatchError, match=r"d25-x01-y01: gap between points 15 and 16: bin 15 ends at 0.018"):
        scatter_edges(d25)
    edges = scatter_edges(d25, allow_gaps=True)
    assert edges.shape == (d25.npoints + 2,)  # one gap bin [0.018, 0.045]
    assert 0.018 in edges and 0.045 in edges
    d49 = read_reference(DELPHI)[f"/REF/{DELPHI}/d49-x01-y01"]
    with pytest.raises(BinningMismatchError, match=r"points 0 and 1 overlap.*\[2.15, 2.35\].*\[2.34, 2.45\]"):
        scatter_edges(d49, allow_gaps=True)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("name", [ALEPH, DELPHI])
def test_reference_round_trip_is_exact(name, version):
    objects = read_reference(name)
    again = reads_yoda(writes_yoda(objects, version=version))
    assert list(again) == list(objects)
    assert again == objects
