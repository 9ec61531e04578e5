"""Rivet-style histograms of a reweighted sample as differentiable functions of theta.

The torch mirror of :func:`mlhad.analysis.predict`: the same sparse per-event
contributions (:class:`~mlhad.analysis.contributions.Contributions`, computed once per
sample), the same Rivet normalisations and the same delta-method MC errors, but with the
event weights w(theta) of a :class:`~mlhad.reweight.model.LundReweighter`, so that a fit
can differentiate every predicted bin -- and its error -- with respect to theta.

All histograms are laid out in one concatenated bin space, so one gather of the event
weights and three scatter-adds per call fill every histogram at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mlhad.exceptions import HistogramError

from .model import LundReweighter
from .sparse_ops import EventMatrix

__all__ = ["HistogramPrediction", "ReweightedPredictor"]

_PER_WIDTH = {"unit_area": True, "per_event": True, "fraction": False, "mean": False}


@dataclass(frozen=True)
class HistogramPrediction:
    """Heights and MC errors at the reference points (torch, ``(n_points,)`` each)."""

    path: str
    values: torch.Tensor
    errors: torch.Tensor


class ReweightedPredictor:
    """Predicted reference histograms of a sample for any theta.

    Args:
        reweighter: event weights of the sample (same events, same order as the contributions).
        contributions: the sample's contributions to an analysis.
        paths: histograms to predict (default: all non-profile histograms).
    """

    def __init__(self, reweighter: LundReweighter, contributions: Mapping, paths: Sequence[str] | None = None) -> None:
        if reweighter.n_events != contributions.n_events:
            raise HistogramError(
                f"the reweighter has {reweighter.n_events} events but the contributions "
                f"{contributions.n_events}: build both from the same sample and chunks"
            )
        self.reweighter = reweighter
        chosen = list(paths) if paths is not None else [p for p in contributions if
                                                         contributions[p].normalisation != "profile"]
        self.paths: list[str] = []
        events, index, count, t_rows = [], [], [], []
        self._blocks: list[tuple[int, int]] = []      # (offset, n_bins + 2) per histogram
        self._modes: list[str] = []
        self._divide: list[torch.Tensor] = []
        self._ref_bins: list[torch.Tensor] = []
        self._accepted: list[int] = []                # index into self._masks
        self._unit_t: dict[int, torch.Tensor] = {}    # per-event total fills (unit area)
        masks: dict[bytes, int] = {}
        self._masks: list[torch.Tensor] = []
        offset = 0
        for path in chosen:
            c = contributions[path]
            mode = c.normalisation
            if mode not in _PER_WIDTH:
                raise HistogramError(f"{path}: '{mode}' histograms cannot be predicted by reweighting here")
            n = c.n_bins + 2
            widths = np.diff(np.asarray(c.edges, dtype=np.float64))
            if not _PER_WIDTH[mode] and not np.allclose(widths, widths[0], rtol=1e-9):
                raise HistogramError(f"{path}: '{mode}' bins must have equal widths")
            events.append(np.asarray(c.event, dtype=np.int64))
            index.append(np.asarray(c.bin, dtype=np.int64) + 1 + offset)
            count.append(np.asarray(c.count, dtype=np.float64))
            if mode == "unit_area":
                t_event = np.bincount(c.event, weights=c.count, minlength=c.n_events)
                self._unit_t[len(self.paths)] = torch.from_numpy(t_event**2)
                t_rows.append(t_event[c.event])
            else:
                t_rows.append(np.ones(c.n_rows))
            key = np.packbits(np.asarray(c.accepted, dtype=bool)).tobytes()
            if key not in masks:
                masks[key] = len(self._masks)
                self._masks.append(torch.from_numpy(np.asarray(c.accepted, dtype=np.float64)))
            self._accepted.append(masks[key])
            self._blocks.append((offset, n))
            self._modes.append(mode)
            self._divide.append(torch.from_numpy(widths if _PER_WIDTH[mode] else np.ones_like(widths)))
            self._ref_bins.append(torch.from_numpy(np.asarray(c.ref_bins, dtype=np.int64)))
            self.paths.append(path)
            offset += n
        n_events = contributions.n_events
        # one (events x all bins) pattern, three value sets: count, count^2, count * t
        rows = np.concatenate(events)
        order = np.argsort(rows, kind="stable")  # keeps each event's bins in increasing order
        cols = np.concatenate(index)[order].astype(np.int32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_events))])
        cnt = np.concatenate(count)[order]
        tt = np.concatenate(t_rows)[order]
        del rows, order
        import scipy.sparse as sp

        base = sp.csr_matrix((cnt, cols, indptr), shape=(n_events, offset))
        self._count = EventMatrix(base)
        self._count2 = self._count.with_values(cnt * cnt)
        self._count_t = self._count.with_values(cnt * tt)

    @property
    def n_rows(self) -> int:
        return self._count.nnz

    def predict(self, theta: Mapping[str, float | torch.Tensor] | torch.Tensor | None = None, *,
                weights: torch.Tensor | None = None, errors: bool = True) -> dict[str, HistogramPrediction]:
        """Normalised heights and errors at the reference points.

        Args:
            theta: parameter point (see LundReweighter.point); None means the base.
            weights: explicit event weights instead of theta (e.g. HOMER's).
            errors: also compute the MC errors (two more sparse passes); if False, the
                errors are returned as zeros.
        """
        if weights is None:
            weights = self.reweighter.weights(theta if theta is not None else {})
        w = weights.to(torch.float64)
        w2 = w * w
        sumw = self._count.reduce(w)
        if errors:
            a_all = self._count2.reduce(w2)
            b_all = self._count_t.reduce(w2)
        sums = {i: (m @ w, m @ w2) for i, m in enumerate(self._masks)}
        out: dict[str, HistogramPrediction] = {}
        for h, path in enumerate(self.paths):
            start, n = self._blocks[h]
            s = sumw[start:start + n]
            if self._modes[h] == "unit_area":
                total = s.sum()
                cc = w2 @ self._unit_t[h] if errors else None
            else:
                total, cc = sums[self._accepted[h]]
            ratio = s / total
            inner = slice(1, n - 1)
            values = ratio[inner] / self._divide[h]
            ref = self._ref_bins[h]
            if errors:
                a, b = a_all[start:start + n], b_all[start:start + n]
                var = torch.clamp((a - 2.0 * ratio * b + ratio * ratio * cc) / (total * total), min=0.0)[inner]
                positive = var > 0
                # double where: sqrt has an infinite derivative at 0, keep gradients finite
                err = torch.where(positive, torch.sqrt(torch.where(positive, var, torch.ones_like(var))),
                                  torch.zeros_like(var)) / self._divide[h]
            else:
                err = torch.zeros_like(values)
            out[path] = HistogramPrediction(path, values[ref], err[ref])
        return out
