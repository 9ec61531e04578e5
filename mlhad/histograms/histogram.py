"""The weighted 1D histogram used everywhere downstream: MC predictions, reweighting, fits.

A :class:`Histogram` has fixed edges and K weight columns ("variations": the nominal
weight plus reweighted alternatives, all filled with the *same* values). Per column it
carries sumw and sumw2 (and the first two x moments, for YODA output), plus the event
bookkeeping needed to normalise: the sum of *event* weights, which differs from the sum
of fills when an event fills many entries (per-particle spectra) or none.

Typical use::

    h = Histogram(edges, n_variations=3)
    for batch in sample.iter_batches(...):
        h.add_events(event_weights)                       # (n_ev, 3): every event, once
        h.fill(x_per_particle, np.repeat(event_weights, n_particles, axis=0))

The container accumulates in place (``fill`` and ``add_events`` return ``self``);
normalisations are pure functions in :mod:`mlhad.histograms.normalize`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms.fill import accumulate, check_edges, check_weights

__all__ = ["Histogram"]


def _readonly(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.setflags(write=False)
    return view


class Histogram:
    """Fixed-edge 1D histogram with K weight columns.

    Args:
        edges: (n+1,) strictly increasing bin edges; bins are [low, high) and a value on
            the last upper edge goes to the overflow (YODA/Rivet convention).
        n_variations: K, number of weight columns (1 for a plain histogram).
        variations: K lowercase names of the columns (default ``w0, w1, ...``); column 0
            is the nominal one.

    Example:
        >>> h = Histogram([0.0, 1.0, 2.0]).fill([0.5, 1.5, 1.7], [1.0, 2.0, 3.0])
        >>> h.sumw.tolist(), h.sumw2.tolist()
        ([[1.0, 5.0]], [[1.0, 13.0]])
    """

    def __init__(self, edges: object, *, n_variations: int = 1, variations: Sequence[str] | None = None) -> None:
        self._edges = check_edges(edges)
        if isinstance(n_variations, bool) or not isinstance(n_variations, (int, np.integer)) or n_variations < 1:
            raise HistogramError(f"n_variations must be a positive integer, got {n_variations!r}")
        k = int(n_variations)
        if variations is None:
            names = tuple(f"w{i}" for i in range(k))
        else:
            names = tuple(str(v) for v in variations)
            if len(names) != k:
                raise HistogramError(f"{len(names)} variation names given for n_variations={k}")
            if len(set(names)) != k or any(not v or v != v.lower() or any(c in v for c in "[]/ \t") for v in names):
                raise HistogramError(
                    f"variation names must be distinct, non-empty, lowercase, without '[', ']', '/' or spaces; got {names}"
                )
        self._variations = names
        nb = self._edges.shape[0] + 1
        self._sumw = np.zeros((k, nb))
        self._sumw2 = np.zeros((k, nb))
        self._sumwx = np.zeros((k, nb))
        self._sumwx2 = np.zeros((k, nb))
        self._numentries = np.zeros(nb)
        self._event_sumw = np.zeros(k)
        self._event_sumw2 = np.zeros(k)
        self._n_events = 0
        self._scaled_by = np.ones(k)

    # -- filling -----------------------------------------------------------------------
    @classmethod
    def from_sums(cls, edges: object, *, sumw: np.ndarray, sumw2: np.ndarray, sumwx: np.ndarray,
                  sumwx2: np.ndarray, numentries: np.ndarray, event_sumw: np.ndarray, event_sumw2: np.ndarray,
                  n_events: int, variations: Sequence[str] | None = None) -> "Histogram":
        """A raw (unscaled) histogram from precomputed per-bin sums.

        Args:
            edges: (n+1,) bin edges.
            sumw, sumw2, sumwx, sumwx2: (K, n+2) sums, underflow first and overflow last.
            numentries: (n+2,) fill counts.
            event_sumw, event_sumw2: (K,) sums of event weights (for normalisation).
            n_events: number of events.
            variations: K weight-column names.
        """
        sumw = np.atleast_2d(np.asarray(sumw, dtype=np.float64))
        h = cls(edges, n_variations=sumw.shape[0], variations=variations)
        for name, value in (("_sumw", sumw), ("_sumw2", sumw2), ("_sumwx", sumwx), ("_sumwx2", sumwx2)):
            arr = np.atleast_2d(np.asarray(value, dtype=np.float64))
            if arr.shape != getattr(h, name).shape:
                raise HistogramError(f"{name[1:]} has shape {arr.shape}, expected {getattr(h, name).shape}")
            getattr(h, name)[...] = arr
        h._numentries[...] = np.asarray(numentries, dtype=np.float64)
        h._event_sumw[...] = np.asarray(event_sumw, dtype=np.float64)
        h._event_sumw2[...] = np.asarray(event_sumw2, dtype=np.float64)
        h._n_events = int(n_events)
        return h

    def fill(self, values: object, weights: object = None) -> Histogram:
        """Add fills; vectorised.

        Args:
            values: (N,) finite values.
            weights: None (1 per fill), (N,) (same weight in every column) or (N, K).

        Returns:
            self, for chaining.

        Raises:
            HistogramError: NaN/inf values or weights (how many, where), wrong shapes,
                or filling a histogram that was already scaled.
        """
        if np.any(self._scaled_by != 1.0):
            raise HistogramError(
                "cannot fill a histogram that has been scaled/normalised (scaled_by="
                f"{self._scaled_by.tolist()}); fill the raw histogram and normalise at the end"
            )
        sums = accumulate(values, self._edges, weights, n_variations=self.n_variations)
        self._sumw += sums.sumw
        self._sumw2 += sums.sumw2
        self._sumwx += sums.sumwx
        self._sumwx2 += sums.sumwx2
        self._numentries += sums.numentries
        return self

    def add_events(self, weights: object = None, *, n: int | None = None) -> Histogram:
        """Count events for normalisation (Rivet's ``sumOfWeights``), whether or not they fill.

        Args:
            weights: Event weights, (N,) for every column or (N, K); None with ``n``
                counts ``n`` events of weight 1.
            n: Number of unit-weight events (only when ``weights`` is None).

        Returns:
            self.
        """
        if weights is None:
            if n is None or isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise HistogramError(f"add_events needs event weights or n >= 0 unit-weight events, got n={n!r}")
            self._event_sumw += n
            self._event_sumw2 += n
            self._n_events += int(n)
            return self
        if n is not None:
            raise HistogramError("give either event weights or n, not both")
        raw = np.asarray(weights)
        if raw.ndim == 0:
            raise HistogramError(f"event weights must be (N,) or (N, K), got a scalar {weights!r}")
        count = int(raw.shape[0])
        w = np.asarray(check_weights(raw, count, self.n_variations))
        cols = w if w.ndim == 2 else w[:, None]
        self._event_sumw += cols.sum(axis=0)
        self._event_sumw2 += (cols * cols).sum(axis=0)
        self._n_events += count
        return self

    def __iadd__(self, other: Histogram) -> Histogram:
        """Merge another histogram of the same binning (e.g. from another chunk)."""
        if not isinstance(other, Histogram):
            return NotImplemented
        if self._edges.shape != other._edges.shape or not np.array_equal(self._edges, other._edges):
            raise HistogramError("cannot add histograms with different edges")
        if self._variations != other._variations:
            raise HistogramError(f"cannot add histograms with variations {self._variations} and {other._variations}")
        if not np.array_equal(self._scaled_by, other._scaled_by):
            raise HistogramError("cannot add histograms scaled by different factors; add the raw histograms")
        for name in ("_sumw", "_sumw2", "_sumwx", "_sumwx2", "_numentries", "_event_sumw", "_event_sumw2"):
            getattr(self, name)[...] += getattr(other, name)
        self._n_events += other._n_events
        return self

    def __add__(self, other: Histogram) -> Histogram:
        if not isinstance(other, Histogram):
            return NotImplemented
        out = self.copy()
        out += other
        return out

    def copy(self) -> Histogram:
        """A deep copy."""
        out = Histogram.__new__(Histogram)
        out.__dict__.update({k: (v.copy() if isinstance(v, np.ndarray) and k != "_edges" else v) for k, v in self.__dict__.items()})
        return out

    # -- views ------------------------------------------------------------------------
    @property
    def edges(self) -> np.ndarray:
        """(n+1,) bin edges."""
        return self._edges

    @property
    def n_bins(self) -> int:
        return int(self._edges.shape[0] - 1)

    @property
    def n_variations(self) -> int:
        return len(self._variations)

    @property
    def variations(self) -> tuple[str, ...]:
        return self._variations

    @property
    def widths(self) -> np.ndarray:
        return np.diff(self._edges)

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self._edges[1:] + self._edges[:-1])

    @property
    def sumw(self) -> np.ndarray:
        """(K, n) sum of weights per visible bin."""
        return _readonly(self._sumw[:, 1:-1])

    @property
    def sumw2(self) -> np.ndarray:
        """(K, n) sum of squared weights per visible bin."""
        return _readonly(self._sumw2[:, 1:-1])

    @property
    def numentries(self) -> np.ndarray:
        """(n,) number of fills per visible bin."""
        return _readonly(self._numentries[1:-1])

    @property
    def underflow(self) -> np.ndarray:
        """(K,) sumw below the first edge."""
        return _readonly(self._sumw[:, 0])

    @property
    def overflow(self) -> np.ndarray:
        """(K,) sumw at or above the last edge."""
        return _readonly(self._sumw[:, -1])

    @property
    def sumw_all(self) -> np.ndarray:
        """(K, n+2) sumw with the flows (index 0 underflow, n+1 overflow)."""
        return _readonly(self._sumw)

    @property
    def sumw2_all(self) -> np.ndarray:
        return _readonly(self._sumw2)

    @property
    def sumwx_all(self) -> np.ndarray:
        return _readonly(self._sumwx)

    @property
    def sumwx2_all(self) -> np.ndarray:
        return _readonly(self._sumwx2)

    @property
    def numentries_all(self) -> np.ndarray:
        return _readonly(self._numentries)

    @property
    def event_sumw(self) -> np.ndarray:
        """(K,) sum of event weights given to :meth:`add_events`."""
        return _readonly(self._event_sumw)

    @property
    def event_sumw2(self) -> np.ndarray:
        return _readonly(self._event_sumw2)

    @property
    def n_events(self) -> int:
        """Number of events given to :meth:`add_events`."""
        return self._n_events

    @property
    def scaled_by(self) -> np.ndarray:
        """(K,) product of all scale factors applied (Rivet's ``ScaledBy``); 1 if raw."""
        return _readonly(self._scaled_by)

    def column_index(self, variation: int | str) -> int:
        """Index of a weight column given by index or name."""
        if isinstance(variation, str):
            if variation not in self._variations:
                raise HistogramError(f"no variation {variation!r}; variations are {list(self._variations)}")
            return self._variations.index(variation)
        k = int(variation)
        if not 0 <= k < self.n_variations:
            raise HistogramError(f"variation index {k} out of range [0, {self.n_variations})")
        return k

    def __repr__(self) -> str:
        return (
            f"Histogram({self.n_bins} bins in [{self._edges[0]:g}, {self._edges[-1]:g}), "
            f"{self.n_variations} variation(s), {int(self._numentries.sum())} fills, {self._n_events} events)"
        )

    # -- used by the pure functions of normalize.py ---------------------------------------
    def _scaled(self, factor: np.ndarray) -> Histogram:
        out = self.copy()
        f = factor[:, None]
        out._sumw *= f
        out._sumw2 *= f * f
        out._sumwx *= f
        out._sumwx2 *= f
        out._scaled_by = out._scaled_by * factor
        return out
