"""Binned targets and a chi2 distance that is differentiable through event weights.

A target is one histogram per observable with sum of weights and sum of squared
weights per bin (``BinnedTarget``), built from a target sample or given directly
(e.g. measured data). The model histogram is filled with per-event weights w(theta);
both are normalised to unit area and compared with

    chi2 = sum_bins (p_model - p_target)^2 / (var_model + var_target),

var = sumw2 / (sumw)^2 of each. Values outside the edges go to the first/last bin, so
every event counts. The normalisation's correlation between bins is neglected: this is
a distance to minimise, and for matching histograms chi2 / n_bins ~ 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mlhad.exceptions import BinningMismatchError, HistogramError

__all__ = ["BinnedTarget", "make_edges", "bin_index", "weighted_histogram", "chi2_distance",
           "save_targets", "load_targets"]


@dataclass(frozen=True)
class BinnedTarget:
    """One target histogram: ``edges`` (n+1,), ``sumw`` and ``sumw2`` (n,)."""

    name: str
    edges: np.ndarray
    sumw: np.ndarray
    sumw2: np.ndarray

    def __post_init__(self) -> None:
        e, w, w2 = (np.asarray(x, dtype=np.float64) for x in (self.edges, self.sumw, self.sumw2))
        if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
            raise HistogramError(f"target {self.name!r}: edges must be increasing, got {e[:5]}...")
        if w.shape != (e.size - 1,) or w2.shape != w.shape:
            raise BinningMismatchError(
                f"target {self.name!r}: {e.size} edges need {e.size - 1} sumw and sumw2 values, got "
                f"{w.shape[0] if w.ndim else w} and {w2.shape[0] if w2.ndim else w2}")
        if not (np.all(np.isfinite(w)) and np.all(w2 >= 0) and w.sum() > 0):
            raise HistogramError(f"target {self.name!r}: sumw must be finite with a positive total, sumw2 >= 0")
        object.__setattr__(self, "edges", e)
        object.__setattr__(self, "sumw", w)
        object.__setattr__(self, "sumw2", w2)

    @classmethod
    def from_values(cls, name: str, values: np.ndarray, edges: np.ndarray,
                    weights: np.ndarray | None = None) -> "BinnedTarget":
        idx = bin_index(values, edges)
        w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=np.float64)
        n = len(edges) - 1
        return cls(name, edges, np.bincount(idx, w, minlength=n), np.bincount(idx, w * w, minlength=n))


def make_edges(values: np.ndarray, discrete: bool, n_bins: int = 20, tail: float = 1e-3) -> np.ndarray:
    """Bin edges adapted to a target distribution.

    Discrete observables get one bin per integer value that occurs between the ``tail``
    and ``1 - tail`` quantiles, with edges half-way between neighbouring values (unit
    bins for consecutive integers; a value that never occurs, e.g. an odd number of
    charged pions from a neutral string, gets no empty bin, so a shape chi2 over the
    bins has n_bins - 1 degrees of freedom). Continuous observables get ``n_bins``
    equal-probability bins.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 10:
        raise HistogramError(f"need at least 10 finite values to choose a binning, got {v.size}")
    if discrete:
        lo, hi = np.floor(np.quantile(v, tail)), np.ceil(np.quantile(v, 1.0 - tail))
        k = np.unique(np.round(v))
        k = k[(k >= lo) & (k <= hi)]
        if k.size < 2:
            raise HistogramError("the target values are (almost) constant; nothing to compare")
        return np.concatenate([[k[0] - 0.5], 0.5 * (k[1:] + k[:-1]), [k[-1] + 0.5]])
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_bins + 1)))
    if edges.size < 3:
        raise HistogramError("the target values are (almost) constant; use a discrete binning")
    return edges


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value, with under/overflow put into the first/last bin."""
    idx = np.searchsorted(np.asarray(edges), np.asarray(values, dtype=np.float64), side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def weighted_histogram(index: torch.Tensor, weights: torch.Tensor, n_bins: int
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """(sumw, sumw2) per bin, each (n_bins,), differentiable in ``weights``."""
    zero = torch.zeros(n_bins, dtype=weights.dtype)
    return zero.index_add(0, index, weights), zero.index_add(0, index, weights * weights)


def chi2_distance(sumw: torch.Tensor, sumw2: torch.Tensor, target: BinnedTarget) -> torch.Tensor:
    """Shape chi2 between a (weighted) model histogram and a target (see module doc)."""
    tw = torch.as_tensor(target.sumw, dtype=sumw.dtype)
    tw2 = torch.as_tensor(target.sumw2, dtype=sumw.dtype)
    if tw.shape != sumw.shape:
        raise BinningMismatchError(f"target {target.name!r} has {tw.numel()} bins, model {sumw.numel()}")
    p, var = sumw / sumw.sum(), sumw2 / sumw.sum() ** 2
    q, var_q = tw / tw.sum(), tw2 / tw.sum() ** 2
    den = var + var_q
    used = den > 0
    return (((p - q) ** 2)[used] / den[used]).sum()


def save_targets(targets: Mapping[str, BinnedTarget], path: str | Path) -> Path:
    """Write targets as JSON {name: {"edges", "sumw", "sumw2"}}."""
    doc = {n: {"edges": t.edges.tolist(), "sumw": t.sumw.tolist(), "sumw2": t.sumw2.tolist()}
           for n, t in targets.items()}
    Path(path).write_text(json.dumps(doc, indent=1))
    return Path(path)


def load_targets(path: str | Path) -> dict[str, BinnedTarget]:
    """Read targets written by :func:`save_targets` (or by hand, e.g. from data)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise HistogramError(f"cannot read binned targets from {path}: {err}") from err
    try:
        return {n: BinnedTarget(n, np.asarray(d["edges"]), np.asarray(d["sumw"]),
                                np.asarray(d.get("sumw2", d["sumw"])))
                for n, d in doc.items()}
    except (KeyError, TypeError) as err:
        raise HistogramError(
            f"{path}: each target needs 'edges' and 'sumw' (and optionally 'sumw2'); problem: {err}") from err
