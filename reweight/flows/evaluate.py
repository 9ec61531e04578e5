"""How close is a z model to the truth? Per-mT2-window tests and a KL to the Lund function.

- :func:`z_window_metrics`: in windows of mT2, draw one z from the flow at the mT2 of
  each recorded break and compare with the recorded z (two-sample KS p-value and the
  Wasserstein-1 distance). The *floor* is the same comparison between two independent
  samples (e.g. two Pythia runs): a perfect model scores like the floor.
- :func:`kl_to_lund`: KL(f_Lund(a, b) || p_flow) per break, averaged over the mT2 values
  of a table, estimated with exact Lund draws: E[log f - log p] with its standard error.
- :func:`pt_metrics`: the pair pT of a pT model vs recorded breaks: mean pT^2 and tail
  fractions, which set the hadrons' mT2 and hence the multiplicity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from scipy import stats

from mlhad.exceptions import ModelError
from mlhad.generators.string_sampler import PTSampler, ZSampler, lund_log_prob, sample_lund

__all__ = ["in_windows", "z_window_metrics", "kl_to_lund", "pt_metrics", "DEFAULT_WINDOWS"]

#: mT2 windows (GeV^2) used for held-out tests: first-rank pions (~m_pi^2 + small pT),
#: the bulk, and the tail.
DEFAULT_WINDOWS: tuple[tuple[float, float], ...] = ((0.05, 0.06), (0.15, 0.17), (0.35, 0.40), (0.8, 1.0))


def in_windows(mT2: torch.Tensor, windows: Sequence[tuple[float, float]]) -> torch.Tensor:
    """(n,) True where mT2 falls in any [lo, hi) window."""
    mask = torch.zeros(mT2.shape, dtype=torch.bool)
    for lo, hi in windows:
        mask |= (mT2 >= lo) & (mT2 < hi)
    return mask


def _compare(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    return {"ks_p": float(stats.ks_2samp(a, b).pvalue), "w1": float(stats.wasserstein_distance(a, b))}


@torch.no_grad()
def z_window_metrics(
    model: ZSampler,
    table: Mapping[str, torch.Tensor],
    windows: Sequence[tuple[float, float]] = DEFAULT_WINDOWS,
    *,
    floor_table: Mapping[str, torch.Tensor] | None = None,
    lund: tuple[float, float] | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Compare a z model with recorded breaks window by window in mT2.

    Args:
        model: z model (``ZSampler``), e.g. a ``FlowSampler`` of a trained flow.
        table: evaluation break table (an independent Pythia sample).
        windows: [lo, hi) windows of mT2, GeV^2.
        floor_table: a second independent break table; its z in the same window give
            the statistical floor of both statistics.
        lund: (a, b): also compare exact Lund draws at the same mT2 values.
        seed: seed of the model's (and the Lund) draws.

    Returns:
        One dict per window: ``lo``, ``hi``, ``n``, ``model`` ({ks_p, w1}) and, if asked,
        ``floor`` and ``lund``.
    """
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for lo, hi in windows:
        sel = (table["mT2"] >= lo) & (table["mT2"] < hi)
        n = int(sel.sum())
        if n < 20:
            raise ModelError(f"only {n} breaks with mT2 in [{lo}, {hi}) GeV^2; use a larger table")
        state = {k: v[sel] for k, v in table.items()}
        z_true = state["z"].numpy()
        z_model = model.sample_z(state, gen).numpy()
        row: dict[str, Any] = {"lo": lo, "hi": hi, "n": n, "model": _compare(z_model, z_true)}
        if floor_table is not None:
            fsel = (floor_table["mT2"] >= lo) & (floor_table["mT2"] < hi)
            row["floor"] = _compare(floor_table["z"][fsel].numpy(), z_true)
            row["n_floor"] = int(fsel.sum())
        if lund is not None:
            row["lund"] = _compare(sample_lund(state["mT2"], lund[0], lund[1], gen).numpy(), z_true)
        rows.append(row)
    return rows


@torch.no_grad()
def kl_to_lund(model: ZSampler, table: Mapping[str, torch.Tensor], a: float, b: float,
               seed: int = 0) -> tuple[float, float]:
    """KL(f_Lund(a, b) || p_model) per break (nats), and its standard error.

    The expectation runs over the string states (mT2 and any other context) of
    ``table`` and over fresh, exact Lund draws of z at those states.

    Args:
        model: z model with ``log_prob_z``.
        table: break table supplying the states, e.g. recorded Pythia breaks.
        a, b: Lund parameters of the reference.
        seed: seed of the exact Lund draws.
    """
    gen = torch.Generator().manual_seed(seed)
    m = table["mT2"].to(torch.float64)
    z = sample_lund(m, a, b, gen)
    diff = lund_log_prob(z, m, a, b) - model.log_prob_z(z, table)
    return float(diff.mean()), float(diff.std() / np.sqrt(diff.numel()))


@torch.no_grad()
def pt_metrics(model: PTSampler, table: Mapping[str, torch.Tensor], *, n: int = 1_000_000,
               tails: Sequence[float] = (0.25, 0.5, 1.0), seed: int = 0) -> dict[str, Any]:
    """Pair pT of a pT model vs the recorded ``px_new, py_new`` of a break table.

    Args:
        model: pT model (``PTSampler``), e.g. a trained flow's ``FlowSampler``.
        table: break table (all z draws: each carries an unbiased pair-pT draw).
        n: draws from the model.
        tails: pT^2 thresholds (GeV^2) of the tail fractions P(pT^2 > t).
        seed: seed of the model's draws.

    Returns:
        ``{"model": {...}, "data": {...}}``, each with ``n``, ``mean_pt2`` and its
        standard error ``mean_pt2_se`` (GeV^2), ``tail`` {t: fraction} and the
        anisotropy ``cos2phi`` = <cos 2 phi> (0 for an isotropic law).
    """
    def summary(px: torch.Tensor, py: torch.Tensor) -> dict[str, Any]:
        pt2 = (px * px + py * py).double()
        return {"n": int(pt2.numel()), "mean_pt2": float(pt2.mean()),
                "mean_pt2_se": float(pt2.std() / np.sqrt(pt2.numel())),
                "tail": {str(t): float((pt2 > t).double().mean()) for t in tails},
                "cos2phi": float(torch.cos(2 * torch.atan2(py, px)).mean())}

    px, py = model.sample_pt(n, torch.Generator().manual_seed(seed))
    return {"model": summary(px, py), "data": summary(table["px_new"], table["py_new"])}
