"""Rivet-style data/MC plots: data points over the MC histogram, and an MC/data ratio panel.

As ``rivet-mkhtml``: the upper panel shows the reference points (black, error bars =
total data error, horizontal bars = bin width) and the MC prediction as a line with its
statistical error band; the lower panel shows MC/data with the data's relative error
as a grey band around 1. The y axis is logarithmic (Rivet's default ``LogY=1``) except
for means and profiles (their plot files set ``LogY=0``) and whenever a data value is
not positive; empty MC bins are left out of the drawn line. Figures are built on ``matplotlib.figure.Figure`` (Agg), so no global
pyplot state or backend is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .comparison import HistogramComparison
from .labels import plot_labels

__all__ = ["plot_comparison", "uses_log_y"]


def uses_log_y(h: HistogramComparison) -> bool:
    """Rivet's choice: log y, except for means and profiles and for data with values <= 0.

    Empty MC bins do not switch the axis (they are left out of the drawn line, as Rivet does).
    """
    if h.normalisation in ("mean", "profile"):
        return False
    return bool(np.all(h.data > 0))


def _steps(xlow: np.ndarray, xhigh: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step-line coordinates over possibly non-contiguous bins (gaps break the line)."""
    xs, ys = [], []
    for i, (a, b, v) in enumerate(zip(xlow, xhigh, y)):
        # reference edges are printed with ~7 digits: only a real gap (ALEPH d25-d27) breaks the line
        if i and a - xhigh[i - 1] > 1e-6 * (abs(a) + (b - a)):
            xs.append(np.nan)
            ys.append(np.nan)
        xs += [a, b]
        ys += [v, v]
    return np.array(xs), np.array(ys)


def plot_comparison(h: HistogramComparison, path: str | Path, *, mc_label: str = "MC", data_label: str = "Data",
                    dpi: int = 100) -> Path:
    """Draw one comparison and save it (PNG or PDF by the file name).

    Args:
        h: the comparison (data, MC values and errors at the reference points).
        path: output file; parent folders are created.
        mc_label, data_label: legend entries.
        dpi: resolution of raster output.

    Returns:
        The path written.
    """
    import mplhep
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    path = Path(path)
    labels = plot_labels(h.path)
    with plt.style.context(mplhep.style.ROOT):
        fig = Figure(figsize=(7.5, 7.0))
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.05, left=0.15, right=0.97, top=0.9, bottom=0.1)
        top = fig.add_subplot(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        x = 0.5 * (h.xlow + h.xhigh)
        xerr = np.stack([x - h.xlow, h.xhigh - x])
        single = len(x) == 1

        sx, smc = _steps(h.xlow, h.xhigh, h.mc)
        _, lo = _steps(h.xlow, h.xhigh, h.mc - h.mc_err)
        _, hi = _steps(h.xlow, h.xhigh, h.mc + h.mc_err)
        top.fill_between(sx, lo, hi, color="tab:red", alpha=0.3, lw=0, step=None)
        top.plot(sx, smc, color="tab:red", lw=1.8, label=f"{mc_label}  ($\\chi^2$/ndf = {h.chi2_ndf:.2f})")
        top.errorbar(x, h.data, yerr=np.stack([h.data_err_minus, h.data_err_plus]), xerr=xerr, fmt="o", color="k",
                     ms=4, lw=1.2, capsize=0, label=data_label, zorder=5)
        if uses_log_y(h):
            top.set_yscale("log", nonpositive="mask")
        top.set_ylabel(labels.ylabel, fontsize=16)
        top.set_title(f"{h.analysis} {h.name}\n{labels.title}", fontsize=11, loc="left")
        top.legend(fontsize=12, frameon=False)
        top.tick_params(labelbottom=False, labelsize=13)
        bottom.tick_params(labelsize=13)

        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = h.mc / h.data
            ratio_err = h.mc_err / h.data
            rel_dn, rel_up = h.data_err_minus / h.data, h.data_err_plus / h.data
        _, band_lo = _steps(h.xlow, h.xhigh, 1 - rel_dn)
        _, band_hi = _steps(h.xlow, h.xhigh, 1 + rel_up)
        bottom.fill_between(sx, band_lo, band_hi, color="0.8", lw=0, label="data error")
        bottom.axhline(1.0, color="k", lw=1)
        _, r = _steps(h.xlow, h.xhigh, ratio)
        _, r_lo = _steps(h.xlow, h.xhigh, ratio - ratio_err)
        _, r_hi = _steps(h.xlow, h.xhigh, ratio + ratio_err)
        bottom.fill_between(sx, r_lo, r_hi, color="tab:red", alpha=0.3, lw=0)
        bottom.plot(sx, r, color="tab:red", lw=1.8)
        finite = np.concatenate([ratio[np.isfinite(ratio)], 1 - rel_dn, 1 + rel_up])
        span = max(0.1, min(1.0, 1.15 * float(np.max(np.abs(finite - 1.0))) if finite.size else 0.5))
        bottom.set_ylim(1 - span, 1 + span)
        bottom.set_ylabel("MC/data", fontsize=14)
        bottom.set_xlabel(labels.xlabel, fontsize=15)
        if single:
            top.set_xlim(h.xlow[0], h.xhigh[0])
        fig.align_ylabels([top, bottom])
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return path
