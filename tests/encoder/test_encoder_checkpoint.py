"""Checkpoints: our format, plain state dicts, Lightning files, and every way they can mismatch."""

from __future__ import annotations

import json

import pytest
import torch

from mlhad.encoder import EncoderConfig, PETEncoder, available, load, load_state_dict, save
from mlhad.encoder.checkpoint import CHECKPOINT_DIR, DEFAULT_CHECKPOINT
from mlhad.exceptions import CheckpointMismatchError, ModelError


def _same_outputs(a: PETEncoder, b: PETEncoder) -> bool:
    torch.manual_seed(0)
    x = torch.randn(3, 7, a.n_features)
    x[..., 3:6] = torch.nn.functional.normalize(x[..., 3:6], dim=-1)
    mask = torch.ones(3, 7, dtype=torch.bool)
    g = torch.randn(3, a.n_globals)
    with torch.no_grad():
        return torch.equal(a(x, mask, g).event, b(x, mask, g).event)


class _Opaque:
    """Not a tensor: a file holding it needs trust=True to be unpickled."""


def test_round_trip_of_our_format(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path / "enc.pt", metadata={"note": "test"})
    info = json.loads(path.with_suffix(".json").read_text())
    assert info["config"] == tiny_model.config.to_dict() and info["training"] == {"note": "test"}
    loaded = load(path)
    assert _same_outputs(loaded, tiny_model)
    assert not loaded.training


def test_existing_checkpoint_is_not_overwritten(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path / "enc.pt")
    before = path.read_bytes()
    with pytest.raises(ModelError, match="already exists; choose another path or pass overwrite=True"):
        save(PETEncoder(tiny_model.config), path)
    assert path.read_bytes() == before
    save(PETEncoder(tiny_model.config), path, overwrite=True)
    assert path.read_bytes() != before


def test_damaged_file_is_detected(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path / "enc.pt")
    other = PETEncoder(tiny_model.config)
    torch.save(other.state_dict(), path)  # replaced behind the sidecar's back
    with pytest.raises(ModelError, match="does not match the checksum"):
        load(path)


def test_config_disagreeing_with_the_sidecar(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path / "enc.pt")
    with pytest.raises(CheckpointMismatchError, match="differs from the checkpoint's"):
        load(path, config=tiny_model.config.replace(d_event=4))


def test_lightning_checkpoint_with_model_prefix(tiny_model, tiny_config, tmp_path):
    # What EveNet-style Lightning files look like: weights under state_dict, keys "model.*",
    # next to optimizer state and hyper-parameters.
    ckpt = {
        "epoch": 3,
        "global_step": 1200,
        "state_dict": {f"model.{k}": v for k, v in tiny_model.state_dict().items()},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-3}]}],
        "hyper_parameters": {"d_model": 16},
    }
    path = tmp_path / "evenet-like.ckpt"
    torch.save(ckpt, path)
    model = load(path, config=tiny_config)
    assert _same_outputs(model, tiny_model)
    fresh = PETEncoder(tiny_config)
    report = load_state_dict(fresh, ckpt)
    assert report.prefix == "model." and not report.missing and not report.unexpected
    assert _same_outputs(fresh, tiny_model)


def test_explicit_prefix_and_nested_keys(tiny_model, tiny_config):
    state = {f"net.encoder.{k}": v for k, v in tiny_model.state_dict().items()}
    state["net.classifier.weight"] = torch.zeros(2, 12)
    fresh = PETEncoder(tiny_config)
    report = load_state_dict(fresh, state, prefix="net.encoder.")
    assert _same_outputs(fresh, tiny_model) and report.unexpected == ()
    with pytest.raises(CheckpointMismatchError, match="no checkpoint key starts with prefix 'model.'"):
        load_state_dict(fresh, state, prefix="model.")


def test_other_architecture_lists_mismatched_shapes(tiny_model):
    bigger = PETEncoder(tiny_model.config.replace(d_model=32, n_heads=4))
    with pytest.raises(CheckpointMismatchError, match=r"mismatched shapes: .*\(checkpoint \(32,\), model \(16,\)\)"):
        load_state_dict(tiny_model, bigger.state_dict())


def test_foreign_network_lists_missing_and_unexpected(tiny_model):
    foreign = torch.nn.Sequential(torch.nn.Linear(4, 4)).state_dict()
    with pytest.raises(CheckpointMismatchError) as info:
        load_state_dict(tiny_model, foreign)
    text = str(info.value)
    assert "missing keys: blocks.0." in text and "unexpected keys: 0.bias, 0.weight" in text
    with pytest.raises(CheckpointMismatchError, match="no checkpoint key matches the model"):
        load_state_dict(tiny_model, foreign, strict=False)


def test_non_strict_loads_a_subset(tiny_model, tiny_config):
    state = {k: v for k, v in tiny_model.state_dict().items() if not k.startswith("event_head")}
    state["extra.head.weight"] = torch.zeros(3)
    fresh = PETEncoder(tiny_config)
    with pytest.raises(CheckpointMismatchError, match="missing keys: event_head.bias, event_head.weight"):
        load_state_dict(fresh, state)
    report = load_state_dict(fresh, state, strict=False)
    assert report.missing == ("event_head.bias", "event_head.weight")
    assert report.unexpected == ("extra.head.weight",)
    torch.testing.assert_close(fresh.blocks[0].qkv.weight, tiny_model.blocks[0].qkv.weight, rtol=0, atol=0)


def test_pickled_objects_need_trust(tiny_model, tiny_config, tmp_path):
    path = tmp_path / "opaque.ckpt"
    torch.save({"state_dict": tiny_model.state_dict(), "callback": _Opaque()}, path)
    with pytest.raises(ModelError, match="pass trust=True"):
        load(path, config=tiny_config)
    assert _same_outputs(load(path, config=tiny_config, trust=True), tiny_model)


def test_missing_config_and_unknown_name(tiny_model, tmp_path):
    path = tmp_path / "bare.pt"
    torch.save(tiny_model.state_dict(), path)
    with pytest.raises(ModelError, match="pass config=EncoderConfig"):
        load(path)
    with pytest.raises(ModelError, match="no checkpoint 'nonexistent'"):
        load("nonexistent")


def test_shipped_checkpoint_loads_offline():
    assert DEFAULT_CHECKPOINT in available()
    model = load()
    info = json.loads((CHECKPOINT_DIR / f"{DEFAULT_CHECKPOINT}.json").read_text())
    assert model.config == EncoderConfig.from_dict(info["config"])
    assert model.n_parameters() == info["n_parameters"]
    # "A few MB" at most: the package ships it.
    assert (CHECKPOINT_DIR / f"{DEFAULT_CHECKPOINT}.pt").stat().st_size < 5_000_000
    # Pretrained, not initial: the input standardisation was fitted on Pythia events.
    assert not torch.equal(model.particle_norm.std, torch.ones_like(model.particle_norm.std))


def test_shipped_checkpoint_embeds_events(event_factory):
    """The shipped weights give finite, permutation-invariant event embeddings of the documented size."""
    import awkward as ak
    import numpy as np

    from mlhad.encoder import embed

    model = load()
    events = event_factory(30, seed=21)
    x = embed(events, model=model, progress=False)
    assert x.shape == (30, model.config.d_event) and x.dtype == np.float32
    assert np.isfinite(x).all()
    # Different events get different embeddings (not a constant vector).
    assert np.std(x, axis=0).max() > 1e-3
    rng = np.random.default_rng(5)
    counts = ak.num(events.particles)
    order = ak.unflatten(np.concatenate([rng.permutation(n) for n in ak.to_numpy(counts)]), counts)
    shuffled = ak.zip({"particles": events.particles[order]}, depth_limit=1)
    # Float32 sums in another order: agreement to rounding, far below the spread between events.
    np.testing.assert_allclose(embed(shuffled, model=model, progress=False), x, atol=2e-5, rtol=1e-4)
