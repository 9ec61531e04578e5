"""Step 1 on binned data: maximum-entropy weights, their known answers, and YODA input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mlhad.exceptions import InferenceError
from mlhad.reweight.homer import (BinnedConfig, FillStatistics, fit_maxent, measure, read_binned_targets,
                                  targets_from_objects, write_targets)
from mlhad.reweight.homer.binned_fit import chi2, predict
from mlhad.yoda import read_reference, reference_path

ALEPH = "ALEPH_1996_S3486095"


def _targets(*names: str):
    targets, _ = targets_from_objects(read_reference(ALEPH), [rf"/{n}$" for n in names])
    by_name = {t.path.rsplit("/", 1)[1]: t for t in targets}
    return [by_name[n] for n in names]


def _stats(targets, columns: list[np.ndarray]) -> FillStatistics:
    """Fill statistics of synthetic events: one value per event and histogram."""
    fills = []
    for t, x in zip(targets, columns, strict=True):
        col = np.searchsorted(t.edges, x, side="right")
        fills.append(sp.csr_matrix((np.ones(x.size), (np.arange(x.size), col)), shape=(x.size, t.n_bins + 2)))
    n = columns[0].size
    return FillStatistics(fills, [np.ones(n, bool) for _ in targets])


def test_one_histogram_gives_the_bin_ratio():
    """Known answer: for a single event-level histogram the maximum-entropy weight of an event
    is the data/simulation ratio of its bin. With 400k data events the ratio is measured to
    ~1-3% per bin; the fitted ratio must agree within 4 of its combined statistical errors."""
    (target,) = _targets("d03-x01-y01")  # 1 - T, unit area
    rng = np.random.default_rng(1)
    x_sim = rng.beta(1.2, 9.0, 100_000) * 0.4
    x_data = rng.beta(1.5, 9.0, 400_000) * 0.4
    sim = _stats([target], [x_sim])
    data = measure(_stats([target], [x_data]), [target])
    fit = fit_maxent(sim, data, BinnedConfig())
    assert fit.chi2_before > 5 * fit.n_points, "the test needs a real difference"
    assert fit.chi2_after <= fit.n_points * 1.05, "discrepancy principle: chi2 = n_points at the chosen ridge"
    w = np.exp(fit.log_weights(sim))
    (h_sim, e_sim), = predict(sim, data)
    (h_fit, _), = predict(sim, data, w)
    t = data[0]
    ok = h_sim > 0
    ratio_true = t.values[ok] / h_sim[ok]
    ratio_fit = h_fit[ok] / h_sim[ok]
    err = ratio_true * np.hypot(t.errors[ok] / t.values[ok], e_sim[ok] / h_sim[ok])
    assert np.all(np.abs(ratio_fit - ratio_true) < 4 * err)
    # events of one bin share one weight: the weight is a function of the bin only
    column = np.searchsorted(target.edges, x_sim, side="right")
    for b in np.unique(column)[:5]:
        assert np.ptp(w[column == b]) < 1e-12


def test_several_histograms_fitted_to_their_errors_keep_correlations():
    """Two correlated event shapes: the fit reaches chi2 = n_points (not below: no noise fitting)
    and the weighted simulation also moves a third, unfitted correlated observable towards data."""
    t1, t2, t3 = _targets("d03-x01-y01", "d07-x01-y01", "d01-x01-y01")  # 1-T, C, sphericity
    rng = np.random.default_rng(2)

    def events(n: int, hardness: float) -> list[np.ndarray]:
        u = rng.gamma(2.0, hardness, n)
        return [np.clip(0.02 * u + 0.01 * rng.random(n), 0, 0.39), np.clip(0.15 * u + 0.05 * rng.random(n), 0, 0.99),
                np.clip(0.05 * u + 0.02 * rng.random(n), 0, 0.79)]

    sim_cols, data_cols = events(60_000, 1.0), events(60_000, 1.15)
    sim = _stats([t1, t2], sim_cols[:2])
    data = measure(_stats([t1, t2], data_cols[:2]), [t1, t2])
    fit = fit_maxent(sim, data, BinnedConfig())
    n = fit.n_points
    assert fit.chi2_before > 3 * n
    assert 0.9 * n <= fit.chi2_after <= 1.05 * n, "bisection on the ridge stops within 10% below chi2 = n"
    w = np.exp(fit.log_weights(sim))
    third_sim, third_data = _stats([t3], [sim_cols[2]]), measure(_stats([t3], [data_cols[2]]), [t3])
    before, n3 = chi2(third_sim, third_data)
    after, _ = chi2(third_sim, third_data, w)
    assert after < 0.5 * before, f"unfitted correlated observable: chi2 {before:.0f} -> {after:.0f} for {n3} points"


def test_nothing_to_learn_gives_unit_weights():
    (target,) = _targets("d03-x01-y01")
    rng = np.random.default_rng(3)
    x = rng.beta(1.2, 9.0, 50_000) * 0.4
    sim = _stats([target], [x])
    data = measure(_stats([target], [x.copy()]), [target])  # identical events: chi2 = 0 < n
    fit = fit_maxent(sim, data, BinnedConfig())
    assert fit.ridge is None
    assert np.allclose(fit.log_weights(sim), 0.0)


def test_reference_file_matches_the_registry():
    targets, skipped = read_binned_targets(reference_path(ALEPH))
    names = {t.path.rsplit("/", 1)[1] for t in targets}
    assert {"d01-x01-y01", "d09-x01-y01", "d18-x01-y01", "d25-x01-y01"} <= names
    reasons = dict(skipped)
    assert "normalisation 'mean'" in reasons[f"/REF/{ALEPH}/d19-x01-y01"]
    gappy = next(t for t in targets if t.path.endswith("d25-x01-y01"))
    assert gappy.points.size < gappy.n_bins, "reference with gaps: some MC bins have no data point"


def test_yoda_without_usable_histograms_is_refused(tmp_path):
    with pytest.raises(InferenceError, match=r"no histogram usable.*patterns given: \['d99'\]"):
        read_binned_targets(reference_path(ALEPH), ["d99"])


def test_targets_round_trip_through_yoda(tmp_path):
    (target,) = _targets("d07-x01-y01")
    rng = np.random.default_rng(4)
    measured = measure(_stats([target], [rng.uniform(0, 1, 5000)]), [target])
    path = write_targets(tmp_path / "data.yoda", measured)
    back, _ = read_binned_targets(path)
    assert len(back) == 1
    assert np.allclose(back[0].values, measured[0].values, rtol=1e-12)
    assert np.allclose(back[0].errors, measured[0].errors, rtol=1e-12)
    assert np.allclose(back[0].edges, target.edges)
