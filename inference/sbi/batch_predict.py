"""Predicted reference points of a sample for many weight vectors at once (sparse products).

The same numbers as :func:`mlhad.analysis.predict` and
:class:`mlhad.reweight.predict.ReweightedPredictor` (Rivet's normalisations and the
delta-method MC errors of :mod:`mlhad.analysis.variance`), for a batch of ``K`` event
weight vectors. Every histogram's rows are stacked into one sparse matrix ``A``
(``(n_bins_total, n_events)``, entries ``count``), so with ``W`` the ``(n_events, K)``
weights:

* bin sums ``s = A W``; ``a = A2 W**2`` (entries ``count**2``) and ``b = At W**2``
  (entries ``count * t_e``, ``t_e`` the event's fills of a unit-area histogram, else 1);
* normalisation ``T``: the sum of ``s`` over the histogram's bins and flows (unit area)
  or the weight of accepted events; ``C = sum w**2 t**2`` accordingly;
* height ``R = s / T`` (per bin width where Rivet divides), variance
  ``(a - 2 R b + R**2 C) / T**2``.

Only the reference points of the selected histograms are returned, concatenated in
histogram order: ``(K, n_points)`` values and errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mlhad.analysis import Contributions
from mlhad.exceptions import HistogramError, InferenceError

__all__ = ["BatchedPredictor", "PointBlock"]

_PER_WIDTH = {"unit_area": True, "per_event": True, "fraction": False, "mean": False}


@dataclass(frozen=True)
class PointBlock:
    """Where one histogram's reference points sit in the concatenated point vector.

    Attributes:
        path: MC path.
        start, stop: slice of the concatenated points.
        normalisation: registry normalisation.
    """

    path: str
    start: int
    stop: int
    normalisation: str


class BatchedPredictor:
    """Heights and MC errors at the reference points for ``K`` event-weight vectors.

    Args:
        contributions: the sample's contributions to one analysis.
        paths: histograms to predict (default: every non-profile histogram), in order.
        points: optional ``{path: (n_sel,) int}`` subset of each histogram's reference
            points to return (default: all points).

    Raises:
        InferenceError: a profile histogram (its height is a ratio of two weighted sums;
            not supported here), an unknown path, or bins of unequal width in a
            ``fraction`` histogram.
    """

    def __init__(self, contributions: Contributions, paths: Sequence[str] | None = None, *,
                 points: Mapping[str, np.ndarray] | None = None) -> None:
        chosen = list(paths) if paths is not None else [p for p in contributions
                                                         if contributions[p].normalisation != "profile"]
        if not chosen:
            raise InferenceError("no histogram to predict: the selection is empty")
        self.n_events = int(contributions.n_events)
        rows, cols, count, count2, count_t = [], [], [], [], []
        self.blocks: list[PointBlock] = []
        unit_t: list[np.ndarray] = []
        masks: dict[bytes, int] = {}
        mask_rows: list[np.ndarray] = []
        self._hist: list[tuple[int, int, str, np.ndarray, np.ndarray, int]] = []
        offset = n_points = 0
        for path in chosen:
            try:
                c = contributions[path]
            except KeyError as err:
                raise InferenceError(f"{path} is not among the sample's contributions ({err})") from None
            mode = c.normalisation
            if mode not in _PER_WIDTH:
                raise InferenceError(f"{path}: {mode!r} histograms cannot be predicted for reweighted samples here; "
                                     "leave it out of the selection (weight 0)")
            widths = np.diff(np.asarray(c.edges, dtype=np.float64))
            if not _PER_WIDTH[mode] and not np.allclose(widths, widths[0], rtol=1e-9):
                raise InferenceError(f"{path}: {mode!r} bins must have equal widths, got {widths}")
            n = c.n_bins + 2
            event = np.asarray(c.event, dtype=np.int64)
            cnt = np.asarray(c.count, dtype=np.float64)
            rows.append(np.asarray(c.bin, dtype=np.int64) + 1 + offset)
            cols.append(event)
            count.append(cnt)
            count2.append(cnt * cnt)
            if mode == "unit_area":
                t_event = np.bincount(event, weights=cnt, minlength=self.n_events)
                count_t.append(cnt * t_event[event])
                norm_ref = -1 - len(unit_t)          # negative: index into the unit-area rows
                unit_t.append(t_event)
            else:
                count_t.append(cnt)
                key = np.packbits(np.asarray(c.accepted, dtype=bool)).tobytes()
                if key not in masks:
                    masks[key] = len(mask_rows)
                    mask_rows.append(np.asarray(c.accepted, dtype=np.float64))
                norm_ref = masks[key]
            ref_bins = np.asarray(c.ref_bins, dtype=np.int64)
            chosen_points = np.arange(ref_bins.size) if points is None or path not in points else \
                np.asarray(points[path], dtype=np.int64)
            divide = widths if _PER_WIDTH[mode] else np.ones_like(widths)
            sel_bins = ref_bins[chosen_points]
            self._hist.append((offset, n, mode, sel_bins, divide[sel_bins], norm_ref))
            self.blocks.append(PointBlock(path, n_points, n_points + sel_bins.size, mode))
            n_points += sel_bins.size
            offset += n
        self.paths = [b.path for b in self.blocks]
        self.n_points = n_points
        shape = (offset, self.n_events)
        r, cl = np.concatenate(rows), np.concatenate(cols)
        # the three matrices share one sparsity pattern: build the others on the same indices
        order = sp.csr_matrix((np.arange(r.size, dtype=np.float64) + 1.0, (r, cl)), shape=shape)
        if order.nnz != r.size:
            raise HistogramError("contributions hold duplicate (event, bin) rows within a histogram")
        # column-major (CSC, event by event): a product streams through W's rows in order and
        # accumulates into the small (bins x K) output: 8x faster than row-major (CSR) for 200k events
        order = order.tocsc()
        pos = order.data.astype(np.int64) - 1
        self._a = sp.csc_matrix((np.concatenate(count)[pos], order.indices, order.indptr), shape=shape)
        self._a2 = sp.csc_matrix((np.concatenate(count2)[pos], order.indices, order.indptr), shape=shape)
        self._at = sp.csc_matrix((np.concatenate(count_t)[pos], order.indices, order.indptr), shape=shape)
        self._masks = np.stack(mask_rows) if mask_rows else np.zeros((0, self.n_events))
        self._unit_t2 = np.stack(unit_t) ** 2 if unit_t else np.zeros((0, self.n_events))

    def block(self, path: str) -> slice:
        """Slice of the concatenated points that belongs to ``path``."""
        for b in self.blocks:
            if b.path == path:
                return slice(b.start, b.stop)
        raise KeyError(f"{path} is not predicted; predicted: {self.paths}")

    def predict(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heights and MC errors at the selected reference points.

        Args:
            weights: ``(K, n_events)`` (or ``(n_events,)``) event weights.

        Returns:
            ``(values, errors)``, each ``(K, n_points)``.
        """
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim == 1:
            w = w[None, :]
        if w.ndim != 2 or w.shape[1] != self.n_events:
            raise InferenceError(f"weights must have shape (K, {self.n_events}), got {w.shape}")
        # row-major (n_events, K): CSR @ dense reads one contiguous row of W per stored entry
        wt = np.ascontiguousarray(w.T)
        w2t = wt * wt
        s_all = self._a @ wt                      # (n_bins_total, K)
        a_all = self._a2 @ w2t
        b_all = self._at @ w2t
        acc_w = self._masks @ wt                  # (n_masks, K)
        acc_w2 = self._masks @ w2t
        unit_c = self._unit_t2 @ w2t              # (n_unit, K)
        k = w.shape[0]
        values = np.empty((k, self.n_points))
        errors = np.empty((k, self.n_points))
        for blk, (start, n, mode, sel_bins, divide, norm_ref) in zip(self.blocks, self._hist):
            s, a, b = s_all[start:start + n], a_all[start:start + n], b_all[start:start + n]
            if norm_ref < 0:
                total, cc = s.sum(axis=0), unit_c[-1 - norm_ref]
            else:
                total, cc = acc_w[norm_ref], acc_w2[norm_ref]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = s / total
                var = np.clip((a - 2.0 * ratio * b + ratio * ratio * cc) / (total * total), 0.0, None)
            idx = sel_bins + 1
            values[:, blk.start:blk.stop] = (ratio[idx] / divide[:, None]).T
            errors[:, blk.start:blk.stop] = (np.sqrt(var[idx]) / divide[:, None]).T
        return values, errors
