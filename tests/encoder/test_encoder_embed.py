"""The feature-extractor API: order, batching, blocks, sample-like sources, default axes, errors."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import torch

from mlhad.encoder import embed, embed_particles, select_visible
from mlhad.encoder.features import flat_features, pad
from mlhad.encoder.inputs import thrust_axes_of
from mlhad.exceptions import ModelError

# Different batch compositions change float summation order only (see test_encoder_model).
FLOAT_TOL = 1e-5


class FakeSample:
    """Duck-typed mlhad.io.Sample: chunks of events, only the columns asked for."""

    def __init__(self, events: ak.Array, chunk: int) -> None:
        self.events, self.chunk, self.columns_asked = events, chunk, None

    @property
    def n_events(self) -> int:
        return len(self.events)

    def iter_batches(self, columns):
        self.columns_asked = list(columns)
        for start in range(0, len(self.events), self.chunk):
            yield self.events[start : start + self.chunk]


def test_embed_matches_the_model_and_keeps_input_order(tiny_model, events, axes):
    out = embed(events, model=tiny_model, axes=axes, batch_size=7, progress=False)
    flat = flat_features(events.particles, axes)
    x, mask = pad(flat.values, flat.counts)
    with torch.no_grad():
        direct = tiny_model(torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(flat.globals)).event.numpy()
    assert out.shape == (len(events), 12) and out.dtype == np.float32
    np.testing.assert_allclose(out, direct, atol=FLOAT_TOL)


def test_batch_size_and_input_order_do_not_matter(tiny_model, events, axes):
    a = embed(events, model=tiny_model, axes=axes, batch_size=4, progress=False)
    perm = np.random.default_rng(1).permutation(len(events))
    b = embed(events[perm], model=tiny_model, axes=axes[perm], batch_size=64, progress=False)
    np.testing.assert_allclose(b, a[perm], atol=FLOAT_TOL)


def test_sample_like_source_is_read_in_chunks(tiny_model, events, axes):
    sample = FakeSample(events, chunk=9)
    a = embed(sample, model=tiny_model, axes=axes, progress=False)
    b = embed(events, model=tiny_model, axes=axes, progress=False)
    np.testing.assert_allclose(a, b, atol=FLOAT_TOL)
    assert sorted(sample.columns_asked) == sorted(
        f"particles.{f}" for f in ("px", "py", "pz", "e", "pid", "charge", "status"))


def test_particles_array_is_accepted_directly(tiny_model, events, axes):
    a = embed(events.particles, model=tiny_model, axes=axes, progress=False)
    np.testing.assert_array_equal(a, embed(events, model=tiny_model, axes=axes, progress=False))


def test_particle_embeddings_are_aligned_with_visible_particles(tiny_model, events, axes):
    per = embed_particles(events, model=tiny_model, axes=axes, batch_size=5, progress=False)
    np.testing.assert_array_equal(ak.to_numpy(ak.num(per)), ak.to_numpy(ak.num(select_visible(events.particles))))
    flat = flat_features(events.particles, axes)
    x, mask = pad(flat.values, flat.counts)
    with torch.no_grad():
        direct = tiny_model(torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(flat.globals)).particles
    for i in (0, 11, 39):
        np.testing.assert_allclose(ak.to_numpy(per[i]), direct[i][mask[i]].numpy(), atol=FLOAT_TOL)


def test_default_axes_are_the_thrust_axes(tiny_model, events):
    thrust = thrust_axes_of(events.particles)
    a = embed(events, model=tiny_model, progress=False)
    b = embed(events, model=tiny_model, axes=thrust, progress=False)
    np.testing.assert_array_equal(a, b)


def test_nan_in_a_later_block_names_the_global_event_index(tiny_model, events, axes):
    pz = ak.to_numpy(ak.flatten(events.particles.pz)).copy()
    counts = ak.to_numpy(ak.num(events.particles))
    pz[counts[:23].sum() + 1] = np.nan  # second particle of event 23
    bad = ak.with_field(events, ak.with_field(events.particles, ak.unflatten(pz, counts), "pz"), "particles")
    with pytest.raises(ModelError, match="event index 23 has a particle with non-finite momentum"):
        embed(FakeSample(bad, chunk=10), model=tiny_model, axes=axes, progress=False)


def test_wrong_source_and_wrong_axes_length(tiny_model, events, axes):
    with pytest.raises(ModelError, match="cannot embed an object of type dict"):
        embed({"particles": 1}, model=tiny_model, progress=False)
    with pytest.raises(ModelError, match="axes hold 39 events but the source has 40"):
        embed(events, model=tiny_model, axes=axes[:-1], progress=False)
    with pytest.raises(ModelError, match="cannot find particles"):
        embed(ak.Array([{"jets": [1.0]}]), model=tiny_model, progress=False)


def test_model_training_flag_is_restored(tiny_model, events, axes):
    tiny_model.train()
    embed(events[:3], model=tiny_model, axes=axes[:3], progress=False)
    assert tiny_model.training


def test_parallel_workers_give_identical_results_and_restore_torch_threads(tiny_model, events, axes):
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the serial run with the one torch thread each worker uses
    try:
        serial = embed(events, model=tiny_model, axes=axes, batch_size=3, progress=False, workers=1)
        serial_particles = embed_particles(events, model=tiny_model, axes=axes, batch_size=3, progress=False,
                                           workers=1)
        torch.set_num_threads(2)
        for workers in (2, 3):
            # Many small batches, several in flight at once: the same numbers, in input order.
            got = embed(events, model=tiny_model, axes=axes, batch_size=3, progress=False, workers=workers)
            assert np.array_equal(got, serial)
            assert torch.get_num_threads() == 2  # set to 1 while the workers ran, then restored
        got_particles = embed_particles(events, model=tiny_model, axes=axes, batch_size=3, progress=False,
                                        workers=2)
        assert ak.all(ak.flatten(got_particles == serial_particles, axis=None))
        # Restored after an error inside the parallel run as well.
        px = ak.to_numpy(ak.flatten(events.particles.px)).copy()
        px[0] = np.nan
        px = ak.unflatten(px, ak.to_numpy(ak.num(events.particles)))
        bad = ak.with_field(events, ak.with_field(events.particles, px, "px"), "particles")
        with pytest.raises(ModelError, match="event index 0"):
            embed(bad, model=tiny_model, axes=axes, progress=False, workers=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_positive_integer(tiny_model, events, axes, workers):
    with pytest.raises(ModelError, match=r"workers must be a positive integer .* got"):
        embed(events, model=tiny_model, axes=axes, progress=False, workers=workers)


def test_embed_features_is_embed_after_the_features(tiny_model, events, axes):
    from mlhad.encoder import collect_features, embed_features

    flat = collect_features(events, class_scheme=tiny_model.config.class_scheme, axes=axes)
    want = embed(events, model=tiny_model, axes=axes, batch_size=5, progress=False, workers=1)
    assert np.array_equal(embed_features(flat, model=tiny_model, batch_size=5, workers=1), want)
