"""Plots of an inference: corner plot, marginals, SBC ranks, coverage, posterior predictive.

Figures are ``matplotlib.figure.Figure`` objects (Agg, no global pyplot state) in the
mplhep ROOT style, saved as PNG. The SBC rank histograms come from sbi's own
``sbc_rank_plot``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .calibrate import CalibrationResult
from .calibration import binomial_band
from .ppc import PosteriorPredictive

__all__ = ["plot_corner", "plot_marginals", "plot_sbc_ranks", "plot_coverage", "plot_ppc_histogram"]


def _style():
    import mplhep
    from matplotlib import pyplot as plt

    return plt.style.context(mplhep.style.ROOT)


@contextlib.contextmanager
def _sbi_plot_warnings() -> Iterator[None]:
    """sbi 0.27's plotting helpers announce an internal rename of theirs; not ours to fix."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="_get_default_opts will be deprecated",
                                category=PendingDeprecationWarning)
        yield


def _save(fig, path: str | Path, dpi: int = 90) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def plot_corner(samples: np.ndarray, labels: Sequence[str], limits: np.ndarray, path: str | Path, *,
                points: dict[str, np.ndarray] | None = None) -> Path:
    """Corner plot (sbi's ``pairplot``) of ``(n, d)`` samples with marked points (fit, MAP, truth...).

    Args:
        samples: posterior samples.
        labels: parameter labels.
        limits: ``(d, 2)`` axis ranges.
        path: output PNG.
        points: ``{label: (d,) point}`` drawn on every panel.
    """
    from matplotlib import pyplot as plt
    from sbi.analysis import pairplot

    marks = points or {}
    colours = ["tab:red", "tab:blue", "tab:green", "tab:orange"]
    with plt.rc_context({"figure.max_open_warning": 0}), _sbi_plot_warnings():
        fig, axes = pairplot(samples, limits=[list(r) for r in np.asarray(limits)], labels=list(labels),
                             figsize=(2.6 * len(labels) + 1, 2.6 * len(labels) + 1),
                             points=[np.asarray(p)[None, :] for p in marks.values()] or None,
                             diag="hist", upper="hist",
                             fig_kwargs={"points_colors": colours[:len(marks)]} if marks else None)
        if marks:
            handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=k) for k, c in zip(marks, colours)]
            fig.legend(handles=handles, loc="upper right", frameon=False)
        out = _save(fig, path)
        plt.close(fig)
    return out


def plot_marginals(samples: np.ndarray, labels: Sequence[str], path: str | Path, *,
                   points: dict[str, np.ndarray] | None = None, errors: dict[str, np.ndarray] | None = None) -> Path:
    """1-D posterior marginals with the mean, the 68 % interval and marked points (e.g. fit -+ error)."""
    from matplotlib.figure import Figure

    d = samples.shape[1]
    with _style():
        fig = Figure(figsize=(4.2 * d, 3.8))
        colours = ["tab:red", "tab:blue", "tab:green", "tab:orange"]
        for k in range(d):
            ax = fig.add_subplot(1, d, k + 1)
            ax.hist(samples[:, k], bins=50, density=True, histtype="stepfilled", color="0.75")
            lo, hi = np.quantile(samples[:, k], [0.16, 0.84])
            ax.axvspan(lo, hi, color="0.55", alpha=0.4, lw=0, label="68 %")
            ax.axvline(samples[:, k].mean(), color="k", lw=1.5, label="mean")
            for (name, p), c in zip((points or {}).items(), colours):
                err = (errors or {}).get(name)
                y = ax.get_ylim()[1] * 0.5
                ax.errorbar([p[k]], [y], xerr=None if err is None else [err[k]], fmt="o", color=c, label=name)
            ax.set_xlabel(labels[k], fontsize=14)
            ax.tick_params(labelsize=10)
            if k == 0:
                ax.legend(fontsize=9, frameon=False)
        fig.tight_layout()
        return _save(fig, path)


def plot_sbc_ranks(result: CalibrationResult, labels: Sequence[str], path: str | Path) -> Path:
    """SBC rank histograms (sbi's ``sbc_rank_plot``), with the uniformity p-values in the title."""
    from matplotlib import pyplot as plt
    from sbi.analysis import sbc_rank_plot

    with _sbi_plot_warnings():
        fig, ax = sbc_rank_plot(result.ranks, result.n_samples, plot_type="hist", num_bins=max(5, result.n // 20),
                                parameter_labels=list(labels), figsize=(4.2 * len(labels), 3.6))
    pv = ", ".join(f"{lab}: {p:.2f}" for lab, p in zip(labels, result.uniformity.ks_pvalue))
    fig.suptitle(f"SBC ranks, {result.n} pseudo-experiments (KS p-values {pv})", fontsize=11)
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_coverage(result: CalibrationResult, labels: Sequence[str], path: str | Path) -> Path:
    """Empirical against nominal coverage (marginal central intervals and joint HPD regions)."""
    from matplotlib.figure import Figure

    with _style():
        fig = Figure(figsize=(6.5, 6.0))
        ax = fig.add_subplot(1, 1, 1)
        alpha = result.central.alpha
        lo, hi = binomial_band(alpha, result.n)
        ax.fill_between(alpha, lo, hi, color="0.85", label=f"calibrated, 95 % ({result.n} exp.)")
        ax.plot([0, 1], [0, 1], color="k", lw=1)
        for k, lab in enumerate(labels):
            ax.plot(alpha, result.central.coverage[:, k], marker="o", ms=3, lw=1.2, label=f"{lab} (central)")
        ax.plot(alpha, result.hpd.coverage[:, 0], marker="s", ms=3, lw=2, color="k", label="joint HPD")
        ax.set_xlabel("credibility level", fontsize=14)
        ax.set_ylabel("empirical coverage", fontsize=14)
        title = "over the prior (SBC)" if result.kind == "sbc" else "at a fixed point"
        ax.set_title(f"Expected coverage {title}", fontsize=12)
        ax.legend(fontsize=9, frameon=False, loc="upper left")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        return _save(fig, path)


def plot_ppc_histogram(ppc: PosteriorPredictive, index: int, path: str | Path) -> Path:
    """Data against the posterior predictive bands for one histogram of the observation."""
    from matplotlib.figure import Figure

    from mlhad.compare import plot_labels

    obs = ppc.observation
    h = obs.histograms[index]
    sl = h.slice
    labels = plot_labels(h.path)
    x = 0.5 * (obs.xlow[sl] + obs.xhigh[sl])
    xerr = np.stack([x - obs.xlow[sl], obs.xhigh[sl] - x])
    d, s = obs.values[sl], obs.errors[sl]
    lo68, hi68 = (b[sl] for b in ppc.band(0.68))
    lo95, hi95 = (b[sl] for b in ppc.band(0.95))
    med = ppc.median[sl]
    pv = ppc.histogram_p_values()[h.path]
    with _style():
        fig = Figure(figsize=(7.0, 6.5))
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.05, left=0.16, right=0.97, top=0.9, bottom=0.11)
        top = fig.add_subplot(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        if x.size == 1:
            top.errorbar(x, med, yerr=[[med[0] - lo95[0]], [hi95[0] - med[0]]], fmt="s", color="tab:blue", ms=6,
                         label="posterior predictive 95 %")
        else:
            top.fill_between(x, lo95, hi95, color="tab:blue", alpha=0.2, lw=0, label="posterior predictive 95 %")
            top.fill_between(x, lo68, hi68, color="tab:blue", alpha=0.35, lw=0, label="68 %")
            top.plot(x, med, color="tab:blue", lw=1.5, label="median prediction")
        top.errorbar(x, d, yerr=s, xerr=xerr, fmt="o", color="k", ms=4, label="data", zorder=5)
        if h.normalisation not in ("mean",) and np.all(d > 0):
            top.set_yscale("log")
        top.set_ylabel(labels.ylabel, fontsize=14)
        top.set_title(f"{h.analysis} {h.name}: {labels.title}\nposterior predictive p = {pv:.3f}", fontsize=10,
                      loc="left")
        top.legend(fontsize=9, frameon=False)
        top.tick_params(labelbottom=False, labelsize=11)
        with np.errstate(divide="ignore", invalid="ignore"):
            bottom.fill_between(x, lo95 / d, hi95 / d, color="tab:blue", alpha=0.2, lw=0)
            bottom.fill_between(x, lo68 / d, hi68 / d, color="tab:blue", alpha=0.35, lw=0)
            bottom.errorbar(x, np.ones_like(d), yerr=np.abs(s / d), xerr=xerr, fmt="o", color="k", ms=3)  # d < 0: pseudo-data noise
        bottom.axhline(1.0, color="k", lw=0.8)
        bottom.set_ylabel("pred./data", fontsize=12)
        bottom.set_xlabel(labels.xlabel, fontsize=13)
        bottom.tick_params(labelsize=11)
        return _save(fig, path)
