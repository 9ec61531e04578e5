"""The classifier score against its analytic value for Gaussian classes."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.inference.diagnose import auc_from_chi2, auc_standard_error, classify_observable, null_auc


@pytest.mark.parametrize("chi2", [0.5, 4.0, 12.0])
def test_auc_of_a_fixed_point_is_phi_of_sqrt_half_chi2(chi2):
    n = 6
    rng = np.random.default_rng(7)
    sigma = np.full(n, 0.1)
    mc = np.zeros((1, n))
    direction = rng.normal(size=n)
    data = direction / np.linalg.norm(direction) * np.sqrt(chi2) * 0.1   # Mahalanobis distance^2 = chi2
    score = classify_observable(data, sigma, mc, sigma[None], rng, n_replicas=1500)
    expected = float(auc_from_chi2(chi2))
    # held-out AUC of 3000 replicas: Hanley-McNeil error ~0.01; 4 errors plus the fit's small finite-sample loss
    assert score.auc == pytest.approx(expected, abs=4 * score.error + 0.01)


def test_null_auc_grows_with_the_number_of_bins():
    med8, q8 = null_auc(8)
    med40, _ = null_auc(40)
    # median chi2_8 = 7.34: Phi(sqrt(3.67)) = 0.972; 40 bins: Phi(sqrt(19.7)) = 0.99999
    assert med8 == pytest.approx(0.972, abs=0.003) and med40 > 0.9999 and q8 > med8
    assert auc_standard_error(0.5, 100, 100) == pytest.approx(np.sqrt((0.25 + 99 * (1 / 3 - 0.25) * 2) / 1e4), rel=1e-9)
