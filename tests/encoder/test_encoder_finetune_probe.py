"""Fine-tuning and linear probes on synthetic two-point problems with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.encoder import collect_features, finetune, predict
from mlhad.encoder.batching import concat_features
from mlhad.encoder.probe import auc, compare_aucs, linear_probe
from mlhad.exceptions import ModelError


def _two_points(event_factory, axes_factory, n: int, seed: int):
    """Label 0: soft events; label 1: harder longitudinal momenta (a 'parameter change')."""
    a = event_factory(n, seed=seed, hardness=1.0)
    b = event_factory(n, seed=seed + 1, hardness=1.6)
    fa = collect_features(a, class_scheme="identified", axes=axes_factory(n, seed + 2))
    fb = collect_features(b, class_scheme="identified", axes=axes_factory(n, seed + 3))
    return concat_features([fa, fb]), np.repeat([0, 1], n)


def test_finetuning_separates_a_spectrum_change_and_leaves_the_encoder_alone(tiny_model, event_factory, axes_factory):
    train, y_train = _two_points(event_factory, axes_factory, 100, seed=10)
    test, y_test = _two_points(event_factory, axes_factory, 100, seed=20)
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    clf = finetune(tiny_model, train, y_train, epochs=4, batch_size=32, lr=3e-3, head_lr=1e-2, progress=False)
    value = auc(y_test, predict(clf, test))
    # Longitudinal momenta scaled by 1.6 with ~23 particles per event are separable almost
    # perfectly (the mean ln E alone gives AUC ~0.95 here); 0.85 is a loose floor that a
    # broken training loop or shuffled labels cannot reach.
    assert value > 0.85, value
    for k, v in tiny_model.state_dict().items():
        assert torch.equal(v, before[k]), f"fine-tuning changed the caller's encoder ({k})"
    assert not torch.equal(clf.encoder.blocks[0].qkv.weight, tiny_model.blocks[0].qkv.weight)


def test_frozen_encoder_trains_only_the_head(tiny_model, event_factory, axes_factory):
    train, y = _two_points(event_factory, axes_factory, 40, seed=30)
    clf = finetune(tiny_model, train, y, epochs=1, batch_size=16, freeze_encoder=True, progress=False)
    for (k, v), w in zip(clf.encoder.state_dict().items(), tiny_model.state_dict().values()):
        assert torch.equal(v, w), k


def test_bad_labels_are_rejected(tiny_model, event_factory, axes_factory):
    train, y = _two_points(event_factory, axes_factory, 5, seed=40)
    with pytest.raises(ModelError, match=r"labels must have shape \(10,\)"):
        finetune(tiny_model, train, y[:-1], progress=False)
    with pytest.raises(ModelError, match="labels must be 0 or 1"):
        finetune(tiny_model, train, y * 2, progress=False)


def test_linear_probe_recovers_a_linear_signal():
    rng = np.random.default_rng(1)
    n = 4000
    y = np.repeat([0, 1], n // 2)
    x = rng.normal(size=(n, 5))
    x[:, 2] += 0.8 * y  # a shift of 0.8 sigma in one coordinate: AUC = Phi(0.8 / sqrt 2) = 0.714
    scores = linear_probe(x[::2], y[::2], x[1::2])
    summary = compare_aucs(y[1::2], {"probe": scores, "noise": rng.normal(size=n // 2)}, n_boot=100)
    # Analytic AUC 0.714; with 1000 test events per class the AUC's standard error is
    # ~0.011, so 0.03 is a ~3 sigma window.
    assert summary.auc["probe"] == pytest.approx(0.714, abs=0.03)
    assert summary.auc["noise"] == pytest.approx(0.5, abs=0.05)
    assert 0.005 < summary.error["probe"] < 0.02
    assert summary.diff[("probe", "noise")] == pytest.approx(summary.auc["probe"] - summary.auc["noise"])


def test_paired_bootstrap_cancels_common_fluctuations():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 1000)
    base = rng.normal(size=2000) + 0.5 * y
    nearly_same = base + rng.normal(scale=0.05, size=2000)
    s = compare_aucs(y, {"a": base, "b": nearly_same}, n_boot=100)
    # Two almost identical scores: the difference is known far better than either AUC.
    assert s.diff_error[("a", "b")] < 0.2 * s.error["a"]


def test_probe_input_errors():
    with pytest.raises(ModelError, match="train_x has non-finite entries"):
        linear_probe(np.array([[np.nan], [1.0]]), np.array([0, 1]), np.array([[1.0]]))
    with pytest.raises(ModelError, match="score 'x' has shape"):
        compare_aucs(np.array([0, 1]), {"x": np.array([0.1])})


def test_rank_sum_auc_equals_the_roc_integral_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 3000)
    s = np.round(rng.normal(size=3000) + 0.4 * y, 1)  # rounding makes many ties
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert auc(y, -s) == pytest.approx(1 - auc(y, s), abs=1e-12)
    with pytest.raises(ModelError, match="an AUC needs both labels"):
        auc(np.zeros(4), np.arange(4.0))


def test_probe_head_starts_exactly_at_the_linear_probe(tiny_model, event_factory, axes_factory):
    from mlhad.encoder.batching import make_batch

    train, y_train = _two_points(event_factory, axes_factory, 60, seed=50)
    test, _ = _two_points(event_factory, axes_factory, 30, seed=60)
    # Zero learning rates: AdamW moves nothing, so the classifier is its initial state.
    clf = finetune(tiny_model, train, y_train, head="probe", lr=0.0, head_lr=0.0, epochs=1, progress=False)

    def frozen(flat):
        b = make_batch(flat, np.arange(flat.n_events))  # one padded batch, events in order
        with torch.inference_mode():
            return tiny_model(b.features, b.mask, b.globals).event.numpy()

    expected = linear_probe(frozen(train), y_train, frozen(test))
    # The same standardisation + logistic regression, folded into one linear layer:
    # equal up to float32 rounding of the folded weights.
    np.testing.assert_allclose(predict(clf, test), expected, atol=2e-5)


def test_validation_returns_the_state_of_lowest_held_out_loss(tiny_model, event_factory, axes_factory):
    from mlhad.encoder.finetune import _loss

    train, y_train = _two_points(event_factory, axes_factory, 30, seed=70)
    val, y_val = _two_points(event_factory, axes_factory, 20, seed=80)
    # A learning rate far too high for the encoder: later states get worse, so the
    # returned one must be the best check, not the last.
    clf = finetune(tiny_model, train, y_train, head="probe", lr=0.3, head_lr=0.3, epochs=2, batch_size=16,
                   validation=(val, y_val), eval_every=30, progress=False)
    losses = [loss for _, loss in clf.history]
    seen = [n for n, _ in clf.history]
    # Before training, every >= 30 events (after whole batches), and at the end of the 2 x 60 events.
    assert seen[0] == 0 and seen[-1] == 120 and len(seen) >= 4 and all(np.diff(seen) > 0), seen
    assert losses[-1] > min(losses), "the lr is meant to spoil the last state"
    w = np.ones(val.n_events, dtype=np.float32)
    assert _loss(clf, val, y_val.astype(np.float32), w) == pytest.approx(min(losses), rel=1e-9)


def test_layer_decay_groups_hold_every_parameter_once(tiny_model):
    from mlhad.encoder.finetune import encoder_param_groups

    groups = encoder_param_groups(tiny_model, 1e-3, layer_decay=0.5)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(tiny_model.parameters()))
    n_blocks = len(tiny_model.blocks)
    assert [g["lr"] for g in groups] == pytest.approx([1e-3 * 0.5**i for i in range(n_blocks + 1)])
    assert any(p is tiny_model.blocks[-1].qkv.weight for p in groups[0]["params"])
    assert any(p is tiny_model.particle_embed[0].weight for p in groups[-1]["params"])
    with pytest.raises(ModelError, match="layer_decay must lie in"):
        encoder_param_groups(tiny_model, 1e-3, layer_decay=0.0)


def test_finetune_option_errors(tiny_model, event_factory, axes_factory):
    train, y = _two_points(event_factory, axes_factory, 5, seed=90)
    with pytest.raises(ModelError, match="head must be one of"):
        finetune(tiny_model, train, y, head="transformer", progress=False)
    with pytest.raises(ModelError, match="eval_every needs validation events"):
        finetune(tiny_model, train, y, eval_every=10, progress=False)
