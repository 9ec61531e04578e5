"""Histogram <-> YODA, MC files with Rivet paths, and data/MC binning checks."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import BinningMismatchError, HistogramError
from mlhad.histograms import (
    Histogram,
    check_binning,
    density,
    edges_match,
    normalize,
    per_event,
    reference_bin_index,
    reference_edges,
    to_estimate1d,
    to_scatter2d,
    to_yoda_histo1d,
    write_mc_yoda,
)
from mlhad.yoda import Counter, Histo1D, read_reference, read_yoda

ALEPH = "ALEPH_1996_S3486095"


@pytest.fixture
def hist():
    rng = np.random.default_rng(4)
    x = rng.uniform(-0.1, 1.1, 400)
    w = rng.exponential(1.0, (400, 3))
    return Histogram([0.0, 0.2, 0.5, 1.0], n_variations=3, variations=["nominal", "alund_up", "alund_dn"]).fill(x, w).add_events(w)


@pytest.mark.parametrize("version", [1, 2])
def test_histogram_to_yoda_file_and_back_gives_the_same_numbers(hist, tmp_path, version):
    h = per_event(hist)
    out = write_mc_yoda(tmp_path / "mc.yoda", {f"/REF/{ALEPH}/d01-x01-y01": h}, version=version)
    back = read_yoda(out)
    assert list(back) == [f"/{ALEPH}/d01-x01-y01", f"/{ALEPH}/d01-x01-y01[alund_up]",
                          f"/{ALEPH}/d01-x01-y01[alund_dn]", "/_EVTCOUNT", "/_EVTCOUNT[alund_up]",
                          "/_EVTCOUNT[alund_dn]"]
    for k, suffix in enumerate(["", "[alund_up]", "[alund_dn]"]):
        y = back[f"/{ALEPH}/d01-x01-y01{suffix}"]
        assert isinstance(y, Histo1D)
        assert np.array_equal(y.edges, h.edges)
        assert np.array_equal(y.dbn[:, 0], h.sumw_all[k]) and np.array_equal(y.dbn[:, 1], h.sumw2_all[k])
        assert np.array_equal(y.dbn[:, 4], h.numentries_all)
        assert float(y.annotations["ScaledBy"]) == h.scaled_by[k]
        # YODA's heights agree with ours
        assert np.array_equal(y.heights, density(h).values[k])
        c = back["/_EVTCOUNT" + suffix]
        assert isinstance(c, Counter) and c.sumw == h.event_sumw[k] and c.numentries == h.n_events
    assert back[f"/{ALEPH}/d01-x01-y01"] == to_yoda_histo1d(h, f"/{ALEPH}/d01-x01-y01")


def test_scatter_and_estimate_views(hist):
    n = normalize(hist)
    s = to_scatter2d(n, "/A/h", variation="alund_up")
    d = density(n)
    assert s.edges.tolist() == n.edges.tolist()
    assert np.array_equal(s.y, d.values[1]) and np.array_equal(s.yerr_minus, d.errors[1])
    e = to_estimate1d(n, "/A/h")
    assert np.array_equal(e.values, d.values[0])
    dn, up = e.source_errors("stats")
    assert np.array_equal(-dn, d.errors[0]) and np.array_equal(up, d.errors[0])


def test_mc_paths_and_options(hist, tmp_path):
    write_mc_yoda(tmp_path / "a.yoda.gz", {"d01-x01-y01": hist}, analysis=ALEPH, variations=False, version=1)
    back = read_yoda(tmp_path / "a.yoda.gz")
    assert list(back) == [f"/{ALEPH}/d01-x01-y01", "/_EVTCOUNT"]
    with pytest.raises(HistogramError, match=r"key 'd01-x01-y01' is not a full path; .*analysis="):
        write_mc_yoda(tmp_path / "b.yoda", {"d01-x01-y01": hist})
    with pytest.raises(FileExistsError, match="already exists"):
        write_mc_yoda(tmp_path / "a.yoda.gz", {"/A/h": hist})
    other = Histogram(hist.edges, n_variations=3, variations=hist.variations).add_events(n=3)
    with pytest.raises(HistogramError, match=r"counted different events .* pass event_counter=False"):
        write_mc_yoda(tmp_path / "c.yoda", {"/A/h": hist, "/A/g": other})
    write_mc_yoda(tmp_path / "c.yoda", {"/A/h": hist, "/A/g": other}, event_counter=False)
    assert "/_EVTCOUNT" not in read_yoda(tmp_path / "c.yoda")


def test_reference_binning_closure_and_mismatch(tmp_path):
    ref = read_reference(ALEPH)
    thrust = ref[f"/REF/{ALEPH}/d03-x01-y01"]
    h = Histogram(reference_edges(thrust)).fill([0.01, 0.02]).add_events(n=2)
    check_binning("/ALEPH/d03", reference_edges(thrust), h.edges)  # closure: no error
    write_mc_yoda(tmp_path / "ok.yoda", {f"/{ALEPH}/d03-x01-y01": h}, reference=ref)

    shifted = h.edges.copy()
    shifted[5] += 1e-3
    with pytest.raises(BinningMismatchError, match=r"/A/d03: binnings differ at edge 5: data 0.025, MC 0.026"):
        check_binning("/A/d03", reference_edges(thrust), shifted)
    with pytest.raises(BinningMismatchError, match=r"/A/d03: data has 21 bins, MC has 2"):
        check_binning("/A/d03", reference_edges(thrust), [0.0, 0.1, 0.2])
    wrong = Histogram([0.0, 0.1, 0.2]).add_events(n=1)
    with pytest.raises(BinningMismatchError, match=rf"/{ALEPH}/d03-x01-y01: data has 21 bins, MC has 2"):
        write_mc_yoda(tmp_path / "bad.yoda", {f"/{ALEPH}/d03-x01-y01": wrong}, reference=ref)
    assert not (tmp_path / "bad.yoda").exists()
    with pytest.raises(HistogramError, match=r"no reference object /REF/ALEPH_1996_S3486095/d03-x01-y99.*did you mean"):
        write_mc_yoda(tmp_path / "bad.yoda", {f"/{ALEPH}/d03-x01-y99": wrong}, reference=ref)


def test_edges_match_tolerates_printed_precision_only():
    a = np.array([0.0, 0.005, 0.01, 0.8])
    assert edges_match(a, a * (1 + 3e-7))  # 7-digit rounding of the reference file
    assert not edges_match(a, a * (1 + 1e-4))
    assert not edges_match(a, a[:-1])


def test_gapped_reference_maps_points_to_bins():
    d25 = read_reference(ALEPH)[f"/REF/{ALEPH}/d25-x01-y01"]  # pi+- spectrum with a gap
    edges = reference_edges(d25, allow_gaps=True)
    idx = reference_bin_index(d25, edges)
    assert idx.shape == (d25.npoints,)
    # points 0-15 are bins 0-15, the gap [0.018, 0.045] is bin 16, the rest shift by one
    assert idx[:16].tolist() == list(range(16)) and idx[16:].tolist() == list(range(17, d25.npoints + 1))
    h = Histogram(edges).fill(d25.x).add_events(n=1)  # one fill at each point's x
    assert np.all(h.sumw[0, idx] == 1.0) and h.sumw[0, 16] == 0.0
    with pytest.raises(BinningMismatchError, match="reference bin 0 .* has no MC bin with these edges"):
        reference_bin_index(d25, np.linspace(0.0, 1.0, 5))
