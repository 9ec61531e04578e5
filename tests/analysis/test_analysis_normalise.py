"""Rivet's normalisations and the MC statistical errors: exact formulas and replica studies."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.analysis import Contributions, HistogramContributions, analysis_contributions, fill, normalise, predict
from mlhad.analysis.sparse import aggregate
from mlhad.exceptions import HistogramError

A = "/ALEPH_1996_S3486095/"


def _toy(normalisation: str, event: np.ndarray, x: np.ndarray, edges: np.ndarray, n_events: int,
         y: np.ndarray | None = None) -> Contributions:
    rows = aggregate(event, x, edges, y=y)
    h = HistogramContributions(path="/T/d01-x01-y01", normalisation=normalisation, kind="particle", edges=edges,
                               ref_bins=np.arange(edges.size - 1), accepted=np.ones(n_events, bool), **rows._asdict())
    return Contributions(analysis="T", n_events=n_events, beam_energy=45.6, histograms={h.path: h})


def test_unit_area_error_is_binomial():
    """One fill per event: a unit-area bin is a fraction R of N events, Var = R (1 - R) / N exactly."""
    rng = np.random.default_rng(1)
    n = 5000
    x = rng.choice([0.5, 1.5, 2.5], p=[0.2, 0.5, 0.3], size=n)
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    p = predict(_toy("unit_area", np.arange(n), x, edges, n))["/T/d01-x01-y01"]
    frac = np.bincount((x // 1).astype(int), minlength=3) / n
    np.testing.assert_allclose(p.values[0], frac, rtol=1e-12)  # width 1
    np.testing.assert_allclose(p.errors[0], np.sqrt(frac * (1 - frac) / n), rtol=1e-10)
    np.testing.assert_allclose(p.event_errors[0], np.sqrt(frac / n), rtol=1e-10)  # ignores the normalisation
    np.testing.assert_allclose(p.yoda_errors[0], np.sqrt(frac / n), rtol=1e-10)


def test_mean_error_is_the_standard_error_of_the_mean():
    rng = np.random.default_rng(2)
    n = 4000
    mult = rng.poisson(20, n)
    edges = np.array([90.7, 91.7])
    c = _toy("mean", np.arange(n), np.full(n, 91.2), edges, n)
    h = c["/T/d01-x01-y01"]
    # one fill of factor N_e per event, as Rivet fills <N_ch>
    c = Contributions("T", n, 45.6, {h.path: HistogramContributions(**{**h.__dict__, "count": mult.astype(float),
                                                                       "count2": mult.astype(float) ** 2})})
    p = predict(c)["/T/d01-x01-y01"]
    assert p.values[0, 0] == pytest.approx(mult.mean(), rel=1e-12)
    assert p.errors[0, 0] == pytest.approx(mult.std() / np.sqrt(n), rel=1e-10)
    # the "event" error sqrt(sum N^2)/N ignores that N is measured around its mean: ~ <N>/sqrt(n), much larger
    assert p.event_errors[0, 0] == pytest.approx(np.sqrt(np.sum(mult**2.0)) / n, rel=1e-10)
    assert p.event_errors[0, 0] > 4 * p.errors[0, 0]


def test_delta_method_matches_brute_force_with_weights():
    """Var(R_b) = sum_e w_e^2 (c_eb - R_b t_e)^2 / T^2, computed event by event."""
    rng = np.random.default_rng(3)
    n = 400
    mult = rng.poisson(4, n)
    event = np.repeat(np.arange(n), mult)
    x = rng.exponential(0.8, event.size)
    edges = np.array([0.0, 0.5, 1.0, 2.0])
    w = rng.uniform(0.2, 3.0, n)
    for mode in ("per_event", "unit_area"):
        c = _toy(mode, event, x, edges, n)
        p = predict(c, w)["/T/d01-x01-y01"]
        counts = np.zeros((n, edges.size + 1))
        np.add.at(counts, (event, np.searchsorted(edges, x, side="right")), 1.0)
        t = np.ones(n) if mode == "per_event" else counts.sum(axis=1)
        total = np.sum(w * t)
        ratio = (w[:, None] * counts).sum(axis=0) / total
        var = np.sum(w[:, None] ** 2 * (counts - ratio[None, :] * t[:, None]) ** 2, axis=0) / total**2
        widths = np.diff(edges)
        np.testing.assert_allclose(p.values[0], ratio[1:-1] / widths, rtol=1e-12, err_msg=mode)
        np.testing.assert_allclose(p.errors[0], np.sqrt(var[1:-1]) / widths, rtol=1e-9, err_msg=mode)


def test_errors_match_the_spread_of_replicas_where_yoda_errors_do_not():
    """Correlated fills: each event puts 0 or 3 particles into bin 0 and a Poisson number into bin 1.

    Over 400 independent replicas of 1000 events, the standard deviation of the per-event
    heights must match the predicted error (the std of a std from 400 replicas is 3.5 %;
    10 % is ~3 sigma). YODA's sqrt(sumw2) treats the 3 fills as independent and
    underestimates bin 0 by sqrt(1.5 / 2.25) = 0.82.
    """
    rng = np.random.default_rng(4)
    n, replicas = 1000, 400
    edges = np.array([0.0, 1.0, 2.0])
    values, errors, yoda = [], [], []
    for _ in range(replicas):
        triple = 3 * (rng.random(n) < 0.5)
        single = rng.poisson(2.0, n)
        event = np.concatenate([np.repeat(np.arange(n), triple), np.repeat(np.arange(n), single)])
        x = np.concatenate([np.full(triple.sum(), 0.5), np.full(single.sum(), 1.5)])
        p = predict(_toy("per_event", event, x, edges, n))["/T/d01-x01-y01"]
        values.append(p.values[0])
        errors.append(p.errors[0])
        yoda.append(p.yoda_errors[0])
    spread = np.std(values, axis=0, ddof=1)
    np.testing.assert_allclose(np.mean(errors, axis=0), spread, rtol=0.10)
    assert np.mean(yoda, axis=0)[0] < 0.9 * spread[0], "YODA's error ignores the correlation of the 3 fills"


def test_profile_mean_and_error_against_brute_force():
    rng = np.random.default_rng(6)
    n = 300
    mult = rng.poisson(5, n)
    event = np.repeat(np.arange(n), mult)
    x = rng.uniform(0, 1, event.size)
    y = rng.exponential(0.4, event.size) + x
    edges = np.array([0.0, 0.3, 1.0])
    p = predict(_toy("profile", event, x, edges, n, y=y))["/T/d01-x01-y01"]
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        inside = (x >= lo) & (x < hi)
        s = np.bincount(event[inside], minlength=n).astype(float)
        sy = np.bincount(event[inside], weights=y[inside], minlength=n)
        mean = sy.sum() / s.sum()
        assert p.values[0, b] == pytest.approx(mean, rel=1e-12)
        assert p.errors[0, b] == pytest.approx(np.sqrt(np.sum((sy - mean * s) ** 2)) / s.sum(), rel=1e-9)


def test_zero_one_weights_equal_analysing_the_subset(toy_events, toy_aleph):
    """Weights 0/1 select events: the prediction equals the one of the selected events alone."""
    mask = np.zeros(len(toy_events))
    mask[::3] = 1.0
    weighted = predict(toy_aleph, mask)
    subset = predict(analysis_contributions(toy_events[::3]))
    for path, p in subset.items():
        q = weighted[path]
        np.testing.assert_allclose(q.values, p.values, rtol=1e-10, atol=1e-12, err_msg=path)
        np.testing.assert_allclose(q.errors, p.errors, rtol=1e-8, atol=1e-12, err_msg=path)


def test_weight_columns_are_independent_and_unit_weights_change_nothing(toy_events, toy_aleph):
    rng = np.random.default_rng(7)
    w = rng.uniform(0.5, 1.5, (len(toy_events), 3))
    w[:, 0] = 1.0
    together = predict(toy_aleph, w, variations=["nominal", "up", "down"])
    plain = predict(toy_aleph)
    for k in range(3):
        alone = predict(toy_aleph, w[:, k])
        for path, p in together.items():
            np.testing.assert_allclose(p.values[k], alone[path].values[0], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(p.errors[k], alone[path].errors[0], rtol=1e-9, atol=1e-14)
    for path, p in plain.items():
        np.testing.assert_allclose(together[path].values[0], p.values[0], rtol=1e-12, atol=1e-14)
    assert together[A + "d01-x01-y01"].variations == ("nominal", "up", "down")


def test_constant_weights_leave_normalised_values_unchanged(toy_aleph):
    p1 = predict(toy_aleph)
    p2 = predict(toy_aleph, np.full(toy_aleph.n_events, 2.5))
    for path in p1:
        np.testing.assert_allclose(p2[path].values, p1[path].values, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(p2[path].errors, p1[path].errors, rtol=1e-9, atol=1e-14)
    raw = fill(toy_aleph, np.full(toy_aleph.n_events, 2.0))[A + "d09-x01-y01"]
    raw1 = fill(toy_aleph)[A + "d09-x01-y01"]
    np.testing.assert_allclose(raw.sumw, 2 * raw1.sumw)
    np.testing.assert_allclose(raw.sumw2, 4 * raw1.sumw2)


def test_bad_weights_are_refused(toy_aleph):
    n = toy_aleph.n_events
    bad = np.ones(n)
    bad[7] = np.nan
    with pytest.raises(HistogramError, match=r"1 non-finite weights .* out of 120; the first at index 7"):
        fill(toy_aleph, bad)
    with pytest.raises(HistogramError, match="119 event weights for a sample of 120 events"):
        fill(toy_aleph, np.ones(n - 1))
    filled = fill(toy_aleph, np.full(n, 2.0))
    with pytest.raises(HistogramError, match="pass the same weights to normalise"):
        normalise(filled, toy_aleph)
    with pytest.raises(HistogramError, match="not those the histogram was filled with"):
        normalise(filled, toy_aleph, np.ones(n))


def test_no_accepted_events_is_a_clear_error():
    from analysis_events import event_array

    lone = event_array([[{"p": (0, 0, 5.0)}, {"p": (0, 0, -5.0), "charge": 0}]])
    c = analysis_contributions(lone)
    with pytest.raises(HistogramError, match="no accepted events .* 1 events, 0 with at least 2 charged"):
        predict(c)
