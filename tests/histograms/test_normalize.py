"""Normalisation identities, error propagation, per-event normalisation, purity."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import HistogramError
from mlhad.histograms import Histogram, density, normalize, per_event, scale


@pytest.fixture
def filled():
    rng = np.random.default_rng(3)
    edges = np.array([0.0, 0.1, 0.25, 0.5, 1.0])  # unequal widths: area != sum of heights
    x = rng.uniform(-0.2, 1.2, 5000)
    w = rng.exponential(1.0, (5000, 2))
    return Histogram(edges, n_variations=2).fill(x, w).add_events(w)


def test_unit_area_integrates_to_one(filled):
    """Rivet's normalize(h): area = sum of sumw incl. flows; the density integrates to 1."""
    n = normalize(filled)
    # sums of ~5000 positive terms: agreement to rounding (1e-12 relative is generous)
    np.testing.assert_allclose(n.sumw_all.sum(axis=1), 1.0, rtol=1e-12)
    d = density(n)
    visible = (d.values * n.widths).sum(axis=1)
    np.testing.assert_allclose(visible + n.underflow + n.overflow, 1.0, rtol=1e-12)
    assert np.all(visible < 1.0)  # some fills are outside [0, 1): the visible part is less
    v = normalize(filled, 2.5, include_flows=False)
    np.testing.assert_allclose((density(v).values * v.widths).sum(axis=1), 2.5, rtol=1e-12)
    per_column = normalize(filled, [1.0, 3.0])
    np.testing.assert_allclose(per_column.sumw_all.sum(axis=1), [1.0, 3.0], rtol=1e-12)


def test_scaling_by_c_scales_errors_by_abs_c(filled):
    for c in (3.0, -0.5):
        s = scale(filled, c)
        np.testing.assert_array_equal(s.sumw, c * filled.sumw)
        np.testing.assert_allclose(s.sumw2, c * c * filled.sumw2, rtol=1e-15)
        np.testing.assert_allclose(density(s).errors, abs(c) * density(filled).errors, rtol=1e-15)
        assert s.scaled_by.tolist() == [c, c]
        assert np.array_equal(s.numentries, filled.numentries) and s.n_events == filled.n_events
    s2 = scale(filled, [2.0, 4.0])
    np.testing.assert_array_equal(s2.sumw[1], 4.0 * filled.sumw[1])


def test_functions_are_pure(filled):
    before = filled.sumw_all.copy()
    normalize(filled)
    scale(filled, 7.0)
    per_event(filled)
    assert np.array_equal(filled.sumw_all, before) and filled.scaled_by.tolist() == [1.0, 1.0]


def test_per_event_spectrum_integrates_to_mean_multiplicity():
    """Per-particle spectrum / sum of event weights integrates to <N> (Rivet's d09, d17)."""
    rng = np.random.default_rng(9)
    n_events = 2000
    mult = rng.poisson(20.0, n_events)
    wev = rng.uniform(0.5, 1.5, n_events)
    x = rng.uniform(0.0, 1.0, mult.sum())
    h = Histogram(np.linspace(0.0, 1.0, 11)).add_events(wev).fill(x, np.repeat(wev, mult))
    # events with no particles (and vetoed ones) still count in the denominator
    h.add_events(np.array([1.0, 1.0]))
    p = per_event(h)
    expect = (wev * mult).sum() / (wev.sum() + 2.0)
    integral = (density(p).values * p.widths).sum()
    assert integral == pytest.approx(expect, rel=1e-12)


def test_empty_histogram_cannot_be_normalised():
    empty = Histogram([0.0, 1.0]).fill([])
    with pytest.raises(HistogramError, match="no events: cannot normalise an empty histogram"):
        normalize(empty)
    with pytest.raises(HistogramError, match=r"no events: cannot normalise per event; count every event with add_events"):
        per_event(empty)
    zero = Histogram([0.0, 1.0], n_variations=2, variations=["nominal", "off"]).fill([0.5], [[1.0, 0.0]])
    with pytest.raises(HistogramError, match=r"zero area in weight column\(s\) \['off'\]"):
        normalize(zero)
    with pytest.raises(HistogramError, match=r"event weights of column\(s\) \['off'\] sum to zero"):
        per_event(zero.add_events([[1.0, 0.0]]))


def test_bad_factors_and_fill_after_scaling(filled):
    with pytest.raises(HistogramError, match=r"scale factor must be finite, got \[nan, nan\]"):
        scale(filled, float("nan"))
    with pytest.raises(HistogramError, match=r"one per weight column \(2,\), got shape \(3,\)"):
        scale(filled, [1.0, 2.0, 3.0])
    with pytest.raises(HistogramError, match="cannot fill a histogram that has been scaled"):
        normalize(filled).fill([0.5], np.ones((1, 2)))


def test_density_heights_and_errors():
    h = Histogram([0.0, 0.5, 2.0]).fill([0.1, 0.2, 1.0], [1.0, 2.0, 3.0])
    d = density(h)
    np.testing.assert_allclose(d.values, [[3.0 / 0.5, 3.0 / 1.5]], rtol=1e-15)
    np.testing.assert_allclose(d.errors, [[np.sqrt(5.0) / 0.5, 3.0 / 1.5]], rtol=1e-15)
    raw = density(h, divide_by_width=False)
    assert raw.values.tolist() == [[3.0, 3.0]] and raw.per_width is False
