"""Bad histogram input gets a HistogramError that says what, how many, where."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram


def test_nan_and_inf_weights_are_counted_and_located():
    w = np.ones((6, 2))
    w[3, 1] = np.nan
    w[5, 0] = np.inf
    h = Histogram([0.0, 1.0], n_variations=2)
    with pytest.raises(HistogramError, match=r"2 non-finite weights \(NaN or inf\) out of 12; the first at row 3, column 1 is nan"):
        h.fill(np.full(6, 0.5), w)
    assert h.numentries_all.sum() == 0  # nothing half-filled


def test_nan_values_are_refused():
    with pytest.raises(HistogramError, match=r"1 non-finite values .* first at index 2 is inf; remove or fix"):
        Histogram([0.0, 1.0]).fill([0.1, 0.2, np.inf])


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        (np.zeros(3), np.ones(4), r"weights have 4 entries but there are 3 values"),
        (np.zeros(3), np.ones((3, 3)), r"weights have shape \(3, 3\), expected \(3, 2\)"),
        (np.zeros((3, 2)), None, r"values must be a 1D array \(N,\), got shape \(3, 2\); flatten"),
        (np.zeros(3, dtype=complex), None, r"values must be real numbers, got dtype complex128"),
        (np.zeros(3), np.ones((3, 2, 1)), r"weights must be \(N,\) or \(N, K\)"),
    ],
)
def test_shape_and_type_errors(values, weights, message):
    with pytest.raises(HistogramError, match=message):
        Histogram([0.0, 1.0], n_variations=2).fill(values, weights)


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([1.0], r"at least 2 values"),
        ([0.0, 1.0, 1.0], r"strictly increasing; edges\[1\] = 1.0 and edges\[2\] = 1.0"),
        ([0.0, np.nan], r"must be finite"),
        ([[0.0, 1.0]], r"1D array"),
    ],
)
def test_bad_edges(edges, message):
    with pytest.raises(HistogramError, match=message):
        Histogram(edges)


def test_bad_variations_and_events():
    with pytest.raises(HistogramError, match="n_variations must be a positive integer, got 0"):
        Histogram([0.0, 1.0], n_variations=0)
    with pytest.raises(HistogramError, match="must be distinct, non-empty, lowercase"):
        Histogram([0.0, 1.0], n_variations=2, variations=["Nominal", "x"])
    with pytest.raises(HistogramError, match=r"no variation 'up'; variations are \['w0'\]"):
        Histogram([0.0, 1.0]).column_index("up")
    with pytest.raises(HistogramError, match="add_events needs event weights or n >= 0"):
        Histogram([0.0, 1.0]).add_events()
    with pytest.raises(HistogramError, match="cannot add histograms with different edges"):
        Histogram([0.0, 1.0]) + Histogram([0.0, 2.0])
