"""The feature-extractor API: events in, fixed-size vectors out.

What to use when:

* :func:`embed` gives one vector per event: the input option for event-level
  classifiers (HOMER step 1, the diagnosis classifier, linear probes).
* :func:`embed_particles` gives one vector per visible particle, aligned with
  :func:`mlhad.encoder.select_visible`: for particle-level heads.
* :func:`embed_features` embeds features already computed (``collect_features``).

Both run the model in inference mode, in batches of equal multiplicity (no padding,
so the model skips all masking), on ``workers`` threads at once (torch releases the GIL
in its kernels; each worker uses one torch thread, which on a small CPU beats torch's
own intra-op threads), with a progress bar (off when ``progress=False`` or
``MLHAD_NO_PROGRESS=1``), and return results in the order of the input events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import awkward as ak
import numpy as np
import torch

from mlhad.exceptions import ModelError
from mlhad.progress import progress_bar
from mlhad.threads import torch_threads

from .batching import flat_rows, make_batch, multiplicity_batches
from .features import FlatFeatures
from .inputs import iter_feature_blocks, source_length
from .model import PETEncoder

__all__ = ["embed", "embed_features", "embed_particles", "check_workers"]


def _resolve(model: PETEncoder | None) -> PETEncoder:
    if model is None:
        from .checkpoint import load

        return load()
    return model


def check_workers(workers: int | None) -> int:
    """The number of forward-pass threads: ``workers``, or ``torch.get_num_threads()`` if None.

    Raises:
        ModelError: ``workers`` is not a positive integer.
    """
    if workers is None:
        return max(1, torch.get_num_threads())
    if not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1:
        raise ModelError(
            f"workers must be a positive integer (threads running forward passes in parallel, one torch "
            f"thread each) or None (torch.get_num_threads()), got {workers!r}"
        )
    return int(workers)


def _in_order(fn: Callable[[Any], Any], items: Iterable[Any], workers: int) -> Iterator[Any]:
    """``map(fn, items)`` on ``workers`` threads, in order, at most ``2 * workers`` items in flight."""
    if workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="mlhad-embed") as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _forward_batches(
    model: PETEncoder, flat: FlatFeatures, batch_size: int, workers: int, particles: bool
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """``(index, event embeddings, flat particle embeddings or None)`` per equal-multiplicity batch, in order.

    The caller sets eval mode and the torch thread count (see :func:`_run`).
    """
    device = next(model.parameters()).device

    def forward(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        # Runs in a worker thread (inference mode is per thread): torch releases the GIL
        # inside its kernels, so the workers' batches run in parallel.
        batch = make_batch(flat, index)
        with torch.inference_mode():
            mask = batch.mask.to(device)
            out = model(batch.features.to(device), mask, batch.globals.to(device))
            part = out.particles[mask].cpu().numpy() if particles else None
            return index, out.event.cpu().numpy(), part

    yield from _in_order(forward, multiplicity_batches(flat.counts, batch_size), workers)


@contextmanager
def _inference(model: PETEncoder, workers: int) -> Iterator[None]:
    """Eval mode (training flag restored after) and, for several workers, one torch thread each."""
    was_training = model.training
    model.eval()
    try:
        # torch's own intra-op threads would compete with the workers.
        with torch_threads(1 if workers > 1 else None):
            yield
    finally:
        model.train(was_training)


def _run(
    source: Any,
    model: PETEncoder,
    *,
    axes: np.ndarray | None,
    batch_size: int,
    progress: bool,
    particles: bool,
    desc: str,
    workers: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event embeddings, and (if ``particles``) flat particle embeddings with their counts."""
    workers = check_workers(workers)
    n_events = source_length(source)
    events = np.zeros((n_events, model.config.d_event), dtype=np.float32)
    per_particle: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    with progress_bar(total=n_events, desc=desc, unit="ev", disable=not progress) as bar, _inference(model, workers):
        for first, flat in iter_feature_blocks(source, class_scheme=model.config.class_scheme, axes=axes):
            block = np.zeros((flat.values.shape[0], model.config.d_model), dtype=np.float32) if particles else None
            for index, event, part in _forward_batches(model, flat, batch_size, workers, particles):
                events[first + index] = event
                if block is not None:
                    block[flat_rows(flat.starts, flat.counts, index)] = part
                bar.update(len(index))
            if block is not None:
                per_particle.append(block)
                counts.append(flat.counts)
    if not per_particle:
        return events, np.zeros((0, model.config.d_model), np.float32), np.zeros(0, np.int64)
    return events, np.concatenate(per_particle), np.concatenate(counts)


def embed_features(
    flat: FlatFeatures, *, model: PETEncoder | None = None, batch_size: int = 256, workers: int | None = None
) -> np.ndarray:
    """Event embeddings of prepared features (what :func:`embed` runs after computing them).

    Args:
        flat: :class:`~mlhad.encoder.features.FlatFeatures` of the events
            (:func:`mlhad.encoder.collect_features`).
        model, batch_size, workers: as for :func:`embed`.

    Returns:
        ``(flat.n_events, d_event)`` float32, in the order of ``flat``.
    """
    model = _resolve(model)
    workers = check_workers(workers)
    out = np.zeros((flat.n_events, model.config.d_event), dtype=np.float32)
    with _inference(model, workers):
        for index, event, _ in _forward_batches(model, flat, batch_size, workers, False):
            out[index] = event
    return out


def embed(
    source: Any,
    *,
    model: PETEncoder | None = None,
    axes: np.ndarray | None = None,
    batch_size: int = 256,
    progress: bool = True,
    workers: int | None = None,
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
        workers: forward passes run on this many threads at once, each with one torch
            thread (torch's intra-op thread count is set to 1 while they run and restored
            after); default None: ``torch.get_num_threads()``. 1 runs serially with
            torch's own threads. The results do not depend on it (each batch is computed
            the same way, whichever thread runs it; tested: identical arrays).

    Returns:
        ``(n_events, model.config.d_event)`` float32, row ``i`` for input event ``i``.

    Raises:
        ModelError: an event without visible particles, a non-finite momentum (the
            message names the event index), missing fields, bad axes, ``workers`` not
            a positive integer.

    Example:
        >>> X = embed(open_sample("runs/monash"))        # doctest: +SKIP
        >>> X.shape                                      # doctest: +SKIP
        (100000, 64)
    """
    return _run(source, _resolve(model), axes=axes, batch_size=batch_size, progress=progress,
                particles=False, desc="embed", workers=workers)[0]


def embed_particles(
    source: Any,
    *,
    model: PETEncoder | None = None,
    axes: np.ndarray | None = None,
    batch_size: int = 256,
    progress: bool = True,
    workers: int | None = None,
) -> ak.Array:
    """Per-particle embeddings, ``n_events * var * d_model`` (float32).

    The particles of event ``i`` are its visible final-state particles
    (:func:`mlhad.encoder.select_visible`) in their input order. Arguments and errors
    as for :func:`embed`. Memory: ``4 * d_model`` bytes per particle.
    """
    _, flat, counts = _run(source, _resolve(model), axes=axes, batch_size=batch_size,
                           progress=progress, particles=True, desc="embed particles", workers=workers)
    return ak.unflatten(ak.from_numpy(flat, regulararray=True), counts)
