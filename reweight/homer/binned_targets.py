"""Binned data for HOMER step 1: measured histograms that mlhad.registry can predict.

Data given as YODA histograms (Rivet reference files, or histograms of a sample written
with :func:`write_targets`) are matched to :mod:`mlhad.registry` entries by path; an
entry says which observable fills the histogram, from which particles, per event or per
particle, and how Rivet normalises it, so the same histogram can be predicted from
weighted simulated events. Supported: one fill per event or per particle, normalised to
unit area, per event, or as fractions of events (the ALEPH/DELPHI event shapes,
multiplicity distributions and momentum spectra); profiles, means and pair
correlations are skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlhad.exceptions import InferenceError, RegistryError
from mlhad.registry import Entry, lookup
from mlhad.yoda import Estimate1D, Scatter2D, YodaObject, read_yoda, write_yoda

__all__ = ["SUPPORTED_NORMALISATIONS", "BinnedTarget", "unsupported_reason", "targets_from_objects",
           "read_binned_targets", "write_targets"]

SUPPORTED_NORMALISATIONS = ("unit_area", "per_event", "fraction")
_SUPPORTED_KINDS = ("event", "particle")


@dataclass(frozen=True)
class BinnedTarget:
    """One measured histogram and how to predict it.

    Attributes:
        entry: the registry entry (observable, selection, kind, normalisation, veto).
        edges: (n_bins + 1,) MC bin edges (a reference with gaps gets a bin per gap).
        points: (n_points,) MC bin of each measured point.
        values: (n_points,) measured heights.
        errors: (n_points,) their uncertainties (symmetrised total errors).
    """

    entry: Entry
    edges: np.ndarray
    points: np.ndarray
    values: np.ndarray
    errors: np.ndarray

    @property
    def path(self) -> str:
        """Reference path ``/REF/ANALYSIS/dNN-xNN-yNN``."""
        return self.entry.ref_path

    @property
    def n_bins(self) -> int:
        return int(self.edges.size - 1)

    @property
    def widths(self) -> np.ndarray:
        return np.diff(self.edges)


def unsupported_reason(entry: Entry) -> str | None:
    """Why HOMER's binned step 1 cannot use an entry (None if it can)."""
    if entry.kind not in _SUPPORTED_KINDS:
        return f"one fill per {entry.kind}: only per-event and per-particle histograms are supported"
    if entry.normalisation not in SUPPORTED_NORMALISATIONS:
        return f"normalisation {entry.normalisation!r}: only {SUPPORTED_NORMALISATIONS} are supported"
    if entry.weight is not None:
        return "weighted fills are not supported"
    return None


def _as_scatter(obj: YodaObject) -> Scatter2D | None:
    if isinstance(obj, Scatter2D):
        return obj
    if isinstance(obj, Estimate1D):
        return obj.to_scatter()
    return None


def targets_from_objects(objects: dict[str, YodaObject], patterns: Sequence[str] = ()
                         ) -> tuple[list[BinnedTarget], list[tuple[str, str]]]:
    """Match YODA objects to registry entries.

    Args:
        objects: ``{path: object}`` as :func:`mlhad.yoda.read_yoda` returns.
        patterns: regular expressions (``re.search``) a path must match; empty: all.

    Returns:
        ``(targets, skipped)`` with ``skipped`` a list of ``(path, reason)``.
    """
    from mlhad.histograms import reference_bin_index, reference_edges

    targets: list[BinnedTarget] = []
    skipped: list[tuple[str, str]] = []
    for path, obj in objects.items():
        if obj.is_bookkeeping or obj.variation:
            continue
        if patterns and not any(re.search(p, path) for p in patterns):
            continue
        try:
            entry = lookup(path)
        except RegistryError as err:
            skipped.append((path, f"not in mlhad.registry ({err})"))
            continue
        if not isinstance(entry, Entry):
            skipped.append((path, "names an analysis, not a histogram"))
            continue
        reason = unsupported_reason(entry)
        scatter = _as_scatter(obj)
        if reason is None and scatter is None:
            reason = f"a {obj.type_name} is not measured data; give Scatter2D or Estimate1D reference objects"
        if reason is not None:
            skipped.append((path, reason))
            continue
        edges = reference_edges(scatter, allow_gaps=True)
        points = reference_bin_index(scatter, edges)
        errors = scatter.errors_avg
        if np.any(~np.isfinite(scatter.y)) or np.any(~np.isfinite(errors)):
            skipped.append((path, "non-finite values or errors"))
            continue
        targets.append(BinnedTarget(entry=entry, edges=np.asarray(edges), points=np.asarray(points),
                                    values=np.asarray(scatter.y, dtype=np.float64),
                                    errors=np.asarray(errors, dtype=np.float64)))
    return targets, skipped


def read_binned_targets(path: str | Path, patterns: Sequence[str] = ()) -> tuple[list[BinnedTarget], list[tuple[str, str]]]:
    """Read a YODA file of measured histograms and match them to the registry.

    Raises:
        InferenceError: no histogram of the file can be used (lists why for the first few).
    """
    objects = read_yoda(path)
    targets, skipped = targets_from_objects(objects, patterns)
    if not targets:
        shown = "; ".join(f"{p}: {r}" for p, r in skipped[:5]) or "the file holds no matching objects"
        raise InferenceError(
            f"{path}: no histogram usable for HOMER's binned step 1 ({shown}). HOMER needs reference "
            "histograms that mlhad.registry can predict, e.g. the event shapes of ALEPH_1996_S3486095; "
            f"patterns given: {list(patterns) or 'none'}"
        )
    zero = [t.path for t in targets if np.any((t.errors <= 0) & (t.values != 0))]
    if zero:
        raise InferenceError(f"{path}: histograms with non-zero values but zero uncertainties cannot be fitted: "
                             f"{zero[:5]}; drop them with a pattern or give their errors")
    return targets, skipped


def write_targets(path: str | Path, targets: Sequence[BinnedTarget], *, overwrite: bool = False) -> Path:
    """Write measured histograms as YODA2 reference objects (Scatter2D, ``/REF`` paths)."""
    objects = []
    for t in targets:
        lo, hi = t.edges[t.points], t.edges[t.points + 1]
        x = 0.5 * (lo + hi)
        objects.append(Scatter2D(path=t.path, x=x, xerr_minus=x - lo, xerr_plus=hi - x, y=t.values,
                                 yerr_minus=t.errors, yerr_plus=t.errors, annotations={"IsRef": "1"}))
    write_yoda(path, objects, overwrite=overwrite)
    return Path(path)
