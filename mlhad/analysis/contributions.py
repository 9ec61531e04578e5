"""The sparse per-event contributions of a sample to every reference histogram of an analysis.

:class:`HistogramContributions` is the data structure the whole analysis chain (and
the differentiable reweighting fitter, which mirrors it in torch) works on. It holds,
for one reference histogram, every (event, bin) pair that the event filled, with the
sums of its fills there (see :mod:`mlhad.analysis.sparse` for the formulas), plus
what is needed to normalise the histogram the way Rivet does:

=============  =================  =========================================================
field          shape / dtype      meaning
=============  =================  =========================================================
path           str                MC path, ``/ALEPH_1996_S3486095/d01-x01-y01``
normalisation  str                ``unit_area``, ``per_event``, ``fraction``, ``mean``, ``profile``
kind           str                ``event``, ``particle`` or ``pair`` (fills per event, ...)
edges          (n+1,) float64     bin edges (the reference's; gaps become extra bins)
ref_bins       (n_points,) int64  the bin of each reference point (skips gap bins)
accepted       (n_events,) bool   events counted in the normalisation ``W`` (event veto)
event          (F,) int64         event index (position in the sample, chunk order)
bin            (F,) int32         -1 underflow, 0..n-1 bins, n overflow ([low, high))
count          (F,) float64       sum of fill factors a (number of fills when a = 1)
count2         (F,) float64       sum of a**2 (the ``count`` array itself when a = 1)
n_fills        (F,) float64       number of fills (the ``count`` array itself when a = 1)
sumx, sumx2    (F,) float64|None  sum of a x and a x**2 (x the fill value), YODA's bin
                                  moments; None if loaded with ``moments=False``
sumy, sumy2,   (F,) float64|None  profiles only: sums of a y, a y**2 and a x y
sumxy
metadata       dict               observable, selection, min_charged, fill mode, ...
=============  =================  =========================================================

Rows are sorted by event, then bin. With event weights ``w`` the bin sums are
``sumw_b = sum_rows w[event] * count`` and YODA's ``sumw2_b = sum_rows w[event]**2 *
count2``; ``W = sum(w[accepted])``. Events that fill nothing have no row.

Mean-type objects (ALEPH d19-d23 and d44, DELPHI d35-d40) have a single bin and one row
per event (where the value is non-zero, or every accepted event for ``n_charged``-like
values, as Rivet fills them); :attr:`HistogramContributions.values` returns the
per-event value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mlhad.exceptions import HistogramError

__all__ = ["HistogramContributions", "Contributions", "FORMAT_VERSION"]

#: Version of the layout above; part of every cache key.
FORMAT_VERSION = 2

_ROW_FIELDS = ("event", "bin", "count", "count2", "n_fills")
_MOMENT_FIELDS = ("sumx", "sumx2")
_PROFILE_FIELDS = ("sumy", "sumy2", "sumxy")


@dataclass(frozen=True, eq=False)
class HistogramContributions:
    """Sparse fills of one histogram by every event of a sample (see the module docstring)."""

    path: str
    normalisation: str
    kind: str
    edges: np.ndarray
    ref_bins: np.ndarray
    accepted: np.ndarray
    event: np.ndarray
    bin: np.ndarray
    count: np.ndarray
    count2: np.ndarray
    n_fills: np.ndarray
    sumx: np.ndarray | None = None
    sumx2: np.ndarray | None = None
    sumy: np.ndarray | None = None
    sumy2: np.ndarray | None = None
    sumxy: np.ndarray | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rows = self.event.shape[0]
        for name in _ROW_FIELDS + _MOMENT_FIELDS + _PROFILE_FIELDS:
            arr = getattr(self, name)
            if arr is None:
                if name in _ROW_FIELDS or self.normalisation == "profile":
                    raise HistogramError(f"{self.path}: contributions need the {name!r} column")
                continue
            if arr.shape != (rows,):
                raise HistogramError(f"{self.path}: column {name!r} has shape {arr.shape}, expected ({rows},)")
        if rows and (self.bin.min() < -1 or self.bin.max() > self.n_bins):
            raise HistogramError(f"{self.path}: bin numbers must lie in [-1, {self.n_bins}]")
        if rows and (self.event[0] < 0 or self.event[-1] >= self.n_events):
            raise HistogramError(f"{self.path}: event indices must lie in [0, {self.n_events})")
        if rows > 1 and np.any(self.event[1:] < self.event[:-1]):
            raise HistogramError(f"{self.path}: rows must be sorted by event (the sparse layout relies on it)")

    @property
    def n_bins(self) -> int:
        """Number of bins (gap bins included)."""
        return int(self.edges.shape[0] - 1)

    @property
    def n_events(self) -> int:
        """Events of the sample (accepted or not)."""
        return int(self.accepted.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.event.shape[0])

    @property
    def widths(self) -> np.ndarray:
        return np.diff(self.edges)

    @property
    def values(self) -> np.ndarray:
        """``(n_events,)`` per-event value of a mean-type histogram (NaN for vetoed events).

        Raises:
            HistogramError: for histograms that are not ``mean`` normalised.
        """
        if self.normalisation != "mean":
            raise HistogramError(f"{self.path} is a {self.normalisation} histogram; per-event values exist for means only")
        out = np.bincount(self.event, weights=self.count, minlength=self.n_events)
        out[~self.accepted] = np.nan
        return out

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = [getattr(self, n) for n in _ROW_FIELDS + _MOMENT_FIELDS + _PROFILE_FIELDS]
        arrays += [self.accepted, self.edges, self.ref_bins]
        unique = {id(a): a for a in arrays if a is not None}  # shared arrays count once
        return int(sum(a.nbytes for a in unique.values()))

    def __repr__(self) -> str:
        return (f"HistogramContributions({self.path}, {self.normalisation}, {self.n_bins} bins, "
                f"{self.n_rows} rows, {int(self.accepted.sum())}/{self.n_events} events accepted)")

    @classmethod
    def concatenate(cls, parts: Sequence[HistogramContributions]) -> HistogramContributions:
        """Join the contributions of consecutive event ranges (e.g. chunks), in order.

        Event indices of part ``i`` are shifted by the number of events of the parts before it.
        """
        if not parts:
            raise HistogramError("nothing to concatenate")
        first = parts[0]
        for p in parts[1:]:
            if p.path != first.path or not np.array_equal(p.edges, first.edges):
                raise HistogramError(f"cannot concatenate contributions of {first.path} and {p.path}: different histograms")
        offsets = np.cumsum([0] + [p.n_events for p in parts[:-1]])
        columns: dict[str, Any] = {
            "event": np.concatenate([p.event + off for p, off in zip(parts, offsets)]),
            "accepted": np.concatenate([p.accepted for p in parts]),
        }
        for name in _ROW_FIELDS[1:] + _MOMENT_FIELDS + _PROFILE_FIELDS:
            if name in ("count2", "n_fills") and all(getattr(p, name) is p.count for p in parts):
                continue  # plain fills: shares the count array, set below
            if getattr(first, name) is not None:
                columns[name] = np.concatenate([getattr(p, name) for p in parts])
        for name in ("count2", "n_fills"):
            columns.setdefault(name, columns["count"])
        meta = dict(first.metadata)
        if "n_undefined" in meta:
            meta["n_undefined"] = int(sum(p.metadata.get("n_undefined", 0) for p in parts))
        return replace(first, metadata=meta, **columns)


@dataclass(frozen=True, eq=False)
class Contributions(Mapping[str, HistogramContributions]):
    """Every histogram's contributions for one analysis and one sample: ``{path: HistogramContributions}``.

    Attributes:
        analysis: Rivet name of the analysis.
        n_events: events of the sample (vetoed ones included).
        beam_energy: ``p_beam`` in GeV used for ``x_p`` and ``x_E``.
        histograms: ``{mc_path: HistogramContributions}`` in registry order.
        skipped: ``{ref_path: reason}`` for reference objects without an MC counterpart.
        metadata: provenance (sample, cache key, code fingerprint, counts).
    """

    analysis: str
    n_events: int
    beam_energy: float
    histograms: Mapping[str, HistogramContributions]
    skipped: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, path: str) -> HistogramContributions:
        key = path[len("/REF"):] if path.startswith("/REF/") else path
        try:
            return self.histograms[key]
        except KeyError:
            reason = self.skipped.get("/REF" + key)
            why = f" ({reason})" if reason else ""
            raise KeyError(f"no contributions for {path}{why}; known: {len(self.histograms)} histograms of {self.analysis}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.histograms)

    def __len__(self) -> int:
        return len(self.histograms)

    def __repr__(self) -> str:
        return (f"Contributions({self.analysis}, {self.n_events} events, {len(self)} histograms, "
                f"{len(self.skipped)} reference objects skipped)")

    def nbytes(self) -> int:
        """Memory held by all histograms' arrays."""
        return int(sum(h.nbytes() for h in self.histograms.values()))

    def select(self, paths: Sequence[str]) -> Contributions:
        """The same contributions restricted to some histogram paths."""
        return replace(self, histograms={p: self[p] for p in paths})

    @classmethod
    def concatenate(cls, parts: Sequence[Contributions]) -> Contributions:
        """Join contributions of consecutive event ranges of one sample (chunk by chunk)."""
        if not parts:
            raise HistogramError("nothing to concatenate")
        first = parts[0]
        histograms = {path: HistogramContributions.concatenate([p.histograms[path] for p in parts])
                      for path in first.histograms}
        meta = dict(first.metadata)
        for key in ("n_vetoed",):
            if key in meta:
                meta[key] = int(sum(p.metadata.get(key, 0) for p in parts))
        return replace(first, n_events=int(sum(p.n_events for p in parts)), histograms=histograms, metadata=meta)
