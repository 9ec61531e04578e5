"""Figures of a HOMER report (matplotlib, Agg, mplhep style). Each function returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .closure import ObservableComparison  # noqa: E402

__all__ = ["plot_losses", "plot_calibration", "plot_weights", "plot_observables", "plot_break_weights", "COLOURS"]

#: Colour of each weighting in every figure.
COLOURS = {"data": "black", "simulation": "tab:grey", "step 1": "tab:orange", "HOMER": "tab:blue",
           "exact": "tab:green", "HOMER, 1 round": "tab:purple"}


def _style() -> None:
    import mplhep

    plt.style.use(mplhep.style.ROOT)
    # minor ticks on every axis cost most of the drawing time of the many-panel figures
    plt.rcParams.update({"font.size": 11, "axes.labelsize": 11, "legend.fontsize": 9, "xtick.labelsize": 9,
                         "ytick.labelsize": 9, "figure.dpi": 100, "xtick.minor.visible": False,
                         "ytick.minor.visible": False})


def plot_losses(diagnostics: Mapping[str, Any]) -> Figure:
    """Step-1 and step-2 losses per epoch (training and validation; best epoch marked)."""
    _style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    step1 = diagnostics.get("step1", {}).get("history")
    panels = [(axes[0], step1, "step 1: balanced BCE", False),
              (axes[1], diagnostics["step2"]["history"], "step 2: excess loss", True)]
    for ax, hist, title, log in panels:
        if not hist:
            ax.text(0.5, 0.5, "binned data: no classifier\n(maximum-entropy fit)", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_title(title)
            continue
        epochs = np.arange(1, len(hist["val_loss"]) + 1)
        ax.plot(epochs, hist["train_loss"], label="training", color="tab:blue")
        ax.plot(epochs, hist["val_loss"], label="validation", color="tab:orange")
        ax.axvline(hist["best_epoch"] + 1, color="grey", ls=":", label="kept")
        if log and np.all(np.asarray(hist["val_loss"]) > 0) and np.all(np.asarray(hist["train_loss"]) > 0):
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_calibration(step1: Mapping[str, Any]) -> Figure:
    """Reliability diagram on the test split, before and after Platt scaling."""
    _style()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", label="perfect")
    for key, label, colour in (("reliability_raw", "raw", "tab:orange"), ("reliability_calibrated", "calibrated",
                                                                          "tab:blue")):
        curve = step1[key]
        ax.errorbar(curve["predicted"], curve["observed"], yerr=curve["error"], marker="o", ms=4, color=colour,
                    label=f"{label} (ECE {curve['ece']:.4f})", ls="-")
    lo = min(min(step1["reliability_raw"]["predicted"]), min(step1["reliability_raw"]["observed"])) - 0.02
    hi = max(max(step1["reliability_raw"]["predicted"]), max(step1["reliability_raw"]["observed"])) + 0.02
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("predicted p(data)")
    ax.set_ylabel("observed data fraction")
    ax.set_title("step 1 calibration (test events)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_weights(weights: Mapping[str, np.ndarray]) -> Figure:
    """Distributions of log10 w for each weighting of the test simulation."""
    _style()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    logs = {k: np.log10(np.asarray(w)) for k, w in weights.items()}
    lo = min(np.quantile(v, 0.0005) for v in logs.values())
    hi = max(np.quantile(v, 0.9995) for v in logs.values())
    bins = np.linspace(lo, hi, 60)
    for label, v in logs.items():
        n_eff = np.exp(2 * np.log(np.sum(10**v)) - np.log(v.size) - np.log(np.sum(10 ** (2 * v))))
        ax.hist(v, bins=bins, histtype="step", lw=1.5, color=COLOURS.get(label), label=f"{label} (n_eff/N {n_eff:.2f})")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\log_{10} w$")
    ax.set_ylabel("events")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_observables(comparisons: Sequence[ObservableComparison], labels: Sequence[str], *, ncols: int = 4) -> Figure:
    """Data vs weighted simulation per observable, with a ratio panel (prediction / data)."""
    _style()
    n = len(comparisons)
    nrows = int(np.ceil(n / ncols))
    fig = plt.figure(figsize=(4.2 * ncols, 5.0 * nrows))
    # per row of observables: main panel, ratio panel, and a spacer for the next titles
    grid = fig.add_gridspec(3 * nrows, ncols, height_ratios=[3, 1.3, 0.75] * nrows, hspace=0.05, wspace=0.32,
                            left=0.05, right=0.98, top=0.98, bottom=0.02)
    for i, c in enumerate(comparisons):
        r, col = divmod(i, ncols)
        top = fig.add_subplot(grid[3 * r, col])
        bottom = fig.add_subplot(grid[3 * r + 1, col], sharex=top)
        x = np.arange(c.data.size)
        top.errorbar(x, c.data, yerr=c.data_err, fmt="o", ms=3, color="black", label="data")
        for label in labels:
            if label not in c.predictions:
                continue
            f, e = c.predictions[label]
            top.step(np.r_[x - 0.5, x[-1] + 0.5], np.r_[f, f[-1]], where="post", color=COLOURS.get(label),
                     label=f"{label} ({c.fraction_within(label):.0%})")
            ratio = f / c.data
            bottom.step(np.r_[x - 0.5, x[-1] + 0.5], np.r_[ratio, ratio[-1]], where="post", color=COLOURS.get(label))
            bottom.fill_between(x, ratio - e / c.data, ratio + e / c.data, step="mid", color=COLOURS.get(label),
                                alpha=0.2)
        bottom.fill_between(x, 1 - c.data_err / c.data, 1 + c.data_err / c.data, step="mid", color="black",
                            alpha=0.15)
        bottom.axhline(1.0, color="black", lw=0.8)
        top.set_title(f"{c.name}{'' if c.fitted else ' (not fitted)'}", fontsize=10)
        top.set_ylabel("fraction of events")
        top.legend(fontsize=7)
        plt.setp(top.get_xticklabels(), visible=False)
        bottom.set_ylabel("pred. / data", fontsize=9)
        ticks = x[:: max(1, x.size // 5)]
        bottom.set_xticks(ticks)
        bottom.set_xticklabels([f"{c.edges[k]:.3g}" for k in ticks], fontsize=7)
        bottom.set_xlabel("bin (lower edge; quantile bins of data)", fontsize=8)
        span = np.nanmax(np.abs(np.concatenate([c.predictions[k][0] / c.data - 1 for k in labels
                                                 if k in c.predictions])))
        bottom.set_ylim(1 - min(max(1.2 * span, 0.05), 0.6), 1 + min(max(1.2 * span, 0.05), 0.6))
    return fig


def plot_break_weights(z: np.ndarray, curves: Sequence[tuple[str, np.ndarray, np.ndarray | None]],
                       learned: np.ndarray, exact: np.ndarray | None, correlation: float | None) -> Figure:
    """Learned single-break log weight vs the exact Lund log ratio.

    Args:
        z: (m,) grid of z for the curves.
        curves: (label, learned g(z), exact g(z) or None) at fixed conditioning.
        learned, exact: (n,) per-break values on held-out simulated breaks (exact may be None).
        correlation: Pearson correlation of learned and exact (None without truth).
    """
    _style()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ax = axes[0]
    for i, (label, g, g_exact) in enumerate(curves):
        colour = f"C{i}"
        ax.plot(z, g, color=colour, label=f"HOMER, {label}")
        if g_exact is not None:
            ax.plot(z, g_exact, color=colour, ls="--", label="exact Lund ratio" if i == 0 else None)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel("z")
    ax.set_ylabel(r"$\log w_\mathrm{break}(z \mid c)$")
    ax.set_title("single-break log weight at fixed $m_T^2$, flavour")
    ax.legend(fontsize=7)
    ax = axes[1]
    if exact is not None:
        lo, hi = np.quantile(np.r_[learned, exact], [0.001, 0.999])
        ax.hist2d(exact, learned, bins=80, range=[[lo, hi], [lo, hi]], cmap="Blues", norm=matplotlib.colors.LogNorm())
        ax.plot([lo, hi], [lo, hi], color="black", ls="--", lw=0.8)
        ax.set_xlabel("exact log ratio")
        ax.set_ylabel("HOMER log weight")
        ax.set_title(f"held-out breaks (correlation {correlation:.3f})")
    else:
        ax.hist(learned, bins=80, color="tab:blue", histtype="step")
        ax.set_xlabel("HOMER log weight per break")
        ax.set_title("held-out breaks (no exact truth for real data)")
    fig.tight_layout()
    return fig
