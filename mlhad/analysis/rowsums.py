"""Weighted sums over a histogram's sparse rows: ``S[k, b] = sum_{rows in b} w[event, k] * value``.

The rows of :class:`~mlhad.analysis.HistogramContributions` are sorted by event, so they
already are the compressed-column layout of a ``(n_bins + 2, n_events)`` sparse matrix
``M`` (column = event, row = storage bin, entries = one per-row quantity). Every bin sum
for K weight columns is then one sparse-matrix product ``M @ w`` (``w`` of shape
``(n_events, K)``), computed by scipy in C without ``(rows, K)`` temporaries: about 40
times faster than K bin counts over gathered weights.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.sparse import csc_matrix

from .contributions import HistogramContributions

__all__ = ["RowLayout", "row_layout", "row_sums"]


class RowLayout(NamedTuple):
    """The sparse layout of one histogram's rows.

    Attributes:
        index: ``(F,)`` int32 storage bin of each row (``bin + 1``: 0 underflow, n+1 overflow).
        indptr: ``(n_events + 1,)`` int64 start of each event's rows.
        n_storage: ``n_bins + 2``.
    """

    index: np.ndarray
    indptr: np.ndarray
    n_storage: int


def row_layout(h: HistogramContributions) -> RowLayout:
    """Storage index and event pointers of ``h``'s rows (rows are sorted by event)."""
    indptr = np.zeros(h.n_events + 1, dtype=np.int64)
    np.cumsum(np.bincount(h.event, minlength=h.n_events), out=indptr[1:])
    return RowLayout((h.bin + 1).astype(np.int32), indptr, h.n_bins + 2)


def row_sums(layout: RowLayout, per_row: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """``(K, n_bins + 2)`` sums of ``weights[event, k] * per_row`` per storage bin.

    Args:
        layout: from :func:`row_layout`.
        per_row: ``(F,)`` the per-row quantity (``count``, ``count2``, ``sumx``, ...).
        weights: ``(n_events, K)`` C-contiguous float64 event weights (already squared
            where a sum of ``w**2`` is wanted), or None for weight 1 (K = 1).
    """
    if weights is None:
        return np.bincount(layout.index, weights=per_row, minlength=layout.n_storage)[None, :]
    matrix = csc_matrix((per_row, layout.index, layout.indptr), shape=(layout.n_storage, layout.indptr.size - 1))
    return np.asarray(matrix @ weights).T
