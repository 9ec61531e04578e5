"""The optimised encoder against a plain reference implementation of the same network.

The reference below is the straightforward form of the forward pass (the committed
implementation before the throughput work): full masks everywhere, sorted kNN, the
padded batch. The optimised :class:`PETEncoder` skips masking on unpadded batches,
takes neighbours unsorted and fuses the edge-tensor arithmetic; it must give the same
embeddings to float precision, on padded and unpadded batches alike, and ``embed``
(equal-multiplicity batches) must agree with the reference on bucketed padded batches.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mlhad.encoder import EncoderConfig, PETEncoder, embed, load
from mlhad.encoder.batching import iter_batches, make_batch, multiplicity_batches
from mlhad.encoder.features import DIRECTION_COLUMNS, flat_features
from mlhad.encoder.inputs import thrust_axes_of

_DIRECTION = slice(DIRECTION_COLUMNS[0], DIRECTION_COLUMNS[-1] + 1)
_FLOOR = 1e-4


def _knn(direction, mask, k):
    n = direction.shape[1]
    k_eff = max(min(k, n - 1), 0)
    dist = 1.0 - direction @ direction.transpose(1, 2)
    blocked = ~mask[:, None, :] | torch.eye(n, dtype=torch.bool)
    dist = dist.masked_fill(blocked, float("inf"))
    d_nb, index = torch.topk(dist, k_eff, dim=-1, largest=False, sorted=True)
    valid = torch.isfinite(d_nb)
    chord = torch.sqrt(torch.clamp(2.0 * d_nb.masked_fill(~valid, 1.0), min=_FLOOR**2))
    return index, valid, torch.log(chord)


def _edge(conv, h, direction, mask):
    index, valid, log_chord = _knn(direction, mask, conv.k)
    b, n, k = index.shape
    nb = conv.neighbour_proj(h)
    centre = conv.self_proj(h) - nb
    gathered = torch.gather(nb[:, None].expand(b, n, n, nb.shape[-1]), 2,
                            index[..., None].expand(b, n, k, nb.shape[-1]))
    z = gathered + centre[:, :, None, :] + log_chord[..., None] * conv.angle_weight
    weight = valid.to(h.dtype)[..., None]
    return conv.out((F.gelu(z) * weight).sum(2) / weight.sum(2).clamp(min=1.0))


def _block(block, x, mask):
    b, n, d = x.shape
    q, k, v = block.qkv(block.norm1(x)).reshape(b, n, 3, block.n_heads, d // block.n_heads).permute(2, 0, 3, 1, 4)
    att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
    x = x + block.scale1 * block.proj(att.transpose(1, 2).reshape(b, n, d))
    return x + block.scale2 * block.mlp(block.norm2(x))


def reference_forward(model: PETEncoder, features, mask, globals_):
    """Event embeddings of ``model`` computed the plain way (see module docstring)."""
    direction = features[..., _DIRECTION]
    h = model.particle_embed(model.particle_norm(features))
    g = model.global_embed(model.global_norm(globals_))
    scale, shift = model.film(g).chunk(2, dim=-1)
    h = h * (1.0 + scale[:, None]) + shift[:, None]
    for edge in model.local:
        h = h + _edge(edge, h, direction, mask)
    for block in model.blocks:
        h = _block(block, h, mask)
    w = mask[..., None].to(h.dtype)
    particles = model.final_norm(h) * w
    pooled = (F.gelu(model.readout(particles)) * w).sum(1) / w.sum(1)
    return model.event_head(torch.cat([pooled, g], dim=-1))


def _flat(events):
    particles = events.particles
    return flat_features(particles, thrust_axes_of(particles), "identified")


def test_shipped_encoder_equals_the_reference_on_padded_and_unpadded_batches(events):
    model = load().eval()
    flat = _flat(events)
    batches = list(iter_batches(flat, 7)) + list(iter_batches(flat, 7, exact=True))
    batches += [make_batch(flat, index) for index in multiplicity_batches(flat.counts, 7, min_batch=2)]
    # The unpadded fast path really is taken: some batches hold no padding.
    assert sum(bool(b.mask.all()) and len(b.index) > 1 for b in batches) >= 3
    assert sum(not bool(b.mask.all()) for b in batches) >= 3
    with torch.inference_mode():
        for batch in batches:
            want = reference_forward(model, batch.features, batch.mask, batch.globals)
            got = model(batch.features, batch.mask, batch.globals).event
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_embed_equals_the_reference_on_one_padded_batch(events):
    # embed() batches by equal multiplicity; the reference sees every event in one
    # padded batch. Same numbers, in input order.
    model = load().eval()
    flat = _flat(events)
    batch = make_batch(flat, np.arange(flat.n_events))
    assert not bool(batch.mask.all())
    with torch.inference_mode():
        want = reference_forward(model, batch.features, batch.mask, batch.globals).numpy()
    got = embed(events, model=model, progress=False, batch_size=4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_fast_path_matches_with_few_particles_and_a_deep_local_part():
    # Events with <= k particles (some kNN slots empty) and n_local > 1, random weights.
    torch.manual_seed(7)
    model = PETEncoder(EncoderConfig(d_model=16, n_heads=2, n_layers=1, n_local=2, k_neighbours=5, d_edge=8,
                                     d_event=8)).eval()
    for n in (1, 2, 4, 6, 9):
        x = torch.randn(5, n, model.n_features)
        x[..., _DIRECTION] = F.normalize(torch.randn(5, n, 3), dim=-1)
        mask = torch.ones(5, n, dtype=torch.bool)
        g = torch.randn(5, model.n_globals)
        with torch.inference_mode():
            torch.testing.assert_close(model(x, mask, g).event, reference_forward(model, x, mask, g),
                                       rtol=1e-5, atol=1e-5)


def test_multiplicity_batches_hold_every_event_once_and_one_multiplicity_each():
    rng = np.random.default_rng(3)
    counts = np.concatenate([rng.integers(20, 24, size=200), [3, 90, 91, 95]])  # a bulk and rare tails
    batches = multiplicity_batches(counts, 16, min_batch=5)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(counts.size))
    assert max(len(b) for b in batches) <= 16
    mixed = [b for b in batches if np.unique(counts[b]).size > 1]
    # Only the rare multiplicities (fewer than min_batch events each) share a padded batch.
    assert len(mixed) == 1 and set(counts[mixed[0]]) == {3, 90, 91, 95}
    assert sum(len(b) for b in batches if np.unique(counts[b]).size == 1) == 200
