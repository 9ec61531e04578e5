"""The compiled angular kNN kernel against the torch path, and the fallback without it.

The kernel (``mlhad/native/knn_angle.c``) must select the same neighbours as torch's
``bmm`` + ``topk`` (the distances are computed in the same rounding order, so they are
equal bit for bit) and give the same ln-chord to float rounding, on padded and unpadded
batches, for events with fewer than k + 1 particles, and on strided views of the
feature tensor. Where no compiler is available the encoder must still work, through
the torch path, with the same results.
"""

from __future__ import annotations

import shutil

import pytest
import torch
import torch.nn.functional as F

from mlhad.encoder import EncoderConfig, PETEncoder
from mlhad.encoder.layers import knn_by_angle, knn_by_angle_native, knn_by_angle_torch
from mlhad.native import knn as native

needs_kernel = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None and shutil.which("clang") is None,
    reason="no C compiler: the kernel cannot be built here (the fallback tests still run)",
)


@pytest.fixture
def kernel():
    fn = native.knn_kernel()
    assert fn is not None, native.kernel_status()
    return fn


def _directions(b: int, n: int, seed: int) -> torch.Tensor:
    """Unit vectors in jet-like clusters, with near-collinear pairs (photon pairs) in every event."""
    g = torch.Generator().manual_seed(seed)
    axis = F.normalize(torch.randn(b, 1, 3, generator=g), dim=-1)
    side = torch.where(torch.rand(b, n, 1, generator=g) < 0.5, -1.0, 1.0)
    d = side * axis + 0.4 * torch.randn(b, n, 3, generator=g)
    if n >= 4:
        d[:, 1] = d[:, 0] + 1e-3 * torch.randn(b, 3, generator=g)
        d[:, 3] = d[:, 2] + 3e-5 * torch.randn(b, 3, generator=g)  # below the chord floor
    # Inside a wider feature tensor, as in the model: a strided (B, N, 3) view.
    features = torch.randn(b, n, 7, generator=g)
    features[..., 2:5] = F.normalize(d, dim=-1)
    return features[..., 2:5]


def _compare(direction, mask, k, fn):
    """Neighbour sets equal row by row (rows with a tie at the k-th distance excepted), ln-chords close."""
    i_t, v_t, l_t = knn_by_angle_torch(direction, mask, k)
    i_n, v_n, l_n = knn_by_angle_native(direction, mask, k, fn)
    assert i_n.shape == i_t.shape and l_n.shape == l_t.shape and i_n.dtype == torch.int64
    assert (v_n is None) == (v_t is None)
    # Sort both by neighbour index to compare sets (topk's order is unspecified); slots
    # without a real neighbour (their index is arbitrary) go last.
    n = direction.shape[1]
    key_t = i_t if v_t is None else torch.where(v_t, i_t, n)
    key_n = i_n if v_n is None else torch.where(v_n, i_n, n)
    s_t, o_t = torch.sort(key_t, dim=-1, stable=True)
    s_n, o_n = torch.sort(key_n, dim=-1, stable=True)
    real = torch.ones(i_t.shape[:2], dtype=torch.bool) if mask is None else mask
    rows = real.clone()
    if i_t.shape[-1]:
        # A tie at the k-th distance may be broken either way: find such rows from the distances.
        dist = 1.0 - torch.bmm(direction, direction.transpose(1, 2))
        dist.diagonal(dim1=1, dim2=2).fill_(float("inf"))
        if mask is not None:
            dist = dist.masked_fill(~mask[:, None, :], float("inf"))
        ranked = torch.sort(dist, dim=-1).values
        kk = i_t.shape[-1]
        if kk < dist.shape[-1]:
            rows &= ~(torch.isfinite(ranked[..., kk - 1]) & (ranked[..., kk - 1] == ranked[..., kk]))
    assert rows.sum() >= 0.95 * real.sum()  # ties are rare
    assert torch.equal(s_n[rows], s_t[rows])  # same neighbours, same number of real ones
    lc_t = torch.gather(l_t, -1, o_t)[rows]
    lc_n = torch.gather(l_n, -1, o_n)[rows]
    if v_t is not None:
        keep = torch.gather(v_t, -1, o_t)[rows]
        assert torch.equal(keep, torch.gather(v_n, -1, o_n)[rows])
        lc_t, lc_n = lc_t[keep], lc_n[keep]
    torch.testing.assert_close(lc_n, lc_t, rtol=1e-6, atol=1e-6)
    return int(rows.sum())


@needs_kernel
@pytest.mark.parametrize("k", [8, 4, 12])  # 8 and 4: the vector path (k <= 8); 12: the scalar one
@pytest.mark.parametrize("n", [2, 5, 9, 11, 12, 43, 150])  # 11 | 12: the two rounding orders of bmm
def test_native_knn_equals_torch_on_unpadded_batches(kernel, k, n):
    assert _compare(_directions(16, n, seed=n * 100 + k), None, k, kernel) > 0


@needs_kernel
@pytest.mark.parametrize("k", [8, 3, 12])
def test_native_knn_equals_torch_on_padded_batches(kernel, k):
    direction = _directions(24, 30, seed=k)
    lengths = torch.tensor([1, 2, 3, k, k + 1, k + 2, 30] * 3 + [15, 20, 25])
    mask = torch.arange(30)[None, :] < lengths[:, None]
    assert _compare(direction, mask, k, kernel) > 0
    # Every real slot is a real neighbour; an event with n particles has n - 1 of them.
    _, valid, _ = knn_by_angle_native(direction, mask, k, kernel)
    want = torch.clamp(lengths - 1, max=min(k, 29))
    assert torch.equal(valid.sum(-1)[:, 0], want)


@needs_kernel
def test_native_knn_is_used_where_it_applies_and_torch_elsewhere(kernel):
    direction = _directions(4, 12, seed=1)
    index, _, _ = knn_by_angle(direction, None, 5)
    # The kernel returns neighbours nearest first: the dispatcher took it.
    dist = 1.0 - torch.bmm(direction, direction.transpose(1, 2))
    chosen = torch.gather(dist, -1, index)
    assert bool((chosen[..., 1:] >= chosen[..., :-1]).all())
    # With a gradient wanted, or another dtype, the torch path runs (and is differentiable).
    grad_dir = direction.detach().clone().requires_grad_(True)
    _, _, log_chord = knn_by_angle(grad_dir, None, 5)
    assert log_chord.requires_grad
    _, _, lc64 = knn_by_angle(direction.double(), None, 5)
    assert lc64.dtype == torch.float64


def _model() -> PETEncoder:
    torch.manual_seed(11)
    return PETEncoder(EncoderConfig(d_model=16, n_heads=2, n_layers=1, k_neighbours=4, d_edge=8, d_event=8)).eval()


def _inputs(model):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(6, 10, model.n_features, generator=g)
    x[..., 3:6] = _directions(6, 10, seed=9)
    mask = torch.arange(10)[None, :] < torch.tensor([10, 10, 3, 7, 1, 9])[:, None]
    return x, mask, torch.randn(6, model.n_globals, generator=g)


@pytest.fixture
def no_kernel(monkeypatch, tmp_path):
    """A process state in which the kernel cannot be built: no compiler, an empty cache."""
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    monkeypatch.setenv("MLHAD_CACHE", str(tmp_path / "cache"))
    native.reset()
    yield
    native.reset()


def test_without_a_compiler_the_encoder_falls_back_to_torch(no_kernel, tmp_path):
    assert native.knn_kernel() is None
    status = native.kernel_status()
    assert status.startswith("torch: unavailable") and "kNN kernel" in status
    model = _model()
    x, mask, g = _inputs(model)
    direction = x[..., 3:6]
    # The dispatcher takes the torch path: exactly its results.
    for m in (mask, None):
        for got, want in zip(knn_by_angle(direction, m, 4), knn_by_angle_torch(direction, m, 4)):
            assert (got is None and want is None) or torch.equal(got, want)
    with torch.inference_mode():
        assert torch.isfinite(model(x, mask, g).event).all()
    with pytest.raises(RuntimeError, match="not available"):
        knn_by_angle_native(direction, mask, 4)
    assert not list((tmp_path / "cache").rglob("*.so*"))  # nothing half-built left behind


@needs_kernel
def test_model_outputs_agree_with_and_without_the_kernel(monkeypatch):
    model = _model()
    x, mask, g = _inputs(model)
    native.reset()
    assert native.kernel_status().startswith("native")
    with torch.inference_mode():
        with_kernel = model(x, mask, g).event
        unpadded = model(x[:2], mask[:2], g[:2]).event
    monkeypatch.setenv("MLHAD_NATIVE_KNN", "0")
    native.reset()
    try:
        assert native.kernel_status() == "torch: disabled by MLHAD_NATIVE_KNN=0"
        with torch.inference_mode():
            torch.testing.assert_close(model(x, mask, g).event, with_kernel, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(model(x[:2], mask[:2], g[:2]).event, unpadded, rtol=1e-5, atol=1e-5)
    finally:
        monkeypatch.delenv("MLHAD_NATIVE_KNN")
        native.reset()


@needs_kernel
def test_the_kernel_is_cached_under_a_hash_of_its_source_and_flags(kernel, tmp_path, monkeypatch):
    path = native.build_knn_library()
    assert path.exists() and path.is_relative_to(native.cache_dir() / "native")
    stamp = path.stat().st_mtime_ns
    assert native.build_knn_library() == path and path.stat().st_mtime_ns == stamp  # cached, not rebuilt
    # Another source gives another library path (an edited kernel is never taken from the cache).
    edited = tmp_path / "knn_angle.c"
    edited.write_text(native.SOURCE.read_text() + "\n/* edited */\n")
    monkeypatch.setattr(native, "SOURCE", edited)
    assert native.knn_library_path() != path
