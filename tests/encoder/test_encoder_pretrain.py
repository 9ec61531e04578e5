"""Masked-particle pretraining: masking, targets, and a planted correlation that must be learnt."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import torch

from mlhad.encoder import EncoderConfig, PretrainConfig, collect_features, pretrain
from mlhad.encoder.classes import CLASS_NAMES
from mlhad.encoder.mpm import choose_hidden, mpm_targets
from mlhad.encoder.parameters import parameter_table, sample_parameters
from mlhad.encoder.pretrain import pretrain_features
from mlhad.exceptions import ConfigError

BATCH, LR = 32, 1e-2
SMALL = EncoderConfig(d_model=16, n_heads=2, n_layers=1, k_neighbours=4, d_edge=8, d_event=16)


def _twin_events(n_events: int, seed: int, *, twins_agree: bool) -> ak.Array:
    """Events made of collinear particle pairs.

    With ``twins_agree`` both members of a pair share energy and species, so a hidden
    particle is predictable from its nearest neighbour; otherwise each member draws its
    own energy and species and the neighbour carries no information.
    """
    rng = np.random.default_rng(seed)
    species = [(22, 0, 0.0), (211, 1, 0.1396), (-211, -1, 0.1396), (321, 1, 0.4937), (2112, 0, 0.9396)]
    rows = []
    for _ in range(n_events):
        n_pairs = rng.integers(6, 14)
        parts = []
        for _ in range(n_pairs):
            d = rng.normal(size=3)
            d /= np.linalg.norm(d)
            first = (rng.exponential(3.0) + 0.3, rng.integers(len(species)))
            second = first if twins_agree else (rng.exponential(3.0) + 0.3, rng.integers(len(species)))
            for k, (p, s) in enumerate((first, second)):
                jitter = d + rng.normal(scale=1e-3, size=3) * k  # distinct, nearly collinear
                jitter /= np.linalg.norm(jitter)
                pid, q, m = species[s]
                parts.append({"px": p * jitter[0], "py": p * jitter[1], "pz": p * jitter[2],
                              "e": float(np.hypot(p, m)), "pid": pid, "charge": q, "status": 1})
        rows.append({"particles": parts})
    return ak.Array(rows)


def test_choose_hidden_takes_the_fraction_of_real_particles():
    mask = torch.zeros(4, 10, dtype=torch.bool)
    for i, n in enumerate((10, 7, 1, 3)):
        mask[i, :n] = True
    gen = torch.Generator().manual_seed(0)
    hidden = choose_hidden(mask, 0.3, gen)
    assert not (hidden & ~mask).any()
    assert hidden.sum(1).tolist() == [3, 2, 0, 1]  # round(0.3 n), >= 1, none if n == 1
    again = choose_hidden(mask, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(hidden, again)


def test_species_target_encodes_class_and_charge(event_factory, axes_factory):
    ev = event_factory(5, seed=1)
    flat = collect_features(ev, class_scheme="identified", axes=axes_factory(5, 2))
    feats = torch.from_numpy(flat.values)
    t = mpm_targets(feats, torch.zeros(feats.shape[1]), torch.ones(feats.shape[1]))
    visible = ak.flatten(ev.particles[(ev.particles.status == 1) & (abs(ev.particles.pid) != 14)])
    cls, charge = t.species // 3, t.species % 3 - 1
    np.testing.assert_array_equal(charge.numpy(), ak.to_numpy(visible.charge))
    names = [CLASS_NAMES["identified"][c] for c in cls.tolist()]
    assert names.count("pion") == int(np.sum(np.abs(ak.to_numpy(visible.pid)) == 211))
    torch.testing.assert_close(t.log_e, feats[:, 0])


def _pretrain(events: ak.Array, epochs: int) -> dict:
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(len(events), 3, 3)))
    axes = np.transpose(q, (0, 2, 1))
    flat = collect_features(events, class_scheme="identified", axes=axes)
    cfg = PretrainConfig(epochs=epochs, batch_size=BATCH, lr=LR, validation_fraction=0.2, seed=3)
    res = pretrain_features(flat, encoder_config=SMALL, config=cfg, progress=False)
    return {"val": res.history["val_loss"], "trivial": res.trivial["loss"], "model": res.model}


def test_pretraining_learns_a_planted_neighbour_correlation():
    learnt = _pretrain(_twin_events(600, seed=5, twins_agree=True), epochs=5)
    control = _pretrain(_twin_events(600, seed=5, twins_agree=False), epochs=5)
    # With its twin visible (~70% of hidden particles) a particle's ln E and species are
    # known exactly, so the loss must fall well below the trivial predictor's; this tiny
    # model reaches ~0.7 of it in 5 epochs (measured), and 0.8 leaves room for noise.
    # Without the correlation only aggregate information is left (counts via the global
    # features): the control stays at ~0.97 of the trivial loss (measured); 0.9 is the bar.
    assert learnt["val"][-1] < 0.8 * learnt["trivial"], learnt
    assert control["val"][-1] > 0.9 * control["trivial"], control
    assert learnt["val"][-1] < learnt["val"][0]


def test_pretraining_is_reproducible():
    ev = _twin_events(120, seed=9, twins_agree=True)
    a, b = _pretrain(ev, epochs=1), _pretrain(ev, epochs=1)
    assert a["val"] == b["val"]
    for (k, va), vb in zip(a["model"].state_dict().items(), b["model"].state_dict().values()):
        assert torch.equal(va, vb), k


def test_pretrain_config_validation():
    with pytest.raises(ConfigError, match="mask_fraction must lie in"):
        PretrainConfig(mask_fraction=1.0)
    with pytest.raises(ConfigError, match="epochs must be a positive integer"):
        PretrainConfig(epochs=0)


# -- auxiliary parameter regression --------------------------------------------------------


class _Meta:
    """A sample-like object carrying only metadata."""

    def __init__(self, settings, base=None):
        self.metadata = {"config": {"settings": list(settings)}, "fragmentation_base": base or {}}


def test_sample_parameters_merge_base_and_settings():
    meta = _Meta(["StringZ:aLund = 0.5", "Print:quiet = on"], {"StringZ:aLund": 0.68, "StringZ:bLund": 0.98,
                                                               "ClosePacking:doClosePacking": False})
    assert sample_parameters(meta) == {"StringZ:aLund": 0.5, "StringZ:bLund": 0.98}


def test_parameter_table_keeps_what_varies():
    names, table = parameter_table([{"a": 1.0, "b": 2.0, "c": 5.0}, {"a": 1.5, "b": 2.0, "c": 5.0}])
    assert names == ["a"] and table.tolist() == [[1.0], [1.5]]
    with pytest.raises(ConfigError, match="no hadronization parameter differs"):
        parameter_table([{"a": 1.0}, {"a": 1.0}])
    with pytest.raises(ConfigError, match=r"'b' differs between samples but is not recorded for sample\(s\) \[2\]"):
        parameter_table([{"a": 1.0, "b": 1.0}, {"a": 2.0, "b": 3.0}, {"a": 1.0}])


def test_parameter_head_learns_the_generating_point(event_factory):
    # Two "parameter points" with different spectra: the regression must beat knowing
    # nothing (val MSE of standardised theta = 1), while pure MPM does not report it.
    soft, hard = event_factory(250, seed=3, hardness=1.0), event_factory(250, seed=4, hardness=1.8)
    sources = [soft, hard]
    cfg = PretrainConfig(epochs=4, batch_size=32, lr=1e-2, validation_fraction=0.2, seed=2)
    res = pretrain(sources, parameters=[{"hardness": 1.0}, {"hardness": 1.8}], encoder_config=SMALL,
                   config=cfg, progress=False)
    assert res.param_names == ["hardness"]
    # Spectra scaled by 1.8 with ~23 particles are told apart nearly event by event
    # (AUC ~0.95, see test_encoder_finetune_probe), so E[theta|x] is close to theta and
    # the MSE falls far below 1; 0.6 leaves room for 4 short epochs.
    assert res.history["val_param"][-1] < 0.6, res.history["val_param"]
    pure = pretrain(sources, encoder_config=SMALL, progress=False,
                    config=PretrainConfig(epochs=1, batch_size=32, validation_fraction=0.2, param_weight=0.0))
    assert pure.param_head is None and np.isnan(pure.history["val_param"]).all()
