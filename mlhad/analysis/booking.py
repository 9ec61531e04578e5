"""Book the histograms of an analysis: registry entry + the reference's own binning.

Each histogram of an analysis is booked with the bin edges of its reference object
(``mlhad.histograms.reference_edges(ref, allow_gaps=True)``: reference points with gaps
between them, ALEPH d25-d27, get an extra bin per gap) and the map from reference
points to those bins. Reference objects without an MC counterpart are listed with the
registry's reason instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlhad.histograms import reference_bin_index, reference_edges
from mlhad.registry import Entry, analysis, check_binning, mc_path, skip_reason
from mlhad.yoda import Estimate1D, Scatter2D, YodaObject, read_reference

__all__ = ["Booking", "book", "bookings_digest", "FILL_MODES", "fill_mode"]

#: How an entry's fills are made (see :func:`fill_mode`).
FILL_MODES = ("value", "weighted_mean", "counted_mean")


def fill_mode(entry: Entry) -> str:
    """How Rivet fills the histogram of ``entry``.

    * ``"value"``: the observable is the fill value (one fill per event, particle or
      pair), with fill factor 1 or the entry's ``weight`` observable (EEC).
    * ``"weighted_mean"``: a mean of an event quantity, filled once per accepted event
      at the bin centre with weight ``x * w`` (ALEPH d19-d23, DELPHI d35:
      ``fill(xMid, numParticles * weight)``).
    * ``"counted_mean"``: a mean rate of identified hadrons, one fill of weight ``w``
      per hadron at the bin centre (ALEPH d44, DELPHI d36-d40).

    The two mean modes give the same value and the same statistical error; they differ
    only in YODA's ``sumw2`` (one fill of ``x w`` gives ``x**2 w**2``, ``x`` fills of ``w``
    give ``x w**2``), which :func:`mlhad.analysis.normalise` reports as ``yoda_errors``.
    """
    if entry.normalisation != "mean":
        return "value"
    return "counted_mean" if entry.selection == "unstable" else "weighted_mean"


@dataclass(frozen=True, eq=False)
class Booking:
    """One booked histogram.

    Attributes:
        entry: the registry entry (observable, selection, normalisation, ...).
        edges: ``(n+1,)`` bin edges from the reference object.
        ref_bins: ``(n_points,)`` bin of each reference point.
    """

    entry: Entry
    edges: np.ndarray
    ref_bins: np.ndarray

    @property
    def path(self) -> str:
        return self.entry.path


def book(analysis_name: str, reference: Mapping[str, YodaObject] | None = None
         ) -> tuple[dict[str, Booking], dict[str, str]]:
    """Book every registry entry of an analysis with the binning of its reference object.

    Args:
        analysis_name: Rivet name (or alias) of the analysis.
        reference: ``{ref_path: object}`` (e.g. ``read_yoda(file)``); default: the
            reference file shipped in ``mlhad.rivet_data``.

    Returns:
        ``({mc_path: Booking}, {ref_path: reason})``: the booked histograms in registry
        order, and the reference objects that have no MC counterpart (never filled by
        Rivet's analysis, bookkeeping, or unknown to the registry) with the reason.

    Raises:
        RegistryError: unknown analysis.
        BinningMismatchError: a reference object no longer fits its registry entry.
    """
    ana = analysis(analysis_name)
    ref = read_reference(ana.name) if reference is None else reference
    prefixes = tuple(f"/REF/{name}/" for name in (ana.name, *ana.aliases))
    # reference paths of this analysis, keyed by the canonical MC path (aliases resolved)
    mine = {mc_path(p): p for p in ref if p.startswith(prefixes)}
    bookings: dict[str, Booking] = {}
    unusable: dict[str, str] = {}
    for entry in ana.entries:
        if entry.path not in mine:
            continue
        obj = ref[mine[entry.path]]
        if isinstance(obj, Estimate1D):
            check_binning(entry, obj.to_scatter())
        elif isinstance(obj, Scatter2D):
            check_binning(entry, obj)
        else:  # e.g. Rivet 4's string-axis estimates of single rates
            unusable[mine[entry.path]] = (f"a {obj.type_name} reference object cannot be booked yet (only Scatter2D "
                                          "and Estimate1D); convert it to a Scatter2D to compare it")
            continue
        edges = reference_edges(obj, allow_gaps=True)
        bookings[entry.path] = Booking(entry, edges, reference_bin_index(obj, edges))
    skipped = {ref_path: unusable.get(ref_path) or skip_reason(ref_path) or "no MC counterpart"
               for path, ref_path in mine.items() if path not in bookings}
    return bookings, skipped


def bookings_digest(bookings: Mapping[str, Booking]) -> str:
    """A hash of the booked paths, fill definitions and bin edges (part of the cache key)."""
    h = hashlib.sha256()
    for path, b in bookings.items():
        h.update(repr((path, b.entry, fill_mode(b.entry))).encode())
        h.update(np.ascontiguousarray(b.edges, dtype=np.float64).tobytes())
    return h.hexdigest()
