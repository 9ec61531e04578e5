"""Histogram.from_sums: precomputed sums give the same object as filling."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram


def test_from_sums_equals_filling():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=500), rng.random((500, 2))
    filled = Histogram(np.linspace(-2, 2, 9), n_variations=2).fill(x, w).add_events(w)
    rebuilt = Histogram.from_sums(
        filled.edges, sumw=filled.sumw_all, sumw2=filled.sumw2_all, sumwx=filled._sumwx, sumwx2=filled._sumwx2,
        numentries=filled._numentries, event_sumw=filled.event_sumw, event_sumw2=filled.event_sumw2,
        n_events=filled.n_events, variations=filled.variations)
    np.testing.assert_array_equal(rebuilt.sumw_all, filled.sumw_all)
    np.testing.assert_array_equal(rebuilt.sumw2_all, filled.sumw2_all)
    assert rebuilt.n_events == filled.n_events and rebuilt.variations == filled.variations
    with pytest.raises(HistogramError, match="sumw2 has shape"):
        Histogram.from_sums(filled.edges, sumw=filled.sumw_all, sumw2=np.zeros((2, 3)), sumwx=filled._sumwx,
                            sumwx2=filled._sumwx2, numentries=filled._numentries, event_sumw=filled.event_sumw,
                            event_sumw2=filled.event_sumw2, n_events=1)
