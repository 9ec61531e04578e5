"""Step-1 input (b): the hadron cloud through mlhad.encoder's event embedding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.exceptions import ModelError
from mlhad.reweight.homer import ClassifierConfig, Homer, HomerConfig, fit_classifier, roc_auc
from mlhad.reweight.homer.calibration import auc_null_std, effective_sample_fraction
from mlhad.reweight.homer.features import encoder_features, sample_features

pytestmark = pytest.mark.pythia

N = 2000  # events per sample: 1200 train, 400 validation, 400 test


def _small_encoder():
    from mlhad.encoder import EncoderConfig, PETEncoder

    torch.manual_seed(0)
    return PETEncoder(EncoderConfig(d_model=16, n_heads=2, n_layers=1, k_neighbours=4, d_edge=8, d_event=16))


def test_encoder_embeddings_learn_the_closure_weights(string_sim, string_data):
    """A (random, seeded) encoder's embeddings carry ln N among their global inputs, so a
    classifier on them must separate theta_0 from theta_1 (AUC more than 4 null standard
    deviations above 0.5) and its weights must move the simulation's mean multiplicity to
    the data's: unweighted the 400-event test splits differ by ~8 standard errors
    (conftest: ~30 at 6000 events); weighted they must agree within 3.
    """
    model = _small_encoder()
    x_sim = encoder_features(string_sim, model=model, max_events=N, progress=False)
    x_data = encoder_features(string_data, model=model, max_events=N, progress=False)
    assert x_sim.shape == (N, 16) and np.isfinite(x_sim).all()
    train, val, test = slice(0, 1200), slice(1200, 1600), slice(1600, N)
    fit = fit_classifier(x_sim[train], x_data[train], x_sim[val], x_data[val],
                         ClassifierConfig(features="encoder", hidden=(32, 32), max_epochs=20, patience=4),
                         seed=1, progress=False)
    scores = np.r_[fit.logits(x_sim[test]), fit.logits(x_data[test])]
    auc = roc_auc(scores, np.r_[np.zeros(400), np.ones(400)])
    assert auc > 0.5 + 4 * auc_null_std(400, 400), f"AUC {auc:.3f}: the embeddings lost the multiplicity"

    n_sim = sample_features(string_sim, ["multiplicity:final"], max_events=N, progress=False)[test, 0]
    n_data = sample_features(string_data, ["multiplicity:final"], max_events=N, progress=False)[test, 0]
    w = np.exp(fit.log_weights(x_sim[test]))
    err_data = n_data.std() / np.sqrt(n_data.size)
    err_sim = n_sim.std() / np.sqrt(n_sim.size)
    err_w = n_sim.std() / np.sqrt(effective_sample_fraction(w) * n_sim.size)
    before = abs(n_sim.mean() - n_data.mean()) / np.hypot(err_sim, err_data)
    after = abs(np.average(n_sim, weights=w) - n_data.mean()) / np.hypot(err_w, err_data)
    assert before > 5, f"the closure point must move the multiplicity (got {before:.1f} sigma)"
    print(f"AUC {auc:.3f}, multiplicity pull before {before:.1f}, after {after:.1f}")
    assert after < 3, f"weighted multiplicity still {after:.1f} sigma from the data (unweighted {before:.1f})"


def test_missing_encoder_checkpoint_says_what_to_do(string_sim, string_data, tmp_path):
    config = HomerConfig(step1=ClassifierConfig(features="encoder", encoder_checkpoint=str(tmp_path / "none.pt")),
                         threads=1, max_events=100)
    with pytest.raises(ModelError, match=r"cannot load the encoder checkpoint .*none\.pt.*features='observables'"):
        Homer(config, progress=False).fit(string_sim, string_data)
