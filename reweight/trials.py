"""Accept-reject weights from Pythia's own record of every z trial (arXiv 2308.13459).

With ``VariationFrag:z = on`` (``history_detail="trials"``) Pythia samples z from a flat
proposal, accepting a trial with probability P = f(z) / (f(z_max) * fPrel * zHead), and
stores every trial. The exact weight of the whole sequence for new parameters is

    prod_accepted P'/P  x  prod_rejected (1 - P') / (1 - P).

This module evaluates it (differentiably in theta) exactly as Pythia 8.317's
WeightsFragmentation::zWeight does, so that it can be compared with Pythia's in-situ
weights event by event. ``pythia_cap=True`` also reproduces Pythia's clamp of the
accepted-trial ratio at ``zHead``; with Pythia's default ``VariationFrag:zHead = 1`` that
clamp biases Pythia's in-situ weights wherever f'/f > 1 (measured: <N_ch> at aLund = 0.5
off by ~10 sigma with 40k events), which is why mlhad's default weights
(:mod:`mlhad.reweight.model`) are built from normalised densities instead, and why
comparisons with Pythia's weights use ``zHead = 10``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from .base import FragmentationBase
from .breaks import break_classes, class_shapes
from .lund import log_f_over_max
from .parameters import validate_point

__all__ = ["trial_log_weights"]


def trial_log_weights(z: np.ndarray, m2: np.ndarray, accepted: np.ndarray, f_prel: np.ndarray,
                      id_old: np.ndarray, id_new: np.ndarray, counts: np.ndarray, base: FragmentationBase,
                      point: Mapping[str, float | torch.Tensor], *, z_head: float = 1.0,
                      pythia_cap: bool = True) -> torch.Tensor:
    """Per-event log accept-reject weight of the z sampler for new parameters.

    Args:
        z, m2, accepted, f_prel, id_old, id_new: (n_trials,) trial records (``trials`` column).
        counts: (n_events,) trials per event.
        base: the sample's base parameters.
        point: new parameter values (names or aliases); 0-d tensors keep gradients.
        z_head: the sample's ``VariationFrag:zHead``.
        pythia_cap: clamp the accepted-trial ratio at ``z_head`` as Pythia does.

    Returns:
        (n_events,) float64 tensor.
    """
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in base.point().items()}
    for name, value in point.items():
        canonical = next(iter(validate_point({name: float(torch.as_tensor(value).detach())})))
        p[canonical] = torch.as_tensor(value, dtype=torch.float64)
    index, classes = break_classes(np.asarray(id_old), np.asarray(id_new))
    idx = torch.as_tensor(index)
    z_t = torch.as_tensor(np.asarray(z, dtype=np.float64))
    m2_t = torch.as_tensor(np.asarray(m2, dtype=np.float64))
    b0 = torch.tensor(base.bLund, dtype=torch.float64)
    a0_k, c0_k = class_shapes(classes, base, torch.tensor(base.aLund, dtype=torch.float64), b0,
                              torch.tensor(base.rFactC, dtype=torch.float64), torch.tensor(base.rFactB, dtype=torch.float64))
    a1_k, c1_k = class_shapes(classes, base, p["StringZ:aLund"], p["StringZ:bLund"], p["StringZ:rFactC"], p["StringZ:rFactB"])
    f0 = torch.exp(log_f_over_max(z_t, a0_k[idx], b0 * m2_t, c0_k[idx]))
    f1 = torch.exp(log_f_over_max(z_t, a1_k[idx], p["StringZ:bLund"] * m2_t, c1_k[idx]))
    prob = f0 / (torch.as_tensor(np.asarray(f_prel, dtype=np.float64)) * z_head)
    ratio = f1 / f0
    if pythia_cap:
        ratio = torch.clamp(ratio, max=z_head)
    acc = torch.as_tensor(np.asarray(accepted, dtype=bool))
    w = torch.where(acc, ratio, (1.0 - ratio * prob) / (1.0 - prob))
    event = torch.as_tensor(np.repeat(np.arange(len(counts)), counts))
    return torch.zeros(len(counts), dtype=torch.float64).index_add_(0, event, torch.log(w))
