"""Pure functions that bin values and sum weights: the numeric core of :class:`Histogram`.

Binning convention (YODA/Rivet): bins are half-open, ``[low, high)``. A value equal to the
upper edge of the last bin is *not* in the last bin: it goes to the overflow; a value
equal to the lowest edge is in the first bin. With ``n`` bins the storage index is::

    0        underflow      x <  edges[0]
    i + 1    bin i          edges[i] <= x < edges[i+1]
    n + 1    overflow       x >= edges[n]

which is exactly ``np.searchsorted(edges, x, side="right")``.

Per fill, with weight ``w`` (one per weight column k) and value ``x``, a bin accumulates
``sumw += w``, ``sumw2 += w**2``, ``sumwx += w*x``, ``sumwx2 += w*x**2`` and
``numentries += 1``, as YODA's Dbn1D does. Everything here is a function of arrays
with no hidden state, so a torch mirror can reproduce it term by term.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlhad.exceptions import HistogramError

__all__ = ["FillSums", "check_edges", "check_values", "check_weights", "bin_index", "accumulate"]

# Columns are binned in blocks: a contiguous (block, N) copy keeps np.bincount fast
# (strided columns are ~10x slower) while bounding the extra memory to block*N doubles.
_COLUMN_BLOCK = 16


class FillSums(NamedTuple):
    """Sums of one batch of fills; arrays include the flows (index 0 and n+1).

    Attributes:
        sumw, sumw2, sumwx, sumwx2: (K, n+2) per weight column.
        numentries: (n+2,) number of fills (unweighted, shared by all columns).
    """

    sumw: np.ndarray
    sumw2: np.ndarray
    sumwx: np.ndarray
    sumwx2: np.ndarray
    numentries: np.ndarray


def check_edges(edges: object, *, name: str = "edges") -> np.ndarray:
    """Validate bin edges: 1D, >= 2 finite, strictly increasing; return a read-only copy."""
    try:
        arr = np.array(edges, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise HistogramError(f"{name} must be numbers, got {edges!r:.80}") from err
    if arr.ndim != 1 or arr.shape[0] < 2:
        raise HistogramError(f"{name} must be a 1D array of at least 2 values (n bins need n+1 edges), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))
        raise HistogramError(f"{name} must be finite; entries {bad.tolist()[:5]} are {arr[bad][:5].tolist()}")
    steps = np.diff(arr)
    if not np.all(steps > 0):
        i = int(np.flatnonzero(~(steps > 0))[0])
        raise HistogramError(
            f"{name} must be strictly increasing; {name}[{i}] = {float(arr[i])!r} and {name}[{i + 1}] = {float(arr[i + 1])!r}"
        )
    arr.setflags(write=False)
    return arr


def _report_nonfinite(arr: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    where = np.argwhere(bad)
    first = tuple(int(v) for v in where[0])
    loc = f"index {first[0]}" if len(first) == 1 else f"row {first[0]}, column {first[1]}"
    raise HistogramError(
        f"{int(bad.sum())} non-finite {what} (NaN or inf) out of {arr.size}; the first at {loc} is "
        f"{float(arr[first])!r}; remove or fix those entries before filling"
    )


def check_values(values: object) -> np.ndarray:
    """Fill values as a float64 (N,) array; NaN/inf raise HistogramError (say how many, where)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise HistogramError(f"values must be real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise HistogramError(
            f"values must be a 1D array (N,), got shape {arr.shape}; flatten per-particle arrays first "
            "(e.g. ak.flatten) and repeat the event weights to match"
        )
    arr = arr.astype(np.float64, copy=False)
    _report_nonfinite(arr, "values")
    return arr


def check_weights(weights: object, n: int, n_variations: int) -> np.ndarray | None:
    """Weights as None, (N,) or (N, K) float64, checked against N values and K columns.

    (N,) weights apply to every column; None means weight 1.
    """
    if weights is None:
        return None
    arr = np.asarray(weights)
    if arr.dtype.kind not in "iuf":
        raise HistogramError(f"weights must be real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise HistogramError(f"weights have {arr.shape[0]} entries but there are {n} values; give one weight per value")
    elif arr.ndim == 2:
        if arr.shape != (n, n_variations):
            raise HistogramError(
                f"weights have shape {arr.shape}, expected ({n}, {n_variations}) = (values, weight columns) "
                f"or ({n},) for the same weight in every column"
            )
    else:
        raise HistogramError(f"weights must be (N,) or (N, K), got shape {arr.shape}")
    _report_nonfinite(arr, "weights")
    return arr


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(N,) storage index of each value: 0 underflow, 1..n bins, n+1 overflow ([low, high))."""
    return np.searchsorted(edges, values, side="right")


def accumulate(values: object, edges: object, weights: object = None, *, n_variations: int = 1) -> FillSums:
    """Bin ``values`` and sum their weights.

    Args:
        values: (N,) fill values (finite).
        edges: (n+1,) increasing bin edges.
        weights: None (weight 1), (N,) (same weight in every column) or (N, K); a
            Fortran-ordered (N, K) array avoids an internal copy.
        n_variations: K, the number of weight columns.

    Returns:
        :class:`FillSums` with (K, n+2) arrays (flows included).

    Example:
        >>> s = accumulate([0.5, 1.0, 2.0], [0.0, 1.0, 2.0], [2.0, 3.0, 4.0])
        >>> s.sumw.tolist(), s.sumw2.tolist()   # 2.0 sits on the last upper edge: overflow
        ([[0.0, 2.0, 3.0, 4.0]], [[0.0, 4.0, 9.0, 16.0]])
    """
    edges_arr = check_edges(edges)
    x = check_values(values)
    w = check_weights(weights, x.shape[0], n_variations)
    nb = edges_arr.shape[0] + 1
    idx = bin_index(x, edges_arr)
    numentries = np.bincount(idx, minlength=nb).astype(np.float64)
    sums = np.zeros((4, n_variations, nb))
    x2 = x * x
    if w is None or w.ndim == 1:
        # same weights in all columns: bin once, broadcast
        one = np.ones_like(x) if w is None else w
        row = np.stack([
            np.bincount(idx, weights=one, minlength=nb),
            np.bincount(idx, weights=one * one, minlength=nb),
            np.bincount(idx, weights=one * x, minlength=nb),
            np.bincount(idx, weights=one * x2, minlength=nb),
        ])
        sums[:] = row[:, None, :]
    else:
        for k0 in range(0, n_variations, _COLUMN_BLOCK):
            block = np.ascontiguousarray(w[:, k0:k0 + _COLUMN_BLOCK].T)
            for j, col in enumerate(block):
                k = k0 + j
                sums[0, k] = np.bincount(idx, weights=col, minlength=nb)
                sums[1, k] = np.bincount(idx, weights=col * col, minlength=nb)
                sums[2, k] = np.bincount(idx, weights=col * x, minlength=nb)
                sums[3, k] = np.bincount(idx, weights=col * x2, minlength=nb)
    return FillSums(sums[0], sums[1], sums[2], sums[3], numentries)
