"""Histogram -> YODA objects, and writing an MC YODA file the way Rivet does.

Rivet writes the finalised histograms of analysis ``A`` under ``/A/<name>`` (the
reference path without ``/REF``), weight variations as ``/A/<name>[<variation>]``, and
the event count as the Counter ``/_EVTCOUNT``. Tools that compare to data (Rivet's
mkhtml, Professor, Apprentice) match MC to reference objects by that path.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mlhad.exceptions import HistogramError
from mlhad.histograms.binning import check_binning, reference_edges
from mlhad.histograms.histogram import Histogram
from mlhad.histograms.normalize import density
from mlhad.yoda import Counter, Estimate1D, Histo1D, Scatter2D, YodaObject, strip_ref, write_yoda
from mlhad.yoda._text import fmt

__all__ = ["to_yoda_histo1d", "to_scatter2d", "to_estimate1d", "write_mc_yoda", "mc_objects"]


def _annotations(h: Histogram, k: int, extra: Mapping[str, str] | None) -> dict[str, str]:
    ann = {"Title": "~"}
    if h.scaled_by[k] != 1.0:
        ann["ScaledBy"] = fmt(h.scaled_by[k])  # Rivet records the applied factor
    ann.update(extra or {})
    return ann


def to_yoda_histo1d(h: Histogram, path: str, *, variation: int | str = 0,
                    annotations: Mapping[str, str] | None = None) -> Histo1D:
    """One weight column as a YODA Histo1D (sumw, sumw2, sumwx, sumwx2, numEntries, flows).

    The same object is written as YODA1 or YODA2 by :func:`mlhad.yoda.write_yoda`.
    """
    k = h.column_index(variation)
    dbn = np.column_stack([h.sumw_all[k], h.sumw2_all[k], h.sumwx_all[k], h.sumwx2_all[k], h.numentries_all])
    return Histo1D(path=path, edges=h.edges, dbn=dbn, annotations=_annotations(h, k, annotations))


def to_scatter2d(h: Histogram, path: str, *, variation: int | str = 0,
                 annotations: Mapping[str, str] | None = None) -> Scatter2D:
    """Heights as a Scatter2D (YODA mkScatter): x = centre +- half width,
    y = sumw/width, yerr = sqrt(sumw2)/width."""
    k = h.column_index(variation)
    heights = density(h)
    half = 0.5 * h.widths
    return Scatter2D(path=path, annotations=_annotations(h, k, annotations), x=h.centers, xerr_minus=half,
                     xerr_plus=half, y=heights.values[k], yerr_minus=heights.errors[k], yerr_plus=heights.errors[k])


def to_estimate1d(h: Histogram, path: str, *, variation: int | str = 0, source: str = "stats",
                  annotations: Mapping[str, str] | None = None) -> Estimate1D:
    """Heights as a YODA2 Estimate1D with one error source (``stats``: -+sqrt(sumw2)/width).

    Under/overflow have no finite width, so they are written as NaN with no error.
    """
    k = h.column_index(variation)
    heights = density(h)
    return Estimate1D.from_bins(path, h.edges, heights.values[k],
                                {source: (-heights.errors[k], heights.errors[k])},
                                annotations=_annotations(h, k, annotations))


def _mc_path(key: str, analysis: str | None) -> str:
    if key.startswith("/"):
        return strip_ref(key)
    if analysis is None:
        raise HistogramError(
            f"histogram key {key!r} is not a full path; give '/ANALYSIS/{key}' or pass analysis='ANALYSIS'"
        )
    return f"/{analysis}/{key}"


def mc_objects(histograms: Mapping[str, Histogram], *, analysis: str | None = None,
               reference: Mapping[str, YodaObject] | None = None, variations: bool = True,
               event_counter: bool = True) -> dict[str, YodaObject]:
    """The objects :func:`write_mc_yoda` writes, as ``{path: Histo1D/Counter}``."""
    if not histograms:
        raise HistogramError("no histograms to write")
    objects: dict[str, YodaObject] = {}
    first: tuple[str, Histogram] | None = None
    for key, h in histograms.items():
        if not isinstance(h, Histogram):
            raise HistogramError(f"entry {key!r} is a {type(h).__name__}, not a Histogram")
        path = _mc_path(key, analysis)
        if reference is not None:
            ref = reference.get("/REF" + path)
            if ref is None:
                close = difflib.get_close_matches("/REF" + path, list(reference), n=2)
                raise HistogramError(
                    f"{path}: no reference object /REF{path} to check the binning against"
                    + (f"; did you mean {' or '.join(close)}?" if close else "")
                )
            check_binning(path, reference_edges(ref, allow_gaps=True), h.edges)
        columns = range(h.n_variations) if variations else range(1)
        for k in columns:
            vpath = path if k == 0 else f"{path}[{h.variations[k]}]"
            if vpath in objects:
                raise HistogramError(f"two histograms map to the same path {vpath}")
            objects[vpath] = to_yoda_histo1d(h, vpath, variation=k)
        if first is None:
            first = (path, h)
        elif event_counter and (first[1].n_events != h.n_events or
                                not np.array_equal(first[1].event_sumw, h.event_sumw)):
            raise HistogramError(
                f"{path} and {first[0]} counted different events ({h.n_events} vs {first[1].n_events}); "
                "/_EVTCOUNT would be ambiguous: pass event_counter=False"
            )
    if event_counter and first is not None:
        h0 = first[1]
        columns = range(h0.n_variations) if variations else range(1)
        for k in columns:
            cpath = "/_EVTCOUNT" if k == 0 else f"/_EVTCOUNT[{h0.variations[k]}]"
            objects[cpath] = Counter(path=cpath, sumw=h0.event_sumw[k], sumw2=h0.event_sumw2[k],
                                     numentries=h0.n_events)
    return objects


def write_mc_yoda(
    path: str | os.PathLike[str],
    histograms: Mapping[str, Histogram],
    *,
    analysis: str | None = None,
    reference: Mapping[str, YodaObject] | None = None,
    version: int = 2,
    variations: bool = True,
    event_counter: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write finalised histograms as an MC YODA file, with Rivet's paths.

    Args:
        path: Output file (``.yoda`` or ``.yoda.gz``).
        histograms: ``{key: Histogram}``; a key is a full MC path
            (``/ALEPH_1996_S3486095/d01-x01-y01``), a reference path (``/REF/...``, the
            ``/REF`` is dropped) or a bare name combined with ``analysis``.
        analysis: Analysis name for bare keys.
        reference: Reference objects (e.g. ``read_reference(...)``): every histogram's
            edges are checked against ``/REF<path>`` (BinningMismatchError if they differ).
        version: 2 (YODA2 "V3" blocks, default, Rivet 4) or 1 (YODA1, Rivet 3).
        variations: Also write weight columns 1..K-1 as ``<path>[<name>]``.
        event_counter: Write ``/_EVTCOUNT`` from the histograms' event sums (they must agree).
        overwrite: Replace an existing file.

    Returns:
        The path written.
    """
    objects = mc_objects(histograms, analysis=analysis, reference=reference, variations=variations,
                         event_counter=event_counter)
    return write_yoda(path, objects, version=version, overwrite=overwrite)
