"""Filling: hand-computed sums, bin-edge conventions, weight columns, textbook statistics."""

from __future__ import annotations

import numpy as np

from mlhad.histograms import Histogram, accumulate, bin_index


def test_hand_computed_sums_with_weights_squared():
    h = Histogram([0.0, 1.0, 2.0, 4.0])
    h.fill([0.5, 0.25, 1.5, 3.0, 3.5, -1.0, 7.0], [2.0, -1.0, 3.0, 0.5, 0.5, 4.0, 5.0])
    assert h.sumw.tolist() == [[1.0, 3.0, 1.0]]  # 2 - 1, 3, 0.5 + 0.5
    assert h.sumw2.tolist() == [[5.0, 9.0, 0.5]]  # 4 + 1, 9, 0.25 + 0.25
    assert h.numentries.tolist() == [2.0, 1.0, 2.0]
    assert h.underflow.tolist() == [4.0] and h.overflow.tolist() == [5.0]
    assert h.sumw2_all[0].tolist() == [16.0, 5.0, 9.0, 0.5, 25.0]
    assert h.sumwx_all[0, 1] == 2.0 * 0.5 - 0.25  # sum of w x
    assert h.sumwx2_all[0, 3] == 0.5 * 9.0 + 0.5 * 12.25  # sum of w x^2


def test_bin_edges_are_low_inclusive_and_the_last_upper_edge_is_overflow():
    edges = np.array([0.0, 1.0, 2.0])
    # on the first edge -> bin 0; on an inner edge -> the upper bin; on the last edge -> overflow
    assert bin_index(np.array([-1e-300, 0.0, 1.0, np.nextafter(2.0, 0.0), 2.0]), edges).tolist() == [0, 1, 2, 2, 3]
    h = Histogram(edges).fill([0.0, 1.0, 2.0])
    assert h.sumw.tolist() == [[1.0, 1.0]] and h.overflow.tolist() == [1.0]
    # numpy's histogram puts x == last edge into the last bin; YODA/Rivet do not
    counts, _ = np.histogram([0.0, 1.0, 2.0], bins=edges)
    assert counts.tolist() == [1, 2]


def test_weight_columns_equal_separate_fills():
    rng = np.random.default_rng(11)
    x = rng.normal(size=1000)
    w = rng.exponential(size=(1000, 3))
    edges = np.linspace(-2, 2, 9)
    together = Histogram(edges, n_variations=3).fill(x, w)
    for k in range(3):
        alone = Histogram(edges).fill(x, w[:, k])
        # same sums in the same order: bit-identical
        assert np.array_equal(together.sumw_all[k], alone.sumw_all[0])
        assert np.array_equal(together.sumw2_all[k], alone.sumw2_all[0])
        assert np.array_equal(together.sumwx2_all[k], alone.sumwx2_all[0])
    # (N,) weights go to every column; a Fortran-ordered (N, K) array gives the same result
    shared = Histogram(edges, n_variations=3).fill(x, w[:, 0])
    assert np.array_equal(shared.sumw_all, np.repeat(together.sumw_all[:1], 3, axis=0))
    fortran = Histogram(edges, n_variations=3).fill(x, np.asfortranarray(w))
    assert np.array_equal(fortran.sumw_all, together.sumw_all)


def test_many_columns_cross_checked_by_brute_force():
    """More columns than one internal block (16): compare with a plain loop over fills."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-0.5, 3.5, 300)
    w = rng.normal(1.0, 0.3, (300, 37))
    edges = np.array([0.0, 0.5, 1.5, 3.0])
    sums = accumulate(x, edges, w, n_variations=37)
    expect = np.zeros((37, 5))
    expect2 = np.zeros((37, 5))
    for xi, wi in zip(x, w, strict=True):
        b = 0 if xi < 0.0 else (4 if xi >= 3.0 else 1 + int(np.searchsorted(edges, xi, side="right")) - 1)
        expect[:, b] += wi
        expect2[:, b] += wi * wi
    # bincount and the loop add in the same order, but allow for compiler reassociation
    np.testing.assert_allclose(sums.sumw, expect, rtol=1e-13)
    np.testing.assert_allclose(sums.sumw2, expect2, rtol=1e-13)
    assert sums.numentries.sum() == 300


def test_empty_input_gives_a_valid_empty_histogram():
    h = Histogram([0.0, 1.0], n_variations=2).fill([], np.zeros((0, 2))).fill(np.array([], dtype=int))
    assert h.sumw.tolist() == [[0.0], [0.0]] and h.numentries.sum() == 0 and h.n_events == 0


def test_add_events_and_merging_chunks():
    rng = np.random.default_rng(2)
    x, w = rng.random(200), rng.random((200, 2))
    ev = rng.random((50, 2))
    whole = Histogram([0.0, 0.5, 1.0], n_variations=2).fill(x, w).add_events(ev)
    a = Histogram([0.0, 0.5, 1.0], n_variations=2).fill(x[:80], w[:80]).add_events(ev[:20])
    b = Histogram([0.0, 0.5, 1.0], n_variations=2).fill(x[80:], w[80:]).add_events(ev[20:])
    merged = a + b
    np.testing.assert_allclose(merged.sumw_all, whole.sumw_all, rtol=1e-14)  # summation order differs
    np.testing.assert_allclose(merged.event_sumw, ev.sum(axis=0), rtol=1e-14)
    assert merged.n_events == 50 and a.n_events == 20  # + does not modify its operands
    unit = Histogram([0.0, 1.0]).add_events(n=7)
    assert unit.event_sumw.tolist() == [7.0] and unit.event_sumw2.tolist() == [7.0] and unit.n_events == 7


def test_sumw2_is_the_variance_of_sumw():
    """Textbook: for weighted Poisson fills, (sumw - E[sumw]) / sqrt(sumw2) ~ N(0, 1).

    N_b ~ Poisson(mu_b) fills of weight w ~ Exp(1): E[sumw_b] = mu_b E[w], and sumw2_b
    estimates Var(sumw_b) = mu_b E[w^2]. Over 400 bins the pulls' mean and variance must
    be 0 and 1 within their sampling errors (1/sqrt(400) = 0.05 and sqrt(2/400) = 0.07);
    we allow 4 of those.
    """
    rng = np.random.default_rng(2024)
    n_bins, mu = 400, 400.0
    n = rng.poisson(mu * n_bins)
    x = rng.uniform(0.0, 1.0, n)
    w = rng.exponential(1.0, n)
    h = Histogram(np.linspace(0.0, 1.0, n_bins + 1)).fill(x, w)
    pulls = (h.sumw[0] - mu * 1.0) / np.sqrt(h.sumw2[0])
    assert abs(pulls.mean()) < 4 * 0.05, f"pull mean {pulls.mean():.3f}"
    assert abs(pulls.var() - 1.0) < 4 * 0.071, f"pull variance {pulls.var():.3f}"
    # unit weights: sumw2 equals the counts exactly
    u = Histogram(np.linspace(0.0, 1.0, 11)).fill(x)
    assert np.array_equal(u.sumw2, u.sumw) and np.array_equal(u.sumw[0], u.numentries)
