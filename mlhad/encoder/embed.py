"""The feature-extractor API: events in, fixed-size vectors out.

What to use when:

* :func:`embed` gives one vector per event: the input option for event-level
  classifiers (HOMER step 1, the diagnosis classifier, linear probes).
* :func:`embed_particles` gives one vector per visible particle, aligned with
  :func:`mlhad.encoder.select_visible`: for particle-level heads.

Both run the model in inference mode, in batches of equal multiplicity (no padding,
so the model skips all masking), with a progress bar (off when ``progress=False`` or
``MLHAD_NO_PROGRESS=1``), and return results in the order of the input events.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np
import torch

from mlhad.progress import progress_bar

from .batching import flat_rows, iter_batches
from .inputs import iter_feature_blocks, source_length
from .model import PETEncoder

__all__ = ["embed", "embed_particles"]


def _resolve(model: PETEncoder | None) -> PETEncoder:
    if model is None:
        from .checkpoint import load

        return load()
    return model


def _run(
    source: Any,
    model: PETEncoder,
    *,
    axes: np.ndarray | None,
    batch_size: int,
    progress: bool,
    particles: bool,
    desc: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event embeddings, and (if ``particles``) flat particle embeddings with their counts."""
    n_events = source_length(source)
    device = next(model.parameters()).device
    events = np.zeros((n_events, model.config.d_event), dtype=np.float32)
    per_particle: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    was_training = model.training
    model.eval()
    bar = progress_bar(total=n_events, desc=desc, unit="ev", disable=not progress)
    try:
        with torch.inference_mode():
            for first, flat in iter_feature_blocks(source, class_scheme=model.config.class_scheme, axes=axes):
                starts = np.concatenate([[0], np.cumsum(flat.counts)[:-1]])
                block = np.zeros((flat.values.shape[0], model.config.d_model), dtype=np.float32) if particles else None
                for batch in iter_batches(flat, batch_size, exact=True):
                    out = model(batch.features.to(device), batch.mask.to(device), batch.globals.to(device))
                    events[first + batch.index] = out.event.cpu().numpy()
                    if block is not None:
                        rows = flat_rows(starts, flat.counts, batch.index)
                        block[rows] = out.particles[batch.mask.to(device)].cpu().numpy()
                    bar.update(len(batch.index))
                if block is not None:
                    per_particle.append(block)
                    counts.append(flat.counts)
    finally:
        bar.close()
        model.train(was_training)
    if not per_particle:
        return events, np.zeros((0, model.config.d_model), np.float32), np.zeros(0, np.int64)
    return events, np.concatenate(per_particle), np.concatenate(counts)


def embed(
    source: Any,
    *,
    model: PETEncoder | None = None,
    axes: np.ndarray | None = None,
    batch_size: int = 256,
    progress: bool = True,
) -> np.ndarray:
    """Event embeddings.

    Args:
        source: awkward Array of events (or of particles), an ``mlhad.io.Sample``, or
            the path of a sample directory (read chunk by chunk).
        model: a :class:`PETEncoder`; default: the shipped checkpoint (:func:`load`).
        axes: optional ``(n_events, 3, 3)`` event axes (rows thrust, major, minor);
            default: ``mlhad.observables.thrust_axes`` of the visible particles.
        batch_size: most events per forward pass (batches hold one multiplicity each;
            256 was the fastest on a 2-core CPU, see docs/encoder.md).
        progress: show a progress bar.

    Returns:
        ``(n_events, model.config.d_event)`` float32, row ``i`` for input event ``i``.

    Raises:
        ModelError: an event without visible particles, a non-finite momentum (the
            message names the event index), missing fields, bad axes.

    Example:
        >>> X = embed(open_sample("runs/monash"))        # doctest: +SKIP
        >>> X.shape                                      # doctest: +SKIP
        (100000, 64)
    """
    return _run(source, _resolve(model), axes=axes, batch_size=batch_size, progress=progress,
                particles=False, desc="embed")[0]


def embed_particles(
    source: Any,
    *,
    model: PETEncoder | None = None,
    axes: np.ndarray | None = None,
    batch_size: int = 256,
    progress: bool = True,
) -> ak.Array:
    """Per-particle embeddings, ``n_events * var * d_model`` (float32).

    The particles of event ``i`` are its visible final-state particles
    (:func:`mlhad.encoder.select_visible`) in their input order. Arguments and errors
    as for :func:`embed`. Memory: ``4 * d_model`` bytes per particle.
    """
    _, flat, counts = _run(source, _resolve(model), axes=axes, batch_size=batch_size,
                           progress=progress, particles=True, desc="embed particles")
    return ak.unflatten(ak.from_numpy(flat, regulararray=True), counts)
