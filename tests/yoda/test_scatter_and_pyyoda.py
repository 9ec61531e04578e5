"""Bin edges from reference points; path helpers; the optional C++ YODA bridge's error path."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from mlhad.exceptions import BinningMismatchError, OptionalDependencyError
from mlhad.yoda import (
    Estimate1D,
    Histo1D,
    Scatter2D,
    from_pyyoda,
    import_pyyoda,
    is_bookkeeping_path,
    scatter_edges,
    strip_ref,
    to_pyyoda,
    variation_of,
)


def scatter(lo, hi, path="/REF/A/h"):
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    x = 0.5 * (lo + hi)
    return Scatter2D(path=path, x=x, xerr_minus=x - lo, xerr_plus=hi - x, y=np.ones_like(x))


def test_edges_from_printed_points_are_clean_decimals():
    # as printed by YODA1 (%e, 7 digits): x +- xerr rebuild the edge up to float noise
    s = Scatter2D(path="/REF/A/h", x=[0.0075, 0.0125, 0.045], xerr_minus=[0.0025, 0.0025, 0.03],
                  xerr_plus=[0.0025, 0.0025, 0.03], y=[1.0, 2.0, 3.0])
    assert s.edges.tolist() == [0.005, 0.01, 0.015, 0.075]


def test_edges_tolerate_7_digit_rounding_but_not_real_gaps():
    # bin edge 1/3 printed with 7 significant digits on both sides
    s = Scatter2D(path="/REF/A/h", x=[1.666667e-01, 6.666667e-01], xerr_minus=[1.666667e-01, 3.333333e-01],
                  xerr_plus=[1.666667e-01, 3.333333e-01], y=[1.0, 1.0])
    edges = scatter_edges(s)
    assert edges.shape == (3,) and edges[1] == pytest.approx(1 / 3, rel=1e-6)
    with pytest.raises(BinningMismatchError, match=r"/REF/A/h: gap between points 0 and 1: bin 0 ends at 1.0, bin 1 starts at 1.01"):
        scatter_edges(scatter([0.0, 1.01], [1.0, 2.0]))
    assert scatter_edges(scatter([0.0, 1.01], [1.0, 2.0]), allow_gaps=True).tolist() == [0.0, 1.0, 1.01, 2.0]


def test_unsorted_zero_width_and_empty_scatters_are_refused():
    with pytest.raises(BinningMismatchError, match="overlap or are unsorted"):
        scatter_edges(scatter([1.0, 0.0], [2.0, 1.0]))
    s = Scatter2D(path="/REF/A/mean", x=[91.2], y=[20.91])  # a mean value: no x width
    with pytest.raises(BinningMismatchError, match=r"point 0 \(x=91.2\) has bin \[91.2, 91.2\] of zero or negative width"):
        scatter_edges(s)
    with pytest.raises(BinningMismatchError, match="no points"):
        scatter_edges(Scatter2D(path="/REF/A/e", x=[], y=[]))


def test_estimate_and_histo_to_scatter_give_the_same_edges():
    edges = [0.0, 0.1, 0.25, 0.7]
    e = Estimate1D.from_bins("/REF/A/h", edges, [1.0, 2.0, 3.0], {"stats": ([-0.1, -0.1, -0.1], [0.2, 0.2, 0.2])})
    s = e.to_scatter()
    np.testing.assert_allclose(s.edges, edges, rtol=1e-15)
    assert s.yerr_minus.tolist() == [0.1] * 3 and s.yerr_plus.tolist() == [0.2] * 3
    h = Histo1D.from_bins("/A/h", edges, sumw=[1.0, 3.0, 9.0], sumw2=[1.0, 4.0, 9.0])
    hs = h.to_scatter()
    # mkScatter: y = sumw / width, yerr = sqrt(sumw2) / width
    np.testing.assert_allclose(hs.y, [10.0, 20.0, 20.0], rtol=1e-14)
    np.testing.assert_allclose(hs.yerr_plus, [10.0, 2 / 0.15, 3 / 0.45], rtol=1e-14)


def test_path_helpers():
    assert strip_ref("/REF/ALEPH_1996_S3486095/d01-x01-y01") == "/ALEPH_1996_S3486095/d01-x01-y01"
    assert strip_ref("/A/h") == "/A/h"
    assert variation_of("/A/h[MUR0.5_MUF1]") == "MUR0.5_MUF1" and variation_of("/A/h") is None
    assert [is_bookkeeping_path(p) for p in ("/_EVTCOUNT", "/RAW/A/h", "/TMP/x", "/A/_aux", "/A/h", "/REF/A/h")] == [
        True, True, True, True, False, False]


def test_pyyoda_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "yoda", None)  # makes "import yoda" fail
    with pytest.raises(OptionalDependencyError, match="needs the optional module 'yoda'.*unrelated package"):
        import_pyyoda()
    with pytest.raises(OptionalDependencyError):
        to_pyyoda({})
    with pytest.raises(OptionalDependencyError):
        from_pyyoda([])


def test_pyyoda_wrong_package_is_recognised(monkeypatch):
    fake = types.ModuleType("yoda")  # e.g. PyPI's unrelated 'yoda': no core, no Histo1D
    monkeypatch.setitem(sys.modules, "yoda", fake)
    with pytest.raises(OptionalDependencyError, match="is not the HEP YODA library"):
        import_pyyoda()


def test_pyyoda_bridge_with_a_stand_in_module(monkeypatch):
    """The bridge goes through YODA text: a stand-in module whose read/write use ours
    checks the plumbing (version pick, temporary files) without the C++ library."""
    from mlhad.yoda import read_yoda, write_yoda

    fake = types.ModuleType("yoda")
    fake.Histo1D = object  # looks like the HEP module
    fake.__version__ = "2.0.2"
    fake.read = lambda path, asdict=True: read_yoda(path)
    fake.write = lambda aos, path, precision=None: write_yoda(path, aos, overwrite=True)
    monkeypatch.setitem(sys.modules, "yoda", fake)
    objs = {"/A/h": Scatter2D(path="/A/h", x=[0.5], xerr_minus=[0.5], xerr_plus=[0.5], y=[0.1])}
    converted = to_pyyoda(objs)
    assert converted == objs
    assert from_pyyoda(converted) == objs
