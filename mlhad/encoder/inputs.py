"""Turn what a user has (events, particles, a sample, a path) into blocks of features.

Accepted sources, in the order they are recognised:

* a ``str`` or ``Path``: a sample directory, opened with :func:`mlhad.io.open_sample`;
* an object with ``iter_batches`` (an :class:`mlhad.io.Sample`): read chunk by chunk,
  only the particle columns the encoder needs;
* an awkward Array of events with a ``particles`` field, or of particles directly
  (``n_events * var * {px, py, pz, e, pid, charge, status}``).

Event axes come from ``axes`` if given (one row of three unit vectors per event, in
the order of the source), otherwise from ``mlhad.observables.thrust_axes`` of the
visible particles.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from mlhad.exceptions import ModelError

from .features import PARTICLE_FIELDS, FlatFeatures, check_particles, flat_features, select_visible

__all__ = ["COLUMNS", "iter_feature_blocks", "collect_features", "as_particles", "thrust_axes_of", "source_length"]

#: Sample columns the encoder reads.
COLUMNS = tuple(f"particles.{f}" for f in PARTICLE_FIELDS)


def as_particles(events: ak.Array) -> ak.Array:
    """The ``particles`` of an event array, or the array itself if it already is particles."""
    fields = ak.fields(events)
    if "particles" in fields:
        return events.particles
    if all(f in fields for f in ("px", "py", "pz", "e")):
        return events
    raise ModelError(
        f"cannot find particles in an array with fields {fields}: pass events with a "
        "'particles' field (mlhad sample format) or the particles themselves"
    )


def thrust_axes_of(particles: ak.Array, *, first_event: int = 0) -> np.ndarray:
    """``(n_events, 3, 3)`` thrust, major, minor axes of the visible particles.

    The particles are validated first, so an empty event or a NaN momentum is reported
    as such (with its event index, counted from ``first_event``), not as a thrust failure.
    """
    check_particles(particles, first_event=first_event)
    try:
        from mlhad.observables import thrust_axes
    except ImportError:
        try:
            from mlhad.observables.thrust import thrust_axes
        except ImportError as err:
            raise ModelError(
                "mlhad.observables.thrust_axes is not available in this installation; pass the "
                "event axes explicitly with axes=(n_events, 3, 3) rows thrust, major, minor"
            ) from err
    axes = np.asarray(thrust_axes(select_visible(particles)), dtype=np.float64)
    bad = ~np.isfinite(axes).all(axis=(1, 2))
    if bad.any():
        raise ModelError(
            f"no thrust axis for event index {int(np.argmax(bad)) + first_event} ({int(bad.sum())} event(s) in "
            "all): thrust needs at least 2 visible particles; drop such events or pass axes="
        )
    return axes


def _is_sample(source: Any) -> bool:
    return hasattr(source, "iter_batches") and hasattr(source, "n_events")


def source_length(source: Any) -> int:
    """Number of events in a source (without reading the particles of a sample)."""
    if isinstance(source, (str, Path)):
        from mlhad.io import open_sample

        return int(open_sample(source).n_events)
    if _is_sample(source):
        return int(source.n_events)
    return len(source)


def _blocks(source: Any, block_size: int) -> Iterator[ak.Array]:
    if isinstance(source, (str, Path)):
        from mlhad.io import open_sample

        source = open_sample(source)
    if _is_sample(source):
        for chunk in source.iter_batches(list(COLUMNS)):
            particles = as_particles(chunk)
            for start in range(0, len(particles), block_size):
                yield particles[start : start + block_size]
        return
    if not isinstance(source, ak.Array):
        raise ModelError(
            f"cannot embed an object of type {type(source).__name__}: pass an awkward Array of "
            "events, an mlhad Sample or the path of a sample directory"
        )
    particles = as_particles(source)
    for start in range(0, len(particles), block_size):
        yield particles[start : start + block_size]


def iter_feature_blocks(
    source: Any, *, class_scheme: str, axes: np.ndarray | None = None, block_size: int = 50_000
) -> Iterator[tuple[int, FlatFeatures]]:
    """Features of the source, block by block, as ``(first_event, FlatFeatures)``.

    Args:
        source: see the module docstring.
        class_scheme: particle-class scheme of the model.
        axes: optional ``(n_events, 3, 3)`` axes for the whole source.
        block_size: events per block (bounds the memory: ~4 kB per event).
    """
    n_total = source_length(source)
    if axes is not None:
        axes = np.asarray(axes)
        if axes.shape[:1] != (n_total,):
            raise ModelError(
                f"axes hold {axes.shape[0] if axes.ndim else 0} events but the source has {n_total}; "
                "pass one (3, 3) frame per event"
            )
    first = 0
    for particles in _blocks(source, block_size):
        n = len(particles)
        block_axes = thrust_axes_of(particles, first_event=first) if axes is None else axes[first : first + n]
        yield first, flat_features(particles, block_axes, class_scheme, first_event=first)
        first += n


def collect_features(
    source: Any,
    *,
    class_scheme: str,
    axes: np.ndarray | None = None,
    max_events: int | None = None,
    progress: bool = False,
) -> FlatFeatures:
    """All features of a source in memory (~4 kB per event): for training and probes.

    Args:
        source, class_scheme, axes: see :func:`iter_feature_blocks`.
        max_events: keep only the first ``max_events`` events of the source.
        progress: show a progress bar.
    """
    from mlhad.progress import progress_bar

    from .batching import concat_features, select_events

    if max_events is not None and (not isinstance(max_events, int) or max_events <= 0):
        raise ModelError(f"max_events must be a positive integer or None, got {max_events!r}")
    total = source_length(source) if max_events is None else min(max_events, source_length(source))
    blocks, n = [], 0
    with progress_bar(total=total, desc="features", unit="ev", disable=not progress) as bar:
        for _, flat in iter_feature_blocks(source, class_scheme=class_scheme, axes=axes):
            if n + flat.n_events > total:
                flat = select_events(flat, np.arange(total - n))
            blocks.append(flat)
            n += flat.n_events
            bar.update(flat.n_events)
            if n >= total:
                break
    return concat_features(blocks)
