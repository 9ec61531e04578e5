"""One batch of events -> the sparse contributions of every booked histogram.

This is the only place where observables are computed: one
:func:`mlhad.observables.compute` call per batch (per particle selection) evaluates every
observable the analysis needs, sharing thrust axes, tensors and jet clustering; the
values are then binned into :class:`~mlhad.analysis.sparse.SparseRows` per histogram.
What is filled follows Rivet's analysis code (see :func:`~mlhad.analysis.booking.fill_mode`):

* events with fewer than ``entry.min_charged`` charged particles neither fill nor count;
* undefined values (NaN, e.g. ``-ln y23`` when ``y23 = 0``) are not filled, as Rivet
  fills ``-ln y3`` only if ``y3 > 0``; their number is kept in the metadata;
* mean-type histograms have one bin and are filled at its centre.
"""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak
import numpy as np

from mlhad.observables import compute

from .booking import Booking, fill_mode
from .contributions import Contributions, HistogramContributions
from .sparse import SparseRows, aggregate

__all__ = ["batch_contributions", "compute_batch", "observables_needed", "entry_metadata"]


def observables_needed(bookings: Mapping[str, Booking]) -> dict[str, list[str]]:
    """``{compute selection: sorted observable names}`` the bookings need (``n_charged`` always)."""
    out: dict[str, set[str]] = {}
    for b in bookings.values():
        e = b.entry
        names = out.setdefault(e.compute_selection, {"n_charged"})
        names.update(n for n in (e.observable, e.weight, e.value) if n is not None)
    return {sel: sorted(names) for sel, names in out.items()}


def _flat(values: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """Ragged per-event values -> (event index, flat float64 values)."""
    counts = ak.to_numpy(ak.num(values, axis=1)).astype(np.int64)
    flat = ak.to_numpy(ak.flatten(values, axis=1)).astype(np.float64)
    return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts), flat


def _event_rows(b: Booking, x: np.ndarray, accepted: np.ndarray) -> tuple[SparseRows, int]:
    mode = fill_mode(b.entry)
    if mode == "value":
        ok = accepted & np.isfinite(x)
        n_undefined = int((accepted & ~np.isfinite(x)).sum())
        return aggregate(np.flatnonzero(ok), x[ok], b.edges), n_undefined
    # mean: one bin, filled at its centre with factor x (weighted_mean: once per event,
    # counted_mean: x fills of factor 1, none if x = 0)
    centre = 0.5 * (b.edges[0] + b.edges[1])
    events = np.flatnonzero(accepted if mode == "weighted_mean" else accepted & (x != 0))
    count = x[events].astype(np.float64)
    weighted = mode == "weighted_mean"
    rows = SparseRows(
        event=events.astype(np.int64),
        bin=np.zeros(events.shape[0], dtype=np.int32),
        count=count,
        count2=count * count if weighted else count,
        n_fills=np.ones(events.shape[0]) if weighted else count,
        sumx=count * centre,
        sumx2=count * centre * centre,
    )
    return rows, 0


def _ragged_rows(b: Booking, values: Mapping[str, object], accepted: np.ndarray) -> tuple[SparseRows, int]:
    e = b.entry
    event, x = _flat(values[e.observable])  # type: ignore[arg-type]
    factor = _flat(values[e.weight])[1] if e.weight is not None else None  # type: ignore[arg-type]
    y = _flat(values[e.value])[1] if e.value is not None else None  # type: ignore[arg-type]
    keep = accepted[event]
    finite = np.isfinite(x)
    if factor is not None:
        finite &= np.isfinite(factor)
    if y is not None:
        finite &= np.isfinite(y)
    n_undefined = int((keep & ~finite).sum())
    keep &= finite
    rows = aggregate(event[keep], x[keep], b.edges,
                     factor=None if factor is None else factor[keep],
                     y=None if y is None else y[keep])
    return rows, n_undefined


def entry_metadata(b: Booking, n_undefined: int) -> dict[str, object]:
    """What a histogram's contributions record about how they were made."""
    e = b.entry
    return {"observable": e.observable, "selection": e.selection, "weight": e.weight, "value": e.value,
            "min_charged": e.min_charged, "fill_mode": fill_mode(e), "n_undefined": int(n_undefined)}


def batch_contributions(
    particles: ak.Array,
    bookings: Mapping[str, Booking],
    *,
    analysis: str,
    beam_energy: float,
    skipped: Mapping[str, str] | None = None,
) -> Contributions:
    """Compute every booked histogram's contributions for one batch of events.

    Args:
        particles: ragged particles (or events with a ``particles`` field) of the batch.
        bookings: ``{mc_path: Booking}`` from :func:`mlhad.analysis.booking.book`.
        analysis: analysis name (recorded).
        beam_energy: ``p_beam = sqrt(s)/2`` in GeV.
        skipped: reference objects without MC counterpart (recorded).

    Returns:
        :class:`Contributions` with event indices local to the batch (0-based).
    """
    return compute_batch(particles, bookings, analysis=analysis, beam_energy=beam_energy, skipped=skipped)[0]


def compute_batch(
    particles: ak.Array,
    bookings: Mapping[str, Booking],
    *,
    analysis: str,
    beam_energy: float,
    skipped: Mapping[str, str] | None = None,
) -> tuple[Contributions, np.ndarray]:
    """:func:`batch_contributions` and the ``(n_events,)`` charged multiplicities (the event veto)."""
    values: dict[str, object] = {}
    for selection, names in observables_needed(bookings).items():
        out = compute(particles, names, beam_energy=beam_energy, selection=selection)
        values.update(out)
    n_charged = np.asarray(values["n_charged"], dtype=np.int64)
    n_events = int(n_charged.shape[0])
    accepted_by_cut: dict[int, np.ndarray] = {}
    histograms: dict[str, HistogramContributions] = {}
    for path, b in bookings.items():
        e = b.entry
        cut = e.min_charged
        if cut not in accepted_by_cut:
            accepted_by_cut[cut] = n_charged >= cut
        accepted = accepted_by_cut[cut]
        if e.kind == "event":
            rows, n_undefined = _event_rows(b, np.asarray(values[e.observable], dtype=np.float64), accepted)
        else:
            rows, n_undefined = _ragged_rows(b, values, accepted)
        histograms[path] = HistogramContributions(
            path=path, normalisation=e.normalisation, kind=e.kind, edges=b.edges, ref_bins=b.ref_bins,
            accepted=accepted, **rows._asdict(), metadata=entry_metadata(b, n_undefined),
        )
    contributions = Contributions(
        analysis=analysis, n_events=n_events, beam_energy=float(beam_energy), histograms=histograms,
        skipped=dict(skipped or {}),
        metadata={"n_vetoed": int((n_charged < min(accepted_by_cut, default=2)).sum())},
    )
    return contributions, n_charged
