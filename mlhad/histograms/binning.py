"""Bin edges from reference data, and the check that MC and data binnings agree.

Reference objects are Scatter2D (Rivet 3, points at bin centres with half-widths as x
errors) or Estimate1D (Rivet 4, explicit edges). Edges rebuilt from printed reference
numbers agree with exact MC edges only to the printed precision, hence a relative
tolerance (see :data:`mlhad.yoda.scatter.EDGE_RTOL`).
"""

from __future__ import annotations

import numpy as np

from mlhad.exceptions import BinningMismatchError, HistogramError
from mlhad.yoda import Estimate1D, Histo1D, Scatter2D, YodaObject, scatter_edges
from mlhad.yoda.scatter import EDGE_RTOL

__all__ = ["reference_edges", "reference_bin_index", "check_binning", "edges_match"]


def reference_edges(ref: YodaObject, *, allow_gaps: bool = False) -> np.ndarray:
    """Bin edges to book an MC histogram with the binning of a reference object.

    Args:
        ref: Scatter2D, Estimate1D or Histo1D.
        allow_gaps: Return edges with an extra bin for each gap between reference points
            (ALEPH d25-d27); map points to bins with :func:`reference_bin_index`.

    Raises:
        BinningMismatchError: Points that do not tile bins (gaps unless allowed, overlaps,
            zero widths), naming the object and the points.
        HistogramError: ``ref`` has no 1D binning.
    """
    if isinstance(ref, Scatter2D):
        return scatter_edges(ref, allow_gaps=allow_gaps)
    if isinstance(ref, (Estimate1D, Histo1D)):
        return np.array(ref.edges)
    raise HistogramError(f"{ref.path}: a {ref.type_name} has no 1D binning; expected Scatter2D, Estimate1D or Histo1D")


def reference_bin_index(ref: YodaObject, edges: np.ndarray, *, rtol: float = EDGE_RTOL) -> np.ndarray:
    """(n_points,) index of the MC bin matching each reference point/bin.

    Raises:
        BinningMismatchError: A reference bin has no MC bin with the same edges.
    """
    if isinstance(ref, Scatter2D):
        lo, hi = ref.xlow, ref.xhigh
    elif isinstance(ref, (Estimate1D, Histo1D)):
        lo, hi = ref.edges[:-1], ref.edges[1:]
    else:
        raise HistogramError(f"{ref.path}: a {ref.type_name} has no 1D binning")
    edges = np.asarray(edges, dtype=np.float64)
    out = np.empty(len(lo), dtype=np.int64)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        tol = rtol * (abs(a) + abs(b))
        k = int(np.argmin(np.abs(edges[:-1] - a)))
        if abs(edges[k] - a) > tol or abs(edges[k + 1] - b) > tol:
            raise BinningMismatchError(
                f"{ref.path}: reference bin {i} [{float(a)!r}, {float(b)!r}] has no MC bin with these edges "
                f"(closest MC bin {k}: [{float(edges[k])!r}, {float(edges[k + 1])!r}])"
            )
        out[i] = k
    return out


def edges_match(a: np.ndarray, b: np.ndarray, *, rtol: float = EDGE_RTOL) -> bool:
    """True if two edge arrays have the same length and agree within rtol (see check_binning)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= _tolerance(a, b, rtol)))


def _short(edges: np.ndarray) -> str:
    """Edges for a message: all if few, else the first three and the last."""
    vals = [repr(float(v)) for v in edges]
    return "[" + ", ".join(vals if len(vals) <= 6 else vals[:3] + ["...", vals[-1]]) + "]"


def _tolerance(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    # relative to the edge and to the adjacent bin width, so an edge at 0 is judged
    # against the bins' scale rather than demanding exact zeros
    width = np.minimum(np.abs(np.gradient(a)), np.abs(np.gradient(b))) if a.shape[0] > 1 else np.ones_like(a)
    return rtol * (np.maximum(np.abs(a), np.abs(b)) + width)


def check_binning(name: str, ref_edges: object, mc_edges: object, *, rtol: float = EDGE_RTOL) -> None:
    """Raise BinningMismatchError unless data and MC edges agree.

    Two edges agree if they differ by at most ``rtol * (|edge| + adjacent bin width)``:
    reference files print ~7 significant digits, so their edges carry relative rounding
    of ~1e-7 that must not count as a different binning.

    Args:
        name: Histogram name for the message (e.g. ``/ALEPH_1996_S3486095/d01-x01-y01``).
        ref_edges, mc_edges: (n+1,) edge arrays.
    """
    a, b = np.asarray(ref_edges, dtype=np.float64), np.asarray(mc_edges, dtype=np.float64)
    if a.shape != b.shape:
        raise BinningMismatchError(
            f"{name}: data has {a.shape[0] - 1} bins, MC has {b.shape[0] - 1}; "
            f"data edges {_short(a)}, MC edges {_short(b)}. Book the MC histogram with reference_edges(ref)"
        )
    bad = np.flatnonzero(np.abs(a - b) > _tolerance(a, b, rtol))
    if bad.size:
        i = int(bad[0])
        raise BinningMismatchError(
            f"{name}: binnings differ at edge {i}: data {float(a[i])!r}, MC {float(b[i])!r} "
            f"({bad.size} edge(s) differ); book the MC histogram with reference_edges(ref)"
        )
