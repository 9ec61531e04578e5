"""Exact single-break density ratios p_theta(z | mT2, flavours) / p_theta0(z | ...).

These are the per-break factors whose product over an event's history is the event
weight of :class:`~mlhad.reweight.model.LundReweighter` (z part). Used as the truth that
learned single-break weights (HOMER, flows) are compared with. The normalisation is
computed per break here (exact, slower than the tabulated event weights): use it on up
to a few million breaks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from .base import FragmentationBase
from .breaks import break_classes, class_shapes
from .lund import log_f, log_norm
from .parameters import validate_point

__all__ = ["break_log_density", "break_log_ratio"]


def break_log_density(z: np.ndarray, m2: np.ndarray, flav_old: np.ndarray, flav_new: np.ndarray,
                      base: FragmentationBase, point: Mapping[str, float] | None = None,
                      *, batch: int = 200_000) -> np.ndarray:
    """log p(z | mT2, flavours) of the normalised Lund density at ``point``.

    Args:
        z, m2, flav_old, flav_new: (n,) per-break arrays (as in a sample's ``breaks``).
        base: the sample's base parameters (aExtra, quark masses, conventions).
        point: parameter values (canonical names or aliases); missing ones take base values.

    Returns:
        (n,) float64 log densities.
    """
    p = dict(base.point())
    p.update(validate_point(point or {}))
    index, classes = break_classes(np.asarray(flav_old), np.asarray(flav_new))
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in p.items()}
    a_k, c_k = class_shapes(classes, base, t["StringZ:aLund"], t["StringZ:bLund"],
                            t["StringZ:rFactC"], t["StringZ:rFactB"])
    out = np.empty(len(z))
    z_t = torch.as_tensor(np.asarray(z, dtype=np.float64))
    m2_t = torch.as_tensor(np.asarray(m2, dtype=np.float64))
    idx = torch.as_tensor(index)
    with torch.no_grad():
        for start in range(0, len(z), batch):
            sl = slice(start, start + batch)
            a, c = a_k[idx[sl]], c_k[idx[sl]]
            big_b = t["StringZ:bLund"] * m2_t[sl]
            out[sl] = (log_f(z_t[sl], a, big_b, c) - log_norm(a, big_b, c)).numpy()
    return out


def break_log_ratio(z, m2, flav_old, flav_new, base: FragmentationBase, point: Mapping[str, float]) -> np.ndarray:
    """log[p_point / p_base] for every break (the exact single-break log weight)."""
    return (break_log_density(z, m2, flav_old, flav_new, base, point)
            - break_log_density(z, m2, flav_old, flav_new, base, None))
