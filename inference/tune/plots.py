"""Plots of a tune: data vs start vs tune (Rivet style), and the 1D chi2 scans.

The data/MC plot follows :func:`mlhad.compare.plot_comparison` (same labels from
:func:`mlhad.compare.plot_labels`, same log-y rule :func:`mlhad.compare.uses_log_y`, data
points with their total errors, MC as lines with statistical bands, a ratio panel with
the data's relative error as a grey band) with two MC curves instead of one. Figures use
``matplotlib.figure.Figure`` (Agg): no global pyplot state is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlhad.compare import HistogramComparison, plot_labels, uses_log_y

from .errors import Scan

__all__ = ["plot_start_vs_tune", "plot_scans"]


def _steps(xlow: np.ndarray, xhigh: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step-line coordinates over possibly non-contiguous bins (gaps break the line)."""
    xs: list[float] = []
    ys: list[float] = []
    for i, (a, b, v) in enumerate(zip(xlow, xhigh, y)):
        if i and a != xhigh[i - 1]:
            xs.append(np.nan)
            ys.append(np.nan)
        xs += [a, b]
        ys += [v, v]
    return np.array(xs), np.array(ys)


def plot_start_vs_tune(start: HistogramComparison, tune: HistogramComparison, path: str | Path, *,
                       labels: tuple[str, str] = ("start", "tune"), fitted: np.ndarray | None = None,
                       dpi: int = 90) -> Path:
    """Draw data, the start and the tuned prediction of one histogram, with an MC/data panel.

    Args:
        start, tune: comparisons of the same reference histogram.
        path: output file (PNG/PDF by suffix); parent folders are created.
        labels: legend names of the two MC curves (chi2/ndf is appended).
        fitted: ``(n,)`` bool, points that entered the fit (others are drawn hollow).
    """
    import mplhep
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    path = Path(path)
    text = plot_labels(tune.path)
    with plt.style.context(mplhep.style.ROOT):
        fig = Figure(figsize=(7.5, 7.0))
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
        top = fig.add_subplot(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        h = tune
        x = 0.5 * (h.xlow + h.xhigh)
        xerr = np.stack([x - h.xlow, h.xhigh - x])
        for comp, label, colour, style in ((start, labels[0], "tab:blue", "--"), (tune, labels[1], "tab:red", "-")):
            sx, smc = _steps(comp.xlow, comp.xhigh, comp.mc)
            _, lo = _steps(comp.xlow, comp.xhigh, comp.mc - comp.mc_err)
            _, hi = _steps(comp.xlow, comp.xhigh, comp.mc + comp.mc_err)
            top.fill_between(sx, lo, hi, color=colour, alpha=0.25, lw=0)
            top.plot(sx, smc, color=colour, lw=1.8, ls=style, label=f"{label} ($\\chi^2$/ndf = {comp.chi2_ndf:.2f})")
            with np.errstate(divide="ignore", invalid="ignore"):
                _, r = _steps(comp.xlow, comp.xhigh, comp.mc / comp.data)
                _, r_lo = _steps(comp.xlow, comp.xhigh, (comp.mc - comp.mc_err) / comp.data)
                _, r_hi = _steps(comp.xlow, comp.xhigh, (comp.mc + comp.mc_err) / comp.data)
            bottom.fill_between(sx, r_lo, r_hi, color=colour, alpha=0.25, lw=0)
            bottom.plot(sx, r, color=colour, lw=1.8, ls=style)
        used = np.ones(len(x), dtype=bool) if fitted is None else np.asarray(fitted, dtype=bool)
        yerr = np.stack([h.data_err_minus, h.data_err_plus])
        top.errorbar(x[used], h.data[used], yerr=yerr[:, used], xerr=xerr[:, used], fmt="o", color="k", ms=4,
                     lw=1.2, capsize=0, label="Data" + (" (fitted points)" if fitted is not None else ""), zorder=5)
        if (~used).any():
            top.errorbar(x[~used], h.data[~used], yerr=yerr[:, ~used], xerr=xerr[:, ~used], fmt="o", mfc="white",
                         color="k", ms=4, lw=1.0, capsize=0, label="Data (not fitted)", zorder=5)
        if uses_log_y(h) and uses_log_y(start):
            top.set_yscale("log")
        top.set_ylabel(text.ylabel)
        top.set_title(f"{h.analysis} {h.name}: {text.title}", fontsize=11, loc="left")
        top.legend(fontsize=10, frameon=False)
        top.tick_params(labelbottom=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel_dn, rel_up = h.data_err_minus / h.data, h.data_err_plus / h.data
            ratios = np.concatenate([start.mc / h.data, tune.mc / h.data, 1 - rel_dn, 1 + rel_up])
        sx, band_lo = _steps(h.xlow, h.xhigh, 1 - rel_dn)
        _, band_hi = _steps(h.xlow, h.xhigh, 1 + rel_up)
        bottom.fill_between(sx, band_lo, band_hi, color="0.8", lw=0)
        bottom.axhline(1.0, color="k", lw=1)
        finite = ratios[np.isfinite(ratios)]
        span = max(0.1, min(1.0, 1.15 * float(np.max(np.abs(finite - 1.0))) if finite.size else 0.5))
        bottom.set_ylim(1 - span, 1 + span)
        bottom.set_ylabel("MC/data")
        bottom.set_xlabel(text.xlabel)
        if len(x) == 1:
            top.set_xlim(h.xlow[0], h.xhigh[0])
        fig.align_ylabels([top, bottom])
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def plot_scans(scans: Sequence[Scan], path: str | Path, *, hessian: np.ndarray | None = None,
               title: str = "", dpi: int = 90) -> Path:
    """One panel per parameter: the scanned Delta chi2, its parabola from the Hessian, Delta chi2 = 1.

    Each panel shows the scan (others fixed at the best fit), the conditional parabola
    ``H_ii d**2 / 2`` it should follow, the profiled parabola ``d**2 / cov_ii`` (others
    re-minimised, quadratic approximation: its Delta chi2 = 1 crossing is the quoted
    error), and n_eff/N of the reweighted scans on a second axis.
    """
    import mplhep
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    path = Path(path)
    with plt.style.context(mplhep.style.ROOT):
        fig = Figure(figsize=(5.0 * len(scans), 4.6))
        for i, s in enumerate(scans):
            ax = fig.add_subplot(1, len(scans), i + 1)
            d = s.values - s.best
            fine = np.linspace(d.min(), d.max(), 200) if d.size else np.zeros(1)
            ax.plot(s.values, s.delta_chi2, "o", color="k", ms=4, label="scan (others fixed)")
            if hessian is not None and hessian[i, i] > 0:
                ax.plot(s.best + fine, 0.5 * hessian[i, i] * fine**2, color="tab:red", lw=1.5, label="Hessian, others fixed")
            if np.isfinite(s.sigma) and s.sigma > 0:
                ax.plot(s.best + fine, (fine / s.sigma) ** 2, color="tab:blue", lw=1.2, ls="--",
                        label=f"profiled: $\\sigma$ = {s.sigma:.3g}")
            ax.axhline(1.0, color="0.5", lw=1, ls=":")
            top = float(np.nanmax(s.delta_chi2)) if s.delta_chi2.size else 1.0
            ax.set_ylim(-0.05 * top, 1.1 * max(top, 1.0))
            ax.set_xlabel(s.name)
            ax.set_ylabel(r"$\Delta\chi^2$")
            ax.legend(fontsize=8, frameon=False, loc="upper center")
            if s.n_eff is not None:
                twin = ax.twinx()
                twin.plot(s.values, s.n_eff, color="tab:green", lw=1, alpha=0.7)
                twin.set_ylim(0, 1.05)
                twin.set_ylabel(r"$n_\mathrm{eff}/N$", color="tab:green", fontsize=10)
        if title:
            fig.suptitle(title, fontsize=11)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
