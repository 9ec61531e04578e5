"""Reading YODA1, YODA2 and format-1 files: every field lands where the format says."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from mlhad.yoda import (
    BinnedEstimate,
    Counter,
    Estimate0D,
    Estimate1D,
    Estimate2D,
    Histo1D,
    Histo2D,
    Profile1D,
    Scatter1D,
    Scatter2D,
    Scatter3D,
    read_yoda,
    reads_yoda,
)


@pytest.fixture
def yoda1(datadir):
    return read_yoda(datadir / "yoda1_mc.yoda")


@pytest.fixture
def yoda2(datadir):
    return read_yoda(datadir / "yoda2_mc.yoda")


def test_yoda1_histo1d_bins_flows_total_and_gap(yoda1):
    h = yoda1["/TOY_ANALYSIS/d01-x01-y01"]
    assert isinstance(h, Histo1D)
    # bins were listed out of order in the file; they come back sorted by edge
    assert h.edges.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert h.sumw.tolist() == [3.0, 0.0, 4.0]
    assert h.sumw2.tolist() == [5.0, 0.0, 10.0]
    assert h.sumwx.tolist() == [1.5, 0.0, 10.0]
    assert h.numentries.tolist() == [2.0, 0.0, 3.0]
    assert h.underflow == (1.0, 1.0, -0.5, 0.25, 1.0)
    assert h.overflow.sumw == 2.0 and h.overflow.sumwx2 == 18.0
    # the YODA1 Total row is kept as written, even where it is not the sum of the rows
    assert h.total == (10.0, 20.0, 30.0, 40.0, 7.0)
    assert h.annotations == {"ScaledBy": "1.00000000000000002e-03", "Title": "~"}
    assert h.masked == ()
    # heights as YODA plots them: sumw / width, error sqrt(sumw2) / width
    np.testing.assert_array_equal(h.heights, [3.0, 0.0, 4.0])
    np.testing.assert_array_equal(h.height_errors, np.sqrt([5.0, 0.0, 10.0]))

    raw = yoda1["/RAW/TOY_ANALYSIS/d02-x01-y01"]
    # bins [0,1) and [3,4): the YODA1 gap [1,3) becomes a masked empty bin
    assert raw.edges.tolist() == [0.0, 1.0, 3.0, 4.0]
    assert raw.masked == (2,) and raw.masked_bins == (1,)
    assert raw.sumw.tolist() == [2.0, 0.0, 3.0]
    assert raw.is_raw and raw.is_bookkeeping and not h.is_bookkeeping


def test_yoda1_profile_histo2d_scatters_counters(yoda1):
    p = yoda1["/TOY_ANALYSIS/d03-x01-y01"]
    assert isinstance(p, Profile1D)
    assert p.mean.tolist() == [15.0, 25.0]  # sumwy / sumw
    assert p.dbn[1, 6] == 0.0  # YODA1 has no sumwxy column
    assert p.title == "mean multiplicity"

    h2 = yoda1["/TOY_ANALYSIS/d04-x01-y01"]
    assert isinstance(h2, Histo2D)
    assert h2.xedges.tolist() == [0.0, 1.0, 2.0] and h2.yedges.tolist() == [0.0, 1.0, 3.0]
    assert h2.sumw.tolist() == [[1.0, 0.0], [2.0, 3.0]]
    # cell x in [0,1), y in [1,3) is missing in the file: masked, global index ix + (nx+2) iy
    assert h2.masked == (1 + 4 * 2,)

    xsec = yoda1["/RAW/_XSEC"]
    assert isinstance(xsec, Scatter1D) and xsec.x.tolist() == [40503.0] and xsec.is_bookkeeping
    assert xsec.annotations["Variations"] == '[""]'
    s3 = yoda1["/REF/TOY_ANALYSIS/d05-x01-y01"]
    assert isinstance(s3, Scatter3D) and s3.z.tolist() == [7.0] and s3.zerr_plus.tolist() == [0.2]
    count = yoda1["/_EVTCOUNT"]
    assert isinstance(count, Counter) and (count.sumw, count.sumw2, count.numentries) == (1000.0, 1000.0, 1000.0)
    assert count.is_bookkeeping and yoda1["/RAW/TOY_ANALYSIS//TMP/sumw_passed"].is_bookkeeping


def test_yoda2_estimate1d_with_error_breakdown(yoda2):
    e = yoda2["/REF/TOY_ANALYSIS/d01-x01-y01"]
    assert isinstance(e, Estimate1D) and e.type_name == "Estimate1D"
    assert e.edges.tolist() == [0.0, 0.1, 0.3, 0.6]
    assert e.values.tolist() == [12.0, 5.0, 1.0]
    assert list(e.sources) == ["stat", "sys,detector"]  # a comma inside a quoted label
    dn, up = e.source_errors("sys,detector")
    assert dn[0] == -0.4 and math.isnan(dn[1]) and up[2] == -0.3  # '---' = source absent
    assert math.isnan(e.content[0]) and math.isnan(e.content[-1])  # empty flows are nan
    down, upt = e.total_errors()
    # quadrature of the downward (upward) parts of each source
    np.testing.assert_allclose(down, [0.5, 0.1, math.hypot(0.1, 0.3)], rtol=1e-15)
    np.testing.assert_allclose(upt, [0.5, 0.2, math.hypot(0.1, 0.2)], rtol=1e-15)
    s = e.to_scatter()
    assert s.edges.tolist() == e.edges.tolist() and s.y.tolist() == e.values.tolist()


def test_yoda2_discrete_axes_estimate0d_counter(yoda2):
    i_axis = yoda2["/REF/TOY_ANALYSIS/d02-x01-y01"]
    assert isinstance(i_axis, BinnedEstimate) and i_axis.type_name == "BinnedEstimate<i>"
    assert i_axis.axes == ((2, 4, 6),)
    assert i_axis.values.tolist() == [0.1, 0.2, 0.3]  # the "other" bin (row 0) is dropped
    s_axis = yoda2["/REF/TOY_ANALYSIS/d03-x01-y01"]
    assert s_axis.axes == (("pi+", "K+, K-", 'say "hi"'),) and s_axis.type_name == "BinnedEstimate<s>"
    assert s_axis.values.tolist() == [17.0, 2.2, 0.3] and s_axis.sources == {}
    xsec = yoda2["/_XSEC"]
    assert isinstance(xsec, Estimate0D) and xsec.value == 4.740384e07
    assert xsec.sources == {"stats": (-6773.2, 6773.2)} and xsec.total_error == (6773.2, 6773.2)
    assert isinstance(yoda2["/_EVTCOUNT"], Counter)


def test_yoda2_histo1d_rows_are_underflow_bins_overflow(yoda2):
    h = yoda2["/TOY_ANALYSIS/d01-x01-y01"]
    assert h.edges.tolist() == [0.0, 0.1, 0.3]
    assert h.underflow.sumw == 1.0 and h.overflow.sumw == 8.0
    assert h.sumw.tolist() == [2.0, 4.0] and h.sumw2.tolist() == [3.0, 5.0] and h.numentries.tolist() == [4.0, 6.0]
    assert h.total.sumw == 15.0  # YODA2 has no Total row: the sum of all rows


def test_yoda2_global_index_runs_first_axis_fastest(yoda2):
    h2 = yoda2["/TOY_ANALYSIS/d04-x01-y01"]  # row g holds sumW = g
    nx2 = h2.xedges.shape[0] + 1
    ix, iy = np.meshgrid(np.arange(nx2), np.arange(h2.yedges.shape[0] + 1), indexing="ij")
    np.testing.assert_array_equal(h2.dbn[..., 0], ix + nx2 * iy)
    assert h2.masked == (7,)
    e2 = yoda2["/REF/TOY_ANALYSIS/d05-x01-y01"]
    assert isinstance(e2, Estimate2D) and e2.content.shape == (4, 3)
    assert e2.content[2, 1] == 2 + 4 * 1
    p = yoda2["/TOY_ANALYSIS/d07-x01-y01"]
    assert p.mean.tolist() == [15.0] and p.dbn[1, 6] == 30.0  # V3 keeps sumW(A1,A2)


def test_yoda2_scatter_and_format1_file(yoda2, datadir):
    s = yoda2["/REF/TOY_ANALYSIS/d06-x01-y01"]
    assert isinstance(s, Scatter2D) and s.y.tolist() == [3.0, 4.0] and s.yerr_plus.tolist() == [0.2, 0.2]
    assert s.edges.tolist() == [0.0, 1.0, 2.0]
    old = read_yoda(datadir / "yoda_format1.yoda")  # "# BEGIN" lines, Key=value annotations
    s1 = old["/REF/OLD_ANALYSIS/d01-x01-y01"]
    assert s1.y.tolist() == [2.0] and s1.yerr_plus.tolist() == [0.3]
    assert s1.annotations == {"Title": "Old style", "XLabel": "$x$"}


def test_gzipped_file_is_detected_from_content(datadir, tmp_path):
    plain = read_yoda(datadir / "yoda2_mc.yoda")
    gz = tmp_path / "copy.yoda.gz"
    gz.write_bytes(gzip.compress((datadir / "yoda2_mc.yoda").read_bytes()))
    assert read_yoda(gz) == plain
    misnamed = tmp_path / "copy.yoda"  # gzip content without .gz: YODA detects it too
    misnamed.write_bytes(gz.read_bytes())
    assert read_yoda(misnamed) == plain


def test_patterns_and_unpatterns(datadir):
    path = datadir / "yoda1_mc.yoda"
    only_toy = read_yoda(path, patterns="^/TOY_ANALYSIS/")
    assert sorted(only_toy) == ["/TOY_ANALYSIS/d01-x01-y01", "/TOY_ANALYSIS/d03-x01-y01", "/TOY_ANALYSIS/d04-x01-y01"]
    no_bookkeeping = read_yoda(path, unpatterns=["^/RAW/", "/_"])
    assert all(not o.is_bookkeeping for o in no_bookkeeping.values())
    assert len(no_bookkeeping) == 4
    both = read_yoda(path, patterns=["d0[1-4]"], unpatterns=["^/RAW/"])
    assert sorted(both) == sorted(only_toy)


def test_annotation_continuation_lines_are_kept():
    text = (
        "BEGIN YODA_COUNTER_V3 /c\nDescription: first\n  second line\nPath: /c\nType: Counter\n---\n"
        "# sumW sumW2 numEntries\n1 1 1\nEND YODA_COUNTER_V3\n"
    )
    c = reads_yoda(text)["/c"]
    assert c.annotations["Description"] == "first\n  second line"


def test_format1_annotations_that_look_like_numbers():
    text = (
        "# BEGIN YODA_COUNTER /c\nNumEvents=100\nIsRef=0\ninfo=x\n"
        "1 2 3\n# END YODA_COUNTER\n"
    )
    c = reads_yoda(text)["/c"]
    assert (c.sumw, c.sumw2, c.numentries) == (1.0, 2.0, 3.0)
    assert c.annotations == {"NumEvents": "100", "IsRef": "0", "info": "x"}
