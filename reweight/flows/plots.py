"""Figures for flow reports (matplotlib with the Agg backend and mplhep's style).

- :func:`plot_z_windows`: z of recorded breaks vs the flow's z vs the Lund function, in
  a few mT2 windows;
- :func:`plot_observables`: target vs chains before and after MAGIC, one panel per
  observable;
- :func:`plot_history`: training NLL or MAGIC loss and n_eff per step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from mlhad.generators.string_sampler import ZSampler, lund_log_prob

from .distance import BinnedTarget, bin_index

__all__ = ["plot_z_windows", "plot_observables", "plot_history"]


def _pyplot():  # noqa: ANN202 - matplotlib module
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    plt.style.use(mplhep.style.ROOT)
    return plt


def plot_z_windows(model: ZSampler, table: Mapping[str, torch.Tensor], windows: Sequence[tuple[float, float]],
                   path: str | Path, *, lund: tuple[float, float] | None = None, label: str = "flow",
                   seed: int = 0, bins: int = 40) -> Path:
    """Histogram z of ``table`` and of the model (same states) in each mT2 window."""
    plt = _pyplot()
    gen = torch.Generator().manual_seed(seed)
    fig, axes = plt.subplots(1, len(windows), figsize=(5.5 * len(windows), 5), squeeze=False)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for ax, (lo, hi) in zip(axes[0], windows):
        sel = (table["mT2"] >= lo) & (table["mT2"] < hi)
        state = {k: v[sel] for k, v in table.items()}
        with torch.no_grad():
            z_model = model.sample_z(state, gen).numpy()
        ax.hist(state["z"].numpy(), edges, density=True, histtype="step", lw=2, label="recorded")
        ax.hist(z_model, edges, density=True, histtype="step", lw=2, ls="--", label=label)
        if lund is not None:
            zz = torch.linspace(1e-3, 1 - 1e-3, 400, dtype=torch.float64)
            mid = torch.full_like(zz, 0.5 * (lo + hi))
            ax.plot(zz, torch.exp(lund_log_prob(zz, mid, *lund)), "k:", lw=1.5,
                    label=f"Lund a={lund[0]:g} b={lund[1]:g}")
        ax.set_title(f"$m_T^2 \\in [{lo:g}, {hi:g})$ GeV$^2$", fontsize=14)
        ax.set_xlabel("z")
        ax.legend(fontsize=11)
    axes[0][0].set_ylabel("density")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def plot_observables(samples: Mapping[str, Mapping[str, np.ndarray]], targets: Mapping[str, BinnedTarget],
                     path: str | Path) -> Path:
    """One panel per observable: the target and each named sample's normalised histogram.

    Args:
        samples: label -> {observable: (n_events,) values}, e.g. "before", "after".
        targets: the binned targets (define the binning).
        path: output file.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(targets), figsize=(5.5 * len(targets), 5), squeeze=False)
    for ax, (name, t) in zip(axes[0], targets.items()):
        x = np.arange(len(t.sumw))
        p = t.sumw / t.sumw.sum()
        ax.errorbar(x, p, yerr=np.sqrt(t.sumw2) / t.sumw.sum(), fmt="ko", ms=3, label="target")
        for label, values in samples.items():
            h = np.bincount(bin_index(values[name], t.edges), minlength=len(t.sumw))
            ax.step(x, h / h.sum(), where="mid", lw=2, label=label)
        ax.set_xlabel(f"{name} (bin)")
        ax.legend(fontsize=11)
    axes[0][0].set_ylabel("fraction of events")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def plot_history(series: Mapping[str, Sequence[float]], path: str | Path, *, xlabel: str = "step",
                 log: bool = False) -> Path:
    """Line plot of named per-step series (e.g. train/val NLL, MAGIC loss, n_eff)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(series), figsize=(5.5 * len(series), 4.5), squeeze=False)
    for ax, (name, values) in zip(axes[0], series.items()):
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), lw=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(name)
        if log:
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)

