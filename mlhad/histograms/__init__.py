"""Weighted histograms with many weight columns, Rivet-style normalisation, YODA output.

What to use when:
    - :class:`Histogram`: book with edges (``reference_edges(ref)`` for data binning),
      ``fill(values, weights)`` with (N,) or (N, K) weights, ``add_events(weights)`` for
      every event.
    - :func:`normalize`, :func:`per_event`, :func:`scale`: Rivet's finalize() steps, pure.
    - :func:`density`: heights and errors per unit x, as compared with data.
    - :func:`write_mc_yoda`: an MC YODA file with Rivet's paths (YODA2 or YODA1).
    - :func:`check_binning`: data vs MC edges, BinningMismatchError if they differ.

Conventions (YODA/Rivet): bins are [low, high); a value on the last upper edge is
overflow. Details in docs/histograms.md.
"""

from __future__ import annotations

from mlhad.histograms.binning import check_binning, edges_match, reference_bin_index, reference_edges
from mlhad.histograms.convert import mc_objects, to_estimate1d, to_scatter2d, to_yoda_histo1d, write_mc_yoda
from mlhad.histograms.fill import FillSums, accumulate, bin_index
from mlhad.histograms.histogram import Histogram
from mlhad.histograms.normalize import Heights, density, normalize, per_event, scale

__all__ = [
    "Histogram",
    "FillSums",
    "Heights",
    "accumulate",
    "bin_index",
    "scale",
    "normalize",
    "per_event",
    "density",
    "reference_edges",
    "reference_bin_index",
    "check_binning",
    "edges_match",
    "to_yoda_histo1d",
    "to_scatter2d",
    "to_estimate1d",
    "mc_objects",
    "write_mc_yoda",
]
