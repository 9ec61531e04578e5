"""Pure functions that turn fills into the sparse (event, bin) table of a histogram.

A histogram filled by many events is a sum over events. Instead of keeping every fill,
mlhad keeps, for every event and every bin the event touches, the sums of its fills
there: one *row* per (event, bin). Any event weights can then be applied afterwards,
because a fill of value ``x`` made with fill factor ``a`` by an event of weight ``w``
contributes ``w a`` to the bin:

    sumw_b   = sum_rows w_e count_eb          count  = sum_f a_f
    sumw2_b  = sum_rows w_e**2 count2_eb      count2 = sum_f a_f**2   (YODA: one w**2 per fill)
    sumwx_b  = sum_rows w_e sumx_eb           sumx   = sum_f a_f x_f
    sumwx2_b = sum_rows w_e sumx2_eb          sumx2  = sum_f a_f x_f**2
    numentries_b = sum_rows n_fills_eb        n_fills = number of fills

For plain fills ``a_f = 1``: ``count = count2 = n_fills`` = the number of fills (1 per
event for an event shape, the number of particles in the bin for a spectrum); the three
names then refer to one and the same array, to save memory.

Bin numbers follow YODA's half-open ``[low, high)`` bins: ``-1`` is the underflow,
``0 .. n-1`` the visible bins and ``n`` the overflow (a value on the last edge is
overflow), i.e. ``bin = searchsorted(edges, x, side="right") - 1``; ``bin + 1`` is the
storage index of :mod:`mlhad.histograms`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["SparseRows", "bin_of", "aggregate"]


class SparseRows(NamedTuple):
    """One histogram's fills summed per (event, bin); rows sorted by event, then bin.

    Attributes:
        event: ``(F,)`` int64 event index.
        bin: ``(F,)`` int32 bin, ``-1`` underflow, ``n`` overflow.
        count: ``(F,)`` float64 sum of fill factors ``a`` (number of fills if ``a = 1``).
        count2: ``(F,)`` float64 sum of ``a**2``.
        n_fills: ``(F,)`` float64 number of fills (integer-valued).
        sumx, sumx2: ``(F,)`` float64 sums of ``a x`` and ``a x**2`` (YODA's bin moments).
        sumy, sumy2, sumxy: ``(F,)`` float64 sums of ``a y``, ``a y**2``, ``a x y`` for
            profiles (``y`` the profiled value), else None.
    """

    event: np.ndarray
    bin: np.ndarray
    count: np.ndarray
    count2: np.ndarray
    n_fills: np.ndarray
    sumx: np.ndarray
    sumx2: np.ndarray
    sumy: np.ndarray | None = None
    sumy2: np.ndarray | None = None
    sumxy: np.ndarray | None = None


def bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``(N,)`` int32 bin of each value: -1 underflow, 0..n-1 visible, n overflow ([low, high)).

    Example:
        >>> bin_of(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0, 2.0])).tolist()
        [-1, 0, 0, 1, 2]
    """
    return (np.searchsorted(edges, values, side="right") - 1).astype(np.int32)


def aggregate(
    event: np.ndarray,
    x: np.ndarray,
    edges: np.ndarray,
    *,
    factor: np.ndarray | None = None,
    y: np.ndarray | None = None,
) -> SparseRows:
    """Sum fills per (event, bin).

    Args:
        event: ``(N,)`` integer event index of each fill.
        x: ``(N,)`` finite fill values (the binned quantity).
        edges: ``(n+1,)`` increasing bin edges.
        factor: ``(N,)`` fill factors ``a`` (e.g. the EEC weight ``E_i E_j / E_vis^2``);
            None means 1 for every fill.
        y: ``(N,)`` profiled values (profiles only), or None.

    Returns:
        :class:`SparseRows`, one row per distinct (event, bin), sorted by event then bin.

    Example:
        >>> rows = aggregate(np.array([0, 0, 0, 2]), np.array([0.1, 0.2, 1.5, 0.3]), np.array([0.0, 1.0, 2.0]))
        >>> rows.event.tolist(), rows.bin.tolist(), rows.count.tolist()
        ([0, 0, 2], [0, 1, 0], [2.0, 1.0, 1.0])
    """
    event = np.asarray(event, dtype=np.int64)
    x = np.asarray(x, dtype=np.float64)
    n_bins = int(edges.shape[0] - 1)
    bins = bin_of(x, edges)
    key = event * (n_bins + 2) + (bins + 1)
    unique, inverse = np.unique(key, return_inverse=True)
    m = unique.shape[0]
    a = np.ones_like(x) if factor is None else np.asarray(factor, dtype=np.float64)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=values, minlength=m)

    ax = a * x
    count = total(a)
    rows = SparseRows(
        event=unique // (n_bins + 2),
        bin=(unique % (n_bins + 2) - 1).astype(np.int32),
        count=count,
        # a = 1: count2 and n_fills are the same numbers as count, kept as one array
        count2=count if factor is None else total(a * a),
        n_fills=count if factor is None else np.bincount(inverse, minlength=m).astype(np.float64),
        sumx=total(ax),
        sumx2=total(ax * x),
    )
    if y is None:
        return rows
    y = np.asarray(y, dtype=np.float64)
    ay = a * y
    return rows._replace(sumy=total(ay), sumy2=total(ay * y), sumxy=total(ay * x))
