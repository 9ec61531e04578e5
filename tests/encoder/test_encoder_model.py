"""The encoder network: symmetries, padding, masking, the kNN graph and the EdgeConv identity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlhad.encoder import EncoderConfig, PETEncoder, particle_features
from mlhad.encoder.features import DIRECTION_COLUMNS, flat_features, pad
from mlhad.encoder.layers import EdgeConv, knn_by_angle
from mlhad.exceptions import ConfigError, ModelError

# float32 sums taken in another order (permuted or differently padded inputs) differ
# by a few ulp per operation; 2 blocks of O(1) activations stay far below 1e-5.
FLOAT_TOL = 1e-5


def _inputs(events, axes, n_max=None):
    flat = flat_features(events.particles, axes)
    values, mask = pad(flat.values, flat.counts, n_max)
    return torch.from_numpy(values), torch.from_numpy(mask), torch.from_numpy(flat.globals)


def test_output_shapes_and_zeroed_padding(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    out = tiny_model(x, mask, g)
    assert out.event.shape == (len(events), 12)
    assert out.particles.shape == (*x.shape[:2], 16)
    assert (out.particles[~mask] == 0).all()
    assert torch.isfinite(out.event).all()


def test_permutation_invariance_and_equivariance(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    out = tiny_model(x, mask, g)
    gen = torch.Generator().manual_seed(5)
    # Permute the real particles of each event (padding stays at the end).
    perm = torch.stack([torch.cat([torch.randperm(int(n), generator=gen), torch.arange(int(n), x.shape[1])])
                        for n in mask.sum(1)])
    xp = torch.gather(x, 1, perm[..., None].expand_as(x))
    outp = tiny_model(xp, mask, g)
    torch.testing.assert_close(outp.event, out.event, atol=FLOAT_TOL, rtol=0)
    expected = torch.gather(out.particles, 1, perm[..., None].expand_as(out.particles))
    torch.testing.assert_close(outp.particles, expected, atol=FLOAT_TOL, rtol=0)
    # The permutation really moved particles (the test would be empty otherwise).
    assert not torch.equal(xp, x)


def test_padding_does_not_change_results(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    x2, mask2, g2 = _inputs(events, axes, n_max=x.shape[1] + 9)
    # Garbage in the padded slots must not leak either.
    x2[~mask2] = torch.randn(int((~mask2).sum()), x2.shape[-1])
    out, out2 = tiny_model(x, mask, g), tiny_model(x2, mask2, g2)
    torch.testing.assert_close(out2.event, out.event, atol=FLOAT_TOL, rtol=0)
    torch.testing.assert_close(out2.particles[:, : x.shape[1]], out.particles, atol=FLOAT_TOL, rtol=0)


def test_events_do_not_talk_to_each_other(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    out = tiny_model(x, mask, g)
    for i in (0, 17):
        alone = tiny_model(x[i : i + 1], mask[i : i + 1], g[i : i + 1])
        torch.testing.assert_close(alone.event[0], out.event[i], atol=FLOAT_TOL, rtol=0)


def test_hidden_particles_keep_only_their_direction(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    hidden = torch.zeros_like(mask)
    hidden[:, 0] = True
    tampered = x.clone()
    keep = list(DIRECTION_COLUMNS)
    other = [c for c in range(x.shape[-1]) if c not in keep]
    tampered[:, 0, other] = torch.randn(x.shape[0], len(other)) * 5
    a = tiny_model(x, mask, g, hidden=hidden)
    b = tiny_model(tampered, mask, g, hidden=hidden)
    torch.testing.assert_close(a.event, b.event, atol=FLOAT_TOL, rtol=0)
    # ... while the direction of a hidden particle still matters.
    moved = x.clone()
    moved[:, 0, keep] = F.normalize(torch.randn(x.shape[0], 3), dim=-1)
    c = tiny_model(moved, mask, g, hidden=hidden)
    assert (c.event - a.event).abs().max() > 1e-3


def test_knn_matches_brute_force():
    gen = torch.Generator().manual_seed(2)
    direction = F.normalize(torch.randn(3, 9, 3, generator=gen), dim=-1)
    mask = torch.ones(3, 9, dtype=torch.bool)
    mask[1, 6:] = False  # 6 real particles
    mask[2, 3:] = False  # 3 real particles: fewer than k
    index, valid, log_chord = knn_by_angle(direction, mask, k=4)
    d = direction.numpy()
    for b in range(3):
        n = int(mask[b].sum())
        for i in range(n):
            angle = np.arccos(np.clip(d[b, :n] @ d[b, i], -1, 1))
            angle[i] = np.inf
            want = np.argsort(angle)[: min(4, n - 1)]
            got = index[b, i][valid[b, i]].numpy()
            assert sorted(got) == sorted(want)
            np.testing.assert_allclose(np.exp(log_chord[b, i][valid[b, i]].numpy()),
                                       2 * np.sin(angle[got] / 2), rtol=1e-4)


def test_edgeconv_equals_the_textbook_edge_mlp():
    # EdgeConv rewrites MLP([h_i, h_j - h_i, ln chord]) for speed; it must be the same function.
    torch.manual_seed(4)
    conv = EdgeConv(d_model=6, d_edge=5, k=3)
    h = torch.randn(2, 7, 6)
    direction = F.normalize(torch.randn(2, 7, 3), dim=-1)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    fast = conv(h, direction, mask)
    index, valid, log_chord = knn_by_angle(direction, mask, 3)
    w1 = torch.cat([conv.self_proj.weight, conv.neighbour_proj.weight, conv.angle_weight[:, None]], dim=1)
    for b in range(2):
        for i in range(int(mask[b].sum())):
            rows = []
            for slot in range(index.shape[-1]):
                if valid[b, i, slot]:
                    j = index[b, i, slot]
                    edge = torch.cat([h[b, i], h[b, j] - h[b, i], log_chord[b, i, slot : slot + 1]])
                    rows.append(F.gelu(w1 @ edge + conv.self_proj.bias))
            slow = conv.out(torch.stack(rows).mean(0))
            torch.testing.assert_close(fast[b, i], slow, atol=1e-5, rtol=0)


def test_empty_event_and_bad_shapes_are_errors(tiny_model, events, axes):
    x, mask, g = _inputs(events, axes)
    mask = mask.clone()
    mask[3] = False
    with pytest.raises(ModelError, match=r"batch rows \[3\] have no real particle"):
        tiny_model(x, mask, g)
    with pytest.raises(ModelError, match="features must have shape"):
        tiny_model(x[..., :5], mask, g)
    with pytest.raises(ModelError, match="do not fit features"):
        tiny_model(x, mask, g[:, :2])


def test_detector_scheme_changes_the_input_width(events, axes):
    model = PETEncoder(EncoderConfig(d_model=16, n_heads=2, d_edge=8, d_event=8, class_scheme="detector"))
    x, mask = particle_features(events.particles, axes, class_scheme="detector")
    assert x.shape[-1] == model.n_features == 9 + 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"d_model": 30, "n_heads": 4}, "not divisible by n_heads"), ({"class_scheme": "jets"}, "class_scheme"),
     ({"n_layers": 0}, "n_layers must be a positive integer"), ({"dropout": 1.0}, "dropout")],
)
def test_config_validation(changes, message):
    with pytest.raises(ConfigError, match=message):
        EncoderConfig(**changes)
    with pytest.raises(ConfigError, match="unknown EncoderConfig fields"):
        EncoderConfig.from_dict({"d_model": 32, "width": 3})
