"""Precomputed, parameter-independent tables of a sample's fragmentation histories.

The event log-weight for new parameters theta is

    log w = sum_breaks [log f_theta(z) - log N_theta(mT2)] - (same at theta_0) + pT term

The log f part is linear in a, b, c within a flavour class, so it needs only per-event,
per-class sums of log(1-z), log z and mT2/z (an (n_events, K) table). The normalisation
log N depends on each break's mT2: it is tabulated on a grid of log mT2 per class with its
exact slope and interpolated by cubic Hermite polynomials, whose basis values per break
are precomputed here. Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mlhad.exceptions import ReweightError

from .breaks import break_classes
from .sparse_ops import EventMatrix

__all__ = ["HistoryTables"]


@dataclass
class HistoryTables:
    n_events: int
    classes: np.ndarray             # (K, 6) class properties (see breaks.break_classes)
    sum_log1mz: torch.Tensor        # (n_events, K)
    sum_logz: torch.Tensor          # (n_events, K)
    sum_m2_over_z: torch.Tensor     # (n_events,)  sum of mT2 / z (multiplies -b)
    node_m2: torch.Tensor           # (K, M) grid of mT2 per class
    node_step: torch.Tensor         # (K,) spacing in log mT2
    hermite: EventMatrix            # (n_events, 2 K M): per-event sums of Hermite basis values
    n_breaks: int
    pt_n: torch.Tensor | None       # (n_events,) number of Gaussian pT draws
    pt_s: torch.Tensor | None       # (n_events,) sum of (pT / sigma_q)^2

    @classmethod
    def from_arrays(cls, z: np.ndarray, m2: np.ndarray, flav_old: np.ndarray, flav_new: np.ndarray,
                    counts: np.ndarray, pt_n: np.ndarray | None = None, pt_s: np.ndarray | None = None,
                    *, n_nodes: int = 512) -> "HistoryTables":
        """Build the tables from flat per-break arrays and per-event break counts."""
        z = np.asarray(z, dtype=np.float64)
        m2 = np.asarray(m2, dtype=np.float64)
        counts = np.asarray(counts, dtype=np.int64)
        n_events = counts.size
        if z.size != counts.sum():
            raise ReweightError(f"{z.size} breaks but the event counts add up to {counts.sum()}")
        if z.size and not (np.all((z > 0) & (z < 1)) and np.all(m2 > 0)):
            raise ReweightError("histories hold z outside (0, 1) or non-positive mT2: the sample is damaged")
        event = np.repeat(np.arange(n_events), counts)
        index, classes = break_classes(np.asarray(flav_old), np.asarray(flav_new))
        k = classes.shape[0]

        def per_event_class(values: np.ndarray) -> torch.Tensor:
            out = np.zeros((n_events, k))
            np.add.at(out, (event, index), values)
            return torch.from_numpy(out)

        sum_log1mz = per_event_class(np.log1p(-z))
        sum_logz = per_event_class(np.log(z))
        sum_q = torch.from_numpy(np.bincount(event, weights=m2 / z, minlength=n_events).astype(np.float64))

        # log mT2 grid per class, padded slightly so every break lies strictly inside
        x = np.log(m2)
        lo = np.full(k, np.inf)
        hi = np.full(k, -np.inf)
        np.minimum.at(lo, index, x)
        np.maximum.at(hi, index, x)
        width = np.maximum(hi - lo, 1e-3)
        lo, hi = lo - 1e-3 * width, hi + 1e-3 * width
        grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, n_nodes)[None, :]
        step = (hi - lo) / (n_nodes - 1)
        pos = (x - lo[index]) / step[index]
        j = np.clip(np.floor(pos).astype(np.int64), 0, n_nodes - 2)
        s = pos - j
        h00 = 2 * s**3 - 3 * s**2 + 1
        h10 = (s**3 - 2 * s**2 + s) * step[index]
        h01 = -2 * s**3 + 3 * s**2
        h11 = (s**3 - s**2) * step[index]
        # log N_event = sum over breaks of the Hermite interpolant = H @ [y; m] with y, m the
        # node values and slopes of log N: one sparse matrix with four entries per break
        node = index * n_nodes + j
        n_flat = k * n_nodes
        hermite = EventMatrix.from_entries(
            np.concatenate([event] * 4),
            np.concatenate([node, node + 1, n_flat + node, n_flat + node + 1]),
            np.concatenate([h00, h01, h10, h11]),
            (n_events, 2 * n_flat),
        )
        return cls(
            n_events=n_events, classes=classes, sum_log1mz=sum_log1mz, sum_logz=sum_logz, sum_m2_over_z=sum_q,
            node_m2=torch.from_numpy(np.exp(grid)), node_step=torch.from_numpy(step),
            hermite=hermite, n_breaks=int(z.size),
            pt_n=None if pt_n is None else torch.from_numpy(np.asarray(pt_n, dtype=np.float64)),
            pt_s=None if pt_s is None else torch.from_numpy(np.asarray(pt_s, dtype=np.float64)),
        )
