"""Flat float64 momenta of many events, and helpers to batch them by multiplicity.

The event-shape kernels work on two layouts:

* *flat*: all particles of all events in one ``(N, 3)`` array plus per-event
  ``counts`` -- linear-cost sums (tensors, hemisphere sums) use ``np.bincount`` on it;
* *dense buckets*: events of equal multiplicity ``n`` stacked as ``(B, n, 3)`` -- the
  pairwise kernels (thrust, jet clustering) run on these without any padding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import awkward as ak
import numpy as np

from mlhad.progress import progress_bar

from .selection import as_particles

__all__ = ["Momenta", "momenta", "buckets", "ragged", "progress"]

T = TypeVar("T")


@dataclass(frozen=True)
class Momenta:
    """Three-momenta and energies of the particles of ``n_events`` events.

    Attributes:
        p: ``(N, 3)`` float64 momenta in GeV, events one after the other.
        e: ``(N,)`` float64 energies in GeV.
        counts: ``(n_events,)`` int64 particles per event (``N = counts.sum()``).
    """

    p: np.ndarray
    e: np.ndarray
    counts: np.ndarray

    @property
    def n_events(self) -> int:
        return int(self.counts.shape[0])

    @cached_property
    def offsets(self) -> np.ndarray:
        """``(n_events + 1,)`` start of each event in the flat arrays."""
        return np.concatenate([[0], np.cumsum(self.counts)])

    @cached_property
    def event(self) -> np.ndarray:
        """``(N,)`` event index of every particle."""
        return np.repeat(np.arange(self.n_events), self.counts)

    @cached_property
    def pmag(self) -> np.ndarray:
        """``(N,)`` momentum magnitudes |p| in GeV."""
        return np.sqrt(np.einsum("ij,ij->i", self.p, self.p))

    def per_event_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum ``(N,)`` particle values per event -> ``(n_events,)``."""
        return np.bincount(self.event, weights=values, minlength=self.n_events)

    def dense(self, events: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Momenta ``(B, n, 3)`` and energies ``(B, n)`` of ``events``, all of size ``n``."""
        index = self.offsets[events][:, None] + np.arange(n)
        return self.p[index], self.e[index]


def momenta(particles: ak.Array) -> Momenta:
    """Convert ragged particles (float32 px, py, pz, e) into float64 :class:`Momenta`."""
    particles = as_particles(particles)
    flat = ak.flatten(particles[["px", "py", "pz", "e"]])
    p = np.stack(
        [ak.to_numpy(flat[c]).astype(np.float64) for c in ("px", "py", "pz")], axis=1
    )
    e = ak.to_numpy(flat["e"]).astype(np.float64)
    counts = ak.to_numpy(ak.num(particles, axis=1)).astype(np.int64)
    return Momenta(p=p.reshape(-1, 3), e=e, counts=counts)


def buckets(
    counts: np.ndarray, *, min_n: int = 2, max_elements: int = 2_000_000, power: int = 2
) -> Iterator[tuple[int, np.ndarray]]:
    """Group events by multiplicity, in chunks that bound the kernel's memory.

    Args:
        counts: ``(n_events,)`` particles per event.
        min_n: smallest multiplicity to yield (smaller events are left out).
        max_elements: at most ``B * n**power`` elements per chunk.
        power: how the kernel's memory grows with ``n``.

    Yields:
        ``(n, events)``: the multiplicity and the indices of up to ``B`` events.
    """
    order = np.argsort(counts, kind="stable")
    sizes = counts[order]
    values, starts = np.unique(sizes, return_index=True)
    ends = np.append(starts[1:], len(sizes))
    for n, lo, hi in zip(values.tolist(), starts.tolist(), ends.tolist()):
        if n < min_n:
            continue
        step = max(1, max_elements // max(1, n**power))
        for a in range(lo, hi, step):
            yield n, order[a : min(hi, a + step)]


def ragged(values: np.ndarray, counts: np.ndarray) -> ak.Array:
    """Per-particle ``(N,)`` values back to a ragged ``(n_events, var)`` array."""
    return ak.unflatten(values, counts)


def progress(iterable: Iterable[T], *, total: int, desc: str, min_total: int = 200) -> Iterable[T]:
    """Wrap ``iterable`` in a progress bar for long loops (off when MLHAD_NO_PROGRESS=1)."""
    if total < min_total:
        return iterable
    return progress_bar(iterable=iterable, total=total, desc=desc, leave=False)
