"""Step 1 on a known density ratio, its calibration, and the separability statistics."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import InferenceError, ModelError
from mlhad.reweight.homer import ClassifierConfig, fit_classifier, fit_platt, reliability_curve, roc_auc
from mlhad.reweight.homer.calibration import auc_null_std, balanced_weights, effective_sample_fraction
from mlhad.reweight.homer.checks import DegenerateClassifierWarning, check_separability

MU = np.array([0.35, -0.25, 0.15])


def _gauss(rng: np.random.Generator, n: int, shift: np.ndarray) -> np.ndarray:
    return rng.normal(size=(n, 3)) + shift


def test_classifier_learns_a_known_density_ratio():
    """sim ~ N(0, 1), data ~ N(mu, 1): log w = mu.x - |mu|^2 / 2 exactly.

    With 15k events per class the learned log ratio must correlate with the truth at
    r > 0.97 (measured 0.996 with 20k), its rms error be below 0.1 (the truth has rms 0.47),
    and the weights must have mean 1 on independent simulated events within 4 standard
    errors (the normalisation was fitted on the training events only).
    """
    rng = np.random.default_rng(1)
    fit = fit_classifier(_gauss(rng, 15_000, 0), _gauss(rng, 15_000, MU), _gauss(rng, 4000, 0),
                         _gauss(rng, 4000, MU), ClassifierConfig(max_epochs=20, patience=4, hidden=(32, 32)),
                         seed=2, progress=False)
    x = _gauss(rng, 20_000, 0)
    learned, truth = fit.log_weights(x), x @ MU - MU @ MU / 2
    assert np.corrcoef(learned, truth)[0, 1] > 0.97
    assert np.sqrt(np.mean((learned - truth) ** 2)) < 0.1
    w = np.exp(learned)
    assert abs(w.mean() - 1) < 4 * w.std() / np.sqrt(w.size)
    # the weighted simulation reproduces the data mean of every coordinate (3 sigma)
    mean_w = (w[:, None] * x).sum(0) / w.sum()
    err = x.std(0) / np.sqrt(effective_sample_fraction(w) * w.size)
    assert np.all(np.abs(mean_w - MU) < 3 * np.hypot(err, 1 / np.sqrt(20_000)))


def test_platt_scaling_undoes_a_known_miscalibration():
    """Logits that are twice the true log ratio are corrected by slope 1/2 (within 5%)."""
    rng = np.random.default_rng(3)
    x = np.r_[_gauss(rng, 20_000, 0), _gauss(rng, 20_000, MU)]
    labels = np.r_[np.zeros(20_000), np.ones(20_000)]
    true_logit = x @ MU - MU @ MU / 2
    platt = fit_platt(2.0 * true_logit + 0.3, labels)
    assert platt.slope == pytest.approx(0.5, rel=0.05)
    assert platt.offset == pytest.approx(-0.15, abs=0.03)
    before = reliability_curve(1 / (1 + np.exp(-(2.0 * true_logit + 0.3))), labels)
    after = reliability_curve(1 / (1 + np.exp(-platt(2.0 * true_logit + 0.3))), labels)
    # perfect calibration leaves only binomial noise: ECE ~ sqrt(p(1-p)/n_bin) ~ 0.01 with 10 bins of 4000
    assert after.ece < 0.02 < before.ece


def test_auc_null_spread_matches_identical_samples():
    """The Mann-Whitney null variance: the spread of AUC over 200 pairs of identical samples
    agrees with auc_null_std within 20% (the sampling error of a std from 200 draws is 5%)."""
    rng = np.random.default_rng(4)
    aucs = [roc_auc(rng.normal(size=400), np.r_[np.zeros(200), np.ones(200)]) for _ in range(200)]
    assert np.std(aucs) == pytest.approx(auc_null_std(200, 200), rel=0.2)
    assert np.mean(aucs) == pytest.approx(0.5, abs=3 * auc_null_std(200, 200) / np.sqrt(200))


def test_effective_sample_fraction_and_balanced_weights():
    assert effective_sample_fraction(np.ones(10)) == pytest.approx(1.0)
    assert effective_sample_fraction(np.r_[np.ones(9), 0.0]) == pytest.approx(0.9)
    w = balanced_weights(np.r_[np.zeros(30), np.ones(10)])
    assert w[:30].sum() == pytest.approx(w[30:].sum())


def test_nothing_to_learn_is_refused_with_its_meaning():
    with pytest.raises(InferenceError, match=r"cannot tell simulation from data: AUC = 0\.50.*nothing to learn"):
        check_separability(0.502, 5000, 5000, auc_max=0.99, null_sigmas=3, on_degenerate="raise")


def test_no_overlap_is_refused_with_its_meaning():
    with pytest.raises(InferenceError, match=r"AUC = 0\.9990 > 0\.99.*barely overlap.*meaningless"):
        check_separability(0.999, 5000, 5000, auc_max=0.99, null_sigmas=3, on_degenerate="raise")


def test_degenerate_classifier_can_be_a_warning():
    with pytest.warns(DegenerateClassifierWarning, match="nothing to learn"):
        message = check_separability(0.5, 5000, 5000, auc_max=0.99, null_sigmas=3, on_degenerate="warn")
    assert "nothing to learn" in message
    assert check_separability(0.6, 5000, 5000, auc_max=0.99, null_sigmas=3, on_degenerate="raise") is None


def test_bad_features_are_rejected():
    x = np.zeros((10, 2))
    bad = x.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ModelError, match=r"infinite values in columns \[1\]"):
        fit_classifier(x, bad, x, x, ClassifierConfig(), seed=0, progress=False)
    with pytest.raises(ModelError, match="simulation has 2 features, data 3"):
        fit_classifier(x, np.zeros((10, 3)), x, x, ClassifierConfig(), seed=0, progress=False)
