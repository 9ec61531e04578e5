"""The sparse (event, bin) table reproduces direct histogramming exactly, for any event weights."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.analysis import aggregate, bin_of
from mlhad.analysis.contributions import HistogramContributions
from mlhad.analysis.fill import fill_one
from mlhad.histograms import Histogram


def test_bin_convention_is_yodas_half_open_bins():
    edges = np.array([0.0, 1.0, 2.0])
    # below -> -1 (underflow); on an inner edge -> upper bin; on the last edge -> overflow (n)
    assert bin_of(np.array([-0.1, 0.0, 0.999, 1.0, 1.5, 2.0, 7.0]), edges).tolist() == [-1, 0, 0, 1, 1, 2, 2]


def test_aggregate_sums_fills_per_event_and_bin():
    event = np.array([3, 0, 3, 3, 0])
    x = np.array([0.5, 1.5, 0.6, 1.2, 1.5])
    rows = aggregate(event, x, np.array([0.0, 1.0, 2.0]), factor=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    # sorted by event, then bin: (0, bin 1) <- x 1.5 twice (a 2, 5); (3, bin 0) <- 0.5, 0.6 (a 1, 3); (3, bin 1) <- 1.2
    assert rows.event.tolist() == [0, 3, 3]
    assert rows.bin.tolist() == [1, 0, 1]
    assert rows.count.tolist() == [7.0, 4.0, 4.0]
    assert rows.count2.tolist() == [29.0, 10.0, 16.0]
    assert rows.n_fills.tolist() == [2, 2, 1]
    np.testing.assert_allclose(rows.sumx, [2 * 1.5 + 5 * 1.5, 0.5 + 3 * 0.6, 4 * 1.2])


def _contributions(rows, n_events, edges):
    return HistogramContributions(
        path="/T/d01-x01-y01", normalisation="per_event", kind="particle", edges=edges,
        ref_bins=np.arange(len(edges) - 1), accepted=np.ones(n_events, bool), **rows._asdict())


@pytest.mark.parametrize("with_factor", [False, True])
def test_filling_from_rows_equals_filling_every_fill(with_factor):
    """sumw, YODA sumw2 (w**2 per fill), sumwx, sumwx2, numentries: identical to Histogram.fill."""
    rng = np.random.default_rng(5)
    n_events, k = 300, 3
    mult = rng.poisson(6, n_events)
    event = np.repeat(np.arange(n_events), mult)
    x = rng.normal(1.0, 0.7, event.size)
    factor = rng.uniform(0.1, 2.0, event.size) if with_factor else None
    edges = np.linspace(0.0, 2.0, 9)
    w = rng.uniform(0.5, 1.5, (n_events, k))

    direct = Histogram(edges, n_variations=k)
    fill_w = w[event] * (factor[:, None] if with_factor else 1.0)
    direct.fill(x, fill_w).add_events(w)
    rows = aggregate(event, x, edges, factor=factor)
    assert rows.n_fills.sum() == event.size
    sparse = fill_one(_contributions(rows, n_events, edges), w, ("w0", "w1", "w2"))

    for name in ("sumw_all", "sumw2_all", "sumwx_all", "sumwx2_all", "numentries_all", "event_sumw", "event_sumw2"):
        # the same sums in another order: equal to float64 rounding
        np.testing.assert_allclose(getattr(sparse, name), getattr(direct, name), rtol=1e-12, atol=1e-12, err_msg=name)
    assert sparse.n_events == direct.n_events
